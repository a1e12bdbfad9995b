// Causal CRDT costs: OrMap (kRegister) local assign + delta + remote join at
// 1k and 100k keys, and Encode/Decode throughput of every causal type.
//
//   build-release/bin/causal_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "regionsync/crdt/ew_flag.h"
#include "regionsync/crdt/mv_register.h"
#include "regionsync/crdt/or_map.h"

namespace regionsync {
namespace {

constexpr ActorId kA = 0x1111111111111111ULL, kB = 0x2222222222222222ULL;

std::vector<std::string> MakeKeys(size_t n) {
  std::vector<std::string> keys;
  keys.reserve(n);
  for (size_t i = 0; i < n; ++i) keys.push_back("user:" + std::to_string(i));
  return keys;
}

// Two replicas holding `n` keys; each iteration replica A assigns one key and
// replica B joins the delta (the steady state of a presence map).
void BM_OrMapRegisterAssignJoin(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<std::string> keys = MakeKeys(n);
  OrMap a(OrMapKind::kRegister), b(OrMapKind::kRegister);
  HlcTimestamp ts = HlcFromMillis(1'700'000'000'000);
  for (const std::string& k : keys) b.Join(a.Assign(kA, k, ++ts, "online@eu-west-1"));
  size_t i = 0;
  for (auto _ : state) {
    OrMap delta = a.Assign(kA, keys[i], ++ts, (i & 1) ? "away" : "online@eu-west-1");
    benchmark::DoNotOptimize(b.Join(delta));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
  if (!(a == b)) state.SkipWithError("replicas diverged");
}
BENCHMARK(BM_OrMapRegisterAssignJoin)->Arg(1000)->Arg(100000);

// Same, with the delta going through the wire form (encode, decode, join).
void BM_OrMapRegisterAssignWireJoin(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<std::string> keys = MakeKeys(n);
  OrMap a(OrMapKind::kRegister), b(OrMapKind::kRegister);
  HlcTimestamp ts = HlcFromMillis(1'700'000'000'000);
  for (const std::string& k : keys) b.Join(a.Assign(kA, k, ++ts, "online@eu-west-1"));
  size_t i = 0;
  for (auto _ : state) {
    std::string bytes = a.Assign(kA, keys[i], ++ts, "away").Encode();
    auto delta = OrMap::Decode(bytes);
    benchmark::DoNotOptimize(b.Join(*delta));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OrMapRegisterAssignWireJoin)->Arg(1000)->Arg(100000);

// States to encode: about the size of a real key's state.
OrMap MapState(OrMapKind kind, size_t n) {
  std::vector<std::string> keys = MakeKeys(n);
  OrMap m(kind), other(kind);
  for (size_t i = 0; i < n; ++i) {
    switch (kind) {
      case OrMapKind::kRegister:
        m.Assign(kA, keys[i], 1000 + i, "online@eu-west-1");
        break;
      case OrMapKind::kMvRegister:
        m.Assign(kA, keys[i], 0, "online@eu-west-1");
        break;
      case OrMapKind::kFlag:
        m.Enable(kA, keys[i]);
        break;
      case OrMapKind::kCounter:
        m.Increment(kA, keys[i], 3);
        other.Increment(kB, keys[i], 4);
        break;
      case OrMapKind::kSet:
        m.AddElement(kA, keys[i % 16], keys[i]);
        break;
      case OrMapKind::kUnset:
        break;
    }
  }
  m.Join(other);
  return m;
}

MvRegister MvState() {
  MvRegister r;
  r.Assign(kA, std::string(100, 'a'));
  r.Join(MvRegister().Assign(kB, std::string(100, 'b')));
  return r;
}

EwFlag FlagState() {
  EwFlag f;
  f.Enable(kA);
  f.Join(EwFlag().Enable(kB));
  return f;
}

template <typename T>
void EncodeBench(benchmark::State& state, const T& value) {
  size_t bytes = value.Encode().size();
  for (auto _ : state) benchmark::DoNotOptimize(value.Encode());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["encoded_bytes"] = static_cast<double>(bytes);
}

template <typename T>
void DecodeBench(benchmark::State& state, const T& value) {
  std::string bytes = value.Encode();
  for (auto _ : state) {
    auto r = T::Decode(bytes);
    if (!r.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["encoded_bytes"] = static_cast<double>(bytes.size());
}

void BM_MvRegisterEncode(benchmark::State& s) { EncodeBench(s, MvState()); }
void BM_MvRegisterDecode(benchmark::State& s) { DecodeBench(s, MvState()); }
void BM_EwFlagEncode(benchmark::State& s) { EncodeBench(s, FlagState()); }
void BM_EwFlagDecode(benchmark::State& s) { DecodeBench(s, FlagState()); }
BENCHMARK(BM_MvRegisterEncode);
BENCHMARK(BM_MvRegisterDecode);
BENCHMARK(BM_EwFlagEncode);
BENCHMARK(BM_EwFlagDecode);

void BM_OrMapEncode(benchmark::State& s) {
  EncodeBench(s, MapState(static_cast<OrMapKind>(s.range(0)), 10000));
}
void BM_OrMapDecode(benchmark::State& s) {
  DecodeBench(s, MapState(static_cast<OrMapKind>(s.range(0)), 10000));
}
// Arg = OrMapKind: 1 register, 2 MV register, 3 flag, 4 counter, 5 set; 10k keys
// (the set: 16 keys of 625 elements).
BENCHMARK(BM_OrMapEncode)->DenseRange(1, 5);
BENCHMARK(BM_OrMapDecode)->DenseRange(1, 5);

}  // namespace
}  // namespace regionsync

BENCHMARK_MAIN();

// Counter and LWW register hot paths: a local mutation plus the join of its
// delta into another replica (what every write costs end to end, minus I/O),
// and codec throughput at 16 actors. BM_Baseline_* is the same work on a
// bare array, the floor to compare against.
//
//   build-rel/bin/counter_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "regionsync/common/hlc.h"
#include "regionsync/crdt/g_counter.h"
#include "regionsync/crdt/lww_register.h"
#include "regionsync/crdt/pn_counter.h"

namespace regionsync {
namespace {

constexpr int kActors = 16;

std::array<ActorId, kActors> Actors() {
  std::array<ActorId, kActors> a{};
  // Spread over the id space like SHA-256 fingerprints are.
  for (int i = 0; i < kActors; ++i) a[i] = 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(i + 1);
  return a;
}

void BM_Baseline_ArrayIncrementMax(benchmark::State& state) {
  std::array<uint64_t, kActors> mine{}, theirs{};
  size_t i = 0;
  for (auto _ : state) {
    size_t slot = i++ & (kActors - 1);
    uint64_t v = ++mine[slot];
    theirs[slot] = std::max(theirs[slot], v);
    benchmark::DoNotOptimize(theirs.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_ArrayIncrementMax);

void BM_GCounter_IncrementJoin(benchmark::State& state) {
  auto actors = Actors();
  GCounter a, b;
  for (ActorId x : actors) b.Join(a.Increment(x, 1));
  size_t i = 0;
  for (auto _ : state) {
    GCounter delta = a.Increment(actors[i++ & (kActors - 1)], 1);
    benchmark::DoNotOptimize(b.Join(delta));
  }
  if (a.Value() != b.Value()) state.SkipWithError("replicas diverged");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GCounter_IncrementJoin);

void BM_PnCounter_IncrementDecrementJoin(benchmark::State& state) {
  auto actors = Actors();
  PnCounter a, b;
  for (ActorId x : actors) {
    b.Join(a.Increment(x, 1));
    b.Join(a.Decrement(x, 1));
  }
  size_t i = 0;
  for (auto _ : state) {
    size_t k = i++;
    ActorId actor = actors[k & (kActors - 1)];
    PnCounter delta = (k & 16) ? a.Decrement(actor, 1) : a.Increment(actor, 1);
    benchmark::DoNotOptimize(b.Join(delta));
  }
  if (a.Value() != b.Value()) state.SkipWithError("replicas diverged");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PnCounter_IncrementDecrementJoin);

// Short values (fit the small-string buffer) and 1 KiB values.
void BM_LwwRegister_AssignJoin(benchmark::State& state) {
  auto actors = Actors();
  const std::string values[2] = {std::string(state.range(0), 'a'), std::string(state.range(0), 'b')};
  LwwRegister a, b;
  HlcTimestamp now = HlcFromMillis(1'700'000'000'000);
  size_t i = 0;
  for (auto _ : state) {
    size_t k = i++;
    LwwRegister delta = a.Assign(actors[k & (kActors - 1)], ++now, values[k & 1]);
    benchmark::DoNotOptimize(b.Join(delta));
  }
  if (!(a == b)) state.SkipWithError("replicas diverged");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LwwRegister_AssignJoin)->Arg(8)->Arg(1024);

GCounter SixteenActorGCounter() {
  GCounter c;
  auto actors = Actors();
  for (int i = 0; i < kActors; ++i) c.Increment(actors[i], 1'000'000ull * (i + 1));
  return c;
}

PnCounter SixteenActorPnCounter() {
  PnCounter c;
  auto actors = Actors();
  for (int i = 0; i < kActors; ++i) {
    c.Increment(actors[i], 1'000'000ull * (i + 1));
    c.Decrement(actors[i], 1'000ull * (i + 1));
  }
  return c;
}

LwwRegister SampleRegister(size_t value_size) {
  LwwRegister r;
  r.Assign(Actors()[3], HlcFromMillis(1'700'000'000'000), std::string(value_size, 'v'));
  return r;
}

template <typename T>
void EncodeBench(benchmark::State& state, const T& value) {
  size_t bytes = 0;
  for (auto _ : state) {
    std::string encoded = value.Encode();
    bytes += encoded.size();
    benchmark::DoNotOptimize(encoded.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["encoded_bytes"] = static_cast<double>(value.Encode().size());
}

template <typename T>
void DecodeBench(benchmark::State& state, const T& value) {
  const std::string encoded = value.Encode();
  for (auto _ : state) {
    Result<T> decoded = T::Decode(encoded);
    if (!decoded.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * encoded.size()));
  state.counters["encoded_bytes"] = static_cast<double>(encoded.size());
}

void BM_GCounter_Encode16(benchmark::State& s) { EncodeBench(s, SixteenActorGCounter()); }
void BM_GCounter_Decode16(benchmark::State& s) { DecodeBench(s, SixteenActorGCounter()); }
void BM_PnCounter_Encode16(benchmark::State& s) { EncodeBench(s, SixteenActorPnCounter()); }
void BM_PnCounter_Decode16(benchmark::State& s) { DecodeBench(s, SixteenActorPnCounter()); }
void BM_LwwRegister_Encode(benchmark::State& s) { EncodeBench(s, SampleRegister(s.range(0))); }
void BM_LwwRegister_Decode(benchmark::State& s) { DecodeBench(s, SampleRegister(s.range(0))); }
BENCHMARK(BM_GCounter_Encode16);
BENCHMARK(BM_GCounter_Decode16);
BENCHMARK(BM_PnCounter_Encode16);
BENCHMARK(BM_PnCounter_Decode16);
BENCHMARK(BM_LwwRegister_Encode)->Arg(16)->Arg(1024);
BENCHMARK(BM_LwwRegister_Decode)->Arg(16)->Arg(1024);

}  // namespace
}  // namespace regionsync

BENCHMARK_MAIN();

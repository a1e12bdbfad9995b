// OrSet benchmarks: mutator + delta + join at 1 k and 1 M elements, joins of
// whole states, encoded sizes and codec throughput.
//
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   ninja -C build-rel or_set_bench && build-rel/bin/or_set_bench
//
// The targets (>= 1 M ops/s at 1 M elements, within 2x of the 1 k rate; a
// 10 k x 10 k disjoint join <= 1 ms; <= 80 KB for 10 k adds + 5 k removes;
// <= 64 bytes of metadata per element at 16 actors) are read from the
// counters; the replaced system measured 25 ms for the join and 399 KB of JSON.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "regionsync/crdt/or_set.h"

namespace regionsync {
namespace {

constexpr ActorId kWriter = 0x1111;
constexpr ActorId kOther = 0x2222;
constexpr int kBatch = 256;  // ops between untimed resets, so the size stays about N

std::vector<std::string> Names(const std::string& prefix, int n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// A writer and a receiver replica holding the same N elements, built once
// per N and reused (each benchmark restores membership after every batch).
struct ReplicaPair {
  OrSet writer;
  OrSet receiver;
  std::vector<std::string> names;  // the N elements
};

ReplicaPair& Pair(int n) {
  static std::map<int, std::unique_ptr<ReplicaPair>> cache;
  auto& p = cache[n];
  if (!p) {
    p = std::make_unique<ReplicaPair>();
    p->names = Names("user-", n);
    for (const std::string& e : p->names) p->receiver.Join(p->writer.Add(kWriter, e));
  }
  return *p;
}

void BM_AddDeltaJoin(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<int>(state.range(0)));
  const std::vector<std::string> fresh = Names("fresh-", kBatch);
  for (auto _ : state) {
    for (const std::string& e : fresh) {
      OrSet delta = p.writer.Add(kWriter, e);
      benchmark::DoNotOptimize(p.receiver.Join(delta));
    }
    state.PauseTiming();
    for (const std::string& e : fresh) p.receiver.Join(p.writer.Remove(e));
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["elements"] = static_cast<double>(p.writer.size());
}
BENCHMARK(BM_AddDeltaJoin)->Arg(1000)->Arg(1000000);

void BM_RemoveDeltaJoin(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<int>(state.range(0)));
  size_t next = 0;
  std::vector<const std::string*> batch(kBatch);
  for (auto _ : state) {
    for (int k = 0; k < kBatch; ++k) {
      batch[k] = &p.names[next];
      next = (next + 7919) % p.names.size();  // spread over the set, not only its newest part
    }
    for (const std::string* e : batch) {
      OrSet delta = p.writer.Remove(*e);
      benchmark::DoNotOptimize(p.receiver.Join(delta));
    }
    state.PauseTiming();
    for (const std::string* e : batch) p.receiver.Join(p.writer.Add(kWriter, *e));
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["elements"] = static_cast<double>(p.writer.size());
}
BENCHMARK(BM_RemoveDeltaJoin)->Arg(1000)->Arg(1000000);

void BM_JoinDisjoint10k(benchmark::State& state) {
  OrSet a, b;
  for (const std::string& e : Names("a-", 10000)) (void)a.Add(kWriter, e);
  for (const std::string& e : Names("b-", 10000)) (void)b.Add(kOther, e);
  for (auto _ : state) {
    state.PauseTiming();
    OrSet c = a;
    state.ResumeTiming();
    benchmark::DoNotOptimize(c.Join(b));
    state.PauseTiming();
    if (c.size() != 20000) state.SkipWithError("join lost elements");
    { OrSet discard = std::move(c); }  // destruction is not part of the join
    state.ResumeTiming();
  }
}
BENCHMARK(BM_JoinDisjoint10k)->Unit(benchmark::kMicrosecond);

// 10 000 adds of "user-<i>" by one actor, then 5 000 removes (every other one).
OrSet TenKAddsFiveKRemoves() {
  OrSet s;
  for (int i = 0; i < 10000; ++i) (void)s.Add(kWriter, "user-" + std::to_string(i));
  for (int i = 0; i < 10000; i += 2) (void)s.Remove("user-" + std::to_string(i));
  return s;
}

// 16 000 elements added round-robin by 16 actors.
OrSet SixteenActors(size_t* element_bytes) {
  OrSet s;
  *element_bytes = 0;
  for (int i = 0; i < 16000; ++i) {
    std::string e = "user-" + std::to_string(i);
    *element_bytes += e.size();
    (void)s.Add(0x1000 + static_cast<ActorId>(i % 16) * 0x9E3779B97F4A7C15ULL, e);
  }
  return s;
}

void BM_Encode10kAdd5kRemove(benchmark::State& state) {
  const OrSet s = TenKAddsFiveKRemoves();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = s.Encode();
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["encoded_bytes"] = static_cast<double>(bytes);
  state.counters["live_elements"] = static_cast<double>(s.size());
}
BENCHMARK(BM_Encode10kAdd5kRemove);

void BM_Decode10kAdd5kRemove(benchmark::State& state) {
  const std::string bytes = TenKAddsFiveKRemoves().Encode();
  for (auto _ : state) {
    Result<OrSet> r = OrSet::Decode(bytes);
    if (!r.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_Decode10kAdd5kRemove);

void BM_Encode16Actors(benchmark::State& state) {
  size_t element_bytes = 0;
  const OrSet s = SixteenActors(&element_bytes);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = s.Encode();
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.counters["encoded_bytes"] = static_cast<double>(bytes);
  state.counters["metadata_bytes_per_element"] = double(bytes - element_bytes) / s.size();
}
BENCHMARK(BM_Encode16Actors);

void BM_Decode16Actors(benchmark::State& state) {
  size_t element_bytes = 0;
  const std::string bytes = SixteenActors(&element_bytes).Encode();
  for (auto _ : state) {
    Result<OrSet> r = OrSet::Decode(bytes);
    if (!r.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_Decode16Actors);

}  // namespace
}  // namespace regionsync

BENCHMARK_MAIN();

// OrSet benchmarks: mutator + delta + join at 1 k and 1 M elements (new
// elements added, random old ones removed, size held at N), joins of whole
// states, encoded sizes and codec throughput.
//
//   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   ninja -C build-rel or_set_bench && build-rel/bin/or_set_bench
//
// The targets (>= 1 M ops/s at 1 M elements, within 2x of the 1 k rate; a
// 10 k x 10 k disjoint join <= 1 ms; <= 80 KB for 10 k adds + 5 k removes;
// <= 64 bytes of metadata per element at 16 actors) are read from the
// counters; the replaced system measured 25 ms for the join and 399 KB of JSON.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "regionsync/crdt/or_set.h"

namespace regionsync {
namespace {

constexpr ActorId kWriter = 0x1111;
constexpr ActorId kOther = 0x2222;
constexpr size_t kBatch = 256;  // timed ops between untimed restores of the size

std::vector<std::string> Names(const std::string& prefix, int n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

// A writer and a receiver replica holding the same N elements. The writer
// mutates and the receiver joins every delta, so each op is mutator + delta +
// join into a replica of size N. Built once per N and shared by the
// benchmarks below, which all keep the size at N: every element added is a
// name never used before, and every element removed is drawn uniformly from
// the whole live set (not from its newest part, nor a fixed few).
struct ReplicaPair {
  OrSet writer;
  OrSet receiver;
  std::vector<std::string> live;  // the N live elements, in no useful order
  uint64_t next_name = 0;
  uint64_t rng = 0x9E3779B97F4A7C15ULL;

  std::string FreshName() {
    std::string name = "user-";  // not "user-" + ...: g++ 12 warns falsely (-Wrestrict)
    name += std::to_string(next_name++);
    return name;
  }
  // xorshift64*: cheap enough to sit inside a timed loop.
  size_t Random(size_t bound) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return static_cast<size_t>((rng * 0x2545F4914F6CDD1DULL) % bound);
  }
  bool Consistent() const { return writer.size() == live.size() && receiver.size() == live.size(); }
  // Moves `count` distinct live elements, drawn uniformly, to the tail of
  // `live` (a partial Fisher-Yates shuffle).
  void PickVictims(size_t count) {
    const size_t n = live.size();
    for (size_t k = 0; k < count; ++k) std::swap(live[Random(n - k)], live[n - 1 - k]);
  }
};

// Items are elements; the check catches a benchmark that lost track of its
// replicas, which would make its rate meaningless.
void Finish(benchmark::State& state, const ReplicaPair& p) {
  if (!p.Consistent()) state.SkipWithError("replicas lost track of the live set");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.counters["elements"] = static_cast<double>(p.writer.size());
}

ReplicaPair& Pair(size_t n) {
  static std::map<size_t, std::unique_ptr<ReplicaPair>> cache;
  auto& p = cache[n];
  if (!p) {
    p = std::make_unique<ReplicaPair>();
    p->live.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      p->live.push_back(p->FreshName());
      p->receiver.Join(p->writer.Add(kWriter, p->live.back()));
    }
  }
  return *p;
}

// Timed: kBatch adds of new elements, each delta joined into the receiver.
// Untimed: as many removes of random old elements, restoring the size.
void BM_AddDeltaJoin(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<size_t>(state.range(0)));
  std::vector<std::string> fresh(kBatch);
  for (std::string& e : fresh) e = p.FreshName();
  for (auto _ : state) {
    for (const std::string& e : fresh) {
      OrSet delta = p.writer.Add(kWriter, e);
      benchmark::DoNotOptimize(p.receiver.Join(delta));
    }
    state.PauseTiming();
    for (std::string& e : fresh) {
      std::string& victim = p.live[p.Random(p.live.size())];
      p.receiver.Join(p.writer.Remove(victim));
      victim = std::move(e);
      e = p.FreshName();
    }
    state.ResumeTiming();
  }
  Finish(state, p);
}
BENCHMARK(BM_AddDeltaJoin)->Arg(1000)->Arg(1000000);

// Timed: kBatch removes of distinct elements drawn uniformly from the whole
// set, each delta joined into the receiver. Untimed: as many adds of new
// elements, restoring the size.
void BM_RemoveDeltaJoin(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<size_t>(state.range(0)));
  const size_t n = p.live.size();
  p.PickVictims(kBatch);
  for (auto _ : state) {
    for (size_t k = n - kBatch; k < n; ++k) {
      OrSet delta = p.writer.Remove(p.live[k]);
      benchmark::DoNotOptimize(p.receiver.Join(delta));
    }
    state.PauseTiming();
    for (size_t k = n - kBatch; k < n; ++k) {
      p.live[k] = p.FreshName();
      p.receiver.Join(p.writer.Add(kWriter, p.live[k]));
    }
    p.PickVictims(kBatch);
    state.ResumeTiming();
  }
  Finish(state, p);
}
BENCHMARK(BM_RemoveDeltaJoin)->Arg(1000)->Arg(1000000);

// The "add + delta" and "remove + delta": the writer's mutation and
// the delta it returns, without the receiver's join (the join runs untimed,
// so both replicas stay in step and the set keeps its size).
void BM_AddDelta(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<size_t>(state.range(0)));
  std::vector<std::string> fresh(kBatch);
  for (std::string& e : fresh) e = p.FreshName();
  std::vector<OrSet> deltas(kBatch);
  for (auto _ : state) {
    for (size_t k = 0; k < kBatch; ++k) deltas[k] = p.writer.Add(kWriter, fresh[k]);
    state.PauseTiming();
    for (size_t k = 0; k < kBatch; ++k) {
      p.receiver.Join(deltas[k]);
      std::string& victim = p.live[p.Random(p.live.size())];
      p.receiver.Join(p.writer.Remove(victim));
      victim = std::move(fresh[k]);
      fresh[k] = p.FreshName();
    }
    state.ResumeTiming();
  }
  Finish(state, p);
}
BENCHMARK(BM_AddDelta)->Arg(1000)->Arg(1000000);

void BM_RemoveDelta(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<size_t>(state.range(0)));
  const size_t n = p.live.size();
  p.PickVictims(kBatch);
  std::vector<OrSet> deltas(kBatch);
  for (auto _ : state) {
    for (size_t k = 0; k < kBatch; ++k) deltas[k] = p.writer.Remove(p.live[n - kBatch + k]);
    state.PauseTiming();
    for (size_t k = 0; k < kBatch; ++k) {
      p.receiver.Join(deltas[k]);
      std::string& slot = p.live[n - kBatch + k];
      slot = p.FreshName();
      p.receiver.Join(p.writer.Add(kWriter, slot));
    }
    p.PickVictims(kBatch);
    state.ResumeTiming();
  }
  Finish(state, p);
}
BENCHMARK(BM_RemoveDelta)->Arg(1000)->Arg(1000000);

// The same elements and the same per-element work, in batches: AddAll /
// RemoveAll of range(1) members at once (a SADD / SREM with that many),
// one delta per batch. Items are elements, so the rates compare with the
// single-element ones above. The batch mutators load each member's slots a
// few members ahead, so at 1 M elements their cache misses overlap.
void BM_AddAllDelta(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<size_t>(state.range(0)));
  const size_t members = static_cast<size_t>(state.range(1));
  std::vector<std::string> fresh(kBatch);
  for (std::string& e : fresh) e = p.FreshName();
  std::vector<std::string_view> views(fresh.begin(), fresh.end());
  std::vector<OrSet> deltas(kBatch / members);
  for (auto _ : state) {
    for (size_t b = 0; b < deltas.size(); ++b) {
      deltas[b] = p.writer.AddAll(kWriter, std::span(views).subspan(b * members, members));
    }
    state.PauseTiming();
    for (const OrSet& d : deltas) p.receiver.Join(d);
    for (std::string& e : fresh) {
      std::string& victim = p.live[p.Random(p.live.size())];
      p.receiver.Join(p.writer.Remove(victim));
      victim = std::move(e);
      e = p.FreshName();
    }
    views.assign(fresh.begin(), fresh.end());  // a new name may be longer
    state.ResumeTiming();
  }
  Finish(state, p);
}
BENCHMARK(BM_AddAllDelta)->Args({1000, 16})->Args({1000000, 16});

void BM_RemoveAllDelta(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<size_t>(state.range(0)));
  const size_t members = static_cast<size_t>(state.range(1));
  const size_t n = p.live.size();
  p.PickVictims(kBatch);
  std::vector<std::string_view> victims(p.live.end() - kBatch, p.live.end());
  std::vector<OrSet> deltas(kBatch / members);
  for (auto _ : state) {
    for (size_t b = 0; b < deltas.size(); ++b) {
      deltas[b] = p.writer.RemoveAll(std::span(victims).subspan(b * members, members));
    }
    state.PauseTiming();
    for (const OrSet& d : deltas) p.receiver.Join(d);
    for (size_t k = n - kBatch; k < n; ++k) {
      p.live[k] = p.FreshName();
      p.receiver.Join(p.writer.Add(kWriter, p.live[k]));
    }
    p.PickVictims(kBatch);
    victims.assign(p.live.end() - kBatch, p.live.end());
    state.ResumeTiming();
  }
  Finish(state, p);
}
BENCHMARK(BM_RemoveAllDelta)->Args({1000, 16})->Args({1000000, 16});

// A lookup of a random live element, the least any op on it must do: in
// cache at 1 k elements, a trip to memory at 1 M. Consecutive lookups are
// independent and short, so the CPU overlaps their misses; the mutators are
// too long for that (see docs/BENCHMARKS.md).
void BM_Contains(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<size_t>(state.range(0)));
  std::vector<std::string> probes(kBatch);
  size_t found = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (std::string& e : probes) e = p.live[p.Random(p.live.size())];
    state.ResumeTiming();
    for (const std::string& e : probes) found += p.writer.Contains(e) ? 1 : 0;
  }
  if (found != state.iterations() * kBatch) state.SkipWithError("a live element was not found");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.counters["elements"] = static_cast<double>(p.writer.size());
}
BENCHMARK(BM_Contains)->Arg(1000)->Arg(1000000);

// A table of `mib` MiB on huge pages (how the OR-Set's big tables are
// mapped) whose lines link into one cycle through all of them, in random
// order: following `next` is a chase of dependent reads.
class RandomCycle {
 public:
  struct Line {
    uint64_t next;
    char pad[56];
  };
  explicit RandomCycle(size_t mib)
      : lines_((mib << 20) / sizeof(Line)),
        table_(static_cast<Line*>(or_set_internal::AllocateTable(lines_ * sizeof(Line), alignof(Line)))) {
    std::vector<uint32_t> order(lines_);
    for (size_t i = 0; i < lines_; ++i) order[i] = static_cast<uint32_t>(i);
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    for (size_t i = lines_ - 1; i > 0; --i) {
      rng ^= rng >> 12;
      rng ^= rng << 25;
      rng ^= rng >> 27;
      std::swap(order[i], order[(rng * 0x2545F4914F6CDD1DULL) % (i + 1)]);
    }
    for (size_t i = 0; i < lines_; ++i) table_[order[i]].next = order[(i + 1) % lines_];
  }
  ~RandomCycle() { or_set_internal::FreeTable(table_, lines_ * sizeof(Line), alignof(Line)); }
  RandomCycle(const RandomCycle&) = delete;
  RandomCycle& operator=(const RandomCycle&) = delete;
  const Line& operator[](uint64_t i) const { return table_[i]; }

 private:
  size_t lines_;
  Line* table_;
};

// The machine's price of a random read, for reading the 1 M / 1 k ratios:
// a chase through range(0) MiB, one dependent read per step.
void BM_RandomRead(benchmark::State& state) {
  const RandomCycle table(static_cast<size_t>(state.range(0)));
  uint64_t at = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < kBatch; ++k) at = table[at].next;
  }
  benchmark::DoNotOptimize(at);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_RandomRead)->Arg(8)->Arg(256);

// What an operation's own work can hide of its miss, for reading the
// single-element rows: the 256 MiB chase, with range(0) rounds of work that
// does not need the line between learning the next address and reading it.
// With range(1) = 1 the line is prefetched first, so the work runs while the
// line travels and a step costs about the larger of the two. Without, the
// read waits behind the work once the work outgrows the reorder window.
// range(1) = 2: the work alone, no read.
void BM_WorkBeforeRead(benchmark::State& state) {
  const RandomCycle table(256);
  const int64_t work = state.range(0);
  const int64_t mode = state.range(1);
  uint64_t at = 0, acc = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < kBatch; ++k) {
      if (mode == 1) or_set_internal::PrefetchLine(&table[at]);
      for (int64_t w = 0; w < work; ++w) benchmark::DoNotOptimize(acc += w);
      if (mode != 2) at = table[at].next;
    }
  }
  benchmark::DoNotOptimize(at);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}
BENCHMARK(BM_WorkBeforeRead)->ArgsProduct({{0, 200, 400, 800}, {2, 0, 1}});

// Everything timed, nothing paused: each pair of ops adds a new element and
// removes a random old one (both deltas joined into the receiver). A check
// on BM_AddDeltaJoin and BM_RemoveDeltaJoin that the pauses hide nothing.
void BM_ChurnDeltaJoin(benchmark::State& state) {
  ReplicaPair& p = Pair(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    for (size_t k = 0; k < kBatch; ++k) {
      std::string e = p.FreshName();
      benchmark::DoNotOptimize(p.receiver.Join(p.writer.Add(kWriter, e)));
      std::string& victim = p.live[p.Random(p.live.size())];
      benchmark::DoNotOptimize(p.receiver.Join(p.writer.Remove(victim)));
      victim = std::move(e);
    }
  }
  if (!p.Consistent()) state.SkipWithError("replicas lost track of the live set");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch * 2));
  state.counters["elements"] = static_cast<double>(p.receiver.size());
}
BENCHMARK(BM_ChurnDeltaJoin)->Arg(1000)->Arg(1000000);

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

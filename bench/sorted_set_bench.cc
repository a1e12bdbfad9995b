// SortedSet benchmarks at 1 k and 1 M members: ZADD (Assign of a random
// existing member: a new score, so the rank index moves it), ZINCRBY
// (Increment), ZRANK (Rank), a ZRANGE of 10 entries (At + Visit), and the
// join of a one-member delta into a set of N (what a receiver does per
// remote write). Sizes stay at N.
//
//   ninja -C build sorted_set_bench && build/bin/sorted_set_bench
//
// A receiver's join of a small delta must not scan the set: its time at
// 1 M members stays within a small factor of its time at 1 k.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "regionsync/crdt/sorted_set.h"

namespace regionsync {
namespace {

constexpr ActorId kWriter = 0x1111;
constexpr ActorId kOther = 0x2222;

struct Fixture {
  SortedSet set;
  std::vector<std::string> members;
  uint64_t rng = 0x9E3779B97F4A7C15ULL;
  HlcTimestamp ts = 1;

  // xorshift64*: cheap enough to sit inside a timed loop.
  size_t Random(size_t bound) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return static_cast<size_t>((rng * 0x2545F4914F6CDD1DULL) % bound);
  }
  const std::string& AnyMember() { return members[Random(members.size())]; }
};

// Built once per N and shared (the 1 M one takes seconds).
Fixture& FixtureOf(size_t n) {
  static std::map<size_t, std::unique_ptr<Fixture>> fixtures;
  auto& f = fixtures[n];
  if (!f) {
    f = std::make_unique<Fixture>();
    f->members.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      std::string m = "user-";
      m += std::to_string(i);
      f->set.Assign(kWriter, m, f->ts, static_cast<double>(f->Random(1'000'000)));
      f->members.push_back(std::move(m));
    }
  }
  return *f;
}

void BM_Assign(benchmark::State& state) {
  Fixture& f = FixtureOf(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    SortedSet delta = f.set.Assign(kWriter, f.AnyMember(), ++f.ts, static_cast<double>(f.Random(1'000'000)));
    benchmark::DoNotOptimize(delta);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Assign)->Arg(1'000)->Arg(1'000'000);

void BM_Increment(benchmark::State& state) {
  Fixture& f = FixtureOf(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    SortedSet delta = f.set.Increment(kWriter, f.AnyMember(), 1);
    benchmark::DoNotOptimize(delta);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Increment)->Arg(1'000)->Arg(1'000'000);

void BM_Rank(benchmark::State& state) {
  Fixture& f = FixtureOf(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(f.set.Rank(f.AnyMember()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Rank)->Arg(1'000)->Arg(1'000'000);

// ZRANGE key start start+9: 10 entries from a random rank.
void BM_VisitRange10(benchmark::State& state) {
  Fixture& f = FixtureOf(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    size_t first = f.Random(f.set.size() - 10);
    double sum = 0;
    f.set.Visit(first, first + 10, false, [&](const SortedSet::Entry& e) {
      sum += e.score;
      return true;
    });
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_VisitRange10)->Arg(1'000)->Arg(1'000'000);

// A remote ZADD of one member (a new score for an existing one, with the
// removal of the dot it replaced) joined into a set of N.
void BM_JoinOneMemberDelta(benchmark::State& state) {
  Fixture& f = FixtureOf(static_cast<size_t>(state.range(0)));
  SortedSet remote = f.set;  // another replica that saw everything
  std::vector<SortedSet> deltas;
  for (int i = 0; i < 4096; ++i) {
    deltas.push_back(remote.Assign(kOther, f.AnyMember(), ++f.ts, static_cast<double>(f.Random(1'000'000))));
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.set.Join(deltas[i]));
    if (++i == deltas.size()) {
      // Further joins would be duplicates: make fresh ones, untimed.
      state.PauseTiming();
      deltas.clear();
      for (int k = 0; k < 4096; ++k) {
        deltas.push_back(remote.Assign(kOther, f.AnyMember(), ++f.ts, static_cast<double>(f.Random(1'000'000))));
      }
      i = 0;
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_JoinOneMemberDelta)->Arg(1'000)->Arg(1'000'000);

}  // namespace
}  // namespace regionsync

BENCHMARK_MAIN();

// What one SADD costs, commit included, by the size of the set it adds to:
// a Replica on the daemon's store (LogStore over SQLite, fsync every 1000 ms,
// as `--fsync every:1000`). Each iteration adds a new member and commits,
// then removes it and commits (so the set keeps its size); every 100
// iterations the outbox is sealed and confirmed, as the publisher does.
// Arguments: members in the set, and whether big keys commit deltas (1, the
// default) or their whole state (0, as before delta commits).
// time per iteration = one SADD and one SREM, each with its commit.
//
//   build/bin/commit_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "bench_store.h"
#include "regionsync/common/env.h"
#include "regionsync/sync/replica.h"

namespace regionsync {
namespace {

// kind 0: SADD then SREM of a set; 1: HSET of a hash's field (fields keep
// their number: each iteration rewrites one of them).
void RunCommits(benchmark::State& state, int kind) {
  const auto members = static_cast<size_t>(state.range(0));
  const bool delta_commits = state.range(1) != 0;
  BenchDir dir("commit_bench");
  if (dir.path().empty()) {
    state.SkipWithError("cannot create a temporary directory");
    return;
  }
  std::unique_ptr<Env> env = NewRealEnv();
  Result<std::unique_ptr<LogStore>> store = OpenDaemonStore(dir.path());
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  ReplicaOptions options;
  if (!delta_commits) options.delta_commit_min_bytes = SIZE_MAX;
  Result<std::unique_ptr<Replica>> replica = Replica::Open("us-east-1/a", env.get(), store->get(), options);
  if (!replica.ok()) {
    state.SkipWithError(replica.status().ToString().c_str());
    return;
  }
  Replica& r = **replica;
  auto seal = [&] {
    Result<Replica::Outgoing> out = r.SealOutbox();
    if (out.ok()) r.ConfirmPublished(out->generation);
  };
  // Filled in batches of 10 000 members, as SADDs of many members would.
  for (size_t done = 0; done < members;) {
    std::vector<std::string> batch;
    for (; batch.size() < 10'000 && done < members; ++done) batch.push_back(std::to_string(done));
    if (kind == 0) {
      std::vector<std::string_view> views(batch.begin(), batch.end());
      (void)r.AddAll("room", views);
    } else {
      for (const std::string& field : batch) (void)r.MapSet("room", field, "value-0123456789");
    }
    seal();
  }
  (void)r.Commit();
  uint64_t i = 0;
  for (auto _ : state) {
    Status s;
    if (kind == 0) {
      const std::string member = "new:" + std::to_string(i);
      Result<bool> added = r.Add("room", member);
      s = added.ok() ? r.Commit() : added.status();
      if (s.ok()) {
        Result<bool> removed = r.Remove("room", member);
        s = removed.ok() ? r.Commit() : removed.status();
      }
    } else {
      s = r.MapSet("room", std::to_string(i * 7919 % members), "value-" + std::to_string(i));
      if (s.ok()) s = r.Commit();
    }
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    if (++i % 100 == 0) seal();
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}
void BM_SaddCommit(benchmark::State& state) { RunCommits(state, 0); }
void BM_HsetCommit(benchmark::State& state) { RunCommits(state, 1); }

BENCHMARK(BM_HsetCommit)
    ->ArgNames({"fields", "delta_commits"})
    ->Args({10, 1})
    ->Args({100'000, 1})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SaddCommit)
    ->ArgNames({"members", "delta_commits"})
    ->Args({10, 1})
    ->Args({1'000'000, 1})
    ->Args({10, 0})
    ->Args({100'000, 0})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace regionsync

BENCHMARK_MAIN();

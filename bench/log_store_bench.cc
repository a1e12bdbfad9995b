// Commit throughput of the daemon's store with and without the write-ahead
// log, in one run: SqliteStore(kEveryInterval, 1000 ms) is the baseline;
// LogStore(kEveryInterval, 1000 ms) over SqliteStore(kAlways) is what the log
// buys. Each commit is what one unpipelined Redis write makes: one put_state
// of ~20 bytes and one put_outbox row. items_per_second = commits/s.
//
//   build/bin/log_store_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "bench_store.h"
#include "regionsync/store/log_store.h"
#include "regionsync/store/sqlite_store.h"

namespace regionsync {
namespace {

// The i-th commit: rotates over 1000 keys; a generation holds 1000 commits and
// is deleted when the next one starts, as the publisher would.
StoreBatch SmallBatch(uint64_t i) {
  StoreBatch b;
  std::string key = "session:" + std::to_string(i % 1000);
  b.put_state[key] = {pb::G_COUNTER, std::string(20, 'v')};
  uint64_t generation = i / 1000 + 1;
  b.put_outbox[{generation, key}] = {pb::G_COUNTER, std::string(12, 'd')};
  if (i % 1000 == 0 && generation > 1) b.delete_outbox_generations.insert(generation - 1);
  return b;
}

void RunCommits(benchmark::State& state, Store& store) {
  uint64_t i = 0;
  for (auto _ : state) {
    Status s = store.Commit(SmallBatch(i++));
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
}

void BM_SqliteEveryInterval(benchmark::State& state) {
  BenchDir dir("log_store_bench");
  SqliteStoreOptions options;
  options.fsync = FsyncPolicy::kEveryInterval;
  options.fsync_interval_millis = 1000;
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(dir.path() + "/store.db", options);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  RunCommits(state, **store);
}
BENCHMARK(BM_SqliteEveryInterval)->UseRealTime();

void RunLogStore(benchmark::State& state, FsyncPolicy policy) {
  BenchDir dir("log_store_bench");
  Result<std::unique_ptr<Store>> sqlite = OpenSqliteStore(dir.path() + "/store.db");  // kAlways
  if (!sqlite.ok()) {
    state.SkipWithError(sqlite.status().ToString().c_str());
    return;
  }
  LogStoreOptions options;
  options.fsync = policy;
  options.fsync_interval_millis = 1000;
  Result<std::unique_ptr<Store>> store =
      OpenLogStore(std::move(sqlite).value(), dir.path() + "/store.db.log", options);
  if (!store.ok()) {
    state.SkipWithError(store.status().ToString().c_str());
    return;
  }
  RunCommits(state, **store);
}

void BM_LogStoreEveryIntervalOverSqlite(benchmark::State& state) { RunLogStore(state, FsyncPolicy::kEveryInterval); }
BENCHMARK(BM_LogStoreEveryIntervalOverSqlite)->UseRealTime();

// For scale: every commit waits for an fdatasync of the log.
void BM_LogStoreAlwaysOverSqlite(benchmark::State& state) { RunLogStore(state, FsyncPolicy::kAlways); }
BENCHMARK(BM_LogStoreAlwaysOverSqlite)->UseRealTime();

}  // namespace
}  // namespace regionsync

BENCHMARK_MAIN();

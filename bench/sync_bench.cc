// The sync engine end to end, in one process over the in-process broker:
//   - local counter increments per second with sync running (3 and 16
//     replicas), against bare PnCounter increments as the baseline;
//   - wire bytes per update, delta mode vs full-state mode (what the system we
//     replace did), for Zipf 0.5 / 1.0 / 1.5 key skew;
//   - messages published per second per replica at 10 k and 1 M writes/s:
//     bounded by the flush rate, not the write rate;
//   - convergence latency after a write (virtual and wall time), and
//     anti-entropy bytes per second at rest.
//
//   build/bin/sync_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <random>

#include "regionsync/sim/sim_cluster.h"

namespace regionsync {
namespace {

std::vector<std::string> Names(int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back("region-" + std::to_string(i) + "/a");
  return v;
}

void BM_Baseline_PnCounterIncrement(benchmark::State& state) {
  PnCounter c;
  for (auto _ : state) benchmark::DoNotOptimize(c.Increment(42, 1));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Baseline_PnCounterIncrement);

// Increments on replica 0 while every replica runs commit, flush, poll and
// anti-entropy: every 10 000 writes, 1 ms of virtual time passes, so the
// timers fire (a flush every 50 ms of virtual time: 500 000 writes).
void BM_ReplicaIncrementWithSync(benchmark::State& state) {
  SimCluster c(1, Names(static_cast<int>(state.range(0))));
  Replica& r = c.node(0).replica();
  uint64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.Increment("sessions", 1));
    if (++n % 10'000 == 0) c.RunFor(1'000);
  }
  c.RunUntilConverged(60'000'000);
  if (std::get<PnCounter>(*c.node(c.size() - 1).replica().Find("sessions")).Value() != static_cast<int64_t>(n)) {
    state.SkipWithError("replicas did not converge");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReplicaIncrementWithSync)->Arg(3)->Arg(16)->Unit(benchmark::kMillisecond);

// Zipf(s) over `keys` ranks, by inverse CDF.
class Zipf {
 public:
  Zipf(int keys, double s) {
    double sum = 0;
    for (int k = 1; k <= keys; ++k) cdf_.push_back(sum += 1.0 / std::pow(k, s));
    for (double& x : cdf_) x /= sum;
  }
  int Next(std::mt19937_64& rng) {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<int>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

// 1 000 presence sets; each update adds or removes a user in a Zipf-chosen
// set, 100 updates per 50 ms flush. Reports wire bytes per update.
uint64_t WireBytes(double skew, bool full_state, uint64_t updates) {
  SimClusterOptions o;
  o.sync.publisher.full_state = full_state;
  o.sync.anti_entropy_interval_micros = 3'600'000'000ULL;  // measure updates only
  SimCluster c(7, Names(3), o);
  Zipf zipf(1000, skew);
  std::mt19937_64 rng(7);
  for (uint64_t i = 0; i < updates; ++i) {
    std::string key = "room-" + std::to_string(zipf.Next(rng));
    std::string user = "user-" + std::to_string(rng() % 200);
    Replica& r = c.node(i % 3).replica();
    if (rng() % 3 == 0) {
      (void)r.Remove(key, user);
    } else {
      (void)r.Add(key, user);
    }
    if (i % 100 == 99) c.RunFor(50'000);
  }
  c.RunUntilConverged(60'000'000);
  return c.BytesPublished();
}

void BM_WireBytesPerUpdate(benchmark::State& state) {
  double skew = state.range(0) / 10.0;
  const uint64_t updates = 20'000;
  uint64_t delta = 0, full = 0;
  for (auto _ : state) {
    delta = WireBytes(skew, false, updates);
    full = WireBytes(skew, true, updates);
  }
  state.counters["zipf"] = skew;
  state.counters["delta_bytes_per_update"] = static_cast<double>(delta) / updates;
  state.counters["full_bytes_per_update"] = static_cast<double>(full) / updates;
  state.counters["full_over_delta"] = static_cast<double>(full) / static_cast<double>(delta);
}
BENCHMARK(BM_WireBytesPerUpdate)->Arg(5)->Arg(10)->Arg(15)->Iterations(1)->Unit(benchmark::kMillisecond);

// Writes at `rate` per second of virtual time for 2 s on every replica; counts
// messages published per replica per second.
void BM_MessagesPerSecondAtWriteRate(benchmark::State& state) {
  const uint64_t rate = static_cast<uint64_t>(state.range(0));
  double per_replica_per_s = 0;
  for (auto _ : state) {
    SimClusterOptions o;
    o.sync.anti_entropy_interval_micros = 3'600'000'000ULL;
    SimCluster c(3, Names(3), o);
    const uint64_t per_ms = rate / 1000;
    for (int ms = 0; ms < 2000; ++ms) {
      for (size_t r = 0; r < 3; ++r) {
        for (uint64_t k = 0; k < per_ms; ++k) (void)c.node(r).replica().Increment("k" + std::to_string(k % 64), 1);
      }
      c.RunFor(1'000);
    }
    per_replica_per_s = static_cast<double>(c.network().stats().published) / 3 / 2.0;
  }
  state.counters["writes_per_s_per_replica"] = static_cast<double>(rate);
  state.counters["messages_per_s_per_replica"] = per_replica_per_s;
  state.counters["flush_rate_per_s"] = 20;
}
BENCHMARK(BM_MessagesPerSecondAtWriteRate)->Arg(10'000)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

// One write, then virtual time in 1 ms steps until every replica has it.
void BM_ConvergenceLatencyAfterWrite(benchmark::State& state) {
  SimCluster c(9, Names(3));
  c.RunFor(100'000);
  double virtual_ms = 0, wall_us = 0;
  int64_t n = 0;
  for (auto _ : state) {
    auto wall_start = std::chrono::steady_clock::now();
    uint64_t start = c.env().MonotonicMicros();
    (void)c.node(0).replica().Increment("x", 1);
    ++n;
    auto seen = [&] {
      for (size_t i = 1; i < c.size(); ++i) {
        const AnyCrdt* v = c.node(i).replica().Find("x");
        if (v == nullptr || std::get<PnCounter>(*v).Value() != n) return false;
      }
      return true;
    };
    while (!seen()) c.RunFor(1'000);
    virtual_ms += (c.env().MonotonicMicros() - start) / 1000.0;
    wall_us += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - wall_start).count();
  }
  state.counters["virtual_ms"] = virtual_ms / state.iterations();
  state.counters["wall_us_to_simulate"] = wall_us / state.iterations();
}
BENCHMARK(BM_ConvergenceLatencyAfterWrite)->Iterations(200);

// At rest (no writes) with 1 000 keys: only digests travel.
void BM_AntiEntropyOverheadAtRest(benchmark::State& state) {
  const int replicas = static_cast<int>(state.range(0));
  double bytes_per_s = 0;
  for (auto _ : state) {
    SimCluster c(4, Names(replicas));
    for (int k = 0; k < 1000; ++k) (void)c.node(k % replicas).replica().Increment("key-" + std::to_string(k), 1);
    c.RunUntilConverged(60'000'000);
    uint64_t before = c.BytesPublished();
    c.RunFor(60'000'000);
    bytes_per_s = static_cast<double>(c.BytesPublished() - before) / 60.0;
  }
  state.counters["replicas"] = replicas;
  state.counters["bytes_per_s_cluster"] = bytes_per_s;
  state.counters["bytes_per_s_per_replica"] = bytes_per_s / replicas;
}
BENCHMARK(BM_AntiEntropyOverheadAtRest)->Arg(3)->Arg(16)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace regionsync

BENCHMARK_MAIN();

// Expiry and presence at the sizes issue #15 names:
//   - memory per key of 1 M string keys (16-byte values) with and without an
//     expiry (heap bytes in use, mallinfo2, replica + its memory store);
//   - active expiry: CPU per expired key when 1 M keys expire at once,
//     against writing them (the baseline);
//   - one HEXPIRE on a hash of 100 fields with expiries, and of 100 000;
//   - presence: 100 000 members over 3 replicas renewing every 10 s (TTL 30 s):
//     bytes and messages published per second per replica with renewals
//     batched (--presence-renewal-ms 1000) and, as the baseline, written one
//     by one (anti-entropy off: renewal traffic alone); then one replica dies and the time until its members are gone
//     from every other region is measured (virtual time).
//
//   build/bin/expiry_bench   (each benchmark runs once: Iterations(1))
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "regionsync/sim/sim_cluster.h"
#include "regionsync/sync/presence.h"

namespace regionsync {
namespace {

constexpr int kKeys = 1'000'000;

std::string KeyName(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "key:%07d", i);
  return buf;
}

size_t HeapInUse() { return mallinfo2().uordblks; }

// 1 M string keys of 16-byte values; range(0) = 1: each with an expiry.
void BM_MemoryPerStringKey(benchmark::State& state) {
  const bool ttl = state.range(0) == 1;
  for (auto _ : state) {
    SimEnv env(1);
    const size_t before = HeapInUse();
    std::unique_ptr<Store> store = NewMemoryStore();
    std::unique_ptr<Replica> r = std::move(Replica::Open("us-east-1/a", &env, store.get())).value();
    const std::string value(16, 'v');
    for (int i = 0; i < kKeys; ++i) {
      Status s = ttl ? r->WithExpiry(env.WallMillis() + 3'600'000,
                                     [&] { return r->Set(KeyName(i), value, std::nullopt, pb::STRING); })
                     : r->Set(KeyName(i), value, std::nullopt, pb::STRING);
      if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    }
    if (!r->Commit().ok()) state.SkipWithError("commit failed");
    state.counters["heap_bytes_per_key"] = static_cast<double>(HeapInUse() - before) / kKeys;
    state.counters["expiring_keys"] = static_cast<double>(r->expiring_keys());
  }
}
BENCHMARK(BM_MemoryPerStringKey)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

// 1 M keys with an expiry written (baseline, range(0) = 0) or reclaimed by
// active expiry after they all expired (range(0) = 1); items = keys.
void BM_ActiveExpiry(benchmark::State& state) {
  const bool reclaim = state.range(0) == 1;
  for (auto _ : state) {
    state.PauseTiming();
    SimEnv env(1);
    std::unique_ptr<Store> store = NewMemoryStore();
    std::unique_ptr<Replica> r = std::move(Replica::Open("us-east-1/a", &env, store.get())).value();
    const uint64_t at = env.WallMillis() + 1000;
    if (reclaim) {
      for (int i = 0; i < kKeys; ++i) (void)r->WithExpiry(at, [&] { return r->Increment(KeyName(i), 1, pb::STRING); });
      env.RunFor(1'000'000);
    }
    state.ResumeTiming();
    if (reclaim) {
      size_t handled = 0;
      while (size_t n = r->ExpireDue(500)) handled += n;  // the daemon's batches
      if (handled != kKeys || r->expired_keys() != kKeys) state.SkipWithError("not every key was reclaimed");
    } else {
      for (int i = 0; i < kKeys; ++i) (void)r->WithExpiry(at, [&] { return r->Increment(KeyName(i), 1, pb::STRING); });
    }
  }
  state.SetItemsProcessed(state.iterations() * kKeys);
}
BENCHMARK(BM_ActiveExpiry)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

// HEXPIRE on a hash of range(0) fields that all have an expiry: the cost
// of one field-expiry write (Replica::SetFieldExpiry, index kept) as the
// hash grows; items = writes.
void BM_FieldExpiryWrite(benchmark::State& state) {
  const int fields = static_cast<int>(state.range(0));
  SimEnv env(1);
  std::unique_ptr<Store> store = NewMemoryStore();
  std::unique_ptr<Replica> r = std::move(Replica::Open("us-east-1/a", &env, store.get())).value();
  for (int i = 0; i < fields; ++i) {
    (void)r->MapSet("room", "user-" + std::to_string(i), "online");
    (void)r->SetFieldExpiry("room", "user-" + std::to_string(i), env.WallMillis() + 60'000);
  }
  (void)r->Commit();
  uint64_t n = 0;
  for (auto _ : state) {
    ++n;
    const Result<bool> set =
        r->SetFieldExpiry("room", "user-" + std::to_string(n % fields), env.WallMillis() + 60'000 + n);
    if (!set.ok() || !*set) state.SkipWithError("HEXPIRE failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FieldExpiryWrite)->Arg(100)->Arg(100'000);

// Presence: range(0) members over 3 replicas in 100 groups, TTL 30 s, each
// renewed every 10 s (spread evenly); range(1) = 1: renewals batched
// (the default), 0: every renewal written at once (the baseline); range(2)
// = 1: anti-entropy on (1 s, the default), 0: off (renewal traffic alone).
void BM_PresenceRenewals(benchmark::State& state) {
  const int members = static_cast<int>(state.range(0));
  const bool batched = state.range(1) == 1;
  constexpr uint64_t kTtl = 30'000, kRenewEvery = 10'000, kTick = 100;  // ms
  constexpr int kSeconds = 60;
  for (auto _ : state) {
    SimClusterOptions options;
    options.sync.presence.renewal_interval_millis = 1000;
    // Renewal traffic alone: anti-entropy's digests are left out by running
    // it once an hour.
    if (state.range(2) == 0) options.sync.anti_entropy_interval_micros = 3'600'000'000;
    if (!batched) options.sync.presence.renewal_margin_millis = kTtl;  // nothing is ever held
    SimCluster c(7, {"us-east-1/a", "us-west-2/a", "eu-west-1/a"}, options);
    auto track = [&](int m) {
      Presence& p = c.node(m % 3).presence();
      return p.Track("room-" + std::to_string(m % 100), "user-" + std::to_string(m), R"({"device":"phone"})", kTtl);
    };
    for (int m = 0; m < members; ++m) (void)track(m);
    // Past the first digests of the new cluster, which ask for a bulk
    // transfer (every store starts empty): steady state only.
    c.RunFor(6'000'000);
    const InprocNetwork::Stats start = c.network().stats();
    // Member m renews at ticks m mod 100 of every 10 s.
    const uint64_t ticks_per_round = kRenewEvery / kTick;
    for (uint64_t tick = 0; tick < kSeconds * 1000 / kTick; ++tick) {
      for (int m = static_cast<int>(tick % ticks_per_round); m < members; m += static_cast<int>(ticks_per_round)) {
        if (!track(m).ok()) state.SkipWithError("renewal failed");
      }
      c.RunFor(kTick * 1000);
    }
    const InprocNetwork::Stats end = c.network().stats();
    state.counters["bytes_per_s_per_replica"] =
        static_cast<double>(end.bytes_published - start.bytes_published) / kSeconds / 3;
    state.counters["msgs_per_s_per_replica"] = static_cast<double>(end.published - start.published) / kSeconds / 3;
    state.counters["renewals_per_s_per_replica"] = static_cast<double>(members) / (kRenewEvery / 1000.0) / 3;

    // us-east-1 dies; the others keep renewing theirs. How long until no
    // live region lists a member tracked by us-east-1?
    c.Crash(0);
    const uint64_t crashed_at = c.env().WallMillis();
    auto dead_listed = [&] {
      for (size_t i = 1; i < 3; ++i) {
        for (int g = 0; g < 100; ++g) {
          for (const PresenceEntry& e : c.node(i).presence().List("room-" + std::to_string(g))) {
            if (e.replica == "us-east-1/a") return true;
          }
        }
      }
      return false;
    };
    uint64_t tick = 0;
    while (dead_listed() && c.env().WallMillis() - crashed_at < 2 * kTtl) {
      for (int m = static_cast<int>(tick % ticks_per_round); m < members; m += static_cast<int>(ticks_per_round)) {
        if (m % 3 != 0) (void)track(m);
      }
      c.RunFor(kTick * 1000);
      ++tick;
    }
    state.counters["gone_everywhere_after_death_ms"] = static_cast<double>(c.env().WallMillis() - crashed_at);
    size_t survivors = 0;
    for (int g = 0; g < 100; ++g) survivors += c.node(1).presence().Count("room-" + std::to_string(g));
    state.counters["survivors_listed"] = static_cast<double>(survivors);
  }
}
BENCHMARK(BM_PresenceRenewals)
    ->Args({100'000, 1, 0})
    ->Args({100'000, 0, 0})
    ->Args({100'000, 1, 1})
    ->Args({100'000, 0, 1})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace regionsync

BENCHMARK_MAIN();

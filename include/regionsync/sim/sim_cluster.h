// SimCluster: N replicas over the in-process broker on one thread, in
// virtual time from one seed. The building block of the simulator, the
// failure-mode tests and the demo.
//
//   SimCluster c(/*seed=*/1, {"us-east-1/a", "eu-west-1/a"});
//   c.node(0).replica().Increment("n", 5);
//   c.network().Partition({{"us-east-1/a"}, {"eu-west-1/a"}});
//   c.RunFor(2'000'000);
//   c.network().Heal();
//   bool ok = c.RunUntilConverged(30'000'000);
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "regionsync/broker/inproc_broker.h"
#include "regionsync/common/env.h"
#include "regionsync/store/store.h"
#include "regionsync/sync/sync_node.h"
#include "regionsync/sync/wire/key_ring.h"

namespace regionsync {

struct SimClusterOptions {
  SyncOptions sync;  // name is filled per replica
  InprocOptions network{.visibility_timeout_micros = 2'000'000, .max_receive_count = 20};
};

class SimCluster {
 public:
  SimCluster(uint64_t seed, std::vector<std::string> names, SimClusterOptions options = {});
  ~SimCluster();

  SimEnv& env() { return env_; }
  // Replica i's wall clock runs `skew` ms off the cluster's (it reads
  // env().WallMillis() + skew); its timers and monotonic clock are the cluster's.
  void SetWallSkewMillis(size_t i, int64_t skew) { slots_[i].env->skew = skew; }
  uint64_t WallMillis(size_t i) { return slots_[i].env->WallMillis(); }
  InprocNetwork& network() { return network_; }
  size_t size() const { return slots_.size(); }
  const std::string& name(size_t i) const { return slots_[i].name; }
  // REQUIRES: up(i).
  SyncNode& node(size_t i) { return *slots_[i].node; }
  bool up(size_t i) const { return slots_[i].node != nullptr; }

  void RunFor(uint64_t micros) { env_.RunFor(micros); }
  // Crash: the process dies; volatile state is lost, the store is kept.
  void Crash(size_t i);
  // Starts a crashed replica again on its store.
  Status Restart(size_t i);
  // The replica's disk is replaced: a new empty store, hence a new epoch.
  // REQUIRES: !up(i).
  void WipeStore(size_t i) { slots_[i].store = NewMemoryStore(); }

  // True if every live replica holds byte-identical state for every key.
  bool Converged() const;
  // Runs (virtual time) until Converged() and nothing is in flight or unsent,
  // checking every 10 ms. Returns false at the deadline.
  bool RunUntilConverged(uint64_t deadline_micros);
  // A canonical dump of replica i: "key type hex(encoding)" per line.
  std::string Dump(size_t i) const;
  uint64_t BytesPublished() const { return network_.stats().bytes_published; }
  // What every replica published since the start, by purpose (crashed
  // processes included).
  struct Traffic {
    uint64_t delta_bytes = 0, repair_bytes = 0, digest_bytes = 0;
    void Add(const PublisherStats& p) {
      delta_bytes += p.delta_bytes;
      repair_bytes += p.repair_bytes;
      digest_bytes += p.digest_bytes;
    }
  };
  Traffic traffic() const;

 private:
  // The cluster's SimEnv with one replica's wall-clock error.
  struct SkewedEnv final : Env {
    explicit SkewedEnv(SimEnv* base) : base(base) {}
    uint64_t WallMillis() override { return base->WallMillis() + skew; }
    uint64_t MonotonicMicros() override { return base->MonotonicMicros(); }
    uint64_t Random64() override { return base->Random64(); }
    std::string BootId() override { return base->BootId(); }
    TimerId Schedule(uint64_t delay_micros, std::function<void()> fn) override {
      return base->Schedule(delay_micros, std::move(fn));
    }
    void Cancel(TimerId id) override { base->Cancel(id); }
    SimEnv* base;
    int64_t skew = 0;
  };
  struct Slot {
    std::string name;
    std::unique_ptr<SkewedEnv> env;
    std::unique_ptr<Store> store;
    std::unique_ptr<Broker> broker;
    std::unique_ptr<SyncNode> node;
  };
  bool Quiet() const;

  SimEnv env_;
  InprocNetwork network_;
  KeyRing keys_;
  SimClusterOptions options_;
  std::vector<Slot> slots_;
  Traffic crashed_traffic_;  // of processes that crashed
};

}  // namespace regionsync

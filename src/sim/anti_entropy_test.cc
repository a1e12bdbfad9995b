// Anti-entropy at the scale of a cluster (docs/sync.md, "Anti-entropy"): what
// a loss costs, what deltas in flight cost (nothing), who answers a replica
// that lost its store, and what a cluster at rest sends.
#include <gtest/gtest.h>

#include "regionsync/sim/sim_cluster.h"

namespace regionsync {
namespace {

constexpr uint64_t kSecond = 1'000'000;

std::vector<std::string> Names(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("region-" + std::to_string(i) + "/a");
  return out;
}

void Write(SimCluster& c, size_t i, int keys, const std::string& prefix = "k") {
  std::lock_guard lock(c.node(i).mutex());
  for (int k = 0; k < keys; ++k) ASSERT_TRUE(c.node(i).replica().Increment(prefix + std::to_string(k), 1).ok());
}

uint64_t StatesSent(SimCluster& c) {
  uint64_t n = 0;
  for (size_t i = 0; i < c.size(); ++i) n += c.node(i).anti_entropy().stats().states_sent;
  return n;
}

// Past the first digests, which ask for a bulk transfer (every store starts empty).
void Settle(SimCluster& c) {
  c.RunFor(5 * kSecond);
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
}

TEST(AntiEntropyTest, OneLostMessageIsRepairedByResendingThatMessage) {
  SimCluster c(1, Names(3));
  Settle(c);
  Write(c, 0, 2000);
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  const uint64_t states_before = StatesSent(c);
  const SimCluster::Traffic before = c.traffic();
  // One write's message reaches region-1 but not region-2.
  c.network().Partition({{"region-0/a", "region-1/a"}, {"region-2/a"}});
  Write(c, 0, 1, "lost");
  c.RunFor(60'000);  // one flush
  c.network().Heal();
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  const SimCluster::Traffic after = c.traffic();
  EXPECT_EQ(StatesSent(c), states_before) << "no bucket was sent";
  EXPECT_EQ(c.node(0).publisher().stats().resent, 1u);
  EXPECT_EQ(c.node(2).anti_entropy().stats().sequences_requested, 1u);
  EXPECT_EQ(c.node(2).anti_entropy().stats().sequences_given_up, 0u);
  // The resent message and the request: a few hundred bytes, not a bucket of 2000/64 keys.
  EXPECT_LT(after.repair_bytes - before.repair_bytes, 1500u);
}

TEST(AntiEntropyTest, DeltasInFlightCauseNoRepair) {
  SimCluster c(2, Names(3));
  Settle(c);
  c.network().SetFaults({.min_delay_micros = 0, .max_delay_micros = 400'000});  // reordered, late, never lost
  const uint64_t states_before = StatesSent(c);
  for (int round = 0; round < 100; ++round) {
    for (size_t i = 0; i < c.size(); ++i) Write(c, i, 50, "r" + std::to_string(round % 7) + "-");
    c.RunFor(100'000);
  }
  c.network().SetFaults({});
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  EXPECT_EQ(StatesSent(c), states_before);
  uint64_t unsettled = 0, requested = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    unsettled += c.node(i).anti_entropy().stats().unsettled_digests;
    requested += c.node(i).anti_entropy().stats().sequences_requested;
  }
  EXPECT_GT(unsettled, 0u) << "the digests of a busy cluster are not compared";
  EXPECT_EQ(requested, 0u) << "a message late by less than the grace is not asked for";
}

TEST(AntiEntropyTest, AReplicaThatLostItsStoreGetsEachBucketFromOnePeer) {
  SimCluster c(3, Names(4));
  Settle(c);
  constexpr int kKeys = 3000;
  Write(c, 0, kKeys);
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  const uint64_t states_before = StatesSent(c);
  c.Crash(3);
  c.WipeStore(3);
  ASSERT_TRUE(c.Restart(3).ok());
  ASSERT_TRUE(c.RunUntilConverged(60 * kSecond));
  const uint64_t sent = StatesSent(c) - states_before;
  EXPECT_GE(sent, static_cast<uint64_t>(kKeys));
  EXPECT_LT(sent, static_cast<uint64_t>(kKeys) * 3 / 2) << "three peers hold every key; about one sends each";
}

TEST(AntiEntropyTest, SixtyFourReplicasAtRestSendUnderOneKilobytePerSecondEach) {
  SimCluster c(4, Names(64));
  Settle(c);
  for (size_t i = 0; i < c.size(); i += 8) Write(c, i, 100, "n" + std::to_string(i) + "-");
  ASSERT_TRUE(c.RunUntilConverged(60 * kSecond));
  c.RunFor(5 * kSecond);
  const SimCluster::Traffic before = c.traffic();
  const uint64_t states_before = StatesSent(c);
  constexpr uint64_t kSeconds = 30;
  c.RunFor(kSeconds * kSecond);
  const SimCluster::Traffic after = c.traffic();
  const uint64_t bytes = (after.delta_bytes + after.repair_bytes + after.digest_bytes) -
                         (before.delta_bytes + before.repair_bytes + before.digest_bytes);
  const uint64_t per_replica_per_second = bytes / c.size() / kSeconds;
  std::cout << "64 replicas at rest: " << per_replica_per_second << " bytes/s sent per replica\n";
  EXPECT_LT(per_replica_per_second, 1024u);
  EXPECT_EQ(after.repair_bytes, before.repair_bytes);
  EXPECT_EQ(StatesSent(c), states_before);
}

}  // namespace
}  // namespace regionsync

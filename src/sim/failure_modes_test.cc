// One test per failure mode of the contract (DESIGN.md section 1). Each shows
// the temporary divergence, then the convergence after the fault ends.
#include <gtest/gtest.h>

#include "regionsync/sim/sim_cluster.h"

namespace regionsync {
namespace {

constexpr uint64_t kSecond = 1'000'000;
const std::vector<std::string> kRegions = {"us-east-1/a", "us-west-2/a", "eu-west-1/a"};

int64_t Counter(SimCluster& c, size_t i, const std::string& key) {
  const AnyCrdt* v = c.node(i).replica().Find(key);
  return v == nullptr ? 0 : std::get<PnCounter>(*v).Value();
}

TEST(FailureModesTest, BrokerOutageWithBacklog) {
  SimCluster c(11, kRegions);
  c.network().SetOutage(true);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(c.node(i % 3).replica().Increment("sessions", 1).ok());
  c.RunFor(3 * kSecond);
  // Every region kept serving its own writes; none heard the others.
  EXPECT_EQ(Counter(c, 0, "sessions"), 34);
  EXPECT_EQ(Counter(c, 1, "sessions"), 33);
  EXPECT_GT(c.node(0).replica().outbox_keys(), 0u);
  EXPECT_FALSE(c.Converged());
  c.network().SetOutage(false);
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Counter(c, i, "sessions"), 100);
  EXPECT_EQ(c.node(0).replica().outbox_keys(), 0u);
}

TEST(FailureModesTest, PartialDeliveryIsRepairedByAntiEntropy) {
  SimCluster c(12, kRegions);
  // eu-west-1 loses every copy addressed to it for a while.
  c.network().Partition({{"eu-west-1/a"}, {"us-east-1/a", "us-west-2/a"}});
  ASSERT_TRUE(c.node(0).replica().Add("online", "alice").ok());
  ASSERT_TRUE(c.node(1).replica().Increment("sessions", 7).ok());
  c.RunFor(2 * kSecond);
  EXPECT_EQ(c.node(2).replica().Find("online"), nullptr);
  EXPECT_EQ(Counter(c, 1, "sessions"), 7);
  EXPECT_EQ(Counter(c, 2, "sessions"), 0);
  c.network().Heal();
  // The dropped deltas are never resent: only anti-entropy can repair this.
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  EXPECT_EQ(Counter(c, 2, "sessions"), 7);
  EXPECT_TRUE(std::get<OrSet>(*c.node(2).replica().Find("online")).Contains("alice"));
  EXPECT_GT(c.node(2).anti_entropy().stats().digests_received, 0u);
}

TEST(FailureModesTest, SplitBrainBothSidesWriteThenUnify) {
  SimCluster c(13, kRegions);
  ASSERT_TRUE(c.node(0).replica().Add("online", "apple").ok());
  ASSERT_TRUE(c.RunUntilConverged(10 * kSecond));
  c.network().Partition({{"us-east-1/a"}, {"us-west-2/a", "eu-west-1/a"}});
  ASSERT_TRUE(c.node(0).replica().Remove("online", "apple").ok());
  ASSERT_TRUE(c.node(1).replica().Add("online", "apple").ok());  // concurrent re-add
  ASSERT_TRUE(c.node(0).replica().Increment("n", 2).ok());
  ASSERT_TRUE(c.node(2).replica().Increment("n", 3).ok());
  ASSERT_TRUE(c.node(0).replica().Set("banner", "east").ok());
  c.RunFor(3 * kSecond);
  EXPECT_FALSE(std::get<OrSet>(*c.node(0).replica().Find("online")).Contains("apple"));
  EXPECT_EQ(Counter(c, 0, "n"), 2);
  EXPECT_EQ(Counter(c, 2, "n"), 3);
  EXPECT_FALSE(c.Converged());
  c.network().Heal();
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::get<OrSet>(*c.node(i).replica().Find("online")).Contains("apple")) << "add wins";
    EXPECT_EQ(Counter(c, i, "n"), 5);
    EXPECT_EQ(std::get<LwwRegister>(*c.node(i).replica().Find("banner")).Value(), "east");
  }
}

TEST(FailureModesTest, DuplicateStormCountsEachWriteOnceAndFiresNoExtraEvents) {
  SimCluster c(14, kRegions);
  int events = 0;
  c.node(2).replica().Subscribe([&](const ChangeEvent& e) {
    if (!e.local) ++events;
  });
  c.network().SetFaults({.duplicate = 1.0, .max_delay_micros = 200'000});
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(c.node(0).replica().Increment("sessions", 1).ok());
    c.RunFor(60'000);  // one flush per write: 50 messages, each delivered twice
  }
  c.RunFor(kSecond);
  EXPECT_GE(c.network().stats().duplicated, 50u);
  c.network().SetFaults({});
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Counter(c, i, "sessions"), 50);
  // Each of the 50 changes fired one event; the duplicates fired none.
  EXPECT_LE(events, 50);
  EXPECT_GE(events, 1);
}

TEST(FailureModesTest, CrashLosesNothingCommittedAndRestartRepublishesOutbox) {
  SimCluster c(15, kRegions);
  c.network().SetOutage(true);
  ASSERT_TRUE(c.node(0).replica().Increment("sessions", 5).ok());
  ASSERT_TRUE(c.node(0).replica().Commit().ok());  // acknowledged, not yet published
  ASSERT_TRUE(c.node(0).replica().Increment("sessions", 100).ok());  // never committed
  c.Crash(0);
  c.network().SetOutage(false);
  ASSERT_TRUE(c.Restart(0).ok());
  EXPECT_EQ(Counter(c, 0, "sessions"), 5);
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Counter(c, i, "sessions"), 5);
}

TEST(FailureModesTest, LostStoreGetsNewEpochAndCatchesUp) {
  SimCluster c(16, kRegions);
  ASSERT_TRUE(c.node(0).replica().Increment("sessions", 4).ok());
  ASSERT_TRUE(c.RunUntilConverged(10 * kSecond));
  uint64_t old_epoch = c.node(0).replica().id().epoch();
  c.Crash(0);
  c.WipeStore(0);
  ASSERT_TRUE(c.Restart(0).ok());
  EXPECT_NE(c.node(0).replica().id().epoch(), old_epoch);
  EXPECT_EQ(c.node(0).replica().Find("sessions"), nullptr);
  ASSERT_TRUE(c.node(0).replica().Increment("sessions", 1).ok());  // a new slot, not the old one
  ASSERT_TRUE(c.RunUntilConverged(30 * kSecond));
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Counter(c, i, "sessions"), 5);
}

}  // namespace
}  // namespace regionsync

// Presence: leases that end in every region at one time, held renewals,
// leaves, owner death and restarts with a new epoch.
#include "regionsync/sync/presence.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sync/replica_test_util.h"

namespace regionsync {
namespace {

using testing_util::OpenReplica;
using testing_util::Ship;

std::vector<std::string> Members(const Presence& p, std::string_view group) {
  std::vector<std::string> out;
  for (const PresenceEntry& e : p.List(group)) out.push_back(e.member + "@" + e.replica);
  return out;
}

class PresenceTest : public ::testing::Test {
 protected:
  PresenceTest() {
    pa_->set_listener([this](const PresenceChange& c) {
      changes_a_.push_back(std::string(c.joined ? "join " : "leave ") + std::string(c.member));
    });
    pb_->set_listener([this](const PresenceChange& c) {
      changes_b_.push_back(std::string(c.joined ? "join " : "leave ") + std::string(c.member) + "@" +
                           std::string(c.replica));
    });
  }
  uint64_t Now() { return env_.WallMillis(); }
  void Advance(uint64_t millis) { env_.RunFor(millis * 1000); }

  SimEnv env_{5};
  std::unique_ptr<Store> store_a_ = NewMemoryStore(), store_b_ = NewMemoryStore();
  std::unique_ptr<Replica> a_ = OpenReplica(&env_, "us-east-1/a", store_a_.get());
  std::unique_ptr<Replica> b_ = OpenReplica(&env_, "eu-west-1/a", store_b_.get());
  std::unique_ptr<Presence> pa_ = std::make_unique<Presence>(a_.get(), &env_);
  std::unique_ptr<Presence> pb_ = std::make_unique<Presence>(b_.get(), &env_);
  std::vector<std::string> changes_a_, changes_b_;
};

TEST_F(PresenceTest, KeysNameGroupTrackerAndMember) {
  std::string key = Presence::KeyFor("room", "us-east-1/a#00000000000000ff", "al:ice");
  EXPECT_EQ(key, "presence:room:us-east-1/a#00000000000000ff:al:ice");
  std::string_view group, tracker, member;
  ASSERT_TRUE(Presence::ParseKey(key, &group, &tracker, &member));
  EXPECT_EQ(group, "room");
  EXPECT_EQ(Presence::ReplicaName(tracker), "us-east-1/a");
  EXPECT_EQ(member, "al:ice");
  EXPECT_FALSE(Presence::ParseKey("presence:room", &group, &tracker, &member));
  EXPECT_FALSE(Presence::ParseKey("sessions", &group, &tracker, &member));
}

TEST_F(PresenceTest, BadInputIsRefusedAndChangesNothing) {
  EXPECT_EQ(pa_->Track("", "alice", "{}", 1000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pa_->Track("a:b", "alice", "{}", 1000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pa_->Track("room", "al/ice", "{}", 1000).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pa_->Track("room", "alice", "{}", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(pa_->Track("room", "alice", "{}", Presence::kMaxTtlMillis + 1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(a_->Keys().empty());
  EXPECT_EQ(a_->local_writes(), 0u);
}

TEST_F(PresenceTest, AMemberIsListedEverywhereUntilItsLeaseEndsEverywhere) {
  Result<Presence::Tracked> t = pa_->Track("room", "alice", R"({"device":"phone"})", 10'000);
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->joined);
  EXPECT_EQ(t->expires_at_millis, Now() + 10'000);
  Ship(*a_, *b_);
  ASSERT_EQ(pb_->List("room").size(), 1u);
  PresenceEntry e = pb_->List("room")[0];
  EXPECT_EQ(e.member, "alice");
  EXPECT_EQ(e.replica, "us-east-1/a");
  EXPECT_EQ(e.meta, R"({"device":"phone"})");
  EXPECT_EQ(e.expires_at_millis, t->expires_at_millis);
  EXPECT_EQ(pb_->Count("room"), 1u);
  EXPECT_EQ(changes_b_, std::vector<std::string>{"join alice@us-east-1/a"});

  // The tracking replica dies: nothing more is sent, yet b drops the member
  // at the lease end, and reclaiming it tells the listener.
  pa_.reset();
  a_.reset();
  Advance(9'999);
  EXPECT_EQ(pb_->Count("room"), 1u);
  Advance(1);
  EXPECT_TRUE(pb_->List("room").empty());
  EXPECT_EQ(pb_->Count("room"), 0u);
  b_->ExpireDue(100);
  EXPECT_EQ(changes_b_, (std::vector<std::string>{"join alice@us-east-1/a", "leave alice@us-east-1/a"}));
}

TEST_F(PresenceTest, RenewalsFarFromTheLeaseEndAreHeldAndWrittenTogether) {
  ASSERT_TRUE(pa_->Track("room", "alice", "{}", 30'000).ok());
  ASSERT_TRUE(pa_->Track("room", "bob", "{}", 30'000).ok());
  Ship(*a_, *b_);
  const uint64_t first_end = Now() + 30'000;
  Advance(10'000);
  const uint64_t writes = a_->local_writes();
  for (const char* m : {"alice", "bob"}) {
    Result<Presence::Tracked> t = pa_->Track("room", m, "{}", 30'000);
    ASSERT_TRUE(t.ok());
    EXPECT_FALSE(t->joined);
    EXPECT_EQ(t->expires_at_millis, Now() + 30'000);
  }
  EXPECT_EQ(a_->local_writes(), writes) << "held, not written";
  EXPECT_EQ(pa_->held_renewals(), 2u);
  EXPECT_EQ(pa_->List("room")[0].expires_at_millis, first_end);
  EXPECT_EQ(pa_->FlushRenewals(), 2u);
  EXPECT_EQ(pa_->held_renewals(), 0u);
  Ship(*a_, *b_);
  for (const PresenceEntry& e : pb_->List("room")) EXPECT_EQ(e.expires_at_millis, Now() + 30'000) << e.member;
  EXPECT_EQ(changes_b_.size(), 2u) << "a renewal is no join";
}

TEST_F(PresenceTest, ARenewalCloseToTheLeaseEndIsWrittenAtOnce) {
  ASSERT_TRUE(pa_->Track("room", "alice", "{}", 5'000).ok());
  Advance(1'000);
  const uint64_t writes = a_->local_writes();
  ASSERT_TRUE(pa_->Track("room", "alice", "{}", 5'000).ok());
  EXPECT_EQ(a_->local_writes(), writes + 1);
  EXPECT_EQ(pa_->held_renewals(), 0u);
  EXPECT_EQ(pa_->List("room")[0].expires_at_millis, Now() + 5'000);
}

TEST_F(PresenceTest, NewMetaIsWrittenAtOnce) {
  ASSERT_TRUE(pa_->Track("room", "alice", R"({"s":"away"})", 60'000).ok());
  ASSERT_TRUE(pa_->Track("room", "alice", R"({"s":"busy"})", 60'000).ok());
  EXPECT_EQ(pa_->held_renewals(), 0u);
  Ship(*a_, *b_);
  EXPECT_EQ(pb_->List("room")[0].meta, R"({"s":"busy"})");
}

TEST_F(PresenceTest, LeaveEndsTheLeaseInEveryRegionAndDropsAHeldRenewal) {
  ASSERT_TRUE(pa_->Track("room", "alice", "{}", 60'000).ok());
  Ship(*a_, *b_);
  Advance(1'000);
  ASSERT_TRUE(pa_->Track("room", "alice", "{}", 60'000).ok());
  EXPECT_EQ(pa_->held_renewals(), 1u);
  EXPECT_TRUE(*pa_->Leave("room", "alice"));
  EXPECT_EQ(pa_->held_renewals(), 0u);
  EXPECT_FALSE(*pa_->Leave("room", "alice"));
  EXPECT_TRUE(pa_->List("room").empty());
  EXPECT_EQ(changes_a_, (std::vector<std::string>{"join alice", "leave alice"}));
  Ship(*a_, *b_);
  EXPECT_TRUE(pb_->List("room").empty());
  EXPECT_EQ(pa_->FlushRenewals(), 0u);
  // Joining again starts a new lease in both.
  Result<Presence::Tracked> again = pa_->Track("room", "alice", "{}", 60'000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->joined);
  Ship(*a_, *b_);
  EXPECT_EQ(pb_->Count("room"), 1u);
}

TEST_F(PresenceTest, OneMemberTrackedByTwoReplicasCountsOnce) {
  ASSERT_TRUE(pa_->Track("room", "alice", "{}", 60'000).ok());
  ASSERT_TRUE(pb_->Track("room", "alice", "{}", 60'000).ok());
  ASSERT_TRUE(pb_->Track("room", "bob", "{}", 60'000).ok());
  Ship(*a_, *b_);
  Ship(*b_, *a_);
  for (Presence* p : {pa_.get(), pb_.get()}) {
    EXPECT_EQ(Members(*p, "room"),
              (std::vector<std::string>{"alice@eu-west-1/a", "alice@us-east-1/a", "bob@eu-west-1/a"}));
    EXPECT_EQ(p->Count("room"), 2u);
    EXPECT_TRUE(p->List("other").empty());
  }
}

TEST_F(PresenceTest, ARestartKeepsTheIndexAndANewEpochDoesNotRenewOldLeases) {
  ASSERT_TRUE(pa_->Track("room", "alice", "{}", 20'000).ok());
  ASSERT_TRUE(a_->Commit().ok());
  Ship(*a_, *b_);
  // Same store: the index is rebuilt from the keys.
  pa_.reset();
  a_ = OpenReplica(&env_, "us-east-1/a", store_a_.get());
  pa_ = std::make_unique<Presence>(a_.get(), &env_);
  EXPECT_EQ(Members(*pa_, "room"), std::vector<std::string>{"alice@us-east-1/a"});
  // Store lost: a new epoch. Its client joins again; the old lease is not
  // renewed by it and runs out, in b as everywhere.
  pa_.reset();
  std::unique_ptr<Store> fresh = NewMemoryStore();
  a_ = OpenReplica(&env_, "us-east-1/a", fresh.get());
  pa_ = std::make_unique<Presence>(a_.get(), &env_);
  Advance(5'000);
  ASSERT_TRUE(pa_->Track("room", "alice", "{}", 20'000).ok());
  Ship(*a_, *b_);
  EXPECT_EQ(pb_->List("room").size(), 2u) << "old and new lease, one member";
  EXPECT_EQ(pb_->Count("room"), 1u);
  Advance(15'000);
  ASSERT_EQ(pb_->List("room").size(), 1u);
  EXPECT_EQ(pb_->List("room")[0].expires_at_millis, Now() + 5'000);
}

}  // namespace
}  // namespace regionsync

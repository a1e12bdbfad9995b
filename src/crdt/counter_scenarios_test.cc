// Named regression scenarios for the counters and the LWW register, as users
// describe them. Numbers follow the project's scenario list.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "regionsync/common/hlc.h"
#include "regionsync/common/replica_id.h"
#include "regionsync/crdt/g_counter.h"
#include "regionsync/crdt/lww_register.h"
#include "regionsync/crdt/pn_counter.h"

namespace regionsync {
namespace {

ActorId Actor(const char* name, uint64_t epoch = 1) {
  Result<ReplicaId> id = ReplicaId::Parse(name, epoch);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? id->actor() : 0;
}

// 1. A increments 10, B increments 5, they exchange state: both read 15, and
// a reference to A's counter taken before the exchange reads 15 after (the
// join updates the object in place; nothing is swapped out from under it).
TEST(CounterScenarios, Scenario1_ExchangeStateBothRead15) {
  const ActorId actor_a = Actor("us-east-1/a");
  const ActorId actor_b = Actor("eu-west-1/a");
  GCounter a, b;
  a.Increment(actor_a, 10);
  b.Increment(actor_b, 5);
  const GCounter& held = a;

  const GCounter a_state = a;  // what goes on the wire
  const GCounter b_state = b;
  EXPECT_TRUE(a.Join(b_state));
  EXPECT_TRUE(b.Join(a_state));

  EXPECT_EQ(a.Value(), 15u);
  EXPECT_EQ(b.Value(), 15u);
  EXPECT_EQ(held.Value(), 15u);
  EXPECT_EQ(a.Encode(), b.Encode());
  // Exchanging again is a duplicate: no change, no event.
  EXPECT_FALSE(a.Join(b_state));
  EXPECT_FALSE(b.Join(a_state));
}

// 4. Two replicas in ONE region have separate slots: their increments add up
// instead of overwriting each other (one slot per replica, never per region).
TEST(CounterScenarios, Scenario4_TwoReplicasOfOneRegionAddUp_GCounter) {
  const ActorId actor_a = Actor("us-east-1/a");
  const ActorId actor_b = Actor("us-east-1/b");
  ASSERT_NE(actor_a, actor_b);
  GCounter a, b, c;  // c: a replica in a third region that only receives
  GCounter delta_a = a.Increment(actor_a, 5);
  GCounter delta_b = b.Increment(actor_b, 3);
  for (GCounter* r : {&a, &b, &c}) {
    r->Join(delta_a);
    r->Join(delta_b);
  }
  for (const GCounter* r : {&a, &b, &c}) {
    EXPECT_EQ(r->Value(), 8u);
    EXPECT_EQ(r->Slot(actor_a), 5u);
    EXPECT_EQ(r->Slot(actor_b), 3u);
    EXPECT_EQ(r->Encode(), a.Encode());
  }
}

TEST(CounterScenarios, Scenario4_TwoReplicasOfOneRegionAddUp_PnCounter) {
  const ActorId actor_a = Actor("us-east-1/a");
  const ActorId actor_b = Actor("us-east-1/b");
  PnCounter a, b, c;
  PnCounter delta_a = a.Increment(actor_a, 5);
  PnCounter delta_b = b.Increment(actor_b, 3);
  // Deliver in opposite orders, with a duplicate, to show order does not matter.
  a.Join(delta_b);
  b.Join(delta_a);
  c.Join(delta_b);
  c.Join(delta_a);
  c.Join(delta_b);
  for (const PnCounter* r : {&a, &b, &c}) {
    EXPECT_EQ(r->Value(), 8);
    EXPECT_EQ(r->Encode(), a.Encode());
  }
}

// 5a. Two writes with equal timestamps from different actors: every replica
// picks the same winner whatever the join order, the greater actor id.
TEST(CounterScenarios, Scenario5_EqualTimestampsGreaterActorWins) {
  const ActorId actor_a = Actor("us-east-1/a");
  const ActorId actor_b = Actor("eu-west-1/a");
  const HlcTimestamp ts = HlcFromMillis(1'700'000'000'000);
  LwwRegister ra, rb;
  LwwRegister write_a = ra.AssignAt(actor_a, ts, "from-a");
  LwwRegister write_b = rb.AssignAt(actor_b, ts, "from-b");
  const std::string expected = actor_a > actor_b ? "from-a" : "from-b";

  LwwRegister r1, r2, r3;
  r1.Join(write_a);
  r1.Join(write_b);
  r2.Join(write_b);
  r2.Join(write_a);
  r3.Join(write_b);
  r3.Join(write_a);
  r3.Join(write_b);
  ra.Join(write_b);
  rb.Join(write_a);
  for (const LwwRegister* r : {&ra, &rb, &r1, &r2, &r3}) {
    ASSERT_TRUE(r->Value().has_value());
    EXPECT_EQ(*r->Value(), expected);
    EXPECT_EQ(r->writer(), std::max(actor_a, actor_b));
    EXPECT_EQ(r->Encode(), r1.Encode());
  }
}

// 5b. A replica whose clock runs 60 s fast writes v1; another replica
// receives it and then writes v2 with its own slower clock. v2 was written
// after seeing v1, so it wins on every replica, in any delivery order.
TEST(CounterScenarios, Scenario5_WriteAfterSeeingFastClockWriteWins) {
  const ActorId fast_actor = Actor("ap-south-1/a");
  const ActorId slow_actor = Actor("us-east-1/a");
  const uint64_t wall_ms = 1'700'000'000'000;
  Hlc fast_clock, slow_clock;

  LwwRegister fast, slow, other;
  LwwRegister v1 = fast.Assign(fast_actor, fast_clock.Now(wall_ms + 60'000), "v1");
  ASSERT_TRUE(slow.Join(v1));
  const HlcTimestamp slow_now = slow_clock.Now(wall_ms + 1);
  ASSERT_LT(slow_now, v1.timestamp());  // the slow clock alone would lose
  LwwRegister v2 = slow.Assign(slow_actor, slow_now, "v2");
  EXPECT_GT(v2.timestamp(), v1.timestamp());

  EXPECT_TRUE(fast.Join(v2));
  other.Join(v2);
  other.Join(v1);  // late, out-of-order delivery of the older write
  for (const LwwRegister* r : {&fast, &slow, &other}) {
    ASSERT_TRUE(r->Value().has_value());
    EXPECT_EQ(*r->Value(), "v2");
    EXPECT_EQ(r->writer(), slow_actor);
    EXPECT_EQ(r->Encode(), slow.Encode());
  }
}

}  // namespace
}  // namespace regionsync

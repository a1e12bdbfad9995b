#include "regionsync/common/replica_id.h"

#include <gtest/gtest.h>

namespace regionsync {
namespace {

TEST(ReplicaIdTest, ParsesAndNames) {
  Result<ReplicaId> id = ReplicaId::Parse("us-east-1/a", 0x75bcd15);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->region(), "us-east-1");
  EXPECT_EQ(id->instance(), "a");
  EXPECT_EQ(id->name(), "us-east-1/a");
  EXPECT_EQ(id->ToString(), "us-east-1/a#00000000075bcd15");
  EXPECT_NE(id->actor(), 0u);
}

TEST(ReplicaIdTest, RejectsBadNames) {
  for (const char* bad : {"", "us-east-1", "/a", "us-east-1/", "US/a", "a/b c", "a/b/c"}) {
    EXPECT_FALSE(ReplicaId::Parse(bad, 1).ok()) << bad;
  }
}

TEST(ReplicaIdTest, TwoInstancesOfOneRegionAndTwoEpochsAreDistinctActors) {
  ActorId a = ReplicaId::Parse("eu-west-1/a", 1)->actor();
  ActorId b = ReplicaId::Parse("eu-west-1/b", 1)->actor();
  ActorId a2 = ReplicaId::Parse("eu-west-1/a", 2)->actor();
  EXPECT_NE(a, b);
  EXPECT_NE(a, a2);
  EXPECT_EQ(a, ReplicaId::Parse("eu-west-1/a", 1)->actor());
}

}  // namespace
}  // namespace regionsync

// The provisioning plan (what --dry-run prints) and the resource names.
#include "regionsync/broker/snssqs/provision.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace regionsync {
namespace {

int Count(const std::vector<PlanStep>& plan, std::string_view action) {
  return static_cast<int>(std::count_if(plan.begin(), plan.end(), [&](const PlanStep& s) { return s.action == action; }));
}

TEST(Provision, TopicPerRegionSubscribesEveryQueueToEveryTopic) {
  ProvisionSpec spec{.prefix = "rs", .replicas = {"us-east-1/a", "eu-west-1/a", "eu-west-1/b"}};
  std::vector<PlanStep> plan = PlanProvision(spec);
  EXPECT_EQ(Count(plan, "CreateTopic"), 2);
  EXPECT_EQ(Count(plan, "CreateQueue"), 6);  // queue + DLQ per replica
  EXPECT_EQ(Count(plan, "Subscribe"), 6);    // 3 queues x 2 topics
  EXPECT_EQ(TopicName(spec, "eu-west-1"), "rs-eu-west-1");
  EXPECT_EQ(QueueName(spec, "eu-west-1/b"), "rs-eu-west-1-b");
  EXPECT_EQ(DeadLetterQueueName(spec, "eu-west-1/b"), "rs-eu-west-1-b-dlq");
}

TEST(Provision, SharedTopicHasOneTopicInItsRegion) {
  ProvisionSpec spec{.topology = Topology::kSharedTopic,
                     .replicas = {"us-east-1/a", "eu-west-1/a"},
                     .shared_topic_region = "eu-west-1"};
  std::vector<PlanStep> plan = PlanProvision(spec);
  EXPECT_EQ(Count(plan, "CreateTopic"), 1);
  EXPECT_EQ(Count(plan, "Subscribe"), 2);
  EXPECT_EQ(TopicRegions(spec), std::vector<std::string>{"eu-west-1"});
  EXPECT_EQ(TopicName(spec, "any"), "regionsync-shared");
}

TEST(Provision, InvalidReplicaShowsInPlanAndFailsProvision) {
  ProvisionSpec spec{.replicas = {"no-slash"}};
  EXPECT_EQ(Count(PlanProvision(spec), "Invalid"), 1);
  EXPECT_FALSE(ReplicaRegion("no-slash").ok());
  EXPECT_EQ(ReplicaRegion("ap-south-1/x").value(), "ap-south-1");
}

}  // namespace
}  // namespace regionsync

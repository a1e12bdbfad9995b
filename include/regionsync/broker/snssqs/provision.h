// Provisioning of the SNS/SQS layout regionsync runs on, and its status.
// Idempotent: running it again finds what exists and changes nothing else.
//
// Topologies (docs/aws.md):
//  - kTopicPerRegion: one topic per region ("<prefix>-<region>"); every
//    replica publishes to its own region's topic and its queue is subscribed
//    to every region's topic. Losing a region stops only that region's
//    publishing.
//  - kSharedTopic: one topic ("<prefix>-shared") in shared_topic_region that
//    everyone publishes to. Fewer subscriptions; that region is a single
//    point of failure for publishing.
// Each replica gets a queue "<prefix>-<region>-<instance>" with a dead-letter
// queue ("...-dlq") and redrive policy, a queue policy that lets the topics
// deliver, and raw-delivery subscriptions.
//
//   ProvisionSpec spec{.replicas = {"us-east-1/a", "eu-west-1/a"}};
//   for (const PlanStep& s : PlanProvision(spec)) std::cout << s.ToString() << "\n";   // --dry-run
//   Result<ProvisionResult> done = Provision(spec, clients);
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "regionsync/broker/snssqs/aws_client.h"
#include "regionsync/common/status.h"

namespace regionsync {

enum class Topology { kTopicPerRegion, kSharedTopic };

struct ProvisionSpec {
  std::string prefix = "regionsync";
  Topology topology = Topology::kTopicPerRegion;
  std::vector<std::string> replicas;  // "<region>/<instance>"
  std::string shared_topic_region;    // kSharedTopic; default: the first replica's region
  int max_receive_count = 5;          // receives before a message moves to the DLQ
  int visibility_timeout_seconds = 30;
  int dlq_retention_seconds = 1'209'600;  // 14 days, the maximum
};

// "us-east-1/a" -> "us-east-1". InvalidArgument without a '/'.
Result<std::string> ReplicaRegion(std::string_view replica);
std::string TopicName(const ProvisionSpec& spec, std::string_view region);
std::string QueueName(const ProvisionSpec& spec, std::string_view replica);
std::string DeadLetterQueueName(const ProvisionSpec& spec, std::string_view replica);
// Regions that get a topic.
std::vector<std::string> TopicRegions(const ProvisionSpec& spec);

struct PlanStep {
  std::string region;
  std::string service;  // "sns" or "sqs"
  std::string action;   // "CreateTopic", ...
  std::string target;   // what it acts on
  std::string detail;
  std::string ToString() const;
};
// What Provision does, in order. InvalidArgument-free: a malformed replica
// name shows as a step with action "Invalid".
std::vector<PlanStep> PlanProvision(const ProvisionSpec& spec);

struct ProvisionedReplica {
  std::string replica;
  std::string region;
  std::string publish_topic_arn;  // where this replica publishes
  std::string queue_url, queue_arn;
  std::string dlq_url, dlq_arn;
};

struct ProvisionResult {
  std::map<std::string, std::string> topic_arns;  // region -> topic ARN
  std::vector<ProvisionedReplica> replicas;
  int subscriptions_created = 0;
};

// Returns the client for `service` ("sns"/"sqs") in `region`; it must live
// as long as the call that asked for it.
using AwsClientFor = std::function<AwsClient*(std::string_view service, std::string_view region)>;

// Creates whatever is missing. The first failing call's Status otherwise.
Result<ProvisionResult> Provision(const ProvisionSpec& spec, const AwsClientFor& clients);

struct QueueStatus {
  std::string replica;
  std::string queue_url;
  uint64_t visible = 0;     // ApproximateNumberOfMessages
  uint64_t in_flight = 0;   // ApproximateNumberOfMessagesNotVisible
  uint64_t delayed = 0;     // ApproximateNumberOfMessagesDelayed
  uint64_t dead_letters = 0;  // visible messages in the DLQ
};
Result<std::vector<QueueStatus>> QueueStatuses(const ProvisionSpec& spec, const AwsClientFor& clients);

}  // namespace regionsync

#include "regionsync/broker/snssqs/provision.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "regionsync/broker/snssqs/sns_protocol.h"
#include "regionsync/broker/snssqs/sqs_protocol.h"

namespace regionsync {
namespace {

using nlohmann::json;

std::string Sanitize(std::string_view s) {
  // SQS and SNS names allow [A-Za-z0-9_-]; '/' in replica ids becomes '-'.
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    out.push_back(ok ? c : '-');
  }
  return out;
}

std::string SharedRegion(const ProvisionSpec& spec) {
  if (!spec.shared_topic_region.empty()) return spec.shared_topic_region;
  for (const std::string& r : spec.replicas) {
    if (Result<std::string> region = ReplicaRegion(r); region.ok()) return *region;
  }
  return "us-east-1";
}

Result<std::string> CreateQueue(AwsClient* sqs, const std::string& name) {
  // No attributes here: CreateQueue fails on an existing queue whose
  // attributes differ, SetQueueAttributes afterwards never does.
  Result<std::string> answer = sqs->CallSqs(SqsGeneric("CreateQueue", json{{"QueueName", name}}.dump()));
  if (!answer.ok()) return answer.status();
  return ParseSqsStringField(*answer, "QueueUrl");
}

Result<std::vector<std::pair<std::string, std::string>>> Attributes(AwsClient* sqs, const std::string& url,
                                                                    const std::vector<std::string>& names) {
  Result<std::string> answer =
      sqs->CallSqs(SqsGeneric("GetQueueAttributes", json{{"QueueUrl", url}, {"AttributeNames", names}}.dump()));
  if (!answer.ok()) return answer.status();
  return ParseSqsAttributes(*answer);
}

Result<std::string> QueueArn(AwsClient* sqs, const std::string& url) {
  auto attrs = Attributes(sqs, url, {"QueueArn"});
  if (!attrs.ok()) return attrs.status();
  for (auto& [k, v] : *attrs) {
    if (k == "QueueArn") return v;
  }
  return Unavailable("GetQueueAttributes gave no QueueArn for " + url);
}

uint64_t Number(const std::vector<std::pair<std::string, std::string>>& attrs, std::string_view name) {
  for (auto& [k, v] : attrs) {
    uint64_t n = 0;
    if (k == name && std::from_chars(v.data(), v.data() + v.size(), n).ec == std::errc()) return n;
  }
  return 0;
}

}  // namespace

Result<std::string> ReplicaRegion(std::string_view replica) {
  size_t slash = replica.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == replica.size()) {
    return InvalidArgument("replica '" + std::string(replica) + "' is not <region>/<instance>");
  }
  return std::string(replica.substr(0, slash));
}

std::string TopicName(const ProvisionSpec& spec, std::string_view region) {
  return spec.topology == Topology::kSharedTopic ? Sanitize(spec.prefix + "-shared")
                                                 : Sanitize(spec.prefix + "-" + std::string(region));
}
std::string QueueName(const ProvisionSpec& spec, std::string_view replica) {
  return Sanitize(spec.prefix + "-" + std::string(replica));
}
std::string DeadLetterQueueName(const ProvisionSpec& spec, std::string_view replica) {
  return QueueName(spec, replica) + "-dlq";
}

std::vector<std::string> TopicRegions(const ProvisionSpec& spec) {
  if (spec.topology == Topology::kSharedTopic) return {SharedRegion(spec)};
  std::vector<std::string> regions;
  for (const std::string& r : spec.replicas) {
    Result<std::string> region = ReplicaRegion(r);
    if (region.ok() && std::find(regions.begin(), regions.end(), *region) == regions.end()) regions.push_back(*region);
  }
  return regions;
}

std::string PlanStep::ToString() const {
  return region + "  " + service + ":" + action + "  " + target + (detail.empty() ? "" : "  (" + detail + ")");
}

std::vector<PlanStep> PlanProvision(const ProvisionSpec& spec) {
  std::vector<PlanStep> plan;
  std::vector<std::string> topic_regions = TopicRegions(spec);
  for (const std::string& region : topic_regions) {
    plan.push_back({region, "sns", "CreateTopic", TopicName(spec, region), "idempotent"});
  }
  for (const std::string& replica : spec.replicas) {
    Result<std::string> region = ReplicaRegion(replica);
    if (!region.ok()) {
      plan.push_back({"?", "-", "Invalid", replica, region.status().message()});
      continue;
    }
    std::string q = QueueName(spec, replica), dlq = DeadLetterQueueName(spec, replica);
    plan.push_back({*region, "sqs", "CreateQueue", dlq, "dead-letter queue"});
    plan.push_back({*region, "sqs", "SetQueueAttributes", dlq,
                    "MessageRetentionPeriod=" + std::to_string(spec.dlq_retention_seconds)});
    plan.push_back({*region, "sqs", "CreateQueue", q, ""});
    std::string topics;
    for (const std::string& tr : topic_regions) topics += (topics.empty() ? "" : ",") + TopicName(spec, tr);
    plan.push_back({*region, "sqs", "SetQueueAttributes", q,
                    "RedrivePolicy(deadLetterTarget=" + dlq + ", maxReceiveCount=" +
                        std::to_string(spec.max_receive_count) + "), VisibilityTimeout=" +
                        std::to_string(spec.visibility_timeout_seconds) + ", Policy(allow sns:SendMessage from " +
                        topics + ")"});
    for (const std::string& tr : topic_regions) {
      plan.push_back({tr, "sns", "Subscribe", TopicName(spec, tr) + " -> " + q,
                      "protocol sqs, RawMessageDelivery=true, unless already subscribed"});
    }
  }
  return plan;
}

Result<ProvisionResult> Provision(const ProvisionSpec& spec, const AwsClientFor& clients) {
  if (spec.replicas.empty()) return InvalidArgument("no replicas to provision");
  ProvisionResult out;
  for (const std::string& region : TopicRegions(spec)) {
    Result<std::string> answer = clients("sns", region)->CallSns(SnsQueryBody("CreateTopic", {{"Name", TopicName(spec, region)}}));
    if (!answer.ok()) return answer.status();
    Result<std::string> arn = ParseSnsResultField(*answer, "CreateTopic", "TopicArn");
    if (!arn.ok()) return arn.status();
    out.topic_arns[region] = *arn;
  }
  json topic_arn_list = json::array();
  for (auto& [region, arn] : out.topic_arns) topic_arn_list.push_back(arn);

  for (const std::string& replica : spec.replicas) {
    Result<std::string> region = ReplicaRegion(replica);
    if (!region.ok()) return region.status();
    AwsClient* sqs = clients("sqs", *region);
    ProvisionedReplica p{.replica = replica, .region = *region};
    p.publish_topic_arn =
        spec.topology == Topology::kSharedTopic ? out.topic_arns.begin()->second : out.topic_arns[*region];

    Result<std::string> dlq = CreateQueue(sqs, DeadLetterQueueName(spec, replica));
    if (!dlq.ok()) return dlq.status();
    p.dlq_url = *dlq;
    Result<std::string> dlq_arn = QueueArn(sqs, p.dlq_url);
    if (!dlq_arn.ok()) return dlq_arn.status();
    p.dlq_arn = *dlq_arn;
    Result<std::string> set = sqs->CallSqs(SqsGeneric(
        "SetQueueAttributes",
        json{{"QueueUrl", p.dlq_url},
             {"Attributes", {{"MessageRetentionPeriod", std::to_string(spec.dlq_retention_seconds)}}}}
            .dump()));
    if (!set.ok()) return set.status();

    Result<std::string> queue = CreateQueue(sqs, QueueName(spec, replica));
    if (!queue.ok()) return queue.status();
    p.queue_url = *queue;
    Result<std::string> queue_arn = QueueArn(sqs, p.queue_url);
    if (!queue_arn.ok()) return queue_arn.status();
    p.queue_arn = *queue_arn;
    json policy = {{"Version", "2012-10-17"},
                   {"Statement",
                    {{{"Sid", "regionsync-sns-delivery"},
                      {"Effect", "Allow"},
                      {"Principal", {{"Service", "sns.amazonaws.com"}}},
                      {"Action", "sqs:SendMessage"},
                      {"Resource", p.queue_arn},
                      {"Condition", {{"ArnEquals", {{"aws:SourceArn", topic_arn_list}}}}}}}}};
    json redrive = {{"deadLetterTargetArn", p.dlq_arn}, {"maxReceiveCount", std::to_string(spec.max_receive_count)}};
    set = sqs->CallSqs(SqsGeneric(
        "SetQueueAttributes",
        json{{"QueueUrl", p.queue_url},
             {"Attributes",
              {{"RedrivePolicy", redrive.dump()},
               {"Policy", policy.dump()},
               {"VisibilityTimeout", std::to_string(spec.visibility_timeout_seconds)}}}}
            .dump()));
    if (!set.ok()) return set.status();

    for (auto& [topic_region, topic_arn] : out.topic_arns) {
      AwsClient* sns = clients("sns", topic_region);
      Result<std::string> list = sns->CallSns(SnsQueryBody("ListSubscriptionsByTopic", {{"TopicArn", topic_arn}}));
      if (!list.ok()) return list.status();
      auto members = ParseSnsMembers(*list, "ListSubscriptionsByTopic", "Subscriptions");
      if (!members.ok()) return members.status();
      bool exists = std::any_of(members->begin(), members->end(), [&](const auto& fields) {
        return std::find(fields.begin(), fields.end(), std::pair<std::string, std::string>{"Endpoint", p.queue_arn}) !=
               fields.end();
      });
      if (exists) continue;
      Result<std::string> sub = sns->CallSns(SnsQueryBody("Subscribe", {{"TopicArn", topic_arn},
                                                                        {"Protocol", "sqs"},
                                                                        {"Endpoint", p.queue_arn},
                                                                        {"Attributes.entry.1.key", "RawMessageDelivery"},
                                                                        {"Attributes.entry.1.value", "true"},
                                                                        {"ReturnSubscriptionArn", "true"}}));
      if (!sub.ok()) return sub.status();
      ++out.subscriptions_created;
    }
    out.replicas.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<QueueStatus>> QueueStatuses(const ProvisionSpec& spec, const AwsClientFor& clients) {
  std::vector<QueueStatus> out;
  for (const std::string& replica : spec.replicas) {
    Result<std::string> region = ReplicaRegion(replica);
    if (!region.ok()) return region.status();
    AwsClient* sqs = clients("sqs", *region);
    QueueStatus s{.replica = replica};
    for (bool dlq : {false, true}) {
      std::string name = dlq ? DeadLetterQueueName(spec, replica) : QueueName(spec, replica);
      Result<std::string> answer = sqs->CallSqs(SqsGeneric("GetQueueUrl", json{{"QueueName", name}}.dump()));
      if (!answer.ok()) return answer.status();
      Result<std::string> url = ParseSqsStringField(*answer, "QueueUrl");
      if (!url.ok()) return url.status();
      auto attrs = Attributes(sqs, *url,
                              {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                               "ApproximateNumberOfMessagesDelayed"});
      if (!attrs.ok()) return attrs.status();
      if (dlq) {
        s.dead_letters = Number(*attrs, "ApproximateNumberOfMessages");
      } else {
        s.queue_url = *url;
        s.visible = Number(*attrs, "ApproximateNumberOfMessages");
        s.in_flight = Number(*attrs, "ApproximateNumberOfMessagesNotVisible");
        s.delayed = Number(*attrs, "ApproximateNumberOfMessagesDelayed");
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace regionsync

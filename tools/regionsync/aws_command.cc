#include "aws_command.h"

#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "regionsync/broker/snssqs/aws_client.h"
#include "regionsync/broker/snssqs/credentials.h"
#include "regionsync/broker/snssqs/http_client.h"
#include "regionsync/broker/snssqs/provision.h"

namespace regionsync {
namespace {

struct AwsFlags {
  std::vector<std::string> replicas;
  std::string topology = "per-region";
  std::string shared_region;
  std::string prefix = "regionsync";
  std::string endpoint;
  int max_receive_count = 5;
  int visibility_timeout = 30;
  bool dry_run = false;
};

void AddCommonFlags(CLI::App* cmd, AwsFlags* f) {
  cmd->add_option("--replicas", f->replicas, "Replica ids <region>/<instance>, comma-separated")
      ->required()
      ->delimiter(',');
  cmd->add_option("--topology", f->topology, "per-region (a topic per region) or shared (one topic)")
      ->check(CLI::IsMember({"per-region", "shared"}))
      ->capture_default_str();
  cmd->add_option("--shared-region", f->shared_region, "Region of the shared topic (default: first replica's)");
  cmd->add_option("--prefix", f->prefix, "Prefix of topic and queue names")->capture_default_str();
  cmd->add_option("--endpoint", f->endpoint,
                  "Endpoint for both SNS and SQS (emulator, VPC endpoint); default: the regional AWS endpoints");
}

ProvisionSpec SpecOf(const AwsFlags& f) {
  return {.prefix = f.prefix,
          .topology = f.topology == "shared" ? Topology::kSharedTopic : Topology::kTopicPerRegion,
          .replicas = f.replicas,
          .shared_topic_region = f.shared_region,
          .max_receive_count = f.max_receive_count,
          .visibility_timeout_seconds = f.visibility_timeout};
}

// Clients per (service, region), sharing one HTTP connection pool.
class Clients {
 public:
  explicit Clients(const AwsFlags& f) : endpoint_(f.endpoint), env_(NewRealEnv()), http_(NewCurlHttpClient({})) {
    Result<AwsCredentials> c = LoadAwsCredentials();
    if (!c.ok() && !f.endpoint.empty()) {
      // Emulators accept any keys; do not make people invent some.
      c = AwsCredentials{"test", "test", ""};
    }
    if (!c.ok()) throw CLI::RuntimeError("regionsync aws: " + c.status().ToString(), 2);
    credentials_ = *c;
  }
  AwsClientFor Lookup() {
    return [this](std::string_view service, std::string_view region) {
      auto& c = clients_[std::string(service) + "/" + std::string(region)];
      if (!c) {
        c = std::make_unique<AwsClient>(env_.get(), http_.get(), credentials_,
                                        MakeAwsEndpoint(service, region, endpoint_), RetryPolicy{});
      }
      return c.get();
    };
  }

 private:
  std::string endpoint_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<HttpClient> http_;
  AwsCredentials credentials_;
  std::map<std::string, std::unique_ptr<AwsClient>> clients_;
};

void RunProvision(const AwsFlags& f) {
  ProvisionSpec spec = SpecOf(f);
  std::vector<PlanStep> plan = PlanProvision(spec);
  for (const PlanStep& s : plan) {
    if (s.action == "Invalid") throw CLI::RuntimeError("regionsync aws provision: " + s.detail, 2);
  }
  if (f.dry_run) {
    std::cout << "plan (" << plan.size() << " steps, topology " << f.topology << "):\n";
    for (const PlanStep& s : plan) std::cout << "  " << s.ToString() << "\n";
    return;
  }
  Clients clients(f);
  Result<ProvisionResult> r = Provision(spec, clients.Lookup());
  if (!r.ok()) throw CLI::RuntimeError("regionsync aws provision: " + r.status().ToString(), 1);
  for (const auto& [region, arn] : r->topic_arns) std::cout << "topic  " << region << "  " << arn << "\n";
  for (const ProvisionedReplica& p : r->replicas) {
    std::cout << "replica " << p.replica << "\n"
              << "  publish_topic_arn " << p.publish_topic_arn << "\n"
              << "  queue_url         " << p.queue_url << "\n"
              << "  dead_letter_queue " << p.dlq_url << "\n";
  }
  std::cout << r->subscriptions_created << " subscriptions created (existing ones kept)\n";
}

void RunStatus(const AwsFlags& f) {
  Clients clients(f);
  Result<std::vector<QueueStatus>> r = QueueStatuses(SpecOf(f), clients.Lookup());
  if (!r.ok()) throw CLI::RuntimeError("regionsync aws status: " + r.status().ToString(), 1);
  std::cout << std::left << std::setw(24) << "replica" << std::right << std::setw(10) << "depth" << std::setw(10)
            << "in-flight" << std::setw(10) << "delayed" << std::setw(10) << "dlq" << "\n";
  bool dead = false;
  for (const QueueStatus& s : *r) {
    std::cout << std::left << std::setw(24) << s.replica << std::right << std::setw(10) << s.visible << std::setw(10)
              << s.in_flight << std::setw(10) << s.delayed << std::setw(10) << s.dead_letters << "\n";
    dead = dead || s.dead_letters > 0;
  }
  if (dead) std::cout << "dead letters present: inspect them (docs/aws.md, 'Dead-letter queue')\n";
}

}  // namespace

void AddAwsCommands(CLI::App& app) {
  auto flags = std::make_shared<AwsFlags>();
  CLI::App* aws = app.add_subcommand("aws", "AWS SNS/SQS layout: provision, status");
  aws->require_subcommand(1);
  CLI::App* provision = aws->add_subcommand(
      "provision", "Create (idempotently) topics, per-replica queues with DLQ + redrive, queue policies, raw subscriptions");
  AddCommonFlags(provision, flags.get());
  provision->add_option("--max-receive-count", flags->max_receive_count, "Receives before a message is dead-lettered")
      ->capture_default_str();
  provision->add_option("--visibility-timeout", flags->visibility_timeout, "Queue visibility timeout, seconds")
      ->capture_default_str();
  provision->add_flag("--dry-run", flags->dry_run, "Print the plan; change nothing");
  provision->callback([flags] { RunProvision(*flags); });
  CLI::App* status = aws->add_subcommand("status", "Queue depth, in-flight and dead-letter counts per replica");
  AddCommonFlags(status, flags.get());
  status->callback([flags] { RunStatus(*flags); });
}

}  // namespace regionsync

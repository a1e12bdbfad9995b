// SnsSqsBroker: the Broker over AWS SNS (fan-out) and SQS (one queue per
// replica). Publish -> SNS Publish to the replica's topic; Receive -> the
// replica's SQS queue (long polling on a background thread, so Receive never
// blocks the sync engine's timer); Ack -> DeleteMessageBatch (acks are
// gathered and sent ten at a time, or after ack_delay_micros); ChangeVisibility
// -> ChangeMessageVisibility.
//
// Topology (docs/aws.md): either one topic per region with every replica's
// queue subscribed to every topic (no region whose loss stops publishing),
// or one shared topic. The broker only needs to know where it publishes
// (topic_arn) and where it reads (queue_url or queue_name); `regionsync aws
// provision` builds either layout.
//
// Thread-safe. Raw message delivery is expected. A message that arrives wrapped in an SNS
// JSON envelope is unwrapped, and a warning is logged once.
//
// Failures: throttling, 5xx and connection errors are retried with backoff
// and jitter (bounded); then Publish returns Unavailable (the publisher keeps
// the deltas in the outbox) and, for `unavailable_cooldown_micros`, later
// Publish calls fail at once instead of blocking the caller again. The
// receive thread keeps retrying until the endpoint answers again.
//
//   SnsSqsOptions o{.endpoint = "http://127.0.0.1:4566", .topic_arn = arn, .queue_name = "rs-us-east-1-a"};
//   Result<std::unique_ptr<SnsSqsBroker>> b = SnsSqsBroker::Open(env, creds, o);
//   SyncNode node(env, store, b->get(), &keys, {.name = "us-east-1/a"});
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "regionsync/broker/broker.h"
#include "regionsync/broker/snssqs/aws_client.h"
#include "regionsync/broker/snssqs/credentials.h"
#include "regionsync/broker/snssqs/http_client.h"
#include "regionsync/common/env.h"

namespace regionsync {

struct SnsSqsOptions {
  std::string region = "us-east-1";
  // Overrides both service endpoints (emulators, VPC endpoints). Empty:
  // https://sns.<region>.amazonaws.com and https://sqs.<region>.amazonaws.com.
  std::string endpoint;
  std::string topic_arn;   // where Publish goes
  std::string queue_url;   // this replica's queue; or:
  std::string queue_name;  // resolved with GetQueueUrl when queue_url is empty
  size_t max_message_bytes = 256 * 1024;
  int wait_time_seconds = 20;            // long polling, 0..20
  int visibility_timeout_seconds = -1;   // per receive; < 0: the queue's setting
  uint64_t connect_timeout_millis = 2'000;
  uint64_t request_timeout_millis = 5'000;  // long polls get wait_time_seconds more
  RetryPolicy retry;
  uint64_t unavailable_cooldown_micros = 1'000'000;
  // false: Receive calls ReceiveMessage itself (blocking up to
  // wait_time_seconds); for tools and tests with a fake HttpClient.
  bool background_receive = true;
  bool batch_acks = true;  // false: one DeleteMessage per Ack
  // Gathered acks are sent when ten are pending or the oldest has waited
  // this long (checked at each Receive). Keep it well under the visibility
  // timeout: an ack sent late only means a redelivery, never a loss.
  uint64_t ack_delay_micros = 1'000'000;
  // Where warnings go; default: stderr.
  std::function<void(const std::string&)> log;
};

struct SnsSqsStats {
  uint64_t published = 0;
  uint64_t publish_failures = 0;
  uint64_t publish_fast_failures = 0;  // refused during the cooldown after a failure
  uint64_t received = 0;
  uint64_t receive_failures = 0;
  uint64_t enveloped = 0;  // messages that came wrapped in an SNS envelope
  uint64_t acked = 0;
  uint64_t ack_failures = 0;  // entries SQS refused or calls that failed (they come back; harmless)
  uint64_t visibility_changes = 0;
  // Both clients' request counters together.
  uint64_t requests = 0, retries = 0, throttled = 0, server_errors = 0, connection_errors = 0, gave_up = 0;
  uint64_t request_bytes = 0, response_bytes = 0;
  uint64_t sns_requests = 0, sqs_requests = 0;
};

class SnsSqsBroker final : public Broker {
 public:
  // Resolves the queue URL if needed and starts the receive thread. `env`
  // must outlive the broker. Null clients: libcurl ones. InvalidArgument
  // when topic_arn or both queue_url and queue_name are empty; the
  // GetQueueUrl error otherwise.
  static Result<std::unique_ptr<SnsSqsBroker>> Open(Env* env, AwsCredentials credentials, SnsSqsOptions options,
                                                    std::unique_ptr<HttpClient> publish_http = nullptr,
                                                    std::unique_ptr<HttpClient> receive_http = nullptr);
  // Sends pending acks (best effort) and stops the receive thread.
  ~SnsSqsBroker() override;

  Status Publish(std::string_view body) override;
  Result<std::vector<BrokerMessage>> Receive(size_t max_messages) override;
  Status Ack(const std::string& receipt) override;
  Status ChangeVisibility(const std::string& receipt, uint64_t delay_micros) override;
  size_t max_message_bytes() const override { return options_.max_message_bytes; }

  // Publishes up to 10 bodies with one SNS PublishBatch. Entries SNS
  // refused for a retryable reason are retried; Unavailable if some still
  // failed (the caller resends all: duplicates are harmless).
  Status PublishBatch(const std::vector<std::string>& bodies);
  // Sends the acks gathered so far.
  Status FlushAcks();

  SnsSqsStats stats() const;
  const std::string& queue_url() const { return options_.queue_url; }

 private:
  SnsSqsBroker(Env* env, AwsCredentials credentials, SnsSqsOptions options, std::unique_ptr<HttpClient> publish_http,
               std::unique_ptr<HttpClient> receive_http);
  Result<std::vector<BrokerMessage>> ReceiveNow(size_t max_messages);
  void ReceiveLoop();
  void Warn(const std::string& what);
  bool CoolingDown();
  void StartCooldown();

  Env* env_;
  SnsSqsOptions options_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<HttpClient> publish_http_;
  std::unique_ptr<HttpClient> receive_http_;
  std::unique_ptr<AwsClient> sns_;
  std::unique_ptr<AwsClient> sqs_;       // acks, visibility, GetQueueUrl
  std::unique_ptr<AwsClient> sqs_poll_;  // the receive thread's own connection

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<BrokerMessage> buffer_;  // received by the thread, not yet handed out
  bool receive_down_ = false;         // the last receive attempt failed
  std::vector<std::string> pending_acks_;
  uint64_t oldest_pending_ack_micros_ = 0;
  uint64_t cooldown_until_micros_ = 0;
  bool warned_envelope_ = false;
  SnsSqsStats stats_;
  std::thread receiver_;  // last: starts after the members it uses exist
};

}  // namespace regionsync

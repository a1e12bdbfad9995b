// AwsClient: sends signed SNS and SQS calls to one endpoint each and retries
// the failures that are worth retrying (throttling, 5xx, no response) with
// exponential backoff and full jitter, a bounded number of times. Counts
// what it did. Thread-safe if its HttpClient is.
//
//   AwsClient sqs(env, http.get(), creds, {.url = "http://127.0.0.1:4566", .region = "us-east-1",
//                                          .service = "sqs"}, {});
//   Result<std::string> body = sqs.CallSqs(SqsReceiveMessage(url, 10, 20, -1), 25'000);
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "regionsync/broker/snssqs/credentials.h"
#include "regionsync/broker/snssqs/http_client.h"
#include "regionsync/broker/snssqs/sns_protocol.h"
#include "regionsync/broker/snssqs/sqs_protocol.h"
#include "regionsync/common/env.h"

namespace regionsync {

struct AwsEndpoint {
  std::string url;      // "https://sqs.eu-west-1.amazonaws.com" or an override
  std::string region;   // signing region
  std::string service;  // signing name: "sns" or "sqs"
};
// https://<service>.<region>.amazonaws.com, or `override_url` when not empty.
AwsEndpoint MakeAwsEndpoint(std::string_view service, std::string_view region, std::string_view override_url);

struct RetryPolicy {
  int max_attempts = 4;  // first try included
  uint64_t base_delay_micros = 50'000;
  uint64_t max_delay_micros = 2'000'000;
};

// Backoff before retry number `retry` (1-based): uniform in
// [0, min(max, base * 2^(retry-1))] ("full jitter"). `random` is any 64-bit draw.
uint64_t BackoffMicros(const RetryPolicy& policy, int retry, uint64_t random);

struct AwsCallStats {
  std::atomic<uint64_t> calls{0};          // logical calls
  std::atomic<uint64_t> requests{0};       // HTTP requests sent (calls + retries)
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> throttled{0};      // answers classified as throttling
  std::atomic<uint64_t> server_errors{0};  // 5xx answers
  std::atomic<uint64_t> connection_errors{0};  // no answer (refused, reset, timeout)
  std::atomic<uint64_t> gave_up{0};        // calls that failed after the last retry
  std::atomic<uint64_t> request_bytes{0};
  std::atomic<uint64_t> response_bytes{0};
};

class AwsClient {
 public:
  // `env` and `http` must outlive the client.
  AwsClient(Env* env, HttpClient* http, AwsCredentials credentials, AwsEndpoint endpoint, RetryPolicy retry);

  // Sends an SNS query call; returns the body of the 200 answer, or the
  // error's Status (Unavailable when retries ran out on a retryable failure).
  Result<std::string> CallSns(std::string body, uint64_t timeout_millis = 0);
  // Same for an SQS JSON call.
  Result<std::string> CallSqs(const SqsCall& call, uint64_t timeout_millis = 0);

  // Makes every backoff wait return at once and every later call fail with
  // Unavailable (for shutdown).
  void Stop();

  const AwsCallStats& stats() const { return stats_; }
  const AwsEndpoint& endpoint() const { return endpoint_; }

 private:
  Result<std::string> Call(HttpRequest request, AwsError (*parse_error)(const HttpResponse&));
  // False if stopped while waiting.
  bool Wait(uint64_t micros);

  Env* env_;
  HttpClient* http_;
  AwsCredentials credentials_;
  AwsEndpoint endpoint_;
  RetryPolicy retry_;
  AwsCallStats stats_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

}  // namespace regionsync

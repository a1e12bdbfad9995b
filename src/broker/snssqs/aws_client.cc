#include "regionsync/broker/snssqs/aws_client.h"

#include <algorithm>
#include <chrono>

#include "regionsync/broker/snssqs/sigv4.h"

namespace regionsync {

AwsEndpoint MakeAwsEndpoint(std::string_view service, std::string_view region, std::string_view override_url) {
  std::string url = override_url.empty()
                        ? "https://" + std::string(service) + "." + std::string(region) + ".amazonaws.com"
                        : std::string(override_url);
  while (url.size() > 1 && url.back() == '/' && url.find("://") + 3 < url.size() - 1) url.pop_back();
  return {url, std::string(region), std::string(service)};
}

uint64_t BackoffMicros(const RetryPolicy& policy, int retry, uint64_t random) {
  uint64_t cap = policy.base_delay_micros;
  for (int i = 1; i < retry && cap < policy.max_delay_micros; ++i) cap *= 2;
  cap = std::min(cap, policy.max_delay_micros);
  return cap == 0 ? 0 : random % (cap + 1);
}

AwsClient::AwsClient(Env* env, HttpClient* http, AwsCredentials credentials, AwsEndpoint endpoint, RetryPolicy retry)
    : env_(env), http_(http), credentials_(std::move(credentials)), endpoint_(std::move(endpoint)), retry_(retry) {}

Result<std::string> AwsClient::CallSns(std::string body, uint64_t timeout_millis) {
  HttpRequest req{.url = endpoint_.url + "/", .body = std::move(body), .timeout_millis = timeout_millis};
  req.headers.emplace_back("Content-Type", std::string(kSnsFormContentType));
  return Call(std::move(req), &ParseSnsError);
}

Result<std::string> AwsClient::CallSqs(const SqsCall& call, uint64_t timeout_millis) {
  HttpRequest req{.url = endpoint_.url + "/", .body = call.body, .timeout_millis = timeout_millis};
  req.headers.emplace_back("Content-Type", std::string(kSqsJsonContentType));
  req.headers.emplace_back("X-Amz-Target", call.target);
  return Call(std::move(req), &ParseSqsError);
}

void AwsClient::Stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  cv_.notify_all();
}

bool AwsClient::Wait(uint64_t micros) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::microseconds(micros), [&] { return stopped_; });
  return !stopped_;
}

Result<std::string> AwsClient::Call(HttpRequest request, AwsError (*parse_error)(const HttpResponse&)) {
  stats_.calls++;
  Status last;
  for (int attempt = 1; attempt <= std::max(1, retry_.max_attempts); ++attempt) {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return Unavailable("AWS client stopped");
    }
    if (attempt > 1) {
      stats_.retries++;
      if (!Wait(BackoffMicros(retry_, attempt - 1, env_->Random64()))) return Unavailable("AWS client stopped");
    }
    // Signed per attempt: the date is part of the signature.
    SigV4Sign(&request, credentials_, endpoint_.region, endpoint_.service, env_->WallMillis());
    stats_.requests++;
    stats_.request_bytes += request.body.size();
    Result<HttpResponse> response = http_->Send(request);
    if (!response.ok()) {
      stats_.connection_errors++;
      last = response.status();
      continue;
    }
    stats_.response_bytes += response->body.size();
    if (response->status == 200) return std::move(response->body);
    AwsError error = parse_error(*response);
    AwsErrorKind kind = ClassifyAwsError(error);
    last = AwsErrorToStatus(error, endpoint_.service);
    if (kind == AwsErrorKind::kThrottled) stats_.throttled++;
    if (kind == AwsErrorKind::kServer) stats_.server_errors++;
    if (!IsRetryable(kind)) return last;
  }
  stats_.gave_up++;
  return Status(StatusCode::kUnavailable, last.message() + " (gave up after " +
                                              std::to_string(std::max(1, retry_.max_attempts)) + " attempts)");
}

}  // namespace regionsync

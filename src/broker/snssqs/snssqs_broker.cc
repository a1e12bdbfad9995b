#include "regionsync/broker/snssqs/snssqs_broker.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "regionsync/broker/snssqs/sns_protocol.h"
#include "regionsync/broker/snssqs/sqs_protocol.h"

namespace regionsync {
namespace {

// How many received messages wait in memory for Receive. Small: a message
// waiting here is already invisible on the queue, its timeout running.
constexpr size_t kPrefetch = 10;
// Pending acks kept when DeleteMessageBatch keeps failing; older ones are
// dropped (their messages come back, which is harmless).
constexpr size_t kMaxPendingAcks = 10'000;

}  // namespace

SnsSqsBroker::SnsSqsBroker(Env* env, AwsCredentials credentials, SnsSqsOptions options,
                           std::unique_ptr<HttpClient> publish_http, std::unique_ptr<HttpClient> receive_http)
    : env_(env), options_(std::move(options)) {
  CurlHttpOptions curl{.connect_timeout_millis = options_.connect_timeout_millis,
                       .request_timeout_millis = options_.request_timeout_millis};
  publish_http_ = publish_http ? std::move(publish_http) : NewCurlHttpClient(curl);
  curl.cancel = &stopping_;
  receive_http_ = receive_http ? std::move(receive_http) : NewCurlHttpClient(curl);
  sns_ = std::make_unique<AwsClient>(env_, publish_http_.get(), credentials,
                                     MakeAwsEndpoint("sns", options_.region, options_.endpoint), options_.retry);
  sqs_ = std::make_unique<AwsClient>(env_, publish_http_.get(), credentials,
                                     MakeAwsEndpoint("sqs", options_.region, options_.endpoint), options_.retry);
  sqs_poll_ = std::make_unique<AwsClient>(env_, receive_http_.get(), credentials,
                                          MakeAwsEndpoint("sqs", options_.region, options_.endpoint), options_.retry);
  if (!options_.log) {
    options_.log = [](const std::string& what) { std::cerr << "regionsync snssqs: " << what << "\n"; };
  }
  options_.wait_time_seconds = std::clamp(options_.wait_time_seconds, 0, 20);
}

Result<std::unique_ptr<SnsSqsBroker>> SnsSqsBroker::Open(Env* env, AwsCredentials credentials,
                                                         SnsSqsOptions options,
                                                         std::unique_ptr<HttpClient> publish_http,
                                                         std::unique_ptr<HttpClient> receive_http) {
  if (options.topic_arn.empty()) return InvalidArgument("SnsSqsOptions.topic_arn is empty");
  if (options.queue_url.empty() && options.queue_name.empty()) {
    return InvalidArgument("SnsSqsOptions needs queue_url or queue_name");
  }
  std::unique_ptr<SnsSqsBroker> b(new SnsSqsBroker(env, std::move(credentials), std::move(options),
                                                   std::move(publish_http), std::move(receive_http)));
  if (b->options_.queue_url.empty()) {
    Result<std::string> body =
        b->sqs_->CallSqs(SqsGeneric("GetQueueUrl", nlohmann::json{{"QueueName", b->options_.queue_name}}.dump()));
    if (!body.ok()) return body.status();
    Result<std::string> url = ParseSqsStringField(*body, "QueueUrl");
    if (!url.ok()) return url.status();
    b->options_.queue_url = *url;
  }
  if (b->options_.background_receive) b->receiver_ = std::thread([p = b.get()] { p->ReceiveLoop(); });
  return b;
}

SnsSqsBroker::~SnsSqsBroker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  sqs_poll_->Stop();
  if (receiver_.joinable()) receiver_.join();
  // Messages fetched but never handed out come back after their visibility
  // timeout; acks already earned are worth one last try.
  while (true) {
    size_t before;
    {
      std::lock_guard lock(mu_);
      before = pending_acks_.size();
    }
    if (before == 0 || !FlushAcks().ok()) break;
  }
}

void SnsSqsBroker::Warn(const std::string& what) { options_.log(what); }

bool SnsSqsBroker::CoolingDown() {
  std::lock_guard lock(mu_);
  return env_->MonotonicMicros() < cooldown_until_micros_;
}

void SnsSqsBroker::StartCooldown() {
  std::lock_guard lock(mu_);
  cooldown_until_micros_ = env_->MonotonicMicros() + options_.unavailable_cooldown_micros;
}

Status SnsSqsBroker::Publish(std::string_view body) {
  if (body.size() > options_.max_message_bytes) {
    return ResourceExhausted("message of " + std::to_string(body.size()) + " bytes exceeds " +
                             std::to_string(options_.max_message_bytes));
  }
  if (CoolingDown()) {
    std::lock_guard lock(mu_);
    stats_.publish_fast_failures++;
    return Unavailable("SNS unavailable (cooling down after failures)");
  }
  Result<std::string> answer = sns_->CallSns(SnsPublishBody(options_.topic_arn, body), options_.request_timeout_millis);
  Status s = answer.ok() ? ParseSnsPublishResponse(*answer).status() : answer.status();
  std::lock_guard lock(mu_);
  if (s.ok()) {
    stats_.published++;
    return s;
  }
  stats_.publish_failures++;
  if (s.code() == StatusCode::kUnavailable) {
    cooldown_until_micros_ = env_->MonotonicMicros() + options_.unavailable_cooldown_micros;
  }
  return s;
}

Status SnsSqsBroker::PublishBatch(const std::vector<std::string>& bodies) {
  if (bodies.empty()) return Status::Ok();
  if (bodies.size() > kSnsMaxBatchEntries) return InvalidArgument("PublishBatch takes at most 10 messages");
  size_t total = 0;
  for (const std::string& b : bodies) total += b.size();
  // SNS limits the whole batch request, not only each entry.
  if (total > options_.max_message_bytes) return ResourceExhausted("batch exceeds max_message_bytes");
  if (CoolingDown()) return Unavailable("SNS unavailable (cooling down after failures)");
  std::vector<SnsBatchEntry> entries;
  for (size_t i = 0; i < bodies.size(); ++i) entries.push_back({std::to_string(i), bodies[i]});
  for (int attempt = 0; attempt < std::max(1, options_.retry.max_attempts) && !entries.empty(); ++attempt) {
    Result<std::string> answer =
        sns_->CallSns(SnsPublishBatchBody(options_.topic_arn, entries), options_.request_timeout_millis);
    if (!answer.ok()) {
      if (answer.status().code() == StatusCode::kUnavailable) StartCooldown();
      std::lock_guard lock(mu_);
      stats_.publish_failures++;
      return answer.status();
    }
    Result<BatchResult> result = ParseSnsPublishBatchResponse(*answer);
    if (!result.ok()) return result.status();
    std::vector<SnsBatchEntry> retry;
    for (const BatchFailure& f : result->failed) {
      AwsErrorKind kind = ClassifyAwsError({.http_status = f.sender_fault ? 400 : 500, .code = f.code});
      if (!IsRetryable(kind)) {
        return AwsErrorToStatus({.http_status = 400, .code = f.code, .message = f.message}, "PublishBatch entry");
      }
      for (const SnsBatchEntry& e : entries) {
        if (e.id == f.id) retry.push_back(e);
      }
    }
    {
      std::lock_guard lock(mu_);
      stats_.published += result->successful_ids.size();
    }
    entries = std::move(retry);
  }
  if (!entries.empty()) return Unavailable(std::to_string(entries.size()) + " PublishBatch entries kept failing");
  return Status::Ok();
}

Result<std::vector<BrokerMessage>> SnsSqsBroker::ReceiveNow(size_t max_messages) {
  int n = static_cast<int>(std::clamp<size_t>(max_messages, 1, 10));
  uint64_t timeout = options_.request_timeout_millis + 1000ull * options_.wait_time_seconds;
  Result<std::string> answer = sqs_poll_->CallSqs(
      SqsReceiveMessage(options_.queue_url, n, options_.wait_time_seconds, options_.visibility_timeout_seconds),
      timeout);
  if (!answer.ok()) return answer.status();
  Result<std::vector<SqsMessage>> got = ParseSqsReceiveMessageResponse(*answer);
  if (!got.ok()) return got.status();
  std::vector<BrokerMessage> out;
  out.reserve(got->size());
  bool warn = false;
  size_t enveloped = 0;
  for (SqsMessage& m : *got) {
    BrokerMessage b{.message_id = std::move(m.message_id), .receipt = std::move(m.receipt_handle),
                    .receive_count = m.receive_count};
    if (std::optional<std::string> inner = UnwrapSnsEnvelope(m.body)) {
      b.body = std::move(*inner);
      ++enveloped;
    } else {
      b.body = std::move(m.body);
    }
    out.push_back(std::move(b));
  }
  {
    std::lock_guard lock(mu_);
    stats_.received += out.size();
    stats_.enveloped += enveloped;
    if (enveloped > 0 && !warned_envelope_) warn = warned_envelope_ = true;
  }
  if (warn) {
    Warn("queue " + options_.queue_url +
         " receives SNS JSON envelopes: enable RawMessageDelivery on its subscriptions (messages are unwrapped, "
         "but each costs ~40% more bytes)");
  }
  return out;
}

void SnsSqsBroker::ReceiveLoop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || buffer_.size() < kPrefetch; });
      if (stopping_) return;
    }
    Result<std::vector<BrokerMessage>> got = ReceiveNow(kPrefetch);
    std::unique_lock lock(mu_);
    if (stopping_) return;
    if (!got.ok()) {
      stats_.receive_failures++;
      if (!receive_down_) Warn("receive failed, retrying: " + got.status().ToString());
      receive_down_ = true;
      // The client already backed off between its attempts; pause a little
      // more so a dead endpoint does not cost a busy loop.
      cv_.wait_for(lock, std::chrono::milliseconds(250), [&] { return stopping_.load(); });
      continue;
    }
    receive_down_ = false;
    for (BrokerMessage& m : *got) buffer_.push_back(std::move(m));
  }
}

Result<std::vector<BrokerMessage>> SnsSqsBroker::Receive(size_t max_messages) {
  bool acks;
  {
    std::lock_guard lock(mu_);
    acks = pending_acks_.size() >= kSqsMaxBatchEntries ||
           (!pending_acks_.empty() && env_->MonotonicMicros() >= oldest_pending_ack_micros_ + options_.ack_delay_micros);
  }
  if (acks) (void)FlushAcks();  // failures keep them pending
  if (!options_.background_receive) {
    Result<std::vector<BrokerMessage>> got = ReceiveNow(max_messages);
    if (!got.ok()) {
      std::lock_guard lock(mu_);
      stats_.receive_failures++;
    }
    return got;
  }
  std::lock_guard lock(mu_);
  if (buffer_.empty() && receive_down_) return Unavailable("SQS receive failing");
  std::vector<BrokerMessage> out;
  while (!buffer_.empty() && out.size() < max_messages) {
    out.push_back(std::move(buffer_.front()));
    buffer_.pop_front();
  }
  if (!out.empty()) cv_.notify_all();
  return out;
}

Status SnsSqsBroker::Ack(const std::string& receipt) {
  if (!options_.batch_acks) {
    Result<std::string> answer = sqs_->CallSqs(SqsDeleteMessage(options_.queue_url, receipt));
    std::lock_guard lock(mu_);
    if (answer.ok()) stats_.acked++;
    else stats_.ack_failures++;
    // A stale or unknown receipt is not the caller's problem (Broker contract).
    if (!answer.ok() && answer.status().code() == StatusCode::kInvalidArgument) return Status::Ok();
    return answer.status();
  }
  bool full;
  {
    std::lock_guard lock(mu_);
    if (pending_acks_.empty()) oldest_pending_ack_micros_ = env_->MonotonicMicros();
    pending_acks_.push_back(receipt);
    full = pending_acks_.size() >= kSqsMaxBatchEntries;
  }
  if (full) (void)FlushAcks();  // a failure leaves them pending; the message is safe either way
  return Status::Ok();
}

Status SnsSqsBroker::FlushAcks() {
  std::vector<std::string> receipts;
  {
    std::lock_guard lock(mu_);
    size_t n = std::min(pending_acks_.size(), kSqsMaxBatchEntries);
    receipts.assign(pending_acks_.begin(), pending_acks_.begin() + static_cast<std::ptrdiff_t>(n));
    pending_acks_.erase(pending_acks_.begin(), pending_acks_.begin() + static_cast<std::ptrdiff_t>(n));
    oldest_pending_ack_micros_ = env_->MonotonicMicros();
  }
  if (receipts.empty()) return Status::Ok();
  std::vector<SqsBatchEntry> entries;
  for (size_t i = 0; i < receipts.size(); ++i) entries.push_back({std::to_string(i), receipts[i]});
  Result<std::string> answer = sqs_->CallSqs(SqsDeleteMessageBatch(options_.queue_url, entries));
  Result<BatchResult> result = answer.ok() ? ParseSqsBatchResponse(*answer) : Result<BatchResult>(answer.status());
  std::lock_guard lock(mu_);
  if (!result.ok()) {
    // Keep them for the next flush, oldest first.
    pending_acks_.insert(pending_acks_.begin(), receipts.begin(), receipts.end());
    if (pending_acks_.size() > kMaxPendingAcks) {
      size_t drop = pending_acks_.size() - kMaxPendingAcks;
      stats_.ack_failures += drop;
      pending_acks_.erase(pending_acks_.begin(), pending_acks_.begin() + static_cast<std::ptrdiff_t>(drop));
    }
    return result.status();
  }
  stats_.acked += result->successful_ids.size();
  for (const BatchFailure& f : result->failed) {
    stats_.ack_failures++;
    AwsErrorKind kind = ClassifyAwsError({.http_status = f.sender_fault ? 400 : 500, .code = f.code});
    if (IsRetryable(kind)) {
      size_t index = std::stoul(f.id) < receipts.size() ? std::stoul(f.id) : 0;
      pending_acks_.push_back(receipts[index]);
    }
    // Otherwise (ReceiptHandleIsInvalid, ...) the message comes back and is
    // applied again: harmless.
  }
  return Status::Ok();
}

Status SnsSqsBroker::ChangeVisibility(const std::string& receipt, uint64_t delay_micros) {
  int seconds = static_cast<int>(std::min<uint64_t>((delay_micros + 999'999) / 1'000'000, 43'200));
  Result<std::string> answer = sqs_->CallSqs(SqsChangeMessageVisibility(options_.queue_url, receipt, seconds));
  std::lock_guard lock(mu_);
  if (answer.ok()) {
    stats_.visibility_changes++;
    return Status::Ok();
  }
  if (answer.status().code() == StatusCode::kInvalidArgument) return Status::Ok();  // stale receipt
  return answer.status();
}

SnsSqsStats SnsSqsBroker::stats() const {
  SnsSqsStats s;
  {
    std::lock_guard lock(mu_);
    s = stats_;
  }
  for (const AwsClient* c : {sns_.get(), sqs_.get(), sqs_poll_.get()}) {
    const AwsCallStats& a = c->stats();
    s.requests += a.requests;
    s.retries += a.retries;
    s.throttled += a.throttled;
    s.server_errors += a.server_errors;
    s.connection_errors += a.connection_errors;
    s.gave_up += a.gave_up;
    s.request_bytes += a.request_bytes;
    s.response_bytes += a.response_bytes;
    (c == sns_.get() ? s.sns_requests : s.sqs_requests) += a.requests;
  }
  return s;
}

}  // namespace regionsync

// SnsSqsBroker against a scripted HttpClient: what goes on the wire, and what
// the broker does with throttling, 5xx, dead connections, partial batch
// failures and SNS envelopes. No network, no sleeping: backoff is zero.
#include "regionsync/broker/snssqs/snssqs_broker.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

namespace regionsync {
namespace {

constexpr char kQueueUrl[] = "http://sqs.us-east-1.localhost:4566/000000000000/q";
constexpr char kTopic[] = "arn:aws:sns:us-east-1:000000000000:t";

// Answers requests from a script, in order; records every request.
class ScriptedHttp final : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard lock(mu_);
    requests.push_back(request);
    if (script.empty()) return Unavailable("script ran out");
    Result<HttpResponse> r = std::move(script.front());
    script.pop_front();
    return r;
  }
  static std::string Target(const HttpRequest& r) {
    for (auto& [k, v] : r.headers) if (HeaderNameEquals(k, "X-Amz-Target")) return v;
    return "";
  }
  std::mutex mu_;
  std::deque<Result<HttpResponse>> script;
  std::vector<HttpRequest> requests;
};

HttpResponse Ok(std::string body) { return {.status = 200, .body = std::move(body)}; }
const char kPublishOk[] =
    "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>m1</MessageId>"
    "</PublishResult></PublishResponse>";
const char kThrottled[] =
    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    "</ErrorResponse>";

struct Fixture {
  explicit Fixture(SnsSqsOptions o = {}) : env(1) {
    o.topic_arn = kTopic;
    if (o.queue_url.empty()) o.queue_url = kQueueUrl;
    o.endpoint = "http://127.0.0.1:4566";
    o.background_receive = false;
    o.retry = {.max_attempts = 3, .base_delay_micros = 0, .max_delay_micros = 0};
    o.log = [this](const std::string& w) { warnings.push_back(w); };
    auto p = std::make_unique<ScriptedHttp>();
    auto r = std::make_unique<ScriptedHttp>();
    pub = p.get();
    recv = r.get();
    auto b = SnsSqsBroker::Open(&env, {"AK", "SK", ""}, o, std::move(p), std::move(r));
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    broker = std::move(b).value();
  }
  SimEnv env;
  ScriptedHttp* pub;
  ScriptedHttp* recv;
  std::vector<std::string> warnings;
  std::unique_ptr<SnsSqsBroker> broker;
};

TEST(SnsSqsBroker, PublishSendsSignedQueryToEndpoint) {
  Fixture f;
  f.pub->script.push_back(Ok(kPublishOk));
  ASSERT_TRUE(f.broker->Publish("rs1.abc").ok());
  ASSERT_EQ(f.pub->requests.size(), 1u);
  const HttpRequest& r = f.pub->requests[0];
  EXPECT_EQ(r.url, "http://127.0.0.1:4566/");
  EXPECT_NE(r.body.find("Action=Publish"), std::string::npos);
  EXPECT_NE(r.body.find("Message=rs1.abc"), std::string::npos);
  bool signed_for_sns = false;
  for (auto& [k, v] : r.headers) {
    if (HeaderNameEquals(k, "Authorization")) signed_for_sns = v.find("/us-east-1/sns/aws4_request") != std::string::npos;
  }
  EXPECT_TRUE(signed_for_sns);
  EXPECT_EQ(f.broker->stats().published, 1u);
}

TEST(SnsSqsBroker, RetriesThrottlingAnd5xxThenSucceeds) {
  Fixture f;
  f.pub->script.push_back(HttpResponse{.status = 400, .body = kThrottled});
  f.pub->script.push_back(HttpResponse{.status = 503, .body = "busy"});
  f.pub->script.push_back(Ok(kPublishOk));
  ASSERT_TRUE(f.broker->Publish("x").ok());
  SnsSqsStats s = f.broker->stats();
  EXPECT_EQ(s.retries, 2u);
  EXPECT_EQ(s.throttled, 1u);
  EXPECT_EQ(s.server_errors, 1u);
  EXPECT_EQ(s.gave_up, 0u);
}

TEST(SnsSqsBroker, GivesUpWithUnavailableThenFailsFastDuringCooldown) {
  Fixture f;
  for (int i = 0; i < 3; ++i) f.pub->script.push_back(Unavailable("connection refused"));
  Status s = f.broker->Publish("x");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(f.pub->requests.size(), 3u);
  // Within the cooldown: no request at all.
  EXPECT_EQ(f.broker->Publish("x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(f.pub->requests.size(), 3u);
  f.env.RunFor(1'000'001);
  f.pub->script.push_back(Ok(kPublishOk));
  EXPECT_TRUE(f.broker->Publish("x").ok());
  SnsSqsStats st = f.broker->stats();
  EXPECT_EQ(st.connection_errors, 3u);
  EXPECT_EQ(st.gave_up, 1u);
  EXPECT_EQ(st.publish_fast_failures, 1u);
}

TEST(SnsSqsBroker, ClientErrorsAreNotRetried) {
  Fixture f;
  f.pub->script.push_back(HttpResponse{
      .status = 404, .body = "<ErrorResponse><Error><Code>NotFound</Code><Message>Topic does not exist</Message>"
                             "</Error></ErrorResponse>"});
  EXPECT_EQ(f.broker->Publish("x").code(), StatusCode::kNotFound);
  EXPECT_EQ(f.pub->requests.size(), 1u);
  EXPECT_EQ(f.broker->Publish(std::string(256 * 1024 + 1, 'a')).code(), StatusCode::kResourceExhausted);
}

TEST(SnsSqsBroker, ReceiveLongPollsUnwrapsEnvelopesAndWarnsOnce) {
  Fixture f;
  std::string envelope = R"({\"Type\":\"Notification\",\"TopicArn\":\"t\",\"Message\":\"rs1.inner\"})";
  f.recv->script.push_back(Ok(R"({"Messages":[{"MessageId":"a","ReceiptHandle":"r1","Body":"rs1.raw",)"
                              R"("Attributes":{"ApproximateReceiveCount":"2"}},{"MessageId":"b","ReceiptHandle":"r2",)"
                              R"("Body":")" + envelope + R"("}]})"));
  f.recv->script.push_back(Ok(R"({"Messages":[{"MessageId":"c","ReceiptHandle":"r3","Body":")" + envelope + R"("}]})"));
  Result<std::vector<BrokerMessage>> got = f.broker->Receive(10);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].body, "rs1.raw");
  EXPECT_EQ((*got)[0].receive_count, 2u);
  EXPECT_EQ((*got)[1].body, "rs1.inner");
  ASSERT_TRUE(f.broker->Receive(10).ok());
  EXPECT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.broker->stats().enveloped, 2u);
  const HttpRequest& r = f.recv->requests[0];
  EXPECT_EQ(ScriptedHttp::Target(r), "AmazonSQS.ReceiveMessage");
  EXPECT_EQ(r.url, "http://127.0.0.1:4566/");  // the endpoint, not the queue URL's host
  EXPECT_NE(r.body.find(kQueueUrl), std::string::npos);
  EXPECT_NE(r.body.find("\"WaitTimeSeconds\":20"), std::string::npos);
  EXPECT_EQ(r.timeout_millis, 25'000u);
}

TEST(SnsSqsBroker, ReceiveFailureIsUnavailableAndMalformedAnswerToo) {
  Fixture f;
  for (int i = 0; i < 3; ++i) f.recv->script.push_back(Unavailable("timeout"));
  EXPECT_EQ(f.broker->Receive(10).status().code(), StatusCode::kUnavailable);
  f.recv->script.push_back(Ok("{\"Messages\": [garbage"));
  EXPECT_EQ(f.broker->Receive(10).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(f.broker->stats().receive_failures, 2u);
}

TEST(SnsSqsBroker, AcksGoInBatchesOfTenAndPartialFailuresAreHandled) {
  Fixture f;
  std::string answer = R"({"Successful":[)";
  for (int i = 0; i < 8; ++i) answer += std::string(i ? "," : "") + R"({"Id":")" + std::to_string(i) + R"("})";
  answer += R"(],"Failed":[{"Id":"8","SenderFault":true,"Code":"ReceiptHandleIsInvalid"},)"
            R"({"Id":"9","SenderFault":false,"Code":"InternalError"}]})";
  f.pub->script.push_back(Ok(answer));
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(f.broker->Ack("r" + std::to_string(i)).ok());
  EXPECT_TRUE(f.pub->requests.empty());  // gathered, not sent yet
  ASSERT_TRUE(f.broker->Ack("r9").ok());
  ASSERT_EQ(f.pub->requests.size(), 1u);
  EXPECT_EQ(ScriptedHttp::Target(f.pub->requests[0]), "AmazonSQS.DeleteMessageBatch");
  SnsSqsStats s = f.broker->stats();
  EXPECT_EQ(s.acked, 8u);
  EXPECT_EQ(s.ack_failures, 2u);
  // The retryable failure (r9) is sent again with the next flush; the
  // invalid receipt (r8) is dropped.
  f.pub->script.push_back(Ok(R"({"Successful":[{"Id":"0"}]})"));
  ASSERT_TRUE(f.broker->FlushAcks().ok());
  ASSERT_EQ(f.pub->requests.size(), 2u);
  EXPECT_NE(f.pub->requests[1].body.find("\"r9\""), std::string::npos);
  EXPECT_EQ(f.pub->requests[1].body.find("\"r8\""), std::string::npos);
}

TEST(SnsSqsBroker, FewAcksWaitForTheAckDelayThenGoWithReceive) {
  Fixture f;
  ASSERT_TRUE(f.broker->Ack("r0").ok());
  f.recv->script.push_back(Ok("{}"));
  ASSERT_TRUE(f.broker->Receive(10).ok());
  EXPECT_TRUE(f.pub->requests.empty());  // 1 pending ack, younger than the delay
  f.env.RunFor(1'000'000);
  f.recv->script.push_back(Ok("{}"));
  f.pub->script.push_back(Ok(R"({"Successful":[{"Id":"0"}]})"));
  ASSERT_TRUE(f.broker->Receive(10).ok());
  ASSERT_EQ(f.pub->requests.size(), 1u);
  EXPECT_EQ(ScriptedHttp::Target(f.pub->requests[0]), "AmazonSQS.DeleteMessageBatch");
}

TEST(SnsSqsBroker, FailedAckBatchStaysPendingAndNeverLosesTheMessageSilently) {
  Fixture f;
  for (int i = 0; i < 3; ++i) f.pub->script.push_back(HttpResponse{.status = 500, .body = ""});
  ASSERT_TRUE(f.broker->Ack("r0").ok());
  EXPECT_EQ(f.broker->FlushAcks().code(), StatusCode::kUnavailable);
  f.pub->script.push_back(Ok(R"({"Successful":[{"Id":"0"}]})"));
  ASSERT_TRUE(f.broker->FlushAcks().ok());
  EXPECT_NE(f.pub->requests.back().body.find("\"r0\""), std::string::npos);
  EXPECT_EQ(f.broker->stats().acked, 1u);
}

TEST(SnsSqsBroker, ChangeVisibilityRoundsUpToSeconds) {
  Fixture f;
  f.pub->script.push_back(Ok("{}"));
  ASSERT_TRUE(f.broker->ChangeVisibility("rh", 1'500'000).ok());
  EXPECT_EQ(ScriptedHttp::Target(f.pub->requests[0]), "AmazonSQS.ChangeMessageVisibility");
  EXPECT_NE(f.pub->requests[0].body.find("\"VisibilityTimeout\":2"), std::string::npos);
  // A stale receipt is not an error for the caller.
  f.pub->script.push_back(HttpResponse{
      .status = 400, .body = R"({"__type":"com.amazonaws.sqs#ReceiptHandleIsInvalid","message":"bad"})"});
  EXPECT_TRUE(f.broker->ChangeVisibility("old", 0).ok());
}

TEST(SnsSqsBroker, PublishBatchRetriesOnlyTheFailedEntries) {
  Fixture f;
  f.pub->script.push_back(Ok(
      "<PublishBatchResponse><PublishBatchResult><Successful><member><Id>0</Id><MessageId>a</MessageId></member>"
      "</Successful><Failed><member><Id>1</Id><Code>InternalError</Code><SenderFault>false</SenderFault></member>"
      "</Failed></PublishBatchResult></PublishBatchResponse>"));
  f.pub->script.push_back(Ok(
      "<PublishBatchResponse><PublishBatchResult><Successful><member><Id>1</Id><MessageId>b</MessageId></member>"
      "</Successful><Failed/></PublishBatchResult></PublishBatchResponse>"));
  ASSERT_TRUE(f.broker->PublishBatch({"m0", "m1"}).ok());
  ASSERT_EQ(f.pub->requests.size(), 2u);
  EXPECT_EQ(f.pub->requests[1].body.find("Message=m0"), std::string::npos);
  EXPECT_NE(f.pub->requests[1].body.find("Message=m1"), std::string::npos);
  EXPECT_EQ(f.broker->stats().published, 2u);
}

TEST(SnsSqsBroker, OpenResolvesQueueNameAndValidatesOptions) {
  SimEnv env(1);
  auto http = std::make_unique<ScriptedHttp>();
  ScriptedHttp* h = http.get();
  h->script.push_back(Ok(R"({"QueueUrl":"http://sqs.us-east-1.x:1/000000000000/rs-q"})"));
  auto b = SnsSqsBroker::Open(&env, {"AK", "SK", ""},
                              {.endpoint = "http://127.0.0.1:1", .topic_arn = kTopic, .queue_name = "rs-q",
                               .background_receive = false},
                              std::move(http), std::make_unique<ScriptedHttp>());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->queue_url(), "http://sqs.us-east-1.x:1/000000000000/rs-q");
  EXPECT_EQ(ScriptedHttp::Target(h->requests[0]), "AmazonSQS.GetQueueUrl");
  EXPECT_EQ(SnsSqsBroker::Open(&env, {}, {.queue_url = "u"}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SnsSqsBroker::Open(&env, {}, {.topic_arn = "t"}).status().code(), StatusCode::kInvalidArgument);
}

TEST(Backoff, FullJitterBoundedAndGrowing) {
  RetryPolicy p{.max_attempts = 5, .base_delay_micros = 100, .max_delay_micros = 1000};
  EXPECT_LE(BackoffMicros(p, 1, ~0ull), 100u);
  EXPECT_EQ(BackoffMicros(p, 3, 400), 400u);
  EXPECT_LE(BackoffMicros(p, 30, ~0ull), 1000u);
  EXPECT_EQ(BackoffMicros(p, 2, 0), 0u);
}

}  // namespace
}  // namespace regionsync

// The SNS (XML) and SQS (JSON) codecs and the error classification, against
// canned answers shaped like AWS's documented ones: successes, errors,
// throttling, partial batch failures and malformed documents.
#include <gtest/gtest.h>

#include <map>

#include "regionsync/broker/snssqs/aws_error.h"
#include "regionsync/broker/snssqs/credentials.h"
#include "regionsync/broker/snssqs/sns_protocol.h"
#include "regionsync/broker/snssqs/sqs_protocol.h"

namespace regionsync {
namespace {

constexpr char kNs[] = "xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"";

TEST(SnsProtocol, PublishBodyIsFormEncoded) {
  EXPECT_EQ(SnsPublishBody("arn:aws:sns:us-east-1:1:t", "a b&c=d"),
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At&Message=a%20b%26c%3Dd");
  std::string batch = SnsPublishBatchBody("arn", {{"0", "x"}, {"1", "y"}});
  EXPECT_NE(batch.find("PublishBatchRequestEntries.member.2.Id=1&PublishBatchRequestEntries.member.2.Message=y"),
            std::string::npos);
}

TEST(SnsProtocol, ParsesPublish) {
  std::string xml = std::string("<PublishResponse ") + kNs +
                    "><PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>"
                    "<ResponseMetadata><RequestId>f187a3c1</RequestId></ResponseMetadata></PublishResponse>";
  Result<std::string> id = ParseSnsPublishResponse(xml);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "94f20ce6-13c5-43a0-9a9e-ca52d816e90b");
}

TEST(SnsProtocol, ParsesPartialBatchFailure) {
  std::string xml = std::string("<PublishBatchResponse ") + kNs +
                    "><PublishBatchResult><Successful><member><Id>0</Id><MessageId>m0</MessageId></member>"
                    "</Successful><Failed><member><Id>1</Id><Code>InternalError</Code><Message>try again</Message>"
                    "<SenderFault>false</SenderFault></member><member><Id>2</Id><Code>InvalidParameter</Code>"
                    "<SenderFault>true</SenderFault></member></Failed></PublishBatchResult></PublishBatchResponse>";
  Result<BatchResult> r = ParseSnsPublishBatchResponse(xml);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->successful_ids, std::vector<std::string>{"0"});
  ASSERT_EQ(r->failed.size(), 2u);
  EXPECT_EQ(r->failed[0].id, "1");
  EXPECT_EQ(r->failed[0].code, "InternalError");
  EXPECT_FALSE(r->failed[0].sender_fault);
  EXPECT_TRUE(r->failed[1].sender_fault);
}

TEST(SnsProtocol, MalformedAnswersAreUnavailableNotCrashes) {
  for (std::string bad : std::vector<std::string>{"", "<", "not xml", "<PublishResponse><PublishResult/></PublishResponse>",
                          "<OtherResponse><OtherResult><MessageId>x</MessageId></OtherResult></OtherResponse>",
                          "<PublishResponse><PublishResult><MessageId></MessageId></PublishResult></PublishResponse>",
                          "{\"json\":true}", std::string("\0\xff\xfe", 3)}) {
    Result<std::string> r = ParseSnsPublishResponse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << bad;
  }
  EXPECT_FALSE(ParseSnsPublishBatchResponse("<PublishBatchResponse><PublishBatchResult><Failed><member>"
                                            "<Code>X</Code></member></Failed></PublishBatchResult>"
                                            "</PublishBatchResponse>").ok());
}

TEST(SnsProtocol, ParsesErrors) {
  HttpResponse throttled{.status = 400,
                         .body = std::string("<ErrorResponse ") + kNs +
                                 "><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
                                 "</Error><RequestId>r</RequestId></ErrorResponse>"};
  AwsError e = ParseSnsError(throttled);
  EXPECT_EQ(e.code, "Throttling");
  EXPECT_EQ(e.message, "Rate exceeded");
  EXPECT_EQ(ClassifyAwsError(e), AwsErrorKind::kThrottled);
  EXPECT_EQ(AwsErrorToStatus(e, "Publish").code(), StatusCode::kUnavailable);

  AwsError missing = ParseSnsError({.status = 404, .body = std::string("<ErrorResponse ") + kNs +
                                                          "><Error><Code>NotFound</Code><Message>Topic does not exist"
                                                          "</Message></Error></ErrorResponse>"});
  EXPECT_EQ(AwsErrorToStatus(missing, "Publish").code(), StatusCode::kNotFound);

  AwsError auth = ParseSnsError({.status = 403, .body = "<ErrorResponse><Error><Code>InvalidClientTokenId</Code>"
                                                        "</Error></ErrorResponse>"});
  EXPECT_EQ(AwsErrorToStatus(auth, "Publish").code(), StatusCode::kPermissionDenied);

  AwsError gateway = ParseSnsError({.status = 502, .body = "<html>Bad Gateway</html>"});
  EXPECT_EQ(gateway.code, "");
  EXPECT_EQ(ClassifyAwsError(gateway), AwsErrorKind::kServer);

  AwsError garbage = ParseSnsError({.status = 400, .body = "\x01\x02"});
  EXPECT_EQ(ClassifyAwsError(garbage), AwsErrorKind::kClient);
  EXPECT_EQ(AwsErrorToStatus(garbage, "Publish").code(), StatusCode::kInvalidArgument);
}

TEST(SnsProtocol, ResultFieldsAndMembers) {
  std::string xml = std::string("<CreateTopicResponse ") + kNs +
                    "><CreateTopicResult><TopicArn>arn:aws:sns:us-east-1:1:t</TopicArn></CreateTopicResult>"
                    "</CreateTopicResponse>";
  EXPECT_EQ(ParseSnsResultField(xml, "CreateTopic", "TopicArn").value(), "arn:aws:sns:us-east-1:1:t");
  std::string list = std::string("<ListSubscriptionsByTopicResponse ") + kNs +
                     "><ListSubscriptionsByTopicResult><Subscriptions><member><Endpoint>arn:q</Endpoint>"
                     "<Protocol>sqs</Protocol></member></Subscriptions></ListSubscriptionsByTopicResult>"
                     "</ListSubscriptionsByTopicResponse>";
  auto members = ParseSnsMembers(list, "ListSubscriptionsByTopic", "Subscriptions");
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->size(), 1u);
  EXPECT_EQ((*members)[0][0], (std::pair<std::string, std::string>{"Endpoint", "arn:q"}));
}

TEST(SnsProtocol, UnwrapsEnvelopesOnly) {
  std::string envelope = R"({"Type":"Notification","MessageId":"m","TopicArn":"arn:t","Message":"rs1.AAAA",)"
                         R"("Timestamp":"2024-01-01T00:00:00.000Z","SignatureVersion":"1"})";
  EXPECT_EQ(UnwrapSnsEnvelope(envelope).value_or(""), "rs1.AAAA");
  EXPECT_FALSE(UnwrapSnsEnvelope("rs1.AAAA").has_value());
  EXPECT_FALSE(UnwrapSnsEnvelope("{not json").has_value());
  EXPECT_FALSE(UnwrapSnsEnvelope(R"({"Type":"SubscriptionConfirmation","Message":"x","TopicArn":"t"})").has_value());
  EXPECT_FALSE(UnwrapSnsEnvelope(R"({"Type":"Notification","Message":7,"TopicArn":"t"})").has_value());
}

TEST(SqsProtocol, ReceiveRequestCarriesQueueUrlAndWait) {
  SqsCall c = SqsReceiveMessage("http://sqs.us-east-1.127.0.0.1:4566/000000000000/q", 10, 20, 30);
  EXPECT_EQ(c.target, "AmazonSQS.ReceiveMessage");
  EXPECT_NE(c.body.find("\"QueueUrl\":\"http://sqs.us-east-1.127.0.0.1:4566/000000000000/q\""), std::string::npos);
  EXPECT_NE(c.body.find("\"WaitTimeSeconds\":20"), std::string::npos);
  EXPECT_NE(c.body.find("\"VisibilityTimeout\":30"), std::string::npos);
  EXPECT_EQ(SqsReceiveMessage("u", 1, 0, -1).body.find("VisibilityTimeout"), std::string::npos);
}

TEST(SqsProtocol, ParsesReceive) {
  Result<std::vector<SqsMessage>> r = ParseSqsReceiveMessageResponse(
      R"({"Messages":[{"MessageId":"id1","ReceiptHandle":"rh1","MD5OfBody":"x","Body":"hello",)"
      R"("Attributes":{"ApproximateReceiveCount":"3"}},{"MessageId":"id2","ReceiptHandle":"rh2","Body":""}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].body, "hello");
  EXPECT_EQ((*r)[0].receive_count, 3u);
  EXPECT_EQ((*r)[1].receipt_handle, "rh2");
  EXPECT_EQ((*r)[1].receive_count, 0u);
  Result<std::vector<SqsMessage>> empty = ParseSqsReceiveMessageResponse("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(SqsProtocol, MalformedReceiveIsUnavailable) {
  for (const char* bad : {"", "[]", "{", "null", R"({"Messages":{}})", R"({"Messages":[1]})",
                          R"({"Messages":[{"MessageId":"m","Body":"b"}]})",
                          R"({"Messages":[{"ReceiptHandle":"r","Body":5}]})", "<xml/>"}) {
    Result<std::vector<SqsMessage>> r = ParseSqsReceiveMessageResponse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << bad;
  }
  // A bad count is ignored, not fatal.
  auto r = ParseSqsReceiveMessageResponse(
      R"({"Messages":[{"ReceiptHandle":"r","Body":"b","Attributes":{"ApproximateReceiveCount":"x9"}}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].receive_count, 0u);
}

TEST(SqsProtocol, ParsesPartialDeleteBatch) {
  SqsCall c = SqsDeleteMessageBatch("u", {{"0", "a"}, {"1", "b"}});
  EXPECT_EQ(c.target, "AmazonSQS.DeleteMessageBatch");
  EXPECT_NE(c.body.find(R"({"Id":"1","ReceiptHandle":"b"})"), std::string::npos);
  Result<BatchResult> r = ParseSqsBatchResponse(
      R"({"Successful":[{"Id":"0"}],"Failed":[{"Id":"1","SenderFault":true,"Code":"ReceiptHandleIsInvalid",)"
      R"("Message":"bad"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->successful_ids, std::vector<std::string>{"0"});
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].code, "ReceiptHandleIsInvalid");
  EXPECT_TRUE(r->failed[0].sender_fault);
  EXPECT_FALSE(ParseSqsBatchResponse(R"({"Failed":[{"Code":"x"}]})").ok());
  EXPECT_FALSE(ParseSqsBatchResponse(R"({"Successful":"no"})").ok());
  EXPECT_FALSE(ParseSqsBatchResponse("garbage").ok());
}

TEST(SqsProtocol, ParsesErrorsPreferringQueryErrorHeader) {
  HttpResponse missing{.status = 400,
                       .headers = {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}},
                       .body = R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"no queue"})"};
  AwsError e = ParseSqsError(missing);
  EXPECT_EQ(e.code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(e.message, "no queue");
  EXPECT_EQ(AwsErrorToStatus(e, "ReceiveMessage").code(), StatusCode::kNotFound);

  AwsError no_header = ParseSqsError({.status = 400, .body = R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist"})"});
  EXPECT_EQ(no_header.code, "QueueDoesNotExist");

  // SQS throttles with 403 RequestThrottled: retry, not a permission problem.
  AwsError throttled = ParseSqsError({.status = 403, .body = R"({"__type":"com.amazonaws.sqs#RequestThrottled"})"});
  EXPECT_EQ(ClassifyAwsError(throttled), AwsErrorKind::kThrottled);
  AwsError denied = ParseSqsError({.status = 400, .body = R"({"__type":"com.amazon.coral.service#AccessDeniedException"})"});
  EXPECT_EQ(ClassifyAwsError(denied), AwsErrorKind::kAuth);
  AwsError unavailable = ParseSqsError({.status = 503, .body = "Service Unavailable"});
  EXPECT_EQ(ClassifyAwsError(unavailable), AwsErrorKind::kServer);
  EXPECT_EQ(ClassifyAwsError(ParseSqsError({.status = 429, .body = "{}"})), AwsErrorKind::kThrottled);
}

TEST(SqsProtocol, FieldsAndAttributes) {
  EXPECT_EQ(ParseSqsStringField(R"({"QueueUrl":"http://x/1/q"})", "QueueUrl").value(), "http://x/1/q");
  EXPECT_FALSE(ParseSqsStringField("{}", "QueueUrl").ok());
  auto attrs = ParseSqsAttributes(R"({"Attributes":{"ApproximateNumberOfMessages":"4"}})");
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ((*attrs)[0].second, "4");
  EXPECT_FALSE(ParseSqsAttributes(R"({"Attributes":{"A":1}})").ok());
  EXPECT_TRUE(ParseSqsEmptyResponse("").ok());
  EXPECT_TRUE(ParseSqsEmptyResponse("{}").ok());
  EXPECT_FALSE(ParseSqsEmptyResponse("]").ok());
}

TEST(Credentials, EnvironmentFirst) {
  std::map<std::string, std::string> vars{{"AWS_ACCESS_KEY_ID", "AK"}, {"AWS_SECRET_ACCESS_KEY", "SK"},
                                          {"AWS_SESSION_TOKEN", "T"}, {"AWS_DEFAULT_REGION", "eu-west-1"}};
  EnvLookup env = [&](const char* n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  Result<AwsCredentials> c = LoadAwsCredentials(env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AK");
  EXPECT_EQ(c->session_token, "T");
  EXPECT_EQ(LoadAwsRegion(env), "eu-west-1");
  vars["AWS_REGION"] = "ap-south-1";
  EXPECT_EQ(LoadAwsRegion(env), "ap-south-1");
  vars.clear();
  vars["HOME"] = "/nonexistent-home-for-test";
  EXPECT_EQ(LoadAwsCredentials(env).status().code(), StatusCode::kNotFound);
}

TEST(Credentials, SharedFileProfiles) {
  const char* text =
      "# comment\n[default]\naws_access_key_id = AKDEF\naws_secret_access_key=SKDEF\n\n"
      "[prod]\r\naws_access_key_id=AKPROD\r\naws_secret_access_key = SKPROD\r\naws_session_token = TOK\r\n"
      "[broken]\naws_access_key_id=only\n";
  EXPECT_EQ(ParseSharedCredentials(text, "default").value().secret_access_key, "SKDEF");
  Result<AwsCredentials> prod = ParseSharedCredentials(text, "prod");
  ASSERT_TRUE(prod.ok());
  EXPECT_EQ(prod->access_key_id, "AKPROD");
  EXPECT_EQ(prod->session_token, "TOK");
  EXPECT_EQ(ParseSharedCredentials(text, "nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ParseSharedCredentials(text, "broken").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSharedCredentials("[default]\ngarbage line\n", "default").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace regionsync

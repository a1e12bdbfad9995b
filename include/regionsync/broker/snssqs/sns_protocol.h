// SNS over the query protocol: requests are form-encoded bodies
// (Action=Publish&Version=2010-03-31&...), answers are XML documents in the
// namespace http://sns.amazonaws.com/doc/2010-03-31/. Pure: text in, values
// out; malformed answers give Unavailable (the endpoint misbehaved; the
// caller keeps its data and tries again later), never a crash.
//
//   std::string body = SnsPublishBody(topic_arn, text);
//   ... send, get `response` with status 200 ...
//   Result<std::string> message_id = ParseSnsPublishResponse(response.body);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "regionsync/broker/snssqs/aws_error.h"
#include "regionsync/broker/snssqs/http_client.h"

namespace regionsync {

inline constexpr std::string_view kSnsApiVersion = "2010-03-31";
inline constexpr std::string_view kSnsFormContentType = "application/x-www-form-urlencoded; charset=utf-8";
// SNS accepts at most 10 entries per PublishBatch.
inline constexpr size_t kSnsMaxBatchEntries = 10;

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "Action=<action>&Version=2010-03-31&k=v..." with every key and value percent-encoded.
std::string SnsQueryBody(std::string_view action, const QueryParams& params);
std::string SnsPublishBody(std::string_view topic_arn, std::string_view message);

struct SnsBatchEntry {
  std::string id;  // unique within the batch: [A-Za-z0-9_-]{1,80}
  std::string message;
};
// REQUIRES: 1 <= entries.size() <= kSnsMaxBatchEntries.
std::string SnsPublishBatchBody(std::string_view topic_arn, const std::vector<SnsBatchEntry>& entries);

// The MessageId of a 200 Publish answer.
Result<std::string> ParseSnsPublishResponse(std::string_view xml);
// Which entries of a 200 PublishBatch answer succeeded and which failed.
Result<BatchResult> ParseSnsPublishBatchResponse(std::string_view xml);
// The text of the first element called `field` inside <ActionResult> of a
// 200 answer (TopicArn of CreateTopic, SubscriptionArn of Subscribe).
Result<std::string> ParseSnsResultField(std::string_view xml, std::string_view action, std::string_view field);
// Each <member> of the list `list` inside <ActionResult>, as field -> text
// (ListSubscriptionsByTopic's Subscriptions).
Result<std::vector<std::vector<std::pair<std::string, std::string>>>> ParseSnsMembers(std::string_view xml,
                                                                                       std::string_view action,
                                                                                       std::string_view list);

// The error of a non-200 answer. Never fails: an unreadable body gives an
// AwsError with only the HTTP status.
AwsError ParseSnsError(const HttpResponse& response);

// A message delivered without raw delivery is an SNS JSON envelope
// ({"Type":"Notification","Message":...}); returns its Message, or nullopt
// when `body` is not such an envelope (raw delivery: use body as is).
std::optional<std::string> UnwrapSnsEnvelope(std::string_view body);

}  // namespace regionsync

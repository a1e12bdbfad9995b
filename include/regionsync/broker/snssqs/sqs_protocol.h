// SQS over the JSON protocol: POST with X-Amz-Target: AmazonSQS.<Action> and
// Content-Type: application/x-amz-json-1.0; bodies and answers are JSON.
// Pure: text in, values out; malformed answers give Unavailable, never a
// crash. The queue URL always travels in the body (requests go to the
// configured endpoint, whatever host the URL names).
//
//   SqsCall call = SqsReceiveMessage(queue_url, 10, /*wait_seconds=*/20, /*visibility=*/-1);
//   ... send call.body with header X-Amz-Target: call.target ...
//   Result<std::vector<SqsMessage>> got = ParseSqsReceiveMessageResponse(response.body);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "regionsync/broker/snssqs/aws_error.h"
#include "regionsync/broker/snssqs/http_client.h"

namespace regionsync {

inline constexpr std::string_view kSqsJsonContentType = "application/x-amz-json-1.0";
// SQS accepts at most 10 entries per batch and 10 messages per receive.
inline constexpr size_t kSqsMaxBatchEntries = 10;

// One SQS call: the X-Amz-Target value and the JSON body.
struct SqsCall {
  std::string target;  // "AmazonSQS.ReceiveMessage"
  std::string body;
};

// `visibility_timeout_seconds` < 0: the queue's default.
// REQUIRES: 1 <= max_messages <= 10, wait_seconds <= 20.
SqsCall SqsReceiveMessage(std::string_view queue_url, int max_messages, int wait_seconds,
                          int visibility_timeout_seconds);

struct SqsMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  uint32_t receive_count = 0;  // ApproximateReceiveCount; 0 if not given
};
Result<std::vector<SqsMessage>> ParseSqsReceiveMessageResponse(std::string_view json);

struct SqsBatchEntry {
  std::string id;
  std::string receipt_handle;
};
// REQUIRES: 1 <= entries.size() <= kSqsMaxBatchEntries.
SqsCall SqsDeleteMessageBatch(std::string_view queue_url, const std::vector<SqsBatchEntry>& entries);
SqsCall SqsDeleteMessage(std::string_view queue_url, std::string_view receipt_handle);
SqsCall SqsChangeMessageVisibility(std::string_view queue_url, std::string_view receipt_handle,
                                   int visibility_timeout_seconds);
// Any other action: `json_body` is the request object's text.
SqsCall SqsGeneric(std::string_view action, std::string json_body);

// Successful / Failed entries of a 200 *Batch answer.
Result<BatchResult> ParseSqsBatchResponse(std::string_view json);
// The string member `field` of a 200 answer's object (GetQueueUrl's QueueUrl).
Result<std::string> ParseSqsStringField(std::string_view json, std::string_view field);
// The "Attributes" object of a GetQueueAttributes answer, as name -> value.
Result<std::vector<std::pair<std::string, std::string>>> ParseSqsAttributes(std::string_view json);
// Checks that a 200 answer is a JSON object (most actions answer "{}").
Status ParseSqsEmptyResponse(std::string_view json);

// The error of a non-200 answer ({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":...};
// the x-amzn-query-error header's code is preferred when present). Never fails.
AwsError ParseSqsError(const HttpResponse& response);

}  // namespace regionsync

#include "regionsync/broker/snssqs/sqs_protocol.h"

#include <cassert>
#include <charconv>
#include <nlohmann/json.hpp>

namespace regionsync {
namespace {

using nlohmann::json;

Status Malformed(std::string_view what) { return Unavailable("malformed SQS answer: " + std::string(what)); }

Result<json> ParseObject(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Malformed("not JSON");
  if (!j.is_object()) return Malformed("not a JSON object");
  return j;
}

// The string member `key` of `j`, or "" if absent or not a string.
std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

SqsCall Make(std::string_view action, const json& body) {
  return {"AmazonSQS." + std::string(action), body.dump()};
}

}  // namespace

SqsCall SqsReceiveMessage(std::string_view queue_url, int max_messages, int wait_seconds,
                          int visibility_timeout_seconds) {
  assert(max_messages >= 1 && max_messages <= 10 && wait_seconds >= 0 && wait_seconds <= 20);
  json body = {{"QueueUrl", queue_url},
               {"MaxNumberOfMessages", max_messages},
               {"WaitTimeSeconds", wait_seconds},
               // Both spellings: AttributeNames is the older one some endpoints still read.
               {"MessageSystemAttributeNames", {"ApproximateReceiveCount"}},
               {"AttributeNames", {"ApproximateReceiveCount"}}};
  if (visibility_timeout_seconds >= 0) body["VisibilityTimeout"] = visibility_timeout_seconds;
  return Make("ReceiveMessage", body);
}

Result<std::vector<SqsMessage>> ParseSqsReceiveMessageResponse(std::string_view text) {
  Result<json> j = ParseObject(text);
  if (!j.ok()) return j.status();
  std::vector<SqsMessage> out;
  auto messages = j->find("Messages");
  if (messages == j->end() || messages->is_null()) return out;  // empty receive: "{}"
  if (!messages->is_array()) return Malformed("Messages is not an array");
  for (const json& m : *messages) {
    if (!m.is_object()) return Malformed("message is not an object");
    SqsMessage msg{.message_id = Str(m, "MessageId"), .receipt_handle = Str(m, "ReceiptHandle"), .body = Str(m, "Body")};
    if (msg.receipt_handle.empty()) return Malformed("message without ReceiptHandle");
    if (!m.contains("Body") || !m["Body"].is_string()) return Malformed("message without Body");
    if (auto attrs = m.find("Attributes"); attrs != m.end() && attrs->is_object()) {
      std::string count = Str(*attrs, "ApproximateReceiveCount");
      uint32_t n = 0;
      auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
      if (ec == std::errc() && ptr == count.data() + count.size()) msg.receive_count = n;
    }
    out.push_back(std::move(msg));
  }
  return out;
}

SqsCall SqsDeleteMessageBatch(std::string_view queue_url, const std::vector<SqsBatchEntry>& entries) {
  assert(!entries.empty() && entries.size() <= kSqsMaxBatchEntries);
  json list = json::array();
  for (const SqsBatchEntry& e : entries) list.push_back({{"Id", e.id}, {"ReceiptHandle", e.receipt_handle}});
  return Make("DeleteMessageBatch", {{"QueueUrl", queue_url}, {"Entries", list}});
}

SqsCall SqsDeleteMessage(std::string_view queue_url, std::string_view receipt_handle) {
  return Make("DeleteMessage", {{"QueueUrl", queue_url}, {"ReceiptHandle", receipt_handle}});
}

SqsCall SqsChangeMessageVisibility(std::string_view queue_url, std::string_view receipt_handle,
                                   int visibility_timeout_seconds) {
  return Make("ChangeMessageVisibility", {{"QueueUrl", queue_url},
                                          {"ReceiptHandle", receipt_handle},
                                          {"VisibilityTimeout", visibility_timeout_seconds}});
}

SqsCall SqsGeneric(std::string_view action, std::string json_body) {
  return {"AmazonSQS." + std::string(action), std::move(json_body)};
}

Result<BatchResult> ParseSqsBatchResponse(std::string_view text) {
  Result<json> j = ParseObject(text);
  if (!j.ok()) return j.status();
  BatchResult out;
  if (auto s = j->find("Successful"); s != j->end() && !s->is_null()) {
    if (!s->is_array()) return Malformed("Successful is not an array");
    for (const json& e : *s) {
      if (!e.is_object() || Str(e, "Id").empty()) return Malformed("Successful entry without Id");
      out.successful_ids.push_back(Str(e, "Id"));
    }
  }
  if (auto f = j->find("Failed"); f != j->end() && !f->is_null()) {
    if (!f->is_array()) return Malformed("Failed is not an array");
    for (const json& e : *f) {
      if (!e.is_object() || Str(e, "Id").empty()) return Malformed("Failed entry without Id");
      auto sf = e.find("SenderFault");
      out.failed.push_back({.id = Str(e, "Id"),
                            .code = Str(e, "Code"),
                            .message = Str(e, "Message"),
                            .sender_fault = sf != e.end() && sf->is_boolean() && sf->get<bool>()});
    }
  }
  return out;
}

Result<std::string> ParseSqsStringField(std::string_view text, std::string_view field) {
  Result<json> j = ParseObject(text);
  if (!j.ok()) return j.status();
  std::string v = Str(*j, std::string(field).c_str());
  if (v.empty()) return Malformed("no string " + std::string(field));
  return v;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseSqsAttributes(std::string_view text) {
  Result<json> j = ParseObject(text);
  if (!j.ok()) return j.status();
  std::vector<std::pair<std::string, std::string>> out;
  auto attrs = j->find("Attributes");
  if (attrs == j->end() || attrs->is_null()) return out;
  if (!attrs->is_object()) return Malformed("Attributes is not an object");
  for (auto it = attrs->begin(); it != attrs->end(); ++it) {
    if (!it.value().is_string()) return Malformed("attribute " + it.key() + " is not a string");
    out.emplace_back(it.key(), it.value().get<std::string>());
  }
  return out;
}

Status ParseSqsEmptyResponse(std::string_view text) {
  // Some endpoints answer an empty body instead of "{}".
  if (text.empty()) return Status::Ok();
  Result<json> j = ParseObject(text);
  return j.ok() ? Status::Ok() : j.status();
}

AwsError ParseSqsError(const HttpResponse& response) {
  AwsError e{.http_status = response.status};
  json j = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    std::string type = Str(j, "__type");
    size_t hash = type.rfind('#');
    e.code = hash == std::string::npos ? type : type.substr(hash + 1);
    e.message = Str(j, "message");
    if (e.message.empty()) e.message = Str(j, "Message");
  }
  // "AWS.SimpleQueueService.NonExistentQueue;Sender": the query-protocol
  // code, the one AWS documents per action.
  std::string_view query_error = response.Header("x-amzn-query-error");
  if (!query_error.empty()) e.code = std::string(query_error.substr(0, query_error.find(';')));
  return e;
}

}  // namespace regionsync

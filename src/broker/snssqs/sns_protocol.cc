#include "regionsync/broker/snssqs/sns_protocol.h"

#include <cassert>
#include <cstring>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "regionsync/broker/snssqs/sigv4.h"

namespace regionsync {
namespace {

// Element names compared without a namespace prefix ("sns:Code" == "Code").
std::string_view LocalName(const char* name) {
  std::string_view n(name);
  size_t colon = n.find(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

pugi::xml_node Child(pugi::xml_node node, std::string_view name) {
  for (pugi::xml_node c : node.children()) {
    if (c.type() == pugi::node_element && LocalName(c.name()) == name) return c;
  }
  return {};
}

// Depth-first search for the first element called `name`.
pugi::xml_node Find(pugi::xml_node node, std::string_view name) {
  for (pugi::xml_node c : node.children()) {
    if (c.type() != pugi::node_element) continue;
    if (LocalName(c.name()) == name) return c;
    if (pugi::xml_node d = Find(c, name)) return d;
  }
  return {};
}

Status Malformed(std::string_view what) { return Unavailable("malformed SNS answer: " + std::string(what)); }

// Parses `xml` and returns <ActionResponse>/<ActionResult>.
Result<pugi::xml_node> ResultNode(pugi::xml_document* doc, std::string_view xml, std::string_view action) {
  pugi::xml_parse_result ok = doc->load_buffer(xml.data(), xml.size());
  if (!ok) return Malformed(std::string("XML: ") + ok.description());
  pugi::xml_node root = doc->document_element();
  if (LocalName(root.name()) != std::string(action) + "Response") {
    return Malformed("root <" + std::string(root.name()) + ">, expected <" + std::string(action) + "Response>");
  }
  pugi::xml_node result = Child(root, std::string(action) + "Result");
  if (!result) return Malformed("no <" + std::string(action) + "Result>");
  return result;
}

}  // namespace

std::string SnsQueryBody(std::string_view action, const QueryParams& params) {
  std::string body = "Action=" + AwsUriEncode(action) + "&Version=" + std::string(kSnsApiVersion);
  for (const auto& [k, v] : params) body += "&" + AwsUriEncode(k) + "=" + AwsUriEncode(v);
  return body;
}

std::string SnsPublishBody(std::string_view topic_arn, std::string_view message) {
  return SnsQueryBody("Publish", {{"TopicArn", std::string(topic_arn)}, {"Message", std::string(message)}});
}

std::string SnsPublishBatchBody(std::string_view topic_arn, const std::vector<SnsBatchEntry>& entries) {
  assert(!entries.empty() && entries.size() <= kSnsMaxBatchEntries);
  QueryParams params{{"TopicArn", std::string(topic_arn)}};
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string prefix = "PublishBatchRequestEntries.member." + std::to_string(i + 1) + ".";
    params.emplace_back(prefix + "Id", entries[i].id);
    params.emplace_back(prefix + "Message", entries[i].message);
  }
  return SnsQueryBody("PublishBatch", params);
}

Result<std::string> ParseSnsPublishResponse(std::string_view xml) {
  return ParseSnsResultField(xml, "Publish", "MessageId");
}

Result<std::string> ParseSnsResultField(std::string_view xml, std::string_view action, std::string_view field) {
  pugi::xml_document doc;
  Result<pugi::xml_node> result = ResultNode(&doc, xml, action);
  if (!result.ok()) return result.status();
  pugi::xml_node node = Find(*result, field);
  if (!node) return Malformed("no <" + std::string(field) + "> in " + std::string(action) + "Result");
  std::string text = node.text().get();
  if (text.empty()) return Malformed("empty <" + std::string(field) + ">");
  return text;
}

Result<BatchResult> ParseSnsPublishBatchResponse(std::string_view xml) {
  pugi::xml_document doc;
  Result<pugi::xml_node> result = ResultNode(&doc, xml, "PublishBatch");
  if (!result.ok()) return result.status();
  BatchResult out;
  for (pugi::xml_node m : Child(*result, "Successful").children()) {
    if (m.type() != pugi::node_element) continue;
    std::string id = Child(m, "Id").text().get();
    if (id.empty()) return Malformed("Successful entry without Id");
    out.successful_ids.push_back(std::move(id));
  }
  for (pugi::xml_node m : Child(*result, "Failed").children()) {
    if (m.type() != pugi::node_element) continue;
    BatchFailure f;
    f.id = Child(m, "Id").text().get();
    f.code = Child(m, "Code").text().get();
    f.message = Child(m, "Message").text().get();
    f.sender_fault = std::strcmp(Child(m, "SenderFault").text().get(), "true") == 0;
    if (f.id.empty()) return Malformed("Failed entry without Id");
    out.failed.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<std::vector<std::pair<std::string, std::string>>>> ParseSnsMembers(std::string_view xml,
                                                                                       std::string_view action,
                                                                                       std::string_view list) {
  pugi::xml_document doc;
  Result<pugi::xml_node> result = ResultNode(&doc, xml, action);
  if (!result.ok()) return result.status();
  std::vector<std::vector<std::pair<std::string, std::string>>> out;
  for (pugi::xml_node m : Child(*result, list).children()) {
    if (m.type() != pugi::node_element) continue;
    std::vector<std::pair<std::string, std::string>> fields;
    for (pugi::xml_node f : m.children()) {
      if (f.type() == pugi::node_element) fields.emplace_back(std::string(LocalName(f.name())), f.text().get());
    }
    out.push_back(std::move(fields));
  }
  return out;
}

AwsError ParseSnsError(const HttpResponse& response) {
  AwsError e{.http_status = response.status};
  pugi::xml_document doc;
  if (!doc.load_buffer(response.body.data(), response.body.size())) return e;
  pugi::xml_node error = Find(doc, "Error");
  if (!error) return e;
  e.code = Child(error, "Code").text().get();
  e.message = Child(error, "Message").text().get();
  return e;
}

std::optional<std::string> UnwrapSnsEnvelope(std::string_view body) {
  // Our own frames start with "rs1."; only a JSON object can be an envelope.
  if (body.empty() || body.front() != '{') return std::nullopt;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto type = j.find("Type");
  auto message = j.find("Message");
  if (type == j.end() || message == j.end() || !type->is_string() || !message->is_string()) return std::nullopt;
  if (*type != "Notification" || !j.contains("TopicArn")) return std::nullopt;
  return message->get<std::string>();
}

}  // namespace regionsync

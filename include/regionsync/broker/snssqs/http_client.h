// HttpClient: the seam between the SNS/SQS protocol code and the network.
//
// Requests and responses are plain values, so the protocol code is tested
// against canned responses (a fake client) as well as against a real
// endpoint (the libcurl client below).
//
//   std::unique_ptr<HttpClient> http = NewCurlHttpClient({.request_timeout_millis = 5000});
//   Result<HttpResponse> r = http->Send({.url = "http://127.0.0.1:4566/", .body = "Action=ListTopics"});
//   if (!r.ok()) return r.status();          // Unavailable: connection failed or timed out
//   if (r->status != 200) { ... r->body holds the service's error document ... }
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "regionsync/common/status.h"

namespace regionsync {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // "http(s)://host[:port]/path[?query]"
  HttpHeaders headers;
  std::string body;
  uint64_t timeout_millis = 0;  // whole request; 0: the client's default
};

struct HttpResponse {
  int status = 0;  // HTTP status code
  HttpHeaders headers;
  std::string body;

  // The first header named `name` (case-insensitive), or "" if absent.
  std::string_view Header(std::string_view name) const;
};

// Sends one request and waits for its response. Implementations say whether
// they are thread-safe; the curl one serializes calls on one connection.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Any HTTP status is a response (check status). Returns Unavailable when
  // no response arrived: connection refused or reset, DNS failure, timeout,
  // or the request was cancelled.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct CurlHttpOptions {
  uint64_t connect_timeout_millis = 2'000;
  uint64_t request_timeout_millis = 10'000;  // used when a request says 0
  // When set and true, a request in flight is aborted (within ~100 ms) and
  // returns Unavailable. Lets an owner stop a thread blocked in a long poll.
  const std::atomic<bool>* cancel = nullptr;
};

// A libcurl client holding one connection (keep-alive between requests, TCP
// keepalive and no Nagle delay). Thread-safe: concurrent Sends take turns.
std::unique_ptr<HttpClient> NewCurlHttpClient(CurlHttpOptions options = {});

// Case-insensitive ASCII comparison of header names.
bool HeaderNameEquals(std::string_view a, std::string_view b);

}  // namespace regionsync

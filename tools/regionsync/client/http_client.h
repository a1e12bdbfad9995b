// ApiClient: the CLI's connection to one regionsyncd HTTP API (cpp-httplib
// underneath). It adds the bearer token, turns transport failures and the
// daemon's JSON errors into Status, and streams the SSE change feed.
//
//   Result<ApiClient> api = ApiClient::Create({.url = "http://127.0.0.1:8080"});
//   Result<ApiAnswer> got = api->Call("GET", KeyPath("sessions"));
//   if (!got.ok()) { std::cerr << got.status().message(); return ExitCodeFor(got.status()); }
//
// Error codes (what the CLI's exit code follows):
//   kUnavailable       no HTTP answer at all: "cannot reach URL: ..." (exit 2)
//   kInvalidArgument   bad --url (exit 2); HTTP 400 (exit 1)
//   kPermissionDenied  HTTP 401/403;  kNotFound 404;  kTypeMismatch 409;
//   kResourceExhausted 413/429;  kInternal other statuses or a non-JSON answer
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "regionsync/common/status.h"
#include "url.h"

namespace httplib {
class Client;
}

namespace regionsync::client {

struct ApiClientOptions {
  std::string url = kDefaultUrl;
  std::string token;  // empty: no Authorization header
  int64_t connect_timeout_millis = 5'000;
  int64_t read_timeout_millis = 30'000;
};

struct ApiAnswer {
  int http_status = 0;
  std::string body;    // as the daemon sent it (printed by --json)
  nlohmann::json json;  // parsed body; null when the body is empty
};

// The Status for a non-2xx answer: the daemon's "message" (else its "error",
// else the body's first line when it is not JSON), with " (HTTP <status>)"
// appended.
Status HttpErrorStatus(int http_status, std::string_view body);

// 2 when the daemon could not be reached or the command line was bad, else 1.
int ExitCodeFor(const Status& status);

class ApiClient {
 public:
  // InvalidArgument when options.url does not parse.
  static Result<ApiClient> Create(const ApiClientOptions& options);

  ApiClient(ApiClient&&) noexcept;
  ApiClient& operator=(ApiClient&&) noexcept;
  ~ApiClient();

  // Sends one request; `path` is a route like KeyPath(...) (the --url prefix is
  // added here). `body`, when not null, goes as JSON. Returns the answer of a
  // 2xx status; otherwise HttpErrorStatus, kUnavailable for transport errors,
  // kInternal for a 2xx body that is not JSON.
  Result<ApiAnswer> Call(std::string_view method, const std::string& path,
                         const nlohmann::json* body = nullptr);

  // GETs `path` as an event stream (Accept: text/event-stream, with
  // Last-Event-ID when `last_event_id` is not empty) and hands each received
  // chunk of a 200 answer to `on_chunk` until it returns false (then OK) or
  // the stream ends (OK too: the caller decides whether to reconnect).
  // `connected` is set once the daemon answered 200. Errors as for Call.
  Status Stream(const std::string& path, const std::string& last_event_id,
                const std::function<bool(std::string_view)>& on_chunk, bool* connected);

  const std::string& url() const { return url_; }

 private:
  ApiClient(std::string url, BaseUrl base, const ApiClientOptions& options);
  Status TransportError(int error) const;

  std::string url_;
  BaseUrl base_;
  std::string token_;
  std::unique_ptr<httplib::Client> http_;
};

}  // namespace regionsync::client

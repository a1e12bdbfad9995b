#include "http_client.h"

#include <httplib.h>

#include <utility>

namespace regionsync::client {
namespace {

using nlohmann::json;

std::string FirstLine(std::string_view text, size_t max_chars) {
  text = text.substr(0, text.find_first_of("\r\n"));
  if (text.size() > max_chars) return std::string(text.substr(0, max_chars)) + "...";
  return std::string(text);
}

const char* ReasonPhrase(int http_status) {
  switch (http_status) {
    case 400: return "bad request";
    case 401: return "unauthorized (set --token or REGIONSYNC_TOKEN)";
    case 403: return "forbidden";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 409: return "conflict";
    case 413: return "request too large";
    case 429: return "too many requests";
    case 500: return "internal server error";
    case 502: return "bad gateway";
    case 503: return "service unavailable";
    case 504: return "gateway timeout";
    default: return "HTTP error";
  }
}

}  // namespace

Status HttpErrorStatus(int http_status, std::string_view body) {
  std::string message;
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  // regionsyncd answers {"error": "type_mismatch", "message": "key 'k' is a ..."}:
  // the message is for people, the error name for programs.
  const json* text = nullptr;
  if (parsed.is_object()) {
    for (const char* name : {"message", "error"}) {
      if (auto it = parsed.find(name); it != parsed.end() && !it->is_null()) {
        text = &*it;
        break;
      }
    }
  }
  if (text != nullptr) {
    message = text->is_string() ? text->get<std::string>() : text->dump(-1, ' ', false, json::error_handler_t::replace);
  } else if (!parsed.is_discarded() || body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    message = ReasonPhrase(http_status);
  } else {
    message = FirstLine(body, 200);
  }
  message += " (HTTP " + std::to_string(http_status) + ")";
  switch (http_status) {
    case 400: return InvalidArgument(std::move(message));
    case 401:
    case 403: return PermissionDenied(std::move(message));
    case 404: return NotFound(std::move(message));
    case 409: return TypeMismatch(std::move(message));
    case 413:
    case 429: return ResourceExhausted(std::move(message));
    default: return Internal(std::move(message));
  }
}

int ExitCodeFor(const Status& status) {
  if (status.ok()) return 0;
  // An HTTP 400 is the daemon rejecting a request (exit 1); only a URL we
  // could not even parse is a usage error. Call marks those with kInvalidArgument
  // and no "(HTTP" suffix.
  if (status.code() == StatusCode::kUnavailable) return 2;
  if (status.code() == StatusCode::kInvalidArgument && status.message().find("(HTTP ") == std::string::npos) return 2;
  return 1;
}

Result<ApiClient> ApiClient::Create(const ApiClientOptions& options) {
  Result<BaseUrl> base = ParseBaseUrl(options.url);
  if (!base.ok()) return base.status();
  return ApiClient(options.url, *base, options);
}

ApiClient::ApiClient(std::string url, BaseUrl base, const ApiClientOptions& options)
    : url_(std::move(url)), base_(std::move(base)), token_(options.token) {
  http_ = std::make_unique<httplib::Client>(base_.origin);
  // Paths arrive percent-encoded already (url.h); encoding twice would turn
  // a key "a b" into "a%2520b".
  http_->set_url_encode(false);
  http_->set_connection_timeout(std::chrono::milliseconds(options.connect_timeout_millis));
  http_->set_read_timeout(std::chrono::milliseconds(options.read_timeout_millis));
  http_->set_write_timeout(std::chrono::milliseconds(options.read_timeout_millis));
  http_->set_keep_alive(false);
}

ApiClient::ApiClient(ApiClient&&) noexcept = default;
ApiClient& ApiClient::operator=(ApiClient&&) noexcept = default;
ApiClient::~ApiClient() = default;

Status ApiClient::TransportError(int error) const {
  std::string why;
  switch (static_cast<httplib::Error>(error)) {
    case httplib::Error::Connection: why = "connection refused or host unreachable"; break;
    case httplib::Error::ConnectionTimeout: why = "timed out while connecting"; break;
    case httplib::Error::Read: why = "connection closed or timed out while reading the answer"; break;
    case httplib::Error::Write: why = "connection closed while sending the request"; break;
    case httplib::Error::SSLConnection: why = "TLS handshake failed"; break;
    case httplib::Error::SSLServerVerification: why = "TLS certificate verification failed"; break;
    case httplib::Error::SSLLoadingCerts: why = "could not load the CA certificates"; break;
    default: why = httplib::to_string(static_cast<httplib::Error>(error)); break;
  }
  return Unavailable("cannot reach " + url_ + ": " + why);
}

Result<ApiAnswer> ApiClient::Call(std::string_view method, const std::string& path, const json* body) {
  httplib::Request request;
  request.method = std::string(method);
  request.path = base_.path_prefix + path;
  request.set_header("Accept", "application/json");
  if (!token_.empty()) request.set_header("Authorization", "Bearer " + token_);
  if (body != nullptr) {
    request.body = body->dump(-1, ' ', false, json::error_handler_t::replace);
    request.set_header("Content-Type", "application/json");
  }
  httplib::Result result = http_->send(request);
  if (!result) return TransportError(static_cast<int>(result.error()));
  ApiAnswer answer{result->status, std::move(result->body), nullptr};
  if (answer.http_status < 200 || answer.http_status > 299) return HttpErrorStatus(answer.http_status, answer.body);
  if (answer.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    answer.json = json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
    if (answer.json.is_discarded()) {
      return Internal("the daemon at " + url_ + " answered " + request.method + " " + request.path +
                      " with something that is not JSON: " + FirstLine(answer.body, 120));
    }
  }
  return answer;
}

Status ApiClient::Stream(const std::string& path, const std::string& last_event_id,
                         const std::function<bool(std::string_view)>& on_chunk, bool* connected) {
  *connected = false;
  httplib::Headers headers{{"Accept", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  if (!token_.empty()) headers.emplace("Authorization", "Bearer " + token_);
  if (!last_event_id.empty()) headers.emplace("Last-Event-ID", last_event_id);
  int status = 0;
  std::string error_body;
  bool stopped = false;
  httplib::Result result = http_->Get(
      base_.path_prefix + path, headers,
      [&](const httplib::Response& response) {
        status = response.status;
        *connected = status == 200;
        return true;
      },
      [&](const char* data, size_t size) {
        if (status != 200) {
          if (error_body.size() < 64 * 1024) error_body.append(data, size);
          return true;
        }
        if (!on_chunk(std::string_view(data, size))) {
          stopped = true;
          return false;
        }
        return true;
      });
  if (stopped) return Status::Ok();
  if (!result) {
    // A stream that breaks after the daemon answered is the normal end of a
    // long watch (daemon restart, idle timeout): the caller reconnects.
    if (*connected) return Status::Ok();
    return TransportError(static_cast<int>(result.error()));
  }
  if (result->status != 200) return HttpErrorStatus(result->status, error_body.empty() ? result->body : error_body);
  return Status::Ok();
}

}  // namespace regionsync::client

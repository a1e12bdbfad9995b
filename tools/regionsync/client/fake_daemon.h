// FakeDaemon: a tiny HTTP server on a free loopback port that answers the
// regionsyncd routes with canned JSON and records what it was sent. For the
// client's tests only; it runs no CRDT logic.
//
//   FakeDaemon daemon;
//   daemon.Answer("GET /v1/keys/sessions", 200, R"({"key":"sessions","type":"pn_counter","value":42})");
//   ... run `regionsync get --url daemon.url() sessions` ...
//   EXPECT_EQ(daemon.requests()[0].target, "/v1/keys/sessions");
#pragma once

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace regionsync::client {

// A loopback port nobody listens on: bound by a plain socket, then closed.
// (An httplib::Server that never listened keeps its socket open.)
inline int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class FakeDaemon {
 public:
  struct Seen {
    std::string method;
    std::string target;  // as sent, still percent-encoded
    std::string body;
    std::string authorization;
    std::string last_event_id;
  };

  FakeDaemon() {
    auto handler = [this](const httplib::Request& request, httplib::Response& response) { Handle(request, response); };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Delete(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so a test that never
    // talks to the daemon would hang in the destructor's join.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  }
  ~FakeDaemon() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Answers `method_and_target` ("GET /v1/keys/a%2Fb") with `status` and `body`.
  void Answer(const std::string& method_and_target, int status, std::string body) {
    AnswerInTurn(method_and_target, {{status, std::move(body)}});
  }

  // The n-th request to `method_and_target` gets answers[n] (status, body);
  // the last one repeats. REQUIRES: !answers.empty().
  void AnswerInTurn(const std::string& method_and_target, std::vector<std::pair<int, std::string>> answers) {
    std::lock_guard<std::mutex> lock(mutex_);
    answers_[method_and_target] = std::move(answers);
    asked_[method_and_target] = 0;
  }

  // The n-th connection to GET /v1/events (with any query) gets streams[n]
  // (the last one repeats), sent in one chunk, after which the stream ends.
  void Events(std::vector<std::string> streams) {
    std::lock_guard<std::mutex> lock(mutex_);
    event_streams_ = std::move(streams);
  }

  std::vector<Seen> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

  // Waits until `n` requests have arrived or `timeout` passed; returns
  // whether they did.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    std::unique_lock<std::mutex> lock(mutex_);
    return arrived_.wait_for(lock, timeout, [&] { return seen_.size() >= n; });
  }

 private:
  void Handle(const httplib::Request& request, httplib::Response& response) {
    std::lock_guard<std::mutex> lock(mutex_);
    seen_.push_back({request.method, request.target, request.body, request.get_header_value("Authorization"),
                     request.get_header_value("Last-Event-ID")});
    arrived_.notify_all();
    if (request.method == "GET" && request.path == "/v1/events" && !event_streams_.empty()) {
      std::string stream = event_streams_[std::min(event_connections_++, event_streams_.size() - 1)];
      response.set_chunked_content_provider("text/event-stream", [stream](size_t, httplib::DataSink& sink) {
        sink.write(stream.data(), stream.size());
        sink.done();
        return true;
      });
      return;
    }
    std::string route = request.method + " " + request.target;
    auto it = answers_.find(route);
    if (it == answers_.end()) {
      response.status = 404;
      response.set_content(R"({"error":"no such route in the fake daemon"})", "application/json");
      return;
    }
    const auto& [status, body] = it->second[std::min(asked_[route]++, it->second.size() - 1)];
    response.status = status;
    response.set_content(body, "application/json");
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::map<std::string, std::vector<std::pair<int, std::string>>> answers_;
  std::map<std::string, size_t> asked_;
  std::vector<std::string> event_streams_;
  size_t event_connections_ = 0;
  std::vector<Seen> seen_;
};

}  // namespace regionsync::client

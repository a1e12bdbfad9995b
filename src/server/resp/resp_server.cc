#include "regionsync/server/resp/resp_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <boost/asio.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "regionsync/common/seeded_hash.h"
#include "regionsync/server/resp/glob.h"
#include "regionsync/server/resp/resp_commands.h"
#include "regionsync/server/resp/resp_writer.h"

namespace regionsync {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr size_t kReadChunk = 16 * 1024;
// Stop running a client's commands while this much output waits for the
// socket: a client that pipelines without reading cannot grow memory.
constexpr size_t kMaxPendingOutput = 1 << 20;
constexpr uint64_t kCommitRetryMicros = 10'000;
// A subscriber that reads slower than messages arrive is disconnected once
// this much waits for it (Redis's client-output-buffer-limit for pub/sub).
constexpr size_t kMaxSubscriberBacklog = 32 << 20;

// The event of a change not made by this port's commands (merged from
// another region, or an HTTP write).
const char* DerivedEvent(const AnyCrdt& v) {
  if (!HasValue(v)) return "del";
  switch (TypeOf(v)) {
    case pb::OR_SET:
      return "sadd";
    case pb::OR_MAP:
      return "hset";
    case pb::SORTED_SET:  // a remote ZADD, ZINCRBY or ZREM of some members
      return "zadd";
    case pb::PN_COUNTER:
    case pb::G_COUNTER:
      return "incrby";
    case pb::STRING:  // a pure counter (no SET base) changed by increments
      return std::get<RedisString>(v).HasBase() ? "set" : "incrby";
    default:
      return "set";
  }
}

struct Message {
  std::string channel;
  std::string payload;
};

}  // namespace

class Connection;

class RespServer::Impl {
 public:
  Impl(SyncNode* node, Env* env, RespServerOptions options)
      : node_(node),
        env_(env),
        options_(std::move(options)),
        commands_(node, env, &stats_, {.api_tokens = options_.api_tokens}),
        acceptor_(io_),
        commit_retry_(io_) {}

  Status Listen(const std::string& address, int port);
  void Shutdown();
  int port() const { return stats_.port; }

  // ---- Used by connections (event-loop thread only).
  SyncNode& node() { return *node_; }
  RespCommands& commands() { return commands_; }
  RespServerStats& stats() { return stats_; }
  const RespServerOptions& options() const { return options_; }
  asio::io_context& io() { return io_; }
  // Commits soon, then answers `c`'s pending replies.
  void RequestCommit(std::shared_ptr<Connection> c);
  void Closed(const std::shared_ptr<Connection>& c);
  // Pub/sub. Return the connection's subscription count after the change.
  void Subscribe(Connection* c, const std::string& channel, bool pattern);
  void Unsubscribe(Connection* c, const std::string& channel, bool pattern);
  size_t Publish(const std::string& channel, const std::string& payload);
  std::vector<RespSession*> Sessions();
  void Kill(uint64_t id);

 private:
  void Accept();
  void RunCommit();
  void OnChange(const ChangeEvent& e);

  SyncNode* node_;
  Env* env_;
  RespServerOptions options_;
  RespServerStats stats_;
  RespCommands commands_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  bool listening_ = false;
  bool shut_down_ = false;
  int listener_token_ = 0;
  uint64_t next_id_ = 1;

  std::unordered_set<std::shared_ptr<Connection>> connections_;
  std::vector<std::shared_ptr<Connection>> awaiting_commit_;
  bool commit_posted_ = false;
  uint64_t commit_failing_since_ = 0;  // monotonic micros, 0 while commits succeed
  asio::steady_timer commit_retry_;

  // Channel names come from clients: a seeded hash (seeded_hash.h).
  std::unordered_map<std::string, std::unordered_set<Connection*>, SeededStringHash, std::equal_to<>> channels_;
  std::map<std::string, std::unordered_set<Connection*>> patterns_;
  // Subscriptions in all: read by the change listener on other threads, so
  // that changes cost nothing while nobody listens.
  std::atomic<size_t> subscription_count_{0};
};

// One client. Lives on the event-loop thread; handlers hold a shared_ptr.
class Connection : public std::enable_shared_from_this<Connection>, public RespServerHooks {
 public:
  Connection(RespServer::Impl* server, tcp::socket socket, uint64_t id)
      : server_(server), socket_(std::move(socket)), parser_(server->options().limits) {
    session_.id = id;
    boost::system::error_code ec;
    auto peer = socket_.remote_endpoint(ec);
    if (!ec) session_.addr = peer.address().to_string() + ":" + std::to_string(peer.port());
    auto local = socket_.local_endpoint(ec);
    if (!ec) session_.laddr = local.address().to_string() + ":" + std::to_string(local.port());
  }

  void Start() { Read(); }
  void Close();
  // Runs the complete commands received so far.
  void Process();
  // The commit this connection waited for is done.
  void Committed() {
    awaiting_commit_ = false;
    Flush();
    Process();
  }
  uint64_t last_write() const { return last_write_; }
  void Push(const std::vector<std::string>& words);
  RespSession& session() { return session_; }
  std::set<std::string>& channels() { return channels_; }
  std::set<std::string>& patterns() { return patterns_; }

  // RespServerHooks: the server's own commands (pub/sub, QUIT), run for
  // RespCommands::Execute, and the clients for CLIENT LIST / KILL.
  bool RunServerCommand(RespSession& session, const std::string& name, const std::vector<std::string>& args,
                        RespWriter& w) override;
  std::vector<RespSession*> Sessions() override;
  void Kill(RespSession& session) override;

 private:
  void Read();
  void Flush();
  // ["subscribe" | ..., channel or nil, subscriptions left]
  void SubscriptionReply(RespWriter& w, const std::string& kind, const std::string* channel);

  RespServer::Impl* server_;
  tcp::socket socket_;
  RespParser parser_;
  RespSession session_;
  std::vector<std::string> args_;
  std::string out_;      // replies not yet handed to the socket
  std::string sending_;  // the buffer of the write in flight
  bool reading_ = false;
  bool writing_ = false;
  bool awaiting_commit_ = false;
  bool closing_ = false;  // close once out_ is sent (QUIT, protocol error)
  bool closed_ = false;
  uint64_t last_write_ = 0;  // Replica::local_writes() after this client's last write
  std::set<std::string> channels_, patterns_;
};

// ---- Connection.

void Connection::Read() {
  if (reading_ || closing_ || closed_) return;
  reading_ = true;
  std::span<char> buf = parser_.PrepareFeed(kReadChunk);
  socket_.async_read_some(asio::buffer(buf.data(), buf.size()),
                          [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
                            self->reading_ = false;
                            if (ec) {
                              self->parser_.CommitFeed(0);
                              self->Close();
                              return;
                            }
                            self->parser_.CommitFeed(n);
                            self->Process();
                          });
}

void Connection::Process() {
  if (closed_ || awaiting_commit_) return;
  Replica& replica = server_->node().replica();
  if (parser_.buffered_bytes() > 0 && !closing_) {
    std::lock_guard lock(server_->node().mutex());
    RespWriter w(&out_, session_.protocol);
    while (out_.size() < kMaxPendingOutput) {
      Result<bool> got = parser_.Next(&args_);
      if (!got.ok()) {
        w.Error("ERR " + got.status().message());
        closing_ = true;
        break;
      }
      if (!*got) break;
      server_->stats().total_commands.fetch_add(1, std::memory_order_relaxed);
      // CLIENT REPLY OFF / SKIP: the command runs, its reply is dropped.
      session_.reply_skip = std::exchange(session_.reply_skip_next, false);
      size_t reply_start = out_.size();
      server_->commands().Execute(session_, args_, w, this);
      w.set_protocol(session_.protocol);  // HELLO may have switched it
      if (session_.reply_off || session_.reply_skip) out_.resize(reply_start);
      if (closing_) break;
    }
    // Replies wait for every write made so far, this client's or not: no
    // client is ever shown a value that is not durable yet.
    last_write_ = replica.local_writes();
    awaiting_commit_ = last_write_ > replica.committed_writes();
  }
  if (awaiting_commit_) {
    server_->RequestCommit(shared_from_this());
    return;
  }
  Flush();
  if (out_.size() < kMaxPendingOutput) Read();
}

bool Connection::RunServerCommand(RespSession& session, const std::string& name,
                                  const std::vector<std::string>& args, RespWriter& w) {
  assert(&session == &session_);
  (void)session;
  bool pubsub = name == "subscribe" || name == "psubscribe" || name == "unsubscribe" ||
                name == "punsubscribe" || name == "publish";
  if (!pubsub && name != "quit" && !(name == "ping" && session_.subscriptions > 0)) return false;
  if (name == "quit") {
    w.SimpleString("OK");
    closing_ = true;
  } else if (name == "ping") {  // in subscribed mode
    if (session_.protocol == 3) {
      w.SimpleString("PONG");
    } else {
      w.ArrayHeader(2);
      w.Bulk("pong");
      w.Bulk(args.size() > 1 ? args[1] : "");
    }
  } else if (name == "publish") {
    if (args.size() != 3) {
      w.Error("ERR wrong number of arguments for 'publish' command");
    } else {
      w.Integer(static_cast<int64_t>(server_->Publish(args[1], args[2])));
    }
  } else {
    bool pattern = name[0] == 'p';
    bool subscribe = name.find("unsub") == std::string::npos;
    if (subscribe && args.size() < 2) {
      w.Error("ERR wrong number of arguments for '" + name + "' command");
      return true;
    }
    std::vector<std::string> targets(args.begin() + 1, args.end());
    std::set<std::string>& mine = pattern ? patterns_ : channels_;
    if (!subscribe && targets.empty()) targets.assign(mine.begin(), mine.end());
    if (!subscribe && targets.empty()) {
      SubscriptionReply(w, name, nullptr);
      return true;
    }
    for (const std::string& t : targets) {
      if (subscribe) {
        server_->Subscribe(this, t, pattern);
      } else {
        server_->Unsubscribe(this, t, pattern);
      }
      SubscriptionReply(w, name, &t);
    }
  }
  return true;
}

void Connection::SubscriptionReply(RespWriter& w, const std::string& kind, const std::string* channel) {
  w.PushHeader(3);
  w.Bulk(kind);
  if (channel != nullptr) {
    w.Bulk(*channel);
  } else {
    w.Null();
  }
  w.Integer(static_cast<int64_t>(session_.subscriptions));
}

std::vector<RespSession*> Connection::Sessions() { return server_->Sessions(); }

void Connection::Kill(RespSession& session) {
  if (&session == &session_) {
    closing_ = true;  // after this command's reply
  } else {
    server_->Kill(session.id);
  }
}

void Connection::Push(const std::vector<std::string>& words) {
  if (closed_) return;
  if (out_.size() + sending_.size() > kMaxSubscriberBacklog) {
    spdlog::warn("msg=\"closing a Redis subscriber that does not keep up\" client={} backlog_bytes={}", session_.id,
                 out_.size() + sending_.size());
    Close();
    return;
  }
  RespWriter w(&out_, session_.protocol);
  w.PushHeader(words.size());
  for (const std::string& word : words) w.Bulk(word);
  if (!awaiting_commit_) Flush();
}

void Connection::Flush() {
  if (writing_ || out_.empty() || closed_ || awaiting_commit_) {
    if (!writing_ && out_.empty() && closing_ && !closed_) Close();
    return;
  }
  // Most replies fit the socket buffer: write now, and only wait for the
  // socket (asynchronously) with what it did not take.
  boost::system::error_code ec;
  size_t n = socket_.write_some(asio::buffer(out_), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    Close();
    return;
  }
  if (n == out_.size()) {
    out_.clear();
    if (closing_) Close();
    return;
  }
  out_.erase(0, n);
  writing_ = true;
  sending_.clear();
  sending_.swap(out_);
  asio::async_write(socket_, asio::buffer(sending_),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->writing_ = false;
                      self->sending_.clear();
                      if (ec) {
                        self->Close();
                        return;
                      }
                      self->Flush();
                      self->Process();  // it may have stopped for the output limit
                    });
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  for (const std::string& c : std::set<std::string>(channels_)) server_->Unsubscribe(this, c, false);
  for (const std::string& p : std::set<std::string>(patterns_)) server_->Unsubscribe(this, p, true);
  {
    std::lock_guard lock(server_->node().mutex());  // recursive: Close may run under it (PUBLISH, CLIENT KILL)
    server_->commands().EndSession(session_);
  }
  server_->Closed(shared_from_this());
}

// ---- Server.

Status RespServer::Impl::Listen(const std::string& address, int port) {
  boost::system::error_code ec;
  asio::ip::address ip = asio::ip::make_address(address == "localhost" ? "127.0.0.1" : address, ec);
  if (ec) return InvalidArgument("resp: bad listen address '" + address + "'");
  tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen for Redis clients on " + address + ":" + std::to_string(port) + " (" +
                       ec.message() + ")");
  }
  stats_.port = acceptor_.local_endpoint().port();
  stats_.started_wall_millis = env_->WallMillis();
  {
    std::lock_guard lock(node_->mutex());
    listener_token_ = node_->replica().Subscribe([this](const ChangeEvent& e) { OnChange(e); });
  }
  listening_ = true;
  Accept();
  thread_ = std::thread([this] { io_.run(); });
  return Status::Ok();
}

void RespServer::Impl::Accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        spdlog::warn("msg=\"resp accept failed\" port={} error=\"{}\"", stats_.port, ec.message());
        Accept();
      }
      return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    socket.non_blocking(true, ignored);  // Flush() writes without waiting
    auto c = std::make_shared<Connection>(this, std::move(socket), next_id_++);
    connections_.insert(c);
    stats_.connected_clients.fetch_add(1);
    stats_.total_connections.fetch_add(1);
    c->Start();
    Accept();
  });
}

void RespServer::Impl::Closed(const std::shared_ptr<Connection>& c) {
  if (connections_.erase(c) > 0) stats_.connected_clients.fetch_sub(1);
}

std::vector<RespSession*> RespServer::Impl::Sessions() {
  std::vector<RespSession*> out;
  out.reserve(connections_.size());
  for (const auto& c : connections_) out.push_back(&c->session());
  std::sort(out.begin(), out.end(), [](const RespSession* a, const RespSession* b) { return a->id < b->id; });
  return out;
}

void RespServer::Impl::Kill(uint64_t id) {
  for (const auto& c : connections_) {
    if (c->session().id == id) {
      std::shared_ptr<Connection> keep = c;
      keep->Close();  // erases itself from connections_: stop iterating
      return;
    }
  }
}

void RespServer::Impl::RequestCommit(std::shared_ptr<Connection> c) {
  awaiting_commit_.push_back(std::move(c));
  if (commit_posted_) return;
  commit_posted_ = true;
  // Posted behind the reads already completed in this loop round: their
  // writes share the commit.
  asio::post(io_, [this] { RunCommit(); });
}

void RespServer::Impl::RunCommit() {
  commit_posted_ = false;
  Status s;
  uint64_t committed;
  {
    std::lock_guard lock(node_->mutex());
    s = node_->CommitNow();
    committed = node_->replica().committed_writes();
  }
  std::vector<std::shared_ptr<Connection>> waiting = std::move(awaiting_commit_);
  awaiting_commit_.clear();
  if (!s.ok()) {
    uint64_t now = env_->MonotonicMicros();
    if (commit_failing_since_ == 0) {
      commit_failing_since_ = now;
      spdlog::error("msg=\"commit failed; Redis writes wait\" port={} error=\"{}\"", stats_.port, s.ToString());
    }
    if (now - commit_failing_since_ >= options_.write_timeout_micros) {
      // Not acknowledged: the client sees the connection close, never an OK.
      for (auto& c : waiting) c->Close();
      spdlog::error("msg=\"closed Redis clients whose writes could not be made durable\" port={} count={}",
                    stats_.port, waiting.size());
      commit_failing_since_ = 0;
      return;
    }
    awaiting_commit_ = std::move(waiting);
    commit_posted_ = true;
    commit_retry_.expires_after(std::chrono::microseconds(kCommitRetryMicros));
    commit_retry_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) RunCommit();
    });
    return;
  }
  commit_failing_since_ = 0;
  for (auto& c : waiting) {
    if (c->last_write() <= committed) {
      c->Committed();
    } else {
      RequestCommit(c);  // written after this commit began: the next one
    }
  }
}

void RespServer::Impl::OnChange(const ChangeEvent& e) {
  if (!e.changed || subscription_count_.load(std::memory_order_relaxed) == 0) return;
  // On the writer's thread, under the node's lock: the command being run
  // (if it is ours) names the event.
  const char* local = e.local ? commands_.current_event() : nullptr;
  std::string event = e.expired          ? "expired"
                      : e.fields_expired ? "hexpired"
                      : local != nullptr ? local
                                         : DerivedEvent(e.value);
  std::vector<Message> messages;
  messages.push_back({"__keyspace@0__:" + e.key, event});
  messages.push_back({"__keyevent@0__:" + event, e.key});
  if (!e.expired && event != "del" && event != "rename_from" && !HasValue(e.value)) {  // e.g. SREM of the last member
    messages.push_back({"__keyspace@0__:" + e.key, "del"});
    messages.push_back({"__keyevent@0__:del", e.key});
  }
  asio::post(io_, [this, messages = std::move(messages)] {
    for (const Message& m : messages) Publish(m.channel, m.payload);
  });
}

void RespServer::Impl::Subscribe(Connection* c, const std::string& channel, bool pattern) {
  std::set<std::string>& mine = pattern ? c->patterns() : c->channels();
  if (!mine.insert(channel).second) return;
  if (pattern) {
    patterns_[channel].insert(c);
  } else {
    channels_[channel].insert(c);
  }
  ++c->session().subscriptions;
  subscription_count_.fetch_add(1);
}

void RespServer::Impl::Unsubscribe(Connection* c, const std::string& channel, bool pattern) {
  std::set<std::string>& mine = pattern ? c->patterns() : c->channels();
  if (mine.erase(channel) == 0) return;
  auto drop = [&](auto& table) {
    auto it = table.find(channel);
    if (it == table.end()) return;
    it->second.erase(c);
    if (it->second.empty()) table.erase(it);
  };
  if (pattern) {
    drop(patterns_);
  } else {
    drop(channels_);
  }
  --c->session().subscriptions;
  subscription_count_.fetch_sub(1);
}

size_t RespServer::Impl::Publish(const std::string& channel, const std::string& payload) {
  size_t receivers = 0;
  if (auto it = channels_.find(channel); it != channels_.end()) {
    for (Connection* c : it->second) {
      c->Push({"message", channel, payload});
      ++receivers;
    }
  }
  for (const auto& [pattern, subscribers] : patterns_) {
    if (!GlobMatch(pattern, channel)) continue;
    for (Connection* c : subscribers) {
      c->Push({"pmessage", pattern, channel, payload});
      ++receivers;
    }
  }
  return receivers;
}

void RespServer::Impl::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (!listening_) return;
  {
    std::lock_guard lock(node_->mutex());
    node_->replica().Unsubscribe(listener_token_);
  }
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    commit_retry_.cancel();
    for (const auto& c : std::vector<std::shared_ptr<Connection>>(connections_.begin(), connections_.end())) {
      c->Close();
    }
    awaiting_commit_.clear();
    io_.stop();
  });
  thread_.join();
}

// ---- RespServer.

RespServer::RespServer(SyncNode* node, Env* env, RespServerOptions options)
    : impl_(std::make_unique<Impl>(node, env, std::move(options))) {}

RespServer::~RespServer() { Shutdown(); }

Status RespServer::Listen(const std::string& address, int port) { return impl_->Listen(address, port); }

int RespServer::port() const { return impl_->port(); }

void RespServer::Shutdown() { impl_->Shutdown(); }

}  // namespace regionsync

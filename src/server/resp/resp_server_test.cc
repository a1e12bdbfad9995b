// The Redis port over real sockets: pipelined replies in order, a write's
// reply only after its commit, keyspace notifications for local and merged
// changes, protocol errors, QUIT. Two nodes on real time over an in-process
// broker.
#include "regionsync/server/resp/resp_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "regionsync/broker/inproc_broker.h"

namespace regionsync {
namespace {

// A blocking loopback client that reads with a deadline.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }
  // Reads until `want` bytes arrived, the peer closed, or 10 s passed.
  std::string Read(size_t want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (buf_.size() < want && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char tmp[65536];
      ssize_t n = read(fd_, tmp, sizeof(tmp));
      if (n <= 0) {
        closed_ = true;
        break;
      }
      buf_.append(tmp, static_cast<size_t>(n));
    }
    std::string out = buf_.substr(0, want);
    buf_.erase(0, out.size());
    return out;
  }
  // Reads until the peer closes (10 s deadline); true if it did.
  bool WaitClosed() {
    Read(SIZE_MAX);
    return closed_;
  }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string buf_;
};

std::string Command(std::initializer_list<std::string> words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (const std::string& w : words) out += "$" + std::to_string(w.size()) + "\r\n" + w + "\r\n";
  return out;
}

class RespServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(keys_.Add({"k", "resp-server-test-secret"}).ok());
    ASSERT_TRUE(east_.Start().ok());
    ASSERT_TRUE(west_.Start().ok());
    ASSERT_TRUE(east_resp_.Listen("127.0.0.1", 0).ok());
    ASSERT_TRUE(west_resp_.Listen("127.0.0.1", 0).ok());
  }
  void TearDown() override {
    east_resp_.Shutdown();
    west_resp_.Shutdown();
    (void)east_.Stop();
    (void)west_.Stop();
  }

  std::unique_ptr<Env> env_ = NewRealEnv();
  InprocNetwork net_{env_.get()};
  KeyRing keys_;
  std::unique_ptr<Store> east_store_ = NewMemoryStore(), west_store_ = NewMemoryStore();
  std::unique_ptr<Broker> east_broker_ = net_.Connect("us-east-1/a"), west_broker_ = net_.Connect("eu-west-1/a");
  SyncNode east_{env_.get(), east_store_.get(), east_broker_.get(), &keys_,
                 {.name = "us-east-1/a", .commit_interval_micros = 60'000'000, .flush_interval_micros = 5'000}};
  SyncNode west_{env_.get(), west_store_.get(), west_broker_.get(), &keys_,
                 {.name = "eu-west-1/a", .flush_interval_micros = 5'000, .poll_interval_micros = 2'000}};
  RespServer east_resp_{&east_, env_.get(), {}};
  RespServer west_resp_{&west_, env_.get(), {}};
};

TEST_F(RespServerTest, PipelinedCommandsAnswerInOrderAfterTheirCommit) {
  Client c(east_resp_.port());
  ASSERT_TRUE(c.connected());
  std::string batch, want;
  for (int i = 0; i < 500; ++i) {
    batch += Command({"INCR", "n"}) + Command({"SET", "k" + std::to_string(i), "v"}) + Command({"GET", "n"});
    std::string n = std::to_string(i + 1);
    want += ":" + n + "\r\n+OK\r\n$" + std::to_string(n.size()) + "\r\n" + n + "\r\n";
  }
  c.Send(batch);
  EXPECT_EQ(c.Read(want.size()), want);
  // The node's own commit tick is a minute away: the server committed the
  // writes itself before answering.
  std::lock_guard lock(east_.mutex());
  EXPECT_EQ(east_.replica().committed_writes(), east_.replica().local_writes());
  EXPECT_EQ(east_.replica().local_writes(), 1000u);
}

TEST_F(RespServerTest, ReadsWaitForOtherClientsWritesToCommit) {
  {
    std::lock_guard lock(east_.mutex());  // another client's write, not committed (the tick is a minute away)
    ASSERT_TRUE(east_.replica().Set("k", "v").ok());
    ASSERT_LT(east_.replica().committed_writes(), east_.replica().local_writes());
  }
  Client c(east_resp_.port());
  c.Send(Command({"GET", "k"}));
  EXPECT_EQ(c.Read(7), "$1\r\nv\r\n");
  std::lock_guard lock(east_.mutex());
  EXPECT_EQ(east_.replica().committed_writes(), east_.replica().local_writes()) << "shown only once durable";
}

TEST_F(RespServerTest, InlineCommandsAndQuit) {
  Client c(east_resp_.port());
  c.Send("PING\r\nSET a \"x y\"\r\nGET a\r\nQUIT\r\nPING\r\n");
  EXPECT_EQ(c.Read(27), "+PONG\r\n+OK\r\n$3\r\nx y\r\n+OK\r\n");
  EXPECT_TRUE(c.WaitClosed()) << "QUIT closes after its reply; later commands are not run";
}

TEST_F(RespServerTest, ProtocolErrorAnswersAndCloses) {
  Client c(east_resp_.port());
  c.Send(Command({"PING"}) + "*1\r\n$x\r\n");
  EXPECT_EQ(c.Read(7), "+PONG\r\n");
  std::string err = c.Read(100);
  EXPECT_EQ(err, "-ERR Protocol error: invalid bulk length\r\n");
  EXPECT_TRUE(c.WaitClosed());
}

TEST_F(RespServerTest, KeyspaceNotificationsForLocalAndMergedChanges) {
  Client sub(west_resp_.port());
  sub.Send(Command({"SUBSCRIBE", "__keyspace@0__:room"}) + Command({"PSUBSCRIBE", "__keyevent@0__:*"}));
  std::string subscribed = "*3\r\n$9\r\nsubscribe\r\n$19\r\n__keyspace@0__:room\r\n:1\r\n";
  std::string psubscribed = "*3\r\n$10\r\npsubscribe\r\n$16\r\n__keyevent@0__:*\r\n:2\r\n";
  ASSERT_EQ(sub.Read(subscribed.size() + psubscribed.size()), subscribed + psubscribed);
  // In subscribed mode (RESP2) only pub/sub commands run.
  sub.Send(Command({"GET", "x"}));
  std::string refused =
      "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
      "context\r\n";
  ASSERT_EQ(sub.Read(refused.size()), refused);

  // A change merged from another region.
  Client east(east_resp_.port());
  east.Send(Command({"SADD", "room", "alice"}));
  ASSERT_EQ(east.Read(4), ":1\r\n");
  std::string remote = "*3\r\n$7\r\nmessage\r\n$19\r\n__keyspace@0__:room\r\n$4\r\nsadd\r\n";
  std::string remote_event = "*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$19\r\n__keyevent@0__:sadd\r\n$4\r\nroom\r\n";
  EXPECT_EQ(sub.Read(remote.size() + remote_event.size()), remote + remote_event);

  // A local change names its command.
  Client west(west_resp_.port());
  west.Send(Command({"SREM", "room", "alice"}));
  ASSERT_EQ(west.Read(4), ":1\r\n");
  std::string local = "*3\r\n$7\r\nmessage\r\n$19\r\n__keyspace@0__:room\r\n$4\r\nsrem\r\n";
  std::string local_event = "*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$19\r\n__keyevent@0__:srem\r\n$4\r\nroom\r\n";
  std::string gone = "*3\r\n$7\r\nmessage\r\n$19\r\n__keyspace@0__:room\r\n$3\r\ndel\r\n";
  std::string gone_event = "*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$18\r\n__keyevent@0__:del\r\n$4\r\nroom\r\n";
  EXPECT_EQ(sub.Read(local.size() + local_event.size() + gone.size() + gone_event.size()),
            local + local_event + gone + gone_event);

  // PUBLISH reaches this port's subscribers.
  west.Send(Command({"PUBLISH", "__keyspace@0__:room", "hello"}));
  EXPECT_EQ(west.Read(4), ":1\r\n");
  std::string published = "*3\r\n$7\r\nmessage\r\n$19\r\n__keyspace@0__:room\r\n$5\r\nhello\r\n";
  EXPECT_EQ(sub.Read(published.size()), published);
  sub.Send(Command({"UNSUBSCRIBE"}) + Command({"PUNSUBSCRIBE"}));
  std::string unsubscribed = "*3\r\n$11\r\nunsubscribe\r\n$19\r\n__keyspace@0__:room\r\n:1\r\n";
  std::string punsubscribed = "*3\r\n$12\r\npunsubscribe\r\n$16\r\n__keyevent@0__:*\r\n:0\r\n";
  EXPECT_EQ(sub.Read(unsubscribed.size() + punsubscribed.size()), unsubscribed + punsubscribed);
  sub.Send(Command({"PING"}));
  EXPECT_EQ(sub.Read(7), "+PONG\r\n") << "back to normal mode";
}

TEST_F(RespServerTest, ManyConnectionsShareCommits) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 20; ++i) clients.push_back(std::make_unique<Client>(east_resp_.port()));
  for (auto& c : clients) c->Send(Command({"INCR", "shared"}) + Command({"SADD", "set", "m"}));
  std::set<std::string> counts;
  for (auto& c : clients) {
    std::string reply = c->Read(4);
    ASSERT_EQ(reply.substr(0, 1), ":");
    counts.insert(reply);
    c->Read(4);  // :1 or :0
  }
  EXPECT_EQ(counts.size(), 20u) << "every INCR saw its own value";
  Client check(east_resp_.port());
  check.Send(Command({"GET", "shared"}));
  EXPECT_EQ(check.Read(8), "$2\r\n20\r\n");
}

}  // namespace
}  // namespace regionsync

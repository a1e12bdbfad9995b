// SNS -> SQS end to end against the fauxqs emulator, which each test starts
// on a free loopback port (scripts/lib/fauxqs.sh) and stops. Three SyncNodes
// on real time, each with its own Env thread, broker and store:
//  - random operations converge to identical state;
//  - the emulator frozen (SIGSTOP) for 10 s in the middle of a write load,
//    then resumed: nothing is lost, all converge, retries are counted;
//  - an OR-Set of 100 000 UUIDs with 50 000 removed replicates while every
//    message stays under the 256 KiB limit.
// Every wait is a loop on a condition with a deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "fauxqs_fixture.h"
#include "regionsync/broker/snssqs/http_client.h"
#include "regionsync/broker/snssqs/snssqs_broker.h"
#include "regionsync/crdt/any_crdt.h"
#include "regionsync/store/store.h"
#include "regionsync/sync/sync_node.h"
#include "regionsync/sync/wire/key_ring.h"

namespace regionsync {
namespace {

using Clock = std::chrono::steady_clock;

struct Node {
  std::unique_ptr<Env> env;
  std::unique_ptr<Store> store;
  std::unique_ptr<SnsSqsBroker> broker;
  std::unique_ptr<SyncNode> node;
};

class FauxqsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<FauxqsProcess>> f = FauxqsProcess::Start();
    // No skip when the emulator is missing: scripts/test installs it, and a
    // skipped transport test would hide a broken install step.
    ASSERT_TRUE(f.ok()) << f.status().ToString() << " (install: scripts/lib/fauxqs.sh install)";
    fauxqs_ = std::move(f).value();
    ASSERT_TRUE(keys_.Add({"k", "fauxqs-test-secret-0123456789"}).ok());
  }

  // Provisions `names` (topic per region) and starts one node per name.
  void StartNodes(const std::vector<std::string>& names, const std::string& prefix) {
    auto env = NewRealEnv();
    ProvisionSpec spec{.prefix = prefix, .replicas = names};
    Result<ProvisionResult> p = ProvisionOnEmulator(env.get(), fauxqs_->endpoint(), spec);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ASSERT_EQ(p->subscriptions_created, static_cast<int>(names.size() * names.size()));
    for (const ProvisionedReplica& r : p->replicas) {
      Node n;
      n.env = NewRealEnv();
      n.store = NewMemoryStore();
      SnsSqsOptions o{.region = r.region,
                      .endpoint = fauxqs_->endpoint(),
                      .topic_arn = r.publish_topic_arn,
                      .queue_url = r.queue_url,
                      .wait_time_seconds = 5,
                      .request_timeout_millis = 1'000,
                      .retry = {.max_attempts = 3, .base_delay_micros = 50'000, .max_delay_micros = 500'000},
                      .log = [](const std::string&) {}};
      auto b = SnsSqsBroker::Open(n.env.get(), kFauxqsCredentials, o);
      ASSERT_TRUE(b.ok()) << b.status().ToString();
      n.broker = std::move(b).value();
      n.node = std::make_unique<SyncNode>(n.env.get(), n.store.get(), n.broker.get(), &keys_,
                                          SyncOptions{.name = r.replica});
      ASSERT_TRUE(n.node->Start().ok());
      nodes_.push_back(std::move(n));
    }
  }

  void TearDown() override {
    for (Node& n : nodes_) (void)n.node->Stop();
    nodes_.clear();  // brokers stop their receive threads before the emulator goes
    fauxqs_.reset();
  }

  // key -> value JSON of one node.
  nlohmann::json Snapshot(Node& n) {
    std::lock_guard lock(n.node->mutex());
    nlohmann::json j = nlohmann::json::object();
    for (const std::string& k : n.node->replica().Keys()) j[k] = ValueJson(*n.node->replica().Find(k));
    return j;
  }

  // Waits until every node's snapshot is equal (and `extra` holds for it).
  bool WaitConverged(std::chrono::seconds limit, const std::function<bool(const nlohmann::json&)>& extra = nullptr) {
    auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      nlohmann::json first = Snapshot(nodes_[0]);
      bool same = !extra || extra(first);
      for (size_t i = 1; same && i < nodes_.size(); ++i) same = Snapshot(nodes_[i]) == first;
      if (same) return true;
      // Poll interval: snapshots take the nodes' locks, so do not spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  uint64_t Retries() {
    uint64_t r = 0;
    for (Node& n : nodes_) r += n.broker->stats().retries;
    return r;
  }

  std::unique_ptr<FauxqsProcess> fauxqs_;
  KeyRing keys_;
  std::vector<Node> nodes_;
};

const std::vector<std::string> kThree = {"us-east-1/a", "eu-west-1/a", "ap-south-1/a"};

TEST_F(FauxqsTest, RandomOperationsConverge) {
  StartNodes(kThree, "conv");
  uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int op = 0; op < 600; ++op) {
    Node& n = nodes_[rng() % nodes_.size()];
    std::lock_guard lock(n.node->mutex());
    Replica& r = n.node->replica();
    std::string element = "e" + std::to_string(rng() % 20);
    switch (rng() % 5) {
      case 0: (void)r.Increment("counter", static_cast<int64_t>(rng() % 7) - 3); break;
      case 1: (void)r.Add("set", element); break;
      case 2: (void)r.Remove("set", element); break;
      case 3: (void)r.Set("reg" + std::to_string(rng() % 3), element); break;
      default: (void)(rng() % 2 ? r.Enable("flag") : r.Disable("flag")); break;
    }
  }
  EXPECT_TRUE(WaitConverged(std::chrono::seconds(60))) << "not converged; seed " << seed;
  for (Node& n : nodes_) {
    SnsSqsStats s = n.broker->stats();
    EXPECT_GT(s.published, 0u);
    EXPECT_GT(s.received, 0u);
    EXPECT_EQ(n.node->subscriber().stats().rejected, 0u);
  }
}

TEST_F(FauxqsTest, ProvisionIsIdempotentAndPoisonMessagesAreDeadLettered) {
  StartNodes({"us-east-1/a", "eu-west-1/a"}, "dlq");
  ProvisionSpec spec{.prefix = "dlq", .replicas = {"us-east-1/a", "eu-west-1/a"}};
  Result<ProvisionResult> again = ProvisionOnEmulator(nodes_[0].env.get(), fauxqs_->endpoint(), spec);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->subscriptions_created, 0);
  // A message no replica can verify: never acked, so after max_receive_count
  // receives the queue moves it to the dead-letter queue.
  ASSERT_TRUE(nodes_[0].broker->Publish("not a regionsync frame").ok());
  std::unique_ptr<HttpClient> http = NewCurlHttpClient({});
  std::vector<std::unique_ptr<AwsClient>> owned;
  AwsClientFor clients = [&](std::string_view service, std::string_view region) {
    owned.push_back(std::make_unique<AwsClient>(nodes_[0].env.get(), http.get(), kFauxqsCredentials,
                                                MakeAwsEndpoint(service, region, fauxqs_->endpoint()), RetryPolicy{}));
    return owned.back().get();
  };
  auto deadline = Clock::now() + std::chrono::seconds(60);
  bool dead_lettered = false;
  while (!dead_lettered && Clock::now() < deadline) {
    Result<std::vector<QueueStatus>> st = QueueStatuses(spec, clients);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    dead_lettered = (*st)[0].dead_letters == 1 && (*st)[1].dead_letters == 1;
    if (!dead_lettered) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // poll interval
  }
  EXPECT_TRUE(dead_lettered);
  for (Node& n : nodes_) EXPECT_GE(n.node->subscriber().stats().rejected, 1u);
}

TEST_F(FauxqsTest, FrozenEmulatorLosesNothing) {
  StartNodes(kThree, "outage");
  std::atomic<int64_t> written{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (Node& n : nodes_) {
    writers.emplace_back([&n, &written, &stop] {
      while (!stop) {
        {
          std::lock_guard lock(n.node->mutex());
          ASSERT_TRUE(n.node->replica().Increment("writes", 1).ok());
        }
        written++;
        // Paces the load (about 100 writes/s per node); not a wait for an effect.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  // The scenario's phases are lengths of time, not waits for an effect:
  // 2 s of load, 10 s frozen under load, 2 s of load after the thaw.
  std::this_thread::sleep_until(Clock::now() + std::chrono::seconds(2));
  uint64_t retries_before = Retries();
  fauxqs_->Freeze();
  std::this_thread::sleep_until(Clock::now() + std::chrono::seconds(10));
  fauxqs_->Thaw();
  std::this_thread::sleep_until(Clock::now() + std::chrono::seconds(2));
  stop = true;
  for (std::thread& t : writers) t.join();
  int64_t total = written.load();
  ASSERT_GT(total, 300);
  bool converged = WaitConverged(std::chrono::seconds(90), [&](const nlohmann::json& j) {
    return j.contains("writes") && j["writes"] == total;
  });
  EXPECT_TRUE(converged) << "expected writes == " << total << " on every node; got " << Snapshot(nodes_[0]).dump()
                         << " / " << Snapshot(nodes_[1]).dump() << " / " << Snapshot(nodes_[2]).dump();
  uint64_t retries = Retries() - retries_before;
  EXPECT_GT(retries, 0u);
  uint64_t gave_up = 0, publish_failures = 0;
  for (Node& n : nodes_) {
    gave_up += n.broker->stats().gave_up;
    publish_failures += n.node->publisher().stats().failures;
  }
  std::cout << "outage: " << total << " writes, " << retries << " retries, " << gave_up << " calls gave up, "
            << publish_failures << " failed flushes (kept in the outbox)\n";
}

TEST_F(FauxqsTest, HundredThousandElementSetFitsTheMessageLimit) {
  StartNodes(kThree, "size");
  std::mt19937_64 rng(42);
  std::vector<std::string> ids;
  ids.reserve(100'000);
  auto uuid = [&] {
    char buf[40];
    uint64_t a = rng(), b = rng();
    std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(a >> 32),
                  static_cast<unsigned>(a >> 16) & 0xffff, static_cast<unsigned>(a) & 0xfff,
                  static_cast<unsigned>(b >> 48) & 0xfff, static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return std::string(buf);
  };
  for (int i = 0; i < 100'000; ++i) ids.push_back(uuid());
  Node& a = nodes_[0];
  for (size_t start = 0; start < ids.size(); start += 5'000) {
    std::lock_guard lock(a.node->mutex());
    for (size_t i = start; i < start + 5'000; ++i) ASSERT_TRUE(a.node->replica().Add("big", ids[i]).ok());
  }
  for (size_t start = 0; start < 50'000; start += 5'000) {
    std::lock_guard lock(a.node->mutex());
    for (size_t i = start; i < start + 5'000; ++i) ASSERT_TRUE(a.node->replica().Remove("big", ids[i * 2]).ok());
  }
  bool converged = WaitConverged(std::chrono::seconds(180), [](const nlohmann::json& j) {
    return j.contains("big") && j["big"].size() == 50'000;
  });
  EXPECT_TRUE(converged);
  for (Node& n : nodes_) {
    const PublisherStats& p = n.node->publisher().stats();
    EXPECT_EQ(p.oversize_entries, 0u);
    SnsSqsStats s = n.broker->stats();
    // The broker refuses anything over 256 KiB (ResourceExhausted): no such failure happened.
    EXPECT_EQ(s.publish_failures, 0u);
  }
  std::cout << "size: node a published " << a.node->publisher().stats().messages << " messages, "
            << a.node->publisher().stats().bytes << " bytes, split keys " << a.node->publisher().stats().split_keys
            << "\n";
}

}  // namespace
}  // namespace regionsync

#include "regionsync/broker/inproc_broker.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "regionsync/common/env.h"

namespace regionsync {
namespace {

constexpr uint64_t kVisibility = 1'000'000;

InprocOptions TestOptions() {
  InprocOptions o;
  o.visibility_timeout_micros = kVisibility;
  o.max_receive_count = 3;
  o.max_message_bytes = 1024;
  return o;
}

// Receives everything visible now.
std::vector<BrokerMessage> ReceiveAll(Broker& b) {
  Result<std::vector<BrokerMessage>> r = b.Receive(1'000'000);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : std::vector<BrokerMessage>{};
}

std::vector<std::string> Bodies(const std::vector<BrokerMessage>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.body);
  return out;
}

void AckAll(Broker& b, const std::vector<BrokerMessage>& ms) {
  for (const auto& m : ms) ASSERT_TRUE(b.Ack(m.receipt).ok());
}

TEST(InprocBrokerTest, PublishFansOutToEveryQueueIncludingOwn) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  auto b = net.Connect("b");
  auto c = net.Connect("c");
  ASSERT_TRUE(a->Publish("hello").ok());

  std::string id;
  for (Broker* q : {a.get(), b.get(), c.get()}) {
    auto got = ReceiveAll(*q);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].body, "hello");
    EXPECT_EQ(got[0].receive_count, 1u);
    EXPECT_FALSE(got[0].receipt.empty());
    if (id.empty()) id = got[0].message_id;
    EXPECT_EQ(got[0].message_id, id);  // copies of one publish share the id
  }
  InprocNetwork::Stats s = net.stats();
  EXPECT_EQ(s.published, 1u);
  EXPECT_EQ(s.delivered_copies, 3u);
  EXPECT_EQ(s.bytes_published, 5u);
}

TEST(InprocBrokerTest, QueueCreatedLaterDoesNotSeeEarlierMessages) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  ASSERT_TRUE(a->Publish("early").ok());
  auto b = net.Connect("b");
  ASSERT_TRUE(a->Publish("late").ok());
  EXPECT_EQ(Bodies(ReceiveAll(*b)), std::vector<std::string>{"late"});
}

TEST(InprocBrokerTest, AckDeletes) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  auto b = net.Connect("b");
  ASSERT_TRUE(a->Publish("x").ok());
  auto got = ReceiveAll(*b);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(net.QueueDepth("b"), 1u);  // in flight still counts
  ASSERT_TRUE(b->Ack(got[0].receipt).ok());
  EXPECT_EQ(net.QueueDepth("b"), 0u);
  env.RunFor(10 * kVisibility);
  EXPECT_TRUE(ReceiveAll(*b).empty());
  // Acking again, or acking nonsense, is a no-op.
  EXPECT_TRUE(b->Ack(got[0].receipt).ok());
  EXPECT_TRUE(b->Ack("").ok());
  EXPECT_TRUE(b->Ack("r12").ok());
  EXPECT_TRUE(b->Ack("garbage.1").ok());
  EXPECT_TRUE(b->ChangeVisibility("garbage", 0).ok());
  AckAll(*a, ReceiveAll(*a));
  EXPECT_TRUE(net.Idle());
}

TEST(InprocBrokerTest, ReceiptFromAnotherQueueDoesNotDeleteHere) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  auto b = net.Connect("b");
  ASSERT_TRUE(a->Publish("x").ok());
  auto from_a = ReceiveAll(*a);
  ASSERT_EQ(from_a.size(), 1u);
  ASSERT_TRUE(b->Ack(from_a[0].receipt).ok());
  EXPECT_EQ(net.QueueDepth("b"), 1u);
  EXPECT_EQ(net.QueueDepth("a"), 1u);
}

TEST(InprocBrokerTest, UnackedMessageReappearsAfterVisibilityTimeout) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  ASSERT_TRUE(a->Publish("x").ok());
  auto first = ReceiveAll(*a);
  ASSERT_EQ(first.size(), 1u);
  env.RunFor(kVisibility - 1);
  EXPECT_TRUE(ReceiveAll(*a).empty());
  env.RunFor(1);
  auto second = ReceiveAll(*a);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].receive_count, 2u);
  EXPECT_EQ(second[0].message_id, first[0].message_id);
  EXPECT_NE(second[0].receipt, first[0].receipt);
  // The first receipt is stale now: acking it deletes nothing.
  ASSERT_TRUE(a->Ack(first[0].receipt).ok());
  EXPECT_EQ(net.QueueDepth("a"), 1u);
  ASSERT_TRUE(a->Ack(second[0].receipt).ok());
  EXPECT_EQ(net.QueueDepth("a"), 0u);
}

TEST(InprocBrokerTest, ReceiptStaysValidAfterTimeoutUntilNextReceive) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  ASSERT_TRUE(a->Publish("x").ok());
  auto got = ReceiveAll(*a);
  ASSERT_EQ(got.size(), 1u);
  env.RunFor(2 * kVisibility);
  ASSERT_TRUE(a->Ack(got[0].receipt).ok());
  EXPECT_EQ(net.QueueDepth("a"), 0u);
}

TEST(InprocBrokerTest, ChangeVisibilityReschedules) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  ASSERT_TRUE(a->Publish("x").ok());
  auto got = ReceiveAll(*a);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(a->ChangeVisibility(got[0].receipt, 0).ok());
  got = ReceiveAll(*a);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].receive_count, 2u);
  ASSERT_TRUE(a->ChangeVisibility(got[0].receipt, 500).ok());
  env.RunFor(499);
  EXPECT_TRUE(ReceiveAll(*a).empty());
  env.RunFor(1);
  EXPECT_EQ(ReceiveAll(*a).size(), 1u);
}

TEST(InprocBrokerTest, DeadLettersAfterMaxReceives) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());  // max_receive_count = 3
  auto a = net.Connect("a");
  ASSERT_TRUE(a->Publish("poison").ok());
  for (uint32_t i = 1; i <= 3; ++i) {
    auto got = ReceiveAll(*a);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].receive_count, i);
    env.RunFor(kVisibility);
  }
  EXPECT_TRUE(ReceiveAll(*a).empty());
  EXPECT_EQ(net.QueueDepth("a"), 0u);
  auto dead = net.DeadLetters("a");
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].body, "poison");
  EXPECT_EQ(dead[0].receive_count, 3u);
  EXPECT_EQ(net.stats().dead_lettered, 1u);
  EXPECT_TRUE(net.DeadLetters("nobody").empty());
  EXPECT_TRUE(net.Idle());
}

TEST(InprocBrokerTest, DeadLetteredMessageDoesNotUseUpTheBatch) {
  SimEnv env(1);
  InprocOptions o = TestOptions();
  o.max_receive_count = 1;
  InprocNetwork net(&env, o);
  auto a = net.Connect("a");
  ASSERT_TRUE(a->Publish("poison").ok());
  ASSERT_EQ(ReceiveAll(*a).size(), 1u);
  env.RunFor(kVisibility);
  ASSERT_TRUE(a->Publish("good").ok());
  auto got = a->Receive(1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Bodies(*got), std::vector<std::string>{"good"});
  EXPECT_EQ(net.DeadLetters("a").size(), 1u);
}

TEST(InprocBrokerTest, ReceiveHonoursMaxMessagesInPublishOrder) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  for (std::string s : {"1", "2", "3", "4", "5"}) ASSERT_TRUE(a->Publish(s).ok());
  auto got = a->Receive(2);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Bodies(*got), (std::vector<std::string>{"1", "2"}));
  got = a->Receive(10);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Bodies(*got), (std::vector<std::string>{"3", "4", "5"}));
  got = a->Receive(0);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
}

TEST(InprocBrokerTest, DropAndDuplicateRatesAreRoughlyHonoured) {
  SimEnv env(12345);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  auto b = net.Connect("b");
  net.SetFaults({.drop = 0.2, .duplicate = 0.1});
  constexpr int kMessages = 2000;
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(a->Publish(std::to_string(i)).ok());

  InprocNetwork::Stats s = net.stats();
  // Only the copies to b can be dropped: expect ~400 (sd ~18).
  EXPECT_GT(s.dropped, 300u);
  EXPECT_LT(s.dropped, 500u);
  // Duplicates among ~2000 own + ~1600 delivered to b: expect ~360 (sd ~18).
  EXPECT_GT(s.duplicated, 260u);
  EXPECT_LT(s.duplicated, 460u);

  // The own queue never loses a message.
  auto got_a = ReceiveAll(*a);
  std::set<std::string> ids_a;
  for (const auto& m : got_a) ids_a.insert(m.message_id);
  EXPECT_EQ(ids_a.size(), static_cast<size_t>(kMessages));

  // What the queues hand out matches the counters exactly.
  auto got_b = ReceiveAll(*b);
  std::set<std::string> ids_b;
  for (const auto& m : got_b) ids_b.insert(m.message_id);
  EXPECT_EQ(ids_b.size(), kMessages - s.dropped);
  EXPECT_EQ(got_a.size() + got_b.size(), s.delivered_copies);
  EXPECT_EQ(got_a.size() + got_b.size() - ids_a.size() - ids_b.size(), s.duplicated);
}

TEST(InprocBrokerTest, DelaysReorderDeliveries) {
  SimEnv env(3);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  auto b = net.Connect("b");
  net.SetFaults({.min_delay_micros = 100, .max_delay_micros = 10'000});
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i) {
    sent.push_back(std::to_string(i));
    ASSERT_TRUE(a->Publish(sent.back()).ok());
  }
  EXPECT_TRUE(ReceiveAll(*b).empty());  // nothing before the minimum delay
  env.RunFor(99);
  EXPECT_TRUE(ReceiveAll(*b).empty());
  env.RunFor(10'000);
  std::vector<std::string> got = Bodies(ReceiveAll(*b));
  EXPECT_NE(got, sent);  // reordered
  std::sort(got.begin(), got.end());
  std::vector<std::string> sorted_sent = sent;
  std::sort(sorted_sent.begin(), sorted_sent.end());
  EXPECT_EQ(got, sorted_sent);  // but nothing lost
}

TEST(InprocBrokerTest, DelayedMessageBecomesVisibleInTimeOrder) {
  SimEnv env(3);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  net.SetFaults({.min_delay_micros = 1000, .max_delay_micros = 1000});
  ASSERT_TRUE(a->Publish("late").ok());
  net.SetFaults({});
  ASSERT_TRUE(a->Publish("early").ok());
  EXPECT_EQ(Bodies(ReceiveAll(*a)), std::vector<std::string>{"early"});
  env.RunFor(1000);
  EXPECT_EQ(Bodies(ReceiveAll(*a)), std::vector<std::string>{"late"});
}

TEST(InprocBrokerTest, PartitionBlocksCrossGroupCopiesAndHealRestores) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  auto b = net.Connect("b");
  auto c = net.Connect("c");
  auto d = net.Connect("d");  // in no group: the implicit group of the unnamed
  net.Partition({{"a", "b"}, {"c"}});
  EXPECT_EQ(net.faults().partition.size(), 2u);
  ASSERT_TRUE(a->Publish("from-a").ok());
  ASSERT_TRUE(c->Publish("from-c").ok());
  ASSERT_TRUE(d->Publish("from-d").ok());
  EXPECT_EQ(Bodies(ReceiveAll(*a)), std::vector<std::string>{"from-a"});
  EXPECT_EQ(Bodies(ReceiveAll(*b)), std::vector<std::string>{"from-a"});
  EXPECT_EQ(Bodies(ReceiveAll(*c)), std::vector<std::string>{"from-c"});
  EXPECT_EQ(Bodies(ReceiveAll(*d)), std::vector<std::string>{"from-d"});
  EXPECT_EQ(net.stats().partitioned, 2u + 3u + 3u);

  net.Heal();
  EXPECT_TRUE(net.faults().partition.empty());
  ASSERT_TRUE(c->Publish("healed").ok());
  for (Broker* q : {a.get(), b.get(), c.get(), d.get()}) {
    EXPECT_EQ(Bodies(ReceiveAll(*q)), std::vector<std::string>{"healed"});
  }
}

TEST(InprocBrokerTest, OutageFailsEveryCallAndRecoveryDrainsBacklog) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  auto b = net.Connect("b");
  ASSERT_TRUE(a->Publish("before").ok());
  auto in_flight = ReceiveAll(*b);
  ASSERT_EQ(in_flight.size(), 1u);

  net.SetOutage(true);
  EXPECT_TRUE(net.faults().outage);
  Status p = a->Publish("during");
  EXPECT_EQ(p.code(), StatusCode::kUnavailable);
  EXPECT_EQ(b->Receive(10).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(b->Ack(in_flight[0].receipt).code(), StatusCode::kUnavailable);
  EXPECT_EQ(b->ChangeVisibility(in_flight[0].receipt, 0).code(), StatusCode::kUnavailable);
  EXPECT_EQ(net.stats().publish_failures, 1u);
  EXPECT_EQ(net.stats().published, 1u);
  EXPECT_EQ(net.QueueDepth("b"), 1u);  // nothing enqueued, nothing deleted

  env.RunFor(kVisibility);
  net.SetOutage(false);
  ASSERT_TRUE(a->Publish("after").ok());
  // The message whose ack failed comes back; the refused publish never arrives.
  auto got = ReceiveAll(*b);
  EXPECT_EQ(Bodies(got), (std::vector<std::string>{"before", "after"}));
  EXPECT_EQ(got[0].receive_count, 2u);
}

TEST(InprocBrokerTest, OversizePublishIsResourceExhausted) {
  SimEnv env(1);
  InprocOptions o = TestOptions();
  o.max_message_bytes = 16;
  InprocNetwork net(&env, o);
  auto a = net.Connect("a");
  EXPECT_EQ(a->max_message_bytes(), 16u);
  EXPECT_TRUE(a->Publish(std::string(16, 'x')).ok());
  EXPECT_EQ(a->Publish(std::string(17, 'x')).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(net.QueueDepth("a"), 1u);
  EXPECT_EQ(net.stats().publish_failures, 1u);
}

TEST(InprocBrokerTest, ReconnectAttachesToTheSameQueue) {
  SimEnv env(1);
  InprocNetwork net(&env, TestOptions());
  auto a = net.Connect("a");
  auto b = net.Connect("b");
  ASSERT_TRUE(a->Publish("backlog").ok());
  b.reset();  // the replica "crashes"
  auto b2 = net.Connect("b");
  EXPECT_EQ(Bodies(ReceiveAll(*b2)), std::vector<std::string>{"backlog"});
}

TEST(InprocBrokerTest, BrokerMayOutliveNetwork) {
  SimEnv env(1);
  std::unique_ptr<Broker> a;
  {
    InprocNetwork net(&env, TestOptions());
    a = net.Connect("a");
  }
  EXPECT_TRUE(a->Publish("x").ok());
  EXPECT_EQ(ReceiveAll(*a).size(), 1u);
}

// A workload with every fault on; the trace records every delivery.
std::string RunTrace(uint64_t seed) {
  SimEnv env(seed);
  InprocNetwork net(&env, TestOptions());
  std::vector<std::string> names = {"a", "b", "c"};
  std::vector<std::unique_ptr<Broker>> brokers;
  for (const auto& n : names) brokers.push_back(net.Connect(n));
  net.SetFaults({.drop = 0.1, .duplicate = 0.2, .min_delay_micros = 0, .max_delay_micros = 5000});
  std::string trace;
  for (int step = 0; step < 300; ++step) {
    size_t from = env.Uniform(brokers.size());
    EXPECT_TRUE(brokers[from]->Publish("s" + std::to_string(step)).ok());
    if (step == 100) net.Partition({{"a"}});
    if (step == 200) net.Heal();
    env.RunFor(env.Uniform(2000));
    for (size_t i = 0; i < brokers.size(); ++i) {
      for (const auto& m : ReceiveAll(*brokers[i])) {
        trace += names[i] + ":" + m.message_id + ":" + m.body + ":" +
                 std::to_string(m.receive_count) + "\n";
        if (env.Chance(0.7)) {
          EXPECT_TRUE(brokers[i]->Ack(m.receipt).ok());
        }
      }
    }
  }
  return trace;
}

TEST(InprocBrokerTest, SameSeedGivesIdenticalDeliveries) {
  std::string first = RunTrace(99);
  EXPECT_GT(first.size(), 1000u);
  EXPECT_EQ(first, RunTrace(99));
  EXPECT_NE(first, RunTrace(100));
}

// Every copy is accounted for, whatever the faults: per publish, each queue
// gets a copy, or loses it to a drop or a partition; duplicates add copies.
RC_GTEST_PROP(InprocBrokerProp, CopiesAreAccountedFor, ()) {
  uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  double drop = *rc::gen::inRange(0, 101) / 100.0;
  double dup = *rc::gen::inRange(0, 101) / 100.0;
  int queues = *rc::gen::inRange(1, 5);
  int messages = *rc::gen::inRange(0, 50);
  SimEnv env(seed);
  InprocNetwork net(&env, TestOptions());
  std::vector<std::unique_ptr<Broker>> brokers;
  for (int i = 0; i < queues; ++i) brokers.push_back(net.Connect(std::to_string(i)));
  net.SetFaults({.drop = drop, .duplicate = dup, .max_delay_micros = 1000});
  if (queues > 2) net.Partition({{"0"}});
  for (int i = 0; i < messages; ++i) {
    RC_ASSERT(brokers[i % queues]->Publish("m").ok());
  }
  env.RunFor(1000);
  size_t received = 0;
  for (auto& b : brokers) {
    auto got = b->Receive(1'000'000);
    RC_ASSERT(got.ok());
    received += got->size();
    for (const auto& m : *got) RC_ASSERT(b->Ack(m.receipt).ok());
  }
  InprocNetwork::Stats s = net.stats();
  RC_ASSERT(s.published == static_cast<uint64_t>(messages));
  RC_ASSERT(s.delivered_copies == received);
  RC_ASSERT(s.published * queues == s.delivered_copies - s.duplicated + s.dropped + s.partitioned);
  RC_ASSERT(net.Idle());
}

TEST(InprocBrokerTest, ConcurrentPublishAndReceiveLoseNothing) {
  std::unique_ptr<Env> env = NewRealEnv();
  InprocNetwork net(env.get());
  auto p = net.Connect("p");
  auto r = net.Connect("r");
  constexpr int kMessages = 2000;
  std::atomic<bool> publish_ok{true};
  std::thread publisher([&] {
    for (int i = 0; i < kMessages; ++i) {
      if (!p->Publish(std::to_string(i)).ok()) publish_ok = false;
    }
  });
  std::set<std::string> seen;
  bool receive_ok = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (seen.size() < static_cast<size_t>(kMessages) &&
         std::chrono::steady_clock::now() < deadline) {
    auto got = r->Receive(64);
    if (!got.ok()) {
      receive_ok = false;
      break;
    }
    for (const auto& m : *got) {
      seen.insert(m.body);
      if (!r->Ack(m.receipt).ok()) receive_ok = false;
    }
    if (got->empty()) std::this_thread::yield();
  }
  publisher.join();
  EXPECT_TRUE(publish_ok);
  EXPECT_TRUE(receive_ok);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(net.QueueDepth("r"), 0u);
  EXPECT_EQ(net.QueueDepth("p"), static_cast<size_t>(kMessages));
}

}  // namespace
}  // namespace regionsync

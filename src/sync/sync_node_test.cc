#include "regionsync/sync/sync_node.h"

#include <gtest/gtest.h>

#include <thread>

#include "regionsync/broker/inproc_broker.h"

namespace regionsync {
namespace {

// Two nodes on real time and threads: a write is acknowledged by the group
// commit, then reaches the other node.
TEST(SyncNodeTest, RealTimeWriteIsCommittedAndReplicated) {
  auto env = NewRealEnv();
  InprocNetwork net(env.get());
  KeyRing keys;
  ASSERT_TRUE(keys.Add({"k", "sync-node-test-secret-01"}).ok());
  auto store_a = NewMemoryStore(), store_b = NewMemoryStore();
  auto broker_a = net.Connect("us-east-1/a"), broker_b = net.Connect("eu-west-1/a");
  SyncNode a(env.get(), store_a.get(), broker_a.get(), &keys, {.name = "us-east-1/a"});
  SyncNode b(env.get(), store_b.get(), broker_b.get(), &keys, {.name = "eu-west-1/a"});
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  uint64_t write = 0;
  {
    std::lock_guard lock(a.mutex());
    ASSERT_TRUE(a.replica().Increment("n", 7).ok());
    write = a.replica().local_writes();
  }
  ASSERT_TRUE(a.WaitForCommit(write, 10'000'000).ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int64_t seen = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(b.mutex());
      const AnyCrdt* v = b.replica().Find("n");
      seen = v ? std::get<PnCounter>(*v).Value() : 0;
    }
    if (seen == 7) break;
    std::this_thread::yield();
  }
  EXPECT_EQ(seen, 7);
  EXPECT_TRUE(a.Stop().ok());
  EXPECT_TRUE(b.Stop().ok());
}

// A value the node would acknowledge but the transport could not carry: the
// node refuses to start, naming the limit.
TEST(SyncNodeTest, ValueLimitOverTheMessageSizeIsRefusedAtStart) {
  auto env = std::make_unique<SimEnv>(1);
  InprocNetwork net(env.get(), {.max_message_bytes = 16 * 1024});
  KeyRing keys;
  ASSERT_TRUE(keys.Add({"k", "sync-node-test-secret-01"}).ok());
  auto store = NewMemoryStore();
  auto broker = net.Connect("us-east-1/a");
  SyncNode too_big(env.get(), store.get(), broker.get(), &keys,
                   {.name = "us-east-1/a", .replica = {.max_value_bytes = 16 * 1024}});
  Status s = too_big.Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("max_value_bytes"), std::string::npos) << s.message();
  SyncNode fits(env.get(), store.get(), broker.get(), &keys,
                {.name = "us-east-1/a", .replica = {.max_value_bytes = Publisher::MaxUnitBytes(16 * 1024)}});
  EXPECT_TRUE(fits.Start().ok());
  EXPECT_TRUE(fits.Stop().ok());
}

}  // namespace
}  // namespace regionsync

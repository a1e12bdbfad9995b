#include "regionsync/common/env.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace regionsync {
namespace {

TEST(SimEnvTest, TimersRunInTimeOrderAndAdvanceTime) {
  SimEnv env(1);
  std::vector<int> order;
  env.Schedule(300, [&] { order.push_back(3); });
  env.Schedule(100, [&] { order.push_back(1); });
  env.Schedule(100, [&] { order.push_back(2); });  // same time: scheduling order
  TimerId cancelled = env.Schedule(200, [&] { order.push_back(99); });
  env.Cancel(cancelled);
  env.RunFor(250);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(env.MonotonicMicros(), 250u);
  env.RunFor(100);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(env.PendingTimers(), 0u);
}

TEST(SimEnvTest, SameSeedSameNumbers) {
  SimEnv a(7), b(7), c(8);
  uint64_t x = a.Random64();
  EXPECT_EQ(x, b.Random64());
  EXPECT_NE(x, c.Random64());
}

TEST(SimEnvTest, WallSkewMovesOnlyWallClock) {
  SimEnv env(1, 1'000'000);
  env.RunFor(5'000);
  EXPECT_EQ(env.WallMillis(), 1'000'005u);
  env.SetWallSkewMillis(-60'000);
  EXPECT_EQ(env.WallMillis(), 940'005u);
  EXPECT_EQ(env.MonotonicMicros(), 5'000u);
}

TEST(RealEnvTest, TimerFiresAndCancelWorks) {
  auto env = NewRealEnv();
  std::atomic<int> fired{0};
  TimerId never = env->Schedule(10'000'000, [&] { fired += 100; });
  env->Cancel(never);
  env->Schedule(1'000, [&] { fired += 1; });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fired.load() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_EQ(fired.load(), 1);
}

}  // namespace
}  // namespace regionsync

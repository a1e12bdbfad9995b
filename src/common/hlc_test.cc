#include "regionsync/common/hlc.h"

#include <gtest/gtest.h>

namespace regionsync {
namespace {

TEST(HlcTest, ClientMillisMustFitFortyEightBits) {
  EXPECT_TRUE(CheckClientMillis(0).ok());
  EXPECT_TRUE(CheckClientMillis(1'700'000'000'000).ok());
  EXPECT_TRUE(CheckClientMillis(kMaxHlcMillis).ok());
  EXPECT_EQ(HlcMillis(HlcFromMillis(kMaxHlcMillis)), kMaxHlcMillis);  // the largest accepted survives
  for (uint64_t ms : {kMaxHlcMillis + 1, uint64_t{99999999999999999}, ~uint64_t{0}}) {
    Status s = CheckClientMillis(ms);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << ms;
    EXPECT_NE(s.message().find("0 to 281474976710655 ms"), std::string::npos) << s.ToString();
    EXPECT_NE(HlcMillis(HlcFromMillis(ms)), ms);  // what accepting it would have done
  }
}

TEST(HlcTest, MonotonicWhenWallClockJumpsBack) {
  Hlc clock;
  HlcTimestamp a = clock.Now(10'000);
  HlcTimestamp b = clock.Now(5'000);  // wall clock jumped back 5 s
  HlcTimestamp c = clock.Now(5'000);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(HlcMillis(c), 10'000u);
  EXPECT_EQ(HlcLogical(c), 2u);
  HlcTimestamp d = clock.Now(20'000);
  EXPECT_EQ(d, HlcFromMillis(20'000));
}

TEST(HlcTest, ObserveMovesPastRemoteWithinDrift) {
  Hlc clock(/*max_drift_millis=*/60'000);
  HlcTimestamp remote = HlcFromMillis(30'000) + 7;
  EXPECT_TRUE(clock.Observe(remote, 1'000));
  EXPECT_GT(clock.Now(1'000), remote);
}

TEST(HlcTest, ObserveClampsBeyondDrift) {
  Hlc clock(/*max_drift_millis=*/60'000);
  HlcTimestamp far = HlcFromMillis(10'000'000);
  EXPECT_FALSE(clock.Observe(far, 1'000));
  HlcTimestamp now = clock.Now(1'000);
  EXPECT_LT(now, far);
  EXPECT_LE(HlcMillis(now), 61'001u);
}

}  // namespace
}  // namespace regionsync

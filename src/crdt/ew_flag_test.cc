#include "regionsync/crdt/ew_flag.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "crdt/causal_test_history.h"

namespace regionsync {
namespace {

constexpr ActorId kA = 11, kB = 22;

EwFlag MutateFlag(EwFlag& f, ActorId actor, int a, int, int) {
  return a % 2 == 0 ? f.Enable(actor) : f.Disable();
}

TEST(EwFlagTest, StartsDisabled) {
  EwFlag f;
  EXPECT_FALSE(f.Enabled());
  EXPECT_EQ(f.Encode(), "");
}

TEST(EwFlagTest, EnableThenDisable) {
  EwFlag a, b;
  EXPECT_TRUE(b.Join(a.Enable(kA)));
  EXPECT_TRUE(b.Enabled());
  EwFlag off = b.Disable();
  EXPECT_FALSE(b.Enabled());
  EXPECT_TRUE(a.Join(off));
  EXPECT_FALSE(a.Enabled());
  EXPECT_FALSE(a.Join(off));
  EXPECT_EQ(a, b);
}

TEST(EwFlagTest, DisableDeltaHasNoDotsOnlyContext) {
  EwFlag f;
  f.Enable(kA);
  f.Enable(kB);
  EwFlag off = f.Disable();
  EXPECT_FALSE(off.Enabled());
  EXPECT_TRUE(off.context().Contains(Dot{kB, 1}));
  EXPECT_FALSE(off.context().Contains(Dot{kA, 1}));  // replaced by kB's enable
}

TEST(EwFlagTest, DecodeRejectsPayloadColumns) {
  EwFlag f;
  f.Enable(kA);
  std::string bytes = f.Encode();
  EXPECT_TRUE(EwFlag::Decode(bytes).ok());
  // Append a `values` entry to the dots message: the flag has no payload.
  // dots = field 2 (0x12), len; inside add field 3 (0x1a) len 0.
  size_t ctx_len = static_cast<unsigned char>(bytes[1]);
  std::string dots = bytes.substr(2 + ctx_len + 2);
  dots += std::string("\x1a\x00", 2);
  std::string hostile = bytes.substr(0, 2 + ctx_len) + "\x12" + static_cast<char>(dots.size()) + dots;
  Status s = EwFlag::Decode(hostile).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("columns"), std::string::npos) << s.ToString();
}

RC_GTEST_PROP(EwFlagProps, LatticeDeltaRoundTripConvergence, ()) {
  causal_test::CheckAllProperties<EwFlag>(MutateFlag);
}

}  // namespace
}  // namespace regionsync

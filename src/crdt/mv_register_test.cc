#include "regionsync/crdt/mv_register.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "crdt/causal_test_history.h"

namespace regionsync {
namespace {

using ::testing::ElementsAre;

constexpr ActorId kA = 11, kB = 22;

// One mutation in five is a Clear.
MvRegister MutateMv(MvRegister& r, ActorId actor, int a, int, int) {
  static const char* kValues[] = {"", "x", "y", "zz"};
  if (a % 5 == 4) return r.Clear();
  return r.Assign(actor, kValues[a % 4]);
}

TEST(MvRegisterTest, ClearRemovesObservedValuesOnly) {
  MvRegister a, b;
  b.Join(a.Assign(kA, "x"));
  MvRegister clear = a.Clear();
  MvRegister concurrent = b.Assign(kB, "y");  // did not see the clear
  EXPECT_TRUE(a.Values().empty());
  a.Join(concurrent);
  b.Join(clear);
  EXPECT_EQ(a, b);
  EXPECT_THAT(a.Values(), ElementsAre("y"));
}

TEST(MvRegisterTest, EmptyHasNoValues) {
  MvRegister r;
  EXPECT_TRUE(r.Values().empty());
  EXPECT_EQ(r.Encode(), "");
}

TEST(MvRegisterTest, AssignReplacesOwnValue) {
  MvRegister r;
  r.Assign(kA, "x");
  r.Assign(kA, "y");
  EXPECT_THAT(r.Values(), ElementsAre("y"));
  EXPECT_EQ(r.context().MaxCounter(kA), 2u);
}

TEST(MvRegisterTest, DeltaCarriesReplacedDots) {
  MvRegister r;
  r.Assign(kA, "x");
  MvRegister delta = r.Assign(kA, "y");
  EXPECT_THAT(delta.Values(), ElementsAre("y"));
  EXPECT_TRUE(delta.context().Contains(Dot{kA, 1}));
  EXPECT_TRUE(delta.context().Contains(Dot{kA, 2}));
}

TEST(MvRegisterTest, JoinReportsValueChangeOnly) {
  MvRegister a, b;
  MvRegister d1 = a.Assign(kA, "x");
  EXPECT_TRUE(b.Join(d1));
  EXPECT_FALSE(b.Join(d1));
  // Same value from another actor: new dot, same Values().
  MvRegister d2 = b.Assign(kB, "x");
  EXPECT_FALSE(a.Join(d2));
  EXPECT_EQ(a, b);
}

TEST(MvRegisterTest, OldDeltaAfterNewerIsIgnored) {
  MvRegister a, b;
  MvRegister d1 = a.Assign(kA, "x");
  MvRegister d2 = a.Assign(kA, "y");
  b.Join(d2);
  EXPECT_FALSE(b.Join(d1));
  EXPECT_THAT(b.Values(), ElementsAre("y"));
}

TEST(MvRegisterTest, DecodeRejectsDotOutsideContext) {
  MvRegister r;
  r.Assign(kA, "x");
  std::string bytes = r.Encode();
  auto ok = MvRegister::Decode(bytes);
  ASSERT_TRUE(ok.ok());
  // A state whose dot is not covered by its context: build it by dropping the
  // context field (tag 0x0a) and keep only the dots message.
  ASSERT_EQ(static_cast<unsigned char>(bytes[0]), 0x0a);
  size_t ctx_len = static_cast<unsigned char>(bytes[1]);
  std::string no_ctx = bytes.substr(2 + ctx_len);
  Status s = MvRegister::Decode(no_ctx).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("actor index"), std::string::npos) << s.ToString();
}

RC_GTEST_PROP(MvRegisterProps, LatticeDeltaRoundTripConvergence, ()) {
  causal_test::CheckAllProperties<MvRegister>(MutateMv);
}

}  // namespace
}  // namespace regionsync

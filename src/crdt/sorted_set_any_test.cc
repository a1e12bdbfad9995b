// The sorted set through AnyCrdt and copy_crdt: its name, empty state,
// decode, split, JSON value, clear, type conflicts and COPY.
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "regionsync/crdt/any_crdt.h"
#include "regionsync/crdt/copy_crdt.h"

namespace regionsync {
namespace {

constexpr ActorId kA = 0xA1;
constexpr ActorId kB = 0xB2;

SortedSet Sample() {
  SortedSet s;
  s.Assign(kA, "bob", 1, 2.5);
  s.Assign(kA, "alice", 1, 2.5);
  s.Assign(kA, "top", 1, std::numeric_limits<double>::infinity());
  s.Increment(kA, "low", -3);
  return s;
}

TEST(SortedSetAnyTest, NameTypeAndEmptyState) {
  EXPECT_STREQ(TypeName(pb::SORTED_SET), "sorted_set");
  EXPECT_EQ(*ParseTypeName("sorted_set"), pb::SORTED_SET);
  AnyCrdt empty = EmptyCrdt(pb::SORTED_SET);
  EXPECT_TRUE(std::holds_alternative<SortedSet>(empty));
  EXPECT_EQ(TypeOf(empty), pb::SORTED_SET);
  EXPECT_FALSE(HasValue(empty));
  EXPECT_TRUE(HasValue(AnyCrdt(Sample())));
  EXPECT_TRUE(SameType(empty, AnyCrdt(Sample())));
  EXPECT_FALSE(SameType(empty, AnyCrdt(OrSet())));
  EXPECT_FALSE(IsStringFamily(empty));
}

TEST(SortedSetAnyTest, EncodeDecodeAndJoinThroughAnyCrdt) {
  AnyCrdt v(Sample());
  Result<AnyCrdt> back = DecodeCrdt(pb::SORTED_SET, EncodeCrdt(v));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(std::get<SortedSet>(*back), Sample());
  EXPECT_FALSE(DecodeCrdt(pb::SORTED_SET, "\xff").ok());
  AnyCrdt state = EmptyCrdt(pb::SORTED_SET);
  EXPECT_TRUE(JoinCrdt(state, v));
  EXPECT_FALSE(JoinCrdt(state, v));
}

TEST(SortedSetAnyTest, ValueJsonIsPairsInRankOrder) {
  nlohmann::json j = ValueJson(AnyCrdt(Sample()));
  EXPECT_EQ(j, nlohmann::json::parse(R"([["low", -3.0], ["alice", 2.5], ["bob", 2.5], ["top", "inf"]])"));
  EXPECT_EQ(ValueJson(EmptyCrdt(pb::SORTED_SET)), nlohmann::json::array());
}

TEST(SortedSetAnyTest, ClearRemovesWhatItSaw) {
  AnyCrdt state(Sample());
  AnyCrdt peer = state;
  Result<AnyCrdt> delta = ClearCrdt(state, kA, 0);
  ASSERT_TRUE(delta.ok());
  EXPECT_FALSE(HasValue(state));
  std::get<SortedSet>(peer).Increment(kB, "bob", 1);  // concurrent
  JoinCrdt(peer, *delta);
  EXPECT_EQ(std::get<SortedSet>(peer).size(), 1u);
  EXPECT_EQ(std::get<SortedSet>(peer).Score("bob"), 1.0);
}

TEST(SortedSetAnyTest, SplitCrdtCutsABigSet) {
  SortedSet big;
  for (int i = 0; i < 2000; ++i) big.Assign(kA, "member-" + std::to_string(i), 1, i);
  std::vector<AnyCrdt> pieces = SplitCrdt(AnyCrdt(big), 4096);
  ASSERT_GT(pieces.size(), 1u);
  AnyCrdt joined = EmptyCrdt(pb::SORTED_SET);
  for (const AnyCrdt& p : pieces) {
    EXPECT_LE(EncodeCrdt(p).size(), 4096u);
    JoinCrdt(joined, p);
  }
  EXPECT_EQ(std::get<SortedSet>(joined), big);
}

TEST(SortedSetAnyTest, TypeConflictKeepsTheGreaterTypeNumber) {
  OrSet set;
  set.Add(kA, "x");
  AnyCrdt a(set), b(Sample());
  TypedJoin j = JoinAnyType(a, b);
  EXPECT_TRUE(j.changed && j.conflict);
  EXPECT_TRUE(std::holds_alternative<SortedSet>(a));
  AnyCrdt c(Sample());
  EXPECT_FALSE(JoinAnyType(c, AnyCrdt(set)).changed);
  // The string family ranks above every other type.
  AnyCrdt s(RedisString{});
  std::get<RedisString>(s).Set(kA, 1, "v");
  AnyCrdt z(Sample());
  JoinAnyType(z, s);
  EXPECT_TRUE(std::holds_alternative<RedisString>(z));
}

TEST(SortedSetAnyTest, CopyWritesEveryScoreAfresh) {
  AnyCrdt source(Sample());
  SortedSet dest_set;
  dest_set.Assign(kB, "old", 1, 1);
  AnyCrdt dest(dest_set);
  AnyCrdt peer = dest;
  ASSERT_TRUE(CanCopyInto(dest, source));
  EXPECT_FALSE(CanCopyInto(AnyCrdt(OrSet()), source));
  Result<AnyCrdt> delta = ReplaceByCopy(dest, source, kA, 100);
  ASSERT_TRUE(delta.ok()) << delta.status().ToString();
  EXPECT_EQ(ValueJson(dest), ValueJson(source));
  JoinCrdt(peer, *delta);
  EXPECT_EQ(ValueJson(peer), ValueJson(source));
  // New dots of kA only: nothing of the source's history is reused.
  const SortedSet& d = std::get<SortedSet>(dest);
  EXPECT_EQ(d.dot_count(), 4u);
  EXPECT_EQ(LargestCopyUnit(source), std::string("alice").size() + 8);
}

}  // namespace
}  // namespace regionsync

// SortedSet::SplitDelta: pieces fit the limit, joining all of them (in any
// order) equals joining the whole, and a member's replaced dots travel with
// its new dot, so no subset of pieces shows a member gone that the writer
// still holds or a ZADD's score mixed with the increments it reset.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "regionsync/crdt/sorted_set.h"

namespace regionsync {
namespace {

constexpr ActorId kA = 0xA1;
constexpr ActorId kB = 0xB2;

std::string Member(int i) { return "member-" + std::to_string(i); }

TEST(SortedSetSplitTest, SmallDeltaIsOnePiece) {
  SortedSet s;
  SortedSet d = s.Assign(kA, "x", 1, 1);
  std::vector<SortedSet> pieces = d.SplitDelta(1024);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], d);
  EXPECT_EQ(SortedSet().SplitDelta(16).size(), 1u);
}

TEST(SortedSetSplitTest, PiecesFitAndRejoinToTheWhole) {
  SortedSet writer;
  SortedSet whole;
  for (int i = 0; i < 3000; ++i) whole.Join(writer.Assign(kA, Member(i), i, i * 0.5));
  for (int i = 0; i < 3000; i += 7) whole.Join(writer.Increment(kA, Member(i), 1));
  for (int i = 0; i < 3000; i += 11) whole.Join(writer.Remove(Member(i)));
  const size_t limit = 2048;
  std::vector<SortedSet> pieces = whole.SplitDelta(limit);
  ASSERT_GT(pieces.size(), 10u);
  for (const SortedSet& p : pieces) EXPECT_LE(p.Encode().size(), limit);
  for (uint64_t seed : {0u, 1u, 2u}) {
    std::mt19937_64 rng(seed);
    std::shuffle(pieces.begin(), pieces.end(), rng);
    SortedSet joined;
    for (const SortedSet& p : pieces) joined.Join(p);
    EXPECT_EQ(joined, whole) << "seed " << seed;
    EXPECT_EQ(joined.Encode(), whole.Encode());
  }
}

// A receiver that had the old state and gets any subset of the pieces of a
// coalesced delta (ZADD over increments, ZINCRBY, ZREM) reads each member as
// before or as after the whole delta.
TEST(SortedSetSplitTest, EveryPrefixOfPiecesReadsEachMemberAsBeforeOrAfter) {
  SortedSet writer;
  for (int i = 0; i < 1500; ++i) writer.Assign(kA, Member(i), 1, i);
  for (int i = 0; i < 1500; i += 2) writer.Increment(kB, Member(i), 100);
  const SortedSet receiver = writer;
  SortedSet delta;
  for (int i = 0; i < 1500; ++i) delta.Join(writer.Assign(kA, Member(i), 5, -i));  // resets the +100s
  for (int i = 0; i < 1500; i += 3) delta.Join(writer.Increment(kB, Member(i), 1));
  for (int i = 0; i < 1500; i += 5) delta.Join(writer.Remove(Member(i)));
  std::vector<SortedSet> pieces = delta.SplitDelta(1500);
  ASSERT_GT(pieces.size(), 10u);
  for (uint64_t seed : {0u, 1u}) {
    std::mt19937_64 rng(seed);
    std::shuffle(pieces.begin(), pieces.end(), rng);
    SortedSet r = receiver;
    for (size_t p = 0; p < pieces.size(); ++p) {
      r.Join(pieces[p]);
      if (p % 5 != 0 && p + 1 != pieces.size()) continue;
      for (int i = 0; i < 1500; ++i) {
        const std::optional<double> now = r.Score(Member(i));
        const bool as_before = now == receiver.Score(Member(i));
        const bool as_after = now == writer.Score(Member(i));
        ASSERT_TRUE(as_before || as_after) << Member(i) << " after piece " << p << " seed " << seed;
      }
    }
    EXPECT_EQ(r, writer);
  }
}

TEST(SortedSetSplitTest, OversizedMemberGoesAlone) {
  SortedSet writer;
  SortedSet whole;
  whole.Join(writer.Assign(kA, std::string(5000, 'x'), 1, 1));
  for (int i = 0; i < 200; ++i) whole.Join(writer.Assign(kA, Member(i), 1, i));
  std::vector<SortedSet> pieces = whole.SplitDelta(1024);
  size_t over = 0;
  for (const SortedSet& p : pieces) {
    if (p.Encode().size() > 1024) {
      ++over;
      EXPECT_EQ(p.size(), 1u);
    }
  }
  EXPECT_EQ(over, 1u);
  SortedSet joined;
  for (const SortedSet& p : pieces) joined.Join(p);
  EXPECT_EQ(joined, whole);
}

TEST(SortedSetSplitTest, AClearSplitsIntoRemovalsOnly) {
  SortedSet writer;
  for (int i = 0; i < 2000; ++i) writer.Assign(i % 2 ? kA : kB, Member(i), 1, i);
  const SortedSet before = writer;
  SortedSet clear = writer.Clear();
  std::vector<SortedSet> pieces = clear.SplitDelta(256);
  SortedSet r = before;
  for (const SortedSet& p : pieces) {
    EXPECT_LE(p.Encode().size(), 256u);
    EXPECT_EQ(p.size(), 0u);
    r.Join(p);
  }
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r, writer);
}

}  // namespace
}  // namespace regionsync

// SortedSet: the mutators and every concurrency case of two regions writing
// one member (ZADD, ZINCRBY, ZREM, DEL against each other), infinities, and
// what Join reports.
#include "regionsync/crdt/sorted_set.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace regionsync {
namespace {

constexpr ActorId kA = 0xA1;
constexpr ActorId kB = 0xB2;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Two replicas that have both seen `setup` and then race.
struct Pair {
  SortedSet a, b;
  void Sync() {
    SortedSet a0 = a;
    a.Join(b);
    b.Join(a0);
  }
};

std::vector<std::pair<std::string, double>> Listing(const SortedSet& s) {
  std::vector<std::pair<std::string, double>> out;
  s.Visit(0, s.size(), false, [&](const SortedSet::Entry& e) {
    out.emplace_back(std::string(e.member), e.score);
    return true;
  });
  return out;
}

void ExpectConverged(const Pair& p) {
  EXPECT_EQ(p.a, p.b);
  EXPECT_EQ(p.a.Encode(), p.b.Encode());
  EXPECT_EQ(Listing(p.a), Listing(p.b));
}

TEST(SortedSetTest, EmptySetReadsEmpty) {
  SortedSet s;
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.Contains("x"));
  EXPECT_EQ(s.Score("x"), std::nullopt);
  EXPECT_EQ(s.Rank("x"), std::nullopt);
  EXPECT_EQ(s.LowerRank(ScoreBound{0, false}), 0u);
  EXPECT_EQ(s.UpperRank(ScoreBound{0, false}), 0u);
  EXPECT_EQ(s.dot_count(), 0u);
  EXPECT_TRUE(s.Remove("x").context().empty());
  EXPECT_TRUE(s.Clear().context().empty());
  EXPECT_EQ(s, SortedSet());
}

TEST(SortedSetTest, AssignIncrementRemoveOnOneReplica) {
  SortedSet s;
  s.Assign(kA, "alice", 1, 10);
  s.Assign(kA, "bob", 1, 3);
  EXPECT_EQ(s.Score("alice"), 10.0);
  EXPECT_EQ(s.Rank("bob"), 0u);
  EXPECT_EQ(s.Rank("alice"), 1u);
  s.Increment(kA, "bob", 20);
  EXPECT_EQ(s.Score("bob"), 23.0);
  EXPECT_EQ(s.Rank("alice"), 0u);
  s.Increment(kA, "bob", 1);
  EXPECT_EQ(s.Score("bob"), 24.0);
  EXPECT_EQ(s.dot_count(), 3u) << "one register and one counter dot for bob";
  s.Increment(kA, "carol", -2.5);  // created by an increment
  EXPECT_EQ(s.Score("carol"), -2.5);
  s.Assign(kA, "bob", 1, 5);  // resets bob's increments
  EXPECT_EQ(s.Score("bob"), 5.0);
  EXPECT_EQ(s.dot_count(), 3u);
  s.Remove("alice");
  EXPECT_FALSE(s.Contains("alice"));
  EXPECT_EQ(Listing(s), (std::vector<std::pair<std::string, double>>{{"carol", -2.5}, {"bob", 5}}));
}

TEST(SortedSetTest, DeltaJoinedIntoAReplicaGivesTheSameState) {
  SortedSet a, b;
  b.Join(a.Assign(kA, "x", 1, 1));
  b.Join(a.Increment(kA, "x", 2));
  b.Join(a.Assign(kA, "y", 1, 7));
  b.Join(a.Remove("y"));
  b.Join(a.Increment(kA, "z", 1));
  EXPECT_EQ(a, b);
  EXPECT_EQ(Listing(b), (std::vector<std::pair<std::string, double>>{{"z", 1}, {"x", 3}}));
}

TEST(SortedSetTest, ConcurrentAssignsLastWriterWins) {
  Pair p;
  p.a.Assign(kA, "m", 100, 1);
  p.b.Assign(kB, "m", 200, 2);
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(p.a.Score("m"), 2.0);
  EXPECT_EQ(p.a.dot_count(), 2u) << "concurrent register dots both stay";
}

TEST(SortedSetTest, ConcurrentAssignsWithEqualTimestampsBreakTiesByWriter) {
  Pair p;
  p.a.Assign(kA, "m", 100, 9);
  p.b.Assign(kB, "m", 100, 1);
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(p.a.Score("m"), 1.0) << "kB > kA";
}

TEST(SortedSetTest, AssignThatSawAnotherWinsWhateverTheClocks) {
  Pair p;
  p.b.Join(p.a.Assign(kA, "m", 1000, 1));
  p.b.Assign(kB, "m", 5, 2);  // b's clock is behind but it saw a's write
  p.Sync();
  EXPECT_EQ(p.a.Score("m"), 2.0);
}

TEST(SortedSetTest, ConcurrentIncrementsAddUp) {
  Pair p;
  p.b.Join(p.a.Assign(kA, "alice", 1, 10));
  p.a.Increment(kA, "alice", 5);
  p.b.Increment(kB, "alice", 2);
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(p.a.Score("alice"), 17.0);
}

TEST(SortedSetTest, ConcurrentIncrementsOfAnAbsentMemberCreateItOnce) {
  Pair p;
  p.a.Increment(kA, "m", 1.5);
  p.b.Increment(kB, "m", 2);
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(p.a.size(), 1u);
  EXPECT_EQ(p.a.Score("m"), 3.5);
}

TEST(SortedSetTest, AssignResetsTheIncrementsItSawNotConcurrentOnes) {
  Pair p;
  p.b.Join(p.a.Increment(kA, "m", 5));  // both saw +5
  p.b.Join(p.a.Increment(kA, "m", 1));  // both saw +6
  p.a.Assign(kA, "m", 10, 100);         // resets the +6 it saw
  p.b.Increment(kB, "m", 3);            // concurrent: survives
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(p.a.Score("m"), 103.0);
}

TEST(SortedSetTest, AssignKeepsTheConcurrentIncrementsOfAnotherActor) {
  // b increments twice before a's ZADD arrives; a's ZADD saw neither.
  Pair p;
  p.b.Join(p.a.Assign(kA, "m", 1, 1));
  p.a.Assign(kA, "m", 2, 50);
  p.b.Increment(kB, "m", 1);
  p.b.Increment(kB, "m", 1);
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(p.a.Score("m"), 52.0);
}

// The running-total rule again: b's surviving dot carries its +4 that the
// ZADD had reset, so the result is 100 + 5 (Redis Active-Active: 101).
TEST(SortedSetTest, AssignConcurrentWithARepeatIncrementKeepsThatActorsRunningTotal) {
  Pair p;
  p.a.Join(p.b.Increment(kB, "m", 4));
  p.a.Assign(kA, "m", 10, 100);  // saw b's +4
  p.b.Increment(kB, "m", 1);     // b's total becomes 5, in a dot a has not seen
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(p.a.Score("m"), 105.0);
}

TEST(SortedSetTest, RemoveConcurrentWithAssignKeepsTheMemberWithOnlyTheUnobservedWrite) {
  Pair p;
  p.b.Join(p.a.Assign(kA, "m", 1, 10));
  p.b.Join(p.a.Increment(kA, "m", 4));
  p.a.Remove("m");
  p.b.Assign(kB, "m", 2, 7);
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(p.a.Score("m"), 7.0);
  EXPECT_EQ(p.a.dot_count(), 1u);
}

TEST(SortedSetTest, RemoveConcurrentWithAFirstIncrementKeepsOnlyTheIncrement) {
  Pair p;
  p.b.Join(p.a.Assign(kA, "m", 1, 10));
  p.b.Join(p.a.Increment(kA, "m", 4));
  p.a.Remove("m");            // observed the register and a's +4
  p.b.Increment(kB, "m", 1);  // b's first contribution, unseen by a
  p.Sync();
  ExpectConverged(p);
  ASSERT_TRUE(p.a.Contains("m"));
  EXPECT_EQ(p.a.Score("m"), 1.0);
}

// As the project's causal counters (causal_scenarios_test.cc): a counter
// dot carries its actor's running total, so the unobserved dot that
// survives a remove holds that actor's earlier, observed increments too.
TEST(SortedSetTest, RemoveConcurrentWithIncrementKeepsOnlyTheUnobservedDot) {
  Pair p;
  p.b.Join(p.a.Assign(kA, "m", 1, 10));
  p.a.Join(p.b.Increment(kB, "m", 4));  // b's total 4, seen by a
  p.a.Remove("m");                      // observed: the register and b's dot
  p.b.Increment(kB, "m", 1);            // b's new dot: total 5, unseen by a
  p.Sync();
  ExpectConverged(p);
  ASSERT_TRUE(p.a.Contains("m"));
  EXPECT_EQ(p.a.Score("m"), 5.0);
  EXPECT_EQ(p.a.dot_count(), 1u);
}

TEST(SortedSetTest, RemoveOfEverythingObservedRemovesTheMemberEverywhere) {
  Pair p;
  p.b.Join(p.a.Assign(kA, "m", 1, 10));
  p.b.Remove("m");
  p.Sync();
  ExpectConverged(p);
  EXPECT_FALSE(p.a.Contains("m"));
  EXPECT_EQ(p.a.size(), 0u);
}

TEST(SortedSetTest, ClearConcurrentWithAddsKeepsTheAdds) {
  Pair p;
  for (int i = 0; i < 10; ++i) p.b.Join(p.a.Assign(kA, "m" + std::to_string(i), 1, i));
  SortedSet cleared = p.a.Clear();
  EXPECT_EQ(p.a.size(), 0u);
  EXPECT_EQ(cleared.context().DotCount(), 10u);
  p.b.Assign(kB, "m3", 2, 33);
  p.b.Increment(kB, "new", 1);
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(Listing(p.a), (std::vector<std::pair<std::string, double>>{{"new", 1}, {"m3", 33}}));
}

TEST(SortedSetTest, ClearThenReAddOnOneReplica) {
  SortedSet a, b;
  b.Join(a.Assign(kA, "m", 1, 1));
  SortedSet d = a.Clear();
  d.Join(a.Assign(kA, "m", 2, 2));
  b.Join(d);
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.Score("m"), 2.0);
}

TEST(SortedSetTest, OppositeInfinitiesReadAsZeroEverywhere) {
  Pair p;
  p.a.Increment(kA, "m", kInf);
  p.b.Increment(kB, "m", -kInf);
  p.Sync();
  ExpectConverged(p);
  EXPECT_EQ(p.a.Score("m"), 0.0);
  EXPECT_FALSE(std::signbit(*p.a.Score("m")));
  // A register at +inf and a counter at -inf too.
  Pair q;
  q.b.Join(q.a.Assign(kA, "m", 1, kInf));
  q.b.Increment(kB, "m", -kInf);
  q.Sync();
  EXPECT_EQ(q.a.Score("m"), 0.0);
  EXPECT_EQ(q.a.Score("m"), q.b.Score("m"));
}

TEST(SortedSetTest, AnIncrementAfterANaNReadTakesItsOwnValue) {
  SortedSet s;
  s.Increment(kA, "m", kInf);
  SortedSet other;
  other.Increment(kB, "m", -kInf);
  s.Join(other);
  ASSERT_EQ(s.Score("m"), 0.0);
  // 0 + -inf is what the caller checked; a's own total would be NaN.
  s.Increment(kA, "m", -kInf);
  EXPECT_EQ(s.Score("m"), -kInf);
  SortedSet back = *SortedSet::Decode(s.Encode());
  EXPECT_EQ(back.Score("m"), -kInf);
}

#ifdef NDEBUG
TEST(SortedSetTest, NaNWritesChangeNothingInRelease) {
  SortedSet s;
  s.Assign(kA, "m", 1, 1);
  const std::string before = s.Encode();
  EXPECT_TRUE(s.Assign(kA, "m", 2, std::nan("")).context().empty());
  EXPECT_TRUE(s.Increment(kA, "m", std::nan("")).context().empty());
  EXPECT_EQ(s.Encode(), before);
}
#endif

TEST(SortedSetTest, InfiniteScoresOrderAtTheEnds) {
  SortedSet s;
  s.Assign(kA, "lo", 1, -kInf);
  s.Assign(kA, "hi", 1, kInf);
  s.Assign(kA, "mid", 1, 0);
  EXPECT_EQ(s.Rank("lo"), 0u);
  EXPECT_EQ(s.Rank("hi"), 2u);
  EXPECT_EQ(s.LowerRank(ScoreBound{-kInf, false}), 0u);
  EXPECT_EQ(s.LowerRank(ScoreBound{-kInf, true}), 1u);
  EXPECT_EQ(s.UpperRank(ScoreBound{kInf, true}), 2u);
  EXPECT_EQ(s.UpperRank(ScoreBound{kInf, false}), 3u);
}

TEST(SortedSetTest, NegativeZeroIsStoredAndOrderedAsZero) {
  SortedSet a, b;
  a.Assign(kA, "x", 1, -0.0);
  b.Assign(kA, "x", 1, 0.0);
  EXPECT_EQ(a.Encode(), b.Encode());
  EXPECT_FALSE(std::signbit(*a.Score("x")));
  SortedSet c;
  c.Increment(kA, "y", -0.0);
  EXPECT_FALSE(std::signbit(*c.Score("y")));
  a.Assign(kA, "w", 1, 0.0);
  EXPECT_EQ(a.Rank("w"), 0u) << "equal scores order by member bytes";
}

TEST(SortedSetTest, JoinReportsOnlyObservableChanges) {
  SortedSet a, b;
  SortedSet d = a.Assign(kA, "m", 1, 5);
  EXPECT_TRUE(b.Join(d));
  EXPECT_FALSE(b.Join(d)) << "a duplicate";
  EXPECT_FALSE(b.Join(b));
  // A concurrent register write that loses LWW changes no score.
  SortedSet c;
  SortedSet loser = c.Assign(kA - 1, "m", 0, 99);
  EXPECT_FALSE(b.Join(loser));
  EXPECT_EQ(b.Score("m"), 5.0);
  EXPECT_EQ(b.dot_count(), 2u);
  EXPECT_TRUE(b.Join(a.Increment(kA, "m", 1)));
  // a's remove saw its own dots, not the concurrent loser, which now shows.
  EXPECT_TRUE(b.Join(a.Remove("m")));
  EXPECT_EQ(b.Score("m"), 99.0);
}

TEST(SortedSetTest, CopiesAndMovesAreIndependent) {
  SortedSet a;
  a.Assign(kA, "x", 1, 1);
  SortedSet copy = a;
  copy.Assign(kA, "y", 1, 2);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(copy.Rank("y"), 1u);
  SortedSet moved = std::move(copy);
  EXPECT_EQ(moved.size(), 2u);
  EXPECT_EQ(copy.size(), 0u);  // NOLINT(bugprone-use-after-move): a moved-from set reads empty
  copy.Assign(kA, "z", 1, 3);
  EXPECT_EQ(copy.size(), 1u);
  a = moved;
  EXPECT_EQ(a, moved);
  EXPECT_EQ(Listing(a), Listing(moved));
}

TEST(SortedSetTest, AssignStampsAfterTheMembersGreatestTimestamp) {
  SortedSet a;
  a.Assign(kA, "m", 1000, 1);
  SortedSet d = a.Assign(kA, "m", 10, 2);
  // The delta's register dot is stamped 1001: it beats a concurrent write
  // at 1000 from another replica that a never saw.
  SortedSet other;
  other.Assign(kB, "m", 1000, 3);
  SortedSet x = d;
  x.Join(other);
  EXPECT_EQ(x.Score("m"), 2.0);
}

// A delta whose context is smaller than the set's dot count is joined by
// probing the dot index with its dots (no scan of the members); a full
// state takes the scan path. Both must give the same state.
TEST(SortedSetTest, ProbeAndScanPathsAgree) {
  SortedSet a;
  for (int i = 0; i < 50; ++i) a.Assign(kA, "m" + std::to_string(i), 1, i);
  const SortedSet start = a;
  SortedSet delta;
  for (int i = 0; i < 50; i += 3) delta.Join(a.Remove("m" + std::to_string(i)));
  delta.Join(a.Increment(kB, "m1", 5));
  delta.Join(a.Assign(kA, "m2", 2, -1));
  SortedSet probe = start;
  ASSERT_LT(delta.context().DotCount(), probe.dot_count());
  EXPECT_TRUE(probe.Join(delta));
  SortedSet scan = start;
  ASSERT_GE(a.context().DotCount(), scan.dot_count());
  EXPECT_TRUE(scan.Join(a));
  EXPECT_EQ(probe, a);
  EXPECT_EQ(scan, a);
  EXPECT_EQ(Listing(probe), Listing(a));
  EXPECT_EQ(Listing(scan), Listing(a));
}

}  // namespace
}  // namespace regionsync

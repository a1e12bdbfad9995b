// Unit tests of OrSet: mutators and their deltas, join, sizes and costs.
#include "regionsync/crdt/or_set.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace regionsync {
namespace {

constexpr ActorId kA = 0xA1;
constexpr ActorId kB = 0xB2;

TEST(OrSetTest, EmptySet) {
  OrSet s;
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.Contains("x"));
  EXPECT_TRUE(s.Elements().empty());
  EXPECT_TRUE(s.context().empty());
  EXPECT_EQ(s.Encode(), "");
}

TEST(OrSetTest, AddReturnsDeltaWithNewDot) {
  OrSet s;
  OrSet d = s.Add(kA, "apple");
  EXPECT_TRUE(s.Contains("apple"));
  EXPECT_EQ(d.Elements(), std::vector<std::string>{"apple"});
  EXPECT_TRUE(d.context().Contains(Dot{kA, 1}));
  EXPECT_EQ(d.context().DotCount(), 1u);
}

TEST(OrSetTest, ReAddCarriesOldDotsInContext) {
  OrSet s, r;
  r.Join(s.Add(kA, "apple"));
  OrSet d = s.Add(kB, "apple");
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(d.context().DotCount(), 2u);
  EXPECT_TRUE(d.context().Contains(Dot{kA, 1}));
  EXPECT_TRUE(d.context().Contains(Dot{kB, 1}));
  // The receiver that held the old dot ends with only the new one.
  EXPECT_FALSE(r.Join(d));
  EXPECT_EQ(r, s);
  OrSet only_new;
  only_new.Join(r.Remove("apple"));
  EXPECT_EQ(only_new.context().DotCount(), 1u);
  EXPECT_TRUE(only_new.context().Contains(Dot{kB, 1}));
}

TEST(OrSetTest, RemoveDeltaIsContextOnly) {
  OrSet s;
  (void)s.Add(kA, "apple");
  OrSet d = s.Remove("apple");
  EXPECT_FALSE(s.Contains("apple"));
  EXPECT_EQ(d.size(), 0u);
  EXPECT_TRUE(d.context().Contains(Dot{kA, 1}));
  EXPECT_EQ(d.context().DotCount(), 1u);
  // The context still remembers the dot: no tombstone entry, no resurrection.
  EXPECT_TRUE(s.context().Contains(Dot{kA, 1}));
}

TEST(OrSetTest, RemoveOfAbsentElementIsEmptyDelta) {
  OrSet s;
  (void)s.Add(kA, "apple");
  OrSet d = s.Remove("pear");
  EXPECT_EQ(d, OrSet());
  EXPECT_EQ(s.size(), 1u);
}

TEST(OrSetTest, JoinReportsMembershipChangesOnly) {
  OrSet a, b;
  OrSet d1 = a.Add(kA, "x");
  EXPECT_TRUE(b.Join(d1));
  EXPECT_FALSE(b.Join(d1));  // duplicate delivery
  OrSet d2 = a.Add(kA, "x");  // re-add: dots change, membership does not
  EXPECT_FALSE(b.Join(d2));
  EXPECT_EQ(a, b);
  OrSet d3 = a.Remove("x");
  EXPECT_TRUE(b.Join(d3));
  EXPECT_FALSE(b.Contains("x"));
  EXPECT_EQ(a, b);
}

TEST(OrSetTest, StaleAddAfterRemoveDoesNotResurrect) {
  OrSet a, b;
  OrSet add = a.Add(kA, "x");
  OrSet rm = a.Remove("x");
  EXPECT_FALSE(b.Join(rm));
  EXPECT_FALSE(b.Join(add));
  EXPECT_FALSE(b.Contains("x"));
  EXPECT_EQ(a, b);
}

TEST(OrSetTest, ConcurrentAddsKeepBothDots) {
  OrSet a, b;
  OrSet da = a.Add(kA, "x");
  OrSet db = b.Add(kB, "x");
  a.Join(db);
  b.Join(da);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.Encode(), b.Encode());
  // A remove observing both dots removes the element everywhere.
  OrSet rm = a.Remove("x");
  EXPECT_EQ(rm.context().DotCount(), 2u);
  b.Join(rm);
  EXPECT_FALSE(b.Contains("x"));
}

TEST(OrSetTest, ElementsAreSortedByBytes) {
  OrSet s;
  for (const char* e : {"b", "a", "\xff", "", "ab"}) (void)s.Add(kA, e);
  EXPECT_EQ(s.Elements(), (std::vector<std::string>{"", "a", "ab", "b", "\xff"}));
}

TEST(OrSetTest, ElementsAreBytesNotCStrings) {
  OrSet s;
  (void)s.Add(kA, std::string_view("a\0b", 3));
  EXPECT_TRUE(s.Contains(std::string_view("a\0b", 3)));
  EXPECT_FALSE(s.Contains("a"));
}

TEST(OrSetTest, CopyAndMoveKeepIndexConsistent) {
  OrSet s;
  for (int i = 0; i < 100; ++i) (void)s.Add(kA, "e" + std::to_string(i));
  OrSet copy = s;
  OrSet moved = std::move(s);
  EXPECT_EQ(copy, moved);
  // Removing through the copy's index must work (it points at the copy's own entries).
  OrSet d = copy.Remove("e7");
  EXPECT_TRUE(moved.Join(d));
  EXPECT_FALSE(moved.Contains("e7"));
  EXPECT_EQ(copy, moved);
  OrSet assigned;
  assigned = copy;
  EXPECT_FALSE(assigned.Join(assigned.Remove("e8")));  // delta already applied: no change
  EXPECT_FALSE(assigned.Contains("e8"));
}

// The full-state join takes the scan path; a small delta takes the probe path.
// Both must give the same result.
TEST(OrSetTest, ProbeAndScanPathsAgree) {
  OrSet a;
  for (int i = 0; i < 50; ++i) (void)a.Add(kA, "e" + std::to_string(i));
  OrSet b = a;
  OrSet rm = a.Remove("e3");
  OrSet b_probe = b;
  EXPECT_TRUE(b_probe.Join(rm));  // 1 context dot < 50 live dots: probe
  OrSet b_scan = b;
  EXPECT_TRUE(b_scan.Join(a));  // 50 context dots >= 49 live: scan
  EXPECT_EQ(b_probe, a);
  EXPECT_EQ(b_scan, a);
}

// A big set's index drops removed dots in batches, so right after a remove it
// may still list them. A join must read such a dot as removed, before and
// after the batch is applied (this test: the scan path; the next: the probe
// path).
TEST(OrSetTest, RemovedDotsReadAsRemovedBeforeTheIndexCatchesUp) {
  OrSet a;
  for (int i = 0; i < 100; ++i) (void)a.Add(kA, "x" + std::to_string(i));
  const OrSet a_start = a;
  for (int removed = 1; removed <= 40; ++removed) {  // past two batches
    (void)a.Remove("x" + std::to_string(removed));
    OrSet scan = a_start;  // shares every dot of a: the scan path
    EXPECT_TRUE(scan.Join(a)) << removed;
    EXPECT_EQ(scan, a) << removed;
    EXPECT_FALSE(scan.Contains("x" + std::to_string(removed)));
    EXPECT_TRUE(scan.Contains("x0"));
  }
  EXPECT_EQ(a.size(), 60u);
  (void)a.Add(kA, "x7");
  EXPECT_TRUE(a.Contains("x7"));
  OrSet c = a;
  EXPECT_FALSE(c.Join(a_start));  // old adds of removed elements stay removed
  EXPECT_EQ(c, a);
}

TEST(OrSetTest, ProbePathSeesRemovesStillQueuedInTheOtherIndex) {
  OrSet a;
  OrSet b;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.Join(a.Add(kA, "x" + std::to_string(i))));
  for (int i = 0; i < 100; ++i) (void)b.Add(kB, "y" + std::to_string(i));
  (void)a.Remove("x1");  // a's index may still list x1's dot
  EXPECT_TRUE(b.Join(a));  // 3 shared dots < b's 103: the probe path
  EXPECT_FALSE(b.Contains("x1"));
  EXPECT_TRUE(b.Contains("x0"));
  EXPECT_TRUE(b.Contains("x2"));
  EXPECT_EQ(b.size(), 102u);
}

TEST(OrSetTest, SplitDeltaPiecesFitAndRejoin) {
  OrSet s;
  for (int i = 0; i < 1000; ++i) (void)s.Add(i % 2 ? kA : kB, "element-" + std::to_string(i));
  for (int i = 0; i < 1000; i += 3) (void)s.Remove("element-" + std::to_string(i));
  std::vector<OrSet> pieces = s.SplitDelta(1024);
  EXPECT_GT(pieces.size(), 5u);
  OrSet joined;
  for (const OrSet& p : pieces) {
    EXPECT_LE(p.Encode().size(), 1024u);
    joined.Join(p);
  }
  EXPECT_EQ(joined, s);
}

TEST(OrSetTest, SplitDeltaOversizeElementGoesAlone) {
  OrSet s;
  (void)s.Add(kA, std::string(5000, 'x'));
  (void)s.Add(kA, "small");
  std::vector<OrSet> pieces = s.SplitDelta(100);
  ASSERT_EQ(pieces.size(), 2u);
  OrSet joined;
  for (const OrSet& p : pieces) joined.Join(p);
  EXPECT_EQ(joined, s);
}

TEST(OrSetTest, SplitDeltaPieceContextHasNoForeignEntryDots) {
  OrSet s;
  for (int i = 0; i < 200; ++i) (void)s.Add(kA, "e" + std::to_string(i));
  std::vector<OrSet> pieces = s.SplitDelta(256);
  ASSERT_GT(pieces.size(), 1u);
  // Joining any single piece into a replica holding everything removes nothing.
  for (const OrSet& p : pieces) {
    OrSet r = s;
    EXPECT_FALSE(r.Join(p));
    EXPECT_EQ(r.size(), 200u);
    EXPECT_EQ(p.context().DotCount(), p.size());
  }
}

TEST(OrSetTest, SplitDeltaOfEmptyIsOneEmptyPiece) {
  std::vector<OrSet> pieces = OrSet().SplitDelta(100);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], OrSet());
}

// The system this replaces used 399 KB of JSON for this history.
TEST(OrSetTest, EncodedSizeOf10kAdds5kRemoves) {
  OrSet s;
  for (int i = 0; i < 10000; ++i) (void)s.Add(kA, "user-" + std::to_string(i));
  for (int i = 0; i < 10000; i += 2) (void)s.Remove("user-" + std::to_string(i));
  EXPECT_EQ(s.size(), 5000u);
  EXPECT_LE(s.Encode().size(), 80u * 1024);
}

TEST(OrSetTest, MetadataPerElementAt16Actors) {
  OrSet s;
  size_t element_bytes = 0;
  for (int i = 0; i < 16000; ++i) {
    std::string e = "user-" + std::to_string(i);
    element_bytes += e.size();
    (void)s.Add(0x1000 + (i % 16) * 0x9E3779B97F4A7C15ULL, e);
  }
  const double per_element = double(s.Encode().size() - element_bytes) / s.size();
  EXPECT_LE(per_element, 64.0);
}

// SSCAN's walk: every element present for the whole walk is visited, also
// when the table grows and elements come and go between the calls.
TEST(OrSetTest, ScanVisitsEveryElementPresentThroughTheWalk) {
  OrSet s;
  for (int i = 0; i < 100; ++i) s.Add(kA, "stay" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int calls = 0, added = 0;
  do {
    cursor = s.Scan(cursor, 7, [&](std::string_view e) { seen.insert(std::string(e)); });
    // Between calls: the table grows (300 adds) and some elements leave.
    for (int j = 0; j < 30 && added < 300; ++j, ++added) s.Add(kA, "new" + std::to_string(added));
    s.Remove("new" + std::to_string(added / 2));
    ++calls;
  } while (cursor != 0 && calls < 10000);
  EXPECT_EQ(cursor, 0u);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(seen.count("stay" + std::to_string(i))) << i;
  EXPECT_GT(calls, 1);
}

TEST(OrSetTest, ScanOfSmallSetIsOneCall) {
  OrSet s;
  s.Add(kA, "a");
  s.Add(kA, "b");
  std::vector<std::string> seen;
  EXPECT_EQ(s.Scan(0, 1, [&](std::string_view e) { seen.emplace_back(e); }), 0u);
  EXPECT_EQ(seen.size(), 2u);
}

TEST(OrSetTest, RandomElementIsAMember) {
  OrSet s;
  for (int i = 0; i < 1000; ++i) s.Add(kA, std::to_string(i));
  for (int i = 0; i < 990; ++i) s.Remove(std::to_string(i));  // a sparse table
  std::set<std::string> drawn;
  for (uint64_t r = 0; r < 2000; ++r) {
    std::string e(s.RandomElement(r * 0x9E3779B97F4A7C15ULL));
    EXPECT_TRUE(s.Contains(e)) << e;
    drawn.insert(e);
  }
  EXPECT_EQ(drawn.size(), 10u);
}

}  // namespace
}  // namespace regionsync

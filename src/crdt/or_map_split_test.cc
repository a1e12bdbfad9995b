#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <random>

#include "crdt/causal_test_history.h"
#include "crdt/or_map_test_mutate.h"
#include "regionsync/crdt/or_map.h"

namespace regionsync {
namespace {

constexpr ActorId kA = 11;

// Checks the SplitDelta contract for `whole` cut at `max` bytes, joining the
// pieces in a seeded random order into `target`.
void CheckSplit(const OrMap& whole, const OrMap& target, size_t max, uint64_t seed) {
  std::vector<OrMap> pieces = whole.SplitDelta(max);
  RC_ASSERT(!pieces.empty());
  for (size_t i = 0; i < pieces.size(); ++i) {
    const OrMap& p = pieces[i];
    RC_ASSERT(p.kind() == whole.kind());
    RC_ASSERT(whole.context().Includes(p.context()));
    // Over the limit only when the piece is one unit: a single dot, or a
    // single removal interval.
    if (p.Encode().size() > max) {
      RC_ASSERT(p.dot_count() + (p.dot_count() == 0 ? p.context().interval_count() : 0) <= 1);
    }
    // Never the dots of another piece's entries in this piece's context.
    for (size_t j = 0; j < pieces.size(); ++j) {
      if (j == i) continue;
      for (const std::string& key : pieces[j].Keys()) {
        OrMap probe = pieces[j];
        // A piece's own dots are exactly what a Remove of the key observes.
        OrMap removal = probe.Remove(key);
        for (const auto& a : removal.context().actors()) {
          for (const auto& iv : a.intervals) {
            for (uint64_t c = iv.first; c <= iv.last; ++c) {
              RC_ASSERT(!p.context().Contains(Dot{a.actor, c}));
            }
          }
        }
      }
    }
  }
  std::mt19937_64 rng(seed);
  std::shuffle(pieces.begin(), pieces.end(), rng);
  OrMap from_pieces = target;
  for (const OrMap& p : pieces) from_pieces.Join(p);
  OrMap from_whole = target;
  from_whole.Join(whole);
  RC_ASSERT(from_pieces.Encode() == from_whole.Encode());
}

template <OrMapKind kKind>
void SplitProperty() {
  auto steps = *causal_test::GenSteps(60);
  auto h = causal_test::RunHistory<OrMap>(steps, causal_test::MutateKind<kKind>);
  size_t max = *rc::gen::inRange<size_t>(1, 300);
  uint64_t seed = *rc::gen::arbitrary<uint64_t>();
  // A full state, into the empty map and into another replica.
  CheckSplit(h.replicas[0], OrMap(), max, seed);
  CheckSplit(h.replicas[0], h.replicas[1], max, seed);
  // A coalesced delta (what a publisher sends).
  OrMap coalesced;
  for (size_t i = h.deltas.size() / 2; i < h.deltas.size(); ++i) coalesced.Join(h.deltas[i]);
  CheckSplit(coalesced, h.replicas[2], max, seed);
}

RC_GTEST_PROP(OrMapSplitProps, Register, ()) { SplitProperty<OrMapKind::kRegister>(); }
RC_GTEST_PROP(OrMapSplitProps, MvRegister, ()) { SplitProperty<OrMapKind::kMvRegister>(); }
RC_GTEST_PROP(OrMapSplitProps, Flag, ()) { SplitProperty<OrMapKind::kFlag>(); }
RC_GTEST_PROP(OrMapSplitProps, Counter, ()) { SplitProperty<OrMapKind::kCounter>(); }
RC_GTEST_PROP(OrMapSplitProps, Set, ()) { SplitProperty<OrMapKind::kSet>(); }

TEST(OrMapSplitTest, SmallDeltaIsOnePiece) {
  OrMap m(OrMapKind::kRegister);
  m.Assign(kA, "k", 1, "v");
  std::vector<OrMap> pieces = m.SplitDelta(1 << 16);
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], m);
}

TEST(OrMapSplitTest, BigStateFillsPieces) {
  OrMap m(OrMapKind::kRegister);
  for (int i = 0; i < 5000; ++i) m.Assign(kA, "key-" + std::to_string(i), 1, std::string(40, 'v'));
  for (int i = 0; i < 5000; i += 3) m.Remove("key-" + std::to_string(i));
  const size_t max = 4096;
  std::vector<OrMap> pieces = m.SplitDelta(max);
  size_t total = 0;
  OrMap joined;
  for (const OrMap& p : pieces) {
    size_t n = p.Encode().size();
    EXPECT_LE(n, max);
    total += n;
    joined.Join(p);
  }
  EXPECT_EQ(joined, m);
  // Pieces are reasonably full: on average more than half the limit.
  EXPECT_GT(total / pieces.size(), max / 2) << pieces.size() << " pieces";
}

TEST(OrMapSplitTest, RemovalOnlyDeltaSplitsItsContext) {
  OrMap m(OrMapKind::kSet);
  OrMap removals(OrMapKind::kSet);
  for (int i = 0; i < 300; ++i) {
    m.AddElement(kA, "s", "e" + std::to_string(i));
  }
  for (int i = 0; i < 300; i += 2) removals.Join(m.RemoveElement("s", "e" + std::to_string(i)));
  std::vector<OrMap> pieces = removals.SplitDelta(64);
  EXPECT_GT(pieces.size(), 1u);
  OrMap joined;
  for (const OrMap& p : pieces) {
    EXPECT_EQ(p.size(), 0u);
    EXPECT_LE(p.Encode().size(), 64u);
    joined.Join(p);
  }
  EXPECT_EQ(joined, removals);
}

}  // namespace
}  // namespace regionsync

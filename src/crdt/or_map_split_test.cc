#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <tuple>

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
    // Over the limit only when the piece is one unit: one field (in a map
    // of sets, one element of a field) with its removals, or removals only.
    if (p.Encode().size() > max) {
      RC_ASSERT(p.size() <= 1u);
      if (p.kind() == OrMapKind::kSet && p.size() == 1) RC_ASSERT(p.Values(p.Keys()[0]).size() == 1u);
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

// What a reader sees of one field (in a map of sets, of one element).
using FieldRead = std::tuple<bool, std::optional<std::string>, std::vector<std::string>, int64_t>;
FieldRead ReadField(const OrMap& m, const std::string& key) {
  return {m.Contains(key), m.Register(key), m.Values(key), m.Counter(key)};
}

// Every field of `now` reads as in `before` or as in `after`; for a map of
// sets, every element of every field.
void CheckOldOrNew(const OrMap& before, const OrMap& now, const OrMap& after) {
  std::set<std::string> keys;
  for (const OrMap* m : {&before, &now, &after}) {
    for (const std::string& k : m->Keys()) keys.insert(k);
  }
  for (const std::string& k : keys) {
    if (now.kind() != OrMapKind::kSet) {
      const FieldRead got = ReadField(now, k);
      RC_ASSERT(got == ReadField(before, k) || got == ReadField(after, k));
      continue;
    }
    std::set<std::string> elements;
    for (const OrMap* m : {&before, &now, &after}) {
      for (const std::string& e : m->Values(k)) elements.insert(e);
    }
    auto has = [&](const OrMap& m, const std::string& e) {
      const std::vector<std::string> v = m.Values(k);
      return std::find(v.begin(), v.end(), e) != v.end();
    };
    for (const std::string& e : elements) RC_ASSERT(has(now, e) == has(before, e) || has(now, e) == has(after, e));
  }
}

// A writer's coalesced delta (what the outbox holds after several writes),
// split, reaches a receiver that had the writer's state before the writes:
// whichever pieces arrived, in any order, each field reads old or new.
template <OrMapKind kKind>
void PrefixProperty() {
  auto steps = *causal_test::GenSteps(40);
  auto h = causal_test::RunHistory<OrMap>(steps, causal_test::MutateKind<kKind>);
  OrMap writer = h.replicas[0];
  const OrMap receiver = writer;
  // What the writer learns meanwhile (the receiver does not) and then writes.
  if (*rc::gen::arbitrary<bool>()) writer.Join(h.replicas[1]);
  auto writes = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, 1000), rc::gen::inRange(0, 1000), rc::gen::inRange(0, 1000)));
  // Unset: takes the kind of the first write (an empty history's map becomes
  // a map of registers on its first Assign, whatever kKind says).
  OrMap delta;
  for (const auto& [a, b, c] : writes) delta.Join(causal_test::MutateKind<kKind>(writer, causal_test::kActors[0], a, b, c));
  const size_t max = *rc::gen::inRange<size_t>(1, 200);
  std::vector<OrMap> pieces = delta.SplitDelta(max);
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  std::shuffle(pieces.begin(), pieces.end(), rng);
  const OrMap after = [&] {
    OrMap m = receiver;
    m.Join(delta);
    return m;
  }();
  OrMap now = receiver;
  for (const OrMap& p : pieces) {
    now.Join(p);
    CheckOldOrNew(receiver, now, after);
  }
  RC_ASSERT(now.Encode() == after.Encode());
}

RC_GTEST_PROP(OrMapSplitProps, Register, ()) { SplitProperty<OrMapKind::kRegister>(); }
RC_GTEST_PROP(OrMapSplitProps, PrefixReadsOldOrNewRegister, ()) { PrefixProperty<OrMapKind::kRegister>(); }
RC_GTEST_PROP(OrMapSplitProps, PrefixReadsOldOrNewMvRegister, ()) { PrefixProperty<OrMapKind::kMvRegister>(); }
RC_GTEST_PROP(OrMapSplitProps, PrefixReadsOldOrNewFlag, ()) { PrefixProperty<OrMapKind::kFlag>(); }
RC_GTEST_PROP(OrMapSplitProps, PrefixReadsOldOrNewCounter, ()) { PrefixProperty<OrMapKind::kCounter>(); }
RC_GTEST_PROP(OrMapSplitProps, PrefixReadsOldOrNewSet, ()) { PrefixProperty<OrMapKind::kSet>(); }
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

// Joins pieces into `receiver` in `pieces` order, checking after each one
// that `check(state)` holds, and that all of them give receiver + whole.
template <typename Check>
void JoinEachPrefix(OrMap receiver, const OrMap& whole, const std::vector<OrMap>& pieces, Check check) {
  OrMap after = receiver;
  after.Join(whole);
  for (const OrMap& p : pieces) {
    receiver.Join(p);
    check(receiver);
  }
  EXPECT_EQ(receiver, after);
}

constexpr ActorId kB = 22;

std::string Field(int i) { return "field-" + std::to_string(i); }

// The case: a map counter going 5 -> 8 must never read 13, whichever
// pieces of the writer's delta arrived (the removal of the old dot used to
// travel in the last piece).
TEST(OrMapSplitTest, CounterFieldReadsOldOrNewAfterEveryPiece) {
  OrMap writer(OrMapKind::kCounter);
  for (int i = 0; i < 300; ++i) writer.Increment(kA, Field(i), 5);
  const OrMap receiver = writer;
  OrMap delta;
  for (int i = 0; i < 300; ++i) delta.Join(writer.Increment(kA, Field(i), 3));
  std::vector<OrMap> pieces = delta.SplitDelta(256);
  ASSERT_GT(pieces.size(), 5u);
  for (uint64_t seed : {0u, 1u, 2u}) {
    std::mt19937_64 rng(seed);
    std::shuffle(pieces.begin(), pieces.end(), rng);
    JoinEachPrefix(receiver, delta, pieces, [](const OrMap& m) {
      for (int i = 0; i < 300; ++i) {
        const int64_t v = m.Counter(Field(i));
        ASSERT_TRUE(v == 5 || v == 8) << Field(i) << " reads " << v;
      }
    });
  }
}

// Many writes to one field in one flush: every removed dot goes with the
// field, not only the last write's.
TEST(OrMapSplitTest, ChainOfIncrementsTravelsWithTheField) {
  OrMap writer(OrMapKind::kCounter);
  for (int i = 0; i < 100; ++i) writer.Increment(kA, Field(i), 1);
  const OrMap receiver = writer;
  OrMap delta;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 100; ++i) delta.Join(writer.Increment(kA, Field(i), 1));
  }
  std::vector<OrMap> pieces = delta.SplitDelta(200);
  ASSERT_GT(pieces.size(), 3u);
  std::reverse(pieces.begin(), pieces.end());
  JoinEachPrefix(receiver, delta, pieces, [](const OrMap& m) {
    for (int i = 0; i < 100; ++i) {
      const int64_t v = m.Counter(Field(i));
      ASSERT_TRUE(v == 1 || v == 6) << Field(i) << " reads " << v;
    }
  });
}

// An MV field with two concurrent values, overwritten: a reader sees both old
// values or the new one, never three values or one old one.
TEST(OrMapSplitTest, MvFieldShowsOldOrNewValuesAfterEveryPiece) {
  OrMap a(OrMapKind::kMvRegister), b(OrMapKind::kMvRegister);
  for (int i = 0; i < 200; ++i) {
    a.Assign(kA, Field(i), 0, "old-a");
    b.Assign(kB, Field(i), 0, "old-b");
  }
  a.Join(b);
  const OrMap receiver = a;
  OrMap delta;
  for (int i = 0; i < 200; ++i) delta.Join(a.Assign(kA, Field(i), 0, "new"));
  std::vector<OrMap> pieces = delta.SplitDelta(300);
  ASSERT_GT(pieces.size(), 3u);
  std::reverse(pieces.begin(), pieces.end());
  const std::vector<std::string> old_values = {"old-a", "old-b"}, new_values = {"new"};
  JoinEachPrefix(receiver, delta, pieces, [&](const OrMap& m) {
    for (int i = 0; i < 200; ++i) {
      const std::vector<std::string> v = m.Values(Field(i));
      ASSERT_TRUE(v == old_values || v == new_values) << Field(i) << " reads " << v.size() << " values";
    }
  });
}

// HDEL then HSET of the same field in one flush: the removal of the old
// value is noted for the field, so it travels with the new value and the
// field never reads as deleted.
TEST(OrMapSplitTest, RemoveThenAssignTravelsTogether) {
  OrMap writer(OrMapKind::kRegister);
  for (int i = 0; i < 200; ++i) writer.Assign(kA, Field(i), 1, "old");
  const OrMap receiver = writer;
  OrMap delta;
  for (int i = 0; i < 200; ++i) {
    delta.Join(writer.Remove(Field(i)));
    delta.Join(writer.Assign(kA, Field(i), 2, "new"));
  }
  std::vector<OrMap> pieces = delta.SplitDelta(300);
  ASSERT_GT(pieces.size(), 3u);
  std::reverse(pieces.begin(), pieces.end());
  JoinEachPrefix(receiver, delta, pieces, [](const OrMap& m) {
    for (int i = 0; i < 200; ++i) {
      const std::optional<std::string> v = m.Register(Field(i));
      ASSERT_TRUE(v == "old" || v == "new") << Field(i) << " reads " << v.value_or("(absent)");
    }
  });
}

// The other case: a register value too big for one piece used to be
// dropped while the removal of the old value went out alone, so peers deleted
// the field. Now the value and its removal are one unit: one (oversized)
// piece holds both, and no piece removes the field without the new value.
TEST(OrMapSplitTest, OversizedValueTravelsWithItsRemoval) {
  OrMap writer(OrMapKind::kRegister);
  for (int i = 0; i < 50; ++i) writer.Assign(kA, Field(i), 1, "old");
  const OrMap receiver = writer;
  OrMap delta;
  delta.Join(writer.Assign(kA, Field(7), 2, std::string(5000, 'v')));
  for (int i = 0; i < 50; ++i) {
    if (i != 7) delta.Join(writer.Assign(kA, Field(i), 2, "new"));
  }
  std::vector<OrMap> pieces = delta.SplitDelta(1000);
  size_t oversized = 0;
  for (const OrMap& p : pieces) {
    OrMap alone = receiver;
    alone.Join(p);
    EXPECT_TRUE(alone.Contains(Field(7))) << "a piece deletes the field";
    if (p.Encode().size() > 1000) {
      ++oversized;
      EXPECT_EQ(p.Keys(), std::vector<std::string>{Field(7)});
      EXPECT_EQ(alone.Register(Field(7)), std::string(5000, 'v'));
    }
  }
  EXPECT_EQ(oversized, 1u);
}

}  // namespace
}  // namespace regionsync

#include "regionsync/crdt/pn_counter.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "crdt/lattice_laws.h"
#include "regionsync/proto/counters.pb.h"

namespace regionsync {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

rc::Gen<ActorId> GenActor() {
  return rc::gen::element<ActorId>(1, 2, 3, 0x8000000000000000ull, kMax);
}

rc::Gen<uint64_t> GenAmount() {
  return rc::gen::weightedOneOf<uint64_t>({{8, rc::gen::inRange<uint64_t>(0, 100)},
                                           {1, rc::gen::arbitrary<uint64_t>()},
                                           {1, rc::gen::just(kMax)}});
}

enum class OpKind { kIncrement, kDecrement, kReset };

struct Op {
  OpKind kind;
  ActorId actor;
  uint64_t n;
};

rc::Gen<Op> GenOp() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::weightedElement<OpKind>(
                                  {{4, OpKind::kIncrement}, {4, OpKind::kDecrement}, {1, OpKind::kReset}})),
      rc::gen::set(&Op::actor, GenActor()), rc::gen::set(&Op::n, GenAmount()));
}

PnCounter Apply(PnCounter& c, const Op& op) {
  switch (op.kind) {
    case OpKind::kIncrement: return c.Increment(op.actor, op.n);
    case OpKind::kDecrement: return c.Decrement(op.actor, op.n);
    case OpKind::kReset: return c.Reset();
  }
  return {};
}

// live(side) of the model: per actor side - reset, at least 0, in 128 bits.
__int128 ExactLive(const GCounter& side, const GCounter& reset) {
  __int128 sum = 0;
  for (const GCounter::SlotEntry& s : side) {
    uint64_t r = reset.Slot(s.actor);
    if (s.count > r) sum += s.count - r;
  }
  return std::min<__int128>(sum, kMax);  // the live sums saturate like G-Counters
}

rc::Gen<PnCounter> GenCounter() {
  return rc::gen::exec([] {
    auto ops = *rc::gen::container<std::vector<Op>>(GenOp());
    PnCounter c;
    for (const Op& op : ops) Apply(c, op);
    return c;
  });
}

using lattice_laws::Joined;

RC_GTEST_PROP(PnCounterLaws, JoinIsASemilattice, ()) {
  lattice_laws::CheckLatticeLaws(*GenCounter(), *GenCounter(), *GenCounter());
}

RC_GTEST_PROP(PnCounterLaws, JoinReturnsWhetherValueOrExistenceChanged, ()) {
  PnCounter a = *GenCounter(), b = *GenCounter();
  int64_t before = a.Value();
  bool had_live = a.HasLive();
  bool changed = a.Join(b);  // separate statement: == does not sequence its operands
  RC_ASSERT(changed == (a.Value() != before || a.HasLive() != had_live));
}

// The cached live sums always equal a recount from the four sides.
RC_GTEST_PROP(PnCounterLaws, LiveSumsMatchTheModel, ()) {
  PnCounter c = *GenCounter();
  c.Join(*GenCounter());
  __int128 p = ExactLive(c.increments(), c.reset_increments());
  __int128 n = ExactLive(c.decrements(), c.reset_decrements());
  RC_ASSERT(c.HasLive() == (p != 0 || n != 0));
  RC_ASSERT(static_cast<__int128>(c.Value()) == std::clamp<__int128>(p - n, kInt64Min, kInt64Max));
}

// A reset cancels exactly what it observed, wherever it is joined, and is
// idempotent across replicas: concurrent resets of the same state read 0.
RC_GTEST_PROP(PnCounterLaws, ResetCancelsOnlyWhatItObserved, ()) {
  PnCounter seen = *GenCounter();
  PnCounter a = seen, b = seen;
  PnCounter ra = a.Reset(), rb = b.Reset();
  RC_ASSERT(a.Value() == 0);
  RC_ASSERT(!a.HasLive());
  Op later = *GenOp();
  RC_PRE(later.kind != OpKind::kReset);
  PnCounter unseen = Apply(b, later);
  const int64_t expect = b.Value();  // the unobserved write alone
  a.Join(rb);
  a.Join(unseen);
  b.Join(ra);
  RC_ASSERT(a == b);
  RC_ASSERT(a.Value() == expect);
}

RC_GTEST_PROP(PnCounterLaws, DeltaJoinEqualsMutation, ()) {
  PnCounter state = *GenCounter();
  Op op = *GenOp();
  PnCounter before = state;
  PnCounter delta = Apply(state, op);
  if (op.kind != OpKind::kReset) RC_ASSERT(delta.increments().size() + delta.decrements().size() <= 1);
  RC_ASSERT(Joined(before, delta).Encode() == state.Encode());
  RC_ASSERT(Joined(before, delta) == state);  // cached sums too
}

// Value() is exact while it fits: compare against 128-bit arithmetic.
RC_GTEST_PROP(PnCounterLaws, ValueIsClampedDifference, ()) {
  PnCounter c = *GenCounter();
  __int128 exact = ExactLive(c.increments(), c.reset_increments()) - ExactLive(c.decrements(), c.reset_decrements());
  __int128 clamped = std::clamp<__int128>(exact, kInt64Min, kInt64Max);
  RC_ASSERT(static_cast<__int128>(c.Value()) == clamped);
}

RC_GTEST_PROP(PnCounterCodec, RoundTripIsByteIdentical, ()) {
  PnCounter a = *GenCounter();
  std::string bytes = a.Encode();
  Result<PnCounter> decoded = PnCounter::Decode(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == a);
  RC_ASSERT(decoded->Encode() == bytes);
}

// A prefix can be a valid state (P alone); it must then be canonical, and a
// prefix that cuts a field must fail.
RC_GTEST_PROP(PnCounterCodec, TruncatedEncodingIsRejectedOrCanonical, ()) {
  PnCounter a = *GenCounter();
  std::string bytes = a.Encode();
  RC_PRE(!bytes.empty());
  size_t cut = *rc::gen::inRange<size_t>(1, bytes.size());
  std::string_view prefix = std::string_view(bytes).substr(0, cut);
  Result<PnCounter> r = PnCounter::Decode(prefix);
  if (r.ok()) {
    RC_ASSERT(r->Encode() == prefix);
    RC_ASSERT(!(*r == a));
  }
}

RC_GTEST_PROP(PnCounterCodec, GarbageIsRejectedOrCanonical, (const std::string& garbage)) {
  Result<PnCounter> r = PnCounter::Decode(garbage);
  if (r.ok()) RC_ASSERT(r->Encode() == garbage);
}

RC_GTEST_PROP(PnCounterConvergence, RandomHistoriesConverge, ()) {
  const int replicas = *rc::gen::inRange(2, 5);
  // (replica, kind: 0 deliver / 1 increment / 2 decrement / 3 reset, amount
  // or delta index)
  auto events = *rc::gen::container<std::vector<std::tuple<int, int, uint32_t>>>(
      rc::gen::tuple(rc::gen::inRange(0, replicas), rc::gen::inRange(0, 4),
                     rc::gen::inRange<uint32_t>(0, 1000)));
  bool any_reset = false;
  std::vector<PnCounter> state(replicas);
  std::vector<PnCounter> deltas;
  int64_t total = 0;
  for (auto [r, kind, arg] : events) {
    ActorId actor = static_cast<ActorId>(r + 1);
    if (kind == 0) {
      if (!deltas.empty()) state[r].Join(deltas[arg % deltas.size()]);
    } else if (kind == 1) {
      deltas.push_back(state[r].Increment(actor, arg));
      total += arg;
    } else if (kind == 2) {
      deltas.push_back(state[r].Decrement(actor, arg));
      total -= arg;
    } else {
      deltas.push_back(state[r].Reset());
      any_reset = true;
    }
  }
  for (int r = 0; r < replicas; ++r) {
    std::vector<size_t> order;
    for (size_t i = 0; i < deltas.size(); ++i) order.push_back(i);
    auto extra = *rc::gen::container<std::vector<uint32_t>>(rc::gen::arbitrary<uint32_t>());
    for (uint32_t e : extra) {
      if (!deltas.empty()) order.push_back(e % deltas.size());
    }
    auto keys = *rc::gen::container<std::vector<uint32_t>>(order.size(), rc::gen::arbitrary<uint32_t>());
    std::vector<std::pair<uint32_t, size_t>> keyed;
    for (size_t i = 0; i < order.size(); ++i) keyed.emplace_back(keys[i], order[i]);
    std::sort(keyed.begin(), keyed.end());
    for (auto [key, i] : keyed) state[r].Join(deltas[i]);
  }
  for (int r = 0; r < replicas; ++r) {
    RC_ASSERT(state[r].Encode() == state[0].Encode());
    if (!any_reset) RC_ASSERT(state[r].Value() == total);
    RC_ASSERT(state[r].Value() >= -1000 * static_cast<int64_t>(events.size()));
  }
}

TEST(PnCounterTest, GoesUpAndDown) {
  PnCounter a, b;
  b.Join(a.Increment(1, 5));
  b.Join(a.Decrement(1, 7));
  EXPECT_EQ(a.Value(), -2);
  EXPECT_EQ(b.Value(), -2);
  EXPECT_EQ(b, a);
}

TEST(PnCounterTest, ValueClampsToInt64Range) {
  PnCounter c;
  c.Increment(1, kMax);
  EXPECT_EQ(c.Value(), kInt64Max);
  c.Decrement(1, kMax);
  EXPECT_EQ(c.Value(), 0);
  // N saturates too: with both sides at UINT64_MAX the value reads 0 (the
  // documented approximation past the limits), on every replica alike.
  c.Decrement(2, kMax);
  EXPECT_EQ(c.Value(), 0);
  PnCounter d;
  d.Decrement(1, static_cast<uint64_t>(kInt64Max) + 1);
  EXPECT_EQ(d.Value(), kInt64Min);
  d.Decrement(1, 1);
  EXPECT_EQ(d.Value(), kInt64Min);
}

TEST(PnCounterTest, CancellingJoinReportsNoChange) {
  PnCounter a, b;
  a.Increment(3, 1);
  b.Increment(1, 3);
  b.Decrement(2, 3);
  EXPECT_FALSE(a.Join(b));  // value stays 1
  EXPECT_EQ(a.Value(), 1);
  PnCounter c;
  EXPECT_TRUE(c.Join(b));  // reads 0, but the key now exists (Redis shows "0")
  EXPECT_TRUE(c.HasLive());
}

// The issue's case: INCRBY 5 seen everywhere, then DEL in two regions at once.
TEST(PnCounterTest, ConcurrentDeletesOfTheSameObservedValueReadZero) {
  PnCounter east, west;
  west.Join(east.Increment(1, 5));
  PnCounter del_east = east.Reset(), del_west = west.Reset();
  PnCounter concurrent = west.Increment(2, 2);  // not seen by east's delete
  east.Join(del_west);
  east.Join(concurrent);
  west.Join(del_east);
  EXPECT_EQ(east, west);
  EXPECT_EQ(east.Value(), 2);
  EXPECT_TRUE(east.HasLive());
  // A reset that arrives before the increments it saw still cancels them.
  PnCounter late;
  late.Join(del_east);
  EXPECT_FALSE(late.HasLive());
  late.Join(east);
  EXPECT_EQ(late.Value(), 2);
}

TEST(PnCounterCodecTest, OldEncodingWithoutResetsDecodes) {
  pb::PnCounter m;
  m.mutable_p()->add_actors(1);
  m.mutable_p()->add_counts(4);
  Result<PnCounter> r = PnCounter::Decode(m.SerializeAsString());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->Value(), 4);
}

TEST(PnCounterCodecTest, RejectsPresentEmptySide) {
  pb::PnCounter m;
  m.mutable_p();  // present but empty: not canonical
  std::string bytes = m.SerializeAsString();
  ASSERT_FALSE(bytes.empty());
  Result<PnCounter> r = PnCounter::Decode(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(PnCounterCodecTest, RejectsNonCanonicalSide) {
  pb::PnCounter m;
  m.mutable_n()->add_actors(2);
  m.mutable_n()->add_counts(1);
  m.mutable_n()->add_actors(1);
  m.mutable_n()->add_counts(1);
  EXPECT_FALSE(PnCounter::Decode(m.SerializeAsString()).ok());
}

TEST(PnCounterTest, JsonShowsBothSides) {
  PnCounter c;
  c.Increment(1, 2);
  c.Decrement(1, 1);
  EXPECT_EQ(c.ToJson(), R"({"p":{"actors":["1"],"counts":["2"]},"n":{"actors":["1"],"counts":["1"]}})");
}

}  // namespace
}  // namespace regionsync

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

struct Op {
  bool increment;
  ActorId actor;
  uint64_t n;
};

rc::Gen<Op> GenOp() {
  return rc::gen::build<Op>(rc::gen::set(&Op::increment), rc::gen::set(&Op::actor, GenActor()),
                            rc::gen::set(&Op::n, GenAmount()));
}

PnCounter Apply(PnCounter& c, const Op& op) {
  return op.increment ? c.Increment(op.actor, op.n) : c.Decrement(op.actor, op.n);
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

RC_GTEST_PROP(PnCounterLaws, JoinReturnsWhetherValueChanged, ()) {
  PnCounter a = *GenCounter(), b = *GenCounter();
  int64_t before = a.Value();
  bool changed = a.Join(b);  // separate statement: == does not sequence its operands
  RC_ASSERT(changed == (a.Value() != before));
}

RC_GTEST_PROP(PnCounterLaws, DeltaJoinEqualsMutation, ()) {
  PnCounter state = *GenCounter();
  Op op = *GenOp();
  PnCounter before = state;
  PnCounter delta = Apply(state, op);
  RC_ASSERT(delta.increments().size() + delta.decrements().size() <= 1);
  RC_ASSERT(Joined(before, delta).Encode() == state.Encode());
}

// Value() is exact while it fits: compare against 128-bit arithmetic.
RC_GTEST_PROP(PnCounterLaws, ValueIsClampedDifference, ()) {
  PnCounter c = *GenCounter();
  __int128 exact = static_cast<__int128>(c.increments().Value()) -
                   static_cast<__int128>(c.decrements().Value());
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
  // (replica, kind: 0 deliver / 1 increment / 2 decrement, amount or delta index)
  auto events = *rc::gen::container<std::vector<std::tuple<int, int, uint32_t>>>(
      rc::gen::tuple(rc::gen::inRange(0, replicas), rc::gen::inRange(0, 3),
                     rc::gen::inRange<uint32_t>(0, 1000)));
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
    } else {
      deltas.push_back(state[r].Decrement(actor, arg));
      total -= arg;
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
    RC_ASSERT(state[r].Value() == total);
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
  b.Increment(1, 3);
  b.Decrement(2, 3);
  EXPECT_FALSE(a.Join(b));  // value stays 0
  EXPECT_EQ(a, b);          // but the state moved
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

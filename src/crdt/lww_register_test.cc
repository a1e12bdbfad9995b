#include "regionsync/crdt/lww_register.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "crdt/lattice_laws.h"
#include "regionsync/proto/lww_register.pb.h"

namespace regionsync {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

rc::Gen<ActorId> GenActor() { return rc::gen::element<ActorId>(1, 2, 0x8000000000000000ull, kMax); }

// Few distinct timestamps, so ties (and the writer/value tie-breaks) are common.
// REQUIRES for with_ceiling == false: no timestamp reaches kMax.
rc::Gen<HlcTimestamp> GenTimestamp(bool with_ceiling = true) {
  auto below = rc::gen::weightedOneOf<HlcTimestamp>(
      {{3, rc::gen::inRange<HlcTimestamp>(0, 4)}, {1, rc::gen::inRange<HlcTimestamp>(0, kMax / 2)}});
  if (!with_ceiling) return below;
  return rc::gen::weightedOneOf<HlcTimestamp>({{8, below}, {1, rc::gen::just(kMax)}});
}

rc::Gen<std::string> GenValue() {
  return rc::gen::weightedOneOf<std::string>(
      {{4, rc::gen::element<std::string>("", "a", "b", std::string("\xff", 1))},
       {1, rc::gen::arbitrary<std::string>()}});
}

struct Op {
  bool at;     // AssignAt (client timestamp) instead of Assign
  bool clear;  // Clear (a delete) instead of either
  ActorId actor;
  HlcTimestamp ts;
  std::string value;
};

rc::Gen<Op> GenOp(bool with_ceiling = true) {
  return rc::gen::build<Op>(rc::gen::set(&Op::at),
                            rc::gen::set(&Op::clear, rc::gen::weightedOneOf<bool>(
                                                         {{4, rc::gen::just(false)}, {1, rc::gen::just(true)}})),
                            rc::gen::set(&Op::actor, GenActor()),
                            rc::gen::set(&Op::ts, GenTimestamp(with_ceiling)),
                            rc::gen::set(&Op::value, GenValue()));
}

LwwRegister Apply(LwwRegister& r, const Op& op) {
  if (op.clear) return r.Clear(op.actor, op.ts);
  return op.at ? r.AssignAt(op.actor, op.ts, op.value) : r.Assign(op.actor, op.ts, op.value);
}

// Timestamps stay below kMax / 2 + ops when !with_ceiling.
rc::Gen<LwwRegister> GenRegister(bool with_ceiling = true) {
  return rc::gen::exec([with_ceiling] {
    auto ops = *rc::gen::container<std::vector<Op>>(GenOp(with_ceiling));
    LwwRegister r;
    for (const Op& op : ops) Apply(r, op);
    return r;
  });
}

using lattice_laws::Joined;

RC_GTEST_PROP(LwwRegisterLaws, JoinIsASemilattice, ()) {
  lattice_laws::CheckLatticeLaws(*GenRegister(), *GenRegister(), *GenRegister());
}

RC_GTEST_PROP(LwwRegisterLaws, JoinReturnsWhetherValueChanged, ()) {
  LwwRegister a = *GenRegister(), b = *GenRegister();
  std::optional<std::string> before = a.Value();
  bool changed = a.Join(b);  // separate statement: == does not sequence its operands
  RC_ASSERT(changed == (a.Value() != before));
}

RC_GTEST_PROP(LwwRegisterLaws, DeltaJoinEqualsMutation, ()) {
  LwwRegister state = *GenRegister();
  Op op = *GenOp();
  LwwRegister before = state;
  LwwRegister delta = Apply(state, op);
  RC_ASSERT(Joined(before, delta).Encode() == state.Encode());
  RC_ASSERT(delta.writer() == op.actor);
  RC_ASSERT(delta.Value() == (op.clear ? std::nullopt : std::optional<std::string>(op.value)));
}

// Assign after seeing a state always wins over that state (short of the
// timestamp ceiling, where no later time exists).
RC_GTEST_PROP(LwwRegisterLaws, AssignBeatsWhatItSaw, ()) {
  LwwRegister seen = *GenRegister(/*with_ceiling=*/false);
  LwwRegister mine = seen;
  Op op = *GenOp();
  LwwRegister delta = mine.Assign(op.actor, op.ts, op.value);
  RC_ASSERT(delta.timestamp() > seen.timestamp());
  LwwRegister there = seen;
  there.Join(delta);
  RC_ASSERT(there.Value() == std::optional<std::string>(op.value));
  RC_ASSERT(mine.Value() == std::optional<std::string>(op.value));
}

RC_GTEST_PROP(LwwRegisterCodec, RoundTripIsByteIdentical, ()) {
  LwwRegister a = *GenRegister();
  std::string bytes = a.Encode();
  Result<LwwRegister> decoded = LwwRegister::Decode(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == a);
  RC_ASSERT(decoded->Encode() == bytes);
}

// A cut inside a field is rejected. A cut just before the value field leaves
// a valid delete: never the original state, and canonical.
RC_GTEST_PROP(LwwRegisterCodec, TruncatedEncodingIsRejectedOrADelete, ()) {
  LwwRegister a = *GenRegister();
  std::string bytes = a.Encode();
  RC_PRE(!bytes.empty());
  size_t cut = *rc::gen::inRange<size_t>(1, bytes.size());
  std::string_view prefix = std::string_view(bytes).substr(0, cut);
  Result<LwwRegister> r = LwwRegister::Decode(prefix);
  if (r.ok()) {
    RC_ASSERT(!r->Value().has_value());
    RC_ASSERT(a.Value().has_value());
    RC_ASSERT(r->Encode() == prefix);
  }
}

RC_GTEST_PROP(LwwRegisterCodec, GarbageIsRejectedOrCanonical, (const std::string& garbage)) {
  Result<LwwRegister> r = LwwRegister::Decode(garbage);
  if (r.ok()) RC_ASSERT(r->Encode() == garbage);
}

// Replicas write with Assign (their own clocks, some skewed) and AssignAt,
// receive deltas mid-history, then everything in a random order with
// duplicates. All end byte-identical, holding the greatest write.
RC_GTEST_PROP(LwwRegisterConvergence, RandomHistoriesConverge, ()) {
  const int replicas = *rc::gen::inRange(2, 5);
  auto events = *rc::gen::container<std::vector<std::tuple<int, int, uint32_t>>>(
      rc::gen::tuple(rc::gen::inRange(0, replicas), rc::gen::inRange(0, 3),
                     rc::gen::inRange<uint32_t>(0, 1000)));
  std::vector<LwwRegister> state(replicas);
  std::vector<LwwRegister> deltas;
  for (auto [r, kind, arg] : events) {
    ActorId actor = static_cast<ActorId>(r + 1);
    std::string value = "v" + std::to_string(deltas.size());
    if (kind == 0) {
      if (!deltas.empty()) state[r].Join(deltas[arg % deltas.size()]);
    } else if (kind == 1) {
      deltas.push_back(state[r].Assign(actor, HlcFromMillis(arg / 10), value));
    } else {
      deltas.push_back(state[r].AssignAt(actor, HlcFromMillis(arg / 10), value));
    }
  }
  LwwRegister greatest;
  for (const LwwRegister& d : deltas) {
    if (std::make_tuple(d.timestamp(), d.writer(), d.Value()) >
        std::make_tuple(greatest.timestamp(), greatest.writer(), greatest.Value())) {
      greatest = d;
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
    RC_ASSERT(state[r] == greatest);
  }
}

TEST(LwwRegisterTest, NeverWritten) {
  LwwRegister r;
  EXPECT_FALSE(r.Value().has_value());
  EXPECT_EQ(r.timestamp(), 0u);
  EXPECT_EQ(r.writer(), 0u);
  EXPECT_EQ(r.Encode(), "");
  EXPECT_EQ(r.ToJson(), "{}");
}

TEST(LwwRegisterTest, EmptyValueIsAWrite) {
  LwwRegister a, b;
  EXPECT_TRUE(b.Join(a.AssignAt(1, 0, "")));
  ASSERT_TRUE(b.Value().has_value());
  EXPECT_EQ(*b.Value(), "");
  Result<LwwRegister> decoded = LwwRegister::Decode(b.Encode());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, b);
}

TEST(LwwRegisterTest, AssignAtInThePastLosesLocallyButIsReturned) {
  LwwRegister r;
  r.AssignAt(1, 100, "new");
  LwwRegister delta = r.AssignAt(2, 50, "old");
  EXPECT_EQ(*r.Value(), "new");
  EXPECT_EQ(*delta.Value(), "old");
  EXPECT_EQ(delta.timestamp(), 50u);
}

TEST(LwwRegisterTest, TieOnTimestampAndWriterGoesToGreaterValue) {
  LwwRegister a, b;
  a.AssignAt(1, 10, "apple");
  b.AssignAt(1, 10, "banana");
  EXPECT_EQ(*Joined(a, b).Value(), "banana");
  EXPECT_EQ(*Joined(b, a).Value(), "banana");
}

TEST(LwwRegisterTest, NewerWriteOfSameValueIsNoChange) {
  LwwRegister a, b;
  a.AssignAt(1, 10, "x");
  b.AssignAt(2, 20, "x");
  EXPECT_FALSE(a.Join(b));
  EXPECT_EQ(a.timestamp(), 20u);  // the state still moved
  EXPECT_EQ(a.writer(), 2u);
}

TEST(LwwRegisterTest, AssignAtTheTimestampCeiling) {
  LwwRegister r;
  r.AssignAt(5, kMax, "top");
  LwwRegister delta = r.Assign(9, 0, "later");
  EXPECT_EQ(delta.timestamp(), kMax);  // no later time exists; the writer tie-break decides
  EXPECT_EQ(*r.Value(), "later");
}

TEST(LwwRegisterTest, ClearRacesAssignByLastWriterWins) {
  LwwRegister a, b;
  b.Join(a.Assign(1, 10, "x"));
  LwwRegister del = a.Clear(1, 20);  // a deletes at 20
  LwwRegister set = b.Assign(2, 30, "y");  // b writes later
  EXPECT_FALSE(a.Value().has_value());
  a.Join(set);
  b.Join(del);
  EXPECT_EQ(a, b);
  EXPECT_EQ(*a.Value(), "y");
  LwwRegister redel = a.Clear(1, 0);  // a delete made after seeing "y" wins whatever the clock says
  EXPECT_GT(redel.timestamp(), set.timestamp());
  b.Join(redel);
  EXPECT_FALSE(b.Value().has_value());
  Result<LwwRegister> decoded = LwwRegister::Decode(b.Encode());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, b);
}

TEST(LwwRegisterCodecTest, RejectsNonCanonicalInput) {
  auto rejected = [](const pb::LwwRegister& m) {
    Result<LwwRegister> r = LwwRegister::Decode(m.SerializeAsString());
    return !r.ok() && r.status().code() == StatusCode::kInvalidArgument;
  };
  pb::LwwRegister m;
  m.set_timestamp(5);
  EXPECT_TRUE(rejected(m)) << "timestamp without writer";
  m.Clear();
  m.set_value("x");
  EXPECT_TRUE(rejected(m)) << "value without writer";
  m.Clear();
  m.set_writer(3);
  EXPECT_FALSE(rejected(m)) << "a delete (writer without value)";
  m.set_value("x");
  EXPECT_FALSE(rejected(m)) << "a proper write";
  std::string good = m.SerializeAsString();
  EXPECT_FALSE(LwwRegister::Decode(good + std::string("\x20\x01", 2)).ok()) << "unknown field";
  EXPECT_FALSE(LwwRegister::Decode(good + good).ok()) << "fields repeated";
  // value before writer: the same message in another field order.
  std::string swapped = good.substr(9) + good.substr(0, 9);
  EXPECT_FALSE(LwwRegister::Decode(swapped).ok()) << "field order";
}

}  // namespace
}  // namespace regionsync

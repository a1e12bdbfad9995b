#include "regionsync/crdt/g_counter.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "crdt/lattice_laws.h"
#include "regionsync/proto/counters.pb.h"

namespace regionsync {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// A small pool, so random states share actors; includes the extremes of the
// ActorId range to catch signed/unsigned ordering mistakes.
rc::Gen<ActorId> GenActor() {
  return rc::gen::element<ActorId>(1, 2, 3, 0x8000000000000000ull, kMax);
}

// Mostly small amounts, sometimes huge ones that push slots to saturation.
rc::Gen<uint64_t> GenAmount() {
  return rc::gen::weightedOneOf<uint64_t>({{8, rc::gen::inRange<uint64_t>(0, 100)},
                                           {1, rc::gen::arbitrary<uint64_t>()},
                                           {1, rc::gen::just(kMax)}});
}

rc::Gen<GCounter> GenCounter() {
  return rc::gen::exec([] {
    auto ops = *rc::gen::container<std::vector<std::pair<ActorId, uint64_t>>>(
        rc::gen::pair(GenActor(), GenAmount()));
    GCounter c;
    for (auto [actor, n] : ops) c.Increment(actor, n);
    return c;
  });
}

using lattice_laws::Joined;

uint64_t SaturatingSum(const GCounter& c) {
  uint64_t sum = 0;
  for (const GCounter::SlotEntry& s : c) sum = s.count > kMax - sum ? kMax : sum + s.count;
  return sum;
}

RC_GTEST_PROP(GCounterLaws, JoinIsASemilattice, ()) {
  lattice_laws::CheckLatticeLaws(*GenCounter(), *GenCounter(), *GenCounter());
}

RC_GTEST_PROP(GCounterLaws, SelfJoinThroughTheSameObjectChangesNothing, ()) {
  GCounter a = *GenCounter();
  GCounter copy = a;
  RC_ASSERT(!copy.Join(copy));
  RC_ASSERT(copy == a);
}

RC_GTEST_PROP(GCounterLaws, JoinReturnsWhetherValueChanged, ()) {
  GCounter a = *GenCounter(), b = *GenCounter();
  uint64_t before = a.Value();
  bool changed = a.Join(b);
  RC_ASSERT(changed == (a.Value() != before));
  RC_ASSERT(a.Value() == SaturatingSum(a));
  for (const GCounter::SlotEntry& s : b) RC_ASSERT(a.Slot(s.actor) >= s.count);
}

RC_GTEST_PROP(GCounterLaws, DeltaJoinEqualsMutation, ()) {
  GCounter state = *GenCounter();
  ActorId actor = *GenActor();
  uint64_t n = *GenAmount();
  GCounter before = state;
  GCounter delta = state.Increment(actor, n);
  RC_ASSERT(delta.size() <= 1);
  RC_ASSERT(Joined(before, delta).Encode() == state.Encode());
  uint64_t expected_slot = n > kMax - before.Slot(actor) ? kMax : before.Slot(actor) + n;
  RC_ASSERT(state.Slot(actor) == expected_slot);
  RC_ASSERT(state.Value() == SaturatingSum(state));
}

RC_GTEST_PROP(GCounterCodec, RoundTripIsByteIdentical, ()) {
  GCounter a = *GenCounter();
  std::string bytes = a.Encode();
  Result<GCounter> decoded = GCounter::Decode(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == a);
  RC_ASSERT(decoded->Value() == a.Value());
  RC_ASSERT(decoded->Encode() == bytes);
}

RC_GTEST_PROP(GCounterCodec, TruncatedEncodingIsRejected, ()) {
  GCounter a = *GenCounter();
  RC_PRE(!a.empty());
  std::string bytes = a.Encode();
  size_t cut = *rc::gen::inRange<size_t>(1, bytes.size());
  RC_ASSERT(!GCounter::Decode(std::string_view(bytes).substr(0, cut)).ok());
}

RC_GTEST_PROP(GCounterCodec, GarbageIsRejectedOrCanonical, (const std::string& garbage)) {
  Result<GCounter> r = GCounter::Decode(garbage);
  if (r.ok()) RC_ASSERT(r->Encode() == garbage);
}

// Several replicas each increment their own slot; deltas travel in random
// order with duplicates, some mid-history. Everyone ends byte-identical and
// reads the total of all increments.
RC_GTEST_PROP(GCounterConvergence, RandomHistoriesConverge, ()) {
  const int replicas = *rc::gen::inRange(2, 5);
  // (replica, deliver?, amount or delta index)
  auto events = *rc::gen::container<std::vector<std::tuple<int, bool, uint32_t>>>(
      rc::gen::tuple(rc::gen::inRange(0, replicas), rc::gen::arbitrary<bool>(),
                     rc::gen::inRange<uint32_t>(0, 1000)));
  std::vector<GCounter> state(replicas);
  std::vector<GCounter> deltas;
  uint64_t total = 0;
  for (auto [r, deliver, arg] : events) {
    if (deliver) {
      if (!deltas.empty()) state[r].Join(deltas[arg % deltas.size()]);
    } else {
      deltas.push_back(state[r].Increment(static_cast<ActorId>(r + 1), arg));
      total += arg;
    }
  }
  for (int r = 0; r < replicas; ++r) {
    // Every delta at least once, some twice, in a random order.
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

TEST(GCounterTest, EmptyCounter) {
  GCounter c;
  EXPECT_EQ(c.Value(), 0u);
  EXPECT_EQ(c.Slot(7), 0u);
  EXPECT_EQ(c.Encode(), "");
  EXPECT_TRUE(GCounter::Decode("").ok());
  EXPECT_EQ(c.ToJson(), "{}");
}

TEST(GCounterTest, IncrementReturnsOnlyTheActorsSlot) {
  GCounter c;
  c.Increment(5, 2);
  c.Increment(9, 4);
  GCounter delta = c.Increment(5, 3);
  EXPECT_EQ(delta.size(), 1u);
  EXPECT_EQ(delta.Slot(5), 5u);
  EXPECT_EQ(delta.Slot(9), 0u);
  EXPECT_EQ(c.Value(), 9u);
  // Incrementing a fresh slot by 0 creates nothing: zero slots are omitted.
  EXPECT_TRUE(c.Increment(11, 0).empty());
  EXPECT_EQ(c.size(), 2u);
}

TEST(GCounterTest, SlotsAreSortedWhateverTheInsertOrder) {
  GCounter a, b;
  for (ActorId x : {30, 10, 20, 40}) a.Increment(x, x);
  for (ActorId x : {40, 20, 10, 30}) b.Increment(x, x);
  EXPECT_EQ(a.Encode(), b.Encode());
  std::vector<ActorId> actors;
  for (const GCounter::SlotEntry& s : a) actors.push_back(s.actor);
  EXPECT_EQ(actors, (std::vector<ActorId>{10, 20, 30, 40}));
}

TEST(GCounterTest, ValueSaturates) {
  GCounter c;
  c.Increment(1, kMax - 1);
  EXPECT_EQ(c.Increment(1, 5).Slot(1), kMax);  // slot saturates
  c.Increment(2, 10);
  EXPECT_EQ(c.Value(), kMax);  // sum saturates
  GCounter d;
  d.Increment(3, 1);
  EXPECT_FALSE(c.Join(d));  // slot 3 is new but Value() cannot move
  EXPECT_EQ(c.Slot(3), 1u);
}

TEST(GCounterTest, MovedFromCounterIsEmpty) {
  GCounter a;
  a.Increment(1, 1);
  a.Increment(2, 2);
  GCounter b = std::move(a);
  EXPECT_EQ(b.Value(), 3u);
  EXPECT_EQ(a.Value(), 0u);  // NOLINT(bugprone-use-after-move): documented state
  EXPECT_TRUE(a.empty());
}

TEST(GCounterTest, JsonNamesTheSlots) {
  GCounter c;
  c.Increment(1, 7);
  EXPECT_EQ(c.ToJson(), R"({"actors":["1"],"counts":["7"]})");
}

std::string Serialize(const pb::GCounter& m) { return m.SerializeAsString(); }

TEST(GCounterCodecTest, RejectsNonCanonicalInput) {
  pb::GCounter m;
  auto expect_rejected = [](const std::string& bytes, const char* what) {
    Result<GCounter> r = GCounter::Decode(bytes);
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << what;
  };
  m.add_actors(2); m.add_counts(1); m.add_actors(1); m.add_counts(1);
  expect_rejected(Serialize(m), "unsorted");
  m.Clear(); m.add_actors(1); m.add_counts(1); m.add_actors(1); m.add_counts(2);
  expect_rejected(Serialize(m), "duplicate");
  m.Clear(); m.add_actors(0); m.add_counts(1);
  expect_rejected(Serialize(m), "zero actor");
  m.Clear(); m.add_actors(1); m.add_counts(0);
  expect_rejected(Serialize(m), "zero slot");
  m.Clear(); m.add_actors(1);
  expect_rejected(Serialize(m), "missing count");
  m.Clear(); m.add_actors(1); m.add_counts(1);
  std::string good = Serialize(m);
  ASSERT_TRUE(GCounter::Decode(good).ok());
  expect_rejected(good + std::string("\x18\x01", 2), "unknown field");
  expect_rejected(good + good, "field repeated (a valid protobuf merge)");
  // counts unpacked: tag 2 as varint instead of a packed run.
  std::string unpacked = good.substr(0, 10) + std::string("\x10\x01", 2);
  expect_rejected(unpacked, "unpacked repeated field");
  // Over-long varint for the count (0x81 0x00 == 1).
  std::string long_varint = good.substr(0, 10) + std::string("\x12\x02\x81\x00", 4);
  expect_rejected(long_varint, "over-long varint");
  expect_rejected(std::string("\x0a\xff\xff\xff\xff\x0f", 6), "length beyond input");
}

}  // namespace
}  // namespace regionsync

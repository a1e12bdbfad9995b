#include "regionsync/crdt/redis_string.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "crdt/lattice_laws.h"
#include "regionsync/proto/redis_string.pb.h"

namespace regionsync {
namespace {

using lattice_laws::Joined;

enum class Kind { kSet, kIncrement, kDelete };

struct Op {
  Kind kind;
  ActorId actor;
  uint64_t millis;
  int64_t by;
  std::string value;
};

rc::Gen<Op> GenOp() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::weightedElement<Kind>({{3, Kind::kSet}, {4, Kind::kIncrement}, {2, Kind::kDelete}})),
      rc::gen::set(&Op::actor, rc::gen::element<ActorId>(1, 2, 3)),
      rc::gen::set(&Op::millis, rc::gen::inRange<uint64_t>(0, 50)),
      rc::gen::set(&Op::by, rc::gen::weightedOneOf<int64_t>({{8, rc::gen::inRange<int64_t>(-20, 20)},
                                                             {1, rc::gen::arbitrary<int64_t>()}})),
      rc::gen::set(&Op::value, rc::gen::element<std::string>("10", "-3", "0", "hello", "", "007", "x")));
}

RedisString Apply(RedisString& s, const Op& op) {
  switch (op.kind) {
    case Kind::kSet: return s.Set(op.actor, HlcFromMillis(op.millis), op.value);
    case Kind::kIncrement: return s.Increment(op.actor, op.by);
    case Kind::kDelete: return s.Delete();
  }
  return {};
}

rc::Gen<RedisString> GenString() {
  return rc::gen::exec([] {
    RedisString s;
    for (const Op& op : *rc::gen::container<std::vector<Op>>(GenOp())) Apply(s, op);
    return s;
  });
}

RC_GTEST_PROP(RedisStringLaws, JoinIsASemilattice, ()) {
  lattice_laws::CheckLatticeLaws(*GenString(), *GenString(), *GenString());
}

RC_GTEST_PROP(RedisStringLaws, JoinReturnsWhetherValueChanged, ()) {
  RedisString a = *GenString(), b = *GenString();
  std::optional<std::string> before = a.Value();
  bool changed = a.Join(b);
  RC_ASSERT(changed == (a.Value() != before));
}

RC_GTEST_PROP(RedisStringLaws, DeltaJoinEqualsMutation, ()) {
  RedisString state = *GenString();
  RedisString before = state;
  RedisString delta = Apply(state, *GenOp());
  RC_ASSERT(Joined(before, delta) == state);
  RC_ASSERT(Joined(before, delta).Encode() == state.Encode());
}

// What each mutation reads locally, as on a single Redis.
RC_GTEST_PROP(RedisStringLaws, LocalWritesReadAsOnRedis, ()) {
  RedisString s = *GenString();
  Op op = *GenOp();
  std::optional<int64_t> before = s.IntegerValue();
  bool existed = s.HasValue();
  // The Replica refuses an increment that would saturate the actor's
  // running total (kLifetimeTotalError); only big generated `by`s reach it.
  bool can_add = s.counter().CanAdd(op.actor, op.by);
  Apply(s, op);
  switch (op.kind) {
    case Kind::kSet: RC_ASSERT(s.Value() == op.value); break;
    case Kind::kDelete: RC_ASSERT(!s.Value()); RC_ASSERT(!s.HasValue()); break;
    case Kind::kIncrement:
      // INCRBY k 0 on a missing key: the Replica writes "0" as a SET.
      if (before && can_add && (existed || op.by != 0)) {
        __int128 want = static_cast<__int128>(*before) + op.by;
        if (want >= std::numeric_limits<int64_t>::min() && want <= std::numeric_limits<int64_t>::max()) {
          RC_ASSERT(s.Value() == std::to_string(static_cast<int64_t>(want)));
        }
      }
      break;
  }
}

RC_GTEST_PROP(RedisStringCodec, RoundTripIsByteIdentical, ()) {
  RedisString a = *GenString();
  std::string bytes = a.Encode();
  Result<RedisString> decoded = RedisString::Decode(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == a);
  RC_ASSERT(decoded->Encode() == bytes);
}

RC_GTEST_PROP(RedisStringCodec, GarbageIsRejectedOrCanonical, (const std::string& garbage)) {
  Result<RedisString> r = RedisString::Decode(garbage);
  if (r.ok()) RC_ASSERT(r->Encode() == garbage);
}

RC_GTEST_PROP(RedisStringConvergence, AnyDeliveryOrderConverges, ()) {
  const int replicas = 3;
  std::vector<RedisString> state(replicas);
  std::vector<RedisString> deltas;
  auto events = *rc::gen::container<std::vector<std::pair<int, Op>>>(
      rc::gen::pair(rc::gen::inRange(0, replicas), GenOp()));
  for (auto& [r, op] : events) {
    if (!deltas.empty() && op.millis % 3 == 0) state[r].Join(deltas[op.millis % deltas.size()]);
    op.actor = static_cast<ActorId>(r + 1);
    deltas.push_back(Apply(state[r], op));
  }
  for (int r = 0; r < replicas; ++r) {
    // Random order with duplicates: sort the indexes by random keys.
    std::vector<std::pair<uint32_t, size_t>> order;
    for (size_t i = 0; i < deltas.size(); ++i) {
      order.emplace_back(*rc::gen::arbitrary<uint32_t>(), i);
      if (i % 4 == 0) order.emplace_back(*rc::gen::arbitrary<uint32_t>(), i);
    }
    std::sort(order.begin(), order.end());
    for (auto [key, i] : order) state[r].Join(deltas[i]);
  }
  for (int r = 1; r < replicas; ++r) RC_ASSERT(state[r].Encode() == state[0].Encode());
}

// Each other encoding of a valid state is refused: the codec compares the
// parsed message's own encoding with the input, not the state's.
TEST(RedisStringCodecTest, RejectsNonCanonicalInput) {
  RedisString s;
  s.Set(1, HlcFromMillis(1), "10");
  s.Increment(2, 5);
  const std::string good = s.Encode();
  ASSERT_TRUE(RedisString::Decode(good).ok());
  pb::RedisString m;
  ASSERT_TRUE(m.ParseFromString(good));
  ASSERT_FALSE(m.base().empty());
  ASSERT_FALSE(m.counter().empty());
  EXPECT_FALSE(RedisString::Decode(good + std::string("\x28\x01", 2)).ok()) << "unknown field";
  EXPECT_FALSE(RedisString::Decode(good + good).ok()) << "fields repeated";
  // counter before base: the same message in another field order.
  const size_t base_len = 2 + m.base().size();  // tag, one-byte length, bytes
  ASSERT_LT(m.base().size(), 128u);
  EXPECT_FALSE(RedisString::Decode(good.substr(base_len) + good.substr(0, base_len)).ok()) << "field order";
  // A zero hidden version written out, an empty counter written out.
  EXPECT_FALSE(RedisString::Decode(good + std::string("\x11\0\0\0\0\0\0\0\0", 9)).ok()) << "zero field present";
  EXPECT_FALSE(RedisString::Decode(good + std::string("\x22\x00", 2)).ok()) << "empty counter present";
}

TEST(RedisStringTest, SetThenIncrementReadsTheSum) {
  RedisString s;
  s.Set(1, HlcFromMillis(1), "10");
  s.Increment(1, 1);
  EXPECT_EQ(s.Value(), "11");
  EXPECT_EQ(s.IntegerValue(), 11);
}

// The counter part may leave int64 while base + counter does not: the read
// must not clamp the counter first (found by resp_diff_test, seed 7014: a
// DECR answered -3 and the key then read -2).
TEST(RedisStringTest, ACounterPastInt64UnderAnIntegerBaseReadsExactly) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  RedisString s;
  s.Set(1, HlcFromMillis(1), std::to_string(kMax - 1));
  s.Increment(1, -kMax);
  EXPECT_EQ(s.IntegerValue(), -1);
  s.Increment(1, -1);
  EXPECT_EQ(s.IntegerValue(), -2);  // counter exactly INT64_MIN
  s.Increment(1, -1);
  EXPECT_EQ(s.IntegerValue(), -3);  // counter -2^63 - 1
  EXPECT_EQ(s.Value(), "-3");
  RedisString copy;
  copy.Join(s);
  EXPECT_EQ(copy.Value(), "-3");
  // And the other way, past INT64_MAX under a negative base.
  RedisString t;
  t.Set(1, HlcFromMillis(1), std::to_string(-kMax));
  t.Increment(1, kMax);
  t.Increment(1, 2);
  EXPECT_EQ(t.IntegerValue(), 2);
}

TEST(RedisStringTest, IncrementOnTextIsNotAnInteger) {
  RedisString s;
  s.Set(1, HlcFromMillis(1), "hello");
  EXPECT_FALSE(s.IntegerValue());
  EXPECT_EQ(s.Value(), "hello");
}

// SET resets the increments it saw; concurrent increments add to the new base.
TEST(RedisStringTest, ConcurrentSetAndIncrement) {
  RedisString east, west;
  west.Join(east.Increment(1, 5));
  RedisString set = east.Set(1, HlcFromMillis(10), "100");
  RedisString inc = west.Increment(2, 3);
  east.Join(inc);
  west.Join(set);
  EXPECT_EQ(east, west);
  EXPECT_EQ(east.Value(), "103");
}

// The row: INCR t in one region, SET t hello in another.
TEST(RedisStringTest, ConcurrentIncrementAndTextSetConverge) {
  RedisString east, west;
  RedisString inc = east.Increment(1, 1);
  RedisString set = west.Set(2, HlcFromMillis(5), "hello");
  east.Join(set);
  west.Join(inc);
  EXPECT_EQ(east.Encode(), west.Encode());
  EXPECT_EQ(east.Value(), "hello");
}

TEST(RedisStringTest, ConcurrentDeletesAreIdempotentAndSparesUnseenWrites) {
  RedisString a, b, c;
  RedisString set = a.Set(1, HlcFromMillis(1), "5");
  b.Join(set);
  c.Join(set);
  RedisString da = a.Delete(), db = b.Delete();
  RedisString inc = c.Increment(3, 2);  // not seen by either delete
  for (RedisString* r : {&a, &b, &c}) {
    r->Join(da);
    r->Join(db);
    r->Join(inc);
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_EQ(a.Value(), "2");
}

TEST(RedisStringTest, SetAfterDeleteIsNotHidden) {
  RedisString a;
  a.Set(1, HlcFromMillis(100), "x");
  RedisString far_future;
  far_future.Join(a);
  far_future.Delete();
  RedisString b;
  b.Join(far_future);  // b saw the delete but not necessarily the base
  b.Set(2, HlcFromMillis(1), "y");  // a clock behind the hidden version
  EXPECT_EQ(b.Value(), "y");
}

TEST(RedisStringTest, StrictIntegers) {
  EXPECT_EQ(ParseRedisInteger("0"), 0);
  EXPECT_EQ(ParseRedisInteger("-12"), -12);
  EXPECT_EQ(ParseRedisInteger("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_FALSE(ParseRedisInteger("9223372036854775808"));
  EXPECT_FALSE(ParseRedisInteger("007"));
  EXPECT_FALSE(ParseRedisInteger("-0"));
  EXPECT_FALSE(ParseRedisInteger("+1"));
  EXPECT_FALSE(ParseRedisInteger(" 1"));
  EXPECT_FALSE(ParseRedisInteger(""));
}

TEST(RedisStringTest, FromRegisterAndCounterKeepValues) {
  LwwRegister r;
  r.Assign(1, HlcFromMillis(1), "10");
  PnCounter c;
  c.Increment(1, 4);
  EXPECT_EQ(RedisString::FromRegister(r).Value(), "10");
  EXPECT_EQ(RedisString::FromCounter(c).Value(), "4");
  RedisString both = RedisString::FromRegister(r);
  both.Join(RedisString::FromCounter(c));
  EXPECT_EQ(both.Value(), "14");
}

// Writes seed files for the fuzzer when REGIONSYNC_WRITE_SEEDS names a folder.
TEST(RedisStringTest, SeedsForTheFuzzer) {
  RedisString s;
  s.Set(1, HlcFromMillis(3), "10");
  s.Increment(2, 5);
  RedisString d = s;
  d.Delete();
  const char* dir = std::getenv("REGIONSYNC_WRITE_SEEDS");
  for (auto& [name, v] : std::vector<std::pair<std::string, RedisString>>{{"set_incr", s}, {"deleted", d}}) {
    ASSERT_TRUE(RedisString::Decode(v.Encode()).ok()) << name;
    if (dir != nullptr) std::ofstream(std::string(dir) + "/" + name, std::ios::binary) << v.Encode();
  }
}

}  // namespace
}  // namespace regionsync

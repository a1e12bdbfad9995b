// SortedSet encoding: canonical round trips, and rejection of garbage,
// truncated, non-canonical and hostile input (NaN, -0.0, unsorted or
// duplicate members, dots outside the context or under two members).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "regionsync/crdt/sorted_set.h"
#include "regionsync/proto/sorted_set.pb.h"

namespace regionsync {
namespace {

constexpr ActorId kA = 0xA1;
constexpr ActorId kB = 0xB2;

void ExpectInvalid(const std::string& bytes, const std::string& why) {
  Result<SortedSet> r = SortedSet::Decode(bytes);
  ASSERT_FALSE(r.ok()) << why;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
}

std::string Serialize(const pb::SortedSet& m) {
  std::string out;
  m.SerializeToString(&out);
  return out;
}

SortedSet Sample() {
  SortedSet a, b;
  for (int i = 0; i < 20; ++i) a.Assign(kA, "m" + std::to_string(i), 100 + i, i * 1.5);
  b.Join(a);
  a.Increment(kA, "m3", 2);
  b.Increment(kB, "m3", -1);
  b.Assign(kB, "m4", 1, std::numeric_limits<double>::infinity());
  a.Remove("m7");
  a.Increment(kA, "", 0.25);  // the empty member
  a.Join(b);
  return a;
}

// A valid two-member state to corrupt: {x: register (A,1) ts 5 score 1,
// y: counter (A,2) total 2}, context A:[1,2].
pb::SortedSet Valid() {
  SortedSet s;
  s.Assign(kA, "x", 5, 1);
  s.Increment(kA, "y", 2);
  pb::SortedSet m;
  EXPECT_TRUE(m.ParseFromString(s.Encode()));
  return m;
}

TEST(SortedSetCodecTest, RoundTripIsByteIdentical) {
  for (const SortedSet& s : {SortedSet(), Sample()}) {
    const std::string bytes = s.Encode();
    Result<SortedSet> back = SortedSet::Decode(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, s);
    EXPECT_EQ(back->Encode(), bytes);
    ASSERT_EQ(back->size(), s.size());
    for (size_t r = 0; r < s.size(); ++r) {
      EXPECT_EQ(back->At(r).member, s.At(r).member);
      EXPECT_EQ(back->At(r).score, s.At(r).score);
    }
  }
  EXPECT_TRUE(SortedSet().Encode().empty());
}

TEST(SortedSetCodecTest, EncodingIsCanonicalWhateverTheHistory) {
  SortedSet a, b;
  std::vector<SortedSet> deltas;
  for (int i = 0; i < 50; ++i) deltas.push_back(a.Assign(kA, "m" + std::to_string(i), 1, i % 3));
  // Joined in the other order: another insertion order in the hash map.
  for (auto it = deltas.rbegin(); it != deltas.rend(); ++it) b.Join(*it);
  EXPECT_EQ(a.Encode(), b.Encode());
}

TEST(SortedSetCodecTest, ValidFormDecodes) {
  pb::SortedSet m = Valid();
  EXPECT_EQ(m.counter_rows_size(), 2);
  EXPECT_EQ(m.timestamps_size(), 1);
  Result<SortedSet> r = SortedSet::Decode(Serialize(m));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Score("x"), 1.0);
  EXPECT_EQ(r->Score("y"), 2.0);
  // Only register rows: no counter_rows column at all.
  SortedSet plain;
  plain.Assign(kA, "x", 5, 1);
  pb::SortedSet p;
  ASSERT_TRUE(p.ParseFromString(plain.Encode()));
  EXPECT_EQ(p.counter_rows_size(), 0);
}

TEST(SortedSetCodecTest, RejectsGarbageAndTruncation) {
  ExpectInvalid("\xff\xff\xff", "malformed");
  const std::string bytes = Sample().Encode();
  for (size_t n = 1; n < bytes.size(); n += 7) {
    Result<SortedSet> r = SortedSet::Decode(bytes.substr(0, n));
    EXPECT_FALSE(r.ok()) << "truncated at " << n;
  }
  EXPECT_FALSE(SortedSet::Decode(bytes, bytes.size() - 1).ok()) << "over max_bytes";
}

TEST(SortedSetCodecTest, RejectsNaNAndNegativeZero) {
  pb::SortedSet m = Valid();
  m.set_values(0, std::nan(""));
  ExpectInvalid(Serialize(m), "NaN");
  m = Valid();
  m.set_values(1, -0.0);
  ExpectInvalid(Serialize(m), "negative zero");
}

TEST(SortedSetCodecTest, RejectsBadMembers) {
  pb::SortedSet m = Valid();
  m.set_members(1, "x");
  ExpectInvalid(Serialize(m), "members not strictly ascending");
  m = Valid();
  m.set_members(0, "z");
  ExpectInvalid(Serialize(m), "members not strictly ascending");
  m = Valid();
  m.set_dot_counts(0, 0);
  m.set_dot_counts(1, 2);
  ExpectInvalid(Serialize(m), "no dots");
  m = Valid();
  m.add_members("zz");
  ExpectInvalid(Serialize(m), "members and dot_counts");
  m = Valid();
  m.set_dot_counts(1, 5);
  ExpectInvalid(Serialize(m), "add up");
}

TEST(SortedSetCodecTest, RejectsBadDots) {
  pb::SortedSet m = Valid();
  m.set_counters(1, 3);  // outside A:[1,2]
  ExpectInvalid(Serialize(m), "outside the causal context");
  m = Valid();
  m.set_actor_indexes(0, 1);
  ExpectInvalid(Serialize(m), "actor index out of range");
  m = Valid();
  m.set_counters(1, 1);  // (A,1) under both members
  ExpectInvalid(Serialize(m), "two members");
  // One member's dots out of order.
  SortedSet s;
  s.Assign(kA, "x", 1, 1);
  SortedSet t;
  t.Increment(kB, "x", 1);
  s.Join(t);
  pb::SortedSet two;
  ASSERT_TRUE(two.ParseFromString(s.Encode()));
  ASSERT_EQ(two.actor_indexes_size(), 2);
  std::swap(*two.mutable_actor_indexes()->Mutable(0), *two.mutable_actor_indexes()->Mutable(1));
  std::swap(*two.mutable_counter_rows()->Mutable(0), *two.mutable_counter_rows()->Mutable(1));
  std::swap(*two.mutable_values()->Mutable(0), *two.mutable_values()->Mutable(1));
  ExpectInvalid(Serialize(two), "not strictly ascending");
}

TEST(SortedSetCodecTest, RejectsMismatchedColumns) {
  pb::SortedSet m = Valid();
  m.add_values(3);
  ExpectInvalid(Serialize(m), "differ in length");
  m = Valid();
  m.add_timestamps(9);
  ExpectInvalid(Serialize(m), "timestamps");
  m = Valid();
  m.add_counters(1);
  ExpectInvalid(Serialize(m), "differ in length");
}

TEST(SortedSetCodecTest, RejectsNonCanonicalForms) {
  // An all-false counter_rows column: the encoder omits it.
  SortedSet plain;
  plain.Assign(kA, "x", 5, 1);
  pb::SortedSet m;
  ASSERT_TRUE(m.ParseFromString(plain.Encode()));
  m.add_counter_rows(false);
  ExpectInvalid(Serialize(m), "non-canonical");
  // A counter row with a timestamp is caught by the column count.
  m = Valid();
  m.add_timestamps(0);
  ExpectInvalid(Serialize(m), "timestamps");
  // An empty context message present.
  pb::SortedSet empty;
  empty.mutable_context();
  ExpectInvalid(Serialize(empty), "non-canonical");
  // Unknown fields.
  std::string bytes = Valid().SerializeAsString();
  bytes += std::string("\x78\x01", 2);  // field 15, varint 1
  ExpectInvalid(bytes, "non-canonical");
}

TEST(SortedSetCodecTest, ToJsonNamesTheColumns) {
  const std::string json = Sample().ToJson();
  EXPECT_NE(json.find("\"members\""), std::string::npos);
  EXPECT_NE(json.find("\"values\""), std::string::npos);
  EXPECT_NE(json.find("Infinity"), std::string::npos);
}

}  // namespace
}  // namespace regionsync

// OrSet encoding: canonical round trips and rejection of garbage, truncated,
// non-canonical and hostile input.
#include <gtest/gtest.h>

#include <string>

#include "regionsync/crdt/or_set.h"
#include "regionsync/proto/dot_context.pb.h"
#include "regionsync/proto/or_set.pb.h"

namespace regionsync {
namespace {

constexpr ActorId kA = 0xA1;
constexpr ActorId kB = 0xB2;

void ExpectInvalid(std::string_view bytes) {
  Result<OrSet> r = OrSet::Decode(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
}

std::string Serialize(const pb::OrSet& msg) {
  std::string out;
  msg.SerializeToString(&out);
  return out;
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// A context {actor: [1, last]} plus raw columns.
pb::OrSet Raw(ActorId actor, uint64_t last, const std::vector<std::string>& elements,
              const std::vector<uint64_t>& first_dots, const std::vector<uint64_t>& extra = {}) {
  pb::OrSet msg;
  msg.mutable_context()->add_actors(actor);
  msg.mutable_context()->add_range_counts(1);
  msg.mutable_context()->add_ranges(0);
  msg.mutable_context()->add_ranges(last - 1);
  for (const std::string& e : elements) {
    PutVarint(msg.mutable_elements(), e.size());
    msg.mutable_elements()->append(e);
  }
  for (uint64_t v : first_dots) msg.add_first_dots(v);
  for (uint64_t v : extra) msg.add_extra_dots(v);
  return msg;
}

OrSet Sample() {
  OrSet a, b;
  for (int i = 0; i < 20; ++i) (void)a.Add(kA, "a" + std::to_string(i));
  for (int i = 0; i < 5; ++i) (void)b.Add(kB, "a" + std::to_string(i));  // concurrent adds: two dots
  (void)a.Remove("a7");
  a.Join(b);
  return a;
}

TEST(OrSetCodecTest, RoundTripIsByteIdentical) {
  for (const OrSet& s : {OrSet(), Sample()}) {
    const std::string bytes = s.Encode();
    Result<OrSet> back = OrSet::Decode(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, s);
    EXPECT_EQ(back->Encode(), bytes);
  }
}

TEST(OrSetCodecTest, HandBuiltEncodingDecodes) {
  // {x: (A,1), y: (A,3)}, context A:[1,3]; first dots: odd (new actor, index 0), counter-1 = 0;
  // then even: same actor, counter = 1 + 1 + 1 -> step 1 -> v = 2.
  Result<OrSet> r = OrSet::Decode(Serialize(Raw(kA, 3, {"x", "y"}, {1, 0, 2})));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Elements(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(r->size(), 2u);
}

TEST(OrSetCodecTest, ToJsonNamesTheColumns) {
  const std::string json = Sample().ToJson();
  EXPECT_NE(json.find("\"first_dots\""), std::string::npos);
  EXPECT_NE(json.find("\"context\""), std::string::npos);
}

TEST(OrSetCodecTest, RejectsGarbage) {
  ExpectInvalid("\xff\xff\xff\xff");
  ExpectInvalid("hello world");
  ExpectInvalid(std::string("\x12\x05\x03" "ab", 5));  // element length 3, 2 bytes follow
}

TEST(OrSetCodecTest, TruncationsNeverCrashAndMostlyFail) {
  const std::string bytes = Sample().Encode();
  int rejected = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    Result<OrSet> r = OrSet::Decode(std::string_view(bytes).substr(0, n));
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      ++rejected;
    } else {
      EXPECT_EQ(r->Encode(), bytes.substr(0, n));  // a prefix that is itself a whole, valid state
    }
  }
  EXPECT_GE(rejected, static_cast<int>(bytes.size()) - 3);
}

TEST(OrSetCodecTest, RejectsDotOutsideContext) {
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {1, 3})));  // counter 4 > 3
  ExpectInvalid(Serialize(Raw(kA, 3, {"x", "y"}, {1, 1, 2})));  // second counter 4
}

TEST(OrSetCodecTest, RejectsActorIndexOutOfRange) {
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {3, 0})));  // index 1, one actor
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {~uint64_t{0}, 0})));
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {1, 0}, {0, 0, 7, 1})));  // extra dot actor index 7
}

TEST(OrSetCodecTest, RejectsDuplicates) {
  ExpectInvalid(Serialize(Raw(kA, 3, {"x", "x"}, {1, 0, 0})));  // same element twice
  ExpectInvalid(Serialize(Raw(kA, 3, {"x", "y"}, {1, 0, 0}, {0, 0, 0, 1})));  // x's extra dot is y's dot
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {1, 1}, {0, 0, 0, 0})));  // extra dot below the first
}

TEST(OrSetCodecTest, RejectsHugeCounts) {
  // An extra-dot group claiming 2^63 further dots with two values present.
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {1, 0}, {0, uint64_t{1} << 63, 0, 1})));
  // A context claiming a billion intervals.
  pb::OrSet msg = Raw(kA, 3, {"x"}, {1, 0});
  msg.mutable_context()->set_range_counts(0, 1000000000);
  ExpectInvalid(Serialize(msg));
  // An element length near 2^64.
  std::string bytes = "\x12\x0b";
  PutVarint(&bytes, ~uint64_t{0} - 1);
  bytes += "x";
  ExpectInvalid(bytes);
  // Counter overflow in a delta-encoded run.
  ExpectInvalid(Serialize(Raw(kA, 3, {"x", "y"}, {1, 0, ~uint64_t{0} - 1})));
}

TEST(OrSetCodecTest, RejectsMismatchedColumns) {
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {})));            // entry without a dot
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {1, 0, 2})));     // dot without an entry
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {0})));           // first entry must name its actor
  ExpectInvalid(Serialize(Raw(kA, 3, {"x"}, {1, 0}, {1, 0, 0, 1})));  // extra dots for entry 1 of 1
}

TEST(OrSetCodecTest, RejectsNonCanonicalForms) {
  const std::string good = Serialize(Raw(kA, 3, {"x", "y"}, {1, 0, 2}));
  ASSERT_TRUE(OrSet::Decode(good).ok());
  // Unknown field appended.
  ExpectInvalid(good + std::string("\x28\x01", 2));
  // The same field twice (protobuf concatenates/merges; we do not).
  ExpectInvalid(good + good);
  // An empty context sub-message instead of none.
  ExpectInvalid(std::string("\x0a\x00", 2));
  // Unpacked first_dots.
  pb::OrSet msg = Raw(kA, 3, {"x"}, {1, 0});
  std::string unpacked;
  msg.clear_first_dots();
  unpacked = Serialize(msg) + std::string("\x18\x01\x18\x00", 4);
  ExpectInvalid(unpacked);
  // Non-minimal varint for an element length.
  pb::OrSet padded = Raw(kA, 1, {}, {1, 0});
  padded.set_elements(std::string("\x81\x00x", 3));
  ExpectInvalid(Serialize(padded));
  // Entry order needs no check of its own: the columns can only express
  // ascending first dots (counter steps and actor index steps are >= 1).
}

TEST(OrSetCodecTest, RejectsOversizeInput) {
  ExpectInvalid(std::string(kMaxEncodedStateBytes + 1, '\0'));
}

}  // namespace
}  // namespace regionsync

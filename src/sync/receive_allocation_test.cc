// A receiver allocates in proportion to the bytes it was sent: hostile
// encodings that claim many entries (and fail validation) must not make any
// decoder reserve for the claim. Peak heap use is measured with the
// allocation probe; every input here is small enough that no table would be
// mmapped past it (or_set.h). Before issue 13 the set decoder peaked at 96x
// its input, the map decoder at 48x and the multi-value register at 30x.
#include <gtest/gtest.h>

#include <string>

#include "regionsync/crdt/any_crdt.h"
#include "regionsync/proto/causal.pb.h"
#include "regionsync/proto/or_set.pb.h"
#include "regionsync/proto/sorted_set.pb.h"
#include "regionsync/sync/wire/frame.h"
#include "sync/wire/allocation_probe.h"

namespace regionsync {
namespace {

// Protobuf alone holds a parsed run of packed one-byte varints in 8-byte
// slots and grows them by doubling, so parsing peaks at ~24 bytes per input
// byte for the shapes below; the promise is a small multiple of the input
// on top of that, with nothing reserved for what the input merely claims.
constexpr size_t kMaxBytesPerInputByte = 32;
constexpr ActorId kActor = 7;
constexpr int kClaimed = 32 << 10;  // entries / rows / intervals an input claims

// Context {kActor: [1, last]}.
void OneInterval(pb::DotContext* ctx, uint64_t last) {
  ctx->add_actors(kActor);
  ctx->add_range_counts(1);
  ctx->add_ranges(0);
  ctx->add_ranges(last - 1);
}

// Decodes `m`'s bytes as `type` under the probe; expects InvalidArgument, a
// peak within kMaxBytesPerInputByte per input byte, and no more than 2
// bytes per input byte beyond what parsing the protobuf alone peaks at (the
// decoders that reserved for the claim went 1.5x-8x past it).
template <typename Msg>
void ExpectRejectedWithinBound(CrdtType type, const Msg& m, const char* what) {
  const std::string bytes = m.SerializeAsString();
  const size_t parse_peak = wire::PeakBytesDuring([&] {
    Msg parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
  });
  Result<AnyCrdt> r = Internal("not run");
  const size_t peak = wire::PeakBytesDuring([&] { r = DecodeCrdt(type, bytes); });
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << what << ": " << r.status().ToString();
  EXPECT_LE(peak, kMaxBytesPerInputByte * bytes.size())
      << what << ": " << peak << " bytes for " << bytes.size() << " of input ("
      << static_cast<double>(peak) / static_cast<double>(bytes.size()) << "x)";
  EXPECT_LE(peak, parse_peak + 2 * bytes.size())
      << what << ": " << peak << " bytes; parsing alone peaks at " << parse_peak;
}

// kClaimed empty elements, each with the next dot: the second is a
// duplicate. Used to reserve a table slot for every one of them.
pb::OrSet OrSetOfDuplicateElements() {
  pb::OrSet m;
  OneInterval(m.mutable_context(), kClaimed);
  m.set_elements(std::string(kClaimed, '\0'));
  m.add_first_dots(1);  // actor index 0
  m.add_first_dots(0);  // counter 1
  for (int i = 1; i < kClaimed; ++i) m.add_first_dots(0);  // counter + 1
  return m;
}

TEST(ReceiveAllocationTest, OrSetClaimingManyEntries) {
  ExpectRejectedWithinBound(pb::OR_SET, OrSetOfDuplicateElements(), "duplicate elements");
  pb::OrSet m;  // the first entry does not name its actor
  OneInterval(m.mutable_context(), kClaimed);
  m.set_elements(std::string(kClaimed, '\0'));
  for (int i = 0; i < kClaimed; ++i) m.add_first_dots(0);
  ExpectRejectedWithinBound(pb::OR_SET, m, "first entry without an actor");
}

TEST(ReceiveAllocationTest, DotContextClaimingManyIntervals) {
  // One actor claiming kClaimed intervals; the second is adjacent to the
  // first (must have been merged).
  pb::OrSet m;
  pb::DotContext* ctx = m.mutable_context();
  ctx->add_actors(kActor);
  ctx->add_range_counts(kClaimed);
  for (int i = 0; i < 2 * kClaimed; ++i) ctx->add_ranges(0);
  ExpectRejectedWithinBound(pb::OR_SET, m, "adjacent intervals");
}

// kClaimed rows, all outside the context {kActor: [1, 1]}.
void RowsOutsideTheContext(pb::DotStore* dots, bool with_values) {
  for (int i = 0; i < kClaimed; ++i) {
    dots->add_actor_indexes(0);
    dots->add_counters(2);
    if (with_values) dots->add_values("");
  }
}

TEST(ReceiveAllocationTest, DotStoresClaimingManyRows) {
  pb::MvRegister mv;
  OneInterval(mv.mutable_context(), 1);
  RowsOutsideTheContext(mv.mutable_dots(), /*with_values=*/true);
  ExpectRejectedWithinBound(pb::MV_REGISTER, mv, "mv_register rows");

  pb::EwFlag flag;
  OneInterval(flag.mutable_context(), 1);
  RowsOutsideTheContext(flag.mutable_dots(), /*with_values=*/false);
  ExpectRejectedWithinBound(pb::EW_FLAG, flag, "ew_flag rows");

  pb::OrMap map;  // one key of a map of flags claiming every row
  map.set_kind(static_cast<uint32_t>(OrMapKind::kFlag));
  OneInterval(map.mutable_context(), 1);
  map.add_keys("k");
  map.add_dot_counts(kClaimed);
  RowsOutsideTheContext(map.mutable_dots(), /*with_values=*/false);
  ExpectRejectedWithinBound(pb::OR_MAP, map, "or_map rows");
}

TEST(ReceiveAllocationTest, SortedSetClaimingManyRowsOrMembers) {
  pb::SortedSet rows;  // one member claiming every row, all outside {kActor: [1, 1]}
  OneInterval(rows.mutable_context(), 1);
  rows.add_members("m");
  rows.add_dot_counts(kClaimed);
  for (int i = 0; i < kClaimed; ++i) {
    rows.add_actor_indexes(0);
    rows.add_counters(2);
    rows.add_timestamps(0);
    rows.add_values(1);
  }
  ExpectRejectedWithinBound(pb::SORTED_SET, rows, "sorted_set rows");

  pb::SortedSet members;  // kClaimed valid members, the last dot repeated
  OneInterval(members.mutable_context(), kClaimed);
  for (int i = 0; i < kClaimed; ++i) {
    members.add_members("m" + std::to_string(100000 + i));
    members.add_dot_counts(1);
    members.add_actor_indexes(0);
    members.add_counters(i + 1 == kClaimed ? 1 : i + 1);
    members.add_timestamps(0);
    members.add_values(1);
  }
  ExpectRejectedWithinBound(pb::SORTED_SET, members, "sorted_set dot under two members");
}

TEST(ReceiveAllocationTest, CompressedFrameCarryingAnEntryBomb) {
  // The case from issue 13: a small zstd frame whose entry claims many set
  // entries. The frame is a few hundred bytes; what the receiver may hold
  // is bounded by the decompressed envelope (itself capped by
  // kMaxFramePayloadBytes before inflating), not by the claim.
  Result<KeyRing> ring = KeyRing::Parse("k1:first-secret-0123456789");
  ASSERT_TRUE(ring.ok());
  pb::Envelope e;
  e.set_version(kProtocolVersion);
  e.set_kind(pb::DELTA);
  e.set_origin("us-east-1/a");
  e.set_origin_epoch(1);
  e.set_sequence(1);
  pb::Entry* entry = e.add_entries();
  entry->set_key("presence");
  entry->set_type(pb::OR_SET);
  entry->set_delta(OrSetOfDuplicateElements().SerializeAsString());
  const size_t envelope_bytes = e.ByteSizeLong();
  Result<std::string> text = EncodeFrame(e, *ring);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  ASSERT_LT(text->size(), envelope_bytes / 20) << "the frame should be compressed";

  Status decoded;
  const size_t peak = wire::PeakBytesDuring([&] {
    Result<pb::Envelope> got = DecodeFrame(*text, *ring);
    if (!got.ok()) {
      decoded = got.status();
      return;
    }
    for (const pb::Entry& en : got->entries()) {
      Result<AnyCrdt> d = DecodeCrdt(en.type(), en.delta());
      if (!d.ok()) decoded = d.status();
    }
  });
  EXPECT_EQ(decoded.code(), StatusCode::kInvalidArgument) << decoded.ToString();
  EXPECT_LE(peak, kMaxBytesPerInputByte * envelope_bytes)
      << peak << " bytes for a " << text->size() << "-byte frame of " << envelope_bytes << " envelope bytes";
}

TEST(ReceiveAllocationTest, ValidSetStillDecodes) {
  // The same shape made valid (distinct elements): decoding without an
  // up-front reservation still gives the set.
  pb::OrSet m;
  OneInterval(m.mutable_context(), 3);
  m.set_elements(std::string("\x01" "a" "\x01" "b" "\x01" "c", 6));
  for (uint64_t v : {1, 0, 0, 0}) m.add_first_dots(v);
  Result<AnyCrdt> r = DecodeCrdt(pb::OR_SET, m.SerializeAsString());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(std::get<OrSet>(*r).Elements(), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace regionsync

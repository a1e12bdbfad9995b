#include "regionsync/sync/wire/frame.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <zstd.h>

#include "sync/wire/allocation_probe.h"
#include "sync/wire/base64.h"
#include "sync/wire/frame_internal.h"

namespace regionsync {
namespace {

using google::protobuf::util::MessageDifferencer;

KeyRing TestRing() {
  Result<KeyRing> ring = KeyRing::Parse("k1:first-secret-0123456789,k2:second-secret-0123456789");
  assert(ring.ok());
  return std::move(ring).value();
}

pb::Envelope BaseEnvelope(pb::EnvelopeKind kind) {
  pb::Envelope e;
  e.set_version(kProtocolVersion);
  e.set_kind(kind);
  e.set_origin("us-east-1/a");
  e.set_origin_epoch(0x0123456789abcdefULL);
  e.set_sequence(42);
  e.set_hlc_time((uint64_t{1700000000000} << 16) | 3);
  return e;
}

pb::Envelope SmallDelta() {
  pb::Envelope e = BaseEnvelope(pb::DELTA);
  pb::Entry* entry = e.add_entries();
  entry->set_key("sessions");
  entry->set_type(pb::G_COUNTER);
  entry->set_delta(std::string("\x0a\x02\x08\x01", 4));
  return e;
}

// An envelope with one entry whose delta is `n` bytes: repetitive (zstd
// shrinks it) or pseudo-random (zstd cannot).
pb::Envelope EnvelopeWithDelta(size_t n, bool compressible, uint32_t seed = 1) {
  pb::Envelope e = BaseEnvelope(pb::STATE);
  pb::Entry* entry = e.add_entries();
  entry->set_key("presence");
  entry->set_type(pb::OR_SET);
  std::string delta(n, '\0');
  uint32_t x = seed | 1;
  for (size_t i = 0; i < n; ++i) {
    if (compressible) {
      delta[i] = "user-0042,"[i % 10];
    } else {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      delta[i] = static_cast<char>(x);
    }
  }
  entry->set_delta(std::move(delta));
  return e;
}

pb::Frame ParseText(const std::string& text) {
  Result<pb::Frame> frame = wire::ParseFrameText(text);
  EXPECT_TRUE(frame.ok()) << frame.status().ToString();
  return frame.ok() ? *frame : pb::Frame();
}

// Frame text for an arbitrary payload, correctly signed with `key`.
std::string SignedFrameText(std::string payload, bool compressed, const SigningKey& key) {
  pb::Frame frame;
  frame.set_key_id(key.id);
  frame.set_compressed(compressed);
  frame.set_payload(std::move(payload));
  Result<std::string> mac =
      wire::ComputeFrameMac(key.secret, frame.key_id(), compressed, frame.payload());
  EXPECT_TRUE(mac.ok());
  frame.set_mac(*mac);
  return wire::FrameToText(frame);
}

StatusCode DecodeCode(std::string_view text, const KeyRing& ring) {
  Result<pb::Envelope> r = DecodeFrame(text, ring);
  return r.ok() ? StatusCode::kOk : r.status().code();
}

TEST(FrameTest, SmallEnvelopeRoundTripsUncompressed) {
  const KeyRing ring = TestRing();
  const pb::Envelope sent = SmallDelta();
  Result<std::string> text = EncodeFrame(sent, ring);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text->rfind("rs1.", 0), 0u);
  const pb::Frame frame = ParseText(*text);
  EXPECT_EQ(frame.key_id(), "k1");
  EXPECT_FALSE(frame.compressed());
  EXPECT_EQ(frame.payload(), sent.SerializeAsString());
  Result<pb::Envelope> got = DecodeFrame(*text, ring);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(MessageDifferencer::Equals(*got, sent)) << got->DebugString();
}

TEST(FrameTest, LargeEnvelopeRoundTripsCompressed) {
  const KeyRing ring = TestRing();
  const pb::Envelope sent = EnvelopeWithDelta(200'000, /*compressible=*/true);
  Result<std::string> text = EncodeFrame(sent, ring);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const pb::Frame frame = ParseText(*text);
  EXPECT_TRUE(frame.compressed());
  EXPECT_LT(frame.payload().size(), sent.ByteSizeLong() / 10);
  Result<pb::Envelope> got = DecodeFrame(*text, ring);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(MessageDifferencer::Equals(*got, sent));
}

TEST(FrameTest, CompressesOnlyFromTheThresholdOn) {
  const KeyRing ring = TestRing();
  FrameOptions options;
  options.compress_threshold_bytes = 2000;
  // Find delta sizes whose envelopes serialize to threshold - 1 and threshold.
  for (size_t target : {options.compress_threshold_bytes - 1, options.compress_threshold_bytes}) {
    size_t n = target;
    while (EnvelopeWithDelta(n, true).ByteSizeLong() > target) --n;
    const pb::Envelope e = EnvelopeWithDelta(n, true);
    ASSERT_EQ(e.ByteSizeLong(), target);
    Result<std::string> text = EncodeFrame(e, ring, options);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(ParseText(*text).compressed(), target >= options.compress_threshold_bytes) << target;
    Result<pb::Envelope> got = DecodeFrame(*text, ring);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(MessageDifferencer::Equals(*got, e));
  }
}

TEST(FrameTest, IncompressiblePayloadIsSentRaw) {
  const KeyRing ring = TestRing();
  const pb::Envelope sent = EnvelopeWithDelta(50'000, /*compressible=*/false);
  Result<std::string> text = EncodeFrame(sent, ring);
  ASSERT_TRUE(text.ok());
  EXPECT_FALSE(ParseText(*text).compressed());
  EXPECT_TRUE(DecodeFrame(*text, ring).ok());
}

TEST(FrameTest, SignsWithTheActiveKey) {
  KeyRing ring = TestRing();
  ASSERT_TRUE(ring.SetActive("k2").ok());
  Result<std::string> text = EncodeFrame(SmallDelta(), ring);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(ParseText(*text).key_id(), "k2");
  EXPECT_TRUE(DecodeFrame(*text, ring).ok());
}

TEST(FrameTest, TamperingIsPermissionDenied) {
  const KeyRing ring = TestRing();
  for (bool large : {false, true}) {
    const pb::Envelope sent = large ? EnvelopeWithDelta(10'000, true) : SmallDelta();
    Result<std::string> text = EncodeFrame(sent, ring);
    ASSERT_TRUE(text.ok());
    const pb::Frame good = ParseText(*text);
    ASSERT_EQ(good.compressed(), large);

    pb::Frame f = good;
    (*f.mutable_payload())[f.payload().size() / 2] ^= 0x01;
    EXPECT_EQ(DecodeCode(wire::FrameToText(f), ring), StatusCode::kPermissionDenied);

    f = good;
    (*f.mutable_mac())[0] ^= 0x80;
    EXPECT_EQ(DecodeCode(wire::FrameToText(f), ring), StatusCode::kPermissionDenied);

    f = good;
    f.set_key_id("k2");  // another key of the ring: MAC no longer matches
    EXPECT_EQ(DecodeCode(wire::FrameToText(f), ring), StatusCode::kPermissionDenied);

    f = good;
    f.set_key_id("nobody");
    Result<pb::Envelope> r = DecodeFrame(wire::FrameToText(f), ring);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
    EXPECT_NE(r.status().message().find("nobody"), std::string::npos);

    f = good;
    f.set_compressed(!good.compressed());
    EXPECT_EQ(DecodeCode(wire::FrameToText(f), ring), StatusCode::kPermissionDenied);

    EXPECT_EQ(DecodeCode(wire::FrameToText(good), ring), StatusCode::kOk);
  }
}

TEST(FrameTest, RotationOldKeyVerifiesUntilRemoved) {
  Result<KeyRing> sender_old = KeyRing::Parse("old:old-secret-0123456789");
  ASSERT_TRUE(sender_old.ok());
  Result<std::string> from_old = EncodeFrame(SmallDelta(), *sender_old);
  ASSERT_TRUE(from_old.ok());

  // Step 1 of a rotation: the new key is added (here already active).
  Result<KeyRing> receiver = KeyRing::Parse("new:new-secret-0123456789,old:old-secret-0123456789");
  ASSERT_TRUE(receiver.ok());
  EXPECT_EQ(DecodeCode(*from_old, *receiver), StatusCode::kOk);
  Result<std::string> from_new = EncodeFrame(SmallDelta(), *receiver);
  ASSERT_TRUE(from_new.ok());
  EXPECT_EQ(ParseText(*from_new).key_id(), "new");
  EXPECT_EQ(DecodeCode(*from_new, *receiver), StatusCode::kOk);
  // A replica not yet given the new key rejects frames signed with it.
  EXPECT_EQ(DecodeCode(*from_new, *sender_old), StatusCode::kPermissionDenied);

  // Last step: the old key is removed; its frames no longer verify.
  ASSERT_TRUE(receiver->Remove("old").ok());
  EXPECT_EQ(DecodeCode(*from_old, *receiver), StatusCode::kPermissionDenied);
  EXPECT_EQ(DecodeCode(*from_new, *receiver), StatusCode::kOk);
}

TEST(FrameTest, SameIdDifferentSecretIsPermissionDenied) {
  Result<KeyRing> a = KeyRing::Parse("k1:first-secret-0123456789");
  Result<KeyRing> b = KeyRing::Parse("k1:another-secret-012345678");
  ASSERT_TRUE(a.ok() && b.ok());
  Result<std::string> text = EncodeFrame(SmallDelta(), *a);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(DecodeCode(*text, *b), StatusCode::kPermissionDenied);
}

TEST(FrameTest, MalformedTextIsInvalidArgument) {
  const KeyRing ring = TestRing();
  Result<std::string> text = EncodeFrame(SmallDelta(), ring);
  ASSERT_TRUE(text.ok());
  const std::string body = text->substr(4);
  for (const std::string& bad : {
           std::string(),
           std::string("rs1"),
           "rs2." + body,
           "RS1." + body,
           " rs1." + body,
           body,
           *text + "\n",
           *text + "AAAA",                       // trailing junk after the frame
           std::string("rs1.!!!!"),               // bad base64
           "rs1." + body.substr(0, body.size() - 1),  // bad base64 length
           "rs1." + wire::Base64Encode("\xff\xff\xff\xff"),  // not a Frame
           std::string("rs1."),                   // empty Frame: no MAC
       }) {
    Result<pb::Envelope> r = DecodeFrame(bad, ring);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad << ": " << r.status().ToString();
    EXPECT_FALSE(r.status().message().empty());
  }
}

TEST(FrameTest, EveryTruncationIsInvalidArgument) {
  const KeyRing ring = TestRing();
  for (bool large : {false, true}) {
    Result<std::string> text = EncodeFrame(large ? EnvelopeWithDelta(5000, true) : SmallDelta(), ring);
    ASSERT_TRUE(text.ok());
    for (size_t cut = 0; cut < text->size(); ++cut) {
      EXPECT_EQ(DecodeCode(std::string_view(*text).substr(0, cut), ring),
                StatusCode::kInvalidArgument)
          << "cut at " << cut << " of " << text->size();
    }
  }
}

TEST(FrameTest, OversizedTextIsRejectedBeforeDecoding) {
  const KeyRing ring = TestRing();
  std::string huge = "rs1." + std::string(FrameTextSizeBound(kMaxFramePayloadBytes), 'A');
  Result<pb::Envelope> r = DecodeFrame(huge, ring);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("larger"), std::string::npos) << r.status().ToString();
}

TEST(FrameTest, OtherProtocolVersionsAreInvalidArgument) {
  const KeyRing ring = TestRing();
  for (uint32_t version : {0u, 2u, 0xffffffffu}) {
    pb::Envelope e = SmallDelta();
    e.set_version(version);
    // EncodeFrame refuses, so sign the payload by hand as a newer peer would.
    EXPECT_EQ(EncodeFrame(e, ring).status().code(), StatusCode::kInvalidArgument);
    Result<pb::Envelope> r = DecodeFrame(SignedFrameText(e.SerializeAsString(), false, *ring.active()), ring);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("version"), std::string::npos) << r.status().ToString();
  }
}

TEST(FrameTest, SignedGarbageAndBadEnvelopesAreInvalidArgument) {
  const KeyRing ring = TestRing();
  const SigningKey& key = *ring.active();
  // Not a protobuf.
  EXPECT_EQ(DecodeCode(SignedFrameText("\xff\xff\xff", false, key), ring), StatusCode::kInvalidArgument);
  // Unknown kind.
  pb::Envelope e = SmallDelta();
  e.set_kind(static_cast<pb::EnvelopeKind>(9));
  EXPECT_EQ(DecodeCode(SignedFrameText(e.SerializeAsString(), false, key), ring),
            StatusCode::kInvalidArgument);
  e.set_kind(pb::ENVELOPE_KIND_UNSPECIFIED);
  EXPECT_EQ(DecodeCode(SignedFrameText(e.SerializeAsString(), false, key), ring),
            StatusCode::kInvalidArgument);
  // Digest whose bucket count disagrees with its hashes.
  pb::Envelope d = BaseEnvelope(pb::DIGEST);
  d.set_digest_buckets(4);
  for (uint64_t h : {1, 2, 3}) d.add_bucket_hashes(h);
  EXPECT_EQ(DecodeCode(SignedFrameText(d.SerializeAsString(), false, key), ring),
            StatusCode::kInvalidArgument);
  // Invalid UTF-8 in a proto3 string field.
  pb::Envelope u = SmallDelta();
  u.mutable_entries(0)->set_key("\xc3\x28");
  EXPECT_EQ(DecodeCode(SignedFrameText(u.SerializeAsString(), false, key), ring),
            StatusCode::kInvalidArgument);
}

TEST(FrameTest, DigestRoundTrips) {
  const KeyRing ring = TestRing();
  pb::Envelope d = BaseEnvelope(pb::DIGEST);
  d.set_digest_buckets(256);
  for (uint64_t i = 0; i < 256; ++i) d.add_bucket_hashes(i * 0x9e3779b97f4a7c15ULL);
  d.set_key_count(12345);
  Result<std::string> text = EncodeFrame(d, ring);
  ASSERT_TRUE(text.ok());
  Result<pb::Envelope> got = DecodeFrame(*text, ring);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(MessageDifferencer::Equals(*got, d));
}

TEST(FrameTest, EncodeErrors) {
  KeyRing empty;
  EXPECT_EQ(EncodeFrame(SmallDelta(), empty).status().code(), StatusCode::kInvalidArgument);
  const KeyRing ring = TestRing();
  pb::Envelope e = SmallDelta();
  e.mutable_entries(0)->set_key("\xff key");
  EXPECT_EQ(EncodeFrame(e, ring).status().code(), StatusCode::kInvalidArgument);
  e = SmallDelta();
  e.set_origin("\xc3");
  EXPECT_EQ(EncodeFrame(e, ring).status().code(), StatusCode::kInvalidArgument);
}

// A hand-made zstd frame: 8-byte content size `claimed`, single segment, one
// RLE block that expands one byte to `block_bytes` (<= 128 KiB).
std::string RleZstdFrame(uint64_t claimed, uint32_t block_bytes) {
  std::string f = "\x28\xb5\x2f\xfd";  // magic, little-endian
  f.push_back(static_cast<char>(0xe0));  // FCS 8 bytes, single segment, no checksum
  for (int i = 0; i < 8; ++i) f.push_back(static_cast<char>(claimed >> (8 * i)));
  const uint32_t block_header = 1 /*last*/ | (1 << 1) /*RLE*/ | (block_bytes << 3);
  for (int i = 0; i < 3; ++i) f.push_back(static_cast<char>(block_header >> (8 * i)));
  f.push_back('A');
  return f;
}

TEST(FrameTest, ZstdBombIsRejectedWithoutLargeAllocation) {
  const KeyRing ring = TestRing();
  const SigningKey& key = *ring.active();
  // Sanity: the hand-made frame is what we think it is.
  const std::string honest = RleZstdFrame(1000, 1000);
  ASSERT_EQ(ZSTD_getFrameContentSize(honest.data(), honest.size()), 1000u);
  std::string out(1000, '\0');
  ASSERT_EQ(ZSTD_decompress(out.data(), out.size(), honest.data(), honest.size()), 1000u);

  for (uint64_t claimed : {uint64_t{1} << 40, uint64_t{kMaxFramePayloadBytes} + 1,
                           ~uint64_t{0} - 2}) {
    const std::string bomb = RleZstdFrame(claimed, 128 << 10);
    ASSERT_EQ(ZSTD_getFrameContentSize(bomb.data(), bomb.size()), claimed);
    const std::string text = SignedFrameText(bomb, true, key);
    EXPECT_LT(text.size(), 200u);
    Result<pb::Envelope> r = Internal("not run");
    const size_t largest = wire::LargestAllocationDuring([&] { r = DecodeFrame(text, ring); });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_LT(largest, size_t{1} << 20) << "claimed " << claimed;
  }
}

TEST(FrameTest, ZstdPayloadsThatLieAreInvalidArgument) {
  const KeyRing ring = TestRing();
  const SigningKey& key = *ring.active();
  auto code = [&](const std::string& payload) {
    return DecodeCode(SignedFrameText(payload, true, key), ring);
  };
  // Claims 1 MiB, holds 16 bytes.
  EXPECT_EQ(code(RleZstdFrame(1 << 20, 16)), StatusCode::kInvalidArgument);
  // Claims 8 bytes, holds 16.
  EXPECT_EQ(code(RleZstdFrame(8, 16)), StatusCode::kInvalidArgument);
  // No content size: magic, FHD 0, window descriptor, RLE block of 16.
  const std::string no_size("\x28\xb5\x2f\xfd\x00\x00\x83\x00\x00\x41", 10);
  ASSERT_EQ(ZSTD_getFrameContentSize(no_size.data(), no_size.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  Result<pb::Envelope> r = DecodeFrame(SignedFrameText(no_size, true, key), ring);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("content size"), std::string::npos) << r.status().ToString();
  // Not zstd at all, empty, skippable frame, trailing bytes after a good frame.
  EXPECT_EQ(code("hello world"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(""), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(std::string("\x50\x2a\x4d\x18\x00\x00\x00\x00", 8)), StatusCode::kInvalidArgument);
  const std::string envelope = SmallDelta().SerializeAsString();
  std::string good(ZSTD_compressBound(envelope.size()), '\0');
  good.resize(ZSTD_compress(good.data(), good.size(), envelope.data(), envelope.size(), 3));
  EXPECT_EQ(code(good), StatusCode::kOk);
  EXPECT_EQ(code(good + "x"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(good + good), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(good.substr(0, good.size() - 1)), StatusCode::kInvalidArgument);
}

RC_GTEST_PROP(FrameProp, TextSizeBoundHolds, ()) {
  const size_t n = *rc::gen::inRange<size_t>(0, 300'000);
  const bool compressible = *rc::gen::arbitrary<bool>();
  // The longest id is the worst case; make it common.
  const size_t id_len = *rc::gen::oneOf(rc::gen::just(KeyRing::kMaxKeyIdBytes),
                                        rc::gen::inRange<size_t>(1, KeyRing::kMaxKeyIdBytes + 1));
  const uint32_t seed = *rc::gen::arbitrary<uint32_t>();
  KeyRing ring;
  RC_ASSERT(ring.Add({std::string(id_len, 'k'), "some-secret-0123456789"}).ok());
  FrameOptions options;
  options.compress_threshold_bytes = *rc::gen::inRange<size_t>(0, 4096);
  const pb::Envelope e = EnvelopeWithDelta(n, compressible, seed);
  Result<std::string> text = EncodeFrame(e, ring, options);
  RC_ASSERT(text.ok());
  RC_ASSERT(text->size() <= FrameTextSizeBound(e.ByteSizeLong()));
  Result<pb::Envelope> got = DecodeFrame(*text, ring);
  RC_ASSERT(got.ok());
  RC_ASSERT(MessageDifferencer::Equals(*got, e));
}

RC_GTEST_PROP(FrameProp, TextSizeBoundIsMonotoneAndTight, ()) {
  const size_t n = *rc::gen::inRange<size_t>(0, kMaxFramePayloadBytes);
  RC_ASSERT(FrameTextSizeBound(n) <= FrameTextSizeBound(n + 1));
  // Overhead is a couple of hundred bytes plus base64's 4/3.
  RC_ASSERT(FrameTextSizeBound(n) <= 4 + (n + 120) / 3 * 4 + 4);
}

RC_GTEST_PROP(FrameProp, MaxPayloadInvertsTheBound, ()) {
  const size_t text_bytes = *rc::gen::oneOf(rc::gen::inRange<size_t>(0, 1000),
                                            rc::gen::inRange<size_t>(0, size_t{1} << 30));
  const size_t p = MaxPayloadBytesForFrameText(text_bytes);
  if (FrameTextSizeBound(0) > text_bytes) {
    RC_ASSERT(p == 0u);
  } else {
    RC_ASSERT(FrameTextSizeBound(p) <= text_bytes);
    RC_ASSERT(FrameTextSizeBound(p + 1) > text_bytes);
  }
}

TEST(FrameTest, TextSizeBoundHoldsForEverySmallPayloadWithTheLongestKeyId) {
  KeyRing ring;
  ASSERT_TRUE(ring.Add({std::string(KeyRing::kMaxKeyIdBytes, 'k'), "some-secret-0123456789"}).ok());
  for (size_t n = 0; n < 3000; ++n) {
    const pb::Envelope e = EnvelopeWithDelta(n, /*compressible=*/n % 2 == 0);
    Result<std::string> text = EncodeFrame(e, ring);
    ASSERT_TRUE(text.ok());
    ASSERT_LE(text->size(), FrameTextSizeBound(e.ByteSizeLong())) << n;
  }
}

TEST(FrameTest, MaxPayloadForSqsLimit) {
  const size_t p = MaxPayloadBytesForFrameText(256 * 1024);
  EXPECT_LE(FrameTextSizeBound(p), 256u * 1024);
  EXPECT_GT(FrameTextSizeBound(p + 1), 256u * 1024);
  EXPECT_GT(p, 196'000u);  // base64 costs a quarter; the frame a little more
}

}  // namespace
}  // namespace regionsync

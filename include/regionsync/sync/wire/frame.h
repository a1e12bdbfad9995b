// Frames: how an Envelope travels over text-only transports (SNS, SQS).
//
// EncodeFrame serializes the envelope, compresses it with zstd when that
// pays, signs it with the key ring's active key (HMAC-SHA256) and returns
// printable text: "rs1." + base64(serialized pb::Frame). DecodeFrame checks
// all of that in reverse and returns the envelope, or an error for anything
// malformed or unauthenticated; it never crashes on hostile input. The byte
// layout is in docs/wire_format.md.
//
//   Result<std::string> text = EncodeFrame(envelope, ring);
//   ... broker publishes *text; another region receives it ...
//   Result<pb::Envelope> got = DecodeFrame(received, ring);
//   if (!got.ok()) { count + dead-letter; }  // InvalidArgument or PermissionDenied
//
// Both functions are pure (no I/O) and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "regionsync/common/status.h"
#include "regionsync/proto/envelope.pb.h"
#include "regionsync/sync/wire/key_ring.h"

namespace regionsync {

// The only protocol version this code speaks; receivers reject any other.
inline constexpr uint32_t kProtocolVersion = 1;

// Text frames start with this; it names the encoding (version 1 of the text
// framing: base64 of a protobuf Frame) so a later encoding can coexist.
inline constexpr std::string_view kFrameTextPrefix = "rs1.";

// Upper bound on a serialized envelope, before compression and after
// decompression. Same as kMaxEncodedStateBytes in crdt.h, so one maximal
// state fits (with a little room lost to the envelope's own fields).
inline constexpr size_t kMaxFramePayloadBytes = 64u << 20;

struct FrameOptions {
  // Payloads smaller than this are sent uncompressed: zstd rarely wins on
  // them and costs CPU on every receiver.
  size_t compress_threshold_bytes = 1024;
  int zstd_level = 3;
};

// Encodes `envelope` as frame text. Compresses when the serialized envelope
// has at least options.compress_threshold_bytes and the compressed form is
// smaller. Returns InvalidArgument if `keys` has no active key or
// envelope.version() != kProtocolVersion, ResourceExhausted if the
// serialized envelope is larger than kMaxFramePayloadBytes (split it), and
// Internal if serialization or compression fails.
Result<std::string> EncodeFrame(const pb::Envelope& envelope, const KeyRing& keys,
                                const FrameOptions& options = {});

// Verifies and decodes frame text. Checks, in this order:
//   InvalidArgument  - text larger than FrameTextSizeBound(kMaxFramePayloadBytes),
//                      missing "rs1." prefix, bad base64, bad Frame protobuf,
//                      MAC not 32 bytes;
//   PermissionDenied - key id not in `keys`, MAC mismatch (constant time);
//   InvalidArgument  - zstd failure, missing content size, content size above
//                      kMaxFramePayloadBytes, bad Envelope protobuf,
//                      version != kProtocolVersion, unknown envelope kind,
//                      DIGEST with digest_buckets != bucket_hashes size.
// Nothing is decompressed before the MAC verifies, and decompression never
// allocates more than kMaxFramePayloadBytes. Entry contents (keys, types,
// deltas) are not interpreted here; the CRDT decoders validate them.
Result<pb::Envelope> DecodeFrame(std::string_view text, const KeyRing& keys);

// Upper bound on the size of the text EncodeFrame returns for an envelope
// whose serialized size (envelope.ByteSizeLong()) is `payload_bytes`, for
// any key ring and options. Lets the publisher pack entries under the
// transport's maximum message size.
size_t FrameTextSizeBound(size_t payload_bytes);

// The largest payload_bytes with FrameTextSizeBound(payload_bytes) <=
// text_bytes, or 0 if even an empty envelope may not fit. E.g. the
// publisher's budget for a 256 KiB SQS message.
size_t MaxPayloadBytesForFrameText(size_t text_bytes);

}  // namespace regionsync

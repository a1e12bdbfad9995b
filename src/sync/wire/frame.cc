#include "regionsync/sync/wire/frame.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <zstd.h>

#include <cstdio>
#include <memory>
#include <utility>

#include <google/protobuf/stubs/common.h>

#include "sync/wire/base64.h"
#include "sync/wire/frame_internal.h"

namespace regionsync {
namespace {

using wire::kFrameMacBytes;

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// The largest serialized Frame carrying a payload of `payload_bytes`: every
// field present and as long as it can be (the compressed payload is used
// only when smaller, so the uncompressed size bounds it).
size_t FrameBytesBound(size_t payload_bytes) {
  const size_t key_id = 1 + VarintSize(KeyRing::kMaxKeyIdBytes) + KeyRing::kMaxKeyIdBytes;
  const size_t compressed = 1 + 1;
  const size_t payload = 1 + VarintSize(payload_bytes) + payload_bytes;
  const size_t mac = 1 + VarintSize(kFrameMacBytes) + kFrameMacBytes;
  return key_id + compressed + payload + mac;
}

// Key ids from the network may be any bytes: quote them safely and briefly.
std::string Printable(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < KeyRing::kMaxKeyIdBytes; ++i) {
    const unsigned char c = s[i];
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > KeyRing::kMaxKeyIdBytes) out += "...";
  return out;
}

bool IsValidUtf8(std::string_view s) {
  // The same check the protobuf parser applies to proto3 string fields; an
  // envelope that fails it would be rejected by every receiver.
  return google::protobuf::internal::IsStructurallyValidUTF8(s.data(), static_cast<int>(s.size()));
}

Status CheckStringsAreUtf8(const pb::Envelope& envelope) {
  if (!IsValidUtf8(envelope.origin())) return InvalidArgument("envelope origin is not UTF-8");
  for (const pb::Entry& entry : envelope.entries()) {
    if (!IsValidUtf8(entry.key())) {
      return InvalidArgument("entry key is not UTF-8: '" + Printable(entry.key()) + "'");
    }
  }
  return Status::Ok();
}

struct ZstdCCtxDeleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct ZstdDCtxDeleter {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// zstd contexts hold ~100 KB-1 MB of tables; one per thread saves allocating
// them for every message.
ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, ZstdCCtxDeleter> cctx(ZSTD_createCCtx());
  return cctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, ZstdDCtxDeleter> dctx(ZSTD_createDCtx());
  return dctx.get();
}

// Returns one zstd frame holding `src` and its size, or Internal.
Result<std::string> Compress(std::string_view src, int level) {
  ZSTD_CCtx* cctx = ThreadCCtx();
  if (cctx == nullptr) return Internal("ZSTD_createCCtx failed");
  std::string out(ZSTD_compressBound(src.size()), '\0');
  // ZSTD_compressCCtx writes the content size into the frame header, which
  // the decoder requires.
  const size_t n = ZSTD_compressCCtx(cctx, out.data(), out.size(), src.data(), src.size(), level);
  if (ZSTD_isError(n)) return Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Result<std::string> Decompress(std::string_view src) {
  // Only a single regular zstd frame is valid: no skippable frames, no
  // concatenations whose total size the header does not state.
  if (src.size() < 4 || (static_cast<uint32_t>(static_cast<unsigned char>(src[0])) |
                         static_cast<uint32_t>(static_cast<unsigned char>(src[1])) << 8 |
                         static_cast<uint32_t>(static_cast<unsigned char>(src[2])) << 16 |
                         static_cast<uint32_t>(static_cast<unsigned char>(src[3])) << 24) !=
                            ZSTD_MAGICNUMBER) {
    return InvalidArgument("compressed payload is not a zstd frame");
  }
  const unsigned long long content_size = ZSTD_getFrameContentSize(src.data(), src.size());
  if (content_size == ZSTD_CONTENTSIZE_ERROR) {
    return InvalidArgument("compressed payload has a malformed zstd frame header");
  }
  if (content_size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return InvalidArgument("zstd frame does not state its content size");
  }
  if (content_size > kMaxFramePayloadBytes) {
    return InvalidArgument("zstd frame claims " + std::to_string(content_size) +
                           " bytes, more than the limit of " + std::to_string(kMaxFramePayloadBytes));
  }
  const size_t frame_size = ZSTD_findFrameCompressedSize(src.data(), src.size());
  if (ZSTD_isError(frame_size)) {
    return InvalidArgument(std::string("malformed zstd frame: ") + ZSTD_getErrorName(frame_size));
  }
  if (frame_size != src.size()) return InvalidArgument("trailing bytes after the zstd frame");
  ZSTD_DCtx* dctx = ThreadDCtx();
  if (dctx == nullptr) return Internal("ZSTD_createDCtx failed");
  std::string out(content_size, '\0');
  const size_t n = ZSTD_decompressDCtx(dctx, out.data(), out.size(), src.data(), src.size());
  if (ZSTD_isError(n)) {
    return InvalidArgument(std::string("zstd decompression failed: ") + ZSTD_getErrorName(n));
  }
  if (n != content_size) {
    return InvalidArgument("zstd frame decompressed to " + std::to_string(n) +
                           " bytes but claims " + std::to_string(content_size));
  }
  return out;
}

Status ValidateEnvelope(const pb::Envelope& envelope) {
  if (envelope.version() != kProtocolVersion) {
    return InvalidArgument("unsupported protocol version " + std::to_string(envelope.version()) +
                           " (this replica speaks " + std::to_string(kProtocolVersion) + ")");
  }
  const int kind = envelope.kind();
  if (kind != pb::DELTA && kind != pb::STATE && kind != pb::DIGEST && kind != pb::RESEND) {
    return InvalidArgument("unknown envelope kind " + std::to_string(kind));
  }
  if (kind == pb::DIGEST &&
      static_cast<uint64_t>(envelope.bucket_hashes_size()) != envelope.digest_buckets()) {
    return InvalidArgument("digest claims " + std::to_string(envelope.digest_buckets()) +
                           " buckets but carries " + std::to_string(envelope.bucket_hashes_size()) +
                           " hashes");
  }
  if (kind == pb::RESEND && envelope.resend_ranges_size() % 2 != 0) {
    return InvalidArgument("resend request with an odd number of range bounds");
  }
  return Status::Ok();
}

}  // namespace

namespace wire {

Result<std::string> ComputeFrameMac(std::string_view secret, std::string_view key_id,
                                    bool compressed, std::string_view payload) {
  // Fetching the algorithm is the slow part of EVP_MAC; do it once. The
  // object is immutable after the fetch, so threads may share it.
  static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (hmac == nullptr) return Internal("OpenSSL has no HMAC");
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(hmac),
                                                                  &EVP_MAC_CTX_free);
  if (ctx == nullptr) return Internal("EVP_MAC_CTX_new failed");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  const unsigned char flag = compressed ? 1 : 0;
  std::string mac(kFrameMacBytes, '\0');
  size_t mac_len = 0;
  if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                   params) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(key_id.data()),
                     key_id.size()) != 1 ||
      EVP_MAC_update(ctx.get(), &flag, 1) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(payload.data()),
                     payload.size()) != 1 ||
      EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(mac.data()), &mac_len,
                    mac.size()) != 1 ||
      mac_len != kFrameMacBytes) {
    return Internal("HMAC-SHA256 failed");
  }
  return mac;
}

std::string FrameToText(const pb::Frame& frame) {
  const std::string bytes = frame.SerializeAsString();
  std::string text;
  text.reserve(kFrameTextPrefix.size() + Base64EncodedSize(bytes.size()));
  text.append(kFrameTextPrefix);
  Base64Append(bytes, &text);
  return text;
}

Result<pb::Frame> ParseFrameText(std::string_view text) {
  if (text.size() > FrameTextSizeBound(kMaxFramePayloadBytes)) {
    return InvalidArgument("frame text of " + std::to_string(text.size()) +
                           " bytes is larger than any valid frame");
  }
  if (text.substr(0, kFrameTextPrefix.size()) != kFrameTextPrefix) {
    return InvalidArgument("frame text does not start with \"rs1.\"");
  }
  text.remove_prefix(kFrameTextPrefix.size());
  std::optional<std::string> bytes = Base64Decode(text);
  if (!bytes) return InvalidArgument("frame text is not valid base64");
  pb::Frame frame;
  if (!frame.ParseFromString(*bytes)) return InvalidArgument("frame is not a valid Frame protobuf");
  // A MAC of the wrong length is malformed (e.g. truncated), not forged.
  if (frame.mac().size() != kFrameMacBytes) {
    return InvalidArgument("frame MAC has " + std::to_string(frame.mac().size()) + " bytes, not " +
                           std::to_string(kFrameMacBytes));
  }
  return frame;
}

}  // namespace wire

Result<std::string> EncodeFrame(const pb::Envelope& envelope, const KeyRing& keys,
                                const FrameOptions& options) {
  const SigningKey* key = keys.active();
  if (key == nullptr) return InvalidArgument("key ring has no active key to sign with");
  if (envelope.version() != kProtocolVersion) {
    return InvalidArgument("envelope version " + std::to_string(envelope.version()) +
                           " is not kProtocolVersion");
  }
  RS_RETURN_IF_ERROR(CheckStringsAreUtf8(envelope));
  const size_t size = envelope.ByteSizeLong();
  if (size > kMaxFramePayloadBytes) {
    return ResourceExhausted("envelope of " + std::to_string(size) + " bytes exceeds the limit of " +
                             std::to_string(kMaxFramePayloadBytes) + "; split it");
  }
  pb::Frame frame;
  std::string* payload = frame.mutable_payload();
  if (!envelope.SerializeToString(payload)) return Internal("envelope serialization failed");
  if (payload->size() >= options.compress_threshold_bytes) {
    Result<std::string> compressed = Compress(*payload, options.zstd_level);
    if (!compressed.ok()) return compressed.status();
    if (compressed->size() < payload->size()) {
      *payload = std::move(compressed).value();
      frame.set_compressed(true);
    }
  }
  frame.set_key_id(key->id);
  Result<std::string> mac = wire::ComputeFrameMac(key->secret, key->id, frame.compressed(), *payload);
  if (!mac.ok()) return mac.status();
  frame.set_mac(std::move(mac).value());
  return wire::FrameToText(frame);
}

Result<pb::Envelope> DecodeFrame(std::string_view text, const KeyRing& keys) {
  Result<pb::Frame> parsed = wire::ParseFrameText(text);
  if (!parsed.ok()) return parsed.status();
  const pb::Frame& frame = *parsed;
  const SigningKey* key = keys.Find(frame.key_id());
  if (key == nullptr) {
    return PermissionDenied("frame signed with unknown key id '" + Printable(frame.key_id()) + "'");
  }
  Result<std::string> expected =
      wire::ComputeFrameMac(key->secret, frame.key_id(), frame.compressed(), frame.payload());
  if (!expected.ok()) return expected.status();
  if (CRYPTO_memcmp(expected->data(), frame.mac().data(), kFrameMacBytes) != 0) {
    return PermissionDenied("frame MAC does not match (key id '" + frame.key_id() + "')");
  }
  // Authenticated from here on: only a holder of the key can reach zstd and
  // the envelope parser.
  std::string decompressed;
  std::string_view payload = frame.payload();
  if (frame.compressed()) {
    Result<std::string> d = Decompress(payload);
    if (!d.ok()) return d.status();
    decompressed = std::move(d).value();
    payload = decompressed;
  } else if (payload.size() > kMaxFramePayloadBytes) {
    return InvalidArgument("frame payload is larger than " + std::to_string(kMaxFramePayloadBytes));
  }
  pb::Envelope envelope;
  if (!envelope.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return InvalidArgument("frame payload is not a valid Envelope protobuf");
  }
  RS_RETURN_IF_ERROR(ValidateEnvelope(envelope));
  return envelope;
}

size_t FrameTextSizeBound(size_t payload_bytes) {
  return kFrameTextPrefix.size() + wire::Base64EncodedSize(FrameBytesBound(payload_bytes));
}

size_t MaxPayloadBytesForFrameText(size_t text_bytes) {
  if (text_bytes < kFrameTextPrefix.size()) return 0;
  const size_t frame_budget = (text_bytes - kFrameTextPrefix.size()) / 4 * 3;
  const size_t overhead = FrameBytesBound(0) - 1;  // all but the payload's length varint
  size_t best = 0;
  // A payload whose length varint takes w bytes may be up to
  // min(budget - overhead - w, 2^(7w) - 1) long.
  for (size_t w = 1; w <= 10; ++w) {
    if (frame_budget < overhead + w) break;
    size_t n = frame_budget - overhead - w;
    if (w < 10 && n > (size_t{1} << (7 * w)) - 1) n = (size_t{1} << (7 * w)) - 1;
    if (n > best) best = n;
  }
  return best;
}

}  // namespace regionsync

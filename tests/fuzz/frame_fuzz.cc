// Fuzzes DecodeFrame, the first code to touch bytes from other regions.
//
// Each input is tried twice: as received frame text (exercises the prefix,
// base64, Frame parsing and MAC check), and as a payload signed with the
// ring's key (first byte's low bit = compressed), which reaches zstd and the
// Envelope parser that random text cannot get past the MAC to. Whatever
// decodes must re-encode and decode to the same envelope.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "regionsync/sync/wire/frame.h"
#include "sync/wire/frame_internal.h"

namespace {

using regionsync::DecodeFrame;
using regionsync::EncodeFrame;
using regionsync::KeyRing;
using regionsync::Result;
namespace pb = regionsync::pb;

const KeyRing& Ring() {
  static const KeyRing* ring = [] {
    Result<KeyRing> r = KeyRing::Parse("k1:fuzz-secret-0123456789,k2:other-secret-0123456789");
    if (!r.ok()) std::abort();
    return new KeyRing(std::move(r).value());
  }();
  return *ring;
}

void CheckRoundTrip(const pb::Envelope& envelope) {
  Result<std::string> text = EncodeFrame(envelope, Ring());
  if (!text.ok()) std::abort();
  Result<pb::Envelope> again = DecodeFrame(*text, Ring());
  if (!again.ok()) std::abort();
  if (!google::protobuf::util::MessageDifferencer::Equals(*again, envelope)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in string fields makes protobuf log an error per input.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  Result<pb::Envelope> decoded = DecodeFrame(input, Ring());
  if (decoded.ok()) CheckRoundTrip(*decoded);

  if (size == 0) return 0;
  const bool compressed = (data[0] & 1) != 0;
  const std::string_view payload = input.substr(1);
  const regionsync::SigningKey& key = *Ring().active();
  pb::Frame frame;
  frame.set_key_id(key.id);
  frame.set_compressed(compressed);
  frame.set_payload(std::string(payload));
  Result<std::string> mac =
      regionsync::wire::ComputeFrameMac(key.secret, key.id, compressed, payload);
  if (!mac.ok()) std::abort();
  frame.set_mac(*mac);
  decoded = DecodeFrame(regionsync::wire::FrameToText(frame), Ring());
  if (decoded.ok()) CheckRoundTrip(*decoded);
  return 0;
}

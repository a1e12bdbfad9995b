// The pieces of frame.cc that tests and the fuzz target need to build frames
// EncodeFrame would refuse to make (other versions, hostile zstd payloads,
// wrong MACs). Internal to the wire module.
#pragma once

#include <string>
#include <string_view>

#include "regionsync/common/status.h"
#include "regionsync/proto/envelope.pb.h"

namespace regionsync::wire {

inline constexpr size_t kFrameMacBytes = 32;  // HMAC-SHA256

// HMAC-SHA256(secret, key_id || (compressed ? 0x01 : 0x00) || payload).
// Returns Internal if OpenSSL fails.
Result<std::string> ComputeFrameMac(std::string_view secret, std::string_view key_id,
                                    bool compressed, std::string_view payload);

// "rs1." + base64(frame.SerializeAsString()).
std::string FrameToText(const pb::Frame& frame);

// The first checks of DecodeFrame: size, prefix, base64, Frame protobuf, MAC
// length. Returns InvalidArgument on failure. Verifies nothing.
Result<pb::Frame> ParseFrameText(std::string_view text);

}  // namespace regionsync::wire

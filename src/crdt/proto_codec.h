// Canonical protobuf serialization shared by the CRDT codecs: deterministic
// field and map order, so equal messages give equal bytes.
#pragma once

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>
#include <google/protobuf/message_lite.h>

#include <cstring>
#include <string>
#include <string_view>

namespace regionsync {

namespace proto_codec_internal {
// Writes msg's deterministic encoding, of msg.GetCachedSize() bytes, to `out`.
inline void WriteDeterministic(const google::protobuf::MessageLite& msg, char* out, size_t size) {
  google::protobuf::io::ArrayOutputStream stream(out, static_cast<int>(size));
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  msg.SerializeWithCachedSizes(&coded);
}
}  // namespace proto_codec_internal

inline std::string SerializeDeterministic(const google::protobuf::MessageLite& msg) {
  const size_t size = msg.ByteSizeLong();
  std::string out;
  out.resize(size);
  proto_codec_internal::WriteDeterministic(msg, out.data(), size);
  return out;
}

// True when `msg`, just parsed from `bytes`, holds no unknown fields and
// serializes back to exactly `bytes`. For a message of scalars and bytes
// whose decoder keeps every field as it is (nothing sorted, merged or
// dropped, nested encodings checked by their own codecs), that is the same
// as encode(decode(bytes)) == bytes, without building the state's message
// again. A short encoding is compared on the stack, allocating nothing.
inline bool ReserializesTo(const google::protobuf::Message& msg, std::string_view bytes) {
  if (msg.GetReflection()->GetUnknownFields(msg).field_count() != 0) return false;
  const size_t size = msg.ByteSizeLong();
  if (size != bytes.size()) return false;
  char stack[256];
  std::string heap;
  char* out = stack;
  if (size > sizeof stack) {
    heap.resize(size);
    out = heap.data();
  }
  proto_codec_internal::WriteDeterministic(msg, out, size);
  return std::memcmp(out, bytes.data(), size) == 0;
}

}  // namespace regionsync

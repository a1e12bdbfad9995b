// Canonical protobuf serialization shared by the CRDT codecs: deterministic
// field and map order, so equal messages give equal bytes.
#pragma once

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message_lite.h>

#include <string>

namespace regionsync {

inline std::string SerializeDeterministic(const google::protobuf::MessageLite& msg) {
  std::string out;
  out.reserve(msg.ByteSizeLong());
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    msg.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace regionsync

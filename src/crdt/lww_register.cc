#include "regionsync/crdt/lww_register.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cassert>
#include <limits>
#include <tuple>

#include "regionsync/proto/lww_register.pb.h"
#include "crdt/proto_codec.h"

namespace regionsync {
namespace {

void ToProto(const LwwRegister& r, pb::LwwRegister* out) {
  out->set_timestamp(r.timestamp());
  out->set_writer(r.writer());
  if (r.Value()) out->set_value(*r.Value());
}

}  // namespace

HlcTimestamp LwwRegister::After(HlcTimestamp current, HlcTimestamp clock_now) {
  constexpr HlcTimestamp kMaxTs = std::numeric_limits<HlcTimestamp>::max();
  return current == kMaxTs ? kMaxTs : std::max(clock_now, current + 1);
}

LwwRegister LwwRegister::Assign(ActorId actor, HlcTimestamp clock_now, std::string value) {
  return Write(actor, After(timestamp_, clock_now), std::move(value));
}

LwwRegister LwwRegister::AssignAt(ActorId actor, HlcTimestamp ts, std::string value) {
  return Write(actor, ts, std::move(value));
}

LwwRegister LwwRegister::Clear(ActorId actor, HlcTimestamp clock_now) {
  return Write(actor, After(timestamp_, clock_now), std::nullopt);
}

LwwRegister LwwRegister::Write(ActorId actor, HlcTimestamp ts, std::optional<std::string> value) {
  assert(actor != 0);
  LwwRegister delta;
  delta.timestamp_ = ts;
  delta.writer_ = actor;
  delta.value_ = std::move(value);
  Join(delta);
  return delta;
}

bool LwwRegister::Join(const LwwRegister& other) {
  // std::optional orders nullopt below every value, so an unwritten register
  // (0, 0, nullopt) is the bottom of the order.
  if (std::tie(other.timestamp_, other.writer_, other.value_) <=
      std::tie(timestamp_, writer_, value_)) {
    return false;
  }
  bool changed = value_ != other.value_;
  timestamp_ = other.timestamp_;
  writer_ = other.writer_;
  if (changed) value_ = other.value_;
  return changed;
}

std::string LwwRegister::Encode() const {
  pb::LwwRegister msg;
  ToProto(*this, &msg);
  return SerializeDeterministic(msg);
}

Result<LwwRegister> LwwRegister::Decode(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) return InvalidArgument("lww_register: encoding too large");
  pb::LwwRegister msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("lww_register: malformed protobuf");
  }
  // A writer without a value is a delete; a value without a writer is not a write.
  if (msg.writer() == 0 && (msg.timestamp() != 0 || msg.has_value())) {
    return InvalidArgument("lww_register: a write without a writer");
  }
  // Rejects every other encoding of the same state (unknown fields, repeated
  // fields, out-of-order fields, a zero field present), so that
  // encode(decode(b)) == b: every field becomes the state's as it is.
  if (!ReserializesTo(msg, bytes)) return InvalidArgument("lww_register: non-canonical encoding");
  LwwRegister r;
  r.timestamp_ = msg.timestamp();
  r.writer_ = msg.writer();
  if (msg.has_value()) r.value_ = std::move(*msg.mutable_value());
  return r;
}

std::string LwwRegister::ToJson() const {
  pb::LwwRegister msg;
  ToProto(*this, &msg);
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(msg, &out).ok()) return "{}";
  return out;
}

}  // namespace regionsync

#include "regionsync/crdt/key_state.h"

#include <cassert>
#include <limits>
#include <tuple>

#include "crdt/proto_codec.h"
#include "regionsync/proto/lifetime.pb.h"

namespace regionsync {

Lifetime Lifetime::SetExpiry(ActorId actor, HlcTimestamp clock_now, uint64_t expires_at_millis) {
  assert(actor != 0);
  constexpr HlcTimestamp kMaxTs = std::numeric_limits<HlcTimestamp>::max();
  Lifetime delta;
  delta.incarnation_ = incarnation_;
  delta.timestamp_ = timestamp_ == kMaxTs ? kMaxTs : std::max(clock_now, timestamp_ + 1);
  delta.writer_ = actor;
  delta.expires_at_ = expires_at_millis;
  JoinExpiry(delta);
  return delta;
}

Lifetime Lifetime::Next() const {
  Lifetime next;
  next.incarnation_ = incarnation_ + 1;
  return next;
}

Lifetime Lifetime::SameIncarnation() const {
  Lifetime same;
  same.incarnation_ = incarnation_;
  return same;
}

bool Lifetime::JoinExpiry(const Lifetime& other) {
  assert(other.incarnation_ == incarnation_);
  if (std::tie(other.timestamp_, other.writer_, other.expires_at_) <= std::tie(timestamp_, writer_, expires_at_)) {
    return false;
  }
  bool changed = expires_at_ != other.expires_at_;
  timestamp_ = other.timestamp_;
  writer_ = other.writer_;
  expires_at_ = other.expires_at_;
  return changed;
}

std::string Lifetime::Encode() const {
  if (IsInitial()) return {};
  pb::Lifetime msg;
  msg.set_incarnation(incarnation_);
  msg.set_timestamp(timestamp_);
  msg.set_writer(writer_);
  msg.set_expires_at_millis(expires_at_);
  return SerializeDeterministic(msg);
}

Result<Lifetime> Lifetime::Decode(std::string_view bytes) {
  constexpr size_t kMaxBytes = 64;  // four numbers
  if (bytes.size() > kMaxBytes) return InvalidArgument("lifetime: encoding too large");
  pb::Lifetime msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("lifetime: malformed protobuf");
  }
  if (msg.writer() == 0 && (msg.timestamp() != 0 || msg.expires_at_millis() != 0)) {
    return InvalidArgument("lifetime: an expiry without a writer");
  }
  Lifetime life;
  life.incarnation_ = msg.incarnation();
  life.timestamp_ = msg.timestamp();
  life.writer_ = msg.writer();
  life.expires_at_ = msg.expires_at_millis();
  if (life.Encode() != bytes) return InvalidArgument("lifetime: non-canonical encoding");
  return life;
}

TypedJoin JoinKeyState(AnyCrdt& value, Lifetime& life, const AnyCrdt& delta, const Lifetime& delta_life) {
  const uint64_t have = life.incarnation(), got = delta_life.incarnation();
  if (got < have) return {};
  if (got > have) {
    value = delta;
    life = delta_life;
    return {.changed = true};
  }
  bool expiry_changed = life.JoinExpiry(delta_life);
  TypedJoin j = JoinAnyType(value, delta);
  j.changed = j.changed || expiry_changed;
  return j;
}

}  // namespace regionsync

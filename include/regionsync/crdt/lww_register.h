// LwwRegister: a last-writer-wins register. Each write carries an HLC
// timestamp and the writer's ActorId; of two states the greater
// (timestamp, writer, value bytes) wins, so every replica picks the same
// winner whatever the order of delivery, even for equal timestamps.
//
//   LwwRegister a, b;
//   LwwRegister delta = a.Assign(actor_a, clock.Now(env.WallMillis()), "on");
//   b.Join(delta);  // *b.Value() == "on"
//   clock.Observe(delta.timestamp(), env.WallMillis());  // keep later writes ahead
//
// A delta is a whole register (one write); it is as small as the value.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "regionsync/common/hlc.h"
#include "regionsync/common/replica_id.h"
#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"

namespace regionsync {

class LwwRegister {
 public:
  static constexpr CrdtType kType = pb::LWW_REGISTER;

  // Writes `value` at max(clock_now, timestamp() + 1): a write made after
  // seeing the current value always wins, even when the clock of the earlier
  // writer ran fast. (Only at timestamp() == UINT64_MAX, where no later time
  // exists, does the tie-break decide.) Returns the delta.
  // REQUIRES: actor != 0.
  LwwRegister Assign(ActorId actor, HlcTimestamp clock_now, std::string value);

  // Writes at exactly `ts` (client-supplied timestamp). The write is joined
  // like a remote one, so it loses locally if the current state is greater;
  // the returned delta is the write itself either way.
  // REQUIRES: actor != 0.
  LwwRegister AssignAt(ActorId actor, HlcTimestamp ts, std::string value);

  // Deletes the value: a write of "no value", stamped like Assign, so
  // deletes and assignments race by last-writer-wins. Returns the delta.
  // REQUIRES: actor != 0.
  LwwRegister Clear(ActorId actor, HlcTimestamp clock_now);

  // nullopt = never written, or deleted.
  const std::optional<std::string>& Value() const { return value_; }
  // 0 when never written.
  HlcTimestamp timestamp() const { return timestamp_; }
  // 0 when never written.
  ActorId writer() const { return writer_; }

  // The greater (timestamp, writer, value bytes) wins. Returns true iff
  // Value() changed (a newer write of the same value returns false).
  bool Join(const LwwRegister& other);

  // Canonical bytes of pb::LwwRegister (see proto/lww_register.proto).
  std::string Encode() const;
  // InvalidArgument for malformed, truncated, oversized or non-canonical input.
  static Result<LwwRegister> Decode(std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);
  std::string ToJson() const;

  bool operator==(const LwwRegister&) const = default;

 private:
  LwwRegister Write(ActorId actor, HlcTimestamp ts, std::optional<std::string> value);
  static HlcTimestamp After(HlcTimestamp current, HlcTimestamp clock_now);

  // Invariant: writer_ == 0 (never written) implies !value_ and
  // timestamp_ == 0. A written register without a value was deleted.
  HlcTimestamp timestamp_ = 0;
  ActorId writer_ = 0;
  std::optional<std::string> value_;
};

static_assert(Crdt<LwwRegister>);

}  // namespace regionsync

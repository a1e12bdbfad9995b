// Lifetime: the part of a key's CRDT state that says when its value ends.
//
// A key's value lives in an incarnation (0 at first). Its expiry is a
// last-writer-wins register: EXPIRE writes an absolute wall time, PERSIST
// writes "never", each stamped with the writer's HLC after the expiry it
// saw, so a causally later EXPIRE or PERSIST wins over what it saw and two
// concurrent ones resolve by the greater (timestamp, writer, time) in every
// region. Once a region's wall clock passes the expiry, the incarnation's
// value reads as absent there; the next write starts incarnation + 1 from
// the empty value (`INCR` after expiry returns 1), and in every join the
// greater incarnation replaces the lesser whole, so a late delta of an
// expired incarnation never brings its contents back.
//
// A map's field has a lifetime of its own (OrMap::SetFieldExpiry: the Redis
// hash's HEXPIRE), with the same rules. KeyState (key_state.h) pairs a key's
// value with its lifetime.
//
//   Lifetime life;
//   Lifetime delta = life.SetExpiry(actor, clock.Now(wall), wall + 30'000);
//   life.ExpiredAt(wall + 30'000);   // true
//   Lifetime next = life.Next();     // incarnation 1, no expiry
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "regionsync/common/hlc.h"
#include "regionsync/common/replica_id.h"
#include "regionsync/common/status.h"

namespace regionsync {

class Lifetime {
 public:
  uint64_t incarnation() const { return incarnation_; }
  // 0: the value does not expire.
  uint64_t expires_at_millis() const { return expires_at_; }
  HlcTimestamp timestamp() const { return timestamp_; }
  bool ExpiredAt(uint64_t now_millis) const { return expires_at_ != 0 && now_millis >= expires_at_; }

  // Writes the expiry (0: never expires) after the one this state holds,
  // and returns the delta: the same incarnation with only this write.
  // REQUIRES: actor != 0.
  Lifetime SetExpiry(ActorId actor, HlcTimestamp clock_now, uint64_t expires_at_millis);
  // The lifetime a write after expiry starts: the next incarnation, no expiry.
  Lifetime Next() const;
  // The same incarnation with no expiry write: what a delta that does not
  // touch the expiry carries.
  Lifetime SameIncarnation() const;

  // Joins `other` of the same incarnation (the expiry register); returns
  // true iff expires_at_millis changed. A greater incarnation is
  // JoinKeyState's business. REQUIRES: other.incarnation() == incarnation().
  bool JoinExpiry(const Lifetime& other);

  // True for incarnation 0 with the expiry never written (the empty encoding).
  bool IsInitial() const { return incarnation_ == 0 && writer_ == 0; }

  // Canonical bytes of pb::Lifetime; empty for the initial lifetime.
  std::string Encode() const;
  // InvalidArgument for malformed or non-canonical input.
  static Result<Lifetime> Decode(std::string_view bytes);

  bool operator==(const Lifetime&) const = default;

 private:
  uint64_t incarnation_ = 0;
  HlcTimestamp timestamp_ = 0;
  ActorId writer_ = 0;
  uint64_t expires_at_ = 0;
};

}  // namespace regionsync

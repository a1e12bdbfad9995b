// RedisString: the Redis string type, one CRDT that is both a register and a
// counter, as Redis users expect (`SET n 10` then `INCR n` reads 11).
//
// State: a last-writer-wins base value (what SET wrote), the greatest base
// version a delete observed ("hidden"), and a PnCounter of increments with
// observed resets. Rules under concurrency (docs/crdts.md):
//   - SET writes a new base and resets the counter contributions it observed;
//     increments it did not observe survive and add to the new base.
//   - INCRBY adds to the counter; concurrent increments add up.
//   - DEL hides the base version it observed and resets the counter it
//     observed; a concurrent SET (another base version) or INCRBY survives.
//   - Two SETs race by last-writer-wins (timestamp, writer, bytes).
// Read: the base when it is not hidden, plus the counter when the base is an
// integer (or absent); a base that is not an integer reads as itself.
//
//   RedisString a, b;
//   b.Join(a.Set(actor_a, now, "10"));
//   b.Join(b.Increment(actor_b, 1));    // *b.Value() == "11"
//   RedisString del = a.Delete();       // a.Value() == nullopt
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "regionsync/common/boxed.h"
#include "regionsync/common/hlc.h"
#include "regionsync/common/replica_id.h"
#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"
#include "regionsync/crdt/lww_register.h"
#include "regionsync/crdt/pn_counter.h"

namespace regionsync {

class RedisString {
 public:
  static constexpr CrdtType kType = pb::STRING;

  // A string holding an existing register's or counter's state unchanged:
  // how keys stored as lww_register / pn_counter join the string type. Both
  // are join homomorphisms: FromX(a) joined with FromX(b) == FromX(a ⊔ b).
  static RedisString FromRegister(LwwRegister base);
  static RedisString FromCounter(PnCounter counter);

  // SET: a new base at a time after everything this state holds (also after
  // a hidden version, so a SET made after a DEL is never hidden by it), and
  // an observed reset of the counter. Returns the delta. REQUIRES: actor != 0.
  RedisString Set(ActorId actor, HlcTimestamp clock_now, std::string value);
  // SET with a client timestamp, joined like a remote write (it may lose).
  RedisString SetAt(ActorId actor, HlcTimestamp ts, std::string value);
  // INCRBY / DECRBY: a counter contribution. The caller checks that the value
  // is an integer and that the result does not overflow (IntegerValue()).
  // REQUIRES: actor != 0.
  RedisString Increment(ActorId actor, int64_t by);
  // DEL: hides the observed base version and resets the observed counter.
  // Afterwards Value() is nullopt. Returns the delta.
  RedisString Delete();

  // The value as Redis shows it; nullopt when the key does not exist.
  std::optional<std::string> Value() const;
  // The value as an integer: 0 when absent; nullopt when the base is not an
  // integer in Redis's strict format. Base + counter is clamped to the int64
  // range (reachable only by concurrent increments; INCRBY checks first).
  std::optional<int64_t> IntegerValue() const;
  bool HasValue() const { return VisibleBase() != nullptr || (counter_ && counter_->HasLive()); }
  // True when a SET's base is visible (not hidden by a delete).
  bool HasBase() const { return VisibleBase() != nullptr; }

  // Joins the three parts. Returns true iff Value() changed.
  bool Join(const RedisString& other);

  // Canonical bytes of pb::RedisString (see proto/redis_string.proto).
  std::string Encode() const;
  // InvalidArgument for malformed, truncated, oversized or non-canonical input.
  static Result<RedisString> Decode(std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);
  std::string ToJson() const;

  const LwwRegister& base() const { return base_; }
  const PnCounter& counter() const;
  HlcTimestamp hidden_timestamp() const { return hidden_.get().first; }
  ActorId hidden_writer() const { return hidden_.get().second; }

  bool operator==(const RedisString& other) const;

 private:
  // The base value if it exists and is not hidden, else nullptr.
  const std::string* VisibleBase() const;
  PnCounter& MutableCounter();
  // `counter` boxed; an empty box when it is empty.
  static Boxed<PnCounter> Box(PnCounter counter);
  // The delta of an observed reset of the counter.
  Boxed<PnCounter> ResetCounter();
  using Version = std::pair<HlcTimestamp, ActorId>;

  LwwRegister base_;
  // The version up to which the base is hidden: (0, 0) when nothing is.
  // Boxed, as the counter: only strings deleted while they held a value
  // have one (the keyspace holds an AnyCrdt per key, as big as its
  // biggest type).
  BoxedUnlessDefault<Version> hidden_;
  // The counter, boxed: a string that was only ever SET (most of them)
  // costs a pointer for it. Empty: the empty counter.
  Boxed<PnCounter> counter_;
};

static_assert(Crdt<RedisString>);

// Redis's strict integer syntax (string2ll): optional '-', no leading zeros,
// no '+', no spaces, within int64. nullopt otherwise.
std::optional<int64_t> ParseRedisInteger(std::string_view s);

}  // namespace regionsync

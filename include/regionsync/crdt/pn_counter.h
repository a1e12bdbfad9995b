// PnCounter: a counter that goes up and down, as two grow-only counters:
// P (increments) and N (decrements); Value() = P - N. Each replica has its
// own slot in each; Join joins P with P and N with N.
//
//   PnCounter a, b;
//   b.Join(a.Increment(actor_a, 5));
//   b.Join(a.Decrement(actor_a, 2));  // b.Value() == 3
//
// Range: P and N each saturate at UINT64_MAX (see g_counter.h), and Value()
// is P - N computed without overflow and clamped to [INT64_MIN, INT64_MAX].
// Past either limit the value is approximate but still the same on every
// replica that saw the same updates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "regionsync/common/replica_id.h"
#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"
#include "regionsync/crdt/g_counter.h"

namespace regionsync {

class PnCounter {
 public:
  static constexpr CrdtType kType = pb::PN_COUNTER;

  // Adds n to the counter; returns the delta (only `actor`'s P slot).
  // REQUIRES: actor != 0.
  PnCounter Increment(ActorId actor, uint64_t n = 1);
  // Subtracts n from the counter; returns the delta (only `actor`'s N slot).
  // REQUIRES: actor != 0.
  PnCounter Decrement(ActorId actor, uint64_t n = 1);

  // P - N, clamped to the int64 range. O(1).
  int64_t Value() const;

  // Joins P and N separately. Returns true iff Value() changed (an increment
  // and a decrement that cancel out in one join return false).
  bool Join(const PnCounter& other);

  // Canonical bytes of pb::PnCounter (see proto/counters.proto).
  std::string Encode() const;
  // InvalidArgument for malformed, truncated, oversized or non-canonical input.
  static Result<PnCounter> Decode(std::string_view bytes);
  std::string ToJson() const;

  const GCounter& increments() const { return p_; }
  const GCounter& decrements() const { return n_; }

  bool operator==(const PnCounter&) const = default;

 private:
  GCounter p_;
  GCounter n_;
};

static_assert(Crdt<PnCounter>);

}  // namespace regionsync

// GCounter: a grow-only counter. One slot per replica (ActorId), never per
// region; a replica only ever raises its own slot, and Join takes the
// per-slot maximum, so replicas that saw the same increments agree whatever
// the order or duplication of delivery.
//
//   GCounter a, b;
//   GCounter delta = a.Increment(actor_a, 10);  // a.Value() == 10
//   b.Join(delta);                              // b.Value() == 10, returns true
//   b.Join(delta);                              // duplicate: returns false
//
// Saturation: a slot that would pass UINT64_MAX stays at UINT64_MAX, and
// Value() (the sum of slots) saturates at UINT64_MAX. Both are still joins:
// max and saturating sums are monotone, so replicas keep converging.
//
// Storage: slots sorted by actor, with the first slot held inline, so a
// one-slot delta (what Increment returns) never touches the heap.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "regionsync/common/boxed.h"
#include "regionsync/common/replica_id.h"
#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"

namespace regionsync {
namespace pb {
class GCounter;
}

class GCounter {
 public:
  static constexpr CrdtType kType = pb::G_COUNTER;

  struct SlotEntry {
    ActorId actor;
    uint64_t count;
    bool operator==(const SlotEntry&) const = default;
  };

  GCounter() = default;
  GCounter(const GCounter&) = default;
  GCounter& operator=(const GCounter&) = default;
  // A moved-from counter is empty.
  GCounter(GCounter&& other) noexcept;
  GCounter& operator=(GCounter&& other) noexcept;

  // Adds n to `actor`'s slot (saturating) and returns the delta: a counter
  // holding only that slot (empty if the slot is still 0, i.e. n == 0 on a
  // fresh slot). REQUIRES: actor != 0.
  GCounter Increment(ActorId actor, uint64_t n = 1);

  // Sum of all slots, saturating at UINT64_MAX. O(1).
  uint64_t Value() const { return value_; }
  // `actor`'s slot, 0 if it has none.
  uint64_t Slot(ActorId actor) const;

  // Per-slot maximum. Returns true iff Value() changed (so false for a
  // duplicate, and false once Value() has saturated).
  bool Join(const GCounter& other);

  // Canonical bytes of pb::GCounter (see proto/counters.proto).
  std::string Encode() const;
  // InvalidArgument for malformed, truncated, oversized or non-canonical
  // input (unsorted, duplicate or zero actors, zero counts, unknown fields).
  static Result<GCounter> Decode(std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);
  std::string ToJson() const;

  // For types that embed a G-Counter in their own message (PnCounter).
  void ToProto(pb::GCounter* out) const;
  // Validates canonical slot order and values; does not check byte-level
  // canonical form (Decode does, on the whole message).
  static Result<GCounter> FromProto(const pb::GCounter& in);

  // Slots in ascending actor order, all counts non-zero.
  const SlotEntry* begin() const { return heap_ ? heap_->data() : &inline_; }
  const SlotEntry* end() const { return begin() + size(); }
  size_t size() const { return heap_ ? heap_->size() : (inline_.actor != 0 ? 1 : 0); }
  bool empty() const { return size() == 0; }

  bool operator==(const GCounter& other) const;

 private:
  SlotEntry* mutable_begin() { return heap_ ? heap_->data() : &inline_; }
  // Inserts a new slot at position `pos` of the sorted order.
  void InsertAt(size_t pos, SlotEntry entry);
  void AddToValue(uint64_t n);

  // Invariant: if heap_ is null, the counter has 0 slots (inline_.actor == 0)
  // or 1 slot (inline_); otherwise heap_ holds all >= 2 slots and inline_ is
  // {0, 0}. Slots ascend by actor; counts are non-zero.
  Boxed<std::vector<SlotEntry>> heap_;  // boxed: most counters have one slot
  SlotEntry inline_{0, 0};
  uint64_t value_ = 0;  // saturating sum of the slots, kept up to date
};

static_assert(Crdt<GCounter>);

}  // namespace regionsync

// PnCounter: a counter that goes up and down, as two grow-only counters:
// P (increments) and N (decrements), plus an observed reset: RP and RN hold,
// per actor, the largest P and N count a delete saw. Each replica has its own
// slot in each; Join joins the four slot-wise (maximum).
//
// Value() = sum over actors of live(P) - live(N), where live(P) of an actor
// is P - RP (0 when the reset is ahead, i.e. it arrived before the
// increments it saw). A reset therefore cancels exactly the contributions it
// observed: two replicas deleting the same observed 5 read 0, not -5, and
// increments a delete did not see survive it.
//
//   PnCounter a, b;
//   b.Join(a.Increment(actor_a, 5));
//   b.Join(a.Decrement(actor_a, 2));  // b.Value() == 3
//   PnCounter d1 = b.Reset(), d2 = a.Reset();  // concurrent deletes
//   a.Join(d1);  b.Join(d2);          // both read 0, HasLive() is false
//
// Range: every side saturates at UINT64_MAX (see g_counter.h), and Value()
// is live(P) - live(N) computed without overflow and clamped to
// [INT64_MIN, INT64_MAX]. Past either limit the value is approximate but
// still the same on every replica that saw the same updates.
#pragma once

#include <cstdint>
#include <memory>
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

  // Whether `actor` can add `by` (negative: subtract) without its slot
  // saturating. A slot counts everything the actor ever added (or
  // subtracted) to this counter, cancelled contributions included, so over
  // a key's life one actor's increments, and its decrements, may each total
  // at most UINT64_MAX. Writers check this before acknowledging: past it
  // part of the write would be lost. O(actors).
  bool CanAdd(ActorId actor, int64_t by) const;

  // Observed reset: cancels every contribution this state holds, and returns
  // the delta (the reset sides only, one slot per actor seen). Afterwards
  // Value() == 0 and HasLive() is false.
  PnCounter Reset();

  // live(P) - live(N), clamped to the int64 range. O(1).
  int64_t Value() const;
  // True while some contribution is not cancelled by a reset (even when
  // they add up to 0: INCR then DECR leaves a key that reads 0). O(1).
  bool HasLive() const { return LiveP() != 0 || LiveN() != 0; }

  // Joins the four sides slot-wise. Returns true iff Value() or HasLive()
  // changed (an increment and a decrement that cancel out in one join, on a
  // counter that already had live contributions, return false).
  bool Join(const PnCounter& other);

  // Canonical bytes of pb::PnCounter (see proto/counters.proto).
  std::string Encode() const;
  // InvalidArgument for malformed, truncated, oversized or non-canonical input.
  static Result<PnCounter> Decode(std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);
  std::string ToJson() const;

  const GCounter& increments() const { return p_; }
  const GCounter& decrements() const { return n_; }
  const GCounter& reset_increments() const;
  const GCounter& reset_decrements() const;

  PnCounter() = default;
  PnCounter(const PnCounter& other);
  PnCounter& operator=(const PnCounter& other);
  PnCounter(PnCounter&&) noexcept = default;
  PnCounter& operator=(PnCounter&&) noexcept = default;

  bool operator==(const PnCounter& o) const {
    return p_ == o.p_ && n_ == o.n_ && reset_increments() == o.reset_increments() &&
           reset_decrements() == o.reset_decrements();
  }

 private:
  // The reset sides and the live sums they imply. Most counters are never
  // deleted: they keep a null pointer here and stay as small as before
  // resets existed (the keyspace holds one per key).
  struct Resets {
    GCounter rp;
    GCounter rn;
    uint64_t live_p = 0;  // Live(p_, rp), kept up to date
    uint64_t live_n = 0;  // Live(n_, rn)
  };
  // Sum over actors of side - reset, each term at least 0, saturating.
  static uint64_t Live(const GCounter& side, const GCounter& reset);
  static GCounter Raise(GCounter& side, const GCounter& reset, uint64_t& live, ActorId actor, uint64_t n);
  uint64_t LiveP() const { return resets_ ? resets_->live_p : p_.Value(); }
  uint64_t LiveN() const { return resets_ ? resets_->live_n : n_.Value(); }
  Resets& MutableResets();
  void Recount() {
    if (!resets_) return;
    resets_->live_p = Live(p_, resets_->rp);
    resets_->live_n = Live(n_, resets_->rn);
  }

  GCounter p_;
  GCounter n_;
  std::unique_ptr<Resets> resets_;  // null: no reset seen
};

static_assert(Crdt<PnCounter>);

}  // namespace regionsync

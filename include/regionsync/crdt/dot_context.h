// DotContext: the causal context of one CRDT state, the set of dots it has
// seen. Stored per actor as sorted, disjoint closed intervals, so a full
// history [1, n] is one interval and a delta's few dots are a few intervals:
// size follows the shape of the history, not its length. Never expands an
// interval into dots.
//
//   DotContext ctx;
//   Dot d = ctx.Next(actor);   // (actor, max + 1); not yet inserted
//   ctx.Insert(d);
//   ctx.Contains(d);           // true
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "regionsync/common/status.h"
#include "regionsync/crdt/dot.h"

namespace regionsync {
namespace pb {
class DotContext;
}

class DotContext {
 public:
  struct Interval {
    uint64_t first;
    uint64_t last;  // inclusive
    bool operator==(const Interval&) const = default;
  };
  struct ActorIntervals {
    ActorId actor;
    std::vector<Interval> intervals;  // ascending, disjoint, non-adjacent
    bool operator==(const ActorIntervals&) const = default;
  };

  bool Contains(const Dot& dot) const;
  // Idempotent. REQUIRES: dot.actor != 0, dot.counter >= 1.
  void Insert(const Dot& dot) { InsertRange(dot.actor, dot.counter, dot.counter); }
  // Inserts every counter in [first, last]. REQUIRES: 1 <= first <= last.
  void InsertRange(ActorId actor, uint64_t first, uint64_t last);
  void Join(const DotContext& other);
  // True if every dot of `other` is in this context.
  bool Includes(const DotContext& other) const;

  // Highest counter seen for `actor`, 0 if none.
  uint64_t MaxCounter(ActorId actor) const;
  // The next dot `actor` would create here: (actor, MaxCounter + 1).
  Dot Next(ActorId actor) const { return Dot{actor, MaxCounter(actor) + 1}; }

  bool empty() const { return actors_.empty(); }
  size_t actor_count() const { return actors_.size(); }
  size_t interval_count() const;
  // Number of dots, saturating at UINT64_MAX.
  uint64_t DotCount() const;
  const std::vector<ActorIntervals>& actors() const { return actors_; }

  bool operator==(const DotContext&) const = default;

  // Canonical protobuf form (see proto/dot_context.proto).
  void ToProto(pb::DotContext* out) const;
  // Validates canonical form; InvalidArgument on anything else.
  static Result<DotContext> FromProto(const pb::DotContext& in);

 private:
  const ActorIntervals* Find(ActorId actor) const;
  std::vector<ActorIntervals> actors_;  // ascending by actor
};

}  // namespace regionsync

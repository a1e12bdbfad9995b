// Internal to the simulator: what the acknowledged writes say each checked
// key must hold. Every rule is stated per operation, with what its replica
// had seen of the key when it wrote (its context, its observed counter
// slots), not from message order: a replica that got a later delta of a key
// without an earlier one has not seen the earlier one. So the model is an
// independent statement of the contract, not a second copy of the joins.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "regionsync/common/hlc.h"
#include "regionsync/crdt/any_crdt.h"
#include "regionsync/crdt/dot_context.h"

namespace regionsync::sim {

struct Write {
  HlcTimestamp ts = 0;
  ActorId actor = 0;
  std::optional<std::string> value;  // nullopt: a delete of an LWW register
  auto operator<=>(const Write&) const = default;
};

// Counter contributions and the observed resets (DEL, FLUSHDB, SET on a
// string) that cancel them. An increment counts unless some reset observed
// its actor's slot at or past the slot value the increment produced.
struct CounterOps {
  struct Op {
    ActorId actor;
    bool negative;
    uint64_t slot_after;
    int64_t amount;
  };
  struct Reset {
    std::map<ActorId, uint64_t> p, n;
  };
  std::vector<Op> ops;
  std::vector<Reset> resets;

  // The op that `delta` (Increment's) records, of `amount` (negative: N side).
  void AddIncrement(const PnCounter& after, ActorId actor, int64_t amount);
  // A reset that observed `before`.
  void AddReset(const PnCounter& before);
  int64_t Expected() const;
  bool AnyLive() const;
};

// A Redis string: SETs race by LWW, a DEL hides the base version it saw,
// and both reset the counter contributions they saw.
struct StringOps {
  std::optional<Write> base;
  std::pair<HlcTimestamp, ActorId> hidden{0, 0};
  CounterOps counter;
  std::optional<std::string> Expected() const;
};

struct SetOps {
  struct Add {
    std::string element;
    Dot dot;
    DotContext seen;
  };
  std::vector<Add> adds;
  std::vector<std::pair<std::string, DotContext>> removes;
  // Add-wins with observed remove: an add survives unless a remove of its
  // element, or a later add of its element (which replaces the dots it saw),
  // was made by a replica that had seen it.
  std::vector<std::string> Expected() const;
};

// A sorted set's membership (scores are checked by convergence and, for
// ZINCRBY, by its answer): ZADD replaces every dot of the member it saw,
// ZINCRBY only its own actor's counter dots it saw, ZREM and DEL remove the
// dots they saw. A member is present iff one of its writes' dots survives.
struct SortedSetOps {
  struct Write {
    std::string member;
    Dot dot;
    DotContext seen;
    bool increment;  // ZINCRBY (a counter dot), else ZADD
  };
  std::vector<Write> writes;
  std::vector<std::pair<std::string, DotContext>> removes;
  std::vector<std::string> Expected() const;  // sorted
};

struct WorkloadModel {
  std::map<std::string, int64_t> grow_only;
  std::map<std::string, CounterOps> counters;
  std::map<std::string, Write> registers;
  std::map<std::string, StringOps> strings;
  std::map<std::string, SetOps> sets;
  std::map<std::string, SortedSetOps> sorted_sets;

  // "" when `state` (node 0's, after convergence) matches every model;
  // otherwise one sentence per mismatch.
  std::string Check(const std::map<std::string, const AnyCrdt*>& state) const;
};

}  // namespace regionsync::sim

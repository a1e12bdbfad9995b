// Private: the state behind SortedSet (sorted_set.h). Shared by
// sorted_set.cc (mutators, reads, join), sorted_set_codec.cc and
// sorted_set_split.cc.
//
// Three structures, kept in step by every mutation and join:
//   - members: member bytes -> its dot store and its cached read score;
//   - order: an order-statistics tree of (score, member) for rank queries;
//   - dots: every live dot -> its member, so a delta's removals find their
//     members without a scan.
// Order keys and dot index values point into the members' nodes, which an
// unordered_map never moves.
#pragma once

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "regionsync/common/hlc.h"
#include "regionsync/crdt/dot.h"
#include "regionsync/crdt/dot_context.h"
#include "regionsync/crdt/dot_fun.h"
#include "regionsync/crdt/removal_notes.h"
#include "regionsync/crdt/sorted_set.h"

namespace regionsync {
namespace sorted_set_internal {

// One dot's payload: a register write (ZADD) or a counter total (ZINCRBY).
struct Payload {
  bool counter = false;  // a counter dot: `value` is the actor's running total
  HlcTimestamp ts = 0;   // register dots only
  double value = 0;      // register: the score; never NaN, never -0.0
  // DotFun::Join keeps the greater payload when two stores disagree on one
  // dot (invalid histories only); with no NaN this is a total order.
  auto operator<=>(const Payload&) const = default;
};
using Store = DotFun<Payload>;

struct Member {
  Store dots;              // never empty once a mutation or join is done
  double score = 0;        // the read score of `dots` while `indexed`
  bool indexed = false;    // (score, member) is in the order index
  bool touched = false;    // listed for a Refresh by the join in progress
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
};
using Members = std::unordered_map<std::string, Member, StringHash, std::equal_to<>>;
using Node = Members::value_type;

struct OrderKey {
  double score;
  std::string_view member;
};
struct OrderLess {
  bool operator()(const OrderKey& a, const OrderKey& b) const {
    if (a.score != b.score) return a.score < b.score;
    return a.member < b.member;
  }
};
using OrderIndex = __gnu_pbds::tree<OrderKey, __gnu_pbds::null_type, OrderLess, __gnu_pbds::rb_tree_tag,
                                    __gnu_pbds::tree_order_statistics_node_update>;

// +0.0 for either zero, so equal scores have one encoding and one order.
inline double Canonical(double v) { return v == 0 ? 0.0 : v; }

// The read rule of sorted_set.h: the winning register (greatest (ts,
// writer, score bits)) or 0, plus the counter totals summed in dot order;
// NaN reads as 0. REQUIRES: !dots.empty().
double ReadScore(const Store& dots);

}  // namespace sorted_set_internal

struct SortedSet::Impl {
  using Store = sorted_set_internal::Store;
  using Node = sorted_set_internal::Node;
  using Payload = sorted_set_internal::Payload;

  Impl() = default;
  // The state behind a SortedSet: a set never mutated (or moved from) has
  // none and reads as the shared empty one; Mutable gives it one.
  static const Impl& Of(const std::unique_ptr<Impl>& impl);
  static Impl& Mutable(std::unique_ptr<Impl>& impl);
  // Copies members, context and notes; rebuilds the indexes for the copy.
  Impl(const Impl& other);
  Impl& operator=(const Impl&) = delete;

  Node* Find(std::string_view member);
  const Node* Find(std::string_view member) const;
  // The member's node, created (not yet indexed, no dots) if absent.
  Node& NodeFor(std::string_view member);
  // Adds a dot to the member's store and the dot index (not the context).
  void InsertDot(Node& node, const Dot& dot, Payload payload);
  // Recomputes the member's score and its place in the order index; erases
  // the member if it holds no dot. Returns true iff what a reader sees of it
  // (presence, score) changed. `node` is invalid afterwards if erased.
  bool Refresh(Node& node);
  // Removes the dots of `node` matching `pred` and records them as removed
  // in the delta `d` (its context and its notes). Does not Refresh.
  template <typename Pred>
  void RemoveDots(Impl& d, Node& node, Pred pred);
  // Adds a new dot of `actor` carrying `payload` to `member`, here and in
  // the delta `d`, and refreshes both.
  void AddDot(Impl& d, ActorId actor, std::string_view member, const Payload& payload);
  // Entries whose member is below `value` (at or below it if `at_or_below`).
  size_t LexPrefix(std::string_view value, bool at_or_below) const;
  // Builds `order` and `dots` from `members` (after a copy or a decode).
  // Returns false if one dot is under two members.
  bool RebuildIndexes();
  // The number of entries for which `before(key)` holds, for a `before`
  // that holds for a prefix of the order (a deterministic descent
  // otherwise). O(log n).
  template <typename Before>
  size_t CountPrefix(Before&& before) const {
    size_t rank = 0;
    auto it = order.node_begin();
    const auto end = order.node_end();
    while (it != end) {
      auto left = it.get_l_child();
      if (before(**it)) {
        rank += (left == end ? 0 : left.get_metadata()) + 1;
        it = it.get_r_child();
      } else {
        it = left;
      }
    }
    return rank;
  }

  DotContext context;
  sorted_set_internal::Members members;
  sorted_set_internal::OrderIndex order;
  std::unordered_map<Dot, Node*, DotHash> dots;
  // In a delta made by the mutators: each member's removed dots, for
  // SplitDelta (never encoded or compared).
  RemovalNotes<std::string> removed;
};

}  // namespace regionsync

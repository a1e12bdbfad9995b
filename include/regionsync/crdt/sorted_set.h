// SortedSet: the Redis sorted set as a delta-state CRDT (Redis Active-Active's
// rules). Each member holds dots under the set's one DotContext:
//   - membership is add-wins observed-remove: a member is present iff it
//     holds a dot, and ZREM removes only the dots it observed, so a
//     concurrent ZADD or ZINCRBY keeps the member;
//   - a score set by ZADD (Assign) is a register dot: last-writer-wins by
//     (timestamp, writer, score bits), and an Assign removes every dot of the
//     member it saw (an observed reset of earlier increments too);
//   - ZINCRBY contributions (Increment) are counter dots, one per actor,
//     carrying that actor's running total; concurrent increments add up.
// A member's score reads as its winning register score (0 without one) plus
// the sum of its counter totals, summed in dot order so every replica gets
// the same double. A sum that is NaN (only concurrent +inf and -inf
// contributions make one) reads as 0.
//
//   SortedSet a, b;
//   b.Join(a.Assign(actor_a, "alice", ts, 10));
//   SortedSet x = a.Increment(actor_a, "alice", 5);   // concurrent with:
//   SortedSet y = b.Increment(actor_b, "alice", 2);
//   a.Join(y); b.Join(x);                            // both: Score("alice") == 17
//
// Order: entries rank by (score, member bytes) ascending, as Redis orders a
// sorted set. An order-statistics tree indexes them, so rank and range
// queries cost O(log n) plus the entries visited; a member -> entry map
// answers Score and Contains in O(1). Mutators and joining a delta cost
// O(delta * log n), never a scan of the set.
// Not thread-safe; one state per key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "regionsync/common/hlc.h"
#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"
#include "regionsync/crdt/dot_context.h"

namespace regionsync {

// One end of a score range (ZRANGEBYSCORE's "(1.5", "-inf").
struct ScoreBound {
  double value = 0;
  bool exclusive = false;
};

// One end of a lex range (ZRANGEBYLEX's "-", "+", "[a", "(a").
struct LexBound {
  enum class Kind : uint8_t { kMinusInfinity, kPlusInfinity, kInclusive, kExclusive };
  Kind kind = Kind::kMinusInfinity;
  std::string value;  // kInclusive / kExclusive only
};

class SortedSet {
 public:
  static constexpr CrdtType kType = pb::SORTED_SET;

  SortedSet();
  ~SortedSet();
  SortedSet(const SortedSet& other);
  SortedSet& operator=(const SortedSet& other);
  SortedSet(SortedSet&& other) noexcept;
  SortedSet& operator=(SortedSet&& other) noexcept;

  // ---- Mutators: apply to this set and return the delta. REQUIRES actor != 0
  // and, for scores, !isnan (the caller refuses NaN with Redis's error).

  // ZADD: the member's score becomes `score`. Removes every dot of the
  // member this set holds and adds one register dot stamped
  // max(ts, greatest register timestamp of the member + 1), so a write that
  // saw another wins over it whatever the clocks say.
  SortedSet Assign(ActorId actor, std::string_view member, HlcTimestamp ts, double score);
  // ZINCRBY: the actor's own counter dot of the member (if any) is replaced
  // by one carrying its running total + by; other dots stay. Creates the
  // member (score `by`) if absent. The caller checks that Score() + by is
  // not NaN first.
  SortedSet Increment(ActorId actor, std::string_view member, double by);
  // ZREM: observed remove of the member; an empty delta if absent.
  SortedSet Remove(std::string_view member);
  // DEL / observed remove of every member.
  SortedSet Clear();

  // ---- Reads.
  size_t size() const;
  bool Contains(std::string_view member) const;
  // nullopt if absent.
  std::optional<double> Score(std::string_view member) const;
  // 0-based ascending rank; nullopt if absent. O(log n).
  std::optional<size_t> Rank(std::string_view member) const;

  // An entry as a reader sees it. The view is valid until the next mutation
  // or join of this set.
  struct Entry {
    std::string_view member;
    double score;
  };
  // The entry at ascending rank `rank`. REQUIRES rank < size(). O(log n).
  Entry At(size_t rank) const;
  // Ascending rank of the first entry at or above `min` (above when
  // exclusive); size() if none. O(log n).
  size_t LowerRank(const ScoreBound& min) const;
  // Ascending rank one past the last entry at or below `max` (below when
  // exclusive); 0 if none. O(log n). Entries in [min, max]: ranks
  // [LowerRank(min), UpperRank(max)) when that is not empty.
  size_t UpperRank(const ScoreBound& max) const;
  // The same for lex ranges, which (as in Redis) assume every member has
  // the same score; with mixed scores the answer is a deterministic binary
  // search over the (score, member) order, as Redis's is over its skiplist.
  size_t LowerRank(const LexBound& min) const;
  size_t UpperRank(const LexBound& max) const;
  // Visits ranks [first, last) ascending, or from last - 1 down to first when
  // `reverse`, until `visit` returns false. O(log n + entries visited).
  void Visit(size_t first, size_t last, bool reverse, const std::function<bool(const Entry&)>& visit) const;

  const DotContext& context() const;
  // Number of live dots over all members.
  size_t dot_count() const;

  // Returns true iff the observable value (members and their scores) changed.
  bool Join(const SortedSet& other);

  // Pieces whose encodings are each <= max_encoded_bytes where possible; a
  // member with all its dots and the dots the delta removed from it travels
  // whole (as OrMap::SplitDelta). Joining all pieces, in any order, equals
  // joining *this; joining any subset reads, member by member, as before or
  // as after the whole delta.
  std::vector<SortedSet> SplitDelta(size_t max_encoded_bytes) const;

  std::string Encode() const;
  // InvalidArgument on malformed, non-canonical or hostile input (NaN
  // scores included).
  static Result<SortedSet> Decode(std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);
  std::string ToJson() const;

  // Compares context and members' dots (not the sender-side notes).
  bool operator==(const SortedSet& other) const;

 private:
  struct Impl;  // sorted_set_impl.h: members, dots, order index
  std::unique_ptr<Impl> impl_;
};

static_assert(Crdt<SortedSet>);

}  // namespace regionsync

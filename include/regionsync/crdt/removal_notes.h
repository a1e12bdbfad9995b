// RemovalNotes: which dots a delta removed from each of its units (an OR-Set
// element, an OR-Map field), so that a delta split to fit the transport
// sends every removal in the same piece as that unit's new dots.
//
// A mutator that replaces a value (an OR-Map Assign, a map counter's
// Increment, a flag's Enable, re-adding a set element) removes the old dots
// and adds a new one. A receiver that joins the new dot without that removal
// reads old and new at once (a map counter going 5 -> 8 reads 13, an MV
// field shows both values); one that joins the removal without the new dot
// deletes a field the writer still shows. Once several writes are joined
// into one delta, the delta itself no longer says which field a removed dot
// belonged to, so the mutators note it here, beside the delta: notes are
// never encoded and never compared, and joining two deltas joins their
// notes. A delta read from the wire or from a store has none; SplitDelta
// then sends its removals as it always did (the join of all pieces is the
// same, only a receiver's intermediate reads may mix old and new).
//
//   RemovalNotes<std::string> notes;
//   notes.Note("apple", old_dot);   // travels with "apple"'s new dot
//   notes.ForEach([](const std::string& unit, const DotContext& removed) { ... });
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "regionsync/crdt/dot.h"
#include "regionsync/crdt/dot_context.h"

namespace regionsync {

// A run of one actor's counters, [first, last].
struct DotRange {
  ActorId actor;
  uint64_t first;
  uint64_t last;
  bool operator==(const DotRange&) const = default;
};

// The dots of `a` that `b` lacks, as maximal ranges ordered by actor and
// counter. Cost: O(intervals of a and b).
std::vector<DotRange> Difference(const DotContext& a, const DotContext& b);
// True if some dot is in both. Cost: O(intervals of a and b).
bool Intersects(const DotContext& a, const DotContext& b);

template <typename Key>
class RemovalNotes {
 public:
  // `removed` was a dot of `unit` (anything that compares with Key).
  template <typename K>
  void Note(const K& unit, Dot removed) {
    auto it = units_.find(unit);
    if (it == units_.end()) it = units_.emplace(Key(unit), DotContext()).first;
    it->second.Insert(removed);
  }
  void Join(const RemovalNotes& other) {
    if (&other == this) return;
    for (const auto& [unit, removed] : other.units_) units_[unit].Join(removed);
  }

  bool empty() const { return units_.empty(); }
  size_t size() const { return units_.size(); }
  // f(const Key& unit, const DotContext& removed), ordered by unit.
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto& [unit, removed] : units_) f(unit, removed);
  }

 private:
  std::map<Key, DotContext, std::less<>> units_;
};

}  // namespace regionsync

// OrSet: an add-wins observed-remove set of byte strings, delta-state
// (Almeida, Shoker, Baquero, "Delta State Replicated Data Types", 2018, the
// optimized add-wins OR-set). Each live element holds the dots of the adds
// that made it present; the causal context (a compact, interval-based
// DotContext) remembers every dot ever seen, so a removed element leaves no
// tombstone: a dot that is in the context but in no entry was removed.
// A remove only removes the adds it has observed, so a concurrent add wins.
//
//   OrSet a, b;
//   OrSet delta = a.Add(actor_a, "apple");   // a = {apple}
//   b.Join(delta);                           // b = {apple}
//   b.Join(b.Remove("apple"));               // no-op join: Remove already applied
//   a.Join(b.Remove("pear"));                // absent element: empty delta
//
// Costs: Add, Remove and joining a delta cost O(size of the delta), never a
// scan of the whole set (a dot -> entry index finds what a context removes).
// Not thread-safe; one state per key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"
#include "regionsync/crdt/dot.h"
#include "regionsync/crdt/dot_context.h"

namespace regionsync {

namespace or_set_internal {

// The dots of one element, ascending. Almost always exactly one (more only
// after concurrent adds), so the first lives inline and costs no allocation.
class DotList {
 public:
  DotList() = default;
  explicit DotList(Dot d) : first_(d) {}

  bool empty() const { return first_.actor == 0; }
  size_t size() const { return empty() ? 0 : 1 + more_.size(); }
  // REQUIRES: i < size().
  Dot operator[](size_t i) const { return i == 0 ? first_ : more_[i - 1]; }
  bool Contains(Dot d) const;
  // Keeps the list ascending. REQUIRES: !Contains(d), d.actor != 0.
  void Insert(Dot d);
  // Returns false if `d` was not there.
  bool Erase(Dot d);
  void Clear() { first_ = Dot{}; more_.clear(); }

  bool operator==(const DotList&) const = default;

 private:
  Dot first_;              // actor == 0 means empty
  std::vector<Dot> more_;  // the rest, ascending, all > first_
};

using EntryId = uint32_t;
inline constexpr EntryId kNoEntry = 0xFFFFFFFFu;

// Element -> dots. Entries live in a slab (vector) and are named by their
// position, which never changes while the entry lives, so the dot index can
// refer to them with 4 bytes and copies need no fix-up. Lookup by element is
// an open-addressing table of (32 hash bits, id): one probe touches one
// 8-byte slot, and the element's bytes only when the hash bits match.
class EntryTable {
 public:
  struct Entry {
    std::string element;
    DotList dots;  // empty: a free slab slot
    uint32_t hash = 0;
  };

  EntryId Find(std::string_view element) const;
  // The entry of `element`, created with no dots if absent (then *created is
  // set). The caller gives it a dot before any other call.
  EntryId FindOrInsert(std::string_view element, bool* created);
  // REQUIRES: `id` is live.
  void Erase(EntryId id);
  Entry& at(EntryId id) { return slab_[id]; }
  const Entry& at(EntryId id) const { return slab_[id]; }
  size_t size() const { return size_; }
  // Calls f(id, entry) for every live entry, in slab order.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < slab_.size(); ++i) {
      if (!slab_[i].dots.empty()) f(static_cast<EntryId>(i), slab_[i]);
    }
  }
  void Reserve(size_t n);
  // Same elements with the same dots (slab positions do not matter).
  bool operator==(const EntryTable& other) const;

 private:
  void Grow(size_t min_slots);
  size_t SlotOf(uint32_t hash) const { return hash & (slots_.size() - 1); }

  std::vector<Entry> slab_;
  std::vector<EntryId> free_;    // reusable slab positions
  std::vector<uint64_t> slots_;  // 0: empty; else hash << 32 | id; power-of-two size
  size_t size_ = 0;
};

// Open-addressing (linear probing, backward-shift deletion) map from a dot to
// the entry holding it: 24 bytes a slot, no allocation per insert.
class DotIndex {
 public:
  EntryId Find(Dot d) const;
  // REQUIRES: Find(d) == kNoEntry, d.actor != 0.
  void Insert(Dot d, EntryId entry);
  // Returns false if `d` was not there.
  bool Erase(Dot d);
  void Reserve(size_t n);
  void Clear();
  size_t size() const { return size_; }

 private:
  struct Slot {
    Dot dot;  // actor == 0: empty slot
    EntryId entry;
  };
  size_t SlotOf(Dot d) const;
  void Grow(size_t min_slots);

  std::vector<Slot> slots_;  // size is 0 or a power of two
  size_t size_ = 0;
};

}  // namespace or_set_internal

class OrSet {
 public:
  static constexpr CrdtType kType = pb::OR_SET;

  OrSet() = default;

  // Adds `element` with a fresh dot of `actor` and drops the dots of that
  // element this state has seen. Returns the delta: {element: new dot} with
  // context {new dot, old dots of element}.
  // REQUIRES: actor != 0.
  OrSet Add(ActorId actor, std::string_view element);
  // Observed remove. Returns the delta: no entries, context = the element's
  // dots. Absent element: empty delta.
  OrSet Remove(std::string_view element);

  bool Contains(std::string_view element) const;
  size_t size() const { return entries_.size(); }
  std::vector<std::string> Elements() const;  // sorted by bytes
  const DotContext& context() const { return context_; }

  // The lattice join. Returns true iff membership changed.
  bool Join(const OrSet& other);

  // Splits this (delta) into pieces whose Encode() is each <= max_encoded_bytes
  // where possible (a single element bigger than that goes alone); joining all
  // pieces, in any order, equals joining *this. Every piece is a valid delta on
  // its own: its context holds only the dots of its own entries plus a share of
  // the remove-only dots, never dots of entries that travel in another piece
  // (a receiver would read those as removals). Always at least one piece (an
  // empty *this gives {*this}).
  std::vector<OrSet> SplitDelta(size_t max_encoded_bytes) const;

  // Canonical bytes (see proto/or_set.proto); equal states encode equally.
  std::string Encode() const;
  // Validates everything (canonical form, every entry dot inside the context,
  // no duplicate elements or dots, bounded sizes); InvalidArgument otherwise.
  static Result<OrSet> Decode(std::string_view bytes);
  // The protobuf JSON form of the encoding, for debugging.
  std::string ToJson() const;

  // Same entries and same context.
  bool operator==(const OrSet& other) const {
    return entries_ == other.entries_ && context_ == other.context_;
  }

 private:
  using EntryId = or_set_internal::EntryId;

  // Removes `d` from entry `id` and the index; erases the entry if it became
  // empty and returns true then.
  bool RemoveDot(EntryId id, Dot d);
  // Live entry ids ordered by their first (smallest) dot: the canonical order.
  std::vector<EntryId> CanonicalOrder() const;

  or_set_internal::EntryTable entries_;  // element -> its dots, never empty
  or_set_internal::DotIndex index_;      // every dot of every entry -> its entry
  DotContext context_;                   // includes every dot of every entry
};

static_assert(Crdt<OrSet>);

}  // namespace regionsync

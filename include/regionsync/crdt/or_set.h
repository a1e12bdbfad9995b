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
// scan of the whole set (a dot -> element index finds what a context removes).
// Not thread-safe; one state per key.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "regionsync/common/boxed.h"
#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"
#include "regionsync/crdt/dot.h"
#include "regionsync/crdt/dot_context.h"
#include "regionsync/crdt/removal_notes.h"

namespace regionsync {

namespace or_set_internal {

// Memory for the big flat tables below. A table of 16 MiB or more is mapped on
// its own and asked for transparent huge pages: at a million elements every
// probe is a random access, and with 4 KiB pages each one misses the TLB too.
void* AllocateTable(size_t bytes, size_t align);
void FreeTable(void* p, size_t bytes, size_t align);

template <typename T>
struct TableAllocator {
  using value_type = T;
  TableAllocator() = default;
  template <typename U>
  TableAllocator(const TableAllocator<U>&) {}  // NOLINT: allocators convert implicitly
  T* allocate(size_t n) { return static_cast<T*>(AllocateTable(n * sizeof(T), alignof(T))); }
  void deallocate(T* p, size_t n) { FreeTable(p, n * sizeof(T), alignof(T)); }
  template <typename U>
  bool operator==(const TableAllocator<U>&) const { return true; }
};

template <typename T>
using TableVector = std::vector<T, TableAllocator<T>>;

// Starts loading the cache line of `p`. The empty asm marks it as an effect:
// g++ otherwise deletes a loop whose body only prefetches, as a loop that
// does nothing.
inline void PrefetchLine(const void* p) {
  __builtin_prefetch(p, 1);
  asm volatile("" : : "r"(p));
}

// The dots of one element, ascending. Almost always exactly one (more only
// after concurrent adds), so the first lives inline and the rest behind one
// pointer: 24 bytes, no allocation for the common case.
class DotList {
 public:
  DotList() = default;
  explicit DotList(Dot d) : first_(d) {}
  DotList(const DotList& other) : first_(other.first_) {
    if (other.more_) more_ = std::make_unique<std::vector<Dot>>(*other.more_);
  }
  DotList& operator=(const DotList& other) {
    if (this != &other) *this = DotList(other);
    return *this;
  }
  DotList(DotList&&) noexcept = default;
  DotList& operator=(DotList&&) noexcept = default;

  bool empty() const { return first_.actor == 0; }
  size_t size() const { return empty() ? 0 : 1 + (more_ ? more_->size() : 0); }
  // REQUIRES: i < size().
  Dot operator[](size_t i) const { return i == 0 ? first_ : (*more_)[i - 1]; }
  bool Contains(Dot d) const;
  // Keeps the list ascending. REQUIRES: !Contains(d), d.actor != 0.
  void Insert(Dot d);
  // Returns false if `d` was not there.
  bool Erase(Dot d);
  void Clear() {
    first_ = Dot{};
    more_.reset();
  }

  bool operator==(const DotList& other) const;

 private:
  Dot first_;                               // actor == 0 means empty
  std::unique_ptr<std::vector<Dot>> more_;  // the rest, ascending, all > first_; null or non-empty
};

// Where an entry sits in its EntryTable. Valid until the table's next
// mutation (an insert may grow the table, an erase shifts entries back).
using EntryId = uint32_t;
inline constexpr EntryId kNoEntry = 0xFFFFFFFFu;

// The 32-bit hash of an element that both tables below keep. Seeded once
// per process, so it differs between runs.
uint32_t ElementHash(std::string_view element);

// Element -> dots, stored in the probe table itself (open addressing, linear
// probing, backward-shift deletion): finding an element touches the line of
// its home slot and, when the run is long, the next ones, never a second
// array. An entry is one 64-byte line: element (inline when short), dots and
// hash. Up to kSmall entries (a delta) there is no hashing at all: the
// entries sit packed and lookups scan them, so building a small delta
// allocates only that array.
class EntryTable {
 public:
  // 64 bytes; a table big enough to matter starts on a huge page, so each
  // entry is one cache line. (alignas(64) would make every small delta's
  // array an aligned allocation, which malloc serves slowly.)
  struct Entry {
    std::string element;
    DotList dots;  // empty: a free slot
    uint32_t hash = 0;
  };

  EntryTable() = default;
  EntryTable(const EntryTable&) = default;
  EntryTable& operator=(const EntryTable&) = default;
  // A moved-from table is empty (and stays usable).
  EntryTable(EntryTable&& other) noexcept { *this = std::move(other); }
  EntryTable& operator=(EntryTable&& other) noexcept {
    slots_ = std::move(other.slots_);
    mask_ = std::exchange(other.mask_, 0);
    size_ = std::exchange(other.size_, 0);
    other.slots_.clear();
    return *this;
  }

  EntryId Find(std::string_view element) const { return Find(element, ElementHash(element)); }
  // REQUIRES: hash == ElementHash(element).
  EntryId Find(std::string_view element, uint32_t hash) const;
  // The entry holding `d`, whose element has this hash; kNoEntry if none.
  EntryId FindDot(uint32_t hash, Dot d) const;
  // Starts loading the lines where an element with this hash begins its
  // probe, so a caller can overlap those misses with other work: the home
  // slot and five more. An erase (like an insert's probe) reads on to the
  // empty slot that ends the run: at a load of 1/2 that is 4.2 slots from
  // home on average, within 3 for 54% of elements and within 6 for 84%
  // (bench/probe_runs.py). Six rather than three made remove + delta at 1 M
  // elements about 20% faster (docs/BENCHMARKS.md).
  void Prefetch(uint32_t hash) const {
    if (mask_ == 0) return;
    for (size_t i = 0; i < 6; ++i) PrefetchLine(&slots_[(hash + i) & mask_]);
  }
  // The entry of `element`, created with no dots if absent (then *created is
  // set). The caller gives it a dot before any other call.
  EntryId FindOrInsert(std::string_view element, bool* created) {
    return FindOrInsert(element, ElementHash(element), created);
  }
  // REQUIRES: hash == ElementHash(element).
  EntryId FindOrInsert(std::string_view element, uint32_t hash, bool* created);
  // REQUIRES: `id` is live.
  void Erase(EntryId id);
  Entry& at(EntryId id) { return slots_[id]; }
  const Entry& at(EntryId id) const { return slots_[id]; }
  size_t size() const { return size_; }
  // Calls f(id, entry) for every live entry, in table order.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i].dots.empty()) f(static_cast<EntryId>(i), slots_[i]);
    }
  }
  void Reserve(size_t n);
  // A live entry picked by `random` (any 64-bit number): a random slot,
  // retried while empty, then the next live one. REQUIRES: size() > 0.
  EntryId RandomEntry(uint64_t random) const;
  // Visits the entries whose home slot is at `cursor` and after it, in
  // reverse-binary order of home slots (Redis's dictScan), until `count`
  // entries were visited or 10 * count home slots were looked at. Returns
  // the cursor to go on from, 0 after the last home slot. Since the table
  // never shrinks, an entry live during a whole walk (from cursor 0 to the
  // returned 0) is visited at least once, across growths; it may be visited
  // more than once. The small form is visited whole (then 0).
  uint64_t Scan(uint64_t cursor, size_t count, const std::function<void(const Entry&)>& visit) const;
  // Same elements with the same dots (positions do not matter).
  bool operator==(const EntryTable& other) const;

 private:
  static constexpr size_t kSmall = 8;

  void Grow(size_t slots);

  // mask_ == 0: the small form, slots_ holds exactly the size_ live entries.
  // Else slots_ has mask_ + 1 (a power of two) slots.
  TableVector<Entry> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Open-addressing (linear probing, backward-shift deletion) map from a dot to
// the hash of the element holding it, so a remove found by dot can go
// straight to the element's slot: 24 bytes a slot, no allocation per insert,
// and none at all up to kSmall dots.
// A big index erases lazily: EraseLater queues the dot and starts loading
// its slot, later removes erase the oldest queued dot while their own lookup
// is on its way (EraseOldestQueued), and a full queue is erased at once.
// Until then Lookup still finds queued dots, so callers confirm a hit
// against the entries (EntryTable::FindDot); a dot, once erased, never comes
// back to the set.
class DotIndex {
 public:
  struct Slot {
    Dot dot;  // actor == 0: empty slot
    uint32_t element_hash = 0;
  };

  DotIndex() = default;
  DotIndex(const DotIndex&) = default;
  DotIndex& operator=(const DotIndex&) = default;
  // A moved-from index is empty (and stays usable).
  DotIndex(DotIndex&& other) noexcept { *this = std::move(other); }
  DotIndex& operator=(DotIndex&& other) noexcept {
    std::copy(other.small_, other.small_ + kSmall, small_);
    slots_ = std::move(other.slots_);
    pending_ = std::move(other.pending_);
    pending_head_ = std::exchange(other.pending_head_, 0);
    size_ = std::exchange(other.size_, 0);
    other.slots_.clear();
    other.pending_.clear();
    return *this;
  }

  // Starts loading the slot where the probe for `d` begins and the two
  // after it (72 bytes: at most two lines), where a probe or an erase
  // usually ends.
  void Prefetch(Dot d) const {
    if (slots_.empty()) return;
    const size_t i = SlotOf(d);
    PrefetchLine(&slots_[i]);
    PrefetchLine(&slots_[(i + 2) & (slots_.size() - 1)]);
  }
  // The slot holding `d`, or null; may be a dot queued by EraseLater.
  // Valid until the next mutation.
  const Slot* Lookup(Dot d) const;
  // REQUIRES: d is not in the index (nor queued), d.actor != 0.
  void Insert(Dot d, uint32_t element_hash);
  // Returns false if `d` was not there.
  bool Erase(Dot d);
  // Erase(d), now or with the next batch. REQUIRES: `d` is in the index and
  // never inserted again.
  void EraseLater(Dot d);
  // Erases the oldest queued dot once kLag are queued: by then its slot
  // has had time to arrive.
  void EraseOldestQueued() {
    if (pending_.size() - pending_head_ >= kLag) Erase(pending_[pending_head_++]);
  }
  void Reserve(size_t n);
  void Clear();
  // Dots held, including those queued for erasure.
  size_t size() const { return size_; }

 private:
  static constexpr size_t kSmall = 2;
  static constexpr size_t kBatch = 64;
  static constexpr size_t kLag = 4;

  size_t SlotOf(Dot d) const;
  void Grow(size_t min_slots);
  void EraseAt(size_t i);
  void ErasePending();

  Slot small_[kSmall];        // the dots while slots_ is empty
  TableVector<Slot> slots_;   // empty (small) or a power of two
  std::vector<Dot> pending_;  // queued by EraseLater, at most kBatch
  size_t pending_head_ = 0;   // pending_[0, pending_head_) are erased
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
  // Add(actor, e) for every element in order, returning one delta: the join
  // of the deltas those calls would return. In a big set this is faster than
  // the calls one by one: each element's slots start loading a few elements
  // ahead, so their cache misses overlap (SADD with many members). Sets
  // *added, if given, to how many elements were absent.
  // REQUIRES: actor != 0.
  OrSet AddAll(ActorId actor, std::span<const std::string_view> elements, size_t* added = nullptr);
  // Remove(e) for every element, as one delta, loading ahead like AddAll.
  // Sets *removed, if given, to how many elements were present.
  OrSet RemoveAll(std::span<const std::string_view> elements, size_t* removed = nullptr);

  bool Contains(std::string_view element) const;
  size_t size() const { return rep().entries_.size(); }
  std::vector<std::string> Elements() const;  // sorted by bytes
  // Calls f(element) for every element, in no particular order. The views
  // are valid until the next mutation.
  template <typename F>
  void ForEachElement(F&& f) const {
    rep().entries_.ForEach(
        [&](EntryId, const or_set_internal::EntryTable::Entry& e) { f(std::string_view(e.element)); });
  }
  // An element picked by `random` (Redis's SRANDMEMBER: roughly uniform,
  // not exactly). Valid until the next mutation. REQUIRES: size() > 0.
  std::string_view RandomElement(uint64_t random) const {
    return rep().entries_.at(rep().entries_.RandomEntry(random)).element;
  }
  // SSCAN: visits elements from `cursor` (0: the start), about `count` per
  // call; returns the cursor to go on from, 0 when the walk is done. Every
  // element present for the whole walk is visited at least once (EntryTable::
  // Scan). Cursors hold table positions of this process: they mean nothing
  // to another replica or after a restart.
  uint64_t Scan(uint64_t cursor, size_t count, const std::function<void(std::string_view)>& visit) const {
    return rep().entries_.Scan(cursor, count, [&](const or_set_internal::EntryTable::Entry& e) { visit(e.element); });
  }
  const DotContext& context() const { return rep().context_; }

  // The lattice join. Returns true iff membership changed.
  bool Join(const OrSet& other);

  // Splits this (delta) into pieces whose Encode() is each <= max_encoded_bytes
  // where possible (a single element bigger than that goes alone); joining all
  // pieces, in any order, equals joining *this. Every piece is a valid delta on
  // its own: its context holds only the dots of its own entries plus a share of
  // the remove-only dots, never dots of entries that travel in another piece
  // (a receiver would read those as removals). A re-added element's old dots
  // travel with its new one (RemovalNotes: a delta made by Add / AddAll
  // knows them), so no piece removes an element another piece re-adds.
  // Always at least one piece (an empty *this gives {*this}).
  std::vector<OrSet> SplitDelta(size_t max_encoded_bytes) const;

  // Canonical bytes (see proto/or_set.proto); equal states encode equally.
  std::string Encode() const;
  // Validates everything (canonical form, every entry dot inside the context,
  // no duplicate elements or dots, bounded sizes); InvalidArgument otherwise.
  static Result<OrSet> Decode(std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);
  // The protobuf JSON form of the encoding, for debugging.
  std::string ToJson() const;

  // Same entries and same context (not the sender-side notes).
  bool operator==(const OrSet& other) const {
    return rep().entries_ == other.rep().entries_ && rep().context_ == other.rep().context_;
  }

 private:
  using EntryId = or_set_internal::EntryId;

  // Add and Remove of one element whose hash is known and whose slots the
  // caller has started to load, writing into `delta` (which may already hold
  // earlier elements of a batch). Return true if membership changed.
  // AddInto REQUIRES: dot == context().Next(dot.actor), dot.actor != 0.
  bool AddInto(Dot dot, std::string_view element, uint32_t hash, OrSet& delta);
  bool RemoveInto(std::string_view element, uint32_t hash, OrSet& delta);
  // Calls f(i, elements[i], its hash) in order, having started to load the
  // slots of the elements kAhead further on.
  template <typename F>
  void ForEachLoadingAhead(std::span<const std::string_view> elements, F&& f) const;
  static constexpr size_t kAhead = 8;

  // True if an entry holds `d` (the index alone may still list a removed dot).
  bool HoldsDot(Dot d) const;
  // Removes `d` (found in the index as `slot`) from its entry and the index;
  // erases the entry if it became empty and returns true then. A dot no
  // entry holds any more is only dropped from the index.
  bool RemoveDot(const or_set_internal::DotIndex::Slot& slot);
  // Live entry ids ordered by their first (smallest) dot: the canonical order.
  std::vector<EntryId> CanonicalOrder() const;

  // The state, on the heap: an empty set (most deltas, and every key of
  // another type in the keyspace's variant) costs one pointer.
  struct Rep {
    or_set_internal::EntryTable entries_;  // element -> its dots, never empty
    or_set_internal::DotIndex index_;      // every dot of every entry -> its element's hash
    DotContext context_;                   // includes every dot of every entry
    // In a delta made by Add / AddAll: the old dots of each re-added element,
    // for SplitDelta.
    RemovalNotes<std::string> removed_;
  };
  static const Rep& EmptyRep();
  const Rep& rep() const { return rep_ ? *rep_ : EmptyRep(); }
  Rep& rep() { return rep_.GetOrMake(); }

  Boxed<Rep> rep_;  // empty: the empty set
};

static_assert(Crdt<OrSet>);

}  // namespace regionsync

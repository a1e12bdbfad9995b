// DotList, EntryTable and DotIndex: the storage underneath OrSet.
#include <sys/mman.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <functional>
#include <new>
#include <string>

#include "regionsync/common/seeded_hash.h"
#include "regionsync/crdt/or_set.h"

namespace regionsync::or_set_internal {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// Below this a table goes to malloc, which reuses freed memory: a fresh
// mapping costs page faults and zeroing every time, more than a 16 MiB
// table loses to 4 KiB pages (a TLB covers about 8 MiB of those).
constexpr size_t kMappedTable = size_t{16} << 20;

size_t RoundToHugePage(size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }

}  // namespace

void* AllocateTable(size_t bytes, [[maybe_unused]] size_t align) {
  static_assert(sizeof(EntryTable::Entry) == 64, "an entry should be one cache line");
  if (bytes < kMappedTable) {
    assert(align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    return ::operator new(bytes);
  }
  // Map one huge page more than needed and trim both ends, so the table
  // starts on a huge-page boundary and every page of it can be a huge one.
  const size_t size = RoundToHugePage(bytes);
  void* raw = mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();  // what operator new would do
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t tail = start + size + kHugePage - (aligned + size);
  if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
  void* table = reinterpret_cast<void*>(aligned);
  // Advice only: without transparent huge pages this is a plain mapping.
  (void)madvise(table, size, MADV_HUGEPAGE);
  return table;
}

void FreeTable(void* p, size_t bytes, size_t /*align*/) {
  if (bytes < kMappedTable) {
    ::operator delete(p);  // unsized: clang has no sized delete without -fsized-deallocation
    return;
  }
  munmap(p, RoundToHugePage(bytes));
}

bool DotList::Contains(Dot d) const {
  if (empty()) return false;
  if (first_ == d) return true;
  return more_ && std::binary_search(more_->begin(), more_->end(), d);
}

void DotList::Insert(Dot d) {
  assert(d.actor != 0 && !Contains(d));
  if (empty()) {
    first_ = d;
    return;
  }
  if (d < first_) std::swap(d, first_);
  if (!more_) more_ = std::make_unique<std::vector<Dot>>();
  more_->insert(std::lower_bound(more_->begin(), more_->end(), d), d);
}

bool DotList::Erase(Dot d) {
  if (empty()) return false;
  if (first_ == d) {
    if (!more_) {
      first_ = Dot{};
    } else {
      first_ = more_->front();
      more_->erase(more_->begin());
      if (more_->empty()) more_.reset();
    }
    return true;
  }
  if (!more_) return false;
  auto it = std::lower_bound(more_->begin(), more_->end(), d);
  if (it == more_->end() || *it != d) return false;
  more_->erase(it);
  if (more_->empty()) more_.reset();
  return true;
}

bool DotList::operator==(const DotList& other) const {
  if (first_ != other.first_) return false;
  const size_t n = more_ ? more_->size() : 0;
  const size_t m = other.more_ ? other.more_->size() : 0;
  return n == m && (n == 0 || *more_ == *other.more_);
}

namespace {

// Dots of one actor have consecutive counters, so the hash must spread
// neighbours; a multiply-xorshift mix of both halves does that cheaply.
inline uint64_t Mix(Dot d) {
  uint64_t h = d.actor ^ (d.counter * 0x9E3779B97F4A7C15ULL);
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ULL;
  h ^= h >> 32;
  return h;
}

// Backward-shift deletion: the member at `j` may move back into the hole
// unless its home slot lies cyclically in (hole, j].
inline bool MayFillHole(size_t hole, size_t home, size_t j) {
  const bool home_in_range = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
  return !home_in_range;
}

}  // namespace

size_t DotIndex::SlotOf(Dot d) const { return static_cast<size_t>(Mix(d)) & (slots_.size() - 1); }

const DotIndex::Slot* DotIndex::Lookup(Dot d) const {
  if (slots_.empty()) {
    for (size_t i = 0; i < size_; ++i) {
      if (small_[i].dot == d) return &small_[i];
    }
    return nullptr;
  }
  const size_t mask = slots_.size() - 1;
  for (size_t i = SlotOf(d);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.dot == d) return &s;
    if (s.dot.actor == 0) return nullptr;
  }
}

void DotIndex::Insert(Dot d, uint32_t element_hash) {
  assert(d.actor != 0 && Lookup(d) == nullptr);
  if (slots_.empty()) {
    if (size_ < kSmall) {
      small_[size_++] = Slot{d, element_hash};
      return;
    }
    Grow(8);
  } else if ((size_ + 1) * 4 > slots_.size() * 3) {
    // Load factor <= 3/4 keeps linear probes short. Queued erasures may
    // make room without growing.
    ErasePending();
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow(slots_.size() * 2);
  }
  const size_t mask = slots_.size() - 1;
  size_t i = SlotOf(d);
  while (slots_[i].dot.actor != 0) i = (i + 1) & mask;
  slots_[i] = Slot{d, element_hash};
  ++size_;
}

bool DotIndex::Erase(Dot d) {
  if (slots_.empty()) {
    for (size_t i = 0; i < size_; ++i) {
      if (small_[i].dot == d) {
        small_[i] = small_[--size_];
        small_[size_] = Slot{};
        return true;
      }
    }
    return false;
  }
  const size_t mask = slots_.size() - 1;
  size_t i = SlotOf(d);
  while (slots_[i].dot != d) {
    if (slots_[i].dot.actor == 0) return false;
    i = (i + 1) & mask;
  }
  EraseAt(i);
  return true;
}

void DotIndex::EraseLater(Dot d) {
  if (slots_.empty()) {
    Erase(d);
    return;
  }
  // In a big index each erase is a cache miss of its own. Queued, the slot
  // loads while other work runs instead of stalling the remove that caused
  // it; a full queue is erased with all its loads overlapped.
  if (pending_.capacity() == 0) pending_.reserve(kBatch);
  Prefetch(d);
  pending_.push_back(d);
  if (pending_.size() == kBatch) ErasePending();
}

void DotIndex::ErasePending() {
  for (size_t i = pending_head_; i < pending_.size(); ++i) Prefetch(pending_[i]);
  for (size_t i = pending_head_; i < pending_.size(); ++i) Erase(pending_[i]);  // false if a join dropped it
  pending_.clear();
  pending_head_ = 0;
}

void DotIndex::EraseAt(size_t i) {
  const size_t mask = slots_.size() - 1;
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots_[j].dot.actor != 0; j = (j + 1) & mask) {
    if (MayFillHole(hole, SlotOf(slots_[j].dot), j)) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
}

void DotIndex::Reserve(size_t n) {
  if (n <= kSmall && slots_.empty()) return;
  size_t want = 8;
  while (want * 3 < n * 4) want *= 2;
  if (want > slots_.size()) Grow(want);
}

void DotIndex::Clear() {
  TableVector<Slot>().swap(slots_);
  for (Slot& s : small_) s = Slot{};
  pending_.clear();
  pending_head_ = 0;
  size_ = 0;
}

void DotIndex::Grow(size_t min_slots) {
  ErasePending();
  TableVector<Slot> old;
  old.swap(slots_);
  slots_.assign(min_slots, Slot{});
  const size_t mask = slots_.size() - 1;
  auto place = [&](const Slot& s) {
    size_t i = SlotOf(s.dot);
    while (slots_[i].dot.actor != 0) i = (i + 1) & mask;
    slots_[i] = s;
  };
  if (old.empty()) {
    for (size_t i = 0; i < size_; ++i) {
      place(small_[i]);
      small_[i] = Slot{};
    }
  } else {
    for (const Slot& s : old) {
      if (s.dot.actor != 0) place(s);
    }
  }
}

// The table slot is the low bits. Seeded per process: elements come from
// clients (see seeded_hash.h).
uint32_t ElementHash(std::string_view element) { return static_cast<uint32_t>(SeededHash(element)); }

EntryId EntryTable::Find(std::string_view element, uint32_t hash) const {
  if (mask_ == 0) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      const Entry& e = slots_[i];
      if (e.hash == hash && e.element == element) return static_cast<EntryId>(i);
    }
    return kNoEntry;
  }
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Entry& e = slots_[i];
    if (e.dots.empty()) return kNoEntry;
    if (e.hash == hash && e.element == element) return static_cast<EntryId>(i);
  }
}

EntryId EntryTable::FindDot(uint32_t hash, Dot d) const {
  if (mask_ == 0) {
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].hash == hash && slots_[i].dots.Contains(d)) return static_cast<EntryId>(i);
    }
    return kNoEntry;
  }
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Entry& e = slots_[i];
    if (e.dots.empty()) return kNoEntry;
    if (e.hash == hash && e.dots.Contains(d)) return static_cast<EntryId>(i);
  }
}

EntryId EntryTable::FindOrInsert(std::string_view element, uint32_t hash, bool* created) {
  *created = false;
  if (mask_ == 0) {
    const EntryId found = Find(element, hash);
    if (found != kNoEntry) return found;
    if (size_ < kSmall) {
      assert(slots_.size() == size_);
      slots_.emplace_back();
      slots_.back().element.assign(element.data(), element.size());
      slots_.back().hash = hash;
      ++size_;
      *created = true;
      return static_cast<EntryId>(size_ - 1);
    }
    Grow(2 * kSmall);
  } else if ((size_ + 1) * 4 > (mask_ + 1) * 3) {
    Grow(2 * (mask_ + 1));
  }
  size_t i = hash & mask_;
  for (;; i = (i + 1) & mask_) {
    const Entry& e = slots_[i];
    if (e.dots.empty()) break;
    if (e.hash == hash && e.element == element) return static_cast<EntryId>(i);
  }
  Entry& e = slots_[i];
  e.element.assign(element.data(), element.size());
  e.hash = hash;
  ++size_;
  *created = true;
  return static_cast<EntryId>(i);
}

void EntryTable::Erase(EntryId id) {
  --size_;
  if (mask_ == 0) {
    if (id + 1 != slots_.size()) slots_[id] = std::move(slots_.back());
    slots_.pop_back();
    return;
  }
  size_t hole = id;
  for (size_t j = (hole + 1) & mask_; !slots_[j].dots.empty(); j = (j + 1) & mask_) {
    if (MayFillHole(hole, slots_[j].hash & mask_, j)) {
      slots_[hole] = std::move(slots_[j]);
      hole = j;
    }
  }
  Entry& e = slots_[hole];
  e.dots.Clear();
  if (e.element.capacity() > 64) {
    std::string().swap(e.element);  // do not keep a big element's memory around
  } else {
    e.element.clear();
  }
}

void EntryTable::Reserve(size_t n) {
  if (n <= kSmall && mask_ == 0) {
    slots_.reserve(n);
    return;
  }
  size_t want = 2 * kSmall;
  while (want * 3 < n * 4) want *= 2;
  if (want > mask_ + 1) Grow(want);
}

void EntryTable::Grow(size_t slots) {
  TableVector<Entry> old;
  old.swap(slots_);
  slots_ = TableVector<Entry>(slots);
  mask_ = slots - 1;
  for (Entry& e : old) {
    if (e.dots.empty()) continue;
    size_t i = e.hash & mask_;
    while (!slots_[i].dots.empty()) i = (i + 1) & mask_;
    slots_[i] = std::move(e);
  }
}

namespace {
uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}
}  // namespace

EntryId EntryTable::RandomEntry(uint64_t random) const {
  assert(size_ > 0);
  if (mask_ == 0) return static_cast<EntryId>(random % size_);
  // A table loaded at least 3/8 (it grows at 3/4) finds a live slot in a few
  // tries; one emptied by removals (it never shrinks) ends in the walk.
  uint64_t r = random;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const size_t i = r & mask_;
    if (!slots_[i].dots.empty()) return static_cast<EntryId>(i);
    r = SplitMix64(r);
  }
  size_t i = r & mask_;
  while (slots_[i].dots.empty()) i = (i + 1) & mask_;
  return static_cast<EntryId>(i);
}

// Home slots in reverse-binary order, as Redis's dictScan walks buckets: when
// the table doubles, the home slots still to come split into the slots still
// to come of the bigger table, so a walk misses no entry. Linear probing keeps
// every entry in the run of occupied slots that starts at its home slot.
uint64_t EntryTable::Scan(uint64_t cursor, size_t count, const std::function<void(const Entry&)>& visit) const {
  if (mask_ == 0) {
    for (const Entry& e : slots_) visit(e);
    return 0;
  }
  size_t visited = 0;
  count = std::max<size_t>(count, 1);
  size_t slots_left = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
  uint64_t v = cursor;
  do {
    const size_t home = v & mask_;
    for (size_t i = home; !slots_[i].dots.empty(); i = (i + 1) & mask_) {
      if ((slots_[i].hash & mask_) == home) {
        visit(slots_[i]);
        ++visited;
      }
    }
    v |= ~static_cast<uint64_t>(mask_);
    v = ReverseBits(ReverseBits(v) + 1);
  } while (v != 0 && --slots_left > 0 && visited < count);
  return v;
}

bool EntryTable::operator==(const EntryTable& other) const {
  if (size_ != other.size_) return false;
  bool equal = true;
  ForEach([&](EntryId, const Entry& e) {
    if (!equal) return;
    const EntryId id = other.Find(e.element, e.hash);
    equal = id != kNoEntry && other.at(id).dots == e.dots;
  });
  return equal;
}

}  // namespace regionsync::or_set_internal

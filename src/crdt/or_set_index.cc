// DotList and DotIndex: the storage underneath OrSet.
#include <algorithm>
#include <cassert>

#include "regionsync/crdt/or_set.h"

namespace regionsync::or_set_internal {

bool DotList::Contains(Dot d) const {
  if (empty()) return false;
  if (first_ == d) return true;
  return std::binary_search(more_.begin(), more_.end(), d);
}

void DotList::Insert(Dot d) {
  assert(d.actor != 0 && !Contains(d));
  if (empty()) {
    first_ = d;
    return;
  }
  if (d < first_) std::swap(d, first_);
  more_.insert(std::lower_bound(more_.begin(), more_.end(), d), d);
}

bool DotList::Erase(Dot d) {
  if (empty()) return false;
  if (first_ == d) {
    if (more_.empty()) {
      first_ = Dot{};
    } else {
      first_ = more_.front();
      more_.erase(more_.begin());
    }
    return true;
  }
  auto it = std::lower_bound(more_.begin(), more_.end(), d);
  if (it == more_.end() || *it != d) return false;
  more_.erase(it);
  return true;
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

}  // namespace

size_t DotIndex::SlotOf(Dot d) const { return static_cast<size_t>(Mix(d)) & (slots_.size() - 1); }

EntryId DotIndex::Find(Dot d) const {
  if (slots_.empty()) return kNoEntry;
  const size_t mask = slots_.size() - 1;
  for (size_t i = SlotOf(d);; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.dot == d) return s.entry;
    if (s.dot.actor == 0) return kNoEntry;
  }
}

void DotIndex::Insert(Dot d, EntryId entry) {
  assert(d.actor != 0);
  // Load factor <= 3/4 keeps linear probes short.
  if ((size_ + 1) * 4 > slots_.size() * 3) Grow(std::max<size_t>(8, slots_.size() * 2));
  const size_t mask = slots_.size() - 1;
  size_t i = SlotOf(d);
  while (slots_[i].dot.actor != 0) {
    assert(slots_[i].dot != d);
    i = (i + 1) & mask;
  }
  slots_[i] = Slot{d, entry};
  ++size_;
}

bool DotIndex::Erase(Dot d) {
  if (slots_.empty()) return false;
  const size_t mask = slots_.size() - 1;
  size_t i = SlotOf(d);
  while (slots_[i].dot != d) {
    if (slots_[i].dot.actor == 0) return false;
    i = (i + 1) & mask;
  }
  // Backward-shift deletion: pull later members of the probe run into the
  // hole so no tombstones are needed.
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots_[j].dot.actor != 0; j = (j + 1) & mask) {
    size_t home = SlotOf(slots_[j].dot);
    // Move j into the hole unless its home lies cyclically in (hole, j].
    bool home_in_range = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!home_in_range) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{Dot{}, kNoEntry};
  --size_;
  return true;
}

void DotIndex::Reserve(size_t n) {
  size_t want = 8;
  while (want * 3 < n * 4) want *= 2;
  if (want > slots_.size()) Grow(want);
}

void DotIndex::Clear() {
  slots_.clear();
  slots_.shrink_to_fit();
  size_ = 0;
}

void DotIndex::Grow(size_t min_slots) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(min_slots, Slot{Dot{}, kNoEntry});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.dot.actor == 0) continue;
    size_t i = SlotOf(s.dot);
    while (slots_[i].dot.actor != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

namespace {

inline uint32_t HashOf(std::string_view s) {
  const uint64_t h = std::hash<std::string_view>{}(s);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace

EntryId EntryTable::Find(std::string_view element) const {
  if (slots_.empty()) return kNoEntry;
  const uint32_t hash = HashOf(element);
  const size_t mask = slots_.size() - 1;
  for (size_t i = SlotOf(hash);; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == 0) return kNoEntry;
    if (static_cast<uint32_t>(s >> 32) == hash) {
      const EntryId id = static_cast<EntryId>(s) - 1;
      if (slab_[id].element == element) return id;
    }
  }
}

EntryId EntryTable::FindOrInsert(std::string_view element, bool* created) {
  *created = false;
  if ((size_ + 1) * 4 > slots_.size() * 3) Grow(std::max<size_t>(8, slots_.size() * 2));
  const uint32_t hash = HashOf(element);
  const size_t mask = slots_.size() - 1;
  size_t i = SlotOf(hash);
  for (;; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == 0) break;
    if (static_cast<uint32_t>(s >> 32) == hash) {
      const EntryId id = static_cast<EntryId>(s) - 1;
      if (slab_[id].element == element) return id;
    }
  }
  EntryId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    assert(slab_.size() < kNoEntry - 1);
    id = static_cast<EntryId>(slab_.size());
    slab_.emplace_back();
  }
  Entry& e = slab_[id];
  e.element.assign(element.data(), element.size());
  e.hash = hash;
  slots_[i] = (static_cast<uint64_t>(hash) << 32) | (static_cast<uint64_t>(id) + 1);
  ++size_;
  *created = true;
  return id;
}

void EntryTable::Erase(EntryId id) {
  Entry& e = slab_[id];
  const size_t mask = slots_.size() - 1;
  const uint64_t target = (static_cast<uint64_t>(e.hash) << 32) | (static_cast<uint64_t>(id) + 1);
  size_t i = SlotOf(e.hash);
  while (slots_[i] != target) i = (i + 1) & mask;
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots_[j] != 0; j = (j + 1) & mask) {
    const size_t home = SlotOf(static_cast<uint32_t>(slots_[j] >> 32));
    const bool home_in_range = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (!home_in_range) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = 0;
  e.dots.Clear();
  if (e.element.capacity() > 64) {
    std::string().swap(e.element);  // do not keep a big element's memory around
  } else {
    e.element.clear();
  }
  if (id + 1 == slab_.size()) {
    slab_.pop_back();
  } else {
    free_.push_back(id);
  }
  --size_;
}

void EntryTable::Reserve(size_t n) {
  size_t want = 8;
  while (want * 3 < n * 4) want *= 2;
  if (want > slots_.size()) Grow(want);
  if (n > slab_.size()) slab_.reserve(n);
}

void EntryTable::Grow(size_t min_slots) {
  std::vector<uint64_t> old;
  old.swap(slots_);
  slots_.assign(min_slots, 0);
  const size_t mask = slots_.size() - 1;
  for (uint64_t s : old) {
    if (s == 0) continue;
    size_t i = SlotOf(static_cast<uint32_t>(s >> 32));
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

bool EntryTable::operator==(const EntryTable& other) const {
  if (size_ != other.size_) return false;
  bool equal = true;
  ForEach([&](EntryId, const Entry& e) {
    if (!equal) return;
    const EntryId id = other.Find(e.element);
    equal = id != kNoEntry && other.at(id).dots == e.dots;
  });
  return equal;
}

}  // namespace regionsync::or_set_internal

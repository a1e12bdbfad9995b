// OrSet: mutators, queries and the join. Encoding lives in or_set_codec.cc,
// SplitDelta in or_set_split.cc.
#include "regionsync/crdt/or_set.h"

#include <algorithm>
#include <cassert>

namespace regionsync {

const OrSet::Rep& OrSet::EmptyRep() {
  static const Rep empty;
  return empty;
}

// One element: start loading its slots, then the same work as a batch.
OrSet OrSet::Add(ActorId actor, std::string_view element) {
  assert(actor != 0);
  const Dot dot = rep().context_.Next(actor);
  const uint32_t hash = or_set_internal::ElementHash(element);
  rep().entries_.Prefetch(hash);
  rep().index_.Prefetch(dot);
  OrSet delta;
  AddInto(dot, element, hash, delta);
  return delta;
}

OrSet OrSet::Remove(std::string_view element) {
  const uint32_t hash = or_set_internal::ElementHash(element);
  rep().entries_.Prefetch(hash);
  OrSet delta;
  RemoveInto(element, hash, delta);
  return delta;
}

template <typename F>
void OrSet::ForEachLoadingAhead(std::span<const std::string_view> elements, F&& f) const {
  uint32_t hashes[kAhead];  // of elements i .. i + kAhead - 1, at i % kAhead
  const size_t n = elements.size();
  for (size_t i = 0; i < n && i < kAhead; ++i) {
    hashes[i] = or_set_internal::ElementHash(elements[i]);
    rep().entries_.Prefetch(hashes[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    const uint32_t hash = hashes[i % kAhead];
    if (i + kAhead < n) {
      hashes[i % kAhead] = or_set_internal::ElementHash(elements[i + kAhead]);
      rep().entries_.Prefetch(hashes[i % kAhead]);
    }
    f(i, elements[i], hash);
  }
}

OrSet OrSet::AddAll(ActorId actor, std::span<const std::string_view> elements, size_t* added) {
  assert(actor != 0);
  OrSet delta;
  delta.rep().entries_.Reserve(elements.size());
  delta.rep().index_.Reserve(elements.size());
  // Element i gets the dot first + i, so its index slot loads ahead too.
  const uint64_t first = rep().context_.Next(actor).counter;
  const size_t n = elements.size();
  for (size_t i = 0; i < n && i < kAhead; ++i) rep().index_.Prefetch(Dot{actor, first + i});
  size_t count = 0;
  ForEachLoadingAhead(elements, [&](size_t i, std::string_view element, uint32_t hash) {
    if (i + kAhead < n) rep().index_.Prefetch(Dot{actor, first + i + kAhead});
    count += AddInto(Dot{actor, first + i}, element, hash, delta) ? 1 : 0;
  });
  if (added != nullptr) *added = count;
  return delta;
}

OrSet OrSet::RemoveAll(std::span<const std::string_view> elements, size_t* removed) {
  OrSet delta;
  size_t count = 0;
  ForEachLoadingAhead(elements, [&](size_t, std::string_view element, uint32_t hash) {
    count += RemoveInto(element, hash, delta) ? 1 : 0;
  });
  if (removed != nullptr) *removed = count;
  return delta;
}

// The element's slots (and an add's index slot) are loading already: the
// caller started them. Both do what does not depend on them first (an add
// builds the delta's part; a remove erases an index slot queued by an
// earlier one): in a big set those slots are cache misses, in a small one
// free.
bool OrSet::AddInto(Dot dot, std::string_view element, uint32_t hash, OrSet& delta) {
  assert(dot.actor != 0 && dot == rep().context_.Next(dot.actor));
  delta.rep().context_.Insert(dot);
  bool created;
  const EntryId did = delta.rep().entries_.FindOrInsert(element, hash, &created);
  or_set_internal::DotList& delta_dots = delta.rep().entries_.at(did).dots;
  // Added earlier in this batch: that dot is in the context now, superseded.
  for (size_t i = 0; i < delta_dots.size(); ++i) delta.rep().index_.Erase(delta_dots[i]);
  delta_dots.Clear();
  delta_dots.Insert(dot);
  delta.rep().index_.Insert(dot, hash);

  const EntryId id = rep().entries_.FindOrInsert(element, hash, &created);
  or_set_internal::DotList& dots = rep().entries_.at(id).dots;
  // The old dots go into the delta's context, so a receiver drops them too,
  // and they travel with the new dot when the delta is split.
  for (size_t i = 0; i < dots.size(); ++i) {
    rep().index_.EraseLater(dots[i]);
    delta.rep().context_.Insert(dots[i]);
    delta.rep().removed_.Note(element, dots[i]);
  }
  dots.Clear();
  dots.Insert(dot);
  rep().index_.Insert(dot, hash);
  rep().context_.Insert(dot);
  return created;
}

bool OrSet::RemoveInto(std::string_view element, uint32_t hash, OrSet& delta) {
  rep().index_.EraseOldestQueued();
  const EntryId id = rep().entries_.Find(element, hash);
  if (id == or_set_internal::kNoEntry) return false;
  const or_set_internal::DotList& dots = rep().entries_.at(id).dots;
  for (size_t i = 0; i < dots.size(); ++i) {
    rep().index_.EraseLater(dots[i]);
    delta.rep().context_.Insert(dots[i]);
  }
  rep().entries_.Erase(id);
  return true;
}

bool OrSet::Contains(std::string_view element) const {
  return rep().entries_.Find(element) != or_set_internal::kNoEntry;
}

std::vector<std::string> OrSet::Elements() const {
  std::vector<std::string> out;
  out.reserve(rep().entries_.size());
  rep().entries_.ForEach([&](EntryId, const or_set_internal::EntryTable::Entry& e) { out.push_back(e.element); });
  std::sort(out.begin(), out.end());
  return out;
}

bool OrSet::HoldsDot(Dot d) const {
  const or_set_internal::DotIndex::Slot* slot = rep().index_.Lookup(d);
  return slot != nullptr && rep().entries_.FindDot(slot->element_hash, d) != or_set_internal::kNoEntry;
}

bool OrSet::RemoveDot(const or_set_internal::DotIndex::Slot& slot) {
  // Copied: `slot` lives in the index and the erase below moves slots.
  const Dot d = slot.dot;
  const EntryId id = rep().entries_.FindDot(slot.element_hash, d);
  rep().index_.Erase(d);
  if (id == or_set_internal::kNoEntry) return false;  // removed here already
  or_set_internal::DotList& dots = rep().entries_.at(id).dots;
  if (dots.size() > 1) {
    dots.Erase(d);
    return false;
  }
  rep().entries_.Erase(id);  // the entry goes with its only dot
  return true;
}

namespace {

// Calls f(actor, first, last) for each maximal interval of dots in both `a`
// and `b`, until f returns false. Costs O(|b's intervals| * log |a's|), so a
// small `b` against a fragmented `a` stays cheap.
template <typename F>
void ForEachSharedInterval(const DotContext& a, const DotContext& b, F&& f) {
  const auto& mine = a.actors();
  for (const DotContext::ActorIntervals& theirs : b.actors()) {
    auto ma = std::lower_bound(mine.begin(), mine.end(), theirs.actor,
                               [](const DotContext::ActorIntervals& x, ActorId y) { return x.actor < y; });
    if (ma == mine.end() || ma->actor != theirs.actor) continue;
    const auto& ours = ma->intervals;
    for (const DotContext::Interval& iv : theirs.intervals) {
      auto it = std::lower_bound(ours.begin(), ours.end(), iv.first,
                                 [](const DotContext::Interval& x, uint64_t c) { return x.last < c; });
      for (; it != ours.end() && it->first <= iv.last; ++it) {
        if (!f(theirs.actor, std::max(it->first, iv.first), std::min(it->last, iv.last))) return;
      }
    }
  }
}

}  // namespace

// Per element: keep the dots both sides hold, plus the dots each side holds
// that the other has not seen. Done in two passes so neither scans the whole
// set for a small delta:
//  1. other's entry dots that our context lacks are added (a dot our context
//     has is either held here already or was removed here);
//  2. our dots that other's context has but other's entries lack were removed
//     there. Found by probing the index with the dots both contexts hold when
//     they are fewer than our live dots, else by scanning our entries.
// Pass 1 never adds a dot pass 2 removes (added dots are in other's entries),
// so an entry created in pass 1 survives and one erased in pass 2 existed
// before: "membership changed" is exact.
bool OrSet::Join(const OrSet& other) {
  if (&other == this) return false;
  bool changed = false;

  if (other.rep().entries_.size() > 16) {
    rep().entries_.Reserve(rep().entries_.size() + other.rep().entries_.size());
    rep().index_.Reserve(rep().index_.size() + other.rep().index_.size());
  }
  other.rep().entries_.ForEach([&](EntryId, const or_set_internal::EntryTable::Entry& theirs) {
    // Both probes below are misses in a big set; start them together.
    rep().entries_.Prefetch(theirs.hash);
    rep().index_.Prefetch(theirs.dots[0]);
    EntryId mine = or_set_internal::kNoEntry;
    for (size_t i = 0; i < theirs.dots.size(); ++i) {
      const Dot d = theirs.dots[i];
      if (rep().context_.Contains(d)) continue;
      if (mine == or_set_internal::kNoEntry) {
        bool created;
        mine = rep().entries_.FindOrInsert(theirs.element, theirs.hash, &created);
        changed |= created;
      }
      rep().entries_.at(mine).dots.Insert(d);
      rep().index_.Insert(d, theirs.hash);
    }
  });

  // Only dots both contexts hold can be ours and removed there. For a delta
  // (or a state of other actors) these are few: probe the index with them.
  const DotContext& seen = other.rep().context_;
  uint64_t shared = 0;
  ForEachSharedInterval(rep().context_, seen, [&](ActorId, uint64_t first, uint64_t last) {
    shared += last - first + 1;  // cannot overflow: we stop once it exceeds size()
    return shared < rep().index_.size();
  });
  if (shared < rep().index_.size()) {
    ForEachSharedInterval(rep().context_, seen, [&](ActorId actor, uint64_t first, uint64_t last) {
      for (uint64_t c = first;; ++c) {
        const Dot d{actor, c};
        const or_set_internal::DotIndex::Slot* mine = rep().index_.Lookup(d);
        if (mine != nullptr && !other.HoldsDot(d)) changed |= RemoveDot(*mine);
        if (c == last) break;
      }
      return true;
    });
  } else {
    // Collect first: an erase shifts later entries back, under the walk.
    std::vector<or_set_internal::DotIndex::Slot> removed;
    rep().entries_.ForEach([&](EntryId, const or_set_internal::EntryTable::Entry& e) {
      for (size_t i = 0; i < e.dots.size(); ++i) {
        const Dot d = e.dots[i];
        if (seen.Contains(d) && !other.HoldsDot(d)) removed.push_back({d, e.hash});
      }
    });
    for (const or_set_internal::DotIndex::Slot& slot : removed) changed |= RemoveDot(slot);
  }

  if (!other.rep().removed_.empty()) rep().removed_.Join(other.rep().removed_);
  rep().context_.Join(other.rep().context_);
  return changed;
}

}  // namespace regionsync

// How OrSet::SplitDelta and OrMap::SplitDelta cut a delta: into units that
// each travel whole, packed into pieces under a byte limit.
//
// A unit is one of the caller's items (an OR-Set element, an OR-Map field)
// with every removal noted for it (RemovalNotes), the noted removals of an
// item that has no live dot left, or one run of the other removed dots (the
// context minus everything above). A piece's context is
// exactly its units' dots and removals, so no piece names another piece's
// entries (a receiver would read them as removed), and a receiver holding any
// subset of the pieces never sees a new value without the removal of the
// value it replaced, or that removal without the new value.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "regionsync/crdt/dot_context.h"
#include "regionsync/crdt/removal_notes.h"

namespace regionsync::split_internal {

inline constexpr size_t kNoItem = std::numeric_limits<size_t>::max();
// An actor in a piece's context: 8 bytes + tag, plus its range count.
inline constexpr size_t kActorCost = 11;

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

struct Unit {
  size_t item = kNoItem;           // the caller's item, or kNoItem: removals only
  std::vector<DotRange> removals;  // removed dots that travel with it
  size_t cost = 0;                 // estimated bytes, actors not counted
  std::vector<ActorId> actors;     // actors its dots and removals name
};

inline void AddActor(Unit& u, ActorId actor) {
  if (std::find(u.actors.begin(), u.actors.end(), actor) == u.actors.end()) u.actors.push_back(actor);
}

inline void AddRemovals(Unit& u, const DotContext& dots) {
  for (const DotContext::ActorIntervals& a : dots.actors()) {
    AddActor(u, a.actor);
    for (const DotContext::Interval& iv : a.intervals) {
      u.removals.push_back({a.actor, iv.first, iv.last});
      u.cost += 2 + VarintSize(iv.last - iv.first);
    }
  }
}

// Units for `n_items` items. dots_of(i, f) calls f(Dot) for each live dot of
// item i; cost_of(i) estimates the bytes of its entries. `context` is the
// delta's. for_each_note(f) calls f(item, removed) for each group of noted
// removals (RemovalNotes): `item` is the item they belong to, or kNoItem for
// a unit with no live dot left (a field removed). Order: the items, then the
// removal groups, then the remaining removed runs.
template <typename DotsOf, typename CostOf, typename ForEachNote>
std::vector<Unit> PlanUnits(size_t n_items, DotsOf&& dots_of, CostOf&& cost_of, const DotContext& context,
                            ForEachNote&& for_each_note) {
  std::vector<Unit> units(n_items);
  std::vector<Dot> live_dots;
  for (size_t i = 0; i < n_items; ++i) {
    units[i].item = i;
    units[i].cost = cost_of(i);
    dots_of(i, [&](const Dot& d) {
      live_dots.push_back(d);
      AddActor(units[i], d.actor);
    });
  }
  std::sort(live_dots.begin(), live_dots.end());  // sorted inserts append: O(1) each
  DotContext covered;
  for (const Dot& d : live_dots) covered.Insert(d);
  const DotContext live = covered;

  std::vector<Unit> groups;
  for_each_note([&](size_t item, const DotContext& removed) {
    // A note that does not describe this delta (it should not happen) is
    // ignored: its dots are then sent like any other removal.
    if (removed.empty() || !context.Includes(removed) || Intersects(removed, live)) return;
    if (item == kNoItem) {
      groups.emplace_back();
      AddRemovals(groups.back(), removed);
    } else {
      AddRemovals(units[item], removed);
    }
    covered.Join(removed);
  });
  for (Unit& g : groups) units.push_back(std::move(g));

  for (const DotRange& r : Difference(context, covered)) {
    Unit u;
    u.removals.push_back(r);
    u.cost = 2 + VarintSize(r.last - r.first);
    u.actors.push_back(r.actor);
    units.push_back(std::move(u));
  }
  return units;
}

// Packs consecutive units into pieces: greedily by the estimate, then
// checking each piece's exact size and halving a run that is too big. A
// single unit over the limit gets a piece of its own. build(begin, end)
// returns the piece holding units [begin, end).
template <typename T, typename Build>
std::vector<T> Pack(const std::vector<Unit>& units, size_t max_bytes, size_t piece_overhead, Build&& build) {
  std::vector<T> pieces;
  auto emit = [&](auto& self, size_t begin, size_t end) -> void {
    T piece = build(begin, end);
    if (end - begin > 1 && piece.Encode().size() > max_bytes) {
      const size_t mid = begin + (end - begin) / 2;
      self(self, begin, mid);
      self(self, mid, end);
      return;
    }
    pieces.push_back(std::move(piece));
  };
  size_t begin = 0;
  size_t used = piece_overhead;
  std::vector<ActorId> actors;  // in the piece being filled
  auto cost = [&](const Unit& u) {
    size_t c = u.cost;
    for (ActorId a : u.actors) {
      if (std::find(actors.begin(), actors.end(), a) == actors.end()) c += kActorCost;
    }
    return c;
  };
  for (size_t u = 0; u < units.size(); ++u) {
    size_t c = cost(units[u]);
    if (u > begin && used + c > max_bytes) {
      emit(emit, begin, u);
      begin = u;
      used = piece_overhead;
      actors.clear();
      c = cost(units[u]);
    }
    used += c;
    for (ActorId a : units[u].actors) {
      if (std::find(actors.begin(), actors.end(), a) == actors.end()) actors.push_back(a);
    }
  }
  if (begin < units.size()) emit(emit, begin, units.size());
  return pieces;
}

}  // namespace regionsync::split_internal

// OrMap::SplitDelta: cuts a big delta (or state) into pieces that fit a
// transport's message size. The units are the live dots (key, dot, payload)
// and the intervals of the context that are only removals (no live dot);
// each piece takes a run of units, and its context is exactly their dots.
#include <algorithm>
#include <cassert>

#include "regionsync/crdt/or_map.h"

namespace regionsync {
namespace {

struct RemovalRange {
  ActorId actor;
  uint64_t first;
  uint64_t last;
};

// The context minus the live dots, as intervals. `live` is sorted.
std::vector<RemovalRange> RemovalRanges(const DotContext& ctx, const std::vector<Dot>& live) {
  std::vector<RemovalRange> out;
  auto dot = live.begin();
  for (const DotContext::ActorIntervals& a : ctx.actors()) {
    while (dot != live.end() && dot->actor < a.actor) ++dot;
    for (const DotContext::Interval& iv : a.intervals) {
      uint64_t next = iv.first;  // first counter not yet emitted or skipped
      bool done = false;
      for (; dot != live.end() && dot->actor == a.actor && dot->counter <= iv.last; ++dot) {
        if (dot->counter < next) continue;
        if (dot->counter > next) out.push_back({a.actor, next, dot->counter - 1});
        if (dot->counter == iv.last) {
          done = true;
        } else {
          next = dot->counter + 1;
        }
      }
      if (!done) out.push_back({a.actor, next, iv.last});
    }
  }
  return out;
}

// Rough encoded cost of one unit, to fill pieces before checking exactly:
// row (actor index, counter), context share (actor, two varints), payload.
constexpr size_t kUnitOverhead = 28;

}  // namespace

std::vector<OrMap> OrMap::SplitDelta(size_t max_encoded_bytes) const {
  if (Encode().size() <= max_encoded_bytes) return {*this};

  struct Item {
    const std::string* key;
    const Store::Entry* entry;
  };
  std::vector<Item> items;
  items.reserve(index_.size());
  std::vector<Dot> live;
  live.reserve(index_.size());
  for (const auto& [key, store] : entries_) {
    for (const auto& e : store.entries()) {
      items.push_back({&key, &e});
      live.push_back(e.dot);
    }
  }
  std::sort(live.begin(), live.end());
  std::vector<RemovalRange> removals = RemovalRanges(context_, live);
  const size_t units = items.size() + removals.size();
  // Only the kind byte(s): nothing to cut.
  if (units == 0) return {*this};

  auto build = [&](size_t begin, size_t end) {
    OrMap piece(kind_);
    for (size_t u = begin; u < end; ++u) {
      if (u < items.size()) {
        piece.context_.Insert(items[u].entry->dot);
        piece.InsertDot(*items[u].key, items[u].entry->dot, items[u].entry->payload);
      } else {
        const RemovalRange& r = removals[u - items.size()];
        piece.context_.InsertRange(r.actor, r.first, r.last);
      }
    }
    return piece;
  };
  std::vector<OrMap> pieces;
  // Emits units [begin, end), halving while the exact encoding is too big.
  auto emit = [&](auto&& self, size_t begin, size_t end) -> void {
    OrMap piece = build(begin, end);
    if (end - begin > 1 && piece.Encode().size() > max_encoded_bytes) {
      size_t mid = begin + (end - begin) / 2;
      self(self, begin, mid);
      self(self, mid, end);
      return;
    }
    pieces.push_back(std::move(piece));
  };

  size_t begin = 0;
  size_t estimate = 8;
  const std::string* last_key = nullptr;
  for (size_t u = 0; u < units; ++u) {
    const bool is_item = u < items.size();
    size_t cost = kUnitOverhead + (is_item ? items[u].entry->payload.bytes.size() : 0);
    const size_t key_cost = is_item ? items[u].key->size() + 4 : 0;
    bool new_key = is_item && (u == begin || items[u].key != last_key);
    if (new_key) cost += key_cost;
    if (u > begin && estimate + cost > max_encoded_bytes) {
      emit(emit, begin, u);
      begin = u;
      estimate = 8;
      if (is_item && !new_key) cost += key_cost;
    }
    estimate += cost;
    last_key = is_item ? items[u].key : nullptr;
  }
  if (begin < units) emit(emit, begin, units);
  return pieces;
}

}  // namespace regionsync

// OrSet::SplitDelta: cutting a large delta into valid sub-deltas that fit the
// transport's message size.
#include <algorithm>
#include <cassert>

#include "regionsync/crdt/or_set.h"

namespace regionsync {
namespace {

// What one piece carries: a run of entries (canonical order) and a run of
// remove-only intervals. Items are numbered entries first, then intervals.
struct RemovedRange {
  ActorId actor;
  uint64_t first;
  uint64_t last;
};

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Protobuf framing of a piece: four fields and three context arrays, each
// with a tag and a length.
constexpr size_t kPieceOverhead = 24;
// A new actor in a piece's context: 8 bytes + tag, plus its range count.
constexpr size_t kActorCost = 11;

}  // namespace

std::vector<OrSet> OrSet::SplitDelta(size_t max_encoded_bytes) const {
  if (entries_.size() == 0 && context_.empty()) return {*this};

  const std::vector<EntryId> order = CanonicalOrder();

  // Remove-only dots: the context minus every entry dot, as intervals.
  std::vector<Dot> live;
  live.reserve(index_.size());
  for (EntryId id : order) {
    const or_set_internal::DotList& dots = entries_.at(id).dots;
    for (size_t i = 0; i < dots.size(); ++i) live.push_back(dots[i]);
  }
  std::sort(live.begin(), live.end());
  std::vector<RemovedRange> removed;
  size_t li = 0;
  for (const DotContext::ActorIntervals& a : context_.actors()) {
    while (li < live.size() && live[li].actor < a.actor) ++li;  // cannot happen for valid states
    for (const DotContext::Interval& iv : a.intervals) {
      uint64_t next = iv.first;  // first counter not yet emitted or skipped
      bool exhausted = false;
      while (li < live.size() && live[li].actor == a.actor && live[li].counter <= iv.last) {
        const uint64_t c = live[li++].counter;
        if (c < next) continue;
        if (c > next) removed.push_back({a.actor, next, c - 1});
        if (c == iv.last) {
          exhausted = true;
          break;
        }
        next = c + 1;
      }
      if (!exhausted) removed.push_back({a.actor, next, iv.last});
    }
  }

  const size_t n_items = order.size() + removed.size();
  auto item_cost = [&](size_t item, std::vector<ActorId>* actors) {
    size_t cost = 0;
    auto touch = [&](ActorId actor) {
      if (std::find(actors->begin(), actors->end(), actor) == actors->end()) {
        actors->push_back(actor);
        cost += kActorCost;
      }
    };
    if (item < order.size()) {
      const or_set_internal::EntryTable::Entry& e = entries_.at(order[item]);
      cost += VarintSize(e.element.size()) + e.element.size() + 3;
      if (e.dots.size() > 1) cost += 4 + 8 * (e.dots.size() - 1);
      for (size_t i = 0; i < e.dots.size(); ++i) {
        touch(e.dots[i].actor);
        cost += 4;  // an interval in the context: gap + length
      }
    } else {
      const RemovedRange& r = removed[item - order.size()];
      touch(r.actor);
      cost += 2 + VarintSize(r.last - r.first);
    }
    return cost;
  };

  auto build = [&](size_t begin, size_t end) {
    OrSet piece;
    for (size_t item = begin; item < end; ++item) {
      if (item < order.size()) {
        const or_set_internal::EntryTable::Entry& e = entries_.at(order[item]);
        bool created;
        const EntryId id = piece.entries_.FindOrInsert(e.element, e.hash, &created);
        piece.entries_.at(id).dots = e.dots;
        for (size_t i = 0; i < e.dots.size(); ++i) {
          piece.index_.Insert(e.dots[i], e.hash);
          piece.context_.Insert(e.dots[i]);
        }
      } else {
        const RemovedRange& r = removed[item - order.size()];
        piece.context_.InsertRange(r.actor, r.first, r.last);
      }
    }
    return piece;
  };

  std::vector<OrSet> pieces;
  // Emits [begin, end) as one piece if it fits, else halves it. The greedy
  // estimate below makes halving rare.
  auto emit = [&](auto& self, size_t begin, size_t end) -> void {
    OrSet piece = build(begin, end);
    if (end - begin > 1 && piece.Encode().size() > max_encoded_bytes) {
      const size_t mid = begin + (end - begin) / 2;
      self(self, begin, mid);
      self(self, mid, end);
      return;
    }
    pieces.push_back(std::move(piece));
  };

  size_t begin = 0;
  size_t used = kPieceOverhead;
  std::vector<ActorId> actors;
  for (size_t item = 0; item < n_items; ++item) {
    std::vector<ActorId> trial = actors;
    const size_t cost = item_cost(item, &trial);
    if (item > begin && used + cost > max_encoded_bytes) {
      emit(emit, begin, item);
      begin = item;
      used = kPieceOverhead;
      actors.clear();
      trial.clear();
      used += item_cost(item, &trial);
    } else {
      used += cost;
    }
    actors = std::move(trial);
  }
  emit(emit, begin, n_items);
  return pieces;
}

}  // namespace regionsync

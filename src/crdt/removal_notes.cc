#include "regionsync/crdt/removal_notes.h"

namespace regionsync {
namespace {

// b's intervals of `actor`, or nullptr. Callers look actors up in ascending
// order, as a's are: `cursor` walks b's actors once.
const std::vector<DotContext::Interval>* IntervalsOf(const DotContext& b, ActorId actor, size_t* cursor) {
  const auto& actors = b.actors();
  while (*cursor < actors.size() && actors[*cursor].actor < actor) ++*cursor;
  if (*cursor < actors.size() && actors[*cursor].actor == actor) return &actors[*cursor].intervals;
  return nullptr;
}

}  // namespace

std::vector<DotRange> Difference(const DotContext& a, const DotContext& b) {
  std::vector<DotRange> out;
  size_t cursor = 0;
  for (const DotContext::ActorIntervals& mine : a.actors()) {
    const std::vector<DotContext::Interval>* theirs = IntervalsOf(b, mine.actor, &cursor);
    size_t j = 0;
    for (const DotContext::Interval& iv : mine.intervals) {
      uint64_t next = iv.first;  // first counter of iv not yet emitted or skipped
      bool done = false;
      if (theirs != nullptr) {
        while (j < theirs->size() && (*theirs)[j].last < next) ++j;
        for (size_t k = j; k < theirs->size() && (*theirs)[k].first <= iv.last; ++k) {
          const DotContext::Interval& cut = (*theirs)[k];
          if (cut.first > next) out.push_back({mine.actor, next, cut.first - 1});
          if (cut.last >= iv.last) {
            done = true;
            break;
          }
          next = cut.last + 1;
        }
      }
      if (!done) out.push_back({mine.actor, next, iv.last});
    }
  }
  return out;
}

bool Intersects(const DotContext& a, const DotContext& b) {
  size_t cursor = 0;
  for (const DotContext::ActorIntervals& mine : a.actors()) {
    const std::vector<DotContext::Interval>* theirs = IntervalsOf(b, mine.actor, &cursor);
    if (theirs == nullptr) continue;
    size_t i = 0, j = 0;
    while (i < mine.intervals.size() && j < theirs->size()) {
      const DotContext::Interval& x = mine.intervals[i];
      const DotContext::Interval& y = (*theirs)[j];
      if (x.last < y.first) {
        ++i;
      } else if (y.last < x.first) {
        ++j;
      } else {
        return true;
      }
    }
  }
  return false;
}

}  // namespace regionsync

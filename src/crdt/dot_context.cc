#include "regionsync/crdt/dot_context.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "regionsync/proto/dot_context.pb.h"

namespace regionsync {
namespace {

// Inserts [first, last] into sorted, disjoint, non-adjacent intervals, merging
// whatever it touches. The common cases (append at the end, extend the last
// interval) cost O(1).
void InsertInterval(std::vector<DotContext::Interval>& v, uint64_t first, uint64_t last) {
  // Comparisons use first - 1 and hi->first - 1 (both >= 0) so nothing overflows.
  if (v.empty() || first - 1 > v.back().last) {
    v.push_back({first, last});
    return;
  }
  if (first >= v.back().first) {
    v.back().last = std::max(v.back().last, last);
    return;
  }
  // First interval that touches [first, last] or lies after it.
  auto lo = std::lower_bound(v.begin(), v.end(), first,
                             [](const DotContext::Interval& iv, uint64_t f) { return iv.last < f - 1; });
  auto hi = lo;
  uint64_t new_first = first, new_last = last;
  while (hi != v.end() && hi->first - 1 <= last) {
    new_first = std::min(new_first, hi->first);
    new_last = std::max(new_last, hi->last);
    ++hi;
  }
  if (lo == hi) {
    v.insert(lo, {first, last});
  } else {
    lo->first = new_first;
    lo->last = new_last;
    v.erase(lo + 1, hi);
  }
}

}  // namespace

const DotContext::ActorIntervals* DotContext::Find(ActorId actor) const {
  auto it = std::lower_bound(actors_.begin(), actors_.end(), actor,
                             [](const ActorIntervals& a, ActorId x) { return a.actor < x; });
  return (it != actors_.end() && it->actor == actor) ? &*it : nullptr;
}

bool DotContext::Contains(const Dot& dot) const {
  const ActorIntervals* a = Find(dot.actor);
  if (a == nullptr) return false;
  const auto& v = a->intervals;
  if (!v.empty() && dot.counter <= v.back().last && dot.counter >= v.back().first) return true;
  auto it = std::upper_bound(v.begin(), v.end(), dot.counter,
                             [](uint64_t c, const Interval& iv) { return c < iv.first; });
  if (it == v.begin()) return false;
  --it;
  return dot.counter <= it->last;
}

void DotContext::InsertRange(ActorId actor, uint64_t first, uint64_t last) {
  assert(actor != 0 && first >= 1 && first <= last);
  auto it = std::lower_bound(actors_.begin(), actors_.end(), actor,
                             [](const ActorIntervals& a, ActorId x) { return a.actor < x; });
  if (it == actors_.end() || it->actor != actor) {
    actors_.insert(it, ActorIntervals{actor, {{first, last}}});
    return;
  }
  InsertInterval(it->intervals, first, last);
}

void DotContext::Join(const DotContext& other) {
  for (const ActorIntervals& a : other.actors_) {
    for (const Interval& iv : a.intervals) InsertRange(a.actor, iv.first, iv.last);
  }
}

bool DotContext::Includes(const DotContext& other) const {
  for (const ActorIntervals& a : other.actors_) {
    const ActorIntervals* mine = Find(a.actor);
    if (mine == nullptr) return false;
    for (const Interval& iv : a.intervals) {
      auto it = std::upper_bound(mine->intervals.begin(), mine->intervals.end(), iv.first,
                                 [](uint64_t c, const Interval& m) { return c < m.first; });
      if (it == mine->intervals.begin()) return false;
      --it;
      if (iv.last > it->last) return false;
    }
  }
  return true;
}

uint64_t DotContext::MaxCounter(ActorId actor) const {
  const ActorIntervals* a = Find(actor);
  return a == nullptr ? 0 : a->intervals.back().last;
}

size_t DotContext::interval_count() const {
  size_t n = 0;
  for (const ActorIntervals& a : actors_) n += a.intervals.size();
  return n;
}

uint64_t DotContext::DotCount() const {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t n = 0;
  for (const ActorIntervals& a : actors_) {
    for (const Interval& iv : a.intervals) {
      uint64_t len = iv.last - iv.first;  // length - 1, cannot overflow
      if (n > kMax - len - 1 || len == kMax) return kMax;
      n += len + 1;
    }
  }
  return n;
}

void DotContext::ToProto(pb::DotContext* out) const {
  out->Clear();
  for (const ActorIntervals& a : actors_) {
    out->add_actors(a.actor);
    out->add_range_counts(static_cast<uint32_t>(a.intervals.size()));
    uint64_t prev_last = 0;
    for (const Interval& iv : a.intervals) {
      out->add_ranges(iv.first - (prev_last + 1));
      out->add_ranges(iv.last - iv.first);
      prev_last = iv.last;
    }
  }
}

Result<DotContext> DotContext::FromProto(const pb::DotContext& in) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (in.actors_size() != in.range_counts_size()) {
    return InvalidArgument("dot context: actors and range_counts differ in length");
  }
  DotContext ctx;
  // An actor is 8 bytes of input (fixed64) and 32 here: bounded by the input.
  ctx.actors_.reserve(in.actors_size());
  int pos = 0;
  ActorId prev_actor = 0;
  for (int i = 0; i < in.actors_size(); ++i) {
    ActorId actor = in.actors(i);
    if (actor == 0 || (i > 0 && actor <= prev_actor)) {
      return InvalidArgument("dot context: actors must be non-zero and strictly ascending");
    }
    prev_actor = actor;
    uint32_t count = in.range_counts(i);
    if (count == 0) return InvalidArgument("dot context: an actor with no interval");
    if (static_cast<uint64_t>(count) * 2 > static_cast<uint64_t>(in.ranges_size() - pos)) {
      return InvalidArgument("dot context: truncated ranges");
    }
    // No reserve(count): an interval is 2 bytes of input but 16 here, so
    // the vector grows with the intervals that pass the checks below.
    ActorIntervals a{actor, {}};
    uint64_t prev_last = 0;
    for (uint32_t k = 0; k < count; ++k) {
      uint64_t gap = in.ranges(pos++);
      uint64_t len_minus_1 = in.ranges(pos++);
      if (k > 0 && gap == 0) return InvalidArgument("dot context: adjacent intervals must be merged");
      if (prev_last == kMax || gap > kMax - (prev_last + 1)) {
        return InvalidArgument("dot context: counter overflow");
      }
      uint64_t first = prev_last + 1 + gap;
      if (len_minus_1 > kMax - first) return InvalidArgument("dot context: counter overflow");
      uint64_t last = first + len_minus_1;
      a.intervals.push_back({first, last});
      prev_last = last;
    }
    ctx.actors_.push_back(std::move(a));
  }
  if (pos != in.ranges_size()) return InvalidArgument("dot context: trailing ranges");
  return ctx;
}

}  // namespace regionsync

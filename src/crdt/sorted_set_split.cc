// SortedSet::SplitDelta: cuts a big delta (or state) into pieces that fit a
// transport's message size. The units (split_plan.h) are the members with
// all their dots and the dots the delta removed from them (RemovalNotes),
// the removals of members that are gone, and the runs of the other removed
// dots; each piece takes a run of units, and its context is exactly their
// dots.
#include <algorithm>
#include <string_view>

#include "crdt/sorted_set_impl.h"
#include "crdt/split_plan.h"

namespace regionsync {
namespace {

// Rough encoded cost of one dot: row (actor index, counter), its interval in
// the context, kind, timestamp and score.
constexpr size_t kDotOverhead = 28;
// A member's length prefix and its dot count.
constexpr size_t kMemberOverhead = 4;
// The message framing of a piece.
constexpr size_t kPieceOverhead = 8;

}  // namespace

std::vector<SortedSet> SortedSet::SplitDelta(size_t max_encoded_bytes) const {
  if (Encode().size() <= max_encoded_bytes) return {*this};
  const Impl& s = Impl::Of(impl_);

  // Items in member order, as the notes are.
  std::vector<const sorted_set_internal::Node*> items;
  items.reserve(s.members.size());
  for (const auto& node : s.members) items.push_back(&node);
  std::sort(items.begin(), items.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  auto item_of = [&](const std::string& member) {
    auto it = std::lower_bound(items.begin(), items.end(), member,
                               [](const auto* node, const std::string& m) { return node->first < m; });
    if (it == items.end() || (*it)->first != member) return split_internal::kNoItem;
    return static_cast<size_t>(it - items.begin());
  };

  std::vector<split_internal::Unit> units = split_internal::PlanUnits(
      items.size(),
      [&](size_t i, auto&& f) {
        for (const auto& e : items[i]->second.dots.entries()) f(e.dot);
      },
      [&](size_t i) { return items[i]->first.size() + kMemberOverhead + kDotOverhead * items[i]->second.dots.size(); },
      s.context,
      [&](auto&& f) {
        s.removed.ForEach([&](const std::string& member, const DotContext& removed) { f(item_of(member), removed); });
      });
  if (units.empty()) return {*this};

  return split_internal::Pack<SortedSet>(units, max_encoded_bytes, kPieceOverhead, [&](size_t begin, size_t end) {
    SortedSet piece;
    Impl& p = Impl::Mutable(piece.impl_);
    for (size_t u = begin; u < end; ++u) {
      const split_internal::Unit& unit = units[u];
      if (unit.item != split_internal::kNoItem) {
        const sorted_set_internal::Node& item = *items[unit.item];
        sorted_set_internal::Node& node = p.NodeFor(item.first);
        for (const auto& e : item.second.dots.entries()) {
          p.context.Insert(e.dot);
          p.InsertDot(node, e.dot, e.payload);
        }
        p.Refresh(node);
      }
      for (const DotRange& r : unit.removals) p.context.InsertRange(r.actor, r.first, r.last);
    }
    return piece;
  });
}

}  // namespace regionsync

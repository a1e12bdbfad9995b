// OrSet::SplitDelta: cutting a large delta into valid sub-deltas that fit the
// transport's message size. The units (split_plan.h) are the elements, each
// with the old dots its re-add replaced (RemovalNotes), and the runs of the
// other remove-only dots.
#include <algorithm>
#include <cassert>
#include <unordered_map>

#include "crdt/split_plan.h"
#include "regionsync/crdt/or_set.h"

namespace regionsync {
namespace {

// Protobuf framing of a piece: four fields and three context arrays, each
// with a tag and a length.
constexpr size_t kPieceOverhead = 24;

}  // namespace

std::vector<OrSet> OrSet::SplitDelta(size_t max_encoded_bytes) const {
  if (rep().entries_.size() == 0 && rep().context_.empty()) return {*this};

  const std::vector<EntryId> order = CanonicalOrder();
  std::vector<split_internal::Unit> units = split_internal::PlanUnits(
      order.size(),
      [&](size_t i, auto&& f) {
        const or_set_internal::DotList& dots = rep().entries_.at(order[i]).dots;
        for (size_t k = 0; k < dots.size(); ++k) f(dots[k]);
      },
      [&](size_t i) {
        const or_set_internal::EntryTable::Entry& e = rep().entries_.at(order[i]);
        size_t cost = split_internal::VarintSize(e.element.size()) + e.element.size() + 3;
        if (e.dots.size() > 1) cost += 4 + 8 * (e.dots.size() - 1);
        return cost + 4 * e.dots.size();  // an interval in the context per dot: gap + length
      },
      rep().context_,
      [&](auto&& f) {
        if (rep().removed_.empty()) return;
        std::unordered_map<EntryId, size_t> item_of;
        for (size_t i = 0; i < order.size(); ++i) item_of.emplace(order[i], i);
        rep().removed_.ForEach([&](const std::string& element, const DotContext& removed) {
          const EntryId id = rep().entries_.Find(element);
          auto it = id == or_set_internal::kNoEntry ? item_of.end() : item_of.find(id);
          f(it == item_of.end() ? split_internal::kNoItem : it->second, removed);
        });
      });

  return split_internal::Pack<OrSet>(units, max_encoded_bytes, kPieceOverhead, [&](size_t begin, size_t end) {
    OrSet piece;
    for (size_t u = begin; u < end; ++u) {
      const split_internal::Unit& unit = units[u];
      if (unit.item != split_internal::kNoItem) {
        const or_set_internal::EntryTable::Entry& e = rep().entries_.at(order[unit.item]);
        bool created;
        const EntryId id = piece.rep().entries_.FindOrInsert(e.element, e.hash, &created);
        piece.rep().entries_.at(id).dots = e.dots;
        for (size_t i = 0; i < e.dots.size(); ++i) {
          piece.rep().index_.Insert(e.dots[i], e.hash);
          piece.rep().context_.Insert(e.dots[i]);
        }
      }
      for (const DotRange& r : unit.removals) piece.rep().context_.InsertRange(r.actor, r.first, r.last);
    }
    return piece;
  });
}

}  // namespace regionsync

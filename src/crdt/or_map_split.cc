// OrMap::SplitDelta: cuts a big delta (or state) into pieces that fit a
// transport's message size. The units (split_plan.h) are the fields (for a
// map of sets, each element of a field) with the dots the delta removed from
// them, the removals of fields that are gone, and the runs of the other
// removed dots; each piece takes a run of units, and its context is exactly
// their dots.
#include <algorithm>
#include <cassert>
#include <map>
#include <string_view>
#include <tuple>

#include "crdt/split_plan.h"
#include "regionsync/crdt/or_map.h"

namespace regionsync {
namespace {

// Rough encoded cost of one dot: row (actor index, counter), its interval in
// the context, timestamp or total, length prefix of its value.
constexpr size_t kDotOverhead = 24;
// A key's bytes, its length prefix and its dot count.
constexpr size_t kKeyOverhead = 4;
// The kind and the message framing of a piece.
constexpr size_t kPieceOverhead = 8;
// A lifetime's encoding (four numbers) and its length prefixes; its key
// is counted apart.
constexpr size_t kLifeOverhead = 40;

}  // namespace

std::vector<OrMap> OrMap::SplitDelta(size_t max_encoded_bytes) const {
  if (Encode().size() <= max_encoded_bytes) return {*this};

  // An item: a field with all its dots, or in a map of sets one element of a
  // field with its dots (concurrent adds). Ordered by (field, element), as
  // the notes are.
  struct Item {
    const std::string* key;
    std::string_view element;  // "" unless kSet
    std::vector<const Store::Entry*> dots;
  };
  const bool per_element = kind_ == OrMapKind::kSet;
  std::vector<Item> items;
  items.reserve(rep().entries_.size() + rep().lives_.size());
  // A key with a lifetime but no dots here is an item too, so that the
  // dots the delta removed from it travel with its lifetime (a receiver
  // must never apply those removals without the incarnation they belong to).
  auto life_it = rep().lives_.begin();
  auto add_lifetime_items_before = [&](const std::string* key) {
    for (; life_it != rep().lives_.end() && (key == nullptr || life_it->first < *key); ++life_it) {
      items.push_back({&life_it->first, {}, {}});
    }
    if (key != nullptr && life_it != rep().lives_.end() && life_it->first == *key) ++life_it;
  };
  for (const auto& [key, store] : rep().entries_) {
    add_lifetime_items_before(&key);
    if (!per_element) {
      Item& item = items.emplace_back(Item{&key, {}, {}});
      for (const auto& e : store.entries()) item.dots.push_back(&e);
      continue;
    }
    std::map<std::string_view, std::vector<const Store::Entry*>> by_element;
    for (const auto& e : store.entries()) by_element[e.payload.bytes].push_back(&e);
    for (auto& [element, dots] : by_element) items.push_back({&key, element, std::move(dots)});
  }
  add_lifetime_items_before(nullptr);
  auto item_of = [&](const UnitKey& unit) {
    auto it = std::lower_bound(items.begin(), items.end(), unit, [](const Item& item, const UnitKey& u) {
      // As string_views on both sides: clang will not compare a tuple of
      // string and string_view references with one of strings.
      return std::pair<std::string_view, std::string_view>(*item.key, item.element) <
             std::pair<std::string_view, std::string_view>(u.first, u.second);
    });
    if (it == items.end() || *it->key != unit.first || it->element != unit.second) return split_internal::kNoItem;
    return static_cast<size_t>(it - items.begin());
  };

  std::vector<split_internal::Unit> units = split_internal::PlanUnits(
      items.size(),
      [&](size_t i, auto&& f) {
        for (const Store::Entry* e : items[i].dots) f(e->dot);
      },
      [&](size_t i) {
        size_t cost = items[i].key->size() + kKeyOverhead;
        if (const Lifetime* life = FieldLife(*items[i].key)) cost += items[i].key->size() + kLifeOverhead;
        for (const Store::Entry* e : items[i].dots) cost += kDotOverhead + e->payload.bytes.size();
        return cost;
      },
      rep().context_,
      [&](auto&& f) {
        rep().removed_.ForEach([&](const UnitKey& unit, const DotContext& removed) { f(item_of(unit), removed); });
      });
  // Only the kind byte(s): nothing to cut.
  if (units.empty()) return {*this};

  return split_internal::Pack<OrMap>(units, max_encoded_bytes, kPieceOverhead, [&](size_t begin, size_t end) {
        OrMap piece(kind_);
        for (size_t u = begin; u < end; ++u) {
          const split_internal::Unit& unit = units[u];
          if (unit.item != split_internal::kNoItem) {
            const Item& item = items[unit.item];
            for (const Store::Entry* e : item.dots) {
              piece.rep().context_.Insert(e->dot);
              piece.InsertDot(*item.key, e->dot, e->payload);
            }
            // A key's dots travel with its lifetime: they belong to its incarnation.
            if (const Lifetime* life = FieldLife(*item.key)) piece.SetLife(*item.key, *life);
          }
          for (const DotRange& r : unit.removals) piece.rep().context_.InsertRange(r.actor, r.first, r.last);
        }
        return piece;
      });
}

}  // namespace regionsync

#include "regionsync/crdt/sorted_set.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <limits>
#include <tuple>

#include "crdt/sorted_set_impl.h"

namespace regionsync {
namespace sorted_set_internal {

double ReadScore(const Store& dots) {
  const Store::Entry* winner = nullptr;
  auto key = [](const Store::Entry& e) {
    return std::make_tuple(e.payload.ts, e.dot.actor, std::bit_cast<uint64_t>(e.payload.value));
  };
  double sum = 0;
  for (const Store::Entry& e : dots.entries()) {
    if (e.payload.counter) {
      sum += e.payload.value;
    } else if (winner == nullptr || key(e) > key(*winner)) {
      winner = &e;
    }
  }
  double score = (winner == nullptr ? 0.0 : winner->payload.value) + sum;
  return std::isnan(score) ? 0.0 : Canonical(score);
}

}  // namespace sorted_set_internal

using sorted_set_internal::Canonical;
using sorted_set_internal::OrderKey;
using DotEntry = sorted_set_internal::Store::Entry;
using sorted_set_internal::Node;

// ---- Impl

SortedSet::Impl::Impl(const Impl& other) : context(other.context), members(other.members), removed(other.removed) {
  bool ok = RebuildIndexes();
  assert(ok);
  (void)ok;
}

SortedSet::Impl::Node* SortedSet::Impl::Find(std::string_view member) {
  auto it = members.find(member);
  return it == members.end() ? nullptr : &*it;
}

const SortedSet::Impl::Node* SortedSet::Impl::Find(std::string_view member) const {
  auto it = members.find(member);
  return it == members.end() ? nullptr : &*it;
}

SortedSet::Impl::Node& SortedSet::Impl::NodeFor(std::string_view member) {
  auto it = members.find(member);
  if (it == members.end()) it = members.emplace(std::string(member), sorted_set_internal::Member{}).first;
  return *it;
}

void SortedSet::Impl::InsertDot(Node& node, const Dot& dot, Payload payload) {
  node.second.dots.Insert(dot, std::move(payload));
  dots.emplace(dot, &node);
}

bool SortedSet::Impl::Refresh(Node& node) {
  sorted_set_internal::Member& m = node.second;
  const bool was = m.indexed;
  const double old = m.score;
  if (m.dots.empty()) {
    if (was) order.erase(OrderKey{old, node.first});
    members.erase(members.find(std::string_view(node.first)));
    return was;
  }
  const double now = sorted_set_internal::ReadScore(m.dots);
  if (was && now == old) return false;
  if (was) order.erase(OrderKey{old, node.first});
  m.score = now;
  m.indexed = true;
  order.insert(OrderKey{now, node.first});
  return true;
}

bool SortedSet::Impl::RebuildIndexes() {
  order.clear();
  dots.clear();
  dots.reserve(members.size());
  for (Node& node : members) {
    for (const DotEntry& e : node.second.dots.entries()) {
      if (!dots.emplace(e.dot, &node).second) return false;
    }
    node.second.score = sorted_set_internal::ReadScore(node.second.dots);
    node.second.indexed = true;
    node.second.touched = false;
    order.insert(OrderKey{node.second.score, node.first});
  }
  return true;
}

template <typename Pred>
void SortedSet::Impl::RemoveDots(Impl& d, Node& node, Pred pred) {
  Store kept;
  for (const DotEntry& e : node.second.dots.entries()) {
    if (pred(e)) {
      d.context.Insert(e.dot);
      d.removed.Note(node.first, e.dot);
      dots.erase(e.dot);
    } else {
      kept.Insert(e.dot, e.payload);
    }
  }
  node.second.dots = std::move(kept);
}

void SortedSet::Impl::AddDot(Impl& d, ActorId actor, std::string_view member, const Payload& payload) {
  const Dot dot = context.Next(actor);
  context.Insert(dot);
  Node& node = NodeFor(member);
  InsertDot(node, dot, payload);
  Refresh(node);
  d.context.Insert(dot);
  Node& dnode = d.NodeFor(member);
  d.InsertDot(dnode, dot, payload);
  d.Refresh(dnode);
}

size_t SortedSet::Impl::LexPrefix(std::string_view value, bool at_or_below) const {
  // A binary search over ranks (std::partition_point's steps), not a descent
  // of the tree: with mixed scores the members are not sorted, and a descent
  // would answer by the tree's shape, which differs between replicas that
  // hold the same state. O(log^2 n).
  size_t first = 0;
  size_t len = order.size();
  while (len > 0) {
    const size_t half = len / 2;
    const std::string_view m = order.find_by_order(first + half)->member;
    if (at_or_below ? m <= value : m < value) {
      first += half + 1;
      len -= half + 1;
    } else {
      len = half;
    }
  }
  return first;
}

const SortedSet::Impl& SortedSet::Impl::Of(const std::unique_ptr<Impl>& impl) {
  static const Impl* empty = new Impl();
  return impl ? *impl : *empty;
}

SortedSet::Impl& SortedSet::Impl::Mutable(std::unique_ptr<Impl>& impl) {
  if (!impl) impl = std::make_unique<Impl>();
  return *impl;
}

// ---- SortedSet: special members. impl_ stays null until the first
// mutation (an empty set costs no allocation) and after a move.

SortedSet::SortedSet() = default;
SortedSet::~SortedSet() = default;
SortedSet::SortedSet(const SortedSet& other)
    : impl_(other.impl_ ? std::make_unique<Impl>(*other.impl_) : nullptr) {}
SortedSet& SortedSet::operator=(const SortedSet& other) {
  if (this != &other) impl_ = other.impl_ ? std::make_unique<Impl>(*other.impl_) : nullptr;
  return *this;
}
SortedSet::SortedSet(SortedSet&& other) noexcept = default;
SortedSet& SortedSet::operator=(SortedSet&& other) noexcept = default;

// ---- Mutators

SortedSet SortedSet::Assign(ActorId actor, std::string_view member, HlcTimestamp ts, double score) {
  assert(actor != 0 && !std::isnan(score));
  // In release a broken precondition changes nothing: a stored NaN would
  // make the state fail its own Decode (and so its restore).
  if (actor == 0 || std::isnan(score)) return SortedSet();
  Impl& s = Impl::Mutable(impl_);
  SortedSet delta;
  Impl& d = Impl::Mutable(delta.impl_);
  Impl::Payload payload;
  payload.ts = ts;
  payload.value = Canonical(score);
  if (Impl::Node* node = s.Find(member)) {
    HlcTimestamp seen = 0;
    for (const DotEntry& e : node->second.dots.entries()) {
      if (!e.payload.counter) seen = std::max(seen, e.payload.ts);
    }
    // Saturates: a timestamp at the maximum can only be tied, never beaten.
    HlcTimestamp after = seen == std::numeric_limits<HlcTimestamp>::max() ? seen : seen + 1;
    payload.ts = std::max(ts, after);
    s.RemoveDots(d, *node, [](const DotEntry&) { return true; });
    // Not refreshed: AddDot refreshes it with its new dot.
  }
  s.AddDot(d, actor, member, payload);
  return delta;
}

SortedSet SortedSet::Increment(ActorId actor, std::string_view member, double by) {
  assert(actor != 0 && !std::isnan(by));
  if (actor == 0 || std::isnan(by)) return SortedSet();  // as in Assign
  Impl& s = Impl::Mutable(impl_);
  SortedSet delta;
  Impl& d = Impl::Mutable(delta.impl_);
  auto own = [actor](const DotEntry& e) { return e.payload.counter && e.dot.actor == actor; };
  Impl::Payload payload;
  payload.counter = true;
  // Valid histories leave at most one counter dot per actor and member, but
  // a member reset elsewhere can briefly hold two; folding them keeps the sum.
  double total = 0;
  if (Impl::Node* node = s.Find(member)) {
    for (const DotEntry& e : node->second.dots.entries()) {
      if (own(e)) total += e.payload.value;
    }
    s.RemoveDots(d, *node, own);
  }
  total += by;
  // +inf plus -inf: this actor's contribution becomes `by` (a read that was
  // NaN, so 0, plus `by` is what the caller checked).
  if (std::isnan(total)) total = by;
  payload.value = Canonical(total);
  s.AddDot(d, actor, member, payload);
  return delta;
}

SortedSet SortedSet::Remove(std::string_view member) {
  SortedSet delta;
  if (!impl_) return delta;
  Impl::Node* node = impl_->Find(member);
  if (node == nullptr) return delta;
  Impl& d = Impl::Mutable(delta.impl_);
  impl_->RemoveDots(d, *node, [](const DotEntry&) { return true; });
  impl_->Refresh(*node);
  return delta;
}

SortedSet SortedSet::Clear() {
  SortedSet delta;
  if (!impl_ || impl_->members.empty()) return delta;
  Impl& s = *impl_;
  Impl& d = Impl::Mutable(delta.impl_);
  // Sorted first: DotContext inserts in dot order append.
  std::vector<Dot> all;
  all.reserve(s.dots.size());
  for (const auto& [dot, node] : s.dots) all.push_back(dot);
  std::sort(all.begin(), all.end());
  for (const Dot& dot : all) d.context.Insert(dot);
  for (const Node& node : s.members) {
    for (const DotEntry& e : node.second.dots.entries()) d.removed.Note(node.first, e.dot);
  }
  s.order.clear();
  s.dots.clear();
  s.members.clear();
  return delta;
}

// ---- Reads

size_t SortedSet::size() const { return Impl::Of(impl_).members.size(); }

bool SortedSet::Contains(std::string_view member) const { return Impl::Of(impl_).Find(member) != nullptr; }

std::optional<double> SortedSet::Score(std::string_view member) const {
  const Node* node = Impl::Of(impl_).Find(member);
  if (node == nullptr) return std::nullopt;
  return node->second.score;
}

std::optional<size_t> SortedSet::Rank(std::string_view member) const {
  const Impl& s = Impl::Of(impl_);
  const Node* node = s.Find(member);
  if (node == nullptr) return std::nullopt;
  return s.order.order_of_key(OrderKey{node->second.score, node->first});
}

SortedSet::Entry SortedSet::At(size_t rank) const {
  const Impl& s = Impl::Of(impl_);
  assert(rank < s.order.size());
  auto it = s.order.find_by_order(rank);
  return Entry{it->member, it->score};
}

size_t SortedSet::LowerRank(const ScoreBound& min) const {
  const Impl& s = Impl::Of(impl_);
  if (min.exclusive) return s.CountPrefix([&](const OrderKey& k) { return k.score <= min.value; });
  return s.CountPrefix([&](const OrderKey& k) { return k.score < min.value; });
}

size_t SortedSet::UpperRank(const ScoreBound& max) const {
  const Impl& s = Impl::Of(impl_);
  if (max.exclusive) return s.CountPrefix([&](const OrderKey& k) { return k.score < max.value; });
  return s.CountPrefix([&](const OrderKey& k) { return k.score <= max.value; });
}

size_t SortedSet::LowerRank(const LexBound& min) const {
  const Impl& s = Impl::Of(impl_);
  switch (min.kind) {
    case LexBound::Kind::kMinusInfinity: return 0;
    case LexBound::Kind::kPlusInfinity: return s.order.size();
    case LexBound::Kind::kInclusive: return s.LexPrefix(min.value, false);
    case LexBound::Kind::kExclusive: return s.LexPrefix(min.value, true);
  }
  return 0;
}

size_t SortedSet::UpperRank(const LexBound& max) const {
  const Impl& s = Impl::Of(impl_);
  switch (max.kind) {
    case LexBound::Kind::kMinusInfinity: return 0;
    case LexBound::Kind::kPlusInfinity: return s.order.size();
    case LexBound::Kind::kInclusive: return s.LexPrefix(max.value, true);
    case LexBound::Kind::kExclusive: return s.LexPrefix(max.value, false);
  }
  return 0;
}

void SortedSet::Visit(size_t first, size_t last, bool reverse, const std::function<bool(const Entry&)>& visit) const {
  const Impl& s = Impl::Of(impl_);
  last = std::min(last, s.order.size());
  if (first >= last) return;
  if (!reverse) {
    auto it = s.order.find_by_order(first);
    for (size_t i = first; i < last; ++i, ++it) {
      if (!visit(Entry{it->member, it->score})) return;
    }
    return;
  }
  auto it = s.order.find_by_order(last - 1);
  for (size_t i = last; i > first; --i, --it) {
    if (!visit(Entry{it->member, it->score})) return;
  }
}

const DotContext& SortedSet::context() const { return Impl::Of(impl_).context; }

size_t SortedSet::dot_count() const { return Impl::Of(impl_).dots.size(); }

// ---- Join

bool SortedSet::Join(const SortedSet& other) {
  if (&other == this || !other.impl_) return false;
  const Impl& o = *other.impl_;
  if (o.context.empty() && o.members.empty() && o.removed.empty()) return false;
  Impl& s = Impl::Mutable(impl_);

  std::vector<Node*> touched;
  auto touch = [&](Node& node) {
    if (node.second.touched) return;
    node.second.touched = true;
    touched.push_back(&node);
  };

  // 1. Our members that `other` does not hold: drop the dots it has seen (it
  // removed them). A small delta's context is probed dot by dot through the
  // dot index instead of scanning every member.
  if (o.context.DotCount() < s.dots.size()) {
    for (const DotContext::ActorIntervals& a : o.context.actors()) {
      for (const DotContext::Interval& iv : a.intervals) {
        for (uint64_t c = iv.first;; ++c) {
          auto hit = s.dots.find(Dot{a.actor, c});
          if (hit != s.dots.end() && o.Find(hit->second->first) == nullptr) {
            Node& node = *hit->second;
            node.second.dots.Erase(hit->first);
            s.dots.erase(hit);
            touch(node);
          }
          if (c == iv.last) break;
        }
      }
    }
  } else if (!o.context.empty()) {
    for (Node& node : s.members) {
      if (o.Find(node.first) != nullptr) continue;
      const auto& entries = node.second.dots.entries();
      if (std::none_of(entries.begin(), entries.end(), [&](const DotEntry& e) { return o.context.Contains(e.dot); })) {
        continue;
      }
      sorted_set_internal::Store kept;
      for (const DotEntry& e : entries) {
        if (o.context.Contains(e.dot)) {
          s.dots.erase(e.dot);
        } else {
          kept.Insert(e.dot, e.payload);
        }
      }
      node.second.dots = std::move(kept);
      touch(node);
    }
  }

  // 2. The members `other` holds: the dot-store join, member by member.
  for (const Node& theirs : o.members) {
    Node* mine = s.Find(theirs.first);
    if (mine == nullptr) {
      const auto& entries = theirs.second.dots.entries();
      if (std::all_of(entries.begin(), entries.end(), [&](const DotEntry& e) { return s.context.Contains(e.dot); })) {
        continue;  // all seen and removed here
      }
      Node& node = s.NodeFor(theirs.first);
      for (const DotEntry& e : entries) {
        if (!s.context.Contains(e.dot)) s.InsertDot(node, e.dot, e.payload);
      }
      touch(node);
      continue;
    }
    Node& node = *mine;
    bool changed = node.second.dots.Join(
        theirs.second.dots, s.context, o.context, [&](const Dot& d) { s.dots.erase(d); },
        [&](const Dot& d) { s.dots.emplace(d, &node); });
    if (changed) touch(node);
  }

  if (!o.removed.empty()) s.removed.Join(o.removed);
  s.context.Join(o.context);

  bool changed = false;
  for (Node* node : touched) {
    node->second.touched = false;
    changed |= s.Refresh(*node);
  }
  return changed;
}

bool SortedSet::operator==(const SortedSet& other) const {
  const Impl& a = Impl::Of(impl_);
  const Impl& b = Impl::Of(other.impl_);
  if (!(a.context == b.context) || a.members.size() != b.members.size()) return false;
  for (const Node& node : a.members) {
    const Node* theirs = b.Find(node.first);
    if (theirs == nullptr || !(theirs->second.dots == node.second.dots)) return false;
  }
  return true;
}

}  // namespace regionsync

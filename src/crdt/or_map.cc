#include "regionsync/crdt/or_map.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "regionsync/crdt/redis_string.h"

namespace regionsync {

const OrMap::Rep& OrMap::EmptyRep() {
  static const Rep empty;
  return empty;
}

namespace {

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
  }
  return sum;
}

using Entry = DotFun<OrMapPayload>::Entry;

// The LWW winner among the register dots: greatest (timestamp, writer,
// value bytes); nullptr when the field holds only counter dots.
const Entry* Winner(const DotFun<OrMapPayload>& store) {
  auto key = [](const Entry& e) { return std::tie(e.payload.ts, e.dot.actor, e.payload.bytes); };
  const Entry* best = nullptr;
  for (const Entry& e : store.entries()) {
    if (!e.payload.counter && (best == nullptr || key(e) > key(*best))) best = &e;
  }
  return best;
}

// A hash field's counter dots: whether it has any, and their exact sum
// (128 bits hold the sum of any number of int64 totals a map can hold).
struct CounterPart {
  bool any = false;
  __int128 sum = 0;
};
CounterPart CounterDots(const DotFun<OrMapPayload>& store) {
  CounterPart part;
  for (const Entry& e : store.entries()) {
    if (!e.payload.counter) continue;
    part.any = true;
    part.sum += e.payload.total;
  }
  return part;
}

int64_t Clamp(__int128 v) {
  return static_cast<int64_t>(
      std::clamp<__int128>(v, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
}

// A kRegister field's integer value (see OrMap::RegisterInteger).
std::optional<int64_t> FieldInteger(const DotFun<OrMapPayload>& store) {
  int64_t base = 0;
  if (const Entry* w = Winner(store)) {
    std::optional<int64_t> parsed = ParseRedisInteger(w->payload.bytes);
    if (!parsed) return std::nullopt;
    base = *parsed;
  }
  return Clamp(base + CounterDots(store).sum);
}

// A kRegister field's value (see OrMap::Register). REQUIRES: non-empty.
std::string FieldValue(const DotFun<OrMapPayload>& store) {
  const Entry* w = Winner(store);
  if (!CounterDots(store).any) return w->payload.bytes;
  std::optional<int64_t> n = FieldInteger(store);
  if (!n) return w->payload.bytes;  // a text base: increments do not apply to it
  return std::to_string(*n);
}

std::vector<std::string> DistinctValues(const DotFun<OrMapPayload>& store) {
  std::vector<std::string> values;
  values.reserve(store.size());
  for (const Entry& e : store.entries()) values.push_back(e.payload.bytes);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

int64_t Sum(const DotFun<OrMapPayload>& store) {
  int64_t sum = 0;
  for (const Entry& e : store.entries()) sum = SaturatingAdd(sum, e.payload.total);
  return sum;
}

}  // namespace

bool OrMap::AdoptKind(OrMapKind kind) {
  if (kind_ == OrMapKind::kUnset) kind_ = kind;
  assert(kind_ == kind && "OrMap mutator does not match the map's kind");
  return kind_ == kind;
}

const OrMap::Store* OrMap::FindStore(std::string_view key) const {
  auto it = rep().entries_.find(key);
  return it == rep().entries_.end() ? nullptr : &it->second;
}

void OrMap::InsertDot(std::string_view key, const Dot& dot, OrMapPayload payload) {
  auto it = rep().entries_.find(key);
  if (it == rep().entries_.end()) it = rep().entries_.emplace(std::string(key), Store{}).first;
  it->second.Insert(dot, std::move(payload));
  IndexDot(dot, it->first);
}

void OrMap::IndexDot(const Dot& dot, const std::string& key) {
  Rep& r = rep();
  ++r.dots_;
  if (r.indexed_) r.index_.emplace(dot, key);
}

void OrMap::UnindexDot(const Dot& dot) {
  Rep& r = rep();
  --r.dots_;
  if (r.indexed_) r.index_.erase(dot);
}

void OrMap::EnsureIndex() {
  Rep& r = rep();
  if (r.indexed_) return;
  r.index_.reserve(r.dots_);
  for (const auto& [key, store] : r.entries_) {
    for (const Entry& e : store.entries()) r.index_.emplace(e.dot, key);
  }
  r.indexed_ = true;
}

template <typename Pred>
OrMap OrMap::RemoveDots(std::string_view key, Pred pred) {
  OrMap delta(kind_);
  // A receiver must know which incarnation of the key the dots belong to.
  if (const Lifetime* life = FieldLife(key); life != nullptr && life->incarnation() > 0) {
    delta.SetLife(key, life->SameIncarnation());
  }
  auto it = rep().entries_.find(key);
  if (it == rep().entries_.end()) return delta;
  Store kept;
  // The removal travels with the field's new dots if the delta is split.
  const UnitKey field(std::string(key), "");
  for (const Entry& e : it->second.entries()) {
    if (pred(e)) {
      delta.rep().context_.Insert(e.dot);
      UnindexDot(e.dot);
      if (kind_ == OrMapKind::kSet) {
        delta.rep().removed_.Note(UnitKey(field.first, e.payload.bytes), e.dot);
      } else {
        delta.rep().removed_.Note(field, e.dot);
      }
    } else {
      kept.Insert(e.dot, e.payload);
    }
  }
  if (kept.empty()) {
    rep().entries_.erase(it);
  } else {
    it->second = std::move(kept);
  }
  return delta;
}

template <typename Pred>
OrMap OrMap::ReplaceDots(ActorId actor, std::string_view key, Pred pred, OrMapPayload payload) {
  assert(actor != 0);
  OrMap delta = RemoveDots(key, pred);
  Dot dot = rep().context_.Next(actor);
  rep().context_.Insert(dot);
  InsertDot(key, dot, payload);
  delta.rep().context_.Insert(dot);
  delta.InsertDot(key, dot, std::move(payload));
  return delta;
}

OrMap OrMap::Assign(ActorId actor, std::string_view key, HlcTimestamp ts, std::string value) {
  if (kind_ == OrMapKind::kUnset) kind_ = OrMapKind::kRegister;
  if (kind_ != OrMapKind::kRegister && kind_ != OrMapKind::kMvRegister) {
    assert(false && "OrMap::Assign needs a register kind");
    return OrMap(kind_);
  }
  OrMapPayload payload;
  payload.bytes = std::move(value);
  if (kind_ == OrMapKind::kRegister) {
    payload.ts = ts;
    if (const Store* store = FindStore(key)) {
      HlcTimestamp seen = 0;
      for (const Entry& e : store->entries()) seen = std::max(seen, e.payload.ts);  // counter dots: 0
      // Saturates: a timestamp at the maximum can only be tied, never beaten.
      HlcTimestamp after = seen == std::numeric_limits<HlcTimestamp>::max() ? seen : seen + 1;
      payload.ts = std::max(ts, after);
    }
  }
  return ReplaceDots(actor, key, [](const Entry&) { return true; }, std::move(payload));
}

OrMap OrMap::Enable(ActorId actor, std::string_view key) {
  if (!AdoptKind(OrMapKind::kFlag)) return OrMap(kind_);
  return ReplaceDots(actor, key, [](const Entry&) { return true; }, OrMapPayload{});
}

OrMap OrMap::Disable(std::string_view key) {
  if (!AdoptKind(OrMapKind::kFlag)) return OrMap(kind_);
  return RemoveDots(key, [](const Entry&) { return true; });
}

int64_t OrMap::OwnTotal(ActorId actor, std::string_view key) const {
  // Valid histories leave at most one live counter dot per actor and key,
  // but a key reset elsewhere can briefly hold two; folding them all keeps
  // the sum.
  int64_t total = 0;
  if (const Store* store = FindStore(key)) {
    for (const Entry& e : store->entries()) {
      bool counter_dot = kind_ == OrMapKind::kCounter || e.payload.counter;
      if (counter_dot && e.dot.actor == actor) total = SaturatingAdd(total, e.payload.total);
    }
  }
  return total;
}

OrMap OrMap::Increment(ActorId actor, std::string_view key, int64_t by) {
  if (!AdoptKind(OrMapKind::kCounter)) return OrMap(kind_);
  OrMapPayload payload;
  payload.total = SaturatingAdd(OwnTotal(actor, key), by);
  return ReplaceDots(actor, key, [actor](const Entry& e) { return e.dot.actor == actor; },
                     std::move(payload));
}

OrMap OrMap::IncrementRegister(ActorId actor, std::string_view key, int64_t by) {
  if (!AdoptKind(OrMapKind::kRegister)) return OrMap(kind_);
  OrMapPayload payload;
  payload.counter = true;
  payload.total = SaturatingAdd(OwnTotal(actor, key), by);
  return ReplaceDots(actor, key, [actor](const Entry& e) { return e.payload.counter && e.dot.actor == actor; },
                     std::move(payload));
}

OrMap OrMap::AddElement(ActorId actor, std::string_view key, std::string_view element) {
  if (!AdoptKind(OrMapKind::kSet)) return OrMap(kind_);
  OrMapPayload payload;
  payload.bytes = std::string(element);
  return ReplaceDots(actor, key, [element](const Entry& e) { return e.payload.bytes == element; },
                     std::move(payload));
}

OrMap OrMap::RemoveElement(std::string_view key, std::string_view element) {
  if (!AdoptKind(OrMapKind::kSet)) return OrMap(kind_);
  return RemoveDots(key, [element](const Entry& e) { return e.payload.bytes == element; });
}

OrMap OrMap::Remove(std::string_view key) {
  return RemoveDots(key, [](const Entry&) { return true; });
}

bool OrMap::Contains(std::string_view key) const { return FindStore(key) != nullptr; }

std::vector<std::string> OrMap::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(rep().entries_.size());
  for (const auto& [key, store] : rep().entries_) keys.push_back(key);
  return keys;
}

std::optional<std::string> OrMap::Register(std::string_view key) const {
  const Store* store = FindStore(key);
  if (store == nullptr || kind_ != OrMapKind::kRegister) return std::nullopt;
  return FieldValue(*store);
}

std::optional<int64_t> OrMap::RegisterInteger(std::string_view key) const {
  const Store* store = FindStore(key);
  if (store == nullptr || kind_ != OrMapKind::kRegister) return 0;
  return FieldInteger(*store);
}

std::vector<std::string> OrMap::Values(std::string_view key) const {
  const Store* store = FindStore(key);
  if (store == nullptr || (kind_ != OrMapKind::kMvRegister && kind_ != OrMapKind::kSet)) return {};
  return DistinctValues(*store);
}

int64_t OrMap::Counter(std::string_view key) const {
  const Store* store = FindStore(key);
  if (store == nullptr || kind_ != OrMapKind::kCounter) return 0;
  return Sum(*store);
}

bool OrMap::SameRead(const Store& a, const Store& b) const {
  switch (kind_) {
    case OrMapKind::kRegister:
      return FieldValue(a) == FieldValue(b);
    case OrMapKind::kMvRegister:
    case OrMapKind::kSet:
      return DistinctValues(a) == DistinctValues(b);
    case OrMapKind::kCounter:
      return Sum(a) == Sum(b);
    case OrMapKind::kFlag:
    case OrMapKind::kUnset:
      return true;
  }
  return true;
}

bool OrMap::Join(const OrMap& other) {
  if (kind_ != other.kind_ && kind_ != OrMapKind::kUnset && other.kind_ != OrMapKind::kUnset) {
    assert(false && "OrMap::Join of two different kinds");
    return false;
  }
  if (kind_ == OrMapKind::kUnset) kind_ = other.kind_;

  // The stores of touched keys before the join (empty if absent), to tell
  // whether what a reader sees changed.
  std::map<std::string, Store, std::less<>> before;

  // 0. Lifetimes: a key's greater incarnation drops the dots of the lesser.
  std::vector<std::string_view> stale;
  std::vector<std::pair<std::string_view, uint64_t>> expiry_before;
  if (!other.rep().lives_.empty()) JoinLives(other, &stale, &before, &expiry_before);
  if (!rep().lives_.empty() && !other.rep().entries_.empty()) {
    for (const auto& [key, store] : other.rep().entries_) {
      if (other.rep().lives_.find(key) == other.rep().lives_.end() && IncarnationOf(key) > 0) stale.push_back(key);
    }
  }
  std::sort(stale.begin(), stale.end());
  // Whether `other` holds dots of the key's current incarnation (its dots
  // of an older one are dead: only its removals count).
  auto holds = [&](std::string_view key) {
    return other.rep().entries_.find(key) != other.rep().entries_.end() &&
           (stale.empty() || !std::binary_search(stale.begin(), stale.end(), key));
  };

  // 1. Our keys that `other` does not hold: drop the dots it has seen (it
  // removed them). A small delta's context is probed dot by dot through the
  // index instead of scanning every key.
  if (rep().dots_ >= kIndexFromDots && other.rep().context_.DotCount() < rep().dots_) {
    EnsureIndex();
    for (const DotContext::ActorIntervals& a : other.rep().context_.actors()) {
      for (const DotContext::Interval& iv : a.intervals) {
        for (uint64_t c = iv.first;; ++c) {
          auto hit = rep().index_.find(Dot{a.actor, c});
          if (hit != rep().index_.end() && !holds(hit->second)) {
            auto it = rep().entries_.find(hit->second);
            assert(it != rep().entries_.end());
            before.try_emplace(it->first, it->second);
            it->second.Erase(hit->first);
            if (it->second.empty()) rep().entries_.erase(it);
            rep().index_.erase(hit);
            --rep().dots_;
          }
          if (c == iv.last) break;
        }
      }
    }
  } else if (!other.rep().context_.empty()) {
    for (auto it = rep().entries_.begin(); it != rep().entries_.end();) {
      const auto& dots = it->second.entries();
      bool seen = std::any_of(dots.begin(), dots.end(),
                              [&](const Entry& e) { return other.rep().context_.Contains(e.dot); });
      if (!seen || holds(it->first)) {
        ++it;
        continue;
      }
      before.try_emplace(it->first, it->second);
      Store kept;
      for (const Entry& e : dots) {
        if (other.rep().context_.Contains(e.dot)) {
          UnindexDot(e.dot);
        } else {
          kept.Insert(e.dot, e.payload);
        }
      }
      if (kept.empty()) {
        it = rep().entries_.erase(it);
      } else {
        it->second = std::move(kept);
        ++it;
      }
    }
  }

  // 2. The keys `other` holds: the dot-store join, key by key.
  for (const auto& [key, theirs] : other.rep().entries_) {
    if (!holds(key)) continue;  // stale: step 1 applied its removals
    auto it = rep().entries_.find(key);
    if (it == rep().entries_.end()) {
      Store added;
      for (const Entry& e : theirs.entries()) {
        if (!rep().context_.Contains(e.dot)) added.Insert(e.dot, e.payload);
      }
      if (added.empty()) continue;
      before.try_emplace(key, Store{});
      it = rep().entries_.emplace(key, std::move(added)).first;
      for (const Entry& e : it->second.entries()) IndexDot(e.dot, it->first);
      continue;
    }
    Store old = it->second;
    const std::string& stored_key = it->first;
    bool changed = it->second.Join(
        theirs, rep().context_, other.rep().context_, [&](const Dot& d) { UnindexDot(d); },
        [&](const Dot& d) { IndexDot(d, stored_key); });
    if (!changed) continue;
    before.try_emplace(key, std::move(old));
    if (it->second.empty()) rep().entries_.erase(it);
  }

  if (!other.rep().removed_.empty()) rep().removed_.Join(other.rep().removed_);
  rep().context_.Join(other.rep().context_);
  if (!rep().ended_.empty()) {
    for (const auto& [key, store] : other.rep().entries_) DueAgain(key);
  }

  for (const auto& [key, old] : before) {
    const Store* now = FindStore(key);
    if (old.empty() != (now == nullptr)) return true;
    if (now != nullptr && !SameRead(old, *now)) return true;
  }
  // A key that stays present reads a new expiry.
  for (const auto& [key, expiry] : expiry_before) {
    if (FindStore(key) != nullptr && FieldLife(key)->expires_at_millis() != expiry) return true;
  }
  return false;
}

bool OrMap::operator==(const OrMap& other) const {
  return kind_ == other.kind_ && rep().context_ == other.rep().context_ && rep().entries_ == other.rep().entries_ &&
         rep().lives_ == other.rep().lives_;
}

}  // namespace regionsync

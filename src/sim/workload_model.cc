#include "sim/workload_model.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace regionsync::sim {

void CounterOps::AddIncrement(const PnCounter& after, ActorId actor, int64_t amount) {
  if (amount == 0) return;
  bool negative = amount < 0;
  uint64_t slot = (negative ? after.decrements() : after.increments()).Slot(actor);
  ops.push_back({actor, negative, slot, amount});
}

void CounterOps::AddReset(const PnCounter& before) {
  Reset r;
  for (const GCounter::SlotEntry& s : before.increments()) r.p[s.actor] = s.count;
  for (const GCounter::SlotEntry& s : before.decrements()) r.n[s.actor] = s.count;
  resets.push_back(std::move(r));
}

namespace {
bool Cancelled(const CounterOps::Op& op, const std::vector<CounterOps::Reset>& resets) {
  for (const CounterOps::Reset& r : resets) {
    const auto& side = op.negative ? r.n : r.p;
    auto it = side.find(op.actor);
    if (it != side.end() && it->second >= op.slot_after) return true;
  }
  return false;
}
}  // namespace

int64_t CounterOps::Expected() const {
  int64_t sum = 0;
  for (const Op& op : ops) {
    if (!Cancelled(op, resets)) sum += op.amount;
  }
  return sum;
}

bool CounterOps::AnyLive() const {
  return std::any_of(ops.begin(), ops.end(), [&](const Op& op) { return !Cancelled(op, resets); });
}

std::optional<std::string> StringOps::Expected() const {
  const std::string* visible = nullptr;
  if (base && base->value && std::pair(base->ts, base->actor) > hidden) visible = &*base->value;
  if (!counter.AnyLive()) return visible ? std::optional<std::string>(*visible) : std::nullopt;
  int64_t b = 0;
  if (visible) {
    std::optional<int64_t> parsed = ParseRedisInteger(*visible);
    if (!parsed) return *visible;  // increments do not apply to text
    b = *parsed;
  }
  return std::to_string(b + counter.Expected());
}

std::vector<std::string> SetOps::Expected() const {
  std::set<std::string> present;
  for (const Add& add : adds) {
    bool superseded = false;
    for (const auto& [removed, seen] : removes) {
      superseded = superseded || (removed == add.element && seen.Contains(add.dot));
    }
    for (const Add& later : adds) {
      superseded = superseded || (later.element == add.element && later.seen.Contains(add.dot));
    }
    if (!superseded) present.insert(add.element);
  }
  return {present.begin(), present.end()};
}

std::vector<std::string> SortedSetOps::Expected() const {
  std::set<std::string> present;
  for (const Write& w : writes) {
    bool superseded = false;
    for (const auto& [removed, seen] : removes) {
      superseded = superseded || (removed == w.member && seen.Contains(w.dot));
    }
    for (const Write& later : writes) {
      if (later.member != w.member || !later.seen.Contains(w.dot)) continue;
      // ZADD replaces every dot it saw; ZINCRBY its own actor's counter dot.
      superseded = superseded || !later.increment || (w.increment && later.dot.actor == w.dot.actor);
    }
    if (!superseded) present.insert(w.member);
  }
  return {present.begin(), present.end()};
}

std::string WorkloadModel::Check(const std::map<std::string, const AnyCrdt*>& state) const {
  auto find = [&](const std::string& key) -> const AnyCrdt* {
    auto it = state.find(key);
    return it == state.end() ? nullptr : it->second;
  };
  std::ostringstream err;
  for (const auto& [key, expected] : grow_only) {
    const AnyCrdt* v = find(key);
    const GCounter* g = v ? std::get_if<GCounter>(v) : nullptr;
    int64_t got = g ? static_cast<int64_t>(g->Value()) : 0;
    if (got != expected) err << "counter " << key << " = " << got << ", acknowledged sum " << expected << "; ";
  }
  for (const auto& [key, ops] : counters) {
    const AnyCrdt* v = find(key);
    const PnCounter* c = v ? std::get_if<PnCounter>(v) : nullptr;
    int64_t got = c ? c->Value() : 0;
    if (got != ops.Expected() || (c != nullptr && c->HasLive() != ops.AnyLive())) {
      err << "counter " << key << " = " << got << (c && c->HasLive() ? " (exists)" : "") << ", observed-reset model "
          << ops.Expected() << (ops.AnyLive() ? " (exists)" : "") << "; ";
    }
  }
  for (const auto& [key, w] : registers) {
    const AnyCrdt* v = find(key);
    const LwwRegister* reg = v ? std::get_if<LwwRegister>(v) : nullptr;
    if (reg == nullptr || reg->Value() != w.value) {
      err << "register " << key << " = " << (reg && reg->Value() ? *reg->Value() : "<none>") << ", LWW model says "
          << w.value.value_or("<none>") << "; ";
    }
  }
  for (const auto& [key, ops] : strings) {
    const AnyCrdt* v = find(key);
    const RedisString* s = v ? std::get_if<RedisString>(v) : nullptr;
    std::optional<std::string> got = s ? s->Value() : std::nullopt;
    if (got != ops.Expected()) {
      err << "string " << key << " = " << got.value_or("<none>") << ", model says "
          << ops.Expected().value_or("<none>") << "; ";
    }
  }
  for (const auto& [key, ops] : sets) {
    const AnyCrdt* v = find(key);
    std::vector<std::string> got;
    if (v != nullptr && std::holds_alternative<OrSet>(*v)) got = std::get<OrSet>(*v).Elements();
    if (got != ops.Expected()) {
      err << "set " << key << " has " << got.size() << " elements, add-wins model " << ops.Expected().size() << "; ";
    }
  }
  for (const auto& [key, ops] : sorted_sets) {
    const AnyCrdt* v = find(key);
    std::vector<std::string> got;
    if (const SortedSet* z = v ? std::get_if<SortedSet>(v) : nullptr) {
      z->Visit(0, z->size(), false, [&](const SortedSet::Entry& e) {
        got.emplace_back(e.member);
        return true;
      });
      std::sort(got.begin(), got.end());
    }
    if (got != ops.Expected()) {
      err << "sorted set " << key << " has " << got.size() << " members, add-wins model " << ops.Expected().size()
          << "; ";
    }
  }
  return err.str();
}

}  // namespace regionsync::sim

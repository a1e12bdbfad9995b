// OrMap: key (field) expiry. The rules are in or_map.h and lifetime.h; the
// Redis hash's HEXPIRE family uses them (docs/redis.md, "Hash field expiry").
#include <algorithm>
#include <cassert>
#include <cstdint>

#include "regionsync/crdt/or_map.h"

namespace regionsync {

const Lifetime* OrMap::FieldLife(std::string_view key) const {
  auto it = rep().lives_.find(key);
  return it == rep().lives_.end() ? nullptr : &it->second;
}

uint64_t OrMap::IncarnationOf(std::string_view key) const {
  const Lifetime* life = FieldLife(key);
  return life == nullptr ? 0 : life->incarnation();
}

Lifetime& OrMap::SetLife(std::string_view key, const Lifetime& life) {
  auto it = rep().lives_.find(key);
  if (it == rep().lives_.end()) {
    it = rep().lives_.emplace(std::string(key), life).first;
  } else {
    if (uint64_t old = it->second.expires_at_millis(); old != 0) {
      rep().due_.erase({old, it->first});
      rep().ended_.erase({old, it->first});
    }
    it->second = life;
  }
  if (life.expires_at_millis() != 0) rep().due_.insert({life.expires_at_millis(), it->first});
  return it->second;
}

void OrMap::DueAgain(std::string_view key) {
  const Lifetime* life = FieldLife(key);
  if (life == nullptr || life->expires_at_millis() == 0 || rep().entries_.find(key) == rep().entries_.end()) return;
  auto node = rep().ended_.extract({life->expires_at_millis(), std::string(key)});
  if (!node.empty()) rep().due_.insert(std::move(node));
}

OrMap OrMap::SetFieldExpiry(ActorId actor, std::string_view key, HlcTimestamp clock_now, uint64_t expires_at_millis) {
  const Lifetime* current = FieldLife(key);
  Lifetime life = current == nullptr ? Lifetime{} : *current;
  OrMap delta(kind_);
  const Lifetime write = life.SetExpiry(actor, clock_now, expires_at_millis);
  SetLife(key, life);
  delta.SetLife(key, write);
  return delta;
}

OrMap OrMap::EndFieldExpiry(ActorId actor, std::string_view key, HlcTimestamp clock_now) {
  const Lifetime* life = FieldLife(key);
  if (life == nullptr || life->expires_at_millis() == 0) return OrMap(kind_);
  return SetFieldExpiry(actor, key, clock_now, 0);
}

void OrMap::NextFieldIncarnation(std::string_view key) {
  DropDots(key);
  const Lifetime* life = FieldLife(key);
  SetLife(key, (life == nullptr ? Lifetime{} : *life).Next());
}

bool OrMap::DropDots(std::string_view key) {
  auto it = rep().entries_.find(key);
  if (it == rep().entries_.end()) return false;
  for (const auto& e : it->second.entries()) UnindexDot(e.dot);
  rep().entries_.erase(it);
  return true;
}

std::vector<std::string> OrMap::ReclaimExpiredFields(uint64_t now_millis, uint64_t forget_before_millis) {
  std::vector<std::string> dropped;
  while (!rep().due_.empty() && rep().due_.begin()->first <= now_millis) {
    auto node = rep().due_.extract(rep().due_.begin());
    if (DropDots(node.value().second)) dropped.push_back(node.value().second);
    rep().ended_.insert(std::move(node));
  }
  while (!rep().ended_.empty() && rep().ended_.begin()->first <= forget_before_millis) {
    const std::string key = rep().ended_.begin()->second;
    DropDots(key);  // none, unless a late delta brought some back unnoticed
    SetLife(key, FieldLife(key)->Next());
  }
  return dropped;
}

uint64_t OrMap::NextFieldExpiry(uint64_t forget_after_millis) const {
  uint64_t next = rep().due_.empty() ? 0 : rep().due_.begin()->first;
  if (!rep().ended_.empty()) {
    const uint64_t at = rep().ended_.begin()->first;
    const uint64_t forget = at > UINT64_MAX - forget_after_millis ? UINT64_MAX : at + forget_after_millis;
    if (next == 0 || forget < next) next = forget;
  }
  return next;
}

void OrMap::JoinLives(const OrMap& other, std::vector<std::string_view>* stale,
                      std::map<std::string, Store, std::less<>>* before,
                      std::vector<std::pair<std::string_view, uint64_t>>* expiry_before) {
  for (const auto& [key, theirs] : other.rep().lives_) {
    const Lifetime* current = FieldLife(key);
    Lifetime ours = current == nullptr ? Lifetime{} : *current;
    if (theirs.incarnation() < ours.incarnation()) {
      stale->push_back(key);
      continue;
    }
    if (theirs == ours) continue;
    const Store* store = FindStore(key);
    before->try_emplace(key, store == nullptr ? Store{} : *store);
    if (theirs.incarnation() > ours.incarnation()) {
      // A newer incarnation of the key: what we hold of it is dead.
      DropDots(key);
      ours = theirs;
    } else {
      ours.JoinExpiry(theirs);
    }
    expiry_before->emplace_back(key, current == nullptr ? 0 : current->expires_at_millis());
    SetLife(key, ours);
  }
}

}  // namespace regionsync

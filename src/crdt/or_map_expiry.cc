// OrMap: key (field) expiry. The rules are in or_map.h and lifetime.h; the
// Redis hash's HEXPIRE family uses them (docs/redis.md, "Hash field expiry").
#include <algorithm>
#include <cassert>
#include <cstdint>

#include "regionsync/crdt/or_map.h"

namespace regionsync {

const Lifetime* OrMap::FieldLife(std::string_view key) const {
  auto it = lives_.find(key);
  return it == lives_.end() ? nullptr : &it->second;
}

uint64_t OrMap::IncarnationOf(std::string_view key) const {
  const Lifetime* life = FieldLife(key);
  return life == nullptr ? 0 : life->incarnation();
}

Lifetime& OrMap::SetLife(std::string_view key, const Lifetime& life) {
  auto it = lives_.find(key);
  if (it == lives_.end()) {
    it = lives_.emplace(std::string(key), life).first;
  } else {
    if (uint64_t old = it->second.expires_at_millis(); old != 0) {
      due_.erase({old, it->first});
      ended_.erase({old, it->first});
    }
    it->second = life;
  }
  if (life.expires_at_millis() != 0) due_.insert({life.expires_at_millis(), it->first});
  return it->second;
}

void OrMap::DueAgain(std::string_view key) {
  const Lifetime* life = FieldLife(key);
  if (life == nullptr || life->expires_at_millis() == 0 || entries_.find(key) == entries_.end()) return;
  auto node = ended_.extract({life->expires_at_millis(), std::string(key)});
  if (!node.empty()) due_.insert(std::move(node));
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
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  for (const auto& e : it->second.entries()) index_.erase(e.dot);
  entries_.erase(it);
  return true;
}

std::vector<std::string> OrMap::ReclaimExpiredFields(uint64_t now_millis, uint64_t forget_before_millis) {
  std::vector<std::string> dropped;
  while (!due_.empty() && due_.begin()->first <= now_millis) {
    auto node = due_.extract(due_.begin());
    if (DropDots(node.value().second)) dropped.push_back(node.value().second);
    ended_.insert(std::move(node));
  }
  while (!ended_.empty() && ended_.begin()->first <= forget_before_millis) {
    const std::string key = ended_.begin()->second;
    DropDots(key);  // none, unless a late delta brought some back unnoticed
    SetLife(key, FieldLife(key)->Next());
  }
  return dropped;
}

uint64_t OrMap::NextFieldExpiry(uint64_t forget_after_millis) const {
  uint64_t next = due_.empty() ? 0 : due_.begin()->first;
  if (!ended_.empty()) {
    const uint64_t at = ended_.begin()->first;
    const uint64_t forget = at > UINT64_MAX - forget_after_millis ? UINT64_MAX : at + forget_after_millis;
    if (next == 0 || forget < next) next = forget;
  }
  return next;
}

void OrMap::JoinLives(const OrMap& other, std::vector<std::string_view>* stale,
                      std::map<std::string, Store, std::less<>>* before,
                      std::vector<std::pair<std::string_view, uint64_t>>* expiry_before) {
  for (const auto& [key, theirs] : other.lives_) {
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

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

OrMap OrMap::SetFieldExpiry(ActorId actor, std::string_view key, HlcTimestamp clock_now, uint64_t expires_at_millis) {
  auto it = lives_.find(key);
  if (it == lives_.end()) it = lives_.emplace(std::string(key), Lifetime{}).first;
  OrMap delta(kind_);
  delta.lives_.emplace(it->first, it->second.SetExpiry(actor, clock_now, expires_at_millis));
  return delta;
}

OrMap OrMap::EndFieldExpiry(ActorId actor, std::string_view key, HlcTimestamp clock_now) {
  const Lifetime* life = FieldLife(key);
  if (life == nullptr || life->expires_at_millis() == 0) return OrMap(kind_);
  return SetFieldExpiry(actor, key, clock_now, 0);
}

void OrMap::NextFieldIncarnation(std::string_view key) {
  DropDots(key);
  auto it = lives_.find(key);
  if (it == lives_.end()) {
    lives_.emplace(std::string(key), Lifetime{}.Next());
  } else {
    it->second = it->second.Next();
  }
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
  for (auto& [key, life] : lives_) {
    if (!life.ExpiredAt(now_millis)) continue;
    if (DropDots(key)) dropped.push_back(key);
    if (life.expires_at_millis() <= forget_before_millis) life = life.Next();
  }
  return dropped;
}

uint64_t OrMap::NextFieldExpiry(uint64_t forget_after_millis) const {
  uint64_t next = 0;
  for (const auto& [key, life] : lives_) {
    uint64_t at = life.expires_at_millis();
    if (at == 0) continue;
    // Dots to drop at the expiry, else a lifetime to forget after it.
    if (entries_.find(key) == entries_.end()) {
      at = at > UINT64_MAX - forget_after_millis ? UINT64_MAX : at + forget_after_millis;
    }
    if (next == 0 || at < next) next = at;
  }
  return next;
}

void OrMap::JoinLives(const OrMap& other, std::vector<std::string_view>* stale,
                      std::map<std::string, Store, std::less<>>* before,
                      std::vector<std::pair<std::string_view, uint64_t>>* expiry_before) {
  for (const auto& [key, theirs] : other.lives_) {
    auto it = lives_.find(key);
    if (it == lives_.end()) it = lives_.emplace(key, Lifetime{}).first;
    Lifetime& ours = it->second;
    if (theirs.incarnation() < ours.incarnation()) {
      stale->push_back(key);
      continue;
    }
    if (theirs == ours) continue;
    const Store* store = FindStore(key);
    before->try_emplace(key, store == nullptr ? Store{} : *store);
    expiry_before->emplace_back(it->first, ours.expires_at_millis());
    if (theirs.incarnation() > ours.incarnation()) {
      // A newer incarnation of the key: what we hold of it is dead.
      DropDots(key);
      ours = theirs;
    } else {
      ours.JoinExpiry(theirs);
    }
  }
}

}  // namespace regionsync

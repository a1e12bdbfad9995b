// Replica: expiry of keys (SetExpiry, ExpiresAt, ExpireDue) and of map
// fields (SetFieldExpiry, FieldExpiresAt, the lazy reclaim in Find), and
// the lookups that treat an expired key as missing. The rules are in crdt/lifetime.h and
// docs/redis.md ("Expiry").
#include <algorithm>

#include "regionsync/sync/replica.h"

namespace regionsync {

bool Replica::Expired(const Entry& e) const {
  // Most keys never expire: no clock read for them.
  const Lifetime& life = e.life.get();
  return life.expires_at_millis() != 0 && life.ExpiredAt(env_->WallMillis());
}

Replica::Node* Replica::LiveNode(std::string_view key) {
  auto it = keys_.find(key);
  return it == keys_.end() || Expired(it->second) ? nullptr : &*it;
}

const Replica::Node* Replica::LiveNode(std::string_view key) const {
  auto it = keys_.find(key);
  return it == keys_.end() || Expired(it->second) ? nullptr : &*it;
}

Replica::Node& Replica::CreateForWrite(std::string_view key, CrdtType type) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return GetOrCreate(key, type);
  Entry& e = it->second;
  if (Expired(e)) {
    // The write starts the next incarnation, of its own type; the first
    // delta of it replaces the expired value in every region (JoinKeyState).
    uint64_t old_expiry = e.life.get().expires_at_millis();
    e.state = EmptyCrdt(type);
    e.life.set(e.life.get().Next());
    e.conflict_reported = false;
    IndexExpiry(*it, old_expiry);
    IndexFieldExpiry(*it);
    MarkDirty(*it);
  }
  return *it;
}

void Replica::IndexExpiry(Node& node, uint64_t old_expiry) {
  Entry& e = node.second;
  uint64_t expiry = e.life.get().expires_at_millis();
  if (e.tombstone) {
    if (Expired(e)) return;  // still reclaimed; forgotten in time
    // Live again: a newer incarnation, or an expiry moved later by a write
    // this replica had not seen when it reclaimed the value.
    e.tombstone = false;
    --tombstones_;
    DropForgetAt(node);
    old_expiry = 0;  // ExpireDue took it out of expiry_index_
  } else if (old_expiry == expiry) {
    return;
  }
  if (old_expiry != 0) expiry_index_.erase({old_expiry, &node});
  if (expiry != 0) expiry_index_.insert({expiry, &node});
}

Result<bool> Replica::SetExpiry(std::string_view key, uint64_t expires_at_millis) {
  if (key.empty()) return InvalidArgument("key must not be empty");
  Node* node = LiveNode(key);
  if (node == nullptr || !HasValue(node->second.state)) return false;
  Entry& e = node->second;
  uint64_t old_expiry = e.life.get().expires_at_millis();
  Lifetime delta = e.life.Update([&](Lifetime& l) { return l.SetExpiry(id_.actor(), Now(), expires_at_millis); });
  IndexExpiry(*node, old_expiry);
  checked_bytes_ = 0;
  RecordLocal(*node, EmptyCrdt(TypeOf(e.state)), old_expiry != expires_at_millis, delta);
  return true;
}

std::optional<uint64_t> Replica::ExpiresAt(std::string_view key) const {
  const Node* node = LiveNode(key);
  if (node == nullptr || !HasValue(node->second.state)) return std::nullopt;
  return node->second.life.get().expires_at_millis();
}

size_t Replica::ExpireDue(size_t max_keys) {
  const uint64_t now = env_->WallMillis();
  size_t handled = 0;
  while (handled < max_keys && !expiry_index_.empty() && expiry_index_.begin()->first <= now) {
    Node& node = *expiry_index_.begin()->second;
    expiry_index_.erase(expiry_index_.begin());
    ++handled;
    Entry& e = node.second;
    bool had_value = HasValue(e.state);
    // Only the name and the lifetime stay, to recognise late deltas of
    // this incarnation until the retention ends.
    e.state = EmptyCrdt(TypeOf(e.state));
    IndexFieldExpiry(node);
    e.tombstone = true;
    ++tombstones_;
    ForgetAt(node, now > UINT64_MAX - options_.expired_retention_millis ? UINT64_MAX
                                                                         : now + options_.expired_retention_millis);
    MarkDirty(node);
    expired_keys_ += had_value;
    if (had_value) Notify(node.first, e.state, name_, /*local=*/true, /*changed=*/true, /*expired=*/true);
  }
  while (handled < max_keys && !field_expiry_index_.empty() && field_expiry_index_.begin()->first <= now) {
    ++handled;
    ReclaimFields(*field_expiry_index_.begin()->second);
  }
  while (handled < max_keys && !forget_index_.empty() && forget_index_.begin()->first <= now) {
    Node& node = *forget_index_.begin()->second;
    DropForgetAt(node);
    ++handled;
    Entry& e = node.second;
    bool in_flight = false;
    if (sealed_) {
      auto it = std::lower_bound(sealed_->deltas.begin(), sealed_->deltas.end(), node.first,
                                 [](const KeyedDelta& d, const std::string& k) { return d.key < k; });
      in_flight = it != sealed_->deltas.end() && it->key == node.first;
    }
    if (e.dirty || e.unsent || in_flight) {
      // Still to be committed or sent: forget it a little later.
      ForgetAt(node, now + 1000);
      continue;
    }
    Forget(node);
  }
  return handled;
}

void Replica::EndIncarnation(Node& node) {
  // An expiry change of an incarnation that expired here (a PERSIST, or a
  // later EXPIRE, made elsewhere before the expiry passed there) would bring
  // the incarnation back here, maybe without the value and context this
  // replica reclaimed: its next local write could reuse a dot (or, for a
  // counter, restart its own running total) it had issued before. So the
  // expiry this replica saw stands (an LWW register, which has neither, may
  // come back: ApplyRemote): it starts the next incarnation,
  // expired at once, and every region follows (the greater incarnation
  // wins). Whether the key lives on thus depends on whether the change
  // reached every region before their clocks passed the expiry; either way
  // all regions end in the same state (docs/redis.md, "Expiry").
  Entry& e = node.second;
  const uint64_t old_expiry = e.life.get().expires_at_millis();
  e.state = EmptyCrdt(TypeOf(e.state));
  e.life.set(e.life.get().Next());
  Lifetime delta = e.life.Update([&](Lifetime& l) { return l.SetExpiry(id_.actor(), Now(), env_->WallMillis()); });
  IndexExpiry(node, old_expiry);
  IndexFieldExpiry(node);
  checked_bytes_ = 0;
  RecordLocal(node, EmptyCrdt(TypeOf(e.state)), /*value_changed=*/false, delta);
}

const AnyCrdt* Replica::Find(std::string_view key) {
  Node* node = LiveNode(key);
  if (node == nullptr) return nullptr;
  if (node->second.field_expiry && field_expiry_at_.at(node) <= env_->WallMillis()) ReclaimFields(*node);
  return &node->second.state;
}

void Replica::IndexFieldExpiry(Node& node) {
  Entry& e = node.second;
  const OrMap* map = std::get_if<OrMap>(&e.state);
  const uint64_t next =
      map == nullptr || map->field_lives() == 0 ? 0 : map->NextFieldExpiry(options_.expired_retention_millis);
  const uint64_t current = e.field_expiry ? field_expiry_at_.at(&node) : 0;
  if (next == current) return;
  if (current != 0) field_expiry_index_.erase({current, &node});
  e.field_expiry = next != 0;
  if (next != 0) {
    field_expiry_at_[&node] = next;
    field_expiry_index_.insert({next, &node});
  } else {
    field_expiry_at_.erase(&node);
  }
}

void Replica::ForgetAt(Node& node, uint64_t when) {
  DropForgetAt(node);
  forget_at_.emplace(&node, when);
  forget_index_.insert({when, &node});
}

void Replica::DropForgetAt(Node& node) {
  auto it = forget_at_.find(&node);
  if (it == forget_at_.end()) return;
  forget_index_.erase({it->second, &node});
  forget_at_.erase(it);
}

size_t Replica::ReclaimFields(Node& node) {
  OrMap* map = std::get_if<OrMap>(&node.second.state);
  if (map == nullptr) return 0;
  const uint64_t now = env_->WallMillis();
  const uint64_t forget_before = now > options_.expired_retention_millis ? now - options_.expired_retention_millis : 0;
  std::vector<std::string> dropped = map->ReclaimExpiredFields(now, forget_before);
  MarkDirty(node);
  IndexFieldExpiry(node);
  expired_fields_ += dropped.size();
  if (!dropped.empty()) {
    Notify(node.first, node.second.state, name_, /*local=*/true, /*changed=*/true, /*expired=*/false,
           /*fields_expired=*/true);
  }
  return dropped.size();
}

std::optional<uint64_t> Replica::FieldExpiresAt(std::string_view key, std::string_view field) {
  const AnyCrdt* value = Find(key);
  const OrMap* map = value == nullptr ? nullptr : std::get_if<OrMap>(value);
  if (map == nullptr || !map->Contains(field)) return std::nullopt;
  const Lifetime* life = map->FieldLife(field);
  return life == nullptr ? 0 : life->expires_at_millis();
}

Result<bool> Replica::SetFieldExpiry(std::string_view key, std::string_view field, uint64_t expires_at_millis) {
  if (!FieldExpiresAt(key, field)) return false;
  if (expires_at_millis != 0 && expires_at_millis <= env_->WallMillis()) {
    RS_RETURN_IF_ERROR(MapRemove(key, field));
    return true;
  }
  Node& node = *LiveNode(key);
  OrMap& map = std::get<OrMap>(node.second.state);
  OrMap delta = map.SetFieldExpiry(id_.actor(), field, Now(), expires_at_millis);
  checked_bytes_ = 0;
  RecordLocal(node, AnyCrdt(std::move(delta)), /*value_changed=*/true);
  IndexFieldExpiry(node);
  return true;
}

std::vector<std::pair<std::string, uint64_t>> Replica::ExpiredFieldsIn(Node& node, const AnyCrdt& delta) const {
  std::vector<std::pair<std::string, uint64_t>> out;
  const auto* theirs = std::get_if<OrMap>(&delta);
  const auto* ours = std::get_if<OrMap>(&node.second.state);
  if (theirs == nullptr || ours == nullptr || theirs->field_lives() == 0 || ours->field_lives() == 0) return out;
  const uint64_t now = env_->WallMillis();
  for (const auto& [field, life] : theirs->field_lifetimes()) {
    const Lifetime* mine = ours->FieldLife(field);
    if (mine != nullptr && mine->ExpiredAt(now)) out.emplace_back(field, mine->incarnation());
  }
  return out;
}

void Replica::EndRevivedFields(Node& node, const std::vector<std::pair<std::string, uint64_t>>& expired) {
  // As EndIncarnation, per field: an expiry change that reached this replica
  // after the field expired here (its dots may be reclaimed already) does not
  // bring it back; the field's next incarnation, expired at once, ends it in
  // every region.
  auto* map = std::get_if<OrMap>(&node.second.state);
  if (map == nullptr) return;
  const uint64_t now = env_->WallMillis();
  OrMap delta(map->kind());
  for (const auto& [field, incarnation] : expired) {
    const Lifetime* life = map->FieldLife(field);
    if (life == nullptr || life->incarnation() != incarnation || life->ExpiredAt(now)) continue;
    map->NextFieldIncarnation(field);
    delta.Join(map->SetFieldExpiry(id_.actor(), field, Now(), now));
  }
  if (delta.field_lives() == 0) return;
  checked_bytes_ = 0;
  RecordLocal(node, AnyCrdt(std::move(delta)), /*value_changed=*/false);
  IndexFieldExpiry(node);
}

void Replica::Forget(Node& node) {
  if (node.second.field_expiry) {
    field_expiry_index_.erase({field_expiry_at_.at(&node), &node});
    field_expiry_at_.erase(&node);
  }
  DropForgetAt(node);
  key_order_[node.second.order] = nullptr;
  SetCommittedHash(node, 0);
  if (node.second.hash_stale) std::erase(stale_hashes_, &node);
  uncommitted_.erase(&node);
  logged_delta_bytes_.erase(&node);
  --tombstones_;
  forgotten_.push_back(node.first);
  keys_.erase(node.first);
}

}  // namespace regionsync

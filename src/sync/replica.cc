#include "regionsync/sync/replica.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "regionsync/crdt/copy_crdt.h"
#include "sync/stored_key.h"

namespace regionsync {
namespace {

Status CheckKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("key must not be empty");
  return Status::Ok();
}

Status CheckSizeLimits(const ReplicaOptions& o) {
  if (o.max_value_bytes == 0 || o.max_value_bytes > o.max_state_bytes) {
    return InvalidArgument("max_value_bytes (" + std::to_string(o.max_value_bytes) +
                           ") must be at least 1 and at most max_state_bytes (" + std::to_string(o.max_state_bytes) + ")");
  }
  if (o.max_state_bytes > kMaxEncodedStateBytes) {
    return InvalidArgument("max_state_bytes (" + std::to_string(o.max_state_bytes) + ") must be at most " +
                           std::to_string(kMaxEncodedStateBytes) + ", the largest state the decoders accept");
  }
  return Status::Ok();
}

// For AddAll: the largest unit (key + element) and what all elements may add.
std::pair<size_t, size_t> ElementSizes(std::string_view key, std::span<const std::string_view> elements) {
  size_t largest = 0, added = 0;
  for (std::string_view e : elements) {
    largest = std::max(largest, e.size());
    added += e.size() + Replica::kUnitEncodingBytes;
  }
  return {key.size() + largest, added};
}

// A key as error messages quote it: client bytes, maybe huge.
std::string Quoted(std::string_view key) {
  constexpr size_t kShown = 40;
  return "'" + std::string(key.substr(0, kShown)) + (key.size() > kShown ? "...'" : "'");
}

const char* KindName(OrMapKind kind) {
  switch (kind) {
    case OrMapKind::kRegister: return "registers";
    case OrMapKind::kMvRegister: return "multi-value registers";
    case OrMapKind::kFlag: return "flags";
    case OrMapKind::kCounter: return "counters";
    case OrMapKind::kSet: return "sets";
    case OrMapKind::kUnset: return "nothing yet";
  }
  return "?";
}

}  // namespace

Result<std::unique_ptr<Replica>> Replica::Open(std::string_view name, Env* env, Store* store,
                                               ReplicaOptions options) {
  RS_RETURN_IF_ERROR(CheckSizeLimits(options));
  Result<StoreMeta> meta = store->LoadMeta();
  if (!meta.ok()) return meta.status();
  StoreMeta m = *meta;
  std::string boot_id = env->BootId();
  bool rebooted = options.new_epoch_after_reboot && m.epoch != 0 && m.boot_id != boot_id;
  bool fresh = m.epoch == 0 || rebooted;
  if (fresh) {
    uint64_t old = m.epoch;
    do m.epoch = env->Random64();
    while (m.epoch == 0 || m.epoch == old);
    m.next_sequence = 1;
  }
  m.boot_id = boot_id;
  Result<ReplicaId> id = ReplicaId::Parse(name, m.epoch);
  if (!id.ok()) return id.status();
  std::unique_ptr<Replica> replica(new Replica(*id, env, store, options, m));
  replica->meta_dirty_ = fresh;
  replica->started_empty_ = m.last_hlc == 0;
  RS_RETURN_IF_ERROR(replica->Restore());
  RS_RETURN_IF_ERROR(replica->Commit());  // a new epoch is durable before any dot uses it
  return replica;
}

Replica::Replica(ReplicaId id, Env* env, Store* store, ReplicaOptions options, StoreMeta meta)
    : id_(std::move(id)),
      name_(id_.name()),
      env_(env),
      store_(store),
      options_(options),
      clock_(options.max_clock_drift_millis, meta.last_hlc),
      meta_(meta),
      sequence_bound_(meta.next_sequence) {}

Replica::Node& Replica::GetOrCreate(std::string_view key, CrdtType type) {
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    it = keys_.emplace(std::string(key), Entry(EmptyCrdt(type))).first;
    it->second.order = static_cast<uint32_t>(key_order_.size());
    key_order_.push_back(&*it);
  }
  return *it;
}

Result<Replica::Node*> Replica::NodeFor(std::string_view key, CrdtType type, std::optional<OrMapKind> map_kind) {
  RS_RETURN_IF_ERROR(CheckKey(key));
  Node* it = LiveNode(key);
  if (it == nullptr) return &CreateForWrite(key, type);
  CrdtType have = TypeOf(it->second.state);
  if (have != type) {
    return TypeMismatch("key '" + std::string(key) + "' holds a " + TypeName(have) + ", not a " + TypeName(type));
  }
  if (map_kind) {
    OrMapKind k = std::get<OrMap>(it->second.state).kind();
    if (k != OrMapKind::kUnset && k != *map_kind) {
      return TypeMismatch("key '" + std::string(key) + "' is a map of " + KindName(k) + ", not of " +
                          KindName(*map_kind));
    }
  }
  return it;
}

void Replica::AddUnsent(Node& node, const AnyCrdt& delta, const Lifetime& life) {
  Entry& e = node.second;
  if (e.unsent) {
    // Another type only within the string family (a register or counter key
    // written as a string): the pending delta becomes a string too. A delta
    // of the next incarnation replaces the pending one of the expired one.
    JoinKeyState(e.unsent->delta, e.unsent->life, delta, life);
  } else {
    e.unsent = std::make_unique<KeyedState>(KeyedState{delta, life});
    unsent_.push_back(&node);
  }
  MarkDirtyBy(node, delta, life);
}

void Replica::RecordLocal(Node& node, AnyCrdt delta, bool value_changed, std::optional<Lifetime> life) {
  Entry& e = node.second;
  e.written_bytes += std::exchange(checked_bytes_, 0);
  if (!life) {
    life = e.life.get().SameIncarnation();
    // A write that empties the key (DEL, the last SREM) ends its expiry too:
    // created again, the key starts without one, as in Redis.
    uint64_t old_expiry = e.life.get().expires_at_millis();
    uint64_t expiry = HasValue(e.state) ? pending_expiry_.value_or(old_expiry) : 0;
    if (expiry != old_expiry) {
      life = e.life.Update([&](Lifetime& l) { return l.SetExpiry(id_.actor(), Now(), expiry); });
      IndexExpiry(node, old_expiry);
    }
  }
  AddUnsent(node, delta, *life);
  ++local_writes_;
  // Every local write is told (WATCH aborts on a write of the same value, as
  // in Redis); listeners of value changes skip !changed.
  Notify(node.first, node.second.state, name_, /*local=*/true, value_changed);
}

void Replica::Notify(const std::string& key, const AnyCrdt& state, const std::string& origin, bool local,
                     bool changed, bool expired, bool fields_expired) {
  if (listeners_.empty()) return;
  ChangeEvent event{key, TypeOf(state), origin, local, state, changed, expired, fields_expired};
  for (auto& [token, listener] : listeners_) listener(event);
}


Result<int64_t> Replica::Increment(std::string_view key, int64_t by, CrdtType create_as) {
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size(), 0));
  // One lookup: this is the hottest write (INCR).
  RS_RETURN_IF_ERROR(CheckKey(key));
  Node* it = LiveNode(key);
  if (it == nullptr) {
    Node& created = CreateForWrite(key, create_as == pb::STRING ? pb::STRING : PnCounter::kType);
    if (create_as == pb::STRING) return IncrementString(created, by);
    it = &created;
  }
  AnyCrdt& state = it->second.state;
  if (std::holds_alternative<GCounter>(state)) {
    if (by < 0) return InvalidArgument("key '" + std::string(key) + "' is a grow-only counter: cannot decrement");
    Result<uint64_t> v = IncrementGrowOnly(key, static_cast<uint64_t>(by));
    if (!v.ok()) return v.status();
    return static_cast<int64_t>(std::min<uint64_t>(*v, INT64_MAX));
  }
  if (std::holds_alternative<RedisString>(state) ||
      (create_as == pb::STRING && std::holds_alternative<LwwRegister>(state))) {
    return IncrementString(*it, by);
  }
  if (!std::holds_alternative<PnCounter>(state)) {
    return TypeMismatch("key '" + std::string(key) + "' holds a " + TypeName(TypeOf(state)) + ", not a " +
                        TypeName(PnCounter::kType));
  }
  PnCounter& counter = std::get<PnCounter>(state);
  int64_t result;
  if (__builtin_add_overflow(counter.Value(), by, &result)) {
    return InvalidArgument("increment or decrement would overflow");
  }
  if (!counter.CanAdd(id_.actor(), by)) return InvalidArgument(kLifetimeTotalError);
  // -(INT64_MIN) overflows: take the magnitude as unsigned.
  uint64_t magnitude = by < 0 ? uint64_t{0} - static_cast<uint64_t>(by) : static_cast<uint64_t>(by);
  ActorId actor = id_.actor();
  bool existed = counter.HasLive();
  PnCounter delta = by < 0 ? counter.Decrement(actor, magnitude) : counter.Increment(actor, magnitude);
  RecordLocal(*it, AnyCrdt(std::move(delta)), by != 0 || !existed);
  return counter.Value();
}

// INCRBY on a string, or on an LWW register that becomes one.
Result<int64_t> Replica::IncrementString(Node& node, int64_t by) {
  AnyCrdt& state = node.second.state;
  // Check on the value as it reads before converting anything: an error changes nothing.
  std::optional<int64_t> current = ToRedisString(state).IntegerValue();
  if (!current) return InvalidArgument("value is not an integer or out of range");
  int64_t result;
  if (__builtin_add_overflow(*current, by, &result)) return InvalidArgument("increment or decrement would overflow");
  // A register converted below has an empty counter: nothing to check.
  if (const RedisString* s = std::get_if<RedisString>(&state); s != nullptr && !s->counter().CanAdd(id_.actor(), by)) {
    return InvalidArgument(kLifetimeTotalError);
  }
  if (!std::holds_alternative<RedisString>(state)) state = ToRedisString(state);  // peers convert on receipt
  RedisString& str = std::get<RedisString>(state);
  bool existed = str.HasValue();
  // INCRBY k 0 on a missing key makes it "0", as in Redis: a SET, since a
  // zero contribution leaves no trace in the counter.
  RedisString delta = by == 0 && !existed ? str.Set(id_.actor(), Now(), "0") : str.Increment(id_.actor(), by);
  RecordLocal(node, AnyCrdt(std::move(delta)), by != 0 || !existed);
  return result;
}

Result<uint64_t> Replica::IncrementGrowOnly(std::string_view key, uint64_t by) {
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size(), 0));
  ActorId actor = id_.actor();
  Result<GCounter*> c = MutateAs<GCounter>(key, std::nullopt, [&](GCounter& s) {
    return std::pair{s.Increment(actor, by), by != 0};
  });
  if (!c.ok()) return c.status();
  return (*c)->Value();
}

Status Replica::Set(std::string_view key, std::string value, std::optional<uint64_t> client_millis,
                    CrdtType create_as) {
  RS_RETURN_IF_ERROR(CheckKey(key));
  if (client_millis) RS_RETURN_IF_ERROR(CheckClientMillis(*client_millis));
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size() + value.size(), 0));
  ActorId actor = id_.actor();
  HlcTimestamp now = Now();
  // A string stays one; a counter becomes one only for a string write (the
  // Redis port): over HTTP a register write to a counter is a TypeMismatch.
  const AnyCrdt* existing = Find(key);
  bool as_string = existing == nullptr ? create_as == pb::STRING
                                       : std::holds_alternative<RedisString>(*existing) ||
                                             (create_as == pb::STRING && std::holds_alternative<PnCounter>(*existing));
  if (!as_string) {
    return MutateAs<LwwRegister>(key, std::nullopt, [&](LwwRegister& s) {
             std::optional<std::string> before = s.Value();
             LwwRegister d = client_millis ? s.AssignAt(actor, HlcFromMillis(*client_millis), std::move(value))
                                           : s.Assign(actor, now, std::move(value));
             return std::pair{std::move(d), s.Value() != before};
           }).status();
  }
  Node& node = CreateForWrite(key, pb::STRING);
  AnyCrdt& state = node.second.state;
  if (std::holds_alternative<PnCounter>(state)) state = ToRedisString(state);  // peers convert on receipt
  RedisString& str = std::get<RedisString>(state);
  std::optional<std::string> before = str.Value();
  RedisString d = client_millis ? str.SetAt(actor, HlcFromMillis(*client_millis), std::move(value))
                                : str.Set(actor, now, std::move(value));
  RecordLocal(node, AnyCrdt(std::move(d)), str.Value() != before);
  return Status::Ok();
}

Status Replica::SetMulti(std::string_view key, std::string value) {
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size() + value.size(), 0));
  ActorId actor = id_.actor();
  return MutateAs<MvRegister>(key, std::nullopt, [&](MvRegister& s) {
           std::vector<std::string> before = s.Values();
           MvRegister d = s.Assign(actor, std::move(value));
           return std::pair{std::move(d), s.Values() != before};
         }).status();
}

Result<bool> Replica::Add(std::string_view key, std::string_view element) {
  Result<size_t> added = AddAll(key, {&element, 1});
  if (!added.ok()) return added.status();
  return *added > 0;
}

Result<bool> Replica::Remove(std::string_view key, std::string_view element) {
  Result<size_t> removed = RemoveAll(key, {&element, 1});
  if (!removed.ok()) return removed.status();
  return *removed > 0;
}

Result<size_t> Replica::AddAll(std::string_view key, std::span<const std::string_view> elements) {
  auto [largest_unit, added_bytes] = ElementSizes(key, elements);
  RS_RETURN_IF_ERROR(CheckWriteSize(key, largest_unit, added_bytes));
  ActorId actor = id_.actor();
  size_t added = 0;
  Result<OrSet*> s = MutateAs<OrSet>(key, std::nullopt, [&](OrSet& set) {
    OrSet delta = set.AddAll(actor, elements, &added);
    return std::pair{std::move(delta), added > 0};
  });
  if (!s.ok()) return s.status();
  return added;
}

Result<size_t> Replica::RemoveAll(std::string_view key, std::span<const std::string_view> elements) {
  size_t removed = 0;
  Result<OrSet*> s = MutateAs<OrSet>(key, std::nullopt, [&](OrSet& set) {
    OrSet delta = set.RemoveAll(elements, &removed);
    return std::pair{std::move(delta), removed > 0};
  });
  if (!s.ok()) return s.status();
  return removed;
}

Status Replica::Enable(std::string_view key) {
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size(), 0));
  ActorId actor = id_.actor();
  return MutateAs<EwFlag>(key, std::nullopt, [&](EwFlag& f) {
           bool before = f.Enabled();
           return std::pair{f.Enable(actor), !before};
         }).status();
}

Status Replica::Disable(std::string_view key) {
  return MutateAs<EwFlag>(key, std::nullopt, [&](EwFlag& f) {
           bool before = f.Enabled();
           return std::pair{f.Disable(), before};
         }).status();
}

Result<bool> Replica::Delete(std::string_view key) {
  RS_RETURN_IF_ERROR(CheckKey(key));
  Node* it = LiveNode(key);
  if (it == nullptr || !HasValue(it->second.state)) return false;  // nothing observed to remove
  Result<AnyCrdt> delta = ClearCrdt(it->second.state, id_.actor(), Now());
  if (!delta.ok()) return Status(delta.status().code(), "key '" + it->first + "': " + delta.status().message());
  RecordLocal(*it, std::move(delta).value(), /*value_changed=*/true);
  return true;
}

Status Replica::WriteCopy(std::string_view key, const AnyCrdt& source) {
  RS_RETURN_IF_ERROR(CheckKey(key));
  const AnyCrdt* existing = Find(key);
  assert(existing != &source);
  if (existing != nullptr && !CanCopyInto(*existing, source)) {
    return TypeMismatch("key '" + std::string(key) + "' holds a " + TypeName(TypeOf(*existing)) + ", not a " +
                        TypeName(TypeOf(source)));
  }
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size() + LargestCopyUnit(source), EncodeCrdt(source).size()));
  Node& node = CreateForWrite(key, TypeOf(source));
  if (auto* map = std::get_if<OrMap>(&node.second.state); map != nullptr && std::holds_alternative<OrMap>(source)) {
    // A field the copy writes whose expiry passed starts its next incarnation, as any write of it.
    for (const std::string& field : std::get<OrMap>(source).Keys()) {
      if (const Lifetime* life = map->FieldLife(field); life != nullptr && life->ExpiredAt(env_->WallMillis())) {
        map->NextFieldIncarnation(field);
      }
    }
  }
  Result<AnyCrdt> delta = ReplaceByCopy(node.second.state, source, id_.actor(), Now());
  if (!delta.ok()) return Status(delta.status().code(), "key '" + node.first + "': " + delta.status().message());
  if (auto* map = std::get_if<OrMap>(&node.second.state); map != nullptr && std::holds_alternative<OrMap>(source)) {
    // The copy's fields keep their expiries, as in Redis (written afresh, like the values).
    OrMap& d = std::get<OrMap>(*delta);
    for (const auto& [field, life] : std::get<OrMap>(source).field_lifetimes()) {
      if (life.expires_at_millis() == 0 || life.ExpiredAt(env_->WallMillis()) || !map->Contains(field)) continue;
      d.Join(map->SetFieldExpiry(id_.actor(), field, Now(), life.expires_at_millis()));
    }
  }
  RecordLocal(node, std::move(delta).value(), /*value_changed=*/true);
  IndexFieldExpiry(node);
  return Status::Ok();
}

size_t Replica::ScanKeys(size_t cursor, size_t count, const KeyVisitor& visit) const {
  size_t end = std::min(key_order_.size(), cursor + std::max<size_t>(count, 1));
  for (size_t i = cursor; i < end; ++i) {
    const Node* node = key_order_[i];
    if (node != nullptr && !Expired(node->second)) visit(node->first, node->second.state);
  }
  return end < key_order_.size() ? end : 0;
}

const AnyCrdt* Replica::Find(std::string_view key) const {
  const Node* node = LiveNode(key);
  return node == nullptr ? nullptr : &node->second.state;
}

const AnyCrdt* Replica::FindState(std::string_view key, Lifetime* life) const {
  auto it = keys_.find(key);
  if (it == keys_.end()) return nullptr;
  *life = it->second.life.get();
  return &it->second.state;
}

std::vector<std::string> Replica::Keys() const {
  std::vector<std::string> out;
  out.reserve(keys_.size());
  for (const auto& [key, entry] : keys_) {
    if (!Expired(entry)) out.push_back(key);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status Replica::ApplyRemote(std::string_view key, const AnyCrdt& delta, std::string_view origin,
                            const Lifetime& life) {
  RS_RETURN_IF_ERROR(CheckKey(key));
  Node& node = GetOrCreate(key, TypeOf(delta));
  // Expired by this replica's clock (reclaimed or not, also a key restored
  // after a restart, whose reclaimed flag is not stored).
  const bool was_expired = Expired(node.second);
  const uint64_t incarnation = node.second.life.get().incarnation();
  std::vector<std::pair<std::string, uint64_t>> expired_fields = ExpiredFieldsIn(node, delta);
  bool changed = JoinInto(node, delta, life, origin);
  if (!expired_fields.empty()) EndRevivedFields(node, expired_fields);
  if (was_expired && !Expired(node.second) && node.second.life.get().incarnation() == incarnation &&
      !std::holds_alternative<LwwRegister>(node.second.state)) {
    EndIncarnation(node);
    return Status::Ok();
  }
  if (Expired(node.second)) {
    // A late delta of an expired incarnation, or an expiry in the past:
    // reads as absent; ExpireDue reclaims it and says so.
    if (node.second.tombstone) node.second.state = EmptyCrdt(TypeOf(node.second.state));
    return Status::Ok();
  }
  if (changed) Notify(node.first, node.second.state, std::string(origin), /*local=*/false);
  return Status::Ok();
}

bool Replica::JoinInto(Node& node, const AnyCrdt& delta, const Lifetime& life, std::string_view origin) {
  Entry& e = node.second;
  CrdtType had = TypeOf(e.state);
  uint64_t old_expiry = e.life.get().expires_at_millis(), old_incarnation = e.life.get().incarnation();
  TypedJoin j = e.life.Update([&](Lifetime& l) { return JoinKeyState(e.state, l, delta, life); });
  MarkDirtyBy(node, delta, life);
  if (e.life.get().incarnation() != old_incarnation) {
    // The key expired and was written again elsewhere: what this replica
    // had pending for the old incarnation is dead everywhere.
    if (e.unsent && e.unsent->life.incarnation() < e.life.get().incarnation()) e.unsent.reset();
  }
  IndexExpiry(node, old_expiry);
  IndexFieldExpiry(node);
  if (!j.conflict) return j.changed;
  ++type_conflicts_;
  // A pending local delta that lost is dropped: every peer would drop it too.
  if (e.unsent && !SameFamily(e.state, e.unsent->delta)) e.unsent.reset();
  if (!e.conflict_reported && options_.on_type_conflict) {
    e.conflict_reported = true;
    CrdtType kept = TypeOf(e.state);
    CrdtType dropped = kept == had ? TypeOf(delta) : had;
    options_.on_type_conflict("type conflict on key '" + node.first + "': " + std::string(origin) + " sent a " +
                              TypeName(TypeOf(delta)) + ", this replica held a " + TypeName(had) + "; kept " +
                              (IsStringFamily(e.state) ? std::string("both as a string")
                                                       : std::string("the ") + TypeName(kept) + ", dropped the " +
                                                             TypeName(dropped)) +
                              " (counted in regionsync_type_conflicts_total)");
  }
  return j.changed;
}

Status Replica::CheckWriteSize(std::string_view key, size_t largest_unit, size_t added_bytes) {
  checked_bytes_ = 0;
  if (largest_unit > options_.max_value_bytes) {
    return ResourceExhausted("value too large (limit " + std::to_string(options_.max_value_bytes) +
                             " bytes; --max-value-bytes): key " + Quoted(key) + " with its field and value is " +
                             std::to_string(largest_unit) + " bytes, and one value must fit one message");
  }
  if (added_bytes == 0) return Status::Ok();
  if (added_bytes > options_.max_state_bytes) {
    return ResourceExhausted("state too large (limit " + std::to_string(options_.max_state_bytes) +
                             " bytes; --max-state-bytes): this write to key " + Quoted(key) + " adds up to " +
                             std::to_string(added_bytes) + " bytes");
  }
  if (Node* it = LiveNode(key); it != nullptr) {
    Entry& e = it->second;
    const auto estimate = [&e] { return size_t{e.stored_bytes} + e.written_bytes; };
    if (estimate() > options_.max_state_bytes - added_bytes && e.written_bytes > 0) {
      // The estimate counts every write in full, also one that replaced a
      // value: measure before refusing.
      e.stored_bytes = EncodeCrdt(e.state).size();
      e.written_bytes = 0;
    }
    if (estimate() > options_.max_state_bytes - added_bytes) {
      return ResourceExhausted("state too large (limit " + std::to_string(options_.max_state_bytes) +
                               " bytes; --max-state-bytes): key " + Quoted(key) + " holds about " +
                               std::to_string(estimate()) + " bytes and this write adds up to " +
                               std::to_string(added_bytes));
    }
  }
  checked_bytes_ = added_bytes;
  return Status::Ok();
}

int Replica::Subscribe(Listener listener) {
  int token = next_listener_++;
  listeners_.emplace(token, std::move(listener));
  return token;
}

void Replica::Unsubscribe(int token) { listeners_.erase(token); }

}  // namespace regionsync

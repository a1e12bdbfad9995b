// Replica: the writes of maps (MapSet, MapIncrement, MapEnable, MapDisable,
// MapAdd, MapRemoveElement, MapRemove). A field whose expiry passed starts
// its next incarnation when written (crdt/or_map.h).
#include <utility>

#include "regionsync/sync/replica.h"

namespace regionsync {

namespace {
// Runs a map mutation and says whether the field's read value changed.
// A write of a field whose expiry passed starts its next incarnation (at
// `now_millis`); the mutation's delta carries it.
template <typename Read, typename Mutate>
std::pair<OrMap, bool> MapWrite(OrMap& m, std::string_view field, uint64_t now_millis, Read read, Mutate mutate) {
  if (const Lifetime* life = m.FieldLife(field); life != nullptr && life->ExpiredAt(now_millis)) {
    m.NextFieldIncarnation(field);
  }
  bool had = m.Contains(field);
  auto before = read(m, field);
  OrMap d = mutate(m);
  bool changed = had != m.Contains(field) || read(m, field) != before;
  return {std::move(d), changed};
}
Status CheckField(std::string_view field) {
  if (field.empty()) return InvalidArgument("map field must not be empty");
  return Status::Ok();
}

}  // namespace

Status Replica::MapSet(std::string_view key, std::string_view field, std::string value, bool keep_field_expiry) {
  RS_RETURN_IF_ERROR(CheckField(field));
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size() + field.size() + value.size(),
                                    field.size() + value.size() + kUnitEncodingBytes));
  ActorId actor = id_.actor();
  HlcTimestamp now = Now();
  return MutateAs<OrMap>(key, OrMapKind::kRegister, [&](OrMap& m) {
           return MapWrite(m, field, env_->WallMillis(), [](const OrMap& x, std::string_view f) { return x.Register(f); },
                           [&](OrMap& x) {
                             OrMap d = x.Assign(actor, field, now, std::move(value));
                             // HSET ends the field's expiry, as in Redis.
                             if (!keep_field_expiry) d.Join(x.EndFieldExpiry(actor, field, now));
                             return d;
                           });
         }).status();
}

Result<int64_t> Replica::MapIncrement(std::string_view key, std::string_view field, int64_t by, OrMapKind kind) {
  RS_RETURN_IF_ERROR(CheckField(field));
  const bool hash = kind == OrMapKind::kRegister;
  const AnyCrdt* v = Find(key);
  if (const OrMap* m = v != nullptr ? std::get_if<OrMap>(v) : nullptr; m != nullptr && m->kind() == kind) {
    int64_t sum;
    if (hash) {
      std::optional<int64_t> now = m->RegisterInteger(field);
      if (!now) return InvalidArgument("hash value is not an integer");
      if (__builtin_add_overflow(*now, by, &sum)) return InvalidArgument("increment or decrement would overflow");
    }
    if (__builtin_add_overflow(m->OwnTotal(id_.actor(), field), by, &sum)) return InvalidArgument(kLifetimeTotalError);
  }
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size() + field.size(), field.size() + kUnitEncodingBytes));
  ActorId actor = id_.actor();
  // What a reader sees of the field (both kinds), to tell whether it changed.
  auto read = [hash](const OrMap& y, std::string_view f) {
    return hash ? y.Register(f) : std::optional<std::string>(std::to_string(y.Counter(f)));
  };
  Result<OrMap*> m = MutateAs<OrMap>(key, kind, [&](OrMap& x) {
    return MapWrite(x, field, env_->WallMillis(), read, [&](OrMap& y) {
      return hash ? y.IncrementRegister(actor, field, by) : y.Increment(actor, field, by);
    });
  });
  if (!m.ok()) return m.status();
  return hash ? (*m)->RegisterInteger(field).value_or(0) : (*m)->Counter(field);
}

Status Replica::MapEnable(std::string_view key, std::string_view field) {
  RS_RETURN_IF_ERROR(CheckField(field));
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size() + field.size(), field.size() + kUnitEncodingBytes));
  ActorId actor = id_.actor();
  return MutateAs<OrMap>(key, OrMapKind::kFlag, [&](OrMap& m) {
           return MapWrite(m, field, env_->WallMillis(), [](const OrMap& x, std::string_view f) { return x.Flag(f); },
                           [&](OrMap& x) { return x.Enable(actor, field); });
         }).status();
}

Status Replica::MapDisable(std::string_view key, std::string_view field) {
  RS_RETURN_IF_ERROR(CheckField(field));
  return MutateAs<OrMap>(key, OrMapKind::kFlag, [&](OrMap& m) {
           return MapWrite(m, field, env_->WallMillis(), [](const OrMap& x, std::string_view f) { return x.Flag(f); },
                           [&](OrMap& x) { return x.Disable(field); });
         }).status();
}

Status Replica::MapAdd(std::string_view key, std::string_view field, std::string_view element) {
  RS_RETURN_IF_ERROR(CheckField(field));
  RS_RETURN_IF_ERROR(CheckWriteSize(key, key.size() + field.size() + element.size(),
                                    field.size() + element.size() + kUnitEncodingBytes));
  ActorId actor = id_.actor();
  return MutateAs<OrMap>(key, OrMapKind::kSet, [&](OrMap& m) {
           return MapWrite(m, field, env_->WallMillis(), [](const OrMap& x, std::string_view f) { return x.Values(f); },
                           [&](OrMap& x) { return x.AddElement(actor, field, element); });
         }).status();
}

Status Replica::MapRemoveElement(std::string_view key, std::string_view field, std::string_view element) {
  RS_RETURN_IF_ERROR(CheckField(field));
  return MutateAs<OrMap>(key, OrMapKind::kSet, [&](OrMap& m) {
           return MapWrite(m, field, env_->WallMillis(), [](const OrMap& x, std::string_view f) { return x.Values(f); },
                           [&](OrMap& x) { return x.RemoveElement(field, element); });
         }).status();
}

Status Replica::MapRemove(std::string_view key, std::string_view field) {
  RS_RETURN_IF_ERROR(CheckField(field));
  const AnyCrdt* existing = Find(key);
  if (existing == nullptr) return Status::Ok();  // nothing observed, nothing to remove
  std::optional<OrMapKind> kind;
  if (const OrMap* m = std::get_if<OrMap>(existing)) kind = m->kind();
  ActorId actor = id_.actor();
  HlcTimestamp now = Now();
  return MutateAs<OrMap>(key, kind, [&](OrMap& m) {
           bool had = m.Contains(field);
           OrMap d = m.Remove(field);
           // An expired field is gone already: a write to its expiry would revive it elsewhere.
           if (had) d.Join(m.EndFieldExpiry(actor, field, now));
           return std::pair{std::move(d), had};
         }).status();
}

}  // namespace regionsync

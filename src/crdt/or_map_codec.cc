// OrMap encoding (see proto/causal.proto) and its validating decoder.
#include <algorithm>
#include <limits>
#include <vector>

#include "crdt/dot_fun_codec.h"
#include "regionsync/crdt/or_map.h"
#include "regionsync/proto/causal.pb.h"

namespace regionsync {
namespace {

constexpr const char* kWhat = "or_map";

// The payload columns of a map of `kind`; `counter_rows`: a kRegister map
// holds counter dots.
unsigned ColumnsOf(OrMapKind kind, bool counter_rows) {
  switch (kind) {
    case OrMapKind::kRegister:
      return causal_codec::kValues | causal_codec::kTimestamps |
             (counter_rows ? causal_codec::kTotals | causal_codec::kCounterRows : 0u);
    case OrMapKind::kMvRegister:
    case OrMapKind::kSet:
      return causal_codec::kValues;
    case OrMapKind::kCounter:
      return causal_codec::kTotals;
    case OrMapKind::kFlag:
    case OrMapKind::kUnset:
      return causal_codec::kNoPayload;
  }
  return causal_codec::kNoPayload;
}

}  // namespace

void OrMap::ToProto(pb::OrMap* out) const {
  out->set_kind(static_cast<uint32_t>(kind_));
  if (!rep().context_.empty()) rep().context_.ToProto(out->mutable_context());
  for (const auto& [key, life] : rep().lives_) {
    out->add_life_keys(key);
    out->add_lives(life.Encode());
  }
  if (rep().entries_.empty()) return;
  bool counter_rows = false;
  if (kind_ == OrMapKind::kRegister) {
    for (const auto& [key, store] : rep().entries_) {
      for (const auto& e : store.entries()) counter_rows |= e.payload.counter;
    }
  }
  const unsigned columns = ColumnsOf(kind_, counter_rows);
  pb::DotStore* dots = out->mutable_dots();
  for (const auto& [key, store] : rep().entries_) {
    out->add_keys(key);
    out->add_dot_counts(static_cast<uint32_t>(store.size()));
    causal_codec::EncodeStore(store, rep().context_, dots, [columns](const OrMapPayload& p, pb::DotStore* s) {
      if (columns & causal_codec::kValues) s->add_values(p.bytes);
      if (columns & causal_codec::kTimestamps) s->add_timestamps(p.ts);
      if (columns & causal_codec::kTotals) s->add_totals(p.total);
      if (columns & causal_codec::kCounterRows) s->add_counter_rows(p.counter);
    });
  }
}

std::string OrMap::Encode() const {
  pb::OrMap proto;
  ToProto(&proto);
  return causal_codec::Serialize(proto);
}

std::string OrMap::ToJson() const {
  pb::OrMap proto;
  ToProto(&proto);
  return causal_codec::ToJson(proto);
}

Result<OrMap> OrMap::Decode(std::string_view bytes, size_t max_bytes) {
  pb::OrMap proto;
  RS_RETURN_IF_ERROR(causal_codec::Parse(bytes, &proto, kWhat, max_bytes));
  if (proto.kind() > static_cast<uint32_t>(OrMapKind::kSet)) {
    return InvalidArgument("or_map: unknown kind");
  }
  OrMap map(static_cast<OrMapKind>(proto.kind()));
  if (map.kind_ == OrMapKind::kUnset && (proto.keys_size() > 0 || proto.has_dots())) {
    return InvalidArgument("or_map: a map of kind unset holds entries");
  }
  if (proto.life_keys_size() != proto.lives_size())
    return InvalidArgument("or_map: life_keys and lives differ in length");
  for (int i = 0; i < proto.life_keys_size(); ++i) {
    const std::string& key = proto.life_keys(i);
    if (i > 0 && !(proto.life_keys(i - 1) < key)) return InvalidArgument("or_map: life_keys not strictly ascending");
    Result<Lifetime> life = Lifetime::Decode(proto.lives(i));
    if (!life.ok()) return InvalidArgument("or_map: " + life.status().message());
    if (life->IsInitial()) return InvalidArgument("or_map: an initial lifetime is not encoded");
    map.SetLife(key, *life);
  }
  Result<DotContext> ctx = DotContext::FromProto(proto.context());
  if (!ctx.ok()) return ctx.status();
  map.rep().context_ = std::move(ctx).value();

  const unsigned columns = ColumnsOf(map.kind_, proto.dots().counter_rows_size() > 0);
  Result<int> rows = causal_codec::CheckColumns(proto.dots(), columns, kWhat);
  if (!rows.ok()) return rows.status();
  if (proto.keys_size() != proto.dot_counts_size()) {
    return InvalidArgument("or_map: keys and dot_counts differ in length");
  }
  uint64_t total_rows = 0;
  for (uint32_t n : proto.dot_counts()) {
    if (n == 0) return InvalidArgument("or_map: a key with no dots");
    total_rows += n;  // at most 2^31 counts of 2^32: no overflow
  }
  if (total_rows != static_cast<uint64_t>(*rows)) {
    return InvalidArgument("or_map: dot_counts do not add up to the dot rows");
  }
  auto read = [columns](const pb::DotStore& s, int i) {
    OrMapPayload p;
    if (columns & causal_codec::kValues) p.bytes = s.values(i);
    if (columns & causal_codec::kTimestamps) p.ts = s.timestamps(i);
    if (columns & causal_codec::kTotals) p.total = s.totals(i);
    if (columns & causal_codec::kCounterRows) p.counter = s.counter_rows(i);
    return p;
  };
  // One form per row: a counter row carries only its total, a register row
  // none (an all-false counter_rows column fails the canonical check below).
  if (columns & causal_codec::kCounterRows) {
    const pb::DotStore& d = proto.dots();
    for (int i = 0; i < *rows; ++i) {
      bool ok = d.counter_rows(i) ? d.timestamps(i) == 0 && d.values(i).empty() : d.totals(i) == 0;
      if (!ok) return InvalidArgument("or_map: a row mixes a register write and a counter total");
    }
  }
  int row = 0;
  for (int k = 0; k < proto.keys_size(); ++k) {
    const std::string& key = proto.keys(k);
    if (k > 0 && !(proto.keys(k - 1) < key)) return InvalidArgument("or_map: keys not strictly ascending");
    int end = row + static_cast<int>(proto.dot_counts(k));
    Store store;
    RS_RETURN_IF_ERROR(causal_codec::DecodeStore(proto.dots(), row, end, map.rep().context_, read, &store, kWhat));
    row = end;
    map.rep().entries_.emplace_hint(map.rep().entries_.end(), key, std::move(store));
  }
  // Every row is now a checked dot of some key, so the row count is what
  // the index really needs (reserved before the rows were checked, it let
  // bad input claim several times its size).
  std::vector<Dot> dots;
  dots.reserve(static_cast<size_t>(*rows));
  for (const auto& [key, store] : map.rep().entries_) {
    for (const auto& e : store.entries()) dots.push_back(e.dot);
  }
  std::sort(dots.begin(), dots.end());
  if (std::adjacent_find(dots.begin(), dots.end()) != dots.end()) {
    return InvalidArgument("or_map: one dot under two keys");
  }
  map.rep().dots_ = dots.size();
  if (dots.size() >= kIndexFromDots) map.EnsureIndex();
  RS_RETURN_IF_ERROR(causal_codec::CheckCanonical(bytes, map.Encode(), kWhat));
  return map;
}

}  // namespace regionsync

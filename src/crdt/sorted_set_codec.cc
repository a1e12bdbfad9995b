// SortedSet encoding (see proto/sorted_set.proto) and its validating decoder.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "crdt/dot_fun_codec.h"
#include "crdt/sorted_set_impl.h"
#include "regionsync/proto/sorted_set.pb.h"

namespace regionsync {
namespace {

constexpr const char* kWhat = "sorted_set";

Status Invalid(const char* why) { return InvalidArgument(std::string(kWhat) + ": " + why); }

uint32_t ActorIndex(const DotContext& ctx, ActorId actor) {
  const auto& actors = ctx.actors();
  auto it = std::lower_bound(actors.begin(), actors.end(), actor,
                             [](const DotContext::ActorIntervals& a, ActorId x) { return a.actor < x; });
  assert(it != actors.end() && it->actor == actor);
  return static_cast<uint32_t>(it - actors.begin());
}

// A template only so that it need not name the private SortedSet::Impl.
template <typename Impl>
void ToProto(const Impl& s, pb::SortedSet* out) {
  if (!s.context.empty()) s.context.ToProto(out->mutable_context());
  if (s.members.empty()) return;
  std::vector<const sorted_set_internal::Node*> sorted;
  sorted.reserve(s.members.size());
  bool counter_rows = false;
  for (const auto& node : s.members) {
    sorted.push_back(&node);
    for (const auto& e : node.second.dots.entries()) counter_rows |= e.payload.counter;
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
  const size_t rows = s.dots.size();
  out->mutable_actor_indexes()->Reserve(static_cast<int>(rows));
  out->mutable_counters()->Reserve(static_cast<int>(rows));
  out->mutable_values()->Reserve(static_cast<int>(rows));
  for (const auto* node : sorted) {
    out->add_members(node->first);
    out->add_dot_counts(static_cast<uint32_t>(node->second.dots.size()));
    for (const auto& e : node->second.dots.entries()) {
      out->add_actor_indexes(ActorIndex(s.context, e.dot.actor));
      out->add_counters(e.dot.counter);
      if (counter_rows) out->add_counter_rows(e.payload.counter);
      if (!e.payload.counter) out->add_timestamps(e.payload.ts);
      out->add_values(e.payload.value);
    }
  }
}

}  // namespace

std::string SortedSet::Encode() const {
  pb::SortedSet proto;
  ToProto(Impl::Of(impl_), &proto);
  return causal_codec::Serialize(proto);
}

std::string SortedSet::ToJson() const {
  pb::SortedSet proto;
  ToProto(Impl::Of(impl_), &proto);
  return causal_codec::ToJson(proto);
}

Result<SortedSet> SortedSet::Decode(std::string_view bytes, size_t max_bytes) {
  pb::SortedSet proto;
  RS_RETURN_IF_ERROR(causal_codec::Parse(bytes, &proto, kWhat, max_bytes));
  SortedSet set;
  Impl& s = Impl::Mutable(set.impl_);
  Result<DotContext> ctx = DotContext::FromProto(proto.context());
  if (!ctx.ok()) return ctx.status();
  s.context = std::move(ctx).value();

  // Columns first, so that nothing below reads past one.
  const int rows = proto.actor_indexes_size();
  if (proto.counters_size() != rows || proto.values_size() != rows ||
      (proto.counter_rows_size() != 0 && proto.counter_rows_size() != rows)) {
    return Invalid("dot columns differ in length");
  }
  int register_rows = rows;
  for (bool counter : proto.counter_rows()) register_rows -= counter ? 1 : 0;
  if (proto.timestamps_size() != register_rows) return Invalid("timestamps do not match the register rows");
  if (proto.members_size() != proto.dot_counts_size()) return Invalid("members and dot_counts differ in length");
  uint64_t total_rows = 0;
  for (uint32_t n : proto.dot_counts()) {
    if (n == 0) return Invalid("a member with no dots");
    total_rows += n;  // at most 2^31 counts of 2^32: no overflow
  }
  if (total_rows != static_cast<uint64_t>(rows)) return Invalid("dot_counts do not add up to the dot rows");
  for (double v : proto.values()) {
    if (std::isnan(v)) return Invalid("a NaN score");
    if (v == 0 && std::signbit(v)) return Invalid("a negative zero score");
  }

  // Every row checked before anything is reserved, so bad input cannot
  // claim memory far beyond its size.
  const auto& actors = s.context.actors();
  for (int m = 0; m < proto.members_size(); ++m) {
    if (m > 0 && !(proto.members(m - 1) < proto.members(m))) return Invalid("members not strictly ascending");
  }
  {
    // A row is at least 10 bytes of input (index, counter, 8-byte value),
    // its Dot 16: reserving for the rows stays within 2x of the input.
    std::vector<Dot> all;
    all.reserve(static_cast<size_t>(rows));
    int row = 0;
    for (int m = 0; m < proto.members_size(); ++m) {
      const int end = row + static_cast<int>(proto.dot_counts(m));
      Dot prev{};
      for (int i = row; i < end; ++i) {
        const uint32_t index = proto.actor_indexes(i);
        if (index >= actors.size()) return Invalid("dot actor index out of range");
        const Dot dot{actors[index].actor, proto.counters(i)};
        if (!s.context.Contains(dot)) return Invalid("dot outside the causal context");
        if (i > row && !(prev < dot)) return Invalid("dots not strictly ascending");
        prev = dot;
        all.push_back(dot);
      }
      row = end;
    }
    // One dot under two members, found before any member is built.
    std::sort(all.begin(), all.end());
    if (std::adjacent_find(all.begin(), all.end()) != all.end()) return Invalid("one dot under two members");
  }

  s.members.reserve(static_cast<size_t>(proto.members_size()));
  int row = 0;
  int ts_row = 0;
  for (int m = 0; m < proto.members_size(); ++m) {
    const int end = row + static_cast<int>(proto.dot_counts(m));
    Impl::Store store;
    store.Reserve(static_cast<size_t>(end - row));
    for (int i = row; i < end; ++i) {
      Impl::Payload p;
      p.counter = proto.counter_rows_size() != 0 && proto.counter_rows(i);
      if (!p.counter) p.ts = proto.timestamps(ts_row++);
      p.value = proto.values(i);
      store.Insert(Dot{actors[proto.actor_indexes(i)].actor, proto.counters(i)}, p);
    }
    row = end;
    s.members.emplace(proto.members(m), sorted_set_internal::Member{std::move(store)});
  }
  bool indexed = s.RebuildIndexes();  // no dot is under two members (checked above)
  assert(indexed);
  (void)indexed;
  RS_RETURN_IF_ERROR(causal_codec::CheckCanonical(bytes, set.Encode(), kWhat));
  return set;
}

}  // namespace regionsync

// OrSet encoding: see proto/or_set.proto for the layout.
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <boost/sort/pdqsort/pdqsort.hpp>
#include <limits>

#include "regionsync/crdt/or_set.h"
#include "regionsync/proto/or_set.pb.h"

namespace regionsync {
namespace {

constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

// Reads a varint from [*p, end); false if truncated or longer than 10 bytes.
// Non-minimal forms are accepted here and rejected by the re-encode check.
bool GetVarint(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    uint64_t byte = static_cast<uint8_t>(**p);
    ++*p;
    if (shift == 63 && byte > 1) return false;
    result |= (byte & 0x7F) << shift;
    if (byte < 0x80) {
      *v = result;
      return true;
    }
  }
  return false;
}

size_t ActorIndex(const DotContext& ctx, ActorId actor) {
  const auto& actors = ctx.actors();
  auto it = std::lower_bound(actors.begin(), actors.end(), actor,
                             [](const DotContext::ActorIntervals& a, ActorId x) { return a.actor < x; });
  return static_cast<size_t>(it - actors.begin());
}

// Reads values one at a time from a packed repeated field, failing once past
// its end, so no count from the input is trusted.
class Cursor {
 public:
  explicit Cursor(const google::protobuf::RepeatedField<uint64_t>& f) : f_(f) {}
  bool Next(uint64_t* v) {
    if (pos_ >= f_.size()) return false;
    *v = f_.Get(pos_++);
    return true;
  }
  bool done() const { return pos_ == f_.size(); }

 private:
  const google::protobuf::RepeatedField<uint64_t>& f_;
  int pos_ = 0;
};

}  // namespace

std::vector<or_set_internal::EntryId> OrSet::CanonicalOrder() const {
  // Sort (first dot, id) pairs: contiguous keys sort faster than ids that
  // would chase into the table on every comparison. Dots are unique across
  // entries, so first dots give a strict order; comparing (actor, counter)
  // equals comparing (actor index, counter).
  // The table holds entries in hash order, so the input is random: a
  // branchless quicksort on one 128-bit key avoids a mispredicted branch per
  // comparison.
  struct Keyed {
    unsigned __int128 dot;  // actor << 64 | counter
    EntryId id;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(rep().entries_.size());
  rep().entries_.ForEach([&](EntryId id, const or_set_internal::EntryTable::Entry& e) {
    keyed.push_back({static_cast<unsigned __int128>(e.dots[0].actor) << 64 | e.dots[0].counter, id});
  });
  boost::sort::pdqsort_branchless(keyed.begin(), keyed.end(),
                                  [](const Keyed& a, const Keyed& b) { return a.dot < b.dot; });
  std::vector<EntryId> order;
  order.reserve(keyed.size());
  for (const Keyed& k : keyed) order.push_back(k.id);
  return order;
}

namespace {

void ToProto(const DotContext& context, const or_set_internal::EntryTable& entries,
             const std::vector<or_set_internal::EntryId>& order, pb::OrSet* msg) {
  if (!context.empty()) context.ToProto(msg->mutable_context());
  std::string* elements = msg->mutable_elements();
  auto* first_dots = msg->mutable_first_dots();
  auto* extra_dots = msg->mutable_extra_dots();
  size_t bytes = 0;
  for (auto id : order) bytes += entries.at(id).element.size() + 1;
  elements->reserve(bytes);
  first_dots->Reserve(static_cast<int>(order.size()));

  size_t prev_actor_index = 0;
  uint64_t prev_counter = 0;
  size_t prev_extra_pos = 0;  // position + 1 of the previous multi-dot entry
  for (size_t pos = 0; pos < order.size(); ++pos) {
    const or_set_internal::EntryTable::Entry& e = entries.at(order[pos]);
    PutVarint(elements, e.element.size());
    elements->append(e.element);

    const Dot first = e.dots[0];
    const size_t actor_index = ActorIndex(context, first.actor);
    if (pos > 0 && actor_index == prev_actor_index) {
      first_dots->Add((first.counter - prev_counter - 1) << 1);
    } else {
      const size_t step = pos == 0 ? actor_index : actor_index - prev_actor_index - 1;
      first_dots->Add((static_cast<uint64_t>(step) << 1) | 1);
      first_dots->Add(first.counter - 1);
    }
    prev_actor_index = actor_index;
    prev_counter = first.counter;

    if (e.dots.size() > 1) {
      extra_dots->Add(pos - prev_extra_pos);
      extra_dots->Add(e.dots.size() - 2);
      for (size_t i = 1; i < e.dots.size(); ++i) {
        extra_dots->Add(ActorIndex(context, e.dots[i].actor));
        extra_dots->Add(e.dots[i].counter - 1);
      }
      prev_extra_pos = pos + 1;
    }
  }
}

}  // namespace

std::string OrSet::Encode() const {
  pb::OrSet msg;
  ToProto(rep().context_, rep().entries_, CanonicalOrder(), &msg);
  std::string out;
  msg.SerializeToString(&out);
  return out;
}

std::string OrSet::ToJson() const {
  pb::OrSet msg;
  ToProto(rep().context_, rep().entries_, CanonicalOrder(), &msg);
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(msg, &out, options).ok()) return "{}";
  return out;
}

Result<OrSet> OrSet::Decode(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) return InvalidArgument("or_set: encoding too large");
  pb::OrSet msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("or_set: malformed protobuf");
  }
  Result<DotContext> ctx = DotContext::FromProto(msg.context());
  if (!ctx.ok()) return ctx.status();
  OrSet set;
  set.rep().context_ = std::move(ctx).value();
  const auto& actors = set.rep().context_.actors();

  const std::string& elements = msg.elements();
  // An entry can be 2 bytes of input but takes a 64-byte table slot and an
  // index slot, so reserving for every entry the input might hold before
  // checking any of them let garbage (N empty elements, say) claim ~100x
  // its size. The tables are instead reserved ahead of the entries that
  // passed their checks, to at most kReserveAhead times as many, so memory
  // follows what was decoded. Reserving in a few big steps rather than
  // letting the tables double one step at a time matters: growing by
  // doubling made decoding a 5k-element set 10x slower (more copies, and
  // malloc handing out fresh pages for every table size), by 4 it is within
  // 10% of one exact reservation.
  constexpr size_t kFirstReserve = 16;
  constexpr size_t kReserveAhead = 4;
  const size_t max_entries = std::min<size_t>(elements.size(), msg.first_dots_size());
  size_t reserved = 0;

  const char* p = elements.data();
  const char* const end = p + elements.size();
  Cursor first_dots(msg.first_dots());
  Cursor extra_dots(msg.extra_dots());
  uint64_t next_extra_pos = kMaxU64;  // position of the next multi-dot entry
  uint64_t v;
  if (extra_dots.Next(&v)) next_extra_pos = v;

  uint64_t actor_index = 0;
  uint64_t counter = 0;
  for (uint64_t pos = 0; p < end; ++pos) {
    uint64_t len;
    if (!GetVarint(&p, end, &len) || len > static_cast<uint64_t>(end - p)) {
      return InvalidArgument("or_set: truncated element");
    }
    std::string_view element(p, len);
    p += len;
    if (pos == reserved) {
      reserved = std::min(max_entries, std::max(kFirstReserve, kReserveAhead * reserved));
      set.rep().entries_.Reserve(reserved);
      set.rep().index_.Reserve(reserved);
    }

    if (!first_dots.Next(&v)) return InvalidArgument("or_set: missing first dot");
    if (v & 1) {
      const uint64_t step = v >> 1;
      const uint64_t base = pos == 0 ? 0 : actor_index + 1;
      if (step >= actors.size() || base + step >= actors.size()) {
        return InvalidArgument("or_set: actor index out of range");
      }
      actor_index = base + step;
      if (!first_dots.Next(&v)) return InvalidArgument("or_set: missing counter");
      if (v == kMaxU64) return InvalidArgument("or_set: counter overflow");
      counter = v + 1;
    } else {
      if (pos == 0) return InvalidArgument("or_set: first entry must name its actor");
      const uint64_t step = v >> 1;
      if (counter > kMaxU64 - 1 - step) return InvalidArgument("or_set: counter overflow");
      counter += step + 1;
    }
    Dot dot{actors[actor_index].actor, counter};
    if (!set.rep().context_.Contains(dot)) return InvalidArgument("or_set: entry dot outside the context");

    bool created;
    const EntryId entry = set.rep().entries_.FindOrInsert(element, &created);
    if (!created) return InvalidArgument("or_set: duplicate element");
    set.rep().entries_.at(entry).dots.Insert(dot);
    if (set.rep().index_.Lookup(dot) != nullptr) return InvalidArgument("or_set: duplicate dot");
    set.rep().index_.Insert(dot, set.rep().entries_.at(entry).hash);

    if (pos == next_extra_pos) {
      uint64_t more;
      if (!extra_dots.Next(&more)) return InvalidArgument("or_set: truncated extra dots");
      Dot prev = dot;
      // Each iteration consumes two input values, so `more` is bounded.
      for (uint64_t k = 0; k <= more; ++k) {
        uint64_t idx, c;
        if (!extra_dots.Next(&idx) || !extra_dots.Next(&c)) {
          return InvalidArgument("or_set: truncated extra dots");
        }
        if (idx >= actors.size()) return InvalidArgument("or_set: actor index out of range");
        if (c == kMaxU64) return InvalidArgument("or_set: counter overflow");
        Dot d{actors[idx].actor, c + 1};
        if (!(prev < d)) return InvalidArgument("or_set: dots of an entry must ascend");
        if (!set.rep().context_.Contains(d)) return InvalidArgument("or_set: entry dot outside the context");
        if (set.rep().index_.Lookup(d) != nullptr) return InvalidArgument("or_set: duplicate dot");
        set.rep().entries_.at(entry).dots.Insert(d);
        set.rep().index_.Insert(d, set.rep().entries_.at(entry).hash);
        prev = d;
      }
      next_extra_pos = kMaxU64;
      if (extra_dots.Next(&v)) {
        if (v >= kMaxU64 - pos - 1) return InvalidArgument("or_set: extra dot position overflow");
        next_extra_pos = pos + 1 + v;
      }
    }
  }
  if (!first_dots.done()) return InvalidArgument("or_set: trailing first dots");
  if (next_extra_pos != kMaxU64 || !extra_dots.done()) {
    return InvalidArgument("or_set: extra dots for a missing entry");
  }
  // Anything protobuf tolerates but we do not (unknown or repeated fields,
  // unpacked arrays, non-minimal varints, empty sub-messages) changes the
  // re-encoding.
  if (set.Encode() != bytes) return InvalidArgument("or_set: non-canonical encoding");
  return set;
}

}  // namespace regionsync

#include "regionsync/crdt/g_counter.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cassert>
#include <limits>

#include "regionsync/proto/counters.pb.h"
#include "crdt/proto_codec.h"

namespace regionsync {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return b > kMax - a ? kMax : a + b; }

// First slot with actor >= `actor` in sorted [b, e). Ptr is a (const) SlotEntry*.
template <typename Ptr>
Ptr FindSlot(Ptr b, Ptr e, ActorId actor) {
  return std::lower_bound(b, e, actor,
                          [](const GCounter::SlotEntry& s, ActorId a) { return s.actor < a; });
}

}  // namespace

GCounter::GCounter(GCounter&& other) noexcept
    : heap_(std::move(other.heap_)), inline_(other.inline_), value_(other.value_) {
  other.inline_ = {0, 0};
  other.value_ = 0;
}

GCounter& GCounter::operator=(GCounter&& other) noexcept {
  if (this != &other) {
    heap_ = std::move(other.heap_);
    inline_ = other.inline_;
    value_ = other.value_;
    other.inline_ = {0, 0};
    other.value_ = 0;
  }
  return *this;
}

void GCounter::AddToValue(uint64_t n) { value_ = SaturatingAdd(value_, n); }

void GCounter::InsertAt(size_t pos, SlotEntry entry) {
  size_t n = size();
  if (n == 0) {
    inline_ = entry;
  } else if (n == 1) {
    heap_.GetOrMake().reserve(4);
    heap_->push_back(pos == 0 ? entry : inline_);
    heap_->push_back(pos == 0 ? inline_ : entry);
    inline_ = {0, 0};
  } else {
    heap_->insert(heap_->begin() + static_cast<ptrdiff_t>(pos), entry);
  }
}

GCounter GCounter::Increment(ActorId actor, uint64_t n) {
  assert(actor != 0);
  GCounter delta;
  SlotEntry* b = mutable_begin();
  SlotEntry* e = b + size();
  SlotEntry* it = FindSlot(b, e, actor);
  uint64_t count;
  if (it != e && it->actor == actor) {
    uint64_t old = it->count;
    it->count = SaturatingAdd(old, n);
    AddToValue(it->count - old);
    count = it->count;
  } else {
    if (n == 0) return delta;
    InsertAt(static_cast<size_t>(it - b), {actor, n});
    AddToValue(n);
    count = n;
  }
  delta.inline_ = {actor, count};
  delta.value_ = count;
  return delta;
}

uint64_t GCounter::Slot(ActorId actor) const {
  const SlotEntry* it = FindSlot(begin(), end(), actor);
  return (it != end() && it->actor == actor) ? it->count : 0;
}

bool GCounter::Join(const GCounter& other) {
  const size_t other_size = other.size();
  if (other_size == 0) return false;
  const uint64_t before = value_;
  const SlotEntry* theirs = other.begin();
  SlotEntry* mine = mutable_begin();
  const size_t my_size = size();

  if (other_size == 1) {  // the common case: a delta from Increment
    SlotEntry* it = FindSlot(mine, mine + my_size, theirs->actor);
    if (it != mine + my_size && it->actor == theirs->actor) {
      if (theirs->count > it->count) {
        AddToValue(theirs->count - it->count);
        it->count = theirs->count;
      }
    } else {
      SlotEntry entry = *theirs;  // copy first: InsertAt may move our storage
      InsertAt(static_cast<size_t>(it - mine), entry);
      AddToValue(entry.count);
    }
    return value_ != before;
  }

  // Raise the slots we share in place and count the ones we lack.
  size_t missing = 0;
  size_t i = 0;
  for (size_t k = 0; k < other_size; ++k) {
    while (i < my_size && mine[i].actor < theirs[k].actor) ++i;
    if (i < my_size && mine[i].actor == theirs[k].actor) {
      if (theirs[k].count > mine[i].count) {
        AddToValue(theirs[k].count - mine[i].count);
        mine[i].count = theirs[k].count;
      }
    } else {
      ++missing;
    }
  }
  if (missing == 0) return value_ != before;

  // Merge into fresh storage; shared slots are already at their maximum.
  std::vector<SlotEntry> merged;
  merged.reserve(my_size + missing);
  size_t a = 0, b = 0;
  while (a < my_size || b < other_size) {
    if (b == other_size || (a < my_size && mine[a].actor < theirs[b].actor)) {
      merged.push_back(mine[a++]);
    } else if (a == my_size || theirs[b].actor < mine[a].actor) {
      merged.push_back(theirs[b]);
      AddToValue(theirs[b++].count);
    } else {
      merged.push_back(mine[a++]);
      ++b;
    }
  }
  heap_ = Boxed<std::vector<SlotEntry>>(std::move(merged));
  inline_ = {0, 0};
  return value_ != before;
}

bool GCounter::operator==(const GCounter& other) const {
  return std::equal(begin(), end(), other.begin(), other.end());
}

void GCounter::ToProto(pb::GCounter* out) const {
  out->Clear();
  const size_t n = size();
  out->mutable_actors()->Reserve(static_cast<int>(n));
  out->mutable_counts()->Reserve(static_cast<int>(n));
  for (const SlotEntry& s : *this) {
    out->add_actors(s.actor);
    out->add_counts(s.count);
  }
}

Result<GCounter> GCounter::FromProto(const pb::GCounter& in) {
  if (in.actors_size() != in.counts_size()) {
    return InvalidArgument("g_counter: actors and counts differ in length");
  }
  const int n = in.actors_size();
  GCounter c;
  // n is bounded by the size of the parsed input, so this reserve is too.
  if (n > 1) {
    c.heap_.GetOrMake().reserve(static_cast<size_t>(n));
  }
  for (int i = 0; i < n; ++i) {
    ActorId actor = in.actors(i);
    uint64_t count = in.counts(i);
    if (actor == 0) return InvalidArgument("g_counter: zero actor");
    if (i > 0 && actor <= in.actors(i - 1)) {
      return InvalidArgument("g_counter: actors must be strictly ascending");
    }
    if (count == 0) return InvalidArgument("g_counter: zero slots must be omitted");
    if (n == 1) {
      c.inline_ = {actor, count};
    } else {
      c.heap_->push_back({actor, count});
    }
    c.AddToValue(count);
  }
  return c;
}

std::string GCounter::Encode() const {
  pb::GCounter msg;
  ToProto(&msg);
  return SerializeDeterministic(msg);
}

Result<GCounter> GCounter::Decode(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) return InvalidArgument("g_counter: encoding too large");
  pb::GCounter msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("g_counter: malformed protobuf");
  }
  Result<GCounter> c = FromProto(msg);
  if (!c.ok()) return c;
  // Protobuf accepts many encodings of one message (unpacked repeats, split
  // fields, unknown fields, long varints); only the canonical one is ours.
  if (c->Encode() != bytes) return InvalidArgument("g_counter: non-canonical encoding");
  return c;
}

std::string GCounter::ToJson() const {
  pb::GCounter msg;
  ToProto(&msg);
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(msg, &out).ok()) return "{}";
  return out;
}

}  // namespace regionsync

#include "regionsync/crdt/redis_string.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <limits>
#include <utility>

#include "regionsync/proto/redis_string.pb.h"
#include "crdt/proto_codec.h"

namespace regionsync {
namespace {

void ToProto(const RedisString& s, pb::RedisString* out) {
  if (s.base().writer() != 0) out->set_base(s.base().Encode());
  out->set_hidden_timestamp(s.hidden_timestamp());
  out->set_hidden_writer(s.hidden_writer());
  if (!s.counter().increments().empty() || !s.counter().decrements().empty() ||
      !s.counter().reset_increments().empty() || !s.counter().reset_decrements().empty()) {
    out->set_counter(s.counter().Encode());
  }
}

// Sum over actors of side - reset (each at least 0), without saturating:
// PnCounter's live sums, exactly (they fit: at most 2^64 actors' slots of
// at most 2^64 each is far beyond any real state, and __int128 holds 2^127).
__int128 ExactLive(const GCounter& side, const GCounter& reset) {
  __int128 sum = 0;
  for (const GCounter::SlotEntry& e : side) {
    uint64_t seen = reset.Slot(e.actor);
    if (e.count > seen) sum += e.count - seen;
  }
  return sum;
}

// The counter's value unclamped. PnCounter::Value() clamps to int64, which
// a string's counter may leave while base + counter does not (SET k
// 9223372036854775806, then DECRBY k 9223372036854775807 and DECR k: the
// counter is -2^63 - 1, the value -3). O(1) unless Value() is at a clamp.
__int128 CounterValue(const PnCounter& c) {
  int64_t v = c.Value();
  if (v != std::numeric_limits<int64_t>::min() && v != std::numeric_limits<int64_t>::max()) return v;
  return ExactLive(c.increments(), c.reset_increments()) - ExactLive(c.decrements(), c.reset_decrements());
}

}  // namespace

std::optional<int64_t> ParseRedisInteger(std::string_view s) {
  // As Redis's string2ll: "0" alone, else an optional '-' and a non-zero
  // leading digit; from_chars checks the digits and the int64 range.
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s == "0") return 0;
  size_t digits = s[0] == '-' ? 1 : 0;
  if (digits >= s.size() || s[digits] < '1' || s[digits] > '9') return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool RedisString::operator==(const RedisString& other) const {
  return base_ == other.base_ && hidden_.get() == other.hidden_.get() && counter() == other.counter();
}

const PnCounter& RedisString::counter() const {
  static const PnCounter empty;
  return counter_ ? *counter_ : empty;
}

PnCounter& RedisString::MutableCounter() { return counter_.GetOrMake(); }

Boxed<PnCounter> RedisString::Box(PnCounter counter) {
  return counter == PnCounter() ? Boxed<PnCounter>() : Boxed<PnCounter>(std::move(counter));
}

Boxed<PnCounter> RedisString::ResetCounter() { return counter_ ? Box(counter_->Reset()) : Boxed<PnCounter>(); }

RedisString RedisString::FromRegister(LwwRegister base) {
  RedisString s;
  s.base_ = std::move(base);
  return s;
}

RedisString RedisString::FromCounter(PnCounter counter) {
  RedisString s;
  s.counter_ = Box(std::move(counter));
  return s;
}

const std::string* RedisString::VisibleBase() const {
  if (!base_.Value()) return nullptr;
  if (Version(base_.timestamp(), base_.writer()) <= hidden_.get()) return nullptr;
  return &*base_.Value();
}

RedisString RedisString::Set(ActorId actor, HlcTimestamp clock_now, std::string value) {
  constexpr HlcTimestamp kMaxTs = std::numeric_limits<HlcTimestamp>::max();
  HlcTimestamp hidden_ts = hidden_.get().first;
  HlcTimestamp after_hidden = hidden_ts == kMaxTs ? kMaxTs : hidden_ts + 1;
  RedisString delta;
  delta.base_ = base_.Assign(actor, std::max(clock_now, after_hidden), std::move(value));
  delta.counter_ = ResetCounter();
  return delta;
}

RedisString RedisString::SetAt(ActorId actor, HlcTimestamp ts, std::string value) {
  RedisString delta;
  delta.base_ = base_.AssignAt(actor, ts, std::move(value));
  delta.counter_ = ResetCounter();
  return delta;
}

RedisString RedisString::Increment(ActorId actor, int64_t by) {
  assert(actor != 0);
  // -(INT64_MIN) overflows: take the magnitude as unsigned.
  uint64_t magnitude = by < 0 ? uint64_t{0} - static_cast<uint64_t>(by) : static_cast<uint64_t>(by);
  RedisString delta;
  PnCounter& counter = MutableCounter();
  delta.counter_ = Box(by < 0 ? counter.Decrement(actor, magnitude) : counter.Increment(actor, magnitude));
  return delta;
}

RedisString RedisString::Delete() {
  RedisString delta;
  if (Version base(base_.timestamp(), base_.writer()); base > hidden_.get()) hidden_.set(base);
  delta.hidden_ = hidden_;
  delta.counter_ = ResetCounter();
  return delta;
}

std::optional<int64_t> RedisString::IntegerValue() const {
  int64_t base = 0;
  if (const std::string* b = VisibleBase()) {
    std::optional<int64_t> parsed = ParseRedisInteger(*b);
    if (!parsed) return std::nullopt;
    base = *parsed;
  }
  if (!counter().HasLive()) return base;
  __int128 sum = static_cast<__int128>(base) + CounterValue(counter());
  return static_cast<int64_t>(std::clamp<__int128>(sum, std::numeric_limits<int64_t>::min(),
                                                   std::numeric_limits<int64_t>::max()));
}

std::optional<std::string> RedisString::Value() const {
  const std::string* b = VisibleBase();
  if (!counter().HasLive()) return b != nullptr ? std::optional<std::string>(*b) : std::nullopt;
  std::optional<int64_t> n = IntegerValue();
  if (!n) return *b;  // a base that is not an integer: increments do not apply to text
  return std::to_string(*n);
}

bool RedisString::Join(const RedisString& other) {
  std::optional<std::string> before = Value();
  base_.Join(other.base_);
  if (other.hidden_.get() > hidden_.get()) hidden_.set(other.hidden_.get());
  if (other.counter_) MutableCounter().Join(*other.counter_);
  return Value() != before;
}

std::string RedisString::Encode() const {
  pb::RedisString msg;
  ToProto(*this, &msg);
  return SerializeDeterministic(msg);
}

Result<RedisString> RedisString::Decode(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) return InvalidArgument("string: encoding too large");
  pb::RedisString msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("string: malformed protobuf");
  }
  // Rejects every other encoding of the same state (an empty part present,
  // unknown fields, out-of-order fields), so that encode(decode(b)) == b:
  // the parts are kept as they are, and their own codecs check them below.
  if (!ReserializesTo(msg, bytes)) return InvalidArgument("string: non-canonical encoding");
  RedisString s;
  if (!msg.base().empty()) {
    Result<LwwRegister> base = LwwRegister::Decode(msg.base());
    if (!base.ok()) return InvalidArgument("string: base: " + base.status().message());
    if (base->writer() == 0) return InvalidArgument("string: base present but never written");
    s.base_ = std::move(base).value();
  }
  if (msg.hidden_writer() == 0 && msg.hidden_timestamp() != 0) {
    return InvalidArgument("string: hidden version without a writer");
  }
  s.hidden_.set({msg.hidden_timestamp(), msg.hidden_writer()});
  if (!msg.counter().empty()) {
    Result<PnCounter> counter = PnCounter::Decode(msg.counter());
    if (!counter.ok()) return InvalidArgument("string: counter: " + counter.status().message());
    s.counter_ = Box(std::move(counter).value());
  }
  return s;
}

std::string RedisString::ToJson() const {
  pb::RedisString msg;
  ToProto(*this, &msg);
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(msg, &out).ok()) return "{}";
  return out;
}

}  // namespace regionsync

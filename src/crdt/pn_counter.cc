#include "regionsync/crdt/pn_counter.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <limits>

#include "regionsync/proto/counters.pb.h"
#include "crdt/proto_codec.h"

namespace regionsync {
namespace {

void ToProto(const PnCounter& c, pb::PnCounter* out) {
  // An empty side is left unset: the canonical form omits it.
  if (!c.increments().empty()) c.increments().ToProto(out->mutable_p());
  if (!c.decrements().empty()) c.decrements().ToProto(out->mutable_n());
  if (!c.reset_increments().empty()) c.reset_increments().ToProto(out->mutable_rp());
  if (!c.reset_decrements().empty()) c.reset_decrements().ToProto(out->mutable_rn());
}

uint64_t SaturatingAdd(uint64_t a, uint64_t b) {
  uint64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<uint64_t>::max() : sum;
}

// What `actor`'s slot adds to live(side): side - reset, at least 0.
uint64_t Contribution(const GCounter& side, const GCounter& reset, ActorId actor) {
  uint64_t s = side.Slot(actor), r = reset.Slot(actor);
  return s > r ? s - r : 0;
}

}  // namespace

uint64_t PnCounter::Live(const GCounter& side, const GCounter& reset) {
  if (reset.empty()) return side.Value();
  uint64_t live = 0;
  for (const GCounter::SlotEntry& s : side) {
    uint64_t r = reset.Slot(s.actor);
    if (s.count > r) live = SaturatingAdd(live, s.count - r);
  }
  return live;
}

// Raises `side`'s slot of `actor` by n, keeps `live` (= Live(side, reset))
// up to date in O(log slots), and returns the one-slot delta.
GCounter PnCounter::Raise(GCounter& side, const GCounter& reset, uint64_t& live, ActorId actor, uint64_t n) {
  uint64_t before = Contribution(side, reset, actor);
  GCounter delta = side.Increment(actor, n);
  // Contributions only grow, and a saturated sum stays saturated.
  live = SaturatingAdd(live, Contribution(side, reset, actor) - before);
  return delta;
}

const GCounter& PnCounter::reset_increments() const {
  static const GCounter kEmpty;
  return resets_ ? resets_->rp : kEmpty;
}

const GCounter& PnCounter::reset_decrements() const {
  static const GCounter kEmpty;
  return resets_ ? resets_->rn : kEmpty;
}

PnCounter::PnCounter(const PnCounter& other)
    : p_(other.p_), n_(other.n_), resets_(other.resets_ ? std::make_unique<Resets>(*other.resets_) : nullptr) {}

PnCounter& PnCounter::operator=(const PnCounter& other) {
  if (this != &other) *this = PnCounter(other);
  return *this;
}

PnCounter::Resets& PnCounter::MutableResets() {
  if (!resets_) resets_ = std::make_unique<Resets>(Resets{{}, {}, p_.Value(), n_.Value()});
  return *resets_;
}

PnCounter PnCounter::Increment(ActorId actor, uint64_t n) {
  PnCounter delta;
  delta.p_ = resets_ ? Raise(p_, resets_->rp, resets_->live_p, actor, n) : p_.Increment(actor, n);
  return delta;
}

PnCounter PnCounter::Decrement(ActorId actor, uint64_t n) {
  PnCounter delta;
  delta.n_ = resets_ ? Raise(n_, resets_->rn, resets_->live_n, actor, n) : n_.Increment(actor, n);
  return delta;
}

bool PnCounter::CanAdd(ActorId actor, int64_t by) const {
  // -(INT64_MIN) overflows: take the magnitude as unsigned.
  uint64_t magnitude = by < 0 ? uint64_t{0} - static_cast<uint64_t>(by) : static_cast<uint64_t>(by);
  uint64_t slot = by < 0 ? n_.Slot(actor) : p_.Slot(actor);
  return magnitude <= UINT64_MAX - slot;
}

PnCounter PnCounter::Reset() {
  PnCounter delta;
  if (p_.empty() && n_.empty()) return delta;  // nothing observed, nothing to cancel
  Resets& r = MutableResets();
  r.rp.Join(p_);
  r.rn.Join(n_);
  Recount();
  delta.MutableResets() = Resets{p_, n_, 0, 0};
  return delta;
}

int64_t PnCounter::Value() const {
  constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const uint64_t p = LiveP();
  const uint64_t n = LiveN();
  if (p >= n) {
    uint64_t d = p - n;
    return d > kInt64Max ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(d);
  }
  uint64_t d = n - p;  // magnitude of a negative result
  if (d > kInt64Max) return std::numeric_limits<int64_t>::min();
  return -static_cast<int64_t>(d);
}

bool PnCounter::Join(const PnCounter& other) {
  const int64_t before = Value();
  const bool had_live = HasLive();
  p_.Join(other.p_);
  n_.Join(other.n_);
  if (resets_ || other.resets_) {  // no resets anywhere: the common case stays O(slots of other)
    Resets& r = MutableResets();
    if (other.resets_) {
      r.rp.Join(other.resets_->rp);
      r.rn.Join(other.resets_->rn);
    }
    Recount();
  }
  return Value() != before || HasLive() != had_live;
}

std::string PnCounter::Encode() const {
  pb::PnCounter msg;
  ToProto(*this, &msg);
  return SerializeDeterministic(msg);
}

Result<PnCounter> PnCounter::Decode(std::string_view bytes, size_t max_bytes) {
  if (bytes.size() > max_bytes) return InvalidArgument("pn_counter: encoding too large");
  pb::PnCounter msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("pn_counter: malformed protobuf");
  }
  Result<GCounter> p = GCounter::FromProto(msg.p());
  if (!p.ok()) return p.status();
  Result<GCounter> n = GCounter::FromProto(msg.n());
  if (!n.ok()) return n.status();
  Result<GCounter> rp = GCounter::FromProto(msg.rp());
  if (!rp.ok()) return rp.status();
  Result<GCounter> rn = GCounter::FromProto(msg.rn());
  if (!rn.ok()) return rn.status();
  PnCounter c;
  c.p_ = std::move(p).value();
  c.n_ = std::move(n).value();
  if (!rp->empty() || !rn->empty()) {
    Resets& r = c.MutableResets();
    r.rp = std::move(rp).value();
    r.rn = std::move(rn).value();
    c.Recount();
  }
  // Rejects every other encoding of the same state (see GCounter::Decode),
  // including an empty side that is present instead of omitted.
  if (c.Encode() != bytes) return InvalidArgument("pn_counter: non-canonical encoding");
  return c;
}

std::string PnCounter::ToJson() const {
  pb::PnCounter msg;
  ToProto(*this, &msg);
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(msg, &out).ok()) return "{}";
  return out;
}

}  // namespace regionsync

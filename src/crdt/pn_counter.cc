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
}

}  // namespace

PnCounter PnCounter::Increment(ActorId actor, uint64_t n) {
  PnCounter delta;
  delta.p_ = p_.Increment(actor, n);
  return delta;
}

PnCounter PnCounter::Decrement(ActorId actor, uint64_t n) {
  PnCounter delta;
  delta.n_ = n_.Increment(actor, n);
  return delta;
}

int64_t PnCounter::Value() const {
  constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const uint64_t p = p_.Value();
  const uint64_t n = n_.Value();
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
  p_.Join(other.p_);
  n_.Join(other.n_);
  return Value() != before;
}

std::string PnCounter::Encode() const {
  pb::PnCounter msg;
  ToProto(*this, &msg);
  return SerializeDeterministic(msg);
}

Result<PnCounter> PnCounter::Decode(std::string_view bytes) {
  if (bytes.size() > kMaxEncodedStateBytes) return InvalidArgument("pn_counter: encoding too large");
  pb::PnCounter msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("pn_counter: malformed protobuf");
  }
  Result<GCounter> p = GCounter::FromProto(msg.p());
  if (!p.ok()) return p.status();
  Result<GCounter> n = GCounter::FromProto(msg.n());
  if (!n.ok()) return n.status();
  PnCounter c;
  c.p_ = std::move(p).value();
  c.n_ = std::move(n).value();
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

#include "regionsync/crdt/ew_flag.h"

#include <cassert>

#include "crdt/dot_fun_codec.h"
#include "regionsync/proto/causal.pb.h"

namespace regionsync {

EwFlag EwFlag::Enable(ActorId actor) {
  assert(actor != 0);
  Dot dot = context_.Next(actor);
  EwFlag delta;
  store_.AddDotsTo(&delta.context_);
  delta.context_.Insert(dot);
  delta.store_.Insert(dot, Unit{});
  store_.Clear();
  store_.Insert(dot, Unit{});
  context_.Insert(dot);
  return delta;
}

EwFlag EwFlag::Disable() {
  EwFlag delta;
  store_.AddDotsTo(&delta.context_);
  store_.Clear();
  return delta;
}

bool EwFlag::Join(const EwFlag& other) {
  bool before = Enabled();
  store_.Join(other.store_, context_, other.context_);
  context_.Join(other.context_);
  return Enabled() != before;
}

void EwFlag::ToProto(pb::EwFlag* out) const {
  if (!context_.empty()) context_.ToProto(out->mutable_context());
  if (!store_.empty()) {
    causal_codec::EncodeStore(store_, context_, out->mutable_dots(), [](const Unit&, pb::DotStore*) {});
  }
}

std::string EwFlag::Encode() const {
  pb::EwFlag proto;
  ToProto(&proto);
  return causal_codec::Serialize(proto);
}

std::string EwFlag::ToJson() const {
  pb::EwFlag proto;
  ToProto(&proto);
  return causal_codec::ToJson(proto);
}

Result<EwFlag> EwFlag::Decode(std::string_view bytes, size_t max_bytes) {
  constexpr const char* kWhat = "ew_flag";
  pb::EwFlag proto;
  RS_RETURN_IF_ERROR(causal_codec::Parse(bytes, &proto, kWhat, max_bytes));
  Result<DotContext> ctx = DotContext::FromProto(proto.context());
  if (!ctx.ok()) return ctx.status();
  Result<int> rows = causal_codec::CheckColumns(proto.dots(), causal_codec::kNoPayload, kWhat);
  if (!rows.ok()) return rows.status();
  EwFlag flag;
  flag.context_ = std::move(ctx).value();
  RS_RETURN_IF_ERROR(causal_codec::DecodeStore(
      proto.dots(), 0, *rows, flag.context_, [](const pb::DotStore&, int) { return Unit{}; },
      &flag.store_, kWhat));
  RS_RETURN_IF_ERROR(causal_codec::CheckCanonical(bytes, flag.Encode(), kWhat));
  return flag;
}

}  // namespace regionsync

#include "regionsync/crdt/mv_register.h"

#include <algorithm>
#include <cassert>

#include "crdt/dot_fun_codec.h"
#include "regionsync/proto/causal.pb.h"

namespace regionsync {

MvRegister MvRegister::Assign(ActorId actor, std::string value) {
  assert(actor != 0);
  Dot dot = context_.Next(actor);
  MvRegister delta;
  store_.AddDotsTo(&delta.context_);
  delta.context_.Insert(dot);
  delta.store_.Insert(dot, value);
  store_.Clear();
  store_.Insert(dot, std::move(value));
  context_.Insert(dot);
  return delta;
}

MvRegister MvRegister::Clear() {
  MvRegister delta;
  store_.AddDotsTo(&delta.context_);
  store_.Clear();
  return delta;
}

std::vector<std::string> MvRegister::Values() const {
  std::vector<std::string> values;
  values.reserve(store_.size());
  for (const auto& e : store_.entries()) values.push_back(e.payload);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

bool MvRegister::Join(const MvRegister& other) {
  std::vector<std::string> before = Values();
  bool store_changed = store_.Join(other.store_, context_, other.context_);
  context_.Join(other.context_);
  return store_changed && Values() != before;
}

void MvRegister::ToProto(pb::MvRegister* out) const {
  if (!context_.empty()) context_.ToProto(out->mutable_context());
  if (!store_.empty()) {
    causal_codec::EncodeStore(store_, context_, out->mutable_dots(),
                              [](const std::string& v, pb::DotStore* s) { s->add_values(v); });
  }
}

std::string MvRegister::Encode() const {
  pb::MvRegister proto;
  ToProto(&proto);
  return causal_codec::Serialize(proto);
}

std::string MvRegister::ToJson() const {
  pb::MvRegister proto;
  ToProto(&proto);
  return causal_codec::ToJson(proto);
}

Result<MvRegister> MvRegister::Decode(std::string_view bytes, size_t max_bytes) {
  constexpr const char* kWhat = "mv_register";
  pb::MvRegister proto;
  RS_RETURN_IF_ERROR(causal_codec::Parse(bytes, &proto, kWhat, max_bytes));
  Result<DotContext> ctx = DotContext::FromProto(proto.context());
  if (!ctx.ok()) return ctx.status();
  Result<int> rows = causal_codec::CheckColumns(proto.dots(), causal_codec::kValues, kWhat);
  if (!rows.ok()) return rows.status();
  MvRegister reg;
  reg.context_ = std::move(ctx).value();
  RS_RETURN_IF_ERROR(causal_codec::DecodeStore(
      proto.dots(), 0, *rows, reg.context_,
      [](const pb::DotStore& s, int i) { return s.values(i); }, &reg.store_, kWhat));
  RS_RETURN_IF_ERROR(causal_codec::CheckCanonical(bytes, reg.Encode(), kWhat));
  return reg;
}

}  // namespace regionsync

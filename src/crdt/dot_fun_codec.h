// Private helpers shared by the causal CRDT codecs (MvRegister, EwFlag,
// OrMap): bounded parsing, deterministic serialisation, the canonical-form
// check, and reading/writing the dot rows of a pb::DotStore.
#pragma once

#include <google/protobuf/message.h>

#include <string>
#include <string_view>

#include "regionsync/common/status.h"
#include "regionsync/crdt/dot_context.h"
#include "regionsync/crdt/dot_fun.h"
#include "regionsync/proto/causal.pb.h"

namespace regionsync::causal_codec {

// Deterministic protobuf bytes of `m`.
std::string Serialize(const google::protobuf::Message& m);
// Protobuf JSON form of `m` (for debugging; never fails for our messages).
std::string ToJson(const google::protobuf::Message& m);
// Rejects input over `max_bytes` and anything protobuf rejects.
Status Parse(std::string_view bytes, google::protobuf::Message* m, const char* what, size_t max_bytes);
// Decoders re-encode what they decoded and reject input that differs, so
// every accepted encoding is the canonical one (field order, packing, no
// unknown or repeated fields, minimal varints, omitted empty messages).
Status CheckCanonical(std::string_view input, const std::string& reencoded, const char* what);

// Which payload columns of a pb::DotStore a type uses.
enum Columns : unsigned { kNoPayload = 0, kValues = 1, kTimestamps = 2, kTotals = 4, kCounterRows = 8 };

// Row count of `in`, after checking that the dot columns agree and that
// exactly the payload `columns` are present, one value per row.
Result<int> CheckColumns(const pb::DotStore& in, unsigned columns, const char* what);

// Appends `dot` as a row: actor index in `ctx`. REQUIRES: ctx.Contains(dot).
void AppendDot(const DotContext& ctx, const Dot& dot, pb::DotStore* out);

// Row `i` as a dot, validated: actor index in range and dot inside `ctx`.
Result<Dot> ReadDot(const pb::DotStore& in, int i, const DotContext& ctx, const char* what);

// Encodes all rows of `store`; write(payload, out) appends the payload columns.
template <typename Payload, typename WritePayload>
void EncodeStore(const DotFun<Payload>& store, const DotContext& ctx, pb::DotStore* out,
                 WritePayload&& write) {
  for (const auto& e : store.entries()) {
    AppendDot(ctx, e.dot, out);
    write(e.payload, out);
  }
}

// Decodes rows [begin, end) into `out` (which must be empty), checking that
// dots strictly ascend and lie in `ctx`. read(in, row) -> Payload.
template <typename Payload, typename ReadPayload>
Status DecodeStore(const pb::DotStore& in, int begin, int end, const DotContext& ctx,
                   ReadPayload&& read, DotFun<Payload>* out, const char* what) {
  // Every row is checked before anything is reserved: a row is 2 bytes of
  // input but an entry of up to 64, so reserving for a range of unchecked
  // rows let bad input claim ~30x its size.
  Dot prev{};
  for (int i = begin; i < end; ++i) {
    Result<Dot> dot = ReadDot(in, i, ctx, what);
    if (!dot.ok()) return dot.status();
    if (i > begin && !(prev < *dot)) {
      return InvalidArgument(std::string(what) + ": dots not strictly ascending");
    }
    prev = *dot;
  }
  out->Reserve(static_cast<size_t>(end - begin));
  for (int i = begin; i < end; ++i) {
    out->Insert(Dot{ctx.actors()[in.actor_indexes(i)].actor, in.counters(i)}, read(in, i));
  }
  return Status::Ok();
}

}  // namespace regionsync::causal_codec

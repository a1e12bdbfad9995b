#include "crdt/dot_fun_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "crdt/proto_codec.h"
#include "regionsync/crdt/crdt.h"

namespace regionsync::causal_codec {

std::string Serialize(const google::protobuf::Message& m) { return SerializeDeterministic(m); }

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  return out;
}

Status Parse(std::string_view bytes, google::protobuf::Message* m, const char* what, size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return InvalidArgument(std::string(what) + ": encoding larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (!m->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument(std::string(what) + ": malformed protobuf");
  }
  return Status::Ok();
}

Status CheckCanonical(std::string_view input, const std::string& reencoded, const char* what) {
  if (input != reencoded) return InvalidArgument(std::string(what) + ": non-canonical encoding");
  return Status::Ok();
}

Result<int> CheckColumns(const pb::DotStore& in, unsigned columns, const char* what) {
  const int rows = in.actor_indexes_size();
  auto expect = [&](bool wanted, int size) { return size == (wanted ? rows : 0); };
  if (in.counters_size() != rows || !expect(columns & kValues, in.values_size()) ||
      !expect(columns & kTimestamps, in.timestamps_size()) ||
      !expect(columns & kTotals, in.totals_size()) || !expect(columns & kCounterRows, in.counter_rows_size())) {
    return InvalidArgument(std::string(what) + ": dot store columns do not match its type");
  }
  return rows;
}

void AppendDot(const DotContext& ctx, const Dot& dot, pb::DotStore* out) {
  const auto& actors = ctx.actors();
  auto it = std::lower_bound(actors.begin(), actors.end(), dot.actor,
                             [](const DotContext::ActorIntervals& a, ActorId x) { return a.actor < x; });
  assert(it != actors.end() && it->actor == dot.actor);
  out->add_actor_indexes(static_cast<uint32_t>(it - actors.begin()));
  out->add_counters(dot.counter);
}

Result<Dot> ReadDot(const pb::DotStore& in, int i, const DotContext& ctx, const char* what) {
  uint32_t index = in.actor_indexes(i);
  if (index >= ctx.actors().size()) {
    return InvalidArgument(std::string(what) + ": dot actor index out of range");
  }
  Dot dot{ctx.actors()[index].actor, in.counters(i)};
  if (!ctx.Contains(dot)) return InvalidArgument(std::string(what) + ": dot outside the causal context");
  return dot;
}

}  // namespace regionsync::causal_codec

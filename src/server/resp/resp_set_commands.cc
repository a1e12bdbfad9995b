// The set commands of the Redis port (SADD SREM SMEMBERS ...): add-wins OR-Sets.

#include "server/resp/resp_call.h"

namespace regionsync {

void RespCommands::Call::SAdd() {
  Event("sadd");
  const std::vector<std::string_view> members(args_.begin() + 2, args_.end());
  Result<size_t> added = replica_.AddAll(args_[1], members);
  if (!added.ok()) {  // a type mismatch: nothing was added
    Fail(added.status());
    return;
  }
  out_.Integer(static_cast<int64_t>(*added));
}

void RespCommands::Call::SRem() {
  const AnyCrdt* v = Live(args_[1]);
  if (v == nullptr) {
    out_.Integer(0);
    return;
  }
  if (!std::holds_alternative<OrSet>(*v)) {
    out_.Error(kWrongType);
    return;
  }
  Event("srem");
  const std::vector<std::string_view> members(args_.begin() + 2, args_.end());
  Result<size_t> removed = replica_.RemoveAll(args_[1], members);
  out_.Integer(removed.ok() ? static_cast<int64_t>(*removed) : 0);
}

void RespCommands::Call::SMembers() {
  const AnyCrdt* v = Live(args_[1]);
  if (v == nullptr) {
    out_.SetHeader(0);
    return;
  }
  const auto* set = std::get_if<OrSet>(v);
  if (set == nullptr) {
    out_.Error(kWrongType);
    return;
  }
  std::vector<std::string> elements = set->Elements();
  out_.SetHeader(elements.size());
  for (const std::string& e : elements) out_.Bulk(e);
}

void RespCommands::Call::SIsMember() {
  const AnyCrdt* v = Live(args_[1]);
  if (v != nullptr && !std::holds_alternative<OrSet>(*v)) {
    out_.Error(kWrongType);
    return;
  }
  out_.Integer(v != nullptr && std::get<OrSet>(*v).Contains(args_[2]) ? 1 : 0);
}

void RespCommands::Call::SCard() {
  const AnyCrdt* v = Live(args_[1]);
  if (v != nullptr && !std::holds_alternative<OrSet>(*v)) {
    out_.Error(kWrongType);
    return;
  }
  out_.Integer(v == nullptr ? 0 : static_cast<int64_t>(std::get<OrSet>(*v).size()));
}

}  // namespace regionsync

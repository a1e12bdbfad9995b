// The hash commands of the Redis port (HSET HGET ...): maps of LWW registers.
#include <algorithm>

#include "server/resp/resp_call.h"

namespace regionsync {

using resp_internal::IsHash;

void RespCommands::Call::HSet() {
  if (args_.size() % 2 != 0) {
    out_.Error("ERR wrong number of arguments for '" + AsciiLower(args_[0]) + "' command");
    return;
  }
  const AnyCrdt* v = replica_.Find(args_[1]);
  if (v != nullptr && !IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  size_t largest_unit = 0, added_bytes = 0;
  for (size_t i = 2; i < args_.size(); i += 2) {
    if (args_[i].empty()) {
      out_.Error("ERR regionsync hashes do not support an empty field name");
      return;
    }
    largest_unit = std::max(largest_unit, args_[1].size() + args_[i].size() + args_[i + 1].size());
    added_bytes += args_[i].size() + args_[i + 1].size() + Replica::kUnitEncodingBytes;
  }
  // All fields or none: a size limit refuses the whole command.
  if (Status fits = replica_.CheckWriteSize(args_[1], largest_unit, added_bytes); !fits.ok()) {
    Fail(fits);
    return;
  }
  Event("hset");
  int64_t created = 0;
  for (size_t i = 2; i < args_.size(); i += 2) {
    v = replica_.Find(args_[1]);
    bool had = v != nullptr && std::get<OrMap>(*v).Contains(args_[i]);
    Status s = replica_.MapSet(args_[1], args_[i], args_[i + 1]);
    if (!s.ok()) {
      Fail(s);
      return;
    }
    created += !had;
  }
  if (AsciiLower(args_[0]) == "hmset") {
    out_.SimpleString("OK");
  } else {
    out_.Integer(created);
  }
}

void RespCommands::Call::HGet() {
  const AnyCrdt* v = Live(args_[1]);
  if (v != nullptr && !IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  std::optional<std::string> value = v == nullptr ? std::nullopt : std::get<OrMap>(*v).Register(args_[2]);
  if (value) {
    out_.Bulk(*value);
  } else {
    out_.Null();
  }
}

void RespCommands::Call::HDel() {
  const AnyCrdt* v = Live(args_[1]);
  if (v == nullptr) {
    out_.Integer(0);
    return;
  }
  if (!IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  Event("hdel");
  int64_t removed = 0;
  for (size_t i = 2; i < args_.size(); ++i) {
    v = replica_.Find(args_[1]);
    if (args_[i].empty() || !std::get<OrMap>(*v).Contains(args_[i])) continue;
    removed += replica_.MapRemove(args_[1], args_[i]).ok();
  }
  out_.Integer(removed);
}

void RespCommands::Call::HGetAll() {
  const AnyCrdt* v = Live(args_[1]);
  if (v == nullptr) {
    out_.MapHeader(0);
    return;
  }
  if (!IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  const OrMap& m = std::get<OrMap>(*v);
  std::vector<std::string> fields = m.Keys();
  out_.MapHeader(fields.size());
  for (const std::string& f : fields) {
    out_.Bulk(f);
    out_.Bulk(m.Register(f).value_or(""));
  }
}

void RespCommands::Call::HLen() {
  const AnyCrdt* v = Live(args_[1]);
  if (v != nullptr && !IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  out_.Integer(v == nullptr ? 0 : static_cast<int64_t>(std::get<OrMap>(*v).size()));
}

}  // namespace regionsync

// The Redis port's hash field expiry commands (Redis 7.4): HEXPIRE,
// HPEXPIRE, HEXPIREAT, HPEXPIREAT, HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME,
// HPERSIST, with their "FIELDS numfields field..." syntax and per-field
// reply codes (t_hash.c). A field's expiry is part of the hash's CRDT state
// (crdt/or_map.h); docs/redis.md ("Hash field expiry") says how concurrent
// changes resolve across regions.
#include <functional>

#include "server/resp/resp_call.h"

namespace regionsync {

using namespace resp_internal;

namespace {

// Redis's largest field expiry, ((2^48 - 1) >> 2) ms (HFE_MAX_ABS_TIME_MSEC).
constexpr int64_t kMaxFieldMillis = ((int64_t{1} << 48) - 1) >> 2;

// Per-field reply codes.
constexpr int64_t kNoField = -2;
constexpr int64_t kNoTtl = -1;
constexpr int64_t kConditionNotMet = 0;
constexpr int64_t kSet = 1;
constexpr int64_t kDeleted = 2;

}  // namespace

size_t RespCommands::Call::ReadFieldList(size_t at) {
  if (at + 1 >= args_.size() || AsciiLower(args_[at]) != "fields") {
    out_.Error("ERR Mandatory argument FIELDS is missing or not at the right position");
    return 0;
  }
  std::optional<int64_t> n = ParseInt64(args_[at + 1]);
  if (!n || *n < 1) {
    out_.Error("ERR Parameter `numFields` should be greater than 0");
    return 0;
  }
  if (static_cast<uint64_t>(*n) != args_.size() - at - 2) {
    out_.Error("ERR The `numfields` parameter must match the number of arguments");
    return 0;
  }
  return at + 2;
}

void RespCommands::Call::HashExpire(bool millis, bool absolute) {
  std::optional<int64_t> when = ParseInt64(args_[2]);
  if (!when) return out_.Error(kNotInteger);
  int64_t at = *when;
  if (at < 0) return out_.Error("ERR invalid expire time, must be >= 0");
  const std::string invalid = "ERR invalid expire time in '" + AsciiLower(args_[0]) + "' command";
  if (!millis) {
    if (at > kMaxFieldMillis / 1000) return out_.Error(invalid);
    at *= 1000;
  }
  const int64_t now = static_cast<int64_t>(NowMillis());
  const int64_t base = absolute ? 0 : now;
  if (at > kMaxFieldMillis - base) return out_.Error(invalid);
  at += base;

  std::string condition;
  size_t fields_at = 3;
  if (std::string opt = AsciiLower(args_[3]); opt == "nx" || opt == "xx" || opt == "gt" || opt == "lt") {
    condition = opt;
    fields_at = 4;
  }
  const size_t first = ReadFieldList(fields_at);
  if (first == 0) return;
  const OrMap* map;
  if (!ReadHash(&map)) return;
  out_.ArrayHeader(args_.size() - first);
  for (size_t i = first; i < args_.size(); ++i) {
    std::optional<uint64_t> current = replica_.FieldExpiresAt(args_[1], args_[i]);
    if (!current) {
      out_.Integer(kNoField);
      continue;
    }
    // No expiry counts as an infinite one for GT and LT, as in Redis.
    const bool has = *current != 0;
    const bool met = condition.empty() || (condition == "nx" && !has) || (condition == "xx" && has) ||
                     (condition == "gt" && has && at > static_cast<int64_t>(*current)) ||
                     (condition == "lt" && (!has || at < static_cast<int64_t>(*current)));
    if (!met) {
      out_.Integer(kConditionNotMet);
      continue;
    }
    Event(at <= now ? "hdel" : "hexpire");
    Result<bool> set = replica_.SetFieldExpiry(args_[1], args_[i], static_cast<uint64_t>(at));
    if (!set.ok()) {
      out_.Integer(kConditionNotMet);  // not reachable for a present field; keep the reply's shape
      continue;
    }
    out_.Integer(at <= now ? kDeleted : kSet);
  }
}

void RespCommands::Call::ReplyPerField(size_t first, const std::function<int64_t(size_t, uint64_t)>& with_expiry) {
  out_.ArrayHeader(args_.size() - first);
  for (size_t i = first; i < args_.size(); ++i) {
    std::optional<uint64_t> at = replica_.FieldExpiresAt(args_[1], args_[i]);
    out_.Integer(!at ? kNoField : *at == 0 ? kNoTtl : with_expiry(i, *at));
  }
}

void RespCommands::Call::HashTtl(bool millis, bool absolute) {
  const size_t first = ReadFieldList(2);
  const OrMap* map;
  if (first == 0 || !ReadHash(&map)) return;
  const uint64_t now = NowMillis();
  ReplyPerField(first, [&](size_t, uint64_t at) {
    const uint64_t ms = absolute ? at : at - now;  // a present field has not expired: at > now
    return static_cast<int64_t>(millis ? ms : (ms + 999) / 1000);
  });
}

void RespCommands::Call::HPersist() {
  const size_t first = ReadFieldList(2);
  const OrMap* map;
  if (first == 0 || !ReadHash(&map)) return;
  ReplyPerField(first, [&](size_t i, uint64_t) {
    Event("hpersist");
    (void)replica_.SetFieldExpiry(args_[1], args_[i], 0);
    return kSet;
  });
}

}  // namespace regionsync

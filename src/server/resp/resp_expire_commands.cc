// The Redis port's expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT,
// TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, SETEX, PSETEX, GETEX, and the
// expiry options SET shares with GETEX. Replies and errors follow Redis
// 7.0's expire.c and t_string.c. An expiry is an absolute wall time in the
// key's CRDT state (crdt/lifetime.h); docs/redis.md ("Expiry") says how
// concurrent expiry changes resolve across regions.
#include <limits>

#include "server/resp/resp_call.h"

namespace regionsync {

using namespace resp_internal;

namespace {

constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max();

std::string InvalidExpireTime(std::string_view command) {
  return "ERR invalid expire time in '" + AsciiLower(command) + "' command";
}

}  // namespace

uint64_t RespCommands::Call::NowMillis() const { return self_->env_->WallMillis(); }

bool RespCommands::Call::ReadExpiryOption(size_t* i, bool set_command, ExpiryOption* option) {
  std::string opt = AsciiLower(args_[*i]);
  ExpiryOption::Kind kind;
  if (opt == "ex") {
    kind = ExpiryOption::kEx;
  } else if (opt == "px") {
    kind = ExpiryOption::kPx;
  } else if (opt == "exat") {
    kind = ExpiryOption::kExAt;
  } else if (opt == "pxat") {
    kind = ExpiryOption::kPxAt;
  } else if (opt == "keepttl" && set_command) {
    kind = ExpiryOption::kKeepTtl;
  } else if (opt == "persist" && !set_command) {
    kind = ExpiryOption::kPersist;
  } else {
    return false;
  }
  // Each option excludes the others (repeating one is allowed, as in Redis).
  if (option->kind != ExpiryOption::kNone && option->kind != kind) return false;
  bool takes_value = kind != ExpiryOption::kKeepTtl && kind != ExpiryOption::kPersist;
  if (takes_value) {
    if (*i + 1 >= args_.size()) return false;
    option->value = &args_[++*i];
  }
  option->kind = kind;
  return true;
}

bool RespCommands::Call::ExpiryMillis(const ExpiryOption& option, uint64_t* at) {
  std::optional<int64_t> v = ParseInt64(*option.value);
  if (!v) {
    out_.Error(kNotInteger);
    return false;
  }
  bool seconds = option.kind == ExpiryOption::kEx || option.kind == ExpiryOption::kExAt;
  bool relative = option.kind == ExpiryOption::kEx || option.kind == ExpiryOption::kPx;
  int64_t ms = *v;
  if (ms <= 0 || (seconds && ms > kMaxMillis / 1000)) {
    out_.Error(InvalidExpireTime(args_[0]));
    return false;
  }
  if (seconds) ms *= 1000;
  if (relative && __builtin_add_overflow(ms, static_cast<int64_t>(NowMillis()), &ms)) {
    out_.Error(InvalidExpireTime(args_[0]));
    return false;
  }
  *at = static_cast<uint64_t>(ms);
  return true;
}

void RespCommands::Call::ExpireKey(bool millis, bool absolute) {
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < args_.size(); ++i) {
    std::string opt = AsciiLower(args_[i]);
    if (opt == "nx") {
      nx = true;
    } else if (opt == "xx") {
      xx = true;
    } else if (opt == "gt") {
      gt = true;
    } else if (opt == "lt") {
      lt = true;
    } else {
      out_.Error("ERR Unsupported option " + args_[i]);
      return;
    }
  }
  if (nx && (xx || gt || lt)) {
    out_.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if (gt && lt) {
    out_.Error("ERR GT and LT options at the same time are not compatible");
    return;
  }
  std::optional<int64_t> when = ParseInt64(args_[2]);
  if (!when) {
    out_.Error(kNotInteger);
    return;
  }
  int64_t at = *when;
  if (!millis) {
    if (at > kMaxMillis / 1000 || at < std::numeric_limits<int64_t>::min() / 1000) {
      out_.Error(InvalidExpireTime(args_[0]));
      return;
    }
    at *= 1000;
  }
  int64_t base = absolute ? 0 : static_cast<int64_t>(NowMillis());
  if (at > kMaxMillis - base) {
    out_.Error(InvalidExpireTime(args_[0]));
    return;
  }
  at += base;
  std::optional<uint64_t> current = replica_.ExpiresAt(args_[1]);
  if (!current) {
    out_.Integer(0);
    return;
  }
  // Redis's -1 for "no expiry" reads as an infinite time for GT and LT.
  int64_t have = *current == 0 ? -1 : static_cast<int64_t>(*current);
  if ((nx && have != -1) || (xx && have == -1) || (gt && (have == -1 || at <= have)) ||
      (lt && have != -1 && at >= have)) {
    out_.Integer(0);
    return;
  }
  if (at <= static_cast<int64_t>(NowMillis())) {
    ExpireNow(args_[1]);
  } else {
    Event("expire");
    Result<bool> set = replica_.SetExpiry(args_[1], static_cast<uint64_t>(at));
    if (!set.ok()) return Fail(set.status());
  }
  out_.Integer(1);
}

void RespCommands::Call::ExpireNow(const std::string& key) {
  // As Redis does, a time already past deletes the key (an observed
  // remove: concurrent writes elsewhere survive it, as they survive DEL). A
  // grow-only counter, which cannot be deleted, expires instead.
  const AnyCrdt* v = Live(key);
  if (v != nullptr && std::holds_alternative<GCounter>(*v)) {
    Event("expire");
    (void)replica_.SetExpiry(key, NowMillis());
    return;
  }
  Event("del");
  (void)replica_.Delete(key);
}

void RespCommands::Call::ReadTtl(bool millis, bool absolute) {
  std::optional<uint64_t> at = replica_.ExpiresAt(args_[1]);
  if (!at) return out_.Integer(-2);
  if (*at == 0) return out_.Integer(-1);
  uint64_t now = NowMillis();
  int64_t ttl = absolute ? static_cast<int64_t>(*at) : (*at > now ? static_cast<int64_t>(*at - now) : 0);
  out_.Integer(millis ? ttl : (ttl + 500) / 1000);
}

void RespCommands::Call::Persist() {
  std::optional<uint64_t> at = replica_.ExpiresAt(args_[1]);
  if (!at || *at == 0) return out_.Integer(0);
  Event("persist");
  Result<bool> cleared = replica_.SetExpiry(args_[1], 0);
  if (!cleared.ok()) return Fail(cleared.status());
  out_.Integer(1);
}

void RespCommands::Call::SetWithTtl(bool millis) {
  ExpiryOption option{millis ? ExpiryOption::kPx : ExpiryOption::kEx, &args_[2]};
  uint64_t at = 0;
  if (!ExpiryMillis(option, &at)) return;
  const AnyCrdt* v = replica_.Find(args_[1]);
  if (v != nullptr && !IsStringFamily(*v)) return out_.Error(kWrongType);  // the key keeps its type
  Event("set");
  Status s = replica_.WithExpiry(at, [&] { return replica_.Set(args_[1], args_[3], std::nullopt, pb::STRING); });
  if (!s.ok()) return Fail(s);
  out_.SimpleString("OK");
}

void RespCommands::Call::GetEx() {
  ExpiryOption option;
  for (size_t i = 2; i < args_.size(); ++i) {
    if (!ReadExpiryOption(&i, /*set_command=*/false, &option)) return out_.Error(kSyntax);
  }
  std::optional<std::string> value;
  if (!ReadString(&value)) return;
  if (!value) return out_.Null();
  uint64_t at = 0;
  if (option.value != nullptr && !ExpiryMillis(option, &at)) return;
  out_.Bulk(*value);
  if (option.value != nullptr && at <= NowMillis()) {
    ExpireNow(args_[1]);  // EXAT / PXAT in the past
  } else if (option.value != nullptr) {
    Event("expire");
    (void)replica_.SetExpiry(args_[1], at);
  } else if (option.kind == ExpiryOption::kPersist && replica_.ExpiresAt(args_[1]).value_or(0) != 0) {
    Event("persist");
    (void)replica_.SetExpiry(args_[1], 0);
  }
}

}  // namespace regionsync

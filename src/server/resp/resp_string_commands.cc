// The string and counter commands of the Redis port (GET SET INCR ... GETRANGE).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "server/resp/resp_call.h"

namespace regionsync {

using resp_internal::FormatRedisFloat;
using resp_internal::kNotInteger;
using resp_internal::ParseRedisFloat;
using resp_internal::kSyntax;
using resp_internal::ParseInt64;
using resp_internal::StringValue;
using resp_internal::IsStringType;

void RespCommands::Call::Get() {
  const AnyCrdt* v = replica_.Find(args_[1]);
  if (v == nullptr) {
    out_.Null();
  } else if (!IsStringType(*v)) {
    if (HasValue(*v)) {
      out_.Error(kWrongType);
    } else {
      out_.Null();
    }
  } else if (std::optional<std::string> s = StringValue(*v)) {
    out_.Bulk(*s);
  } else {
    out_.Null();
  }
}

void RespCommands::Call::Set() {
  bool nx = false, xx = false, get = false;
  ExpiryOption expiry;
  for (size_t i = 3; i < args_.size(); ++i) {
    std::string opt = AsciiLower(args_[i]);
    if (opt == "nx" && !xx) {
      nx = true;
    } else if (opt == "xx" && !nx) {
      xx = true;
    } else if (opt == "get") {
      get = true;
    } else if (!ReadExpiryOption(&i, /*set_command=*/true, &expiry)) {
      out_.Error(kSyntax);
      return;
    }
  }
  uint64_t expires_at = 0;  // without KEEPTTL, SET clears the key's expiry
  if (expiry.value != nullptr && !ExpiryMillis(expiry, &expires_at)) return;
  const AnyCrdt* v = replica_.Find(args_[1]);
  if (v != nullptr && !IsStringFamily(*v)) {
    out_.Error(kWrongType);  // a set, hash, ... keeps its type (docs/redis.md)
    return;
  }
  // (A plain SET needs no copy of the value it replaces.)
  std::optional<std::string> old = v != nullptr && (nx || xx || get) ? StringValue(*v) : std::nullopt;
  if ((nx && old) || (xx && !old)) {
    if (get && old) {
      out_.Bulk(*old);
    } else {
      out_.Null();
    }
    return;
  }
  Event("set");
  auto write = [&] { return replica_.Set(args_[1], args_[2], std::nullopt, pb::STRING); };
  Status s = expiry.kind == ExpiryOption::kKeepTtl ? write() : replica_.WithExpiry(expires_at, write);
  if (!s.ok()) {
    Fail(s);
  } else if (!get) {
    out_.SimpleString("OK");
  } else if (old) {
    out_.Bulk(*old);
  } else {
    out_.Null();
  }
}

void RespCommands::Call::MGet() {
  out_.ArrayHeader(args_.size() - 1);
  for (size_t i = 1; i < args_.size(); ++i) {
    const AnyCrdt* v = replica_.Find(args_[i]);
    std::optional<std::string> s = v != nullptr ? StringValue(*v) : std::nullopt;
    if (s) {
      out_.Bulk(*s);
    } else {
      out_.Null();
    }
  }
}

// MSET and MSETNX: every pair is checked before the first write (all or
// nothing), then each is a SET of the string type. With `only_new`, any key
// that has a value (of any type) refuses the whole command with 0.
// Returns false when it answered (an error, or MSETNX's 0).
bool RespCommands::Call::SetPairs(const char* name, bool only_new) {
  if (args_.size() % 2 != 1) {
    out_.Error(std::string("ERR wrong number of arguments for '") + name + "' command");
    return false;
  }
  for (size_t i = 1; i < args_.size(); i += 2) {
    const AnyCrdt* v = replica_.Find(args_[i]);
    if (only_new && v != nullptr && HasValue(*v)) {
      out_.Integer(0);
      return false;
    }
    if (v != nullptr && !IsStringFamily(*v)) {
      out_.Error(kWrongType);
      return false;
    }
    Status fits = replica_.CheckWriteSize(args_[i], args_[i].size() + args_[i + 1].size(), 0);
    if (!fits.ok()) {
      Fail(fits);
      return false;
    }
  }
  Event("set");
  for (size_t i = 1; i < args_.size(); i += 2) {
    Status s = replica_.WithExpiry(0, [&] { return replica_.Set(args_[i], args_[i + 1], std::nullopt, pb::STRING); });
    if (!s.ok()) {
      Fail(s);
      return false;
    }
  }
  return true;
}

void RespCommands::Call::MSet() {
  if (SetPairs("mset", /*only_new=*/false)) out_.SimpleString("OK");
}

void RespCommands::Call::MSetNx() {
  if (SetPairs("msetnx", /*only_new=*/true)) out_.Integer(1);
}

void RespCommands::Call::IncrBy() {
  std::optional<int64_t> by = ParseInt64(args_[2]);
  if (!by) {
    out_.Error(kNotInteger);
    return;
  }
  IncrementBy(*by);
}

void RespCommands::Call::DecrBy() {
  std::optional<int64_t> by = ParseInt64(args_[2]);
  if (!by) {
    out_.Error(kNotInteger);
  } else if (*by == std::numeric_limits<int64_t>::min()) {
    out_.Error("ERR decrement would overflow");
  } else {
    IncrementBy(-*by);
  }
}

void RespCommands::Call::IncrementBy(int64_t by) {
  Event("incrby");
  Result<int64_t> n = replica_.Increment(args_[1], by, pb::STRING);
  if (n.ok()) {
    out_.Integer(*n);
  } else {
    // WRONGTYPE, or Redis's own words: "value is not an integer or out of
    // range", "increment or decrement would overflow".
    Fail(n.status());
  }
}

namespace resp_internal {

// Declared in resp_call.h (HINCRBYFLOAT uses them too).
std::optional<long double> ParseRedisFloat(std::string_view s) {
  constexpr size_t kMaxChars = 5 * 1024;  // MAX_LONG_DOUBLE_CHARS
  if (s.empty() || s.size() >= kMaxChars) return std::nullopt;
  std::string buf(s);  // NUL-terminated, as strtold wants; a NUL inside is not the end
  errno = 0;
  char* end = nullptr;
  long double v = std::strtold(buf.c_str(), &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || end != buf.c_str() + buf.size() || std::isnan(v) || errno == EINVAL ||
      (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || std::fpclassify(v) == FP_ZERO))) {
    return std::nullopt;
  }
  return v;
}

std::string FormatRedisFloat(long double v) {
  char buf[5 * 1024];
  int n = std::snprintf(buf, sizeof buf, "%.17Lf", v);
  std::string out(buf, n > 0 ? std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1) : 0);
  if (out.find('.') != std::string::npos) {
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

}  // namespace resp_internal

// INCRBYFLOAT is a SET of the sum (docs/redis.md): float sums depend on the
// order of addition, so concurrent float increments race by last-writer-wins.
void RespCommands::Call::IncrByFloat() {
  // Redis checks the key's type before it parses the increment.
  const AnyCrdt* v = replica_.Find(args_[1]);
  if (v != nullptr && !IsStringFamily(*v) && HasValue(*v)) {
    out_.Error(kWrongType);
    return;
  }
  std::optional<long double> by = ParseRedisFloat(args_[2]);
  if (!by) {
    out_.Error("ERR value is not a valid float");
    return;
  }
  std::optional<std::string> current = v != nullptr ? StringValue(*v) : std::nullopt;
  std::optional<long double> base = current ? ParseRedisFloat(*current) : std::optional<long double>(0);
  if (!base) {
    out_.Error("ERR value is not a valid float");
    return;
  }
  long double sum = *base + *by;
  if (std::isnan(sum) || std::isinf(sum)) {
    out_.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  std::string text = FormatRedisFloat(sum);
  Event("incrbyfloat");
  Status s = replica_.Set(args_[1], text, std::nullopt, pb::STRING);
  if (!s.ok()) {
    Fail(s);
  } else {
    out_.Bulk(text);
  }
}

bool RespCommands::Call::ReadString(std::optional<std::string>* value) {
  const AnyCrdt* v = Live(args_[1]);
  if (v != nullptr && !IsStringType(*v)) {
    out_.Error(kWrongType);
    return false;
  }
  *value = v != nullptr ? StringValue(*v) : std::nullopt;
  return true;
}

bool RespCommands::Call::WriteString(const char* event, std::string value, bool clear_expiry) {
  Event(event);
  auto write = [&] { return replica_.Set(args_[1], std::move(value), std::nullopt, pb::STRING); };
  Status s = clear_expiry ? replica_.WithExpiry(0, write) : write();
  if (!s.ok()) Fail(s);
  return s.ok();
}

// The commands below are SETs of the string type: under concurrency they
// race as SET does (docs/redis.md), and their conditions (NX) and reads
// (GETSET, APPEND's old value) see this region's value only.

void RespCommands::Call::SetNx() {
  if (Live(args_[1]) != nullptr) {
    out_.Integer(0);  // any type: Redis checks existence only
  } else if (WriteString("set", args_[2])) {
    out_.Integer(1);
  }
}

void RespCommands::Call::GetSet() {
  std::optional<std::string> old;
  if (!ReadString(&old) || !WriteString("set", args_[2], /*clear_expiry=*/true)) return;
  if (old) {
    out_.Bulk(*old);
  } else {
    out_.Null();
  }
}

void RespCommands::Call::GetDel() {
  std::optional<std::string> old;
  if (!ReadString(&old)) return;
  if (!old) {
    out_.Null();
    return;
  }
  Event("del");
  Result<bool> deleted = replica_.Delete(args_[1]);
  if (!deleted.ok()) {
    Fail(deleted.status());
  } else {
    out_.Bulk(*old);
  }
}

void RespCommands::Call::StrLen() {
  std::optional<std::string> v;
  if (ReadString(&v)) out_.Integer(static_cast<int64_t>(v ? v->size() : 0));
}

void RespCommands::Call::Append() {
  std::optional<std::string> v;
  if (!ReadString(&v)) return;
  std::string value = v.value_or("") + args_[2];
  size_t length = value.size();
  if (WriteString("append", std::move(value))) out_.Integer(static_cast<int64_t>(length));
}

// A SET of this region's value with `value` written at `offset` (zero bytes
// fill a gap), as APPEND is: concurrent SETRANGEs race by last writer wins.
void RespCommands::Call::SetRange() {
  std::optional<int64_t> offset = ParseInt64(args_[2]);
  if (!offset) {
    out_.Error(kNotInteger);
    return;
  }
  if (*offset < 0) {
    out_.Error("ERR offset is out of range");
    return;
  }
  std::optional<std::string> v;
  if (!ReadString(&v)) return;
  const std::string& value = args_[3];
  if (value.empty()) {  // writes nothing, creates nothing
    out_.Integer(static_cast<int64_t>(v ? v->size() : 0));
    return;
  }
  constexpr uint64_t kProtoMaxBulkLen = 512 * 1024 * 1024;  // Redis's default proto-max-bulk-len
  const uint64_t length = static_cast<uint64_t>(*offset) + value.size();
  if (length > kProtoMaxBulkLen) {
    out_.Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    return;
  }
  // Before the string is built: an offset may ask for up to 512 MB.
  if (Status fits = replica_.CheckWriteSize(args_[1], args_[1].size() + length, 0); !fits.ok()) {
    Fail(fits);
    return;
  }
  std::string result = v.value_or("");
  if (result.size() < length) result.resize(length, '\0');
  result.replace(static_cast<size_t>(*offset), value.size(), value);
  const size_t result_length = result.size();
  if (WriteString("setrange", std::move(result))) out_.Integer(static_cast<int64_t>(result_length));
}

void RespCommands::Call::GetRange() {
  std::optional<int64_t> start = ParseInt64(args_[2]), end = ParseInt64(args_[3]);
  if (!start || !end) {
    out_.Error(kNotInteger);
    return;
  }
  std::optional<std::string> v;
  if (!ReadString(&v)) return;
  // Redis's getrangeCommand: negative indexes count from the end; both ends
  // are clamped; an empty range (or a start past the end) is "".
  const int64_t len = v ? static_cast<int64_t>(v->size()) : 0;
  int64_t s = *start, e = *end;
  if (s < 0 && e < 0 && s > e) {
    out_.Bulk("");
    return;
  }
  if (s < 0) s = std::max<int64_t>(len + s, 0);
  if (e < 0) e = std::max<int64_t>(len + e, 0);
  if (e >= len) e = len - 1;
  if (len == 0 || s > e) {
    out_.Bulk("");
  } else {
    out_.Bulk(std::string_view(*v).substr(static_cast<size_t>(s), static_cast<size_t>(e - s + 1)));
  }
}

}  // namespace regionsync

// The keyspace commands of the Redis port: EXISTS TYPE DEL KEYS SCAN DBSIZE FLUSHDB.
#include <charconv>
#include <limits>

#include "regionsync/server/resp/glob.h"

#include "server/resp/resp_call.h"

namespace regionsync {

using resp_internal::kNotInteger;
using resp_internal::kSyntax;
using resp_internal::ParseInt64;
using resp_internal::EqualsIgnoreCase;
using resp_internal::RedisType;

// ---- Keyspace.

void RespCommands::Call::Exists() {
  int64_t n = 0;
  for (size_t i = 1; i < args_.size(); ++i) n += Live(args_[i]) != nullptr;
  out_.Integer(n);
}

void RespCommands::Call::Type() {
  const AnyCrdt* v = Live(args_[1]);
  out_.SimpleString(v == nullptr ? "none" : RedisType(*v));
}

void RespCommands::Call::Del() {
  for (size_t i = 1; i < args_.size(); ++i) {  // check first: all or nothing
    const AnyCrdt* v = Live(args_[i]);
    if (v != nullptr && std::holds_alternative<GCounter>(*v)) {
      out_.Error("ERR key '" + args_[i] + "' holds a grow-only counter, which cannot be deleted");
      return;
    }
  }
  Event("del");
  int64_t n = 0;
  for (size_t i = 1; i < args_.size(); ++i) {
    Result<bool> deleted = replica_.Delete(args_[i]);
    n += deleted.ok() && *deleted;
  }
  out_.Integer(n);
}

void RespCommands::Call::Keys() {
  std::vector<const std::string*> keys;
  bool all = args_[1] == "*";
  replica_.ScanKeys(0, std::numeric_limits<size_t>::max(), [&](const std::string& key, const AnyCrdt& v) {
    if (HasValue(v) && (all || GlobMatch(args_[1], key))) keys.push_back(&key);
  });
  out_.ArrayHeader(keys.size());
  for (const std::string* k : keys) out_.Bulk(*k);
}

void RespCommands::Call::Scan() {
  std::optional<uint64_t> parsed = resp_internal::ParseScanCursor(args_[1]);
  if (!parsed) {
    out_.Error("ERR invalid cursor");
    return;
  }
  uint64_t cursor = *parsed;
  const std::string* match = nullptr;
  const std::string* type = nullptr;
  int64_t count = 10;
  for (size_t i = 2; i < args_.size(); i += 2) {
    std::string opt = AsciiLower(args_[i]);
    if (i + 1 >= args_.size()) {
      out_.Error(kSyntax);
      return;
    }
    if (opt == "match") {
      match = &args_[i + 1];
    } else if (opt == "count") {
      std::optional<int64_t> c = ParseInt64(args_[i + 1]);
      if (!c) {
        out_.Error(kNotInteger);
        return;
      }
      if (*c < 1) {
        out_.Error(kSyntax);
        return;
      }
      count = *c;
    } else if (opt == "type") {
      type = &args_[i + 1];
    } else {
      out_.Error(kSyntax);
      return;
    }
  }
  std::vector<const std::string*> keys;
  size_t next = replica_.ScanKeys(cursor, static_cast<size_t>(count), [&](const std::string& key, const AnyCrdt& v) {
    if (!HasValue(v)) return;
    if (match != nullptr && !GlobMatch(*match, key)) return;
    if (type != nullptr && !EqualsIgnoreCase(*type, RedisType(v))) return;
    keys.push_back(&key);
  });
  out_.ArrayHeader(2);
  out_.Bulk(std::to_string(next));
  out_.ArrayHeader(keys.size());
  for (const std::string* k : keys) out_.Bulk(*k);
}

void RespCommands::Call::DbSize() {
  int64_t n = 0;
  replica_.ScanKeys(0, std::numeric_limits<size_t>::max(),
                    [&](const std::string&, const AnyCrdt& v) { n += HasValue(v); });
  out_.Integer(n);
}

void RespCommands::Call::FlushDb() {
  if (args_.size() > 2 || (args_.size() == 2 && !EqualsIgnoreCase(args_[1], "sync") &&
                           !EqualsIgnoreCase(args_[1], "async"))) {
    out_.Error(kSyntax);
    return;
  }
  std::vector<std::string> keys;
  replica_.ScanKeys(0, std::numeric_limits<size_t>::max(), [&](const std::string& key, const AnyCrdt& v) {
    if (HasValue(v) && !std::holds_alternative<GCounter>(v)) keys.push_back(key);  // grow-only counters stay
  });
  Event("del");
  for (const std::string& k : keys) (void)replica_.Delete(k);
  out_.SimpleString("OK");
}

}  // namespace regionsync

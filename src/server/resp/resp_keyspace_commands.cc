// The keyspace commands of the Redis port: EXISTS TYPE DEL KEYS SCAN DBSIZE
// FLUSHDB RENAME RENAMENX COPY TOUCH RANDOMKEY OBJECT.
#include <charconv>
#include <cstdint>
#include <limits>

#include "regionsync/server/resp/glob.h"

#include "server/resp/resp_call.h"

namespace regionsync {

using resp_internal::kNotInteger;
using resp_internal::kSyntax;
using resp_internal::ParseInt64;
using resp_internal::EqualsIgnoreCase;
using resp_internal::RedisType;
using resp_internal::StringValue;
using resp_internal::IsStringType;
using resp_internal::IsHash;
using resp_internal::ZsetIsListpack;

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

bool RespCommands::Call::ReadScanOptions(size_t first, const std::string** match, int64_t* count,
                                         const std::string** type) {
  for (size_t i = first; i < args_.size(); i += 2) {
    if (i + 1 >= args_.size()) {
      out_.Error(kSyntax);
      return false;
    }
    const std::string& value = args_[i + 1];
    if (EqualsIgnoreCase(args_[i], "match")) {
      *match = value == "*" ? nullptr : &value;
    } else if (EqualsIgnoreCase(args_[i], "count")) {
      std::optional<int64_t> c = ParseInt64(value);
      if (!c) {
        out_.Error(kNotInteger);
        return false;
      }
      if (*c < 1) {
        out_.Error(kSyntax);
        return false;
      }
      *count = *c;
    } else if (type != nullptr && EqualsIgnoreCase(args_[i], "type")) {
      *type = &value;
    } else {
      out_.Error(kSyntax);
      return false;
    }
  }
  return true;
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
  if (!ReadScanOptions(2, &match, &count, &type)) return;
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

// RENAME and COPY write the source's value to the destination afresh, as
// this region's own write (Replica::WriteCopy), never its CRDT state: see
// docs/redis.md for what concurrent writes in other regions then do.
// The destination takes the source's expiry, as in Redis.
bool RespCommands::Call::CopyValue(const std::string& from, const AnyCrdt& value, const std::string& to) {
  Status s = replica_.WithExpiry(replica_.ExpiresAt(from).value_or(0), [&] { return replica_.WriteCopy(to, value); });
  if (!s.ok()) {
    Fail(s);
    return false;
  }
  return true;
}

void RespCommands::Call::RenameKey(bool only_new) {
  const AnyCrdt* from = Live(args_[1]);
  if (from == nullptr) {
    out_.Error("ERR no such key");
    return;
  }
  if (args_[1] == args_[2] || (only_new && Live(args_[2]) != nullptr)) {
    if (only_new) {
      out_.Integer(0);
    } else {
      out_.SimpleString("OK");
    }
    return;
  }
  if (std::holds_alternative<GCounter>(*from)) {
    out_.Error("ERR key '" + args_[1] + "' holds a grow-only counter, which cannot be deleted");
    return;
  }
  // The destination first: if it refuses (type, size), nothing changed.
  Event("rename_to");
  if (!CopyValue(args_[1], *from, args_[2])) return;
  Event("rename_from");
  (void)replica_.Delete(args_[1]);
  if (only_new) {
    out_.Integer(1);
  } else {
    out_.SimpleString("OK");
  }
}

void RespCommands::Call::Copy() {
  bool replace = false;
  for (size_t i = 3; i < args_.size(); ++i) {
    if (EqualsIgnoreCase(args_[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(args_[i], "db") && i + 1 < args_.size()) {
      std::optional<int64_t> db = ParseInt64(args_[++i]);
      if (!db || *db < INT32_MIN || *db > INT32_MAX) {
        out_.Error(kNotInteger);
        return;
      }
      if (*db != 0) {
        out_.Error("ERR DB index is out of range");
        return;
      }
    } else {
      out_.Error(kSyntax);
      return;
    }
  }
  if (args_[1] == args_[2]) {
    out_.Error("ERR source and destination objects are the same");
    return;
  }
  const AnyCrdt* from = Live(args_[1]);
  if (from == nullptr || (!replace && Live(args_[2]) != nullptr)) {
    out_.Integer(0);
    return;
  }
  Event("copy_to");
  if (CopyValue(args_[1], *from, args_[2])) out_.Integer(1);
}

void RespCommands::Call::RandomKey() {
  size_t live = 0;
  replica_.ScanKeys(0, std::numeric_limits<size_t>::max(),
                    [&](const std::string&, const AnyCrdt& v) { live += HasValue(v); });
  if (live == 0) {
    out_.Null();
    return;
  }
  size_t pick = self_->env_->Random64() % live;
  const std::string* chosen = nullptr;
  replica_.ScanKeys(0, std::numeric_limits<size_t>::max(), [&](const std::string& key, const AnyCrdt& v) {
    if (HasValue(v) && chosen == nullptr && pick-- == 0) chosen = &key;
  });
  out_.Bulk(*chosen);
}

namespace {

// What Redis 7.0's OBJECT ENCODING answers for the same value with its
// default limits: integers "int", short strings "embstr" (44 bytes), longer
// ones "raw"; sets of up to 512 integers "intset"; hashes of up to 128
// fields of up to 64 bytes "listpack"; larger sets and hashes "hashtable";
// sorted sets "listpack" or "skiplist" (resp_internal::ZsetIsListpack).
const char* RedisEncoding(const AnyCrdt& v) {
  if (IsStringType(v)) {
    std::string s = StringValue(v).value_or("");
    if (ParseInt64(s)) return "int";
    return s.size() <= 44 ? "embstr" : "raw";
  }
  if (const auto* set = std::get_if<OrSet>(&v)) {
    if (set->size() > 512) return "hashtable";
    for (const std::string& e : set->Elements()) {
      if (!ParseInt64(e)) return "hashtable";
    }
    return "intset";
  }
  if (const auto* zset = std::get_if<SortedSet>(&v)) return ZsetIsListpack(*zset) ? "listpack" : "skiplist";
  if (IsHash(v)) {
    const OrMap& m = std::get<OrMap>(v);
    if (m.size() > 128) return "hashtable";
    for (const std::string& f : m.Keys()) {
      if (f.size() > 64 || m.Register(f).value_or("").size() > 64) return "hashtable";
    }
    return "listpack";
  }
  return std::holds_alternative<OrMap>(v) ? "hashtable" : "raw";  // regionsync-only types
}

}  // namespace

void RespCommands::Call::Object() {
  std::string sub = AsciiLower(args_[1]);
  if (sub == "help") {
    Help("OBJECT", {"ENCODING <key>",
                    "    Return the kind of internal representation used in order to store the value",
                    "    associated with a <key>.",
                    "FREQ <key>",
                    "    Return the access frequency index of the <key>. The returned integer is",
                    "    proportional to the logarithm of the recent access frequency of the key.",
                    "IDLETIME <key>",
                    "    Return the idle time of the <key>, that is the approximated number of",
                    "    seconds elapsed since the last access to the key.",
                    "REFCOUNT <key>",
                    "    Return the number of references of the value associated with the specified",
                    "    <key>."});
    return;
  }
  const AnyCrdt* v = Live(args_[2]);
  if (v == nullptr) {
    out_.Null();
  } else if (sub == "encoding") {
    out_.Bulk(RedisEncoding(*v));
  } else if (sub == "freq") {
    out_.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
  } else if (sub == "idletime") {
    out_.Integer(0);  // access times are not tracked: nothing is evicted
  } else {  // refcount: Redis shares the integers 0..9999
    std::optional<int64_t> n = IsStringType(*v) ? ParseInt64(StringValue(*v).value_or("")) : std::nullopt;
    out_.Integer(n && *n >= 0 && *n < 10000 ? INT32_MAX : 1);
  }
}

}  // namespace regionsync

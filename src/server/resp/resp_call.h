// Internal to the Redis port's command layer (resp_*_commands.cc): the
// one-command execution context and the helpers the command files share.
#pragma once

#include <charconv>
#include <initializer_list>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "regionsync/crdt/sorted_set.h"
#include "regionsync/server/resp/resp_commands.h"

namespace regionsync {
namespace resp_internal {

inline constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
inline constexpr const char* kSyntax = "ERR syntax error";
inline constexpr const char* kRedisVersion = "7.0.0";  // the Redis command set we follow

// Redis's string2ll: an optional '-', digits, no spaces, no '+', no leading
// zeros, in range (the same rule the string type reads its value with).
inline std::optional<int64_t> ParseInt64(std::string_view s) { return ParseRedisInteger(s); }

// Redis's string2ld: strtold over the whole text, no leading space, no NaN,
// no overflow to infinity (INCRBYFLOAT, HINCRBYFLOAT). resp_string_commands.cc.
std::optional<long double> ParseRedisFloat(std::string_view s);
// Redis's ld2string(LD_STR_HUMAN): "%.17Lf" without trailing zeros, "-0" as
// "0" (how INCRBYFLOAT and HINCRBYFLOAT write their result). resp_string_commands.cc.
std::string FormatRedisFloat(long double v);
// A SCAN-family cursor as Redis 7.0 reads it (strtoul, base 10): an optional
// sign ("-1" is 2^64-1), digits, nothing else; "" is 0; a leading space or a
// value past 2^64-1 is nullopt ("ERR invalid cursor").
inline std::optional<uint64_t> ParseScanCursor(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  std::string_view digits = !s.empty() && (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
  if (digits.empty()) {
    if (s.empty()) return 0;
    return std::nullopt;  // a sign alone: strtoul converts nothing
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return negative ? uint64_t{0} - v : v;
}

// Redis's string2d (ZADD's scores, ZINCRBY, WEIGHTS): strtod over the whole
// text, no leading space, "inf"/"-inf" allowed, NaN, overflow and underflow
// to zero refused. resp_zset_commands.cc.
std::optional<double> ParseRedisScore(std::string_view s);
// One end of a score range as Redis's zslParseRange reads it: "(" makes it
// exclusive, then strtod up to the text's end or its first NUL (so "" is
// 0); nullopt for NaN or trailing garbage. resp_zset_commands.cc.
std::optional<ScoreBound> ParseScoreBound(std::string_view s);
// One end of a lex range ("-", "+", "[m", "(m"); nullopt otherwise.
std::optional<LexBound> ParseLexBound(std::string_view s);
// Whether Redis 7.0 (zset-max-listpack-entries 128 / -value 64) would keep
// this sorted set as a listpack: OBJECT ENCODING and ZSCAN's one-reply walk.
bool ZsetIsListpack(const SortedSet& z);

inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && AsciiLower(a) == AsciiLower(b);
}

// What Redis's TYPE says for each of our types.
inline const char* RedisType(const AnyCrdt& v) {
  switch (TypeOf(v)) {
    case pb::LWW_REGISTER:
    case pb::PN_COUNTER:
    case pb::G_COUNTER:
    case pb::STRING:
      return "string";
    case pb::OR_SET:
      return "set";
    case pb::SORTED_SET:
      return "zset";
    case pb::OR_MAP: {
      OrMapKind k = std::get<OrMap>(v).kind();
      return k == OrMapKind::kRegister || k == OrMapKind::kUnset ? "hash" : "or_map";
    }
    default:
      return TypeName(TypeOf(v));  // mv_register, ew_flag: regionsync-only types
  }
}

// The string value of a register or counter; nullopt if it has none or the key holds another type.
// GET's value of a string-typed key; nullopt when it has none.
inline std::optional<std::string> StringValue(const AnyCrdt& v) {
  if (const auto* s = std::get_if<RedisString>(&v)) return s->Value();
  if (const auto* r = std::get_if<LwwRegister>(&v)) return r->Value();
  if (const auto* c = std::get_if<PnCounter>(&v)) {
    return c->HasLive() ? std::optional(std::to_string(c->Value())) : std::nullopt;
  }
  if (const auto* g = std::get_if<GCounter>(&v)) {
    return g->Value() == 0 ? std::nullopt : std::optional(std::to_string(g->Value()));
  }
  return std::nullopt;
}

// Types that Redis's TYPE calls "string".
inline bool IsStringType(const AnyCrdt& v) { return IsStringFamily(v) || std::holds_alternative<GCounter>(v); }

// A map that HSET may write: of LWW registers, or not yet typed.
inline bool IsHash(const AnyCrdt& v) {
  const auto* m = std::get_if<OrMap>(&v);
  return m != nullptr && (m->kind() == OrMapKind::kRegister || m->kind() == OrMapKind::kUnset);
}

// The server's own commands (pub/sub, QUIT: run by RespServer, not the
// command table), with what COMMAND tells of them.
struct ServerCommand {
  const char* name;
  int arity;
  const char* flags;
};
const std::vector<ServerCommand>& ServerCommands();

}  // namespace resp_internal

// One command being executed: its arguments, its session and where the reply goes.
class RespCommands::Call {
 public:
  Call(RespCommands* self, RespSession& session, const std::vector<std::string>& args, RespWriter& out,
       RespServerHooks* hooks)
      : self_(self), session_(session), args_(args), out_(out), hooks_(hooks), replica_(self->node_->replica()) {}

  // Connection and server: resp_server_commands.cc.
  void Ping();
  void Echo() { out_.Bulk(args_[1]); }
  void Hello();
  void Auth();
  void Select();
  void Client();
  void Command();
  void Info();
  void Config();
  void Time();
  void LastSave();
  void Memory();

  // Transactions: resp_transaction_commands.cc.
  void Multi();
  void Exec();
  void Discard();
  void WatchKeys();
  void UnwatchKeys();

  // Keyspace: resp_keyspace_commands.cc.
  void Exists();
  void Type();
  void Del();
  void Keys();
  void Scan();
  void DbSize();
  void FlushDb();
  void Rename() { RenameKey(/*only_new=*/false); }
  void RenameNx() { RenameKey(/*only_new=*/true); }
  void Copy();
  void RandomKey();
  void Object();

  // Strings and counters: resp_string_commands.cc.
  void Get();
  void Set();
  void MGet();
  void SetNx();
  void MSetNx();
  void GetSet();
  void GetDel();
  void StrLen();
  void Append();
  void GetRange();
  void SetRange();
  void MSet();
  void Incr() { IncrementBy(1); }
  void Decr() { IncrementBy(-1); }
  void IncrBy();
  void DecrBy();
  void IncrByFloat();

  // Expiry: resp_expire_commands.cc.
  void Expire() { ExpireKey(/*millis=*/false, /*absolute=*/false); }
  void PExpire() { ExpireKey(/*millis=*/true, /*absolute=*/false); }
  void ExpireAt() { ExpireKey(/*millis=*/false, /*absolute=*/true); }
  void PExpireAt() { ExpireKey(/*millis=*/true, /*absolute=*/true); }
  void Ttl() { ReadTtl(/*millis=*/false, /*absolute=*/false); }
  void PTtl() { ReadTtl(/*millis=*/true, /*absolute=*/false); }
  void ExpireTime() { ReadTtl(/*millis=*/false, /*absolute=*/true); }
  void PExpireTime() { ReadTtl(/*millis=*/true, /*absolute=*/true); }
  void Persist();
  void SetEx() { SetWithTtl(/*millis=*/false); }
  void PSetEx() { SetWithTtl(/*millis=*/true); }
  void GetEx();

  // Sets: resp_set_commands.cc.
  void SAdd();
  void SRem();
  void SMembers();
  void SIsMember();
  void SMIsMember();
  void SCard();
  void SInter();
  void SUnion();
  void SDiff();
  void SInterStore();
  void SUnionStore();
  void SDiffStore();
  void SInterCard();
  void SMove();
  void SPop();
  void SRandMember();
  void SScan();

  // Hashes: resp_hash_commands.cc.
  void HSet();
  void HGet();
  void HDel();
  void HGetAll();
  void HLen();
  void HSetNx();
  void HMGet();
  void HKeys() { HashFields(/*keys=*/true, /*values=*/false); }
  void HVals() { HashFields(/*keys=*/false, /*values=*/true); }
  void HExists();
  void HStrLen();
  void HIncrBy();
  void HIncrByFloat();
  void HScan();
  void HRandField();

  // Hash field expiry (Redis 7.4): resp_hash_expire_commands.cc.
  void HExpire() { HashExpire(/*millis=*/false, /*absolute=*/false); }
  void HPExpire() { HashExpire(/*millis=*/true, /*absolute=*/false); }
  void HExpireAt() { HashExpire(/*millis=*/false, /*absolute=*/true); }
  void HPExpireAt() { HashExpire(/*millis=*/true, /*absolute=*/true); }
  void HTtl() { HashTtl(/*millis=*/false, /*absolute=*/false); }
  void HPTtl() { HashTtl(/*millis=*/true, /*absolute=*/false); }
  void HExpireTime() { HashTtl(/*millis=*/false, /*absolute=*/true); }
  void HPExpireTime() { HashTtl(/*millis=*/true, /*absolute=*/true); }
  void HPersist();

  // Sorted sets: resp_zset_commands.cc (writes, point reads, pops, random
  // members, ZSCAN) and resp_zset_range_commands.cc (ranges, counts, the
  // ZUNION / ZINTER / ZDIFF family).
  void ZAdd() { AddScores(/*incr_command=*/false); }
  void ZIncrBy() { AddScores(/*incr_command=*/true); }
  void ZRem();
  void ZScore();
  void ZMScore();
  void ZCard();
  void ZRank() { RankOf(/*reverse=*/false); }
  void ZRevRank() { RankOf(/*reverse=*/true); }
  void ZPopMin() { Pop(/*max=*/false); }
  void ZPopMax() { Pop(/*max=*/true); }
  void ZRandMember();
  void ZScan();
  void ZCount();
  void ZLexCount();
  void ZRange() { RangeCommand(1, false, ZRangeBy::kAuto, false); }
  void ZRangeStore() { RangeCommand(2, true, ZRangeBy::kAuto, false); }
  void ZRevRange() { RangeCommand(1, false, ZRangeBy::kRank, true); }
  void ZRangeByScore() { RangeCommand(1, false, ZRangeBy::kScore, false); }
  void ZRevRangeByScore() { RangeCommand(1, false, ZRangeBy::kScore, true); }
  void ZRangeByLex() { RangeCommand(1, false, ZRangeBy::kLex, false); }
  void ZRevRangeByLex() { RangeCommand(1, false, ZRangeBy::kLex, true); }
  void ZRemRangeByRank() { RemoveRange(ZRangeBy::kRank); }
  void ZRemRangeByScore() { RemoveRange(ZRangeBy::kScore); }
  void ZRemRangeByLex() { RemoveRange(ZRangeBy::kLex); }
  void ZUnionStore() { CombineZsets(ZSetOp::kUnion, /*store=*/true); }
  void ZInterStore() { CombineZsets(ZSetOp::kInter, /*store=*/true); }
  void ZDiffStore() { CombineZsets(ZSetOp::kDiff, /*store=*/true); }
  void ZUnion() { CombineZsets(ZSetOp::kUnion, /*store=*/false); }
  void ZInter() { CombineZsets(ZSetOp::kInter, /*store=*/false); }
  void ZDiff() { CombineZsets(ZSetOp::kDiff, /*store=*/false); }
  void ZInterCard() { CombineZsets(ZSetOp::kInter, /*store=*/false, /*cardinality_only=*/true); }

 private:
  // The key's state when it has a value (HasValue), else nullptr.
  const AnyCrdt* Live(std::string_view key) const {
    const AnyCrdt* v = replica_.Find(key);
    return v != nullptr && HasValue(*v) ? v : nullptr;
  }
  // Answers a replica error: WRONGTYPE for a type mismatch, ERR otherwise.
  void Fail(const Status& s) {
    if (s.code() == StatusCode::kTypeMismatch) {
      out_.Error(RespCommands::kWrongType);
    } else {
      out_.Error("ERR " + s.message());
    }
  }
  void Event(const char* name) { self_->current_event_ = name; }

  // Connection and server helpers.
  bool AuthMatches(std::string_view user, std::string_view password) const;
  void ClientKill();
  void ClientReply();
  void ConfigSet();
  // "<CMD> <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", `lines`, then HELP's own.
  void Help(const char* command, std::initializer_list<const char*> lines);

  // Keyspace helpers.
  // The MATCH / COUNT (and, when `type` is given, TYPE) options of the SCAN
  // family from args_[first] on; MATCH * reads as no pattern. False after
  // answering Redis's error (syntax, COUNT not an integer or below 1).
  bool ReadScanOptions(size_t first, const std::string** match, int64_t* count,
                       const std::string** type = nullptr);
  void RenameKey(bool only_new);
  // Writes `value` (another key's) to `to` afresh (Replica::WriteCopy),
  // answering the error if it cannot; true on success.
  bool CopyValue(const std::string& from, const AnyCrdt& value, const std::string& to);

  // String helpers.
  void IncrementBy(int64_t by);
  bool SetPairs(const char* name, bool only_new);
  // The string value of args_[1] for a command that reads a string: false
  // (and WRONGTYPE answered) when the key holds a value of another type.
  bool ReadString(std::optional<std::string>* value);
  // SET of args_[1] to `value` as the string type, answering errors; true
  // on success. `clear_expiry`: as SET does (GETSET, MSET); else the key
  // keeps its expiry (APPEND, SETRANGE, INCRBYFLOAT).
  bool WriteString(const char* event, std::string value, bool clear_expiry = false);

  // Expiry helpers.
  // SET's and GETEX's EX / PX / EXAT / PXAT (with their value), SET's
  // KEEPTTL and GETEX's PERSIST.
  struct ExpiryOption {
    enum Kind { kNone, kEx, kPx, kExAt, kPxAt, kKeepTtl, kPersist } kind = kNone;
    const std::string* value = nullptr;  // the time, for the four that take one
  };
  // Reads the expiry option at args_[*i] (and its value, advancing *i);
  // false when it is none, conflicts with `option` or lacks its value
  // (Redis answers a syntax error).
  bool ReadExpiryOption(size_t* i, bool set_command, ExpiryOption* option);
  // The option's absolute time in wall milliseconds; false after answering
  // Redis's error (not an integer; "invalid expire time" for <= 0 or overflow).
  bool ExpiryMillis(const ExpiryOption& option, uint64_t* at);
  void ExpireKey(bool millis, bool absolute);
  // An expiry time already past: DEL (a grow-only counter expires instead).
  void ExpireNow(const std::string& key);
  void ReadTtl(bool millis, bool absolute);
  void SetWithTtl(bool millis);
  uint64_t NowMillis() const;

  // Set helpers.
  // The set at `key` for a read: nullptr when the key has no value; false
  // (and WRONGTYPE answered) when it holds a value of another type.
  bool ReadSet(std::string_view key, const OrSet** set);
  // ReadSet of args_[first, end): false (answered) when one is not a set.
  bool ReadSets(size_t first, size_t end, std::vector<const OrSet*>* sets);
  void ReplyMembers(const std::vector<std::string_view>& members);
  // SINTERSTORE / SUNIONSTORE / SDIFFSTORE: args_[1] becomes `result`
  // (deleted when it is empty); answers the command.
  void StoreSet(const char* event, const std::vector<std::string_view>& result);
  // A STORE command's empty result (sets and sorted sets): `dest` is
  // deleted, as Redis does, when it has a value (`live`); answers 0.
  void StoreNothing(const std::string& dest, bool live);
  // `count` distinct random members (all of them when count >= size), drawn
  // from Env. Views into `set`: valid until the next write.
  std::vector<std::string_view> PickDistinct(const OrSet& set, size_t count);

  // Hash helpers.
  // The hash at args_[1]: false (WRONGTYPE answered) when the key holds a
  // value of another type; *map is nullptr when it has none.
  bool ReadHash(const OrMap** map);
  // False (and the error answered) for an empty field name, which
  // regionsync hashes do not support.
  bool FieldAllowed(std::string_view field);
  // HGETALL, HKEYS, HVALS.
  void HashFields(bool keys, bool values);
  // The field list of a hash field expiry command, "FIELDS numfields
  // field...", whose FIELDS word is args_[at]: the index of the first field,
  // or 0 after answering Redis's error.
  size_t ReadFieldList(size_t at);
  void HashExpire(bool millis, bool absolute);
  void HashTtl(bool millis, bool absolute);
  // One integer per field of args_[first, end): -2 without the field, -1
  // without an expiry, else with_expiry(argument index, expiry).
  void ReplyPerField(size_t first, const std::function<int64_t(size_t, uint64_t)>& with_expiry);
  // HRANDFIELD with a count.
  void RandomFields(int64_t count, bool with_values);

  // Sorted-set helpers.
  enum class ZRangeBy { kAuto, kRank, kScore, kLex };
  enum class ZSetOp { kUnion, kInter, kDiff };
  struct ScoredMember {
    std::string member;
    double score;
  };
  // The sorted set at `key` for a read: nullptr when the key has no value;
  // false (and WRONGTYPE answered) when it holds a value of another type.
  bool ReadZset(std::string_view key, const SortedSet** zset);
  // ZADD and ZINCRBY (Redis's zaddGenericCommand).
  void AddScores(bool incr_command);
  void RankOf(bool reverse);
  void Pop(bool max);
  // ZRANGE and its older forms; the source key is args_[key_index], the
  // destination (ZRANGESTORE) args_[1].
  void RangeCommand(size_t key_index, bool store, ZRangeBy by, bool reverse);
  void RemoveRange(ZRangeBy by);
  // ZUNION[STORE] / ZINTER[STORE] / ZDIFF[STORE]; ZINTERCARD with cardinality_only.
  void CombineZsets(ZSetOp op, bool store, bool cardinality_only = false);
  // Member, score pairs as Redis's ZRANGE WITHSCORES writes them (flat in
  // RESP2, pairs in RESP3), or members alone.
  void ReplyScored(const std::vector<SortedSet::Entry>& entries, bool with_scores);
  // Observed remove of `members` (present in the set at args_[1]) as one
  // write; answers nothing. REQUIRES: !members.empty().
  bool RemoveMembers(const char* event, const std::vector<std::string>& members);
  // The destination `dest` becomes `result` (sorted, distinct members), or
  // is deleted when it is empty; answers the count.
  void CountRange(bool lex);
  void StoreZset(const char* event, const std::string& dest, const std::vector<ScoredMember>& result);

  RespCommands* self_;
  RespSession& session_;
  const std::vector<std::string>& args_;
  RespWriter& out_;
  RespServerHooks* hooks_;  // may be null
  Replica& replica_;
};

}  // namespace regionsync

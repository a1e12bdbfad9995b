// The Redis port's command table, and the checks and dispatch every command
// goes through (authentication, MULTI queueing, arity, subcommands). The
// commands themselves: resp_server_commands.cc (connection and server),
// resp_transaction_commands.cc, resp_keyspace_commands.cc and
// resp_{string,expire,set,hash,zset,zset_range}_commands.cc.
#include "regionsync/server/resp/resp_commands.h"

#include <unordered_map>

#include "server/resp/resp_call.h"

namespace regionsync {

void AsciiLowerInto(std::string_view s, std::string* out) {
  out->assign(s);
  for (char& c : *out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

std::string AsciiLower(std::string_view s) {
  std::string out;
  AsciiLowerInto(s, &out);
  return out;
}

using resp_internal::ServerCommand;
using resp_internal::ServerCommands;

const RespCommands::Table& RespCommands::Commands() {
  using C = Call;
  static const Table table = {
      // Connection and server: resp_server_commands.cc.
      {"ping", {&C::Ping, -1, {0, 0, 0}, "fast"}},
      {"echo", {&C::Echo, 2, {0, 0, 0}, "loading stale fast"}},
      {"hello", {&C::Hello, -1, {0, 0, 0}, "noscript loading stale fast no_auth allow_busy"}},
      {"auth", {&C::Auth, -2, {0, 0, 0}, "noscript loading stale fast no_auth allow_busy"}},
      {"select", {&C::Select, 2, {0, 0, 0}, "loading stale fast"}},
      {"client", {&C::Client, -2, {0, 0, 0}, ""}},
      {"command", {&C::Command, -1, {0, 0, 0}, "loading stale"}},
      {"info", {&C::Info, -1, {0, 0, 0}, "loading stale"}},
      {"config", {&C::Config, -2, {0, 0, 0}, ""}},
      {"time", {&C::Time, 1, {0, 0, 0}, "loading stale fast"}},
      {"lastsave", {&C::LastSave, 1, {0, 0, 0}, "loading stale fast"}},
      {"memory", {&C::Memory, -2, {0, 0, 0}, ""}},

      // Transactions: resp_transaction_commands.cc.
      {"multi", {&C::Multi, 1, {0, 0, 0}, "noscript loading stale fast allow_busy"}},
      {"exec", {&C::Exec, 1, {0, 0, 0}, "noscript loading stale skip_slowlog"}},
      {"discard", {&C::Discard, 1, {0, 0, 0}, "noscript loading stale fast allow_busy"}},
      {"watch", {&C::WatchKeys, -2, {1, -1, 1}, "noscript loading stale fast allow_busy"}},
      {"unwatch", {&C::UnwatchKeys, 1, {0, 0, 0}, "noscript loading stale fast allow_busy"}},

      // Keyspace: resp_keyspace_commands.cc.
      {"exists", {&C::Exists, -2, {1, -1, 1}, "readonly fast"}},
      {"type", {&C::Type, 2, {1, 1, 1}, "readonly fast"}},
      {"del", {&C::Del, -2, {1, -1, 1}, "write"}},
      {"unlink", {&C::Del, -2, {1, -1, 1}, "write fast"}},
      {"keys", {&C::Keys, 2, {0, 0, 0}, "readonly"}},
      {"scan", {&C::Scan, -2, {0, 0, 0}, "readonly"}},
      {"dbsize", {&C::DbSize, 1, {0, 0, 0}, "readonly fast"}},
      {"flushdb", {&C::FlushDb, -1, {0, 0, 0}, "write"}},
      {"flushall", {&C::FlushDb, -1, {0, 0, 0}, "write"}},
      {"rename", {&C::Rename, 3, {1, 2, 1}, "write"}},
      {"renamenx", {&C::RenameNx, 3, {1, 2, 1}, "write fast"}},
      {"copy", {&C::Copy, -3, {1, 2, 1}, "write denyoom"}},
      {"touch", {&C::Exists, -2, {1, -1, 1}, "readonly fast"}},
      {"randomkey", {&C::RandomKey, 1, {0, 0, 0}, "readonly"}},
      {"object", {&C::Object, -2, {0, 0, 0}, ""}},

      // Strings and counters: resp_string_commands.cc.
      {"get", {&C::Get, 2, {1, 1, 1}, "readonly fast"}},
      {"set", {&C::Set, -3, {1, 1, 1}, "write denyoom"}},
      {"mget", {&C::MGet, -2, {1, -1, 1}, "readonly fast"}},
      {"mset", {&C::MSet, -3, {1, -1, 2}, "write denyoom"}},
      {"incr", {&C::Incr, 2, {1, 1, 1}, "write denyoom fast"}},
      {"decr", {&C::Decr, 2, {1, 1, 1}, "write denyoom fast"}},
      {"incrby", {&C::IncrBy, 3, {1, 1, 1}, "write denyoom fast"}},
      {"decrby", {&C::DecrBy, 3, {1, 1, 1}, "write denyoom fast"}},
      {"incrbyfloat", {&C::IncrByFloat, 3, {1, 1, 1}, "write denyoom fast"}},
      {"setnx", {&C::SetNx, 3, {1, 1, 1}, "write denyoom fast"}},
      {"msetnx", {&C::MSetNx, -3, {1, -1, 2}, "write denyoom"}},
      {"getset", {&C::GetSet, 3, {1, 1, 1}, "write denyoom fast"}},
      {"getdel", {&C::GetDel, 2, {1, 1, 1}, "write fast"}},
      {"strlen", {&C::StrLen, 2, {1, 1, 1}, "readonly fast"}},
      {"append", {&C::Append, 3, {1, 1, 1}, "write denyoom fast"}},
      {"getrange", {&C::GetRange, 4, {1, 1, 1}, "readonly"}},
      {"setrange", {&C::SetRange, 4, {1, 1, 1}, "write denyoom"}},

      // Expiry: resp_expire_commands.cc.
      {"expire", {&C::Expire, -3, {1, 1, 1}, "write fast"}},
      {"pexpire", {&C::PExpire, -3, {1, 1, 1}, "write fast"}},
      {"expireat", {&C::ExpireAt, -3, {1, 1, 1}, "write fast"}},
      {"pexpireat", {&C::PExpireAt, -3, {1, 1, 1}, "write fast"}},
      {"ttl", {&C::Ttl, 2, {1, 1, 1}, "readonly fast"}},
      {"pttl", {&C::PTtl, 2, {1, 1, 1}, "readonly fast"}},
      {"expiretime", {&C::ExpireTime, 2, {1, 1, 1}, "readonly fast"}},
      {"pexpiretime", {&C::PExpireTime, 2, {1, 1, 1}, "readonly fast"}},
      {"persist", {&C::Persist, 2, {1, 1, 1}, "write fast"}},
      {"setex", {&C::SetEx, 4, {1, 1, 1}, "write denyoom"}},
      {"psetex", {&C::PSetEx, 4, {1, 1, 1}, "write denyoom"}},
      {"getex", {&C::GetEx, -2, {1, 1, 1}, "write fast"}},

      // Sets: resp_set_commands.cc.
      {"sadd", {&C::SAdd, -3, {1, 1, 1}, "write denyoom fast"}},
      {"srem", {&C::SRem, -3, {1, 1, 1}, "write fast"}},
      {"smembers", {&C::SMembers, 2, {1, 1, 1}, "readonly"}},
      {"sismember", {&C::SIsMember, 3, {1, 1, 1}, "readonly fast"}},
      {"scard", {&C::SCard, 2, {1, 1, 1}, "readonly fast"}},
      {"smismember", {&C::SMIsMember, -3, {1, 1, 1}, "readonly fast"}},
      {"sinter", {&C::SInter, -2, {1, -1, 1}, "readonly"}},
      {"sunion", {&C::SUnion, -2, {1, -1, 1}, "readonly"}},
      {"sdiff", {&C::SDiff, -2, {1, -1, 1}, "readonly"}},
      {"sinterstore", {&C::SInterStore, -3, {1, -1, 1}, "write denyoom"}},
      {"sunionstore", {&C::SUnionStore, -3, {1, -1, 1}, "write denyoom"}},
      {"sdiffstore", {&C::SDiffStore, -3, {1, -1, 1}, "write denyoom"}},
      {"sintercard", {&C::SInterCard, -3, {0, 0, 0}, "readonly movablekeys"}},
      {"smove", {&C::SMove, 4, {1, 2, 1}, "write fast"}},
      {"spop", {&C::SPop, -2, {1, 1, 1}, "write fast"}},
      {"srandmember", {&C::SRandMember, -2, {1, 1, 1}, "readonly"}},
      {"sscan", {&C::SScan, -3, {1, 1, 1}, "readonly"}},

      // Hashes: resp_hash_commands.cc.
      {"hset", {&C::HSet, -4, {1, 1, 1}, "write denyoom fast"}},
      {"hmset", {&C::HSet, -4, {1, 1, 1}, "write denyoom fast"}},
      {"hget", {&C::HGet, 3, {1, 1, 1}, "readonly fast"}},
      {"hdel", {&C::HDel, -3, {1, 1, 1}, "write fast"}},
      {"hgetall", {&C::HGetAll, 2, {1, 1, 1}, "readonly"}},
      {"hlen", {&C::HLen, 2, {1, 1, 1}, "readonly fast"}},
      {"hsetnx", {&C::HSetNx, 4, {1, 1, 1}, "write denyoom fast"}},
      {"hmget", {&C::HMGet, -3, {1, 1, 1}, "readonly fast"}},
      {"hkeys", {&C::HKeys, 2, {1, 1, 1}, "readonly"}},
      {"hvals", {&C::HVals, 2, {1, 1, 1}, "readonly"}},
      {"hexists", {&C::HExists, 3, {1, 1, 1}, "readonly fast"}},
      {"hstrlen", {&C::HStrLen, 3, {1, 1, 1}, "readonly fast"}},
      {"hincrby", {&C::HIncrBy, 4, {1, 1, 1}, "write denyoom fast"}},
      {"hincrbyfloat", {&C::HIncrByFloat, 4, {1, 1, 1}, "write denyoom fast"}},
      {"hscan", {&C::HScan, -3, {1, 1, 1}, "readonly"}},
      {"hrandfield", {&C::HRandField, -2, {1, 1, 1}, "readonly"}},
      // Hash field expiry: resp_hash_expire_commands.cc.
      {"hexpire", {&C::HExpire, -6, {1, 1, 1}, "write fast"}},
      {"hpexpire", {&C::HPExpire, -6, {1, 1, 1}, "write fast"}},
      {"hexpireat", {&C::HExpireAt, -6, {1, 1, 1}, "write fast"}},
      {"hpexpireat", {&C::HPExpireAt, -6, {1, 1, 1}, "write fast"}},
      {"httl", {&C::HTtl, -5, {1, 1, 1}, "readonly fast"}},
      {"hpttl", {&C::HPTtl, -5, {1, 1, 1}, "readonly fast"}},
      {"hexpiretime", {&C::HExpireTime, -5, {1, 1, 1}, "readonly fast"}},
      {"hpexpiretime", {&C::HPExpireTime, -5, {1, 1, 1}, "readonly fast"}},
      {"hpersist", {&C::HPersist, -5, {1, 1, 1}, "write fast"}},

      // Sorted sets: resp_zset_commands.cc, resp_zset_range_commands.cc.
      {"zadd", {&C::ZAdd, -4, {1, 1, 1}, "write denyoom fast"}},
      {"zincrby", {&C::ZIncrBy, 4, {1, 1, 1}, "write denyoom fast"}},
      {"zrem", {&C::ZRem, -3, {1, 1, 1}, "write fast"}},
      {"zscore", {&C::ZScore, 3, {1, 1, 1}, "readonly fast"}},
      {"zmscore", {&C::ZMScore, -3, {1, 1, 1}, "readonly fast"}},
      {"zcard", {&C::ZCard, 2, {1, 1, 1}, "readonly fast"}},
      {"zcount", {&C::ZCount, 4, {1, 1, 1}, "readonly fast"}},
      {"zlexcount", {&C::ZLexCount, 4, {1, 1, 1}, "readonly fast"}},
      {"zrank", {&C::ZRank, 3, {1, 1, 1}, "readonly fast"}},
      {"zrevrank", {&C::ZRevRank, 3, {1, 1, 1}, "readonly fast"}},
      {"zrange", {&C::ZRange, -4, {1, 1, 1}, "readonly"}},
      {"zrangestore", {&C::ZRangeStore, -5, {1, 2, 1}, "write denyoom"}},
      {"zrevrange", {&C::ZRevRange, -4, {1, 1, 1}, "readonly"}},
      {"zrangebyscore", {&C::ZRangeByScore, -4, {1, 1, 1}, "readonly"}},
      {"zrevrangebyscore", {&C::ZRevRangeByScore, -4, {1, 1, 1}, "readonly"}},
      {"zrangebylex", {&C::ZRangeByLex, -4, {1, 1, 1}, "readonly"}},
      {"zrevrangebylex", {&C::ZRevRangeByLex, -4, {1, 1, 1}, "readonly"}},
      {"zremrangebyrank", {&C::ZRemRangeByRank, 4, {1, 1, 1}, "write"}},
      {"zremrangebyscore", {&C::ZRemRangeByScore, 4, {1, 1, 1}, "write"}},
      {"zremrangebylex", {&C::ZRemRangeByLex, 4, {1, 1, 1}, "write"}},
      {"zpopmin", {&C::ZPopMin, -2, {1, 1, 1}, "write fast"}},
      {"zpopmax", {&C::ZPopMax, -2, {1, 1, 1}, "write fast"}},
      {"zrandmember", {&C::ZRandMember, -2, {1, 1, 1}, "readonly"}},
      {"zscan", {&C::ZScan, -3, {1, 1, 1}, "readonly"}},
      {"zunionstore", {&C::ZUnionStore, -4, {1, 1, 1}, "write denyoom movablekeys"}},
      {"zinterstore", {&C::ZInterStore, -4, {1, 1, 1}, "write denyoom movablekeys"}},
      {"zdiffstore", {&C::ZDiffStore, -4, {1, 1, 1}, "write denyoom movablekeys"}},
      {"zunion", {&C::ZUnion, -3, {0, 0, 0}, "readonly movablekeys"}},
      {"zinter", {&C::ZInter, -3, {0, 0, 0}, "readonly movablekeys"}},
      {"zdiff", {&C::ZDiff, -3, {0, 0, 0}, "readonly movablekeys"}},
      {"zintercard", {&C::ZInterCard, -3, {0, 0, 0}, "readonly movablekeys"}},
  };
  return table;
}

namespace resp_internal {

const std::vector<ServerCommand>& ServerCommands() {
  static const std::vector<ServerCommand> list = {
      {"subscribe", -2, "pubsub noscript loading stale"},    {"unsubscribe", -1, "pubsub noscript loading stale"},
      {"psubscribe", -2, "pubsub noscript loading stale"},   {"punsubscribe", -1, "pubsub noscript loading stale"},
      {"publish", 3, "pubsub loading stale fast"},           {"quit", -1, "noscript loading stale fast no_auth allow_busy"}};
  return list;
}

}  // namespace resp_internal

namespace {
// What MULTI may queue in all (arguments and their strings' bookkeeping).
constexpr size_t kMaxQueuedBytes = 64 << 20;

// Redis 7's subcommands of the container commands this port has, with their
// arities (checked before the command runs or is queued, as Redis does).
const std::unordered_map<std::string, int>& Subcommands() {
  static const std::unordered_map<std::string, int> table = {
      {"client|id", 2},          {"client|getname", 2},    {"client|setname", 3},   {"client|setinfo", 4},
      {"client|info", 2},        {"client|list", -2},      {"client|kill", -3},     {"client|no-evict", 3},
      {"client|reply", 3},       {"client|help", 2},       {"config|get", -3},      {"config|set", -4},
      {"config|resetstat", 2},   {"config|help", 2},       {"object|encoding", 3},  {"object|freq", 3},
      {"object|idletime", 3},    {"object|refcount", 3},   {"object|help", 2},      {"memory|usage", -3},
      {"memory|help", 2},
  };
  return table;
}

bool ArityFits(int arity, size_t argc) {
  int n = static_cast<int>(argc);
  return arity > 0 ? n == arity : n >= -arity;
}

// What Redis runs at once inside MULTI instead of queueing it.
bool RunsInsideMulti(const std::string& name) {
  return name == "exec" || name == "discard" || name == "multi" || name == "watch" || name == "quit";
}
}  // namespace

RespCommands::RespCommands(SyncNode* node, Env* env, RespServerStats* stats, RespCommandsOptions options)
    : node_(node), env_(env), stats_(stats), options_(std::move(options)), auth_(options_.api_tokens, false) {}

RespCommands::~RespCommands() {
  if (listener_token_ != 0) {
    std::lock_guard lock(node_->mutex());
    node_->replica().Unsubscribe(listener_token_);
  }
}

bool RespCommands::Authorized(const RespSession& session, std::string_view lower_name) const {
  if (!auth_.enabled() || session.authenticated) return true;
  return lower_name == "auth" || lower_name == "hello" || lower_name == "quit";
}

void RespCommands::Execute(RespSession& session, const std::vector<std::string>& args, RespWriter& out,
                           RespServerHooks* hooks) {
  AsciiLowerInto(args[0], &name_);
  const std::string& name = name_;
  if (!Admit(session, args, name, hooks, out)) return;
  if (session.in_multi && !RunsInsideMulti(name)) {
    size_t bytes = 0;
    for (const std::string& a : args) bytes += a.size() + sizeof(std::string);
    if (session.queued_bytes + bytes > kMaxQueuedBytes) {
      Reject(session, name,
             "ERR regionsync: transaction too large (more than " + std::to_string(kMaxQueuedBytes) +
                 " bytes of queued commands)",
             out);
      return;
    }
    if (!session.multi_failed) {  // an aborted transaction keeps nothing
      session.queued.push_back(args);
      session.queued_bytes += bytes;
    }
    out.SimpleString("QUEUED");
    return;
  }
  Dispatch(session, args, name, hooks, out);
}

void RespCommands::Reject(RespSession& session, const std::string& name, const std::string& error, RespWriter& out) {
  if (name == "exec") {  // EXEC itself refused: Redis discards the transaction
    session.in_multi = false;
    session.multi_failed = false;
    session.queued.clear();
    session.queued_bytes = 0;
    Unwatch(session.id);
    std::string_view reason = error;
    if (reason.substr(0, 4) == "ERR ") reason.remove_prefix(4);
    out.Error("EXECABORT Transaction discarded because of: " + std::string(reason));
    return;
  }
  if (session.in_multi) session.multi_failed = true;
  out.Error(error);
}

bool RespCommands::Admit(RespSession& session, const std::vector<std::string>& args, const std::string& name,
                         RespServerHooks* hooks, RespWriter& out) {
  const Table& table = Commands();
  auto it = table.find(name);
  std::optional<int> arity;
  if (it != table.end()) {
    arity = it->second.arity;
  } else if (hooks != nullptr) {
    for (const ServerCommand& c : ServerCommands()) {
      if (name == c.name) arity = c.arity;
    }
  }
  if (!arity) {
    // Redis 7's wording, arguments quoted up to 128 bytes in all.
    std::string quoted;
    for (size_t i = 1; i < args.size() && quoted.size() < 128; ++i) {
      quoted += "'" + args[i].substr(0, 128 - quoted.size()) + "' ";
    }
    Reject(session, name, "ERR unknown command '" + args[0].substr(0, 128) + "', with args beginning with: " + quoted,
           out);
    return false;
  }
  if (!ArityFits(*arity, args.size())) {
    Reject(session, name, "ERR wrong number of arguments for '" + name + "' command", out);
    return false;
  }
  if (name == "client" || name == "config" || name == "object" || name == "memory") {
    std::string full = name + "|" + AsciiLower(args[1]);
    auto sub = Subcommands().find(full);
    if (sub == Subcommands().end()) {
      std::string upper = name;
      for (char& c : upper) c = static_cast<char>(c - 'a' + 'A');
      Reject(session, name, "ERR unknown subcommand '" + args[1].substr(0, 128) + "'. Try " + upper + " HELP.", out);
      return false;
    }
    if (!ArityFits(sub->second, args.size())) {
      Reject(session, name, "ERR wrong number of arguments for '" + full + "' command", out);
      return false;
    }
  }
  if (!Authorized(session, name)) {
    Reject(session, name, "NOAUTH Authentication required.", out);
    return false;
  }
  // In RESP2 a subscribed connection only takes the pub/sub commands.
  if (session.subscriptions > 0 && session.protocol == 2 && name != "ping" && name != "quit" &&
      name.find("subscribe") == std::string::npos) {
    Reject(session, name,
           "ERR Can't execute '" + name +
               "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
           out);
    return false;
  }
  return true;
}

void RespCommands::Dispatch(RespSession& session, const std::vector<std::string>& args, const std::string& name,
                            RespServerHooks* hooks, RespWriter& out) {
  if (hooks != nullptr && hooks->RunServerCommand(session, name, args, out)) return;
  auto it = Commands().find(name);
  if (it == Commands().end()) return;  // a server command without a server: Admit refused it
  Call call(this, session, args, out, hooks);
  (call.*it->second.run)();
  current_event_ = nullptr;
}

// ---- Connection.

}  // namespace regionsync

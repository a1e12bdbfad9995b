// The Redis port's command table and dispatch, and the connection and server
// commands (PING ... CONFIG). Keyspace commands: resp_keyspace_commands.cc;
// data commands: resp_{string,set,hash}_commands.cc.
#include "regionsync/server/resp/resp_commands.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "regionsync/server/node_status.h"
#include "regionsync/server/resp/glob.h"
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

using resp_internal::kNotInteger;
using resp_internal::kSyntax;
using resp_internal::kRedisVersion;
using resp_internal::ParseInt64;

const RespCommands::Table& RespCommands::Commands() {
  using C = Call;
  static const Table table = {
      // Connection and server: this file.
      {"ping", {&C::Ping, -1}},          {"echo", {&C::Echo, 2}},           {"hello", {&C::Hello, -1}},
      {"auth", {&C::Auth, -2}},          {"select", {&C::Select, 2}},       {"client", {&C::Client, -2}},
      {"command", {&C::Command, -1}},    {"info", {&C::Info, -1}},          {"config", {&C::Config, -2}},

      // Keyspace: resp_keyspace_commands.cc.
      {"exists", {&C::Exists, -2}},      {"type", {&C::Type, 2}},           {"del", {&C::Del, -2}},
      {"unlink", {&C::Del, -2}},         {"keys", {&C::Keys, 2}},           {"scan", {&C::Scan, -2}},
      {"dbsize", {&C::DbSize, 1}},       {"flushdb", {&C::FlushDb, -1}},    {"flushall", {&C::FlushDb, -1}},

      // Strings and counters: resp_string_commands.cc.
      {"get", {&C::Get, 2}},             {"set", {&C::Set, -3}},            {"mget", {&C::MGet, -2}},
      {"mset", {&C::MSet, -3}},          {"incr", {&C::Incr, 2}},           {"decr", {&C::Decr, 2}},
      {"incrby", {&C::IncrBy, 3}},       {"decrby", {&C::DecrBy, 3}},       {"incrbyfloat", {&C::IncrByFloat, 3}},
      {"setnx", {&C::SetNx, 3}},         {"msetnx", {&C::MSetNx, -3}},      {"getset", {&C::GetSet, 3}},
      {"getdel", {&C::GetDel, 2}},       {"strlen", {&C::StrLen, 2}},       {"append", {&C::Append, 3}},
      {"getrange", {&C::GetRange, 4}},      {"setrange", {&C::SetRange, 4}},

      // Sets: resp_set_commands.cc.
      {"sadd", {&C::SAdd, -3}},          {"srem", {&C::SRem, -3}},          {"smembers", {&C::SMembers, 2}},
      {"sismember", {&C::SIsMember, 3}}, {"scard", {&C::SCard, 2}},        {"smismember", {&C::SMIsMember, -3}},
      {"sinter", {&C::SInter, -2}},      {"sunion", {&C::SUnion, -2}},      {"sdiff", {&C::SDiff, -2}},
      {"sinterstore", {&C::SInterStore, -3}}, {"sunionstore", {&C::SUnionStore, -3}},
      {"sdiffstore", {&C::SDiffStore, -3}},   {"sintercard", {&C::SInterCard, -3}},
      {"smove", {&C::SMove, 4}},         {"spop", {&C::SPop, -2}},          {"srandmember", {&C::SRandMember, -2}},
      {"sscan", {&C::SScan, -3}},

      // Hashes: resp_hash_commands.cc.
      {"hset", {&C::HSet, -4}},          {"hmset", {&C::HSet, -4}},         {"hget", {&C::HGet, 3}},
      {"hdel", {&C::HDel, -3}},          {"hgetall", {&C::HGetAll, 2}},     {"hlen", {&C::HLen, 2}},
  };
  return table;
}

namespace {
// The server's own commands, listed by COMMAND.
const std::vector<std::pair<const char*, int>>& ServerCommands() {
  static const std::vector<std::pair<const char*, int>> list = {
      {"subscribe", -2}, {"unsubscribe", -1}, {"psubscribe", -2}, {"punsubscribe", -1}, {"publish", 3}, {"quit", -1}};
  return list;
}
}  // namespace

RespCommands::RespCommands(SyncNode* node, Env* env, const RespServerStats* stats, RespCommandsOptions options)
    : node_(node), env_(env), stats_(stats), options_(std::move(options)), auth_(options_.api_tokens, false) {}

bool RespCommands::Authorized(const RespSession& session, std::string_view lower_name) const {
  if (!auth_.enabled() || session.authenticated) return true;
  return lower_name == "auth" || lower_name == "hello" || lower_name == "quit";
}

void RespCommands::Execute(RespSession& session, const std::vector<std::string>& args, RespWriter& out) {
  AsciiLowerInto(args[0], &name_);
  const std::string& name = name_;
  const Table& table = Commands();
  auto it = table.find(name);
  if (it == table.end()) {
    // Redis 7's wording, arguments quoted up to 128 bytes in all.
    std::string quoted;
    for (size_t i = 1; i < args.size() && quoted.size() < 128; ++i) {
      quoted += "'" + args[i].substr(0, 128 - quoted.size()) + "' ";
    }
    out.Error("ERR unknown command '" + args[0].substr(0, 128) + "', with args beginning with: " + quoted);
    return;
  }
  if (!Authorized(session, name)) {
    out.Error("NOAUTH Authentication required.");
    return;
  }
  const Spec& spec = it->second;
  int argc = static_cast<int>(args.size());
  if ((spec.arity > 0 && argc != spec.arity) || (spec.arity < 0 && argc < -spec.arity)) {
    out.Error("ERR wrong number of arguments for '" + name + "' command");
    return;
  }
  Call call(this, session, args, out);
  (call.*spec.run)();
  current_event_ = nullptr;
}

// ---- Connection.

void RespCommands::Call::Ping() {
  if (args_.size() > 2) {
    out_.Error("ERR wrong number of arguments for 'ping' command");
  } else if (args_.size() == 2) {
    out_.Bulk(args_[1]);
  } else {
    out_.SimpleString("PONG");
  }
}

bool RespCommands::Call::AuthMatches(std::string_view user, std::string_view password) const {
  return user == "default" && self_->auth_.Matches(password);
}

void RespCommands::Call::Auth() {
  if (args_.size() > 3) {
    out_.Error(kSyntax);
    return;
  }
  if (!self_->auth_.enabled()) {
    out_.Error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?");
    return;
  }
  bool ok = args_.size() == 2 ? AuthMatches("default", args_[1]) : AuthMatches(args_[1], args_[2]);
  if (!ok) {
    out_.Error("WRONGPASS invalid username-password pair or user is disabled.");
    return;
  }
  session_.authenticated = true;
  out_.SimpleString("OK");
}

void RespCommands::Call::Hello() {
  int protocol = session_.protocol;
  size_t i = 1;
  if (args_.size() > 1) {
    std::optional<int64_t> v = ParseInt64(args_[1]);
    if (!v) {
      out_.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (*v != 2 && *v != 3) {
      out_.Error("NOPROTO unsupported protocol version");
      return;
    }
    protocol = static_cast<int>(*v);
    i = 2;
  }
  std::string name = session_.name;
  for (; i < args_.size(); ++i) {
    std::string opt = AsciiLower(args_[i]);
    if (opt == "auth" && i + 2 < args_.size()) {
      if (!self_->auth_.enabled() || !AuthMatches(args_[i + 1], args_[i + 2])) {
        out_.Error("WRONGPASS invalid username-password pair or user is disabled.");
        return;
      }
      session_.authenticated = true;
      i += 2;
    } else if (opt == "setname" && i + 1 < args_.size()) {
      name = args_[++i];
    } else {
      out_.Error("ERR Syntax error in HELLO option '" + args_[i] + "'");
      return;
    }
  }
  if (!self_->Authorized(session_, "ping")) {
    out_.Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
               "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
               "protocol version at the same time");
    return;
  }
  session_.protocol = protocol;
  session_.name = name;
  out_.set_protocol(protocol);
  out_.MapHeader(7);
  out_.Bulk("server");
  out_.Bulk("regionsync");
  out_.Bulk("version");
  out_.Bulk(kRedisVersion);
  out_.Bulk("proto");
  out_.Integer(protocol);
  out_.Bulk("id");
  out_.Integer(static_cast<int64_t>(session_.id));
  out_.Bulk("mode");
  out_.Bulk("standalone");
  out_.Bulk("role");
  out_.Bulk("master");
  out_.Bulk("modules");
  out_.ArrayHeader(0);
}

void RespCommands::Call::Select() {
  std::optional<int64_t> db = ParseInt64(args_[1]);
  if (!db) {
    out_.Error(kNotInteger);
  } else if (*db != 0) {
    out_.Error("ERR DB index is out of range");
  } else {
    out_.SimpleString("OK");
  }
}

void RespCommands::Call::Client() {
  std::string sub = AsciiLower(args_[1]);
  if (sub == "setname" && args_.size() == 3) {
    if (std::any_of(args_[2].begin(), args_[2].end(), [](char c) { return c <= ' ' || c > '~'; })) {
      out_.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    session_.name = args_[2];
    out_.SimpleString("OK");
  } else if (sub == "getname" && args_.size() == 2) {
    if (session_.name.empty()) {
      out_.Null();
    } else {
      out_.Bulk(session_.name);
    }
  } else if (sub == "id" && args_.size() == 2) {
    out_.Integer(static_cast<int64_t>(session_.id));
  } else if (sub == "setinfo" && args_.size() == 4) {
    out_.SimpleString("OK");  // library name and version: accepted, not kept
  } else if ((sub == "info" && args_.size() == 2) || (sub == "list" && args_.size() == 2)) {
    out_.Bulk("id=" + std::to_string(session_.id) + " name=" + session_.name + " db=0 resp=" +
              std::to_string(session_.protocol) + "\n");
  } else {
    out_.Error("ERR unknown subcommand or wrong number of arguments for '" + args_[1] + "'. Try CLIENT HELP.");
  }
}

void RespCommands::Call::Command() {
  auto describe = [&](const std::string& name, int arity) {
    out_.ArrayHeader(6);
    out_.Bulk(name);
    out_.Integer(arity);
    out_.SetHeader(0);  // flags
    bool keyed = name != "ping" && name != "echo" && name != "hello" && name != "auth" && name != "select" &&
                 name != "client" && name != "command" && name != "info" && name != "config" && name != "keys" &&
                 name != "scan" &&
                 name != "dbsize" && name != "flushdb" && name != "flushall" && name != "quit" &&
                 name.find("subscribe") == std::string::npos && name != "publish";
    bool many = name == "exists" || name == "del" || name == "unlink" || name == "mget";
    out_.Integer(keyed ? 1 : 0);
    out_.Integer(keyed ? (many ? -1 : 1) : 0);
    out_.Integer(keyed ? (name == "mset" ? 2 : 1) : 0);
  };
  std::string sub = args_.size() > 1 ? AsciiLower(args_[1]) : "";
  const Table& table = Commands();
  if (args_.size() == 1) {
    out_.ArrayHeader(table.size() + ServerCommands().size());
    for (const auto& [name, spec] : table) describe(name, spec.arity);
    for (const auto& [name, arity] : ServerCommands()) describe(name, arity);
  } else if (sub == "count") {
    out_.Integer(static_cast<int64_t>(table.size() + ServerCommands().size()));
  } else if (sub == "docs") {
    out_.MapHeader(0);  // no documentation strings; clients fall back to names
  } else if (sub == "info") {
    out_.ArrayHeader(args_.size() - 2);
    for (size_t i = 2; i < args_.size(); ++i) {
      std::string name = AsciiLower(args_[i]);
      auto it = table.find(name);
      auto server = std::find_if(ServerCommands().begin(), ServerCommands().end(),
                                 [&](const auto& c) { return name == c.first; });
      if (it != table.end()) {
        describe(name, it->second.arity);
      } else if (server != ServerCommands().end()) {
        describe(name, server->second);
      } else {
        out_.NullArray();
      }
    }
  } else {
    out_.Error("ERR unknown subcommand '" + args_[1] + "'. Try COMMAND HELP.");
  }
}

void RespCommands::Call::Info() {
  NodeSnapshot snap = TakeSnapshot(*self_->node_, self_->env_->WallMillis());
  std::string want = args_.size() > 1 ? AsciiLower(args_[1]) : "default";
  bool all = want == "default" || want == "all" || want == "everything";
  const RespServerStats& stats = *self_->stats_;
  std::string text;
  auto section = [&](const char* name, const std::string& body) {
    if (!all && want != AsciiLower(name)) return;
    if (!text.empty()) text += "\r\n";
    text += std::string("# ") + name + "\r\n" + body;
  };
  uint64_t uptime = snap.now_wall_millis > stats.started_wall_millis
                        ? (snap.now_wall_millis - stats.started_wall_millis) / 1000
                        : 0;
  section("Server", std::string("redis_version:") + kRedisVersion + "\r\nredis_mode:standalone\r\n" +
                        "server_name:regionsyncd\r\nprocess_id:" + std::to_string(getpid()) +
                        "\r\ntcp_port:" + std::to_string(stats.port) + "\r\nuptime_in_seconds:" +
                        std::to_string(uptime) + "\r\n");
  section("Clients", "connected_clients:" + std::to_string(stats.connected_clients.load()) + "\r\n");
  section("Persistence", "loading:0\r\n");
  section("Stats", "total_connections_received:" + std::to_string(stats.total_connections.load()) +
                       "\r\ntotal_commands_processed:" + std::to_string(stats.total_commands.load()) + "\r\n");
  section("Replication", "role:master\r\nconnected_slaves:0\r\n");
  size_t live = 0;
  replica_.ScanKeys(0, std::numeric_limits<size_t>::max(), [&](const std::string&, const AnyCrdt& v) {
    if (HasValue(v)) ++live;
  });
  section("Keyspace", live == 0 ? "" : "db0:keys=" + std::to_string(live) + ",expires=0,avg_ttl=0\r\n");
  std::string rs = "replica:" + snap.replica + "\r\nreplica_id:" + snap.replica_full + "\r\nepoch:" +
                   std::to_string(snap.epoch) + "\r\nkeys:" + std::to_string(snap.keys) +
                   "\r\nlocal_writes:" + std::to_string(snap.local_writes) + "\r\ncommitted_writes:" +
                   std::to_string(snap.committed_writes) + "\r\noutbox_keys:" + std::to_string(snap.outbox_keys) +
                   "\r\npeers:" + std::to_string(snap.peers.size()) + "\r\n";
  int i = 0;
  for (const auto& [name, peer] : snap.peers) {
    rs += "peer" + std::to_string(i++) + ":name=" + name + ",lag_ms=" + std::to_string(peer.lag_millis) +
          ",messages=" + std::to_string(peer.messages) + ",last_sequence=" + std::to_string(peer.last_sequence) +
          "\r\n";
  }
  section("Regionsync", rs);
  if (text.empty() && !all) {
    out_.Bulk("");
    return;
  }
  out_.Verbatim("txt", text);
}

// Enough of CONFIG GET for tools that read a few settings (redis-benchmark
// asks for save and appendonly); settings are regionsyncd's flags.
void RespCommands::Call::Config() {
  if (AsciiLower(args_[1]) != "get" || args_.size() < 3) {
    out_.Error("ERR regionsync supports only CONFIG GET; settings are regionsyncd's flags (regionsyncd --help)");
    return;
  }
  static const std::pair<const char*, const char*> kSettings[] = {
      {"save", ""}, {"appendonly", "no"}, {"databases", "1"}, {"notify-keyspace-events", "AKE"}};
  std::vector<std::pair<const char*, const char*>> found;
  for (const auto& setting : kSettings) {
    for (size_t i = 2; i < args_.size(); ++i) {
      if (GlobMatch(AsciiLower(args_[i]), setting.first)) {
        found.push_back(setting);
        break;
      }
    }
  }
  out_.MapHeader(found.size());
  for (const auto& [name, value] : found) {
    out_.Bulk(name);
    out_.Bulk(value);
  }
}

}  // namespace regionsync

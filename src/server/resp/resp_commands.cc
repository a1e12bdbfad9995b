#include "regionsync/server/resp/resp_commands.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <unordered_map>

#include "regionsync/server/node_status.h"
#include "regionsync/server/resp/glob.h"

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

namespace {

constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
constexpr const char* kSyntax = "ERR syntax error";
constexpr const char* kRedisVersion = "7.0.0";  // the Redis command set we follow

// Redis's string2ll: an optional '-', digits, no spaces, no '+', in range.
std::optional<int64_t> ParseInt64(std::string_view s) {
  if (s.empty() || s.size() > 20 || s[0] == '+') return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && AsciiLower(a) == AsciiLower(b);
}

// What Redis's TYPE says for each of our types.
const char* RedisType(const AnyCrdt& v) {
  switch (TypeOf(v)) {
    case pb::LWW_REGISTER:
    case pb::PN_COUNTER:
    case pb::G_COUNTER:
      return "string";
    case pb::OR_SET:
      return "set";
    case pb::OR_MAP: {
      OrMapKind k = std::get<OrMap>(v).kind();
      return k == OrMapKind::kRegister || k == OrMapKind::kUnset ? "hash" : "or_map";
    }
    default:
      return TypeName(TypeOf(v));  // mv_register, ew_flag: regionsync-only types
  }
}

// The string value of a register or counter; nullopt if it has none or the key holds another type.
std::optional<std::string> StringValue(const AnyCrdt& v) {
  if (const auto* r = std::get_if<LwwRegister>(&v)) return r->Value();
  if (const auto* c = std::get_if<PnCounter>(&v)) {
    return c->Value() == 0 ? std::nullopt : std::optional(std::to_string(c->Value()));
  }
  if (const auto* g = std::get_if<GCounter>(&v)) {
    return g->Value() == 0 ? std::nullopt : std::optional(std::to_string(g->Value()));
  }
  return std::nullopt;
}

bool IsStringType(const AnyCrdt& v) {
  return std::holds_alternative<LwwRegister>(v) || std::holds_alternative<PnCounter>(v) ||
         std::holds_alternative<GCounter>(v);
}

// A map that HSET may write: of LWW registers, or not yet typed.
bool IsHash(const AnyCrdt& v) {
  const auto* m = std::get_if<OrMap>(&v);
  return m != nullptr && (m->kind() == OrMapKind::kRegister || m->kind() == OrMapKind::kUnset);
}

}  // namespace

// One command being executed: its arguments, its session and where the reply goes.
class RespCommands::Call {
 public:
  Call(RespCommands* self, RespSession& session, const std::vector<std::string>& args, RespWriter& out)
      : self_(self), session_(session), args_(args), out_(out), replica_(self->node_->replica()) {}

  void Ping();
  void Echo() { out_.Bulk(args_[1]); }
  void Hello();
  void Auth();
  void Select();
  void Client();
  void Command();
  void Info();
  void Config();
  void Exists();
  void Type();
  void Del();
  void Keys();
  void Scan();
  void DbSize();
  void FlushDb();
  void Get();
  void Set();
  void MGet();
  void MSet();
  void Incr() { IncrementBy(1); }
  void Decr() { IncrementBy(-1); }
  void IncrBy();
  void DecrBy();
  void SAdd();
  void SRem();
  void SMembers();
  void SIsMember();
  void SCard();
  void HSet();
  void HGet();
  void HDel();
  void HGetAll();
  void HLen();

 private:
  // The key's state when it has a value (HasValue), else nullptr.
  const AnyCrdt* Live(std::string_view key) const {
    const AnyCrdt* v = replica_.Find(key);
    return v != nullptr && HasValue(*v) ? v : nullptr;
  }
  // Answers a replica error: WRONGTYPE for a type mismatch, ERR otherwise.
  void Fail(const Status& s) {
    if (s.code() == StatusCode::kTypeMismatch) {
      out_.Error(kWrongType);
    } else {
      out_.Error("ERR " + s.message());
    }
  }
  void IncrementBy(int64_t by);
  void Event(const char* name) { self_->current_event_ = name; }
  bool AuthMatches(std::string_view user, std::string_view password) const;

  RespCommands* self_;
  RespSession& session_;
  const std::vector<std::string>& args_;
  RespWriter& out_;
  Replica& replica_;
};

const RespCommands::Table& RespCommands::Commands() {
  using C = Call;
  static const Table table = {
      {"ping", {&C::Ping, -1}},         {"echo", {&C::Echo, 2}},         {"hello", {&C::Hello, -1}},
      {"auth", {&C::Auth, -2}},         {"select", {&C::Select, 2}},     {"client", {&C::Client, -2}},
      {"command", {&C::Command, -1}},   {"info", {&C::Info, -1}},        {"config", {&C::Config, -2}},        {"exists", {&C::Exists, -2}},
      {"type", {&C::Type, 2}},          {"del", {&C::Del, -2}},          {"unlink", {&C::Del, -2}},
      {"keys", {&C::Keys, 2}},          {"scan", {&C::Scan, -2}},        {"dbsize", {&C::DbSize, 1}},
      {"flushdb", {&C::FlushDb, -1}},   {"flushall", {&C::FlushDb, -1}}, {"get", {&C::Get, 2}},
      {"set", {&C::Set, -3}},           {"mget", {&C::MGet, -2}},        {"mset", {&C::MSet, -3}},
      {"incr", {&C::Incr, 2}},          {"decr", {&C::Decr, 2}},         {"incrby", {&C::IncrBy, 3}},
      {"decrby", {&C::DecrBy, 3}},      {"sadd", {&C::SAdd, -3}},        {"srem", {&C::SRem, -3}},
      {"smembers", {&C::SMembers, 2}},  {"sismember", {&C::SIsMember, 3}}, {"scard", {&C::SCard, 2}},
      {"hset", {&C::HSet, -4}},         {"hmset", {&C::HSet, -4}},       {"hget", {&C::HGet, 3}},
      {"hdel", {&C::HDel, -3}},         {"hgetall", {&C::HGetAll, 2}},   {"hlen", {&C::HLen, 2}},
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
  uint64_t cursor = 0;
  auto [end, ec] = std::from_chars(args_[1].data(), args_[1].data() + args_[1].size(), cursor);
  if (ec != std::errc() || end != args_[1].data() + args_[1].size()) {
    out_.Error("ERR invalid cursor");
    return;
  }
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

// ---- Strings.

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
  for (size_t i = 3; i < args_.size(); ++i) {
    std::string opt = AsciiLower(args_[i]);
    if (opt == "nx" && !xx) {
      nx = true;
    } else if (opt == "xx" && !nx) {
      xx = true;
    } else if (opt == "get") {
      get = true;
    } else if (opt == "ex" || opt == "px" || opt == "exat" || opt == "pxat" || opt == "keepttl") {
      out_.Error("ERR regionsync does not support key expiry (SET EX/PX)");
      return;
    } else {
      out_.Error(kSyntax);
      return;
    }
  }
  const AnyCrdt* v = replica_.Find(args_[1]);
  if (v != nullptr && !std::holds_alternative<LwwRegister>(*v)) {
    out_.Error(kWrongType);  // a counter stays a counter: SET would lose concurrent increments
    return;
  }
  std::optional<std::string> old = v != nullptr ? StringValue(*v) : std::nullopt;
  if ((nx && old) || (xx && !old)) {
    if (get && old) {
      out_.Bulk(*old);
    } else {
      out_.Null();
    }
    return;
  }
  Event("set");
  Status s = replica_.Set(args_[1], args_[2]);
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

void RespCommands::Call::MSet() {
  if (args_.size() % 2 != 1) {
    out_.Error("ERR wrong number of arguments for 'mset' command");
    return;
  }
  for (size_t i = 1; i < args_.size(); i += 2) {  // check first: all or nothing
    const AnyCrdt* v = replica_.Find(args_[i]);
    if (v != nullptr && !std::holds_alternative<LwwRegister>(*v)) {
      out_.Error(kWrongType);
      return;
    }
  }
  Event("set");
  for (size_t i = 1; i < args_.size(); i += 2) {
    Status s = replica_.Set(args_[i], args_[i + 1]);
    if (!s.ok()) {
      Fail(s);
      return;
    }
  }
  out_.SimpleString("OK");
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
  Result<int64_t> n = replica_.Increment(args_[1], by);
  if (n.ok()) {
    out_.Integer(*n);
    return;
  }
  if (n.status().code() == StatusCode::kTypeMismatch) {
    // A string key: Redis would parse it; ours stays a register (docs/redis.md).
    const auto* r = std::get_if<LwwRegister>(replica_.Find(args_[1]));
    bool number = r == nullptr || !r->Value() || ParseInt64(*r->Value());
    out_.Error(number ? kWrongType : kNotInteger);
  } else {
    Fail(n.status());  // "ERR increment or decrement would overflow", as Redis says it
  }
}

// ---- Sets.

void RespCommands::Call::SAdd() {
  Event("sadd");
  int64_t added = 0;
  for (size_t i = 2; i < args_.size(); ++i) {
    Result<bool> a = replica_.Add(args_[1], args_[i]);
    if (!a.ok()) {  // only the first can fail (type mismatch): nothing was added
      Fail(a.status());
      return;
    }
    added += *a;
  }
  out_.Integer(added);
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
  int64_t removed = 0;
  for (size_t i = 2; i < args_.size(); ++i) {
    Result<bool> r = replica_.Remove(args_[1], args_[i]);
    removed += r.ok() && *r;
  }
  out_.Integer(removed);
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

// ---- Hashes.

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
  for (size_t i = 2; i < args_.size(); i += 2) {
    if (args_[i].empty()) {
      out_.Error("ERR regionsync hashes do not support an empty field name");
      return;
    }
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

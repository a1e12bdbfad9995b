// The connection and server commands of the Redis port: PING, AUTH, HELLO,
// SELECT, CLIENT, COMMAND, INFO, CONFIG, TIME, LASTSAVE, MEMORY. None of them
// touches data; what they answer for a server that is a region of
// regionsync is in docs/redis.md ("Server and keyspace commands").
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <unordered_map>

#include "regionsync/server/node_status.h"
#include "regionsync/server/resp/glob.h"
#include "server/resp/resp_call.h"

namespace regionsync {

using resp_internal::EqualsIgnoreCase;
using resp_internal::kNotInteger;
using resp_internal::kSyntax;
using resp_internal::kRedisVersion;
using resp_internal::ParseInt64;
using resp_internal::ServerCommand;
using resp_internal::ServerCommands;

namespace {
// "write denyoom" -> {"write", "denyoom"}.
std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  for (size_t i = 0; i < text.size();) {
    size_t end = std::min(text.find(' ', i), text.size());
    if (end > i) words.push_back(text.substr(i, end - i));
    i = end + 1;
  }
  return words;
}
}  // namespace

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

void RespCommands::Call::Help(const char* command, std::initializer_list<const char*> lines) {
  out_.ArrayHeader(lines.size() + 3);
  out_.SimpleString(std::string(command) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  for (const char* line : lines) out_.SimpleString(line);
  out_.SimpleString("HELP");
  out_.SimpleString("    Prints this help.");
}

namespace {

// "normal" or "pubsub": the client types of CLIENT LIST / KILL TYPE here.
const char* ClientType(const RespSession& s) { return s.subscriptions > 0 ? "pubsub" : "normal"; }

// A type name CLIENT LIST / KILL accept; nullopt for an unknown one.
std::optional<std::string> ParseClientType(std::string_view name) {
  std::string t = AsciiLower(name);
  if (t == "slave") t = "replica";
  if (t == "normal" || t == "pubsub" || t == "replica" || t == "master") return t;
  return std::nullopt;
}

// One CLIENT LIST / CLIENT INFO line, with the fields this server knows.
std::string ClientLine(const RespSession& s) {
  std::string flags;
  if (s.subscriptions > 0) flags += 'P';
  if (s.in_multi) flags += 'x';
  if (s.no_evict) flags += 'e';
  if (flags.empty()) flags = "N";
  return "id=" + std::to_string(s.id) + " addr=" + s.addr + " laddr=" + s.laddr + " name=" + s.name +
         " flags=" + flags + " db=0 sub=" + std::to_string(s.subscriptions) +
         " multi=" + (s.in_multi ? std::to_string(s.queued.size()) : std::string("-1")) +
         " user=default resp=" + std::to_string(s.protocol) + "\n";
}

}  // namespace

void RespCommands::Call::Client() {
  std::string sub = AsciiLower(args_[1]);
  std::vector<RespSession*> sessions;
  if (hooks_ != nullptr) sessions = hooks_->Sessions();
  if (sessions.empty()) sessions.push_back(&session_);
  if (sub == "setname") {
    if (std::any_of(args_[2].begin(), args_[2].end(), [](char c) { return c <= ' ' || c > '~'; })) {
      out_.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    session_.name = args_[2];
    out_.SimpleString("OK");
  } else if (sub == "getname") {
    if (session_.name.empty()) {
      out_.Null();
    } else {
      out_.Bulk(session_.name);
    }
  } else if (sub == "id") {
    out_.Integer(static_cast<int64_t>(session_.id));
  } else if (sub == "setinfo") {
    out_.SimpleString("OK");  // library name and version: accepted, not kept
  } else if (sub == "info") {
    out_.Verbatim("txt", ClientLine(session_));
  } else if (sub == "list") {
    std::optional<std::string> type;
    std::vector<uint64_t> ids;
    if (args_.size() == 4 && EqualsIgnoreCase(args_[2], "type")) {
      type = ParseClientType(args_[3]);
      if (!type) {
        out_.Error("ERR Unknown client type '" + args_[3] + "'");
        return;
      }
    } else if (args_.size() > 3 && EqualsIgnoreCase(args_[2], "id")) {
      for (size_t i = 3; i < args_.size(); ++i) {
        std::optional<int64_t> id = ParseInt64(args_[i]);
        if (!id) {
          out_.Error("ERR Invalid client ID");
          return;
        }
        ids.push_back(static_cast<uint64_t>(*id));
      }
    } else if (args_.size() != 2) {
      out_.Error(kSyntax);
      return;
    }
    std::string text;
    if (!ids.empty()) {
      for (uint64_t id : ids) {
        for (const RespSession* s : sessions) {
          if (s->id == id) text += ClientLine(*s);
        }
      }
    } else {
      for (const RespSession* s : sessions) {
        if (!type || *type == ClientType(*s)) text += ClientLine(*s);
      }
    }
    out_.Verbatim("txt", text);
  } else if (sub == "kill") {
    ClientKill();
  } else if (sub == "reply") {
    ClientReply();
  } else if (sub == "no-evict") {
    if (EqualsIgnoreCase(args_[2], "on") || EqualsIgnoreCase(args_[2], "off")) {
      session_.no_evict = EqualsIgnoreCase(args_[2], "on");  // nothing is evicted here anyway
      out_.SimpleString("OK");
    } else {
      out_.Error(kSyntax);
    }
  } else {  // help
    Help("CLIENT", {"GETNAME",
                    "    Return the name of the current connection.",
                    "ID",
                    "    Return the ID of the current connection.",
                    "INFO",
                    "    Return information about the current client connection.",
                    "KILL <ip:port>",
                    "    Kill connection made from <ip:port>.",
                    "KILL <option> <value> [<option> <value> [...]]",
                    "    Kill connections. Options are:",
                    "    * ADDR (<ip:port>|<unixsocket>:0)",
                    "      Kill connections made from the specified address",
                    "    * LADDR (<ip:port>|<unixsocket>:0)",
                    "      Kill connections made to specified local address",
                    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                    "      Kill connections by type.",
                    "    * USER <username>",
                    "      Kill connections authenticated by <username>.",
                    "    * SKIPME (YES|NO)",
                    "      Skip killing current connection (default: yes).",
                    "LIST [options ...]",
                    "    Return information about client connections. Options:",
                    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                    "      Return clients of specified type.",
                    "REPLY (ON|OFF|SKIP)",
                    "    Control the replies sent to the current connection.",
                    "SETNAME <name>",
                    "    Assign the name <name> to the current connection.",
                    "NO-EVICT (ON|OFF)",
                    "    Protect current client connection from eviction."});
  }
}

// CLIENT KILL <ip:port> (OK or "No such client"; may kill the caller) or
// CLIENT KILL <filter> <value> ... (the number killed; SKIPME yes by default).
void RespCommands::Call::ClientKill() {
  const std::string* addr = nullptr;
  const std::string* laddr = nullptr;
  std::optional<std::string> type;
  uint64_t id = 0;
  bool skip_me = true;
  bool old_form = args_.size() == 3;
  if (old_form) {
    addr = &args_[2];
    skip_me = false;
  } else {
    for (size_t i = 2; i < args_.size(); i += 2) {
      std::string opt = AsciiLower(args_[i]);
      if (i + 1 >= args_.size()) {
        out_.Error(kSyntax);
        return;
      }
      const std::string& value = args_[i + 1];
      if (opt == "id") {
        std::optional<int64_t> n = ParseInt64(value);
        if (!n || *n < 1) {
          out_.Error("ERR client-id should be greater than 0");
          return;
        }
        id = static_cast<uint64_t>(*n);
      } else if (opt == "type") {
        type = ParseClientType(value);
        if (!type) {
          out_.Error("ERR Unknown client type '" + value + "'");
          return;
        }
      } else if (opt == "addr") {
        addr = &value;
      } else if (opt == "laddr") {
        laddr = &value;
      } else if (opt == "user") {
        if (value != "default") {  // the only user
          out_.Error("ERR No such user '" + value + "'");
          return;
        }
      } else if (opt == "skipme" && (EqualsIgnoreCase(value, "yes") || EqualsIgnoreCase(value, "no"))) {
        skip_me = EqualsIgnoreCase(value, "yes");
      } else {
        out_.Error(kSyntax);
        return;
      }
    }
  }
  std::vector<RespSession*> victims;
  if (hooks_ != nullptr) {
    for (RespSession* s : hooks_->Sessions()) {
      if (addr != nullptr && s->addr != *addr) continue;
      if (laddr != nullptr && s->laddr != *laddr) continue;
      if (type && *type != ClientType(*s)) continue;
      if (id != 0 && s->id != id) continue;
      if (s == &session_ && skip_me) continue;
      victims.push_back(s);
    }
  }
  if (old_form) {
    if (victims.empty()) {
      out_.Error("ERR No such client");
    } else {
      out_.SimpleString("OK");
    }
  } else {
    out_.Integer(static_cast<int64_t>(victims.size()));
  }
  for (RespSession* s : victims) hooks_->Kill(*s);  // the caller's own connection closes after this reply
}

void RespCommands::Call::ClientReply() {
  if (EqualsIgnoreCase(args_[2], "on")) {
    session_.reply_off = session_.reply_skip = session_.reply_skip_next = false;
    out_.SimpleString("OK");
  } else if (EqualsIgnoreCase(args_[2], "off")) {
    session_.reply_off = true;
  } else if (EqualsIgnoreCase(args_[2], "skip")) {
    if (!session_.reply_off) session_.reply_skip_next = true;
  } else {
    out_.Error(kSyntax);
  }
}

void RespCommands::Call::Command() {
  auto describe = [&](const std::string& name, int arity, KeyRange keys, std::string_view flags) {
    out_.ArrayHeader(6);
    out_.Bulk(name);
    out_.Integer(arity);
    std::vector<std::string_view> words = SplitWords(flags);
    out_.SetHeader(words.size());
    for (std::string_view w : words) out_.SimpleString(w);
    out_.Integer(keys.first);
    out_.Integer(keys.last);
    out_.Integer(keys.step);
  };
  std::string sub = args_.size() > 1 ? AsciiLower(args_[1]) : "";
  const Table& table = Commands();
  if (args_.size() == 1) {
    out_.ArrayHeader(table.size() + ServerCommands().size());
    for (const auto& [name, spec] : table) describe(name, spec.arity, spec.keys, spec.flags);
    for (const ServerCommand& c : ServerCommands()) describe(c.name, c.arity, {0, 0, 0}, c.flags);
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
                                 [&](const ServerCommand& c) { return name == c.name; });
      if (it != table.end()) {
        describe(name, it->second.arity, it->second.keys, it->second.flags);
      } else if (server != ServerCommands().end()) {
        describe(name, server->arity, {0, 0, 0}, server->flags);
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

// CONFIG GET answers a few settings for tools that read them
// (redis-benchmark asks for save and appendonly); CONFIG SET accepts
// notify-keyspace-events (notifications are always on, for every class) and
// names any other setting in its error: settings are regionsyncd's flags.
void RespCommands::Call::Config() {
  std::string sub = AsciiLower(args_[1]);
  if (sub == "set") {
    ConfigSet();
  } else if (sub == "resetstat") {
    self_->stats_->total_commands.store(0);
    self_->stats_->total_connections.store(0);
    out_.SimpleString("OK");
  } else if (sub == "help") {
    Help("CONFIG", {"GET <pattern>",
                    "    Return parameters matching the glob-like <pattern> and their values.",
                    "SET <directive> <value>",
                    "    Set the configuration <directive> to <value>.",
                    "RESETSTAT",
                    "    Reset statistics reported by the INFO command."});
  } else {  // get
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
}

void RespCommands::Call::ConfigSet() {
  if (args_.size() % 2 != 0) {
    out_.Error(kSyntax);
    return;
  }
  std::vector<std::string> names;
  for (size_t i = 2; i < args_.size(); i += 2) {
    std::string name = AsciiLower(args_[i]);
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      out_.Error("ERR CONFIG SET failed (possibly related to argument '" + args_[i] + "') - duplicate parameter");
      return;
    }
    names.push_back(name);
  }
  for (size_t i = 2; i < args_.size(); i += 2) {
    if (names[i / 2 - 1] != "notify-keyspace-events") {
      out_.Error("ERR regionsync does not support CONFIG SET " + args_[i] +
                 ": settings are regionsyncd's flags (regionsyncd --help)");
      return;
    }
    static constexpr std::string_view kClasses = "Ag$lshzxeKEtmdn";
    if (args_[i + 1].find_first_not_of(kClasses) != std::string::npos) {
      out_.Error("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event "
                 "class character. Use 'Ag$lshzxeKEtmdn'.");
      return;
    }
  }
  out_.SimpleString("OK");
}

void RespCommands::Call::Time() {
  uint64_t millis = self_->env_->WallMillis();
  out_.ArrayHeader(2);
  out_.Bulk(std::to_string(millis / 1000));
  out_.Bulk(std::to_string((millis % 1000) * 1000 + self_->env_->MonotonicMicros() % 1000));
}

// Every acknowledged write is in the store when its reply is sent, so the
// data is saved as of now.
void RespCommands::Call::LastSave() { out_.Integer(static_cast<int64_t>(self_->env_->WallMillis() / 1000)); }

void RespCommands::Call::Memory() {
  if (AsciiLower(args_[1]) == "help") {
    Help("MEMORY", {"USAGE <key> [SAMPLES <count>]",
                    "    Return memory in bytes used by <key> and its value. Nested values are",
                    "    sampled up to <count> times (default: 5, 0 means sample all)."});
    return;
  }
  for (size_t i = 3; i < args_.size(); i += 2) {  // SAMPLES: accepted; the estimate covers everything
    if (!EqualsIgnoreCase(args_[i], "samples") || i + 1 >= args_.size()) {
      out_.Error(kSyntax);
      return;
    }
    std::optional<int64_t> n = ParseInt64(args_[i + 1]);
    if (!n) {
      out_.Error(kNotInteger);
      return;
    }
    if (*n < 0) {
      out_.Error(kSyntax);
      return;
    }
  }
  const AnyCrdt* v = Live(args_[2]);
  if (v == nullptr) {
    out_.Null();
    return;
  }
  // An estimate: the key, its encoded CRDT state (with the causal metadata
  // every region keeps) and a fixed per-key overhead.
  constexpr size_t kPerKeyBytes = 48;
  out_.Integer(static_cast<int64_t>(args_[2].size() + EncodeCrdt(*v).size() + kPerKeyBytes));
}

}  // namespace regionsync

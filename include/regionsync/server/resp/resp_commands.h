// RespCommands: the Redis commands of regionsyncd's RESP port, mapped onto
// one replica's CRDTs: strings are LWW registers or PN counters, sets are
// add-wins OR-Sets, hashes are maps of LWW registers, DEL and FLUSHDB are
// observed removes (docs/redis.md says what each command does under
// concurrent writes). Thin: check arguments, call the Replica, write the
// reply. Connection-level commands (SUBSCRIBE and friends, QUIT) belong to
// the server, which calls Authorized() for them.
//
//   RespCommands commands(&node, env, &stats, {.api_tokens = tokens});
//   std::lock_guard lock(node.mutex());
//   commands.Execute(session, args, writer);   // appends one reply
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "regionsync/common/seeded_hash.h"
#include "regionsync/server/auth.h"
#include "regionsync/server/resp/resp_writer.h"
#include "regionsync/sync/sync_node.h"

namespace regionsync {

// One client connection's state.
struct RespSession {
  uint64_t id = 0;
  int protocol = 2;  // HELLO 3 switches to RESP3
  bool authenticated = false;
  std::string name;           // CLIENT SETNAME
  size_t subscriptions = 0;   // channels + patterns; kept by the server
  std::string addr, laddr;    // the client's and the server's ip:port; set by the server
  // MULTI ... EXEC: the commands queued since MULTI, and whether one was
  // refused while queueing (then EXEC answers EXECABORT).
  bool in_multi = false;
  bool multi_failed = false;
  std::vector<std::vector<std::string>> queued;
  size_t queued_bytes = 0;
  // CLIENT REPLY OFF / SKIP: the server drops the replies of this command
  // when reply_off or reply_skip is set after it ran; before each command
  // it moves reply_skip_next into reply_skip.
  bool reply_off = false;
  bool reply_skip = false;
  bool reply_skip_next = false;
  bool no_evict = false;      // CLIENT NO-EVICT: kept for CLIENT INFO; nothing is evicted here
};

// What the command layer needs from the server that runs it: the server's
// own commands (pub/sub, QUIT), which MULTI queues and EXEC runs like the
// others, and the connected clients (CLIENT LIST, CLIENT KILL).
class RespServerHooks {
 public:
  virtual ~RespServerHooks() = default;
  // Runs `args` (its name lower-cased in `name`) when it is one of the
  // server's own commands, appending its reply; false when it is not one.
  virtual bool RunServerCommand(RespSession& session, const std::string& name, const std::vector<std::string>& args,
                                RespWriter& out) = 0;
  // The sessions of every connected client, the caller's included.
  virtual std::vector<RespSession*> Sessions() = 0;
  // Closes `session`'s connection after the replies already written to it.
  virtual void Kill(RespSession& session) = 0;
};

// Figures INFO reports about the server; kept by the server.
struct RespServerStats {
  int port = 0;
  uint64_t started_wall_millis = 0;
  std::atomic<uint64_t> connected_clients{0};
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> total_commands{0};
};

struct RespCommandsOptions {
  std::vector<std::string> api_tokens;  // empty: no AUTH needed
};

class RespCommands {
 public:
  // `node`, `env` and `stats` must outlive this.
  RespCommands(SyncNode* node, Env* env, RespServerStats* stats, RespCommandsOptions options);
  ~RespCommands();

  // Executes one command (args[0] is its name, in any case) for `session`
  // and appends exactly one reply to `out` (none for CLIENT REPLY OFF and
  // SKIP). Unknown commands, bad arguments and type mismatches answer with
  // Redis's error text and change nothing. Inside MULTI the command is
  // checked and queued ("+QUEUED"); EXEC runs the queue at once, so its
  // writes are one batch of local writes. `hooks` (may be null: no server
  // commands, no other clients) is the server's side.
  // REQUIRES: the caller holds node->mutex(); args is not empty.
  void Execute(RespSession& session, const std::vector<std::string>& args, RespWriter& out,
               RespServerHooks* hooks = nullptr);

  // Forgets `session`'s WATCHed keys; the server calls it when the
  // connection closes. REQUIRES: the caller holds node->mutex().
  void EndSession(const RespSession& session);

  // False when the session must AUTH before running `lower_name`.
  bool Authorized(const RespSession& session, std::string_view lower_name) const;

  // The keyspace event of the local write being executed ("set", "sadd",
  // ...), or nullptr outside Execute: the server names local changes with it.
  const char* current_event() const { return current_event_; }

  static constexpr const char* kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";

 private:
  class Call;
  // What COMMAND tells of a command's keys: Redis's legacy (first, last,
  // step) argument range (last -1: to the end), {0, 0, 0} for none or for
  // keys found by a count argument only ("movablekeys").
  struct KeyRange {
    int first = 1;
    int last = 1;
    int step = 1;
  };
  struct Spec {
    void (Call::*run)();
    int arity;  // Redis's convention: n = exactly n words with the name, -n = at least n
    KeyRange keys = {};
    const char* flags = "";  // Redis 7's COMMAND flags, space-separated ("write denyoom fast")
  };
  using Table = std::unordered_map<std::string, Spec>;
  static const Table& Commands();

  // Answers a command refused before it ran; inside MULTI the transaction
  // then fails at EXEC.
  void Reject(RespSession& session, const std::string& name, const std::string& error, RespWriter& out);
  // The checks done before a command runs or is queued; false when it was refused.
  bool Admit(RespSession& session, const std::vector<std::string>& args, const std::string& name,
             RespServerHooks* hooks, RespWriter& out);
  // Runs an admitted command.
  void Dispatch(RespSession& session, const std::vector<std::string>& args, const std::string& name,
                RespServerHooks* hooks, RespWriter& out);

  // WATCH (resp_transaction_commands.cc): the keys each session watches, by
  // session id, and the sessions watching each key. A change of a watched
  // key made in this region marks its watchers touched (then EXEC fails).
  struct Watcher {
    std::vector<std::string> keys;
    bool touched = false;
  };
  void Watch(const RespSession& session, const std::string& key);
  // Drops the session's watched keys; `keep_touched` keeps its entry (touched) for EXEC.
  void Unwatch(uint64_t session_id, bool keep_touched = false);
  bool WatchTouched(const RespSession& session) const;
  void OnLocalChange(const std::string& key);

  SyncNode* node_;
  Env* env_;
  RespServerStats* stats_;
  RespCommandsOptions options_;
  ApiAuth auth_;
  const char* current_event_ = nullptr;
  std::string name_;  // scratch: the lower-cased command name
  std::unordered_map<uint64_t, Watcher> watchers_;
  std::unordered_map<std::string, std::vector<uint64_t>, SeededStringHash, std::equal_to<>> watched_;
  int listener_token_ = 0;  // the replica listener for WATCH, once a client watched
};

// Lower-cases ASCII letters (command names are ASCII).
std::string AsciiLower(std::string_view s);
// The same into *out, reusing its capacity.
void AsciiLowerInto(std::string_view s, std::string* out);

}  // namespace regionsync

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
  RespCommands(SyncNode* node, Env* env, const RespServerStats* stats, RespCommandsOptions options);

  // Executes one command (args[0] is its name, in any case) for `session`
  // and appends exactly one reply to `out`. Unknown commands, bad arguments
  // and type mismatches answer with Redis's error text and change nothing.
  // REQUIRES: the caller holds node->mutex(); args is not empty.
  void Execute(RespSession& session, const std::vector<std::string>& args, RespWriter& out);

  // False when the session must AUTH before running `lower_name`.
  bool Authorized(const RespSession& session, std::string_view lower_name) const;

  // The keyspace event of the local write being executed ("set", "sadd",
  // ...), or nullptr outside Execute: the server names local changes with it.
  const char* current_event() const { return current_event_; }

  static constexpr const char* kWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value";

 private:
  class Call;
  struct Spec {
    void (Call::*run)();
    int arity;  // Redis's convention: n = exactly n words with the name, -n = at least n
  };
  using Table = std::unordered_map<std::string, Spec>;
  static const Table& Commands();

  SyncNode* node_;
  Env* env_;
  const RespServerStats* stats_;
  RespCommandsOptions options_;
  ApiAuth auth_;
  const char* current_event_ = nullptr;
  std::string name_;  // scratch: the lower-cased command name
};

// Lower-cases ASCII letters (command names are ASCII).
std::string AsciiLower(std::string_view s);
// The same into *out, reusing its capacity.
void AsciiLowerInto(std::string_view s, std::string* out);

}  // namespace regionsync

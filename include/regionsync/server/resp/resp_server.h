// RespServer: regionsyncd's Redis-protocol port (RESP2 and RESP3) for one
// replica. One event-loop thread (Boost.Asio) serves every connection. For
// each batch of bytes a client sent it runs every complete command under the
// node's lock, then group-commits the batch's writes (together with those of
// every other connection served in the same loop round) and only then sends
// the replies: an answer to a write means the write is durable. Pipelined
// commands answer in order.
//
// Keyspace notifications are always on: each change of a key, local or
// merged from another region, is published to this port's subscribers on
// "__keyspace@0__:<key>" (message: the event) and "__keyevent@0__:<event>"
// (message: the key). See docs/redis.md.
//
//   RespServer resp(&node, env, {.api_tokens = tokens});
//   RS_RETURN_IF_ERROR(resp.Listen("127.0.0.1", 6380));
//   ...
//   resp.Shutdown();   // before node.Stop(): closes every connection
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "regionsync/common/env.h"
#include "regionsync/common/status.h"
#include "regionsync/server/resp/resp_parser.h"
#include "regionsync/sync/sync_node.h"

namespace regionsync {

struct RespServerOptions {
  std::vector<std::string> api_tokens;  // non-empty: clients must AUTH <token>
  // How long a write may wait for its commit while the store fails. After
  // that its connection is closed without an answer: it was not acknowledged.
  uint64_t write_timeout_micros = 5'000'000;
  RespLimits limits;
};

class RespServer {
 public:
  // `node` and `env` must outlive the server.
  RespServer(SyncNode* node, Env* env, RespServerOptions options);
  ~RespServer();  // Shutdown()s

  RespServer(const RespServer&) = delete;
  RespServer& operator=(const RespServer&) = delete;

  // Binds and starts serving (port 0: any free port). Unavailable if the
  // address cannot be bound.
  Status Listen(const std::string& address, int port);
  int port() const;

  // Stops accepting, closes every connection, stops the thread. Writes not
  // yet answered stay in the replica (node.Stop() commits them) but were not
  // acknowledged. Idempotent.
  void Shutdown();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace regionsync

// HttpApi: the HTTP front of one running replica (docs/http_api.yaml).
// Handlers are thin: parse, lock node.mutex(), call the Replica, unlock, wait
// for the group commit that makes the write durable, answer. The API also
// serves the change feed (GET /v1/events, Server-Sent Events), status,
// Prometheus metrics and health probes, and, when `admin` hooks are given
// (local-cluster mode), fault control.
//
//   HttpApi api(&node, env.get(), {.api_tokens = tokens}, /*admin=*/nullptr, probe);
//   RS_RETURN_IF_ERROR(api.Listen("127.0.0.1", 8080));   // serves on its own threads
//   ...
//   api.StopAcceptingWrites();   // writes answer 503 from now on
//   node.Stop();                 // commit + flush
//   api.Shutdown();              // closes event streams, stops serving
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "regionsync/common/env.h"
#include "regionsync/common/status.h"
#include "regionsync/server/node_status.h"
#include "regionsync/sync/sync_node.h"

namespace regionsync {

struct HttpApiOptions {
  std::vector<std::string> api_tokens;  // empty: no auth
  bool auth_reads = false;
  uint64_t max_body_bytes = 1 << 20;
  uint64_t write_timeout_micros = 5'000'000;
  size_t event_buffer = 10'000;
  int threads = 16;
  std::string store_kind;  // for /v1/status
  std::string fsync;       // for /v1/status
};

// Fault control of the local cluster. Names are region names as given to
// --local-cluster or full replica names; each hook returns InvalidArgument for
// an unknown name or a bad value.
struct ClusterAdmin {
  struct Faults {
    std::optional<double> drop, duplicate;
    std::optional<uint64_t> min_delay_millis, max_delay_millis;
    std::optional<bool> outage;
  };
  std::function<Status(const std::vector<std::vector<std::string>>& groups)> partition;
  std::function<Status()> heal;
  std::function<Status(const Faults& faults)> set_faults;
  std::function<nlohmann::json()> describe;  // the current faults, as JSON
};

class HttpApi {
 public:
  // Adds transport facts (queue depth, dead letters) to a snapshot.
  using TransportProbe = std::function<void(NodeSnapshot*)>;

  // `node` must be started and, like `env` and `admin` (may be null), outlive the API.
  HttpApi(SyncNode* node, Env* env, HttpApiOptions options, const ClusterAdmin* admin, TransportProbe probe);
  ~HttpApi();  // Shutdown()s

  // Binds `address:port` (port 0: any free port) and serves on background
  // threads. Unavailable if the port cannot be bound.
  Status Listen(const std::string& address, int port);
  int port() const;

  // From now on every write answers 503 and /readyz reports not ready.
  void StopAcceptingWrites();
  // Ends event streams, stops the listener and joins its threads. Idempotent.
  void Shutdown();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace regionsync

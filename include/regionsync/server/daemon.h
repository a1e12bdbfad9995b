// Daemon: what regionsyncd runs. Builds every part from a DaemonConfig and
// wires them: Env, transport, one store + SyncNode + HttpApi per replica
// (one replica, or one per name with --local-cluster, all over one
// in-process network with fault control on /v1/admin/*).
//
//   Result<std::unique_ptr<Daemon>> d = Daemon::Start(config);
//   if (!d.ok()) { spdlog::critical(...); return 1; }
//   WaitForSignal();
//   Status s = (*d)->Shutdown();   // no new writes; commit + flush; close
#pragma once

#include <memory>
#include <vector>

#include "regionsync/common/status.h"
#include "regionsync/server/config.h"

namespace regionsync {

class Daemon {
 public:
  // Opens stores, starts nodes and HTTP listeners. On error everything started
  // so far is stopped again. Errors: InvalidArgument (bad secrets or a
  // transport that is not built), Unavailable (port in use, store locked),
  // DataLoss (corrupt store).
  static Result<std::unique_ptr<Daemon>> Start(const DaemonConfig& config);
  ~Daemon();  // Shutdown()s

  // Writes answer 503 from now on; each node commits and flushes; then the
  // HTTP listeners close. Returns the first error (a failed final flush is
  // Unavailable: the durable outbox sends it at the next start). Idempotent.
  Status Shutdown();

  // The HTTP port of each replica, in configuration order.
  std::vector<int> ports() const;

  struct Parts;

 private:
  explicit Daemon(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace regionsync

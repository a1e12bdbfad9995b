// NodeSnapshot: a copy of one running replica's counters, taken under the
// node's lock, from which GET /v1/status (JSON) and GET /metrics
// (Prometheus text) are rendered without holding the lock.
//
//   NodeSnapshot snap = TakeSnapshot(node, env->WallMillis());
//   transport_probe(&snap);                 // queue depth, dead letters
//   res.set_content(StatusJson(snap).dump(), "application/json");
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "regionsync/sync/sync_node.h"

namespace prometheus {
struct MetricFamily;
}

namespace regionsync {

struct NodeSnapshot {
  std::string replica;       // "us-east-1/a"
  std::string replica_full;  // "us-east-1/a#<epoch hex>"
  uint64_t epoch = 0;
  bool running = false;
  uint64_t now_wall_millis = 0;
  size_t keys = 0;
  uint64_t local_writes = 0;
  uint64_t committed_writes = 0;
  uint64_t type_conflicts = 0;
  size_t outbox_keys = 0;
  PublisherStats publisher;
  SubscriberStats subscriber;
  AntiEntropyStats anti_entropy;
  std::map<std::string, PeerInfo> peers;
  // Filled by the transport probe when the broker can tell.
  std::string broker;
  std::optional<uint64_t> queue_depth;
  std::optional<uint64_t> dead_letters;
  // Filled by the HTTP layer.
  std::string store;
  std::string fsync;
  uint64_t events_appended = 0;
  uint64_t event_last_id = 0;
  bool accepting_writes = false;
};

// REQUIRES: the caller does not hold node.mutex() on another thread's behalf;
// this takes it.
NodeSnapshot TakeSnapshot(SyncNode& node, uint64_t now_wall_millis);

nlohmann::json StatusJson(const NodeSnapshot& snap);
std::vector<prometheus::MetricFamily> SnapshotMetrics(const NodeSnapshot& snap);

}  // namespace regionsync

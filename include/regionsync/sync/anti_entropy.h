// AntiEntropy: lets a replica that missed messages catch up by itself.
//
// Every interval each replica publishes a DIGEST: its keys hashed into B
// buckets (XOR of per-key hashes of name, type and state). A replica that
// receives a digest compares it with its own and, for every bucket that
// differs, publishes the full states of its keys in that bucket (at most once
// per bucket per interval). Both sides of a difference do this, joins are
// idempotent, so after the network heals every replica converges within
// about two intervals plus delivery time. At rest the cost is one digest of
// 8 * B bytes (+ framing) per replica per interval.
//
//   AntiEntropy ae(replica, publisher, {.buckets = 64});
//   ae.PublishDigest();          // on a timer
//   ae.OnDigest(envelope);       // from the subscriber
//   ae.SendRequested();          // on the same timer, or right after OnDigest
#pragma once

#include <cstdint>
#include <set>

#include "regionsync/proto/envelope.pb.h"
#include "regionsync/sync/publisher.h"
#include "regionsync/sync/replica.h"

namespace regionsync {

struct AntiEntropyOptions {
  uint32_t buckets = 64;
};

struct AntiEntropyStats {
  uint64_t digests_sent = 0;
  uint64_t digests_received = 0;
  uint64_t mismatched_buckets = 0;
  uint64_t states_sent = 0;  // key states sent for repair
};

class AntiEntropy {
 public:
  AntiEntropy(Replica* replica, Publisher* publisher, AntiEntropyOptions options = {});

  // See Publisher::set_replica_mutex.
  void set_replica_mutex(std::recursive_mutex* mu) { replica_mu_ = mu; }

  Status PublishDigest();
  // Compares a peer's digest with this replica's and notes differing buckets.
  // A digest with another bucket count is ignored (counted as received).
  void OnDigest(const pb::Envelope& digest);
  // Publishes the states of the noted buckets and forgets them (unless publishing fails).
  Status SendRequested();
  bool has_requests() const { return !requested_.empty(); }

  const AntiEntropyStats& stats() const { return stats_; }

 private:
  Replica* replica_;
  Publisher* publisher_;
  AntiEntropyOptions options_;
  AntiEntropyStats stats_;
  std::set<uint32_t> requested_;  // guarded by the replica mutex
  std::recursive_mutex* replica_mu_ = nullptr;
};

}  // namespace regionsync

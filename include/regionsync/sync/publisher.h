// Publisher: turns a replica's outbox into messages on the broker. It
// coalesces per key (the outbox already holds one joined delta per key),
// packs entries into envelopes, splits a key whose delta alone is too large
// into valid sub-deltas, frames (zstd when it pays, HMAC-SHA256) and keeps
// every message under the transport's max size. A piece of a split delta
// never depends on another: each unit (a field, an element) travels whole
// with the removals it supersedes. A key with a unit too big for any message
// (the write-side limit, ReplicaOptions::max_value_bytes, keeps such units
// from being created; an old store may still hold one) is not sent at all,
// rather than in part: counted (oversize_entries) and reported to the error
// sink.
//
// Failure: if any message of a flush fails to publish, the whole outbox
// generation goes back to the outbox and is sent again by the next flush
// (receivers join idempotently, so the messages that did go out are harmless).
//
//   Publisher pub(replica, broker, &keys, {});
//   Status s = pub.Flush();   // Unavailable: retried at the next flush
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "regionsync/broker/broker.h"
#include "regionsync/proto/envelope.pb.h"
#include "regionsync/sync/replica.h"
#include "regionsync/sync/replica_lock.h"
#include "regionsync/sync/wire/frame.h"
#include "regionsync/sync/wire/key_ring.h"

namespace regionsync {

struct PublisherOptions {
  FrameOptions frame;
  // Send each changed key's full state instead of its delta: what the system
  // we replace did. Kept as a switch for the benchmarks.
  bool full_state = false;
};

struct PublisherStats {
  uint64_t flushes = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;      // text bytes handed to the broker
  uint64_t entries = 0;
  uint64_t split_keys = 0;  // keys whose delta was split over several entries
  uint64_t failures = 0;   // publish calls that failed
  // Keys withheld from a flush because one indivisible unit of theirs (a
  // value with the removals it supersedes) is over the message limit: none
  // of their pieces was sent.
  uint64_t oversize_entries = 0;
  std::string last_oversize_key;
};

class Publisher {
 public:
  // All pointers must outlive the publisher.
  Publisher(Replica* replica, Broker* broker, const KeyRing* keys, PublisherOptions options = {});

  // The largest unit (key + field + value of one write) that always fits
  // one message of `max_message_bytes` once encoded, enveloped, signed and
  // base64-encoded; 0 if none does. ReplicaOptions::max_value_bytes must not
  // be above it (SyncNode::Start checks).
  static size_t MaxUnitBytes(size_t max_message_bytes);

  using ErrorSink = std::function<void(const std::string& what)>;
  // Told about every key withheld as oversize (the daemon logs it).
  void set_error_sink(ErrorSink sink) { error_sink_ = std::move(sink); }

  // With a mutex set, every access to the replica holds it and broker calls
  // do not, so local writes go on while a publish waits on the network.
  // REQUIRES: at most one thread flushes or publishes at a time.
  void set_replica_mutex(std::recursive_mutex* mu) { replica_mu_ = mu; }

  // Publishes everything committed and unsent. OK when there was nothing to send.
  Status Flush();
  // Commits the replica, then publishes `entries` (full states) as STATE
  // envelopes, for anti-entropy. Never publishes uncommitted state.
  Status PublishStates(const std::vector<KeyedDelta>& entries);
  // Frames and publishes one envelope; fills version, origin, epoch, sequence, time.
  Status PublishEnvelope(pb::Envelope envelope);

  const PublisherStats& stats() const { return stats_; }

 private:
  Status PublishEntries(pb::EnvelopeKind kind, const std::vector<KeyedDelta>& entries);
  size_t PayloadBudget() const { return PayloadBudget(broker_->max_message_bytes()); }
  static size_t PayloadBudget(size_t max_message_bytes);

  Replica* replica_;
  Broker* broker_;
  const KeyRing* keys_;
  PublisherOptions options_;
  PublisherStats stats_;
  std::recursive_mutex* replica_mu_ = nullptr;
  ErrorSink error_sink_;
};

}  // namespace regionsync

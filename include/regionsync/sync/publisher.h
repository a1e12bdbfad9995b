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
#include <deque>
#include <functional>
#include <mutex>
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
  // Recently published messages kept (their frames as sent, at most this
  // many bytes) so that a receiver that missed one can have just that one
  // again (Resend). Older ones are repaired by a bucket exchange instead.
  size_t resend_buffer_bytes = 32 << 20;
  // A message is published again at most once in this long, however many
  // receivers ask for it.
  uint64_t resend_quiet_micros = 900'000;
};

struct PublisherStats {
  uint64_t flushes = 0;
  uint64_t messages = 0;
  uint64_t bytes = 0;      // text bytes handed to the broker, of which:
  uint64_t delta_bytes = 0;   //   DELTA envelopes (local writes)
  uint64_t repair_bytes = 0;  //   STATE envelopes, RESEND requests and messages published again
  uint64_t digest_bytes = 0;  //   DIGEST envelopes
  uint64_t entries = 0;
  uint64_t split_keys = 0;  // keys whose delta was split over several entries
  uint64_t failures = 0;   // publish calls that failed
  // Keys withheld from a flush because one indivisible unit of theirs (a
  // value with the removals it supersedes) is over the message limit: none
  // of their pieces was sent.
  uint64_t oversize_entries = 0;
  std::string last_oversize_key;
  uint64_t resent = 0;          // messages published again on request
  uint64_t resend_missed = 0;   // requested sequences no longer (or never) buffered
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
  // One thread may flush while another publishes states, digests and
  // resends (SyncNode's task threads); at most one thread flushes at a time.
  void set_replica_mutex(std::recursive_mutex* mu) { replica_mu_ = mu; }

  // Publishes everything committed and unsent. OK when there was nothing to send.
  Status Flush();
  // Commits the replica, then publishes `entries` (full states) as STATE
  // envelopes, for anti-entropy. Never publishes uncommitted state.
  Status PublishStates(const std::vector<KeyedDelta>& entries);
  // Frames and publishes one envelope; fills version, origin, epoch,
  // sequence, time, data_count and resend_from, and keeps the frame for
  // Resend (also when publishing fails: a receiver that sees the gap asks).
  Status PublishEnvelope(pb::Envelope envelope);
  // Publishes again the kept messages with sequences in the inclusive
  // `ranges`, each at most once per resend_quiet_micros (`now_micros`: a
  // monotonic clock). Sequences no longer kept are counted (resend_missed):
  // the receiver learns from resend_from that they are gone.
  Status Resend(const std::vector<std::pair<uint64_t, uint64_t>>& ranges, uint64_t now_micros);
  // DELTA envelopes published by this process (the data_count of the last
  // one).
  uint64_t data_count() const;

  PublisherStats stats() const {
    std::lock_guard lock(sent_mu_);
    return stats_;
  }

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

  struct Sent {
    uint64_t sequence;
    std::string text;
    uint64_t resent_at = 0;
  };
  mutable std::mutex sent_mu_;  // guards the members below (flush and repair may publish at once)
  std::deque<Sent> sent_;       // by sequence
  size_t sent_bytes_ = 0;
  uint64_t data_count_ = 0;
  uint64_t run_start_ = 0;  // the first sequence this publisher issued
};

}  // namespace regionsync

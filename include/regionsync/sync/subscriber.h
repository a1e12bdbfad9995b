// Subscriber: the receiving half of sync. Takes a batch from the replica's
// queue, verifies and decodes each message, ignores this replica's own
// messages (not its region's: other replicas of one region sync like any
// two regions), joins every entry, makes the effect durable (one Commit per
// batch) and only then acks.
//
// Failures: a message that cannot be verified or decoded (bad signature,
// unknown version, malformed bytes, including any one entry whose delta does
// not decode as its stated type) is counted, logged through the error
// callback, applies nothing and is NOT acked: it comes back after a backoff
// and, after the broker's max receive count, lands in the dead-letter queue.
// An entry that decodes but whose type does not match the key's is counted
// and skipped; the other entries of its message still apply and the message
// is acked. If the commit fails nothing is acked.
//
//   Subscriber sub(replica, broker, &keys, &ae, {});
//   Result<size_t> n = sub.PollOnce();
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "regionsync/broker/broker.h"
#include "regionsync/sync/anti_entropy.h"
#include "regionsync/sync/replica.h"
#include "regionsync/sync/replica_lock.h"
#include "regionsync/sync/wire/key_ring.h"

namespace regionsync {

struct SubscriberOptions {
  size_t batch_size = 10;
  // How long a message that failed stays invisible before it is retried.
  uint64_t retry_delay_micros = 1'000'000;
};

struct PeerInfo {
  uint64_t epoch = 0;
  uint64_t last_sequence = 0;
  uint64_t last_heard_wall_millis = 0;  // our wall clock when its last message arrived
  int64_t lag_millis = 0;              // our wall clock - its send time, last message
  uint64_t messages = 0;
};

struct SubscriberStats {
  uint64_t received = 0;
  uint64_t applied_messages = 0;
  uint64_t applied_entries = 0;
  uint64_t own_skipped = 0;
  uint64_t rejected = 0;        // could not verify/decode (frame or an entry): left for retry / dead letter
  uint64_t bad_entries = 0;     // entry ApplyRemote refused after decoding: skipped (a guard)
  uint64_t clock_clamped = 0;   // send times beyond the max drift
  uint64_t receive_failures = 0;
  uint64_t commit_failures = 0;
  uint64_t digests = 0;
};

class Subscriber {
 public:
  using ErrorSink = std::function<void(const std::string& what)>;

  // All pointers must outlive the subscriber. `anti_entropy` may be null.
  Subscriber(Replica* replica, Broker* broker, const KeyRing* keys, AntiEntropy* anti_entropy,
             SubscriberOptions options = {});

  // Receives and handles one batch. Returns the number of messages received;
  // Unavailable if the broker is down.
  Result<size_t> PollOnce();

  void set_error_sink(ErrorSink sink) { error_sink_ = std::move(sink); }
  // See Publisher::set_replica_mutex: receive and ack run without it.
  void set_replica_mutex(std::recursive_mutex* mu) { replica_mu_ = mu; }
  const SubscriberStats& stats() const { return stats_; }
  const std::map<std::string, PeerInfo>& peers() const { return peers_; }

 private:
  // Applies one message; false if it must not be acked.
  bool Handle(const BrokerMessage& message);
  void Error(const std::string& what);

  Replica* replica_;
  Broker* broker_;
  const KeyRing* keys_;
  AntiEntropy* anti_entropy_;
  SubscriberOptions options_;
  SubscriberStats stats_;
  std::map<std::string, PeerInfo> peers_;
  ErrorSink error_sink_;
  std::recursive_mutex* replica_mu_ = nullptr;
};

}  // namespace regionsync

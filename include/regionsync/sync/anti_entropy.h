// AntiEntropy: lets a replica that missed messages catch up by itself, at a
// cost that follows what was lost, not the size of the keyspace.
//
// Two mechanisms (docs/sync.md, "Anti-entropy"):
//   - Gap repair. Every envelope carries its origin's sequence number. The
//     SequenceTracker notices a number that is missing for longer than a
//     grace period, and this replica publishes a RESEND asking the origin
//     for exactly those messages; the origin publishes them again from its
//     Publisher's buffer. One lost message costs that message.
//   - Digests, for what gap repair cannot fix (a message older than the
//     origin's buffer, a replica that lost its store, a bug). Every interval
//     each replica publishes its B bucket hashes (kept up to date by every
//     Commit, so a digest costs O(B)) with its settled hash: what it applied
//     from every live origin. A receiver compares buckets only when its own
//     settled hash is the same, i.e. both applied the same messages, so
//     deltas merely in flight never cause a repair; then it publishes the
//     full states of the keys in each differing bucket. A replica that gave
//     up lost messages, or started on an empty store, says `catching_up` in
//     its next digests: then its buckets are compared whatever the settled
//     hashes, and each differing bucket is answered by one peer only (the
//     one a rendezvous hash of sender and bucket picks among the live
//     replicas), so a replica that lost its store is not flooded by all.
//
//   AntiEntropy ae(replica, publisher, env, {.buckets = 64});
//   ae.OnEnvelope(envelope);  // from the subscriber, every peer's envelope
//   ae.SendRequested();       // on a timer: resends, gap requests, repairs
//   ae.PublishDigest();       // on the same timer
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "regionsync/common/env.h"
#include "regionsync/proto/envelope.pb.h"
#include "regionsync/sync/publisher.h"
#include "regionsync/sync/replica.h"
#include "regionsync/sync/sequence_tracker.h"

namespace regionsync {

struct AntiEntropyOptions {
  uint32_t buckets = 64;
  SequenceTrackerOptions gaps;
  // Digests that say catching_up after a loss or a start on an empty store.
  int catching_up_digests = 3;
  // Keys StatesInBucket visits per hold of the replica lock.
  size_t keys_per_lock = 50'000;
};

struct AntiEntropyStats {
  uint64_t digests_sent = 0;
  uint64_t digests_received = 0;
  uint64_t unsettled_digests = 0;  // received digests not compared: in-flight messages on either side
  uint64_t mismatched_buckets = 0;
  uint64_t states_sent = 0;        // key states sent for repair
  uint64_t resend_requests = 0;    // RESEND envelopes published
  uint64_t sequences_requested = 0;
  uint64_t sequences_given_up = 0;  // lost for good: repaired by digests
};

class AntiEntropy {
 public:
  // Calls replica->TrackBuckets(options.buckets). Pointers must outlive it.
  AntiEntropy(Replica* replica, Publisher* publisher, Env* env, AntiEntropyOptions options = {});

  // See Publisher::set_replica_mutex.
  void set_replica_mutex(std::recursive_mutex* mu) { replica_mu_ = mu; }

  // Every envelope from another replica, before its entries are applied;
  // the caller holds the replica lock. Tracks its sequence, keeps a digest
  // for the next SendRequested and notes a RESEND addressed to this replica.
  void OnEnvelope(const pb::Envelope& envelope);
  // Publishes the messages peers asked for again, asks origins for the
  // sequences missing here, compares the digests received since the last
  // call and publishes the states of differing buckets (letting go of the
  // replica lock between chunks of keys).
  Status SendRequested();
  Status PublishDigest();

  const AntiEntropyStats& stats() const { return stats_; }
  const SequenceTracker& tracker() const { return tracker_; }

 private:
  struct Digest {
    std::vector<uint64_t> hashes;
    uint64_t settled_hash = 0;
    bool catching_up = false;
  };
  // This replica's settled hash now (0 while it has anything to publish or
  // anything missing). Under the replica lock.
  uint64_t SettledHashNow();
  // Whether this replica answers `sender`'s catching-up digest for `bucket`.
  bool IsResponder(const std::string& sender, uint32_t bucket);
  // Compares the pending digests; notes differing buckets. Under the lock.
  void CompareDigests();
  Status SendBucket(uint32_t bucket);

  Replica* replica_;
  Publisher* publisher_;
  Env* env_;
  AntiEntropyOptions options_;
  AntiEntropyStats stats_;
  SequenceTracker tracker_;
  int catching_up_left_ = 0;
  // Guarded by the replica mutex:
  std::map<std::string, Digest> digests_;                             // by sender, the latest
  std::vector<std::pair<uint64_t, uint64_t>> resend_ranges_;          // asked of this replica
  std::set<uint32_t> requested_;                                      // buckets to send
  std::recursive_mutex* replica_mu_ = nullptr;
};

}  // namespace regionsync

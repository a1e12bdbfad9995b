// SequenceTracker: what a replica received from each origin, by the
// per-origin sequence numbers every envelope carries (one counter per origin
// epoch, every number issued once: Replica::NextSequence). It finds messages
// that were lost on the way, so that the origin can be asked to publish just
// those again (gap repair, docs/sync.md "Anti-entropy"), and it summarises
// what was applied from whom, so that two replicas can tell whether their
// digests should agree (SettledHash).
//
// Per origin it keeps a floor (every sequence at or below it was received,
// or given up) and the sequences received above it. A missing sequence below
// the highest one received is a gap. A gap is asked for once it is older
// than gap_grace (the transport may merely reorder), again every gap_grace,
// and given up after max_requests, or at once when the origin says it can no
// longer send it (`resend_from` above it). Given-up sequences are counted;
// the replica then asks its peers for a bucket repair (`catching_up`).
//
// Not thread-safe: the subscriber and anti-entropy use it under the replica
// lock. Memory: O(origins + sequences received out of order).
//
//   SequenceTracker t;
//   t.Observe({"eu-west-1/a", epoch, seq, data_count, resend_from}, now);
//   for (const SequenceTracker::Request& r : t.DueRequests(now)) Publish(r);
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace regionsync {

struct SequenceTrackerOptions {
  uint64_t gap_grace_micros = 1'000'000;
  int max_requests = 3;
  // Sequences one request asks for, at most (in ranges).
  uint64_t max_request_sequences = 4096;
  // An origin counts in SettledHash while heard from within this long.
  uint64_t live_micros = 3'000'000;
};

class SequenceTracker {
 public:
  struct Received {
    const std::string& origin;
    uint64_t epoch = 0;
    uint64_t sequence = 0;
    uint64_t data_count = 0;   // DELTA envelopes the origin's process published up to this one
    uint64_t resend_from = 0;  // the lowest sequence the origin can still send again
    uint64_t run_start = 0;    // the first sequence of the origin's current process
  };
  struct Request {
    std::string origin;
    uint64_t epoch = 0;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;  // inclusive
  };

  explicit SequenceTracker(SequenceTrackerOptions options = {}) : options_(options) {}

  // Records one received envelope. Returns false for a sequence already
  // received (or given up): a duplicate, or a resend another replica asked for.
  bool Observe(const Received& r, uint64_t now_micros);
  // The gaps due to be asked for now (each origin at most once per
  // gap_grace). Gives up the gaps asked for max_requests times already.
  std::vector<Request> DueRequests(uint64_t now_micros);

  bool has_gaps() const;
  // Sequences given up since the start, and since the last call of TakeLosses.
  // Below an origin's run_start (an earlier process of it crashed) only
  // those below the last one received from that process count: the rest
  // were most likely never sent (its unused sequence lease, Replica::
  // NextSequence), and a loss among them cannot be told apart.
  uint64_t given_up() const { return given_up_; }
  uint64_t TakeLosses() { return std::exchange(new_losses_, 0); }
  uint64_t requested() const { return requested_; }

  // A hash of (origin, epoch, data_count at its floor) for every origin
  // heard from within live_micros that published data, with this replica's
  // own (self, self_epoch, self_data_count) among them: two replicas with
  // equal hashes applied the same DELTA messages from every live origin
  // (repair STATEs are not counted). 0 while anything is missing or arrived
  // out of order.
  uint64_t SettledHash(const std::string& self, uint64_t self_epoch, uint64_t self_data_count,
                       uint64_t now_micros) const;
  // Origins heard from within live_micros.
  std::vector<std::string> LiveOrigins(uint64_t now_micros) const;

 private:
  struct Origin {
    uint64_t epoch = 0;
    uint64_t floor = 0;             // every sequence <= floor was received or given up
    uint64_t floor_data_count = 0;  // data_count of the last envelope received at or below floor
    std::map<uint64_t, uint64_t> above;  // received above floor + 1: sequence -> data_count
    uint64_t resend_from = 0;
    uint64_t gap_since = 0;         // when the gap at floor + 1 was first seen (0: no gap)
    uint64_t last_request = 0;
    int requests = 0;               // times the gap at floor + 1 was asked for
    uint64_t last_heard = 0;
  };
  // Moves the floor over what was received; gives up what lies below resend_from.
  void Advance(Origin& o, uint64_t now_micros);
  void GiveUpTo(Origin& o, uint64_t sequence, bool count = true);

  SequenceTrackerOptions options_;
  std::map<std::string, Origin, std::less<>> origins_;
  uint64_t given_up_ = 0;
  uint64_t new_losses_ = 0;
  uint64_t requested_ = 0;
};

}  // namespace regionsync

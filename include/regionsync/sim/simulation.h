// Simulation: one seeded run of a random workload with faults over a
// SimCluster, then a check of the contract:
//   - at quiescence every replica holds byte-identical state, also for keys
//     written concurrently with different types;
//   - every counter equals the sum of its acknowledged increments that no
//     acknowledged delete (DEL, FLUSHDB) observed;
//   - every LWW register holds the greatest acknowledged write (or delete);
//   - every Redis string reads as its model (SET / INCRBY / DEL races);
//   - writes at the size limits (value and state) are acknowledged and
//     replicate; one byte past them is refused and changes nothing;
//   - every set equals the add-wins model of its acknowledged operations
//     (present iff some add is not in the causal context of any remove);
//   - keys with expiries (EXPIRE, SET EX, PERSIST racing INCR, SADD and DEL,
//     on replicas whose wall clocks are up to clock_skew_millis off): at
//     every operation, two replicas that hold the same state of such a key
//     agree whether it exists, except while its expiry time lies between
//     their two clocks; at quiescence all agree (the state includes the
//     lifetime);
// (the models are in src/sim/workload_model.h);
//   - the same seed replays the same run (trace_hash).
// A write is acknowledged once its replica committed it. A crash loses only
// what was not committed. A wiped store (new epoch) happens only once the
// cluster has converged, so the others hold what the dead disk held: an
// asynchronous system cannot keep writes that never left a dead disk.
//
//   SimResult r = RunSimulation({.seed = 7, .replicas = 3, .faults = kAllFaults});
//   if (!r.ok) std::cerr << "seed " << r.seed << ": " << r.failure;
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace regionsync {

enum SimFault : uint32_t {
  kFaultDrop = 1 << 0,
  kFaultDuplicate = 1 << 1,
  kFaultDelay = 1 << 2,  // delays, hence reordering
  kFaultPartition = 1 << 3,
  kFaultOutage = 1 << 4,
  kFaultCrash = 1 << 5,
  kFaultWipe = 1 << 6,
  kAllFaults = (1 << 7) - 1,
};

struct SimOptions {
  uint64_t seed = 1;
  int replicas = 3;
  uint32_t faults = kAllFaults;
  uint64_t duration_micros = 20'000'000;       // virtual time with operations and faults
  uint64_t op_interval_micros = 5'000;         // mean gap between operations (whole cluster)
  uint64_t convergence_deadline_micros = 120'000'000;
  // Each replica's wall clock is off by a seeded amount in [-skew, +skew].
  int64_t clock_skew_millis = 150;
  // The HLC's drift bound (0: Hlc::kDefaultMaxDriftMillis); below the skew,
  // remote clocks get clamped, as past max_drift in production.
  uint64_t max_clock_drift_millis = 0;
  std::ostream* trace = nullptr;  // when set: one line per fault, crash and restart
};

struct SimResult {
  uint64_t seed = 0;
  bool ok = false;
  std::string failure;             // empty when ok
  uint64_t operations = 0;         // acknowledged writes
  uint64_t convergence_micros = 0; // virtual time from the final heal to convergence
  uint64_t bytes_published = 0;
  uint64_t delta_bytes = 0;        // of which local writes' deltas,
  uint64_t repair_bytes = 0;       // repairs (bucket states, resend requests, messages sent again)
  uint64_t digest_bytes = 0;       // and digests
  uint64_t type_conflicts = 0;
  uint64_t refused_writes = 0;     // writes past a size limit, refused as they must be     // remote deltas that met a key of another type (all replicas, last incarnations)
  uint64_t expired_keys = 0;       // values reclaimed by active expiry (all replicas, last incarnations)
  uint64_t trace_hash = 0;
};

SimResult RunSimulation(const SimOptions& options);

// Parses "all", "none" or a comma list of drop,duplicate,delay,partition,outage,crash,wipe.
bool ParseFaults(const std::string& spec, uint32_t* out);

}  // namespace regionsync

// Replica identity: "<region>/<instance>" plus an epoch (incarnation).
//
// The epoch is a random 64-bit number chosen when a replica first starts and
// kept in its store. A replica that loses its store starts with a new epoch,
// so it can never reuse dots or counter slots of its earlier life. Two
// processes in one region have different instance names, so they are two
// replicas that never share a slot.
//
// Inside CRDT state a replica is named by its ActorId: a 64-bit fingerprint
// (first 8 bytes of SHA-256) of "<region>/<instance>#<epoch>". With 10 000
// replica lifetimes the chance that two collide is about 3e-12.
//
//   Result<ReplicaId> id = ReplicaId::Parse("us-east-1/a", epoch);
//   ActorId actor = id->actor();
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "regionsync/common/status.h"

namespace regionsync {

using ActorId = uint64_t;

class ReplicaId {
 public:
  ReplicaId() = default;

  // Parses "<region>/<instance>": each part 1..64 characters of [a-z0-9._-]
  // (upper case is rejected, not folded). Returns InvalidArgument otherwise.
  static Result<ReplicaId> Parse(std::string_view name, uint64_t epoch);

  const std::string& region() const { return region_; }
  const std::string& instance() const { return instance_; }
  uint64_t epoch() const { return epoch_; }
  ActorId actor() const { return actor_; }
  // "us-east-1/a"
  std::string name() const { return region_ + "/" + instance_; }
  // "us-east-1/a#00000000075bcd15"
  std::string ToString() const;

  bool operator==(const ReplicaId& o) const { return actor_ == o.actor_ && name() == o.name(); }

 private:
  std::string region_;
  std::string instance_;
  uint64_t epoch_ = 0;
  ActorId actor_ = 0;
};

// The fingerprint described above. Never returns 0 (0 means "no actor").
ActorId ActorFingerprint(std::string_view name, uint64_t epoch);

}  // namespace regionsync

// Presence: members of named groups, each tracked by one replica under a
// lease (Phoenix.Tracker's model on top of key expiry). A client joins a
// group through a replica and renews by repeating the join within its TTL;
// a member whose client stops renewing, or whose replica dies, is gone from
// every region at its lease end without anyone sending a remove.
//
// Each (group, replica incarnation, member) is one key,
// "presence:<group>:<replica>#<epoch>:<member>" (ReplicaId::ToString), an LWW register holding the member's meta (JSON text) whose key expiry is
// the lease end (crdt/lifetime.h). Only the tracking replica writes it, so
// there are no concurrent writers; the lease end is one absolute time,
// replicated like any expiry, so every region drops the member when its
// clock reaches it. A replica restarted with a new epoch writes leases under
// new keys; its old incarnation's leases are never renewed and run out.
//
// Renewals are batched: a renewal whose lease in force still has more than
// renewal_interval + renewal_margin to run is held and written, with every
// other renewal of that interval, by FlushRenewals (the SyncNode runs it
// every renewal_interval), so they travel together in the outbox's next
// messages. 100 000 members renewing every 10 s cost one batch of
// lease ends a second, not 10 000 writes. A renewal closer to its lease end,
// a join and a change of meta are written at once.
//
//   Presence presence(replica, env, {});
//   presence.Track("room-1", "alice", R"({"device":"phone"})", 30'000);
//   presence.List("room-1");   // [{alice, us-east-1/a, {...}, now + 30 s}]
//   presence.Leave("room-1", "alice");
//
// Not thread-safe: called under the replica's lock, like the Replica.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "regionsync/common/env.h"
#include "regionsync/common/status.h"
#include "regionsync/sync/replica.h"

namespace regionsync {

struct PresenceOptions {
  // How often held renewals are written (SyncNode's renewal timer).
  uint64_t renewal_interval_millis = 1000;
  // Time a held renewal leaves for delivery before the lease in force
  // would end in another region.
  uint64_t renewal_margin_millis = 5000;
};

// One tracked member as List returns it.
struct PresenceEntry {
  std::string member;
  std::string replica;  // the tracking replica's name
  std::string meta;     // JSON text
  uint64_t expires_at_millis = 0;
};

// A member appeared in (join) or disappeared from (leave) a group as this
// replica sees it: a local or remote join, a leave, an expired lease.
struct PresenceChange {
  std::string_view key;  // the member's presence key
  std::string_view group;
  std::string_view member;
  std::string_view replica;
  bool joined;  // false: left
};

class Presence {
 public:
  static constexpr std::string_view kKeyPrefix = "presence:";
  // The longest TTL a member may have: one day.
  static constexpr uint64_t kMaxTtlMillis = 24ull * 3600 * 1000;

  // Indexes the presence keys `replica` holds and follows its changes.
  // `replica` and `env` must outlive this object.
  Presence(Replica* replica, Env* env, PresenceOptions options = {});
  ~Presence();
  Presence(const Presence&) = delete;
  Presence& operator=(const Presence&) = delete;

  // The key of `member` in `group` tracked by `tracker` (ReplicaId::ToString()).
  static std::string KeyFor(std::string_view group, std::string_view tracker, std::string_view member);
  // Splits a presence key; false for any other key.
  static bool ParseKey(std::string_view key, std::string_view* group, std::string_view* tracker,
                       std::string_view* member);
  // The replica's name in a tracker ("us-east-1/a#00..ff" -> "us-east-1/a").
  static std::string_view ReplicaName(std::string_view tracker);
  // InvalidArgument unless the group is 1-128 bytes without ':', '/' or
  // control characters and the member 1-256 bytes without '/' or control
  // characters.
  static Status CheckNames(std::string_view group, std::string_view member);

  struct Tracked {
    bool joined = false;  // the member was not tracked by this replica before
    uint64_t expires_at_millis = 0;
  };
  // Tracks `member` in `group` for this replica until now + ttl_millis, with
  // `meta` (JSON text). Renewing (same meta) may be held (see above); the
  // answer gives the lease end either way. Errors: InvalidArgument (names,
  // ttl_millis outside 1 .. kMaxTtlMillis), what Replica::Set returns
  // (ResourceExhausted for meta over the size limit, TypeMismatch when the
  // key was written with another type through the keys API).
  Result<Tracked> Track(std::string_view group, std::string_view member, std::string meta, uint64_t ttl_millis);
  // Ends this replica's lease of `member` now (in every region when the
  // write arrives). False when it was not tracked here.
  Result<bool> Leave(std::string_view group, std::string_view member);

  // Members of `group` whose lease has not ended, by member then replica.
  std::vector<PresenceEntry> List(std::string_view group) const;
  // Distinct members of `group` whose lease has not ended.
  size_t Count(std::string_view group) const;

  // Writes the held renewals. Returns how many were written.
  size_t FlushRenewals();
  size_t held_renewals() const { return held_.size(); }

  // Told about every join and leave (called under the replica's lock).
  void set_listener(std::function<void(const PresenceChange&)> listener) { listener_ = std::move(listener); }

 private:
  void OnKeyChange(const std::string& key);

  Replica* replica_;
  Env* env_;
  PresenceOptions options_;
  int token_ = 0;
  // group -> its members' keys that read as present here.
  std::map<std::string, std::set<std::string>, std::less<>> groups_;
  // Held renewals: key -> lease end.
  std::unordered_map<std::string, uint64_t> held_;
  std::function<void(const PresenceChange&)> listener_;
};

}  // namespace regionsync

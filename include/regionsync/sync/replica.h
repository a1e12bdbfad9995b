// Replica: one region's (or one process's) copy of the keyspace. A keyspace
// maps names to typed CRDTs; a key is created by its first write and keeps
// its type: a write of another type returns TypeMismatch and changes nothing.
//
// Every local write applies at once (reads see it), records a delta in the
// open outbox generation, becomes durable at the next Commit() (group commit:
// acknowledge a write to a client only after that) and is published by the
// Publisher after it was committed. Remote deltas arrive through ApplyRemote.
// Change events fire once per change of a key's observable value, local or
// remote, never for a duplicate or a no-op.
//
// Not thread-safe: the owner serializes calls (the simulator runs on one
// thread; the daemon holds one lock per replica).
//
//   auto r = Replica::Open("us-east-1/a", env, store.get());
//   (*r)->Increment("sessions", 1);
//   (*r)->Commit();                        // now acknowledged
//   int64_t n = std::get<PnCounter>(*(*r)->Find("sessions")).Value();
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <type_traits>
#include <utility>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>

#include "regionsync/common/boxed.h"
#include "regionsync/common/env.h"
#include "regionsync/common/hlc.h"
#include "regionsync/common/replica_id.h"
#include "regionsync/common/seeded_hash.h"
#include "regionsync/crdt/any_crdt.h"
#include "regionsync/crdt/key_state.h"
#include "regionsync/store/store.h"

namespace regionsync {

// Default write limits (ReplicaOptions). 128 KiB of key + field + value fits
// one message of the default 256 KiB transport with room to spare after
// envelope, signature and base64 (Publisher::MaxUnitBytes says how much fits
// any other size); 16 MiB of encoded state is a quarter of the network
// decoders' cap (kMaxEncodedStateBytes, 64 MiB). A key that several regions
// fill to its limit at the same time may grow past both; restore reads up to
// kMaxStoredStateBytes (1 GiB) from the store, so it still restores.
inline constexpr size_t kDefaultMaxValueBytes = 128 * 1024;
inline constexpr size_t kDefaultMaxStateBytes = 16 * 1024 * 1024;

struct ReplicaOptions {
  uint64_t max_clock_drift_millis = Hlc::kDefaultMaxDriftMillis;
  // Start with a new epoch (keeping the stored state) when the machine has
  // rebooted since the store was last written. Needed when the store's fsync
  // policy may lose the last commits on power loss: the replica could
  // otherwise reuse dots that peers already hold. Costs one counter slot per
  // reboot.
  bool new_epoch_after_reboot = true;
  // Called once per key (per process) when a remote delta of another type
  // meets the key (JoinAnyType in any_crdt.h decides the winner), with a
  // sentence naming the key, the type kept and the type dropped. Every
  // such meeting is counted in type_conflicts().
  std::function<void(const std::string& message)> on_type_conflict;
  // The largest unit one local write carries that cannot be split: key +
  // field + value (a register's value, one set element, one map field with
  // its value). Each unit must travel in one transport message: SyncNode
  // refuses to start when the broker's message cannot carry this much
  // (Publisher::MaxUnitBytes). The daemon's --max-value-bytes.
  size_t max_value_bytes = kDefaultMaxValueBytes;
  // The largest encoded state of one key that a local write may create (a
  // set or map; a register or counter is bounded by max_value_bytes).
  // REQUIRES: max_value_bytes <= max_state_bytes <= kMaxEncodedStateBytes,
  // so every state a write was acknowledged for decodes again at restart.
  // The daemon's --max-state-bytes.
  size_t max_state_bytes = kDefaultMaxStateBytes;
  // How long an expired key's name and lifetime stay after its value was
  // reclaimed (ExpireDue), so that a late delta of the expired incarnation
  // is still recognised and dropped. A delta that arrives later than this
  // after the expiry, from a write that had not seen the expiry, brings its
  // own contents back (docs/redis.md, "Expiry"). The daemon's
  // --expired-retention-ms.
  uint64_t expired_retention_millis = 10 * 60 * 1000;
  // A key whose stored state is at least this big commits what changed
  // (the joined deltas of its writes and received deltas since the last
  // commit) instead of its whole state, until the deltas logged since its
  // state was last written reach half its size: then the whole state is
  // written again, which drops them. So a write to a big set costs a
  // commit in proportion to the write, and rewriting the state is spread
  // over the writes that grew it (docs/durability.md, "Delta commits").
  size_t delta_commit_min_bytes = 1024;
};

// One key's delta (or state) with its lifetime, as the outbox and
// anti-entropy hand them to the publisher.
struct KeyedDelta {
  std::string key;
  AnyCrdt delta;
  Lifetime life;
};

struct ChangeEvent {
  const std::string& key;
  CrdtType type;
  const std::string& origin;  // name of the replica whose write caused the change
  bool local;                 // true for this replica's own writes
  const AnyCrdt& value;       // the key's new state; valid during the callback only
  bool changed = true;        // false: a local write that left the value as it was (SET of the same value)
  bool expired = false;       // the key's expiry passed: it reads as absent from now on (ExpireDue)
  bool fields_expired = false;  // some of the map's fields expired and were dropped
};

class Replica {
 public:
  using Listener = std::function<void(const ChangeEvent&)>;

  // Opens the replica named `name` ("<region>/<instance>") on `store`,
  // restoring epoch, clock and keys (each state joined with the deltas
  // logged since it was written); keys with unpublished writes publish
  // their whole state at the next flush. Cost: in proportion to the
  // stored states and deltas. A store that was
  // never used gets a new random epoch, and so does one last written before
  // a reboot (see ReplicaOptions). DataLoss if stored state is corrupt;
  // InvalidArgument if the options' size limits break their REQUIRES.
  // `env` and `store` must outlive the replica.
  static Result<std::unique_ptr<Replica>> Open(std::string_view name, Env* env, Store* store,
                                               ReplicaOptions options = {});

  const ReplicaId& id() const { return id_; }
  // Opened on a store that was never used (new, or lost): it holds nothing
  // of what its peers hold, and anti-entropy asks them for it.
  bool started_empty() const { return started_empty_; }

  // ---- Local writes. Errors: InvalidArgument (empty key or field),
  // TypeMismatch (the key holds another type), ResourceExhausted (over a
  // size limit, see CheckWriteSize); nothing changes on error.
  // Counter. A missing key is created as `create_as`: pb::PN_COUNTER (HTTP)
  // or pb::STRING (the Redis port). A PN counter, a G counter (then `by`
  // must be >= 0) or a string (RedisString: its counter part) is incremented
  // as what it is; for create_as pb::STRING an LWW register becomes a string
  // holding its value (TypeMismatch otherwise).
  // Returns the new value. InvalidArgument if the value would overflow int64,
  // or, for a string, when it is not an integer ("value is not an integer or
  // out of range", as Redis says).
  Result<int64_t> Increment(std::string_view key, int64_t by, CrdtType create_as = pb::PN_COUNTER);
  // Explicitly a G counter (grow-only).
  Result<uint64_t> IncrementGrowOnly(std::string_view key, uint64_t by);
  // LWW register, or the base of a string. A missing key is created as
  // `create_as`: pb::LWW_REGISTER (HTTP) or pb::STRING (the Redis port). An
  // LWW register stays one; a string, or for create_as pb::STRING a PN
  // counter (which becomes a string keeping its contributions), gets a new
  // base and an observed reset of its counter (RedisString::Set); another
  // type is a TypeMismatch. `client_millis`: the client's own
  // timestamp, used as is; InvalidArgument if CheckClientMillis (hlc.h)
  // refuses it.
  Status Set(std::string_view key, std::string value, std::optional<uint64_t> client_millis = std::nullopt,
             CrdtType create_as = pb::LWW_REGISTER);
  // Multi-value register: concurrent writes are all kept.
  Status SetMulti(std::string_view key, std::string value);
  // Add-wins set. Return true if membership changed.
  Result<bool> Add(std::string_view key, std::string_view element);
  Result<bool> Remove(std::string_view key, std::string_view element);
  // Many elements as one write (one delta): SADD / SREM. Return how many
  // were absent / present before.
  Result<size_t> AddAll(std::string_view key, std::span<const std::string_view> elements);
  Result<size_t> RemoveAll(std::string_view key, std::span<const std::string_view> elements);
  // Enable-wins flag.
  Status Enable(std::string_view key);
  Status Disable(std::string_view key);
  // Maps (the first map write fixes the map's kind).
  // Map of LWW registers. Ends the field's expiry (HSET), unless
  // `keep_field_expiry` (HINCRBYFLOAT).
  Status MapSet(std::string_view key, std::string_view field, std::string value, bool keep_field_expiry = false);
  // Counter field: of a map of counters (`kind` kCounter, saturating), or
  // of a map of LWW registers (kRegister: a Redis hash's HINCRBY, see
  // OrMap::IncrementRegister), which refuses with InvalidArgument "hash
  // value is not an integer" when the field's value is not one, and
  // "increment or decrement would overflow" past int64. Returns the new value.
  Result<int64_t> MapIncrement(std::string_view key, std::string_view field, int64_t by,
                               OrMapKind kind = OrMapKind::kCounter);
  Status MapEnable(std::string_view key, std::string_view field);
  Status MapDisable(std::string_view key, std::string_view field);
  Status MapAdd(std::string_view key, std::string_view field, std::string_view element);
  Status MapRemoveElement(std::string_view key, std::string_view field, std::string_view element);
  // Observed-remove of a map entry, whatever the map's kind.
  Status MapRemove(std::string_view key, std::string_view field);
  // Observed remove of the whole key's value, replicated like any write
  // (ClearCrdt in any_crdt.h says what concurrent writes keep). The key keeps
  // its type. Returns true iff the key had a value (HasValue); false changes
  // nothing. InvalidArgument for a grow-only counter with a value.
  Result<bool> Delete(std::string_view key);
  // COPY / RENAME: replaces `key`'s value with the value `source` (another
  // key's state, which must not be `key`'s own) reads as, as this replica's
  // own write (ReplaceByCopy in copy_crdt.h: an observed remove of what
  // `key` held, then the value written afresh with new dots; nothing of
  // `source`'s causal history is reused). One delta, one change event. A
  // new key takes `source`'s type; an existing one (even without a value)
  // keeps its own: TypeMismatch unless CanCopyInto(its state, source).
  // InvalidArgument for what ReplaceByCopy refuses.
  Status WriteCopy(std::string_view key, const AnyCrdt& source);
  // A write of a type that needs no method of its own here (a sorted set:
  // its command layer composes the CRDT's mutators). Checks the size
  // (CheckWriteSize(key, largest_unit, added_bytes)), then runs
  // `mutate(T& state) -> std::pair<T, bool>` (the delta, already applied to
  // `state`, and whether the value changed) on the key's state of type T,
  // created empty if missing (TypeMismatch if the key holds another type),
  // and records the delta as one local write. Returns the state after it.
  // The caller validates first: `mutate` cannot fail, and a write that
  // would change nothing on a missing key should not be made at all.
  template <typename T, typename F>
  Result<T*> Mutate(std::string_view key, size_t largest_unit, size_t added_bytes, F&& mutate);

  // Whether a local write of this size fits the limits, checked without
  // writing. ResourceExhausted "value too large (limit N bytes; ...)" when
  // `largest_unit` (key + field + value of the write's biggest indivisible
  // part) is over max_value_bytes; "state too large (limit N bytes; ...)"
  // when `added_bytes` (what the write may add to the key's encoded state;
  // 0 for types whose state is one unit) could take the key past
  // max_state_bytes. Removals are never checked, so a full key can shrink.
  // Every local write checks itself; a command made of several writes (MSET,
  // HSET) checks them all first, so that it is all or nothing.
  // Cost: O(1) while the key's estimated size is under the limit (see
  // Entry::written_bytes); one encoding of the key's state when the estimate
  // alone would refuse.
  Status CheckWriteSize(std::string_view key, size_t largest_unit, size_t added_bytes);
  // What one unit (element, map field, register value) may add to an
  // encoded state beyond its own bytes: its dot (actor index and counter as
  // varints), its share of the causal context, tags and length prefixes. The
  // local writes count it into their added_bytes.
  static constexpr size_t kUnitEncodingBytes = 32;

  // ---- Expiry (Lifetime in lifetime.h). Sets the key's expiry to the
  // absolute wall time `expires_at_millis`, or clears it with 0 (PERSIST).
  // Returns false and changes nothing when the key has no value (missing,
  // deleted or expired). The value keeps its incarnation; a write after the
  // expiry starts the next one. A local write that leaves the key without
  // a value also clears its expiry, so a key created again starts without.
  Result<bool> SetExpiry(std::string_view key, uint64_t expires_at_millis);
  // Runs `write()`, one local write (Set, Increment, MapSet, ...), and sets
  // the expiry of the key it writes to `expires_at_millis` (0: none) in the
  // same delta and change event: SET ... EX, SETEX, HTTP writes with
  // ttl_ms, and SET without KEEPTTL (0). An expiry the key already has is
  // not written again. Nothing changes when `write` fails.
  template <typename F>
  auto WithExpiry(uint64_t expires_at_millis, F&& write) {
    pending_expiry_ = expires_at_millis;
    auto result = write();
    pending_expiry_.reset();
    return result;
  }
  // The key's expiry in wall milliseconds, 0 when it has none; nullopt when
  // it has no value.
  std::optional<uint64_t> ExpiresAt(std::string_view key) const;
  // Active expiry: reclaims the values of up to `max_keys` keys whose
  // expiry has passed (they read as absent already), firing an `expired`
  // change event for each, and forgets keys expired more than
  // expired_retention_millis ago. Returns how many keys it handled; work
  // is O(max_keys log n). Call it often (the daemon: every 100 ms).
  size_t ExpireDue(size_t max_keys);
  // Keys with an expiry that has not been reclaimed yet.
  size_t expiring_keys() const { return expiry_index_.size(); }
  // Keys ExpireDue found expired with a value (Redis's expired_keys).
  uint64_t expired_keys() const { return expired_keys_; }

  // ---- Field expiry (a map's field: the Redis hash's HEXPIRE family; the
  // rules in crdt/or_map.h). The field's expiry in wall milliseconds, 0
  // when it has none; nullopt when the key holds no map with that field.
  std::optional<uint64_t> FieldExpiresAt(std::string_view key, std::string_view field);
  // Sets the field's expiry (0: none). False and nothing changes when the
  // field is missing. A time already past ends the field now.
  Result<bool> SetFieldExpiry(std::string_view key, std::string_view field, uint64_t expires_at_millis);
  // Fields ExpireDue or a read found expired with a value.
  uint64_t expired_fields() const { return expired_fields_; }

  // ---- Reads. A key whose expiry has passed reads as missing; so does a
  // map field whose expiry passed: this non-const Find reclaims such fields
  // of the key first (lazy expiry, as Redis's), the const one does not.
  const AnyCrdt* Find(std::string_view key);
  const AnyCrdt* Find(std::string_view key) const;
  // The key's value and lifetime, also when it has no value or expired;
  // nullptr when this replica has no state for it.
  const AnyCrdt* FindState(std::string_view key, Lifetime* life) const;
  std::vector<std::string> Keys() const;  // sorted; not the expired ones
  // Keys held, as Redis's DBSIZE counts: with the expired ones whose value
  // was not reclaimed yet.
  size_t key_count() const { return keys_.size() - tombstones_; }
  // Visits up to `count` keys, in the order this replica first saw them,
  // from `cursor` (0: the first key). Returns the cursor to go on from, 0
  // after the last key. No key is visited twice in one pass; a key created
  // during a pass is visited by it.
  using KeyVisitor = std::function<void(const std::string& key, const AnyCrdt& value)>;
  size_t ScanKeys(size_t cursor, size_t count, const KeyVisitor& visit) const;

  // ---- Remote changes. Joins `delta` (a delta or a full state) sent by
  // `origin` with JoinKeyState: a delta of an older incarnation than the
  // key's changes nothing, a newer one replaces it; a delta of another type
  // than the key's is a type conflict with one deterministic winner in every
  // region (counted, reported once per key through on_type_conflict).
  // InvalidArgument for an empty key.
  Status ApplyRemote(std::string_view key, const AnyCrdt& delta, std::string_view origin, const Lifetime& life = {});
  // Moves the clock past a remote send time; false if it was clamped.
  bool ObserveClock(HlcTimestamp remote) { return clock_.Observe(remote, env_->WallMillis()); }
  HlcTimestamp Now() { return clock_.Now(env_->WallMillis()); }

  // ---- Durability. Writes everything changed since the last Commit in one
  // store batch: a key's whole state, or for a key of delta_commit_min_bytes
  // or more the join of its changes since the last commit (until those
  // reach half its size). Cost: in proportion to the changes, amortized.
  // On error nothing is acknowledged and the changes stay dirty.
  Status Commit();
  uint64_t local_writes() const { return local_writes_; }
  // Remote deltas that met a key of another type (see on_type_conflict).
  uint64_t type_conflicts() const { return type_conflicts_; }
  uint64_t committed_writes() const { return committed_writes_; }
  bool has_uncommitted() const {
    return !dirty_.empty() || meta_dirty_ || !generations_to_delete_.empty() || !forgotten_.empty();
  }

  // ---- Publishing (the Publisher's side of the outbox).
  struct Outgoing {
    uint64_t generation = 0;
    std::vector<KeyedDelta> deltas;  // by key
  };
  // Commits, then seals the open outbox generation and returns its deltas
  // (empty when there is nothing to send). Exactly one generation may be in
  // flight; call ConfirmPublished or ReturnUnpublished before the next Seal.
  Result<Outgoing> SealOutbox();
  // Every delta of `generation` was published: forget it (durably at the next Commit).
  void ConfirmPublished(uint64_t generation);
  // Publishing failed: fold the generation back into the open one.
  void ReturnUnpublished(uint64_t generation);
  size_t outbox_keys() const { return unsent_.size() + (sealed_ ? sealed_->deltas.size() : 0); }
  // The next envelope sequence number of this epoch. Every number is issued
  // once, also across crashes: the store holds a bound kSequenceLease ahead
  // (committing it here when the lease runs out: the only error). A clean
  // shutdown releases the lease (ReleaseSequenceLease, then Commit), so the
  // next run goes on without a gap.
  Result<uint64_t> NextSequence();
  void ReleaseSequenceLease();
  static constexpr uint64_t kSequenceLease = 4096;

  // ---- Anti-entropy support. Once TrackBuckets(B) was called, the replica
  // keeps, for each of B buckets (a key's bucket is fixed by its name), the
  // XOR of its keys' hashes of name, type and committed state: each Commit
  // updates the buckets of the keys it writes, so a digest costs O(B), not
  // O(keys). TrackBuckets itself is O(keys), once.
  void TrackBuckets(uint32_t bucket_count);
  // Hashes keys whose last commit logged a delta first (their state is
  // encoded once per digest, not once per commit).
  const std::vector<uint64_t>& BucketHashes();
  static uint32_t BucketOf(std::string_view key, uint32_t bucket_count);
  // Visits up to `max_visits` keys from `cursor` (0: the first, in ScanKeys'
  // order) and appends the full states of those in `bucket` to `out`,
  // except for keys with a local delta still to publish: their whole state
  // joins that delta instead, so it travels with the write (a transaction
  // is never seen in part). Returns the cursor to go on from, 0 at the end,
  // so the caller can let go of the lock between chunks.
  size_t StatesInBucket(uint32_t bucket, size_t cursor, size_t max_visits, std::vector<KeyedDelta>* out);

  // ---- Change events.
  int Subscribe(Listener listener);
  void Unsubscribe(int token);

 private:
  struct KeyedState {
    AnyCrdt delta;
    Lifetime life;
  };
  struct Entry {
    explicit Entry(AnyCrdt s) : state(std::move(s)) {}
    AnyCrdt state;
    // Boxed unless initial: most keys never had an expiry nor a delete, and
    // pay a pointer, not 32 bytes.
    BoxedUnlessDefault<Lifetime> life;
    // This key's delta in the open outbox generation, with the lifetime it
    // carries; on the heap, so that a key without one costs a pointer.
    std::unique_ptr<KeyedState> unsent;
    bool dirty : 1 = false;              // state (and unsent) not yet committed
    bool conflict_reported : 1 = false;  // on_type_conflict was called for this key
    bool tombstone : 1 = false;          // expired and reclaimed: only the lifetime is left
    bool hash_stale : 1 = false;         // committed by a delta: `hash` is older (stale_hashes_)
    bool field_expiry : 1 = false;       // in field_expiry_index_ (at field_expiry_at_'s time)
    uint32_t order = 0;                  // index in key_order_
    uint64_t hash = 0;  // StateHash of the committed state (0: never committed)
    // Size of the encoded state: `stored_bytes` is exact as of the last
    // whole-state Commit (or Restore, or a measurement by CheckWriteSize);
    // `written_bytes` is what local writes and logged deltas since then may
    // have added. Their sum bounds the state from above, except for remote
    // joins since the last commit (the subscriber commits those before
    // acking them).
    // (uint32_t: a state is at most kMaxStoredStateBytes, and CheckWriteSize
    // measures again before written_bytes passes max_state_bytes.)
    uint32_t stored_bytes = 0;
    uint32_t written_bytes = 0;
  };
  // Keys come from clients: a seeded hash, so they cannot be picked to
  // share a slot; lookups by string_view build no std::string. A Swiss
  // table of pointers to nodes (abseil): a node's address is stable, as
  // the indexes below need, and a lookup or insert touches the slot's
  // control bytes and the node, not a bucket and a chain.
  using KeyMap = absl::node_hash_map<std::string, Entry, SeededStringHash, std::equal_to<>>;
  using Node = KeyMap::value_type;  // stable address: only ExpireDue erases keys

  // One region's counter slots hold the total of everything it ever added
  // to a key (or, for a hash field, since the last reset it saw), so a run
  // of huge increments can exhaust them while the value itself stays in
  // range. Refused before the acknowledgement: a saturated slot would drop
  // part of the write (docs/redis.md, "Strings and counters").
  static constexpr const char* kLifetimeTotalError =
      "increment or decrement would overflow this region's running total of the key (see docs/redis.md)";

  Replica(ReplicaId id, Env* env, Store* store, ReplicaOptions options, StoreMeta meta);
  Status Restore();

  // Finds `key` or creates it as `type`. TypeMismatch if it exists with
  // another type (or, for maps, another kind).
  Result<Node*> NodeFor(std::string_view key, CrdtType type, std::optional<OrMapKind> map_kind = std::nullopt);
  Node& GetOrCreate(std::string_view key, CrdtType type);
  // The key's node if it has a state that has not expired, else nullptr.
  Node* LiveNode(std::string_view key);
  const Node* LiveNode(std::string_view key) const;
  bool Expired(const Entry& e) const;
  // For a write of `type`: the key's node, created if missing; a key whose
  // expiry passed starts its next incarnation as an empty `type`.
  Node& CreateForWrite(std::string_view key, CrdtType type);
  // Keeps expiry_index_ in step after the node's lifetime changed from
  // `old_expiry`.
  void IndexExpiry(Node& node, uint64_t old_expiry);
  void Forget(Node& node);
  // Keeps field_expiry_index_ in step with the node's map.
  void IndexFieldExpiry(Node& node);
  // Puts the node in forget_index_ at `when`, or takes it out.
  void ForgetAt(Node& node, uint64_t when);
  void DropForgetAt(Node& node);
  // Drops the node's map fields whose expiry passed (no delta: every
  // replica does so on its own clock) and forgets their lifetimes after the
  // retention. Returns how many fields lost a value.
  size_t ReclaimFields(Node& node);
  // Ends the node's revived incarnation (see replica_expiry.cc).
  void EndIncarnation(Node& node);
  // The fields of `delta`'s map lifetimes that expired here (with their
  // incarnation), before it is joined; then ends those the join revived.
  std::vector<std::pair<std::string, uint64_t>> ExpiredFieldsIn(Node& node, const AnyCrdt& delta) const;
  void EndRevivedFields(Node& node, const std::vector<std::pair<std::string, uint64_t>>& expired);
  // The node's whole state is written at the next Commit.
  void MarkDirty(Node& node);
  // The node changed by joining (delta, life) into it: a big key's next
  // Commit may log just the joined deltas (ReplicaOptions::delta_commit_min_bytes).
  void MarkDirtyBy(Node& node, const AnyCrdt& delta, const Lifetime& life);
  void MarkHashStale(Node& node);
  // Commit of a node dirty by deltas only: adds the joined deltas to the
  // batch, unless the key's logged deltas would reach half its size (then
  // false: the caller writes the whole state).
  bool LogDelta(Node& node, StoreBatch* batch);
  // The node's committed state hashes to `hash` now (Commit, Forget).
  void SetCommittedHash(Node& node, uint64_t hash);
  void AddUnsent(Node& node, const AnyCrdt& delta, const Lifetime& life);
  // Records a local delta that was already applied to the node's state,
  // with the lifetime `life` (default: the same incarnation, no expiry write).
  void RecordLocal(Node& node, AnyCrdt delta, bool value_changed, std::optional<Lifetime> life = std::nullopt);
  void Notify(const std::string& key, const AnyCrdt& state, const std::string& origin, bool local, bool changed = true,
              bool expired = false, bool fields_expired = false);
  template <typename T, typename F>
  Result<T*> MutateAs(std::string_view key, std::optional<OrMapKind> kind, F&& mutate);
  // Joins a remote or restored delta of any type into the node; counts and
  // reports a type conflict.
  bool JoinInto(Node& node, const AnyCrdt& delta, const Lifetime& life, std::string_view origin);
  Result<int64_t> IncrementString(Node& node, int64_t by);

  ReplicaId id_;
  std::string name_;
  Env* env_;
  Store* store_;
  ReplicaOptions options_;
  Hlc clock_;
  StoreMeta meta_;
  uint64_t sequence_bound_;  // the stored next_sequence: no number at or above it was issued
  bool meta_dirty_ = false;
  bool started_empty_ = false;

  KeyMap keys_;
  std::vector<const Node*> key_order_;  // creation order, for ScanKeys; nullptr for a forgotten key
  // Keys by expiry: (expires_at_millis, node) for every key with an expiry
  // that ExpireDue has not reclaimed; then tombstones by the time to forget them.
  std::set<std::pair<uint64_t, Node*>> expiry_index_;
  std::set<std::pair<uint64_t, Node*>> forget_index_;
  // Keys whose map has a field to reclaim (or a lifetime to forget), by when.
  std::set<std::pair<uint64_t, Node*>> field_expiry_index_;
  // Each node's time in forget_index_ and field_expiry_index_, to find its
  // entry there: few keys have one, so not a field of every Entry.
  absl::flat_hash_map<const Node*, uint64_t> forget_at_;
  absl::flat_hash_map<const Node*, uint64_t> field_expiry_at_;
  size_t tombstones_ = 0;
  std::vector<std::string> forgotten_;  // keys to delete from the store at the next Commit
  std::vector<Node*> dirty_;
  // Of the dirty keys, those whose changes since the last commit are all
  // joins: the join of those deltas (MarkDirtyBy).
  std::unordered_map<Node*, KeyedState> uncommitted_;
  // Bytes of deltas logged for a key since its whole state was last
  // written (only keys that have some).
  std::unordered_map<Node*, size_t> logged_delta_bytes_;
  std::vector<Node*> stale_hashes_;  // nodes with hash_stale set (or once set)
  std::vector<Node*> unsent_;
  uint32_t bucket_count_ = 0;  // 0 until TrackBuckets
  std::vector<uint64_t> bucket_hashes_;
  uint64_t open_generation_ = 1;
  std::optional<Outgoing> sealed_;
  std::set<uint64_t> generations_to_delete_;

  uint64_t local_writes_ = 0;
  uint64_t committed_writes_ = 0;
  uint64_t type_conflicts_ = 0;
  uint64_t expired_keys_ = 0;
  uint64_t expired_fields_ = 0;
  // added_bytes of the last CheckWriteSize, counted into the key's
  // written_bytes by the write that follows it (RecordLocal).
  size_t checked_bytes_ = 0;
  // The expiry WithExpiry gives the write it runs (RecordLocal).
  std::optional<uint64_t> pending_expiry_;

  int next_listener_ = 1;
  std::map<int, Listener> listeners_;
};

// Runs `mutate(T& state) -> {T delta, bool value_changed}` on the key's
// state of type T (a map of `kind`) and records the delta. Returns the state
// after the write.
template <typename T, typename F>
Result<T*> Replica::MutateAs(std::string_view key, std::optional<OrMapKind> kind, F&& mutate) {
  Result<Node*> node = NodeFor(key, T::kType, kind);
  if (!node.ok()) return node.status();
  T& state = std::get<T>((*node)->second.state);
  auto [delta, changed] = mutate(state);
  RecordLocal(**node, AnyCrdt(std::move(delta)), changed);
  if constexpr (std::is_same_v<T, OrMap>) IndexFieldExpiry(**node);
  return &state;
}

template <typename T, typename F>
Result<T*> Replica::Mutate(std::string_view key, size_t largest_unit, size_t added_bytes, F&& mutate) {
  RS_RETURN_IF_ERROR(CheckWriteSize(key, largest_unit, added_bytes));
  return MutateAs<T>(key, std::nullopt, std::forward<F>(mutate));
}

}  // namespace regionsync

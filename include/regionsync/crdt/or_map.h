// OrMap: observed-remove map from string keys to nested causal values, all of
// one kind per map (LWW registers, MV registers, flags, counters or sets). A
// map of LWW registers is also the Redis hash: a field may hold counter dots
// beside its register dots (IncrementRegister), and reads as the register
// plus the counter, as the Redis string type does (redis_string.h).
// Every nested value is a dot store under the map's single DotContext, so
// removing a key removes exactly the dots the remover had seen: no
// tombstones, and an update concurrent with a remove survives it alone (the
// key then holds only the unobserved update: "reset" semantics). A key is
// present iff its store holds a dot.
//
//   OrMap a(OrMapKind::kRegister), b;
//   b.Join(a.Assign(actor_a, "u1", ts, "online"));
//   OrMap removal = a.Remove("u1");                        // concurrent with:
//   OrMap update = b.Assign(actor_b, "u1", ts2, "away");
//   a.Join(update); b.Join(removal);   // both: Register("u1") == "away"
//
// A key (field) may expire (the Redis hash's HEXPIRE): it then has a
// Lifetime (lifetime.h) of its own, with the key-level rules. Its expiry is
// an LWW register; once the expiry passed, a reader drops the field's dots
// locally (ReclaimExpiredFields: they stay in the context, so it acts as an
// observed remove that sends nothing); the next write of the field starts
// its next incarnation (NextFieldIncarnation), and in every join a field's
// greater incarnation drops the dots of the lesser, so a late delta of an
// expired field never brings its contents back. Every delta that touches a
// field with an incarnation above 0 carries it.
//
// Cost: a key's dots live in a small sorted vector; a dot -> key index lets
// Join of a small delta touch only the keys the delta names or removes.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "regionsync/common/boxed.h"
#include "regionsync/common/hlc.h"
#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"
#include "regionsync/crdt/dot_context.h"
#include "regionsync/crdt/dot_fun.h"
#include "regionsync/crdt/lifetime.h"
#include "regionsync/crdt/removal_notes.h"

namespace regionsync {
namespace pb {
class OrMap;
}

// What every value of one OrMap is. Part of the wire format: never renumber.
enum class OrMapKind : uint8_t { kUnset = 0, kRegister = 1, kMvRegister = 2, kFlag = 3, kCounter = 4, kSet = 5 };

// The payload of one dot of an OrMap. Each kind uses some fields, the others
// stay zero/empty.
struct OrMapPayload {
  HlcTimestamp ts = 0;  // kRegister: the write's timestamp
  int64_t total = 0;    // kCounter, and kRegister counter dots: the actor's running total
  std::string bytes;    // kRegister / kMvRegister: the value; kSet: the element
  // kRegister only: a counter dot (total set; ts 0, bytes empty) rather
  // than a register write (ts and bytes set; total 0).
  bool counter = false;
  auto operator<=>(const OrMapPayload&) const = default;
};

class OrMap {
 public:
  static constexpr CrdtType kType = pb::OR_MAP;

  // kind kUnset: the bottom; joining adopts the other's kind.
  OrMap() = default;
  explicit OrMap(OrMapKind kind) : kind_(kind) {}

  OrMapKind kind() const { return kind_; }

  // Mutators apply to this map and return the delta. REQUIRES: kind() is the
  // mutator's kind or kUnset (then the map becomes that kind), actor != 0.
  // A mismatch asserts; in release it changes nothing and returns an empty
  // delta.

  // kRegister (LWW) or kMvRegister (ts ignored); on a kUnset map, kRegister.
  // Replaces every value of `key` this map holds (for kRegister also its
  // counter dots: an observed reset of the field's counter). For kRegister
  // the write is stamped max(ts, greatest timestamp of the key + 1), so a
  // write that saw another wins over it whatever the clocks say.
  OrMap Assign(ActorId actor, std::string_view key, HlcTimestamp ts, std::string value);
  // kFlag: enable-wins.
  OrMap Enable(ActorId actor, std::string_view key);
  OrMap Disable(std::string_view key);
  // kCounter: causal counter. The actor's own dot for `key` is replaced by
  // one carrying its new running total (saturating).
  OrMap Increment(ActorId actor, std::string_view key, int64_t by);
  // kRegister (on a kUnset map, kRegister): a counter field (Redis
  // HINCRBY). Like Increment, the actor's own counter dot of `key` is
  // replaced by one carrying its new running total; register dots stay.
  // The caller checks RegisterInteger() and OwnTotal() first: the running
  // total saturates.
  OrMap IncrementRegister(ActorId actor, std::string_view key, int64_t by);
  // kCounter, and kRegister's counter dots: `actor`'s own running total of
  // `key` (0 if none). It saturates, so a writer checks that adding its
  // increment to it does not overflow int64 before acknowledging: one
  // actor's increments of a field since the last reset it saw total at
  // most the int64 range, whatever the field reads.
  int64_t OwnTotal(ActorId actor, std::string_view key) const;
  // kSet: add-wins observed-remove set per key.
  OrMap AddElement(ActorId actor, std::string_view key, std::string_view element);
  OrMap RemoveElement(std::string_view key, std::string_view element);
  // Any kind: observed-remove of the whole entry.
  OrMap Remove(std::string_view key);

  bool Contains(std::string_view key) const;
  // Number of present keys.
  size_t size() const { return rep().entries_.size(); }
  // Present keys, sorted bytewise.
  std::vector<std::string> Keys() const;
  // kRegister: the field's value. Its base is the register write with the
  // greatest (timestamp, writer, value bytes) among concurrent writes; with
  // counter dots, the value is base + their sum in decimal when the base is
  // a strict Redis integer or absent, else the base as is. nullopt if absent.
  std::optional<std::string> Register(std::string_view key) const;
  // kRegister: the field's value as an integer: 0 if absent, nullopt when
  // the base is not a strict Redis integer (ParseRedisInteger). Base + sum
  // is clamped to the int64 range (reachable only by concurrent increments).
  std::optional<int64_t> RegisterInteger(std::string_view key) const;
  // kMvRegister and kSet: distinct values, sorted; empty if absent.
  std::vector<std::string> Values(std::string_view key) const;
  // kFlag: true iff present.
  bool Flag(std::string_view key) const { return Contains(key); }
  // kCounter: saturating sum of the actors' totals; 0 if absent.
  int64_t Counter(std::string_view key) const;

  // ---- Key expiry. The key's lifetime, or nullptr when it never had an
  // expiry nor a second incarnation.
  const Lifetime* FieldLife(std::string_view key) const;
  // Writes the key's expiry (0: none) after the one this map holds; returns
  // the delta (the lifetime alone). REQUIRES: actor != 0.
  OrMap SetFieldExpiry(ActorId actor, std::string_view key, HlcTimestamp clock_now, uint64_t expires_at_millis);
  // SetFieldExpiry(..., 0) when the key has an expiry, else an empty delta:
  // what HSET, HDEL and DEL do to a field's expiry.
  OrMap EndFieldExpiry(ActorId actor, std::string_view key, HlcTimestamp clock_now);
  // Local, no delta: drops the dots of every key whose expiry is at or
  // before `now_millis` (they stay in the context), and replaces the
  // lifetime of a key without dots whose expiry is at or before
  // `forget_before_millis` by its next incarnation without an expiry (a
  // small marker: a later write of the key, here or where the lifetime is
  // not forgotten yet, must outrank the expired incarnation; replicas that
  // forget at different times agree). Returns the keys whose dots it dropped.
  std::vector<std::string> ReclaimExpiredFields(uint64_t now_millis, uint64_t forget_before_millis);
  // The earliest expiry of a key that holds dots, or of a lifetime still
  // to forget (0: none).
  uint64_t NextFieldExpiry(uint64_t forget_after_millis) const;
  // Local, no delta: `key`'s expiry passed and its dots were reclaimed; the
  // next write of it starts incarnation + 1 (and its delta carries it).
  void NextFieldIncarnation(std::string_view key);
  // Keys with a lifetime, and the lifetimes.
  size_t field_lives() const { return rep().lives_.size(); }
  const std::map<std::string, Lifetime, std::less<>>& field_lifetimes() const { return rep().lives_; }

  const DotContext& context() const { return rep().context_; }
  // Number of live dots over all keys.
  size_t dot_count() const { return rep().dots_; }

  // Returns true iff the observable value (keys and their read values)
  // changed. Kinds: kUnset joins anything; joining two different set kinds
  // is a bug (asserts; in release *this stays unchanged).
  bool Join(const OrMap& other);

  // Pieces whose encodings are each <= max_encoded_bytes where possible. A
  // unit travels whole, in one piece: a field (for kSet, one element of a
  // field) with every dot of it the delta removed (RemovalNotes: a delta made
  // by this map's mutators knows them), or a run of the other removed dots;
  // a unit bigger than the limit gets a piece of its own. Each piece is a valid delta: its context holds the dots of
  // its own entries and removals, never dots of another piece's entries. Joining all pieces, in any order, equals
  // joining *this, and joining any subset reads, field by field, as before or as after the whole delta.
  std::vector<OrMap> SplitDelta(size_t max_encoded_bytes) const;

  std::string Encode() const;
  // InvalidArgument on malformed, non-canonical or hostile input.
  static Result<OrMap> Decode(std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);
  std::string ToJson() const;

  // Compares kind, context and entries (not the sender-side notes).
  bool operator==(const OrMap& other) const;

 private:
  using Store = DotFun<OrMapPayload>;
  using Entries = std::map<std::string, Store, std::less<>>;

  // Takes on `kind` if unset. False (after asserting) on a mismatch.
  bool AdoptKind(OrMapKind kind);
  // Removes the dots of `key` matching `pred` and adds a new dot of `actor`
  // carrying `payload`. Returns the delta.
  template <typename Pred>
  OrMap ReplaceDots(ActorId actor, std::string_view key, Pred pred, OrMapPayload payload);
  // Removes the dots of `key` matching `pred`. Returns the delta.
  template <typename Pred>
  OrMap RemoveDots(std::string_view key, Pred pred);
  static constexpr size_t kIndexFromDots = 32;
  // Counts a dot inserted into (removed from) `key`'s store, and keeps the
  // index in step once it is built.
  void IndexDot(const Dot& dot, const std::string& key);
  void UnindexDot(const Dot& dot);
  void EnsureIndex();
  // Inserts a dot into `key`'s store and the index (not the context).
  void InsertDot(std::string_view key, const Dot& dot, OrMapPayload payload);
  const Store* FindStore(std::string_view key) const;
  // Drops the key's dots (they stay in the context). True if it held some.
  bool DropDots(std::string_view key);
  // Step 0 of Join: the lifetimes of `other`; drops the dots of keys whose
  // incarnation grew. Adds to `stale` the keys `other` has a lifetime of an
  // older incarnation than ours for; for each key whose lifetime changed,
  // its store to `before` and its expiry to `expiry_before`.
  void JoinLives(const OrMap& other, std::vector<std::string_view>* stale,
                 std::map<std::string, Store, std::less<>>* before,
                 std::vector<std::pair<std::string_view, uint64_t>>* expiry_before);
  // The incarnation of `key` (0 without a lifetime).
  uint64_t IncarnationOf(std::string_view key) const;
  // Sets `key`'s lifetime (non-initial) and keeps due_ / ended_ in step.
  // Returns it.
  Lifetime& SetLife(std::string_view key, const Lifetime& life);
  // A key of `other` whose dots were dropped here at its expiry and that
  // holds dots again (a late delta of its incarnation): due again.
  void DueAgain(std::string_view key);
  // Whether two stores of one key read the same (both non-empty).
  bool SameRead(const Store& a, const Store& b) const;
  void ToProto(pb::OrMap* out) const;

  OrMapKind kind_ = OrMapKind::kUnset;
  // The rest of the state, on the heap: an empty map (most deltas, and
  // every key of another type in the keyspace's variant) costs one pointer.
  using ExpiryOrder = std::set<std::pair<uint64_t, std::string>>;
  using UnitKey = std::pair<std::string, std::string>;  // (field, element or "")
  struct Rep {
    DotContext context_;
    Entries entries_;  // only non-empty stores
    size_t dots_ = 0;  // live dots in entries_
    // Once built (indexed_): every live dot -> its key, derived from
    // entries_. Built when a join first probes a map of kIndexFromDots dots
    // or more (EnsureIndex), or when one that big is decoded: a small map is
    // scanned instead, and saves the index's ~100 bytes per field.
    bool indexed_ = false;
    std::unordered_map<Dot, std::string, DotHash> index_;
    // Keys with a lifetime other than the initial one (never written expiry,
    // incarnation 0). Changed only through SetLife.
    std::map<std::string, Lifetime, std::less<>> lives_;
    // Derived from lives_ (not encoded, not compared): the keys with an
    // expiry, by expiry, split into those whose dots are still to drop at the
    // expiry (`due_`) and those whose dots were dropped and whose lifetime is
    // to forget (`ended_`), so the next expiry is found in O(log n).
    ExpiryOrder due_, ended_;
    // In a delta made by the mutators: the removed dots of each field (for
    // kSet, of each field and element), for SplitDelta.
    RemovalNotes<UnitKey> removed_;
  };
  static const Rep& EmptyRep();
  const Rep& rep() const { return rep_ ? *rep_ : EmptyRep(); }
  Rep& rep() { return rep_.GetOrMake(); }
  Boxed<Rep> rep_;  // empty: no fields, context or lifetimes
};

static_assert(Crdt<OrMap>);

}  // namespace regionsync

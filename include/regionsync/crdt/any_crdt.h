// AnyCrdt: one value of any regionsync CRDT type, for the keyspace and the
// wire. Dispatches Join, Encode, Decode, SplitDelta and the JSON value form
// to the concrete type.
//
//   Result<AnyCrdt> delta = DecodeCrdt(pb::OR_SET, bytes);
//   if (delta.ok() && SameType(state, *delta)) JoinCrdt(state, *delta);
//   nlohmann::json v = ValueJson(state);   // ["a", "b"]
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "regionsync/crdt/ew_flag.h"
#include "regionsync/crdt/g_counter.h"
#include "regionsync/crdt/lww_register.h"
#include "regionsync/crdt/mv_register.h"
#include "regionsync/crdt/or_map.h"
#include "regionsync/crdt/or_set.h"
#include "regionsync/crdt/pn_counter.h"
#include "regionsync/crdt/redis_string.h"
#include "regionsync/crdt/sorted_set.h"

namespace regionsync {

using AnyCrdt =
    std::variant<GCounter, PnCounter, LwwRegister, MvRegister, OrSet, EwFlag, OrMap, RedisString, SortedSet>;

CrdtType TypeOf(const AnyCrdt& value);
// "g_counter", "pn_counter", "lww_register", "mv_register", "or_set", "ew_flag", "or_map", "string",
// "sorted_set".
const char* TypeName(CrdtType type);
// Inverse of TypeName; InvalidArgument for an unknown name.
Result<CrdtType> ParseTypeName(std::string_view name);

// The empty state of `type`. REQUIRES: type is one of the nine types.
AnyCrdt EmptyCrdt(CrdtType type);

// True if `delta` may be joined into `state`: same type, and for maps the same
// nested kind (or one of them unset).
bool SameType(const AnyCrdt& state, const AnyCrdt& delta);

// Joins `delta` into `state`. Returns true iff the observable value changed.
// REQUIRES: SameType(state, delta).
bool JoinCrdt(AnyCrdt& state, const AnyCrdt& delta);

// The join of a key's states whatever their types, so that a key created
// concurrently with two types converges to one deterministic winner:
//   - the same type (and map kind): JoinCrdt;
//   - lww_register, pn_counter and string are one family: both sides become
//     strings (RedisString::FromRegister / FromCounter keep their values)
//     and join, so nothing of either is lost;
//   - otherwise the greater rank wins whole and the other side is dropped:
//     the string family ranks first, then the greater CrdtType number, then
//     for two maps the greater OrMapKind.
// This is a lattice join (lexicographic on the rank): commutative,
// associative and idempotent. `conflict` is set when one side was dropped
// (a losing write) or when a register and a counter met.
struct TypedJoin {
  bool changed = false;   // the observable value (or type) changed
  bool conflict = false;  // a type conflict: count and log it
};
TypedJoin JoinAnyType(AnyCrdt& state, const AnyCrdt& delta);

// lww_register, pn_counter or string: the types a Redis string command accepts.
bool IsStringFamily(const AnyCrdt& value);
// True when JoinAnyType(a, b) keeps both sides: SameType, or both in the
// string family.
bool SameFamily(const AnyCrdt& a, const AnyCrdt& b);
// The state as a RedisString (unchanged if it is one). REQUIRES: IsStringFamily.
RedisString ToRedisString(const AnyCrdt& value);

std::string EncodeCrdt(const AnyCrdt& value);
// InvalidArgument for an unknown type or bytes the type's decoder rejects
// (also for more than `max_bytes`: kMaxStoredStateBytes for the store).
Result<AnyCrdt> DecodeCrdt(CrdtType type, std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);

// Pieces of `delta` whose encodings fit `max_encoded_bytes` where possible;
// joining all pieces equals joining `delta`. Small types return {delta}.
std::vector<AnyCrdt> SplitCrdt(const AnyCrdt& delta, size_t max_encoded_bytes);

// The user-facing value: a number for counters, a string or null for an LWW
// register, a sorted array for sets and MV registers, a bool for a flag, an
// object for a map (values by the map's kind), and for a sorted set an array
// of [member, score] pairs in rank order, a score as a JSON number, or as
// the string "inf" / "-inf" when infinite (JSON has no infinity).
nlohmann::json ValueJson(const AnyCrdt& value);

// False when the value reads as empty: a counter at 0, an unwritten or deleted
// register, an empty set, MV register or map, a disabled flag.
bool HasValue(const AnyCrdt& value);

// Observed remove of the whole value, applied to `state`; returns the delta.
// What a concurrent write keeps: counters subtract the value they observed
// (concurrent increments survive), registers write "no value" by
// last-writer-wins, MV registers, sets, maps and sorted sets remove the values
// and entries they observed (concurrent adds and increments win), flags
// disable (concurrent enables win).
// InvalidArgument for a grow-only counter, which cannot go down.
// REQUIRES: actor != 0.
Result<AnyCrdt> ClearCrdt(AnyCrdt& state, ActorId actor, HlcTimestamp clock_now);

}  // namespace regionsync

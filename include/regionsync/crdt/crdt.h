// What every regionsync CRDT is. A CRDT here is a value type with:
//   - mutators that take the acting replica's ActorId (and a timestamp where
//     one matters) and return a DELTA of the same type, already applied to
//     the object; joining that delta into another replica has the effect of
//     the mutation there;
//   - Join(other): the only merge. Commutative, associative, idempotent; never
//     fails. Returns true iff the observable value changed (so a duplicate
//     delivery returns false and fires no event);
//   - Encode(): canonical bytes (protobuf, deterministic field order), equal
//     for equal states; Decode(bytes) validates everything and returns
//     InvalidArgument for malformed, truncated, non-canonical or hostile input;
//   - ToJson(): the protobuf JSON form of the state, for debugging.
//
//   GCounter a, b;
//   GCounter delta = a.Increment(actor_a, 10);
//   b.Join(delta);             // b.Value() == 10
//   std::string bytes = b.Encode();
#pragma once

#include <concepts>
#include <string>
#include <string_view>

#include "regionsync/common/status.h"
#include "regionsync/crdt/dot.h"
#include "regionsync/proto/crdt_type.pb.h"

namespace regionsync {

using CrdtType = pb::CrdtType;

// Upper bound on decoded sizes, so hostile input cannot make a decoder
// allocate without bound: what Decode accepts by default. It is also the
// most a local write may grow one key to (--max-state-bytes).
inline constexpr size_t kMaxEncodedStateBytes = 64u << 20;
// What restore accepts from the replica's own store (Decode's max_bytes):
// a key that several regions grew at once may be larger than any one write
// could make it (up to one --max-state-bytes per writing region), and an
// acknowledged state must never keep a replica from starting. 1 GiB holds
// 64 regions growing one key to the 16 MiB default together, and stays
// below protobuf's 2 GiB message limit.
inline constexpr size_t kMaxStoredStateBytes = size_t{1} << 30;

template <typename T>
concept Crdt = std::regular<T> && requires(T a, const T& b, std::string_view bytes) {
  { T::kType } -> std::convertible_to<CrdtType>;
  { a.Join(b) } -> std::same_as<bool>;
  { b.Encode() } -> std::same_as<std::string>;
  { T::Decode(bytes) } -> std::same_as<Result<T>>;
  { b.ToJson() } -> std::same_as<std::string>;
};

}  // namespace regionsync

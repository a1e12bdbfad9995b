// How the Replica keeps a key's state (and its outbox delta) in a Store.
// A StoredValue's type is the CRDT type and its bytes the CRDT's encoding;
// a key whose lifetime is not the initial one (it has an expiry, or expired
// before) sets kLifetimeFlag in the type and prefixes the bytes with the
// lifetime's encoding and its length as one byte. Stores written before
// expiry existed read unchanged. Internal to src/sync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "regionsync/crdt/key_state.h"
#include "regionsync/store/store.h"

namespace regionsync {

inline constexpr int kLifetimeFlag = 1 << 16;

StoredValue ToStored(const AnyCrdt& value, const Lifetime& life);
// DataLoss-worthy input gives InvalidArgument (the caller names the key).
Result<KeyState> FromStored(const StoredValue& stored, size_t max_bytes);
// The same for a stored value's type and bytes wherever they are kept (a
// restore reads them into one buffer per batch of rows).
Result<KeyState> FromStored(CrdtType type, std::string_view bytes, size_t max_bytes);
// A committed key state's contribution to its anti-entropy bucket: XXH3 of
// name, type and encoded bytes (the key's length first, so ("ab", "c") and
// ("a", "bc") differ); the same in every process (replica_buckets.cc).
uint64_t StateHash(std::string_view key, const StoredValue& stored);
uint64_t StateHash(std::string_view key, CrdtType type, std::string_view bytes);

}  // namespace regionsync

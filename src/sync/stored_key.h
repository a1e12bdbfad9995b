// How the Replica keeps a key's state (and its outbox delta) in a Store.
// A StoredValue's type is the CRDT type and its bytes the CRDT's encoding;
// a key whose lifetime is not the initial one (it has an expiry, or expired
// before) sets kLifetimeFlag in the type and prefixes the bytes with the
// lifetime's encoding and its length as one byte. Stores written before
// expiry existed read unchanged. Internal to src/sync.
#pragma once

#include <cstddef>

#include "regionsync/crdt/key_state.h"
#include "regionsync/store/store.h"

namespace regionsync {

inline constexpr int kLifetimeFlag = 1 << 16;

StoredValue ToStored(const AnyCrdt& value, const Lifetime& life);
// DataLoss-worthy input gives InvalidArgument (the caller names the key).
Result<KeyState> FromStored(const StoredValue& stored, size_t max_bytes);

}  // namespace regionsync

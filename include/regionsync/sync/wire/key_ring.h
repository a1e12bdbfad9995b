// KeyRing: the shared secrets that sign and verify wire frames.
//
// Every frame is signed with HMAC-SHA256 under one key and names that key by
// id. A ring holds several keys so they can be rotated without downtime: add
// the new key everywhere, then make it active everywhere, then remove the old
// one. Frames are signed with the active key and verified with whichever key
// they name, as long as it is still in the ring.
//
//   Result<KeyRing> ring = KeyRing::Parse("k2:new-secret-0123456789,k1:old-secret-0123456789");
//   if (!ring.ok()) return ring.status();
//   const SigningKey* key = ring->active();  // "k2": the first key is active
//
// Secrets never appear in error messages or logs written by this class.
// A KeyRing is a value: not thread-safe for writes, safe to read concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "regionsync/common/status.h"

namespace regionsync {

struct SigningKey {
  std::string id;      // 1..kMaxKeyIdBytes characters of [A-Za-z0-9._-]
  std::string secret;  // at least kMinSecretBytes bytes, any bytes
};

class KeyRing {
 public:
  // Key ids travel in every frame and appear in logs and specs, so they are
  // short and printable. Their alphabet excludes 0x00/0x01, which keeps the
  // MAC input key_id || compressed byte || payload unambiguous.
  static constexpr size_t kMaxKeyIdBytes = 64;
  // 128 bits: below that HMAC-SHA256 is only as strong as the secret.
  static constexpr size_t kMinSecretBytes = 16;

  KeyRing() = default;

  // Parses "id1:secret1,id2:secret2,...". The first key is active. Each item
  // is split at its first ':', so a secret may contain ':' but not ','.
  // Whitespace around the whole spec and around each item is ignored (specs
  // often come from files with a trailing newline). Returns InvalidArgument
  // (naming the item, never the secret) for an empty spec, an item without
  // ':', or any key Add() rejects.
  static Result<KeyRing> Parse(std::string_view spec);

  // Adds a key for verification. The first key added becomes active.
  // Returns InvalidArgument for an id that is empty, longer than
  // kMaxKeyIdBytes or outside [A-Za-z0-9._-], a secret shorter than
  // kMinSecretBytes, or an id already in the ring.
  Status Add(SigningKey key);

  // Makes the key `id` the one that signs. Returns NotFound if it is not in
  // the ring.
  Status SetActive(std::string_view id);

  // Removes the key `id`: frames signed with it no longer verify. Returns
  // NotFound if it is not in the ring and InvalidArgument if it is the
  // active key (activate another one first).
  Status Remove(std::string_view id);

  // The signing key, or nullptr for an empty ring. The pointer is valid until
  // the next Add/Remove.
  const SigningKey* active() const;

  // The key named `id`, or nullptr. Valid until the next Add/Remove.
  const SigningKey* Find(std::string_view id) const;

  size_t size() const { return keys_.size(); }
  // The ids in the ring, in the order they were added.
  std::vector<std::string> ids() const;

 private:
  std::vector<SigningKey> keys_;
  std::string active_id_;  // empty iff keys_ is empty
};

}  // namespace regionsync

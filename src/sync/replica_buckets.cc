// Replica's anti-entropy support: bucket hashes kept by each Commit, and the
// states of one bucket's keys for a repair (replica.h, "Anti-entropy support").
#include <algorithm>
#include <cassert>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "regionsync/sync/replica.h"
#include "sync/stored_key.h"

namespace regionsync {

uint64_t StateHash(std::string_view key, const StoredValue& stored) {
  return StateHash(key, stored.type, stored.bytes);
}

uint64_t StateHash(std::string_view key, CrdtType type, std::string_view bytes) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  const uint64_t header[2] = {key.size(), static_cast<uint64_t>(type)};
  XXH3_64bits_update(&state, header, sizeof header);
  XXH3_64bits_update(&state, key.data(), key.size());
  XXH3_64bits_update(&state, bytes.data(), bytes.size());
  return XXH3_64bits_digest(&state);
}

uint32_t Replica::BucketOf(std::string_view key, uint32_t bucket_count) {
  // Stable across processes and machines (digests compare buckets).
  return static_cast<uint32_t>(XXH3_64bits(key.data(), key.size()) % bucket_count);
}

void Replica::TrackBuckets(uint32_t bucket_count) {
  assert(bucket_count > 0);
  bucket_count_ = bucket_count;
  bucket_hashes_.assign(bucket_count, 0);
  for (const Node& node : keys_) bucket_hashes_[BucketOf(node.first, bucket_count)] ^= node.second.hash;
}

const std::vector<uint64_t>& Replica::BucketHashes() {
  // A key committed by a delta hashes its whole state now (the same bytes
  // a whole-state commit would have written), unless it changed since its
  // commit: then the next commit decides.
  std::vector<Node*> still_stale;
  for (Node* node : stale_hashes_) {
    Entry& e = node->second;
    if (!e.hash_stale) continue;
    if (e.dirty) {
      still_stale.push_back(node);
      continue;
    }
    e.hash_stale = false;
    SetCommittedHash(*node, StateHash(node->first, ToStored(e.state, e.life.get())));
  }
  stale_hashes_ = std::move(still_stale);
  return bucket_hashes_;
}

void Replica::SetCommittedHash(Node& node, uint64_t hash) {
  if (bucket_count_ != 0) bucket_hashes_[BucketOf(node.first, bucket_count_)] ^= node.second.hash ^ hash;
  node.second.hash = hash;
}

size_t Replica::StatesInBucket(uint32_t bucket, size_t cursor, size_t max_visits, std::vector<KeyedDelta>* out) {
  assert(bucket_count_ != 0 && "StatesInBucket: call TrackBuckets first");
  const size_t end = std::min(key_order_.size(), cursor + max_visits);
  for (; cursor < end; ++cursor) {
    Node* node = const_cast<Node*>(key_order_[cursor]);
    if (node == nullptr || BucketOf(node->first, bucket_count_) != bucket) continue;
    if (node->second.unsent) {
      // A local write of the key is about to be published: the repair rides
      // in its delta (now the whole state), so it arrives with the rest of
      // that write and never before it (an EXEC seen in part elsewhere).
      AddUnsent(*node, node->second.state, node->second.life.get());
      continue;
    }
    out->push_back({node->first, node->second.state, node->second.life.get()});
  }
  return cursor < key_order_.size() ? cursor : 0;
}

}  // namespace regionsync

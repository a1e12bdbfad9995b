#include "regionsync/sync/anti_entropy.h"

namespace regionsync {

AntiEntropy::AntiEntropy(Replica* replica, Publisher* publisher, AntiEntropyOptions options)
    : replica_(replica), publisher_(publisher), options_(options) {}

Status AntiEntropy::PublishDigest() {
  pb::Envelope env;
  env.set_kind(pb::DIGEST);
  env.set_digest_buckets(options_.buckets);
  {
    ReplicaLock lock(replica_mu_);
    for (uint64_t h : replica_->BucketHashes(options_.buckets)) env.add_bucket_hashes(h);
    env.set_key_count(replica_->key_count());
  }
  RS_RETURN_IF_ERROR(publisher_->PublishEnvelope(std::move(env)));
  ++stats_.digests_sent;
  return Status::Ok();
}

void AntiEntropy::OnDigest(const pb::Envelope& digest) {
  ++stats_.digests_received;
  if (digest.digest_buckets() != options_.buckets ||
      digest.bucket_hashes_size() != static_cast<int>(options_.buckets)) {
    return;
  }
  std::vector<uint64_t> mine = replica_->BucketHashes(options_.buckets);
  for (uint32_t b = 0; b < options_.buckets; ++b) {
    if (mine[b] != digest.bucket_hashes(b) && mine[b] != 0) {
      // A bucket we hold nothing in cannot help the peer; its own digest
      // will make us receive its keys.
      if (requested_.insert(b).second) ++stats_.mismatched_buckets;
    }
  }
}

Status AntiEntropy::SendRequested() {
  for (;;) {
    uint32_t b = 0;
    std::vector<KeyedDelta> states;
    {
      ReplicaLock lock(replica_mu_);
      if (requested_.empty()) return Status::Ok();
      b = *requested_.begin();
      states = replica_->StatesInBucket(b, options_.buckets);
    }
    RS_RETURN_IF_ERROR(publisher_->PublishStates(states));
    ReplicaLock lock(replica_mu_);
    stats_.states_sent += states.size();
    requested_.erase(b);
  }
}

}  // namespace regionsync

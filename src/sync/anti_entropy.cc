#include "regionsync/sync/anti_entropy.h"

#include <algorithm>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace regionsync {

AntiEntropy::AntiEntropy(Replica* replica, Publisher* publisher, Env* env, AntiEntropyOptions options)
    : replica_(replica), publisher_(publisher), env_(env), options_(options), tracker_(options.gaps) {
  replica_->TrackBuckets(options_.buckets);
  if (replica_->started_empty()) catching_up_left_ = options_.catching_up_digests;
}

void AntiEntropy::OnEnvelope(const pb::Envelope& envelope) {
  const uint64_t now = env_->MonotonicMicros();
  tracker_.Observe({envelope.origin(), envelope.origin_epoch(), envelope.sequence(), envelope.data_count(),
                    envelope.resend_from(), envelope.run_start()},
                   now);
  if (envelope.kind() == pb::DIGEST) {
    ++stats_.digests_received;
    // A digest with another bucket count cannot be compared.
    if (envelope.digest_buckets() != options_.buckets) return;
    Digest& d = digests_[envelope.origin()];
    d.hashes.assign(envelope.bucket_hashes().begin(), envelope.bucket_hashes().end());
    d.settled_hash = envelope.settled_hash();
    d.catching_up = envelope.catching_up();
  } else if (envelope.kind() == pb::RESEND) {
    if (envelope.resend_origin() != replica_->id().name() || envelope.resend_epoch() != replica_->id().epoch()) return;
    uint64_t budget = options_.gaps.max_request_sequences;
    for (int i = 0; i + 1 < envelope.resend_ranges_size() && budget > 0; i += 2) {
      const uint64_t from = envelope.resend_ranges(i);
      if (envelope.resend_ranges(i + 1) < from) continue;
      const uint64_t to = std::min(envelope.resend_ranges(i + 1), from + budget - 1);
      resend_ranges_.emplace_back(from, to);
      budget -= to - from + 1;
    }
  }
}

uint64_t AntiEntropy::SettledHashNow() {
  if (replica_->outbox_keys() != 0 || replica_->has_uncommitted()) return 0;
  return tracker_.SettledHash(replica_->id().name(), replica_->id().epoch(), publisher_->data_count(),
                              env_->MonotonicMicros());
}

bool AntiEntropy::IsResponder(const std::string& sender, uint32_t bucket) {
  // Rendezvous hashing: every replica that hears the same live peers picks
  // the same one.
  auto score = [&](const std::string& name) {
    std::string input = sender + '\0' + name + '\0' + std::to_string(bucket);
    return XXH3_64bits(input.data(), input.size());
  };
  const std::string& self = replica_->id().name();
  const uint64_t mine = score(self);
  for (const std::string& peer : tracker_.LiveOrigins(env_->MonotonicMicros())) {
    if (peer == sender || peer == self) continue;
    const uint64_t theirs = score(peer);
    if (theirs > mine || (theirs == mine && peer < self)) return false;
  }
  return true;
}

void AntiEntropy::CompareDigests() {
  if (digests_.empty()) return;
  (void)replica_->Commit();  // the bucket hashes cover what was applied
  const uint64_t settled = SettledHashNow();
  const std::vector<uint64_t>& mine = replica_->BucketHashes();
  for (const auto& [sender, digest] : digests_) {
    const bool same_messages = settled != 0 && digest.settled_hash == settled;
    if (!same_messages && !digest.catching_up) {
      ++stats_.unsettled_digests;
      continue;
    }
    for (uint32_t b = 0; b < options_.buckets; ++b) {
      // A bucket we hold nothing in cannot help the peer; its own digest
      // will make us receive its keys.
      if (mine[b] == digest.hashes[b] || mine[b] == 0) continue;
      if (!same_messages && !IsResponder(sender, b)) continue;
      if (requested_.insert(b).second) ++stats_.mismatched_buckets;
    }
  }
  digests_.clear();
}

Status AntiEntropy::SendRequested() {
  const uint64_t now = env_->MonotonicMicros();
  std::vector<std::pair<uint64_t, uint64_t>> resend;
  std::vector<SequenceTracker::Request> gaps;
  {
    ReplicaLock lock(replica_mu_);
    resend.swap(resend_ranges_);
    gaps = tracker_.DueRequests(now);
    const uint64_t lost = tracker_.TakeLosses();
    if (lost > 0) {
      stats_.sequences_given_up += lost;
      catching_up_left_ = options_.catching_up_digests;
    }
    CompareDigests();
  }
  if (!resend.empty()) RS_RETURN_IF_ERROR(publisher_->Resend(resend, now));
  for (const SequenceTracker::Request& gap : gaps) {
    pb::Envelope request;
    request.set_kind(pb::RESEND);
    request.set_resend_origin(gap.origin);
    request.set_resend_epoch(gap.epoch);
    uint64_t sequences = 0;
    for (auto [from, to] : gap.ranges) {
      request.add_resend_ranges(from);
      request.add_resend_ranges(to);
      sequences += to - from + 1;
    }
    RS_RETURN_IF_ERROR(publisher_->PublishEnvelope(std::move(request)));
    ReplicaLock lock(replica_mu_);
    ++stats_.resend_requests;
    stats_.sequences_requested += sequences;
  }
  for (;;) {
    uint32_t b = 0;
    {
      ReplicaLock lock(replica_mu_);
      if (requested_.empty()) return Status::Ok();
      b = *requested_.begin();
    }
    RS_RETURN_IF_ERROR(SendBucket(b));
    ReplicaLock lock(replica_mu_);
    requested_.erase(b);
  }
}

Status AntiEntropy::SendBucket(uint32_t bucket) {
  size_t cursor = 0;
  do {
    std::vector<KeyedDelta> states;
    {
      ReplicaLock lock(replica_mu_);
      cursor = replica_->StatesInBucket(bucket, cursor, options_.keys_per_lock, &states);
    }
    if (!states.empty()) {
      std::sort(states.begin(), states.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
      RS_RETURN_IF_ERROR(publisher_->PublishStates(states));
      ReplicaLock lock(replica_mu_);
      stats_.states_sent += states.size();
    }
  } while (cursor != 0);
  return Status::Ok();
}

Status AntiEntropy::PublishDigest() {
  pb::Envelope env;
  env.set_kind(pb::DIGEST);
  env.set_digest_buckets(options_.buckets);
  {
    ReplicaLock lock(replica_mu_);
    (void)replica_->Commit();  // the bucket hashes cover every write so far
    for (uint64_t h : replica_->BucketHashes()) env.add_bucket_hashes(h);
    env.set_key_count(replica_->key_count());
    env.set_settled_hash(SettledHashNow());
    if (catching_up_left_ > 0) {
      env.set_catching_up(true);
      --catching_up_left_;
    }
  }
  RS_RETURN_IF_ERROR(publisher_->PublishEnvelope(std::move(env)));
  ReplicaLock lock(replica_mu_);
  ++stats_.digests_sent;
  return Status::Ok();
}

}  // namespace regionsync

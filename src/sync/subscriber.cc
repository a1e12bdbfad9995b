#include "regionsync/sync/subscriber.h"

#include "regionsync/sync/wire/frame.h"

namespace regionsync {

Subscriber::Subscriber(Replica* replica, Broker* broker, const KeyRing* keys, AntiEntropy* anti_entropy,
                       SubscriberOptions options)
    : replica_(replica), broker_(broker), keys_(keys), anti_entropy_(anti_entropy), options_(options) {}

void Subscriber::Error(const std::string& what) {
  if (error_sink_) error_sink_(what);
}

Result<size_t> Subscriber::PollOnce() {
  Result<std::vector<BrokerMessage>> batch = broker_->Receive(options_.batch_size);
  if (!batch.ok()) {
    ReplicaLock lock(replica_mu_);  // guards stats_, which status pages read under it
    ++stats_.receive_failures;
    return batch.status();
  }
  if (batch->empty()) return size_t{0};
  std::vector<const BrokerMessage*> to_ack, to_retry;
  Status committed;
  {
    ReplicaLock lock(replica_mu_);
    stats_.received += batch->size();
    for (const BrokerMessage& m : *batch) (Handle(m) ? to_ack : to_retry).push_back(&m);
    // Durable before acked: a crash after this commit and before the acks
    // only causes redelivery, which joins idempotently.
    committed = replica_->Commit();
    if (!committed.ok()) ++stats_.commit_failures;
  }
  if (Status s = committed; !s.ok()) {
    Error("commit failed, " + std::to_string(batch->size()) + " messages left for redelivery: " + s.ToString());
    for (const BrokerMessage& m : *batch) (void)broker_->ChangeVisibility(m.receipt, options_.retry_delay_micros);
    return batch->size();
  }
  for (const BrokerMessage* m : to_ack) {
    if (Status s = broker_->Ack(m->receipt); !s.ok()) Error("ack failed: " + s.ToString());
  }
  for (const BrokerMessage* m : to_retry) (void)broker_->ChangeVisibility(m->receipt, options_.retry_delay_micros);
  return batch->size();
}

bool Subscriber::Handle(const BrokerMessage& message) {
  Result<pb::Envelope> decoded = DecodeFrame(message.body, *keys_);
  if (!decoded.ok()) {
    ++stats_.rejected;
    Error("message " + message.message_id + " rejected (receive " + std::to_string(message.receive_count) +
          "): " + decoded.status().ToString());
    return false;
  }
  const pb::Envelope& env = *decoded;
  if (env.origin() == replica_->id().name() && env.origin_epoch() == replica_->id().epoch()) {
    ++stats_.own_skipped;
    return true;
  }
  // Every entry is decoded before anything changes: a message with one
  // undecodable entry is malformed as a whole, applies nothing and is not
  // acked, so the broker redelivers it and dead-letters it after its max
  // receive count (the sender's bug stays visible instead of silently
  // dropping that key's change).
  std::vector<AnyCrdt> deltas;
  std::vector<Lifetime> lives;
  const bool has_entries = env.kind() == pb::DELTA || env.kind() == pb::STATE;
  if (has_entries) {
    deltas.reserve(static_cast<size_t>(env.entries_size()));  // parsed entries: backed by the input
    lives.reserve(static_cast<size_t>(env.entries_size()));
    for (const pb::Entry& entry : env.entries()) {
      Result<Lifetime> life = Lifetime::Decode(entry.life());
      Result<AnyCrdt> delta = entry.key().empty() ? InvalidArgument("entry with an empty key")
                              : !life.ok()        ? life.status()
                                                  : DecodeCrdt(entry.type(), entry.delta());
      if (!delta.ok()) {
        ++stats_.rejected;
        Error("message " + message.message_id + " from " + env.origin() + " rejected (receive " +
              std::to_string(message.receive_count) + "): entry for key '" + entry.key() +
              "' is undecodable: " + delta.status().ToString());
        return false;
      }
      deltas.push_back(std::move(delta).value());
      lives.push_back(*life);
    }
  }
  if (!replica_->ObserveClock(env.hlc_time())) ++stats_.clock_clamped;
  PeerInfo& peer = peers_[env.origin()];
  if (peer.epoch != env.origin_epoch()) peer = PeerInfo{env.origin_epoch()};
  peer.last_sequence = std::max(peer.last_sequence, env.sequence());
  // Wall clocks are compared only for reporting lag, never for correctness.
  uint64_t now = 0;
  now = replica_->Now() >> 16;
  peer.last_heard_wall_millis = now;
  peer.lag_millis = static_cast<int64_t>(now) - static_cast<int64_t>(env.hlc_time() >> 16);
  ++peer.messages;

  if (anti_entropy_ != nullptr) anti_entropy_->OnEnvelope(env);
  if (!has_entries) {
    if (env.kind() == pb::DIGEST) ++stats_.digests;
    return true;
  }
  for (int i = 0; i < env.entries_size(); ++i) {
    // A key that holds another type is a type conflict the join resolves
    // (JoinAnyType); ApplyRemote fails only for what decoding already
    // refuses, so this is a guard: retrying cannot help, skip and ack.
    Status s = replica_->ApplyRemote(env.entries(i).key(), deltas[static_cast<size_t>(i)], env.origin(),
                                     lives[static_cast<size_t>(i)]);
    if (!s.ok()) {
      ++stats_.bad_entries;
      Error("entry from " + env.origin() + " skipped: " + s.ToString());
      continue;
    }
    ++stats_.applied_entries;
  }
  ++stats_.applied_messages;
  return true;
}

}  // namespace regionsync

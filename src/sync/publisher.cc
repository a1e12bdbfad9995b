#include "regionsync/sync/publisher.h"

#include <algorithm>

namespace regionsync {
namespace {

// Bytes an entry adds to an envelope beyond its key and delta: field tags,
// length prefixes (up to 5 bytes each) and the type; the lifetime, when
// there is one, adds its bytes and two.
constexpr size_t kEntryOverhead = 24;
// Envelope fields other than entries: version, kind, origin, epoch, sequence, time.
constexpr size_t kEnvelopeOverhead = 200;
// What a piece holding one unit adds to the unit's key, field and value: the
// CRDT's framing, the unit's dots and the removals it supersedes (a few
// bytes per actor that wrote the field; 2 KiB covers about a hundred).
constexpr size_t kUnitEncodingReserve = 2048;

std::string Printable(const std::string& key) {
  constexpr size_t kShown = 64;
  return key.size() <= kShown ? key : key.substr(0, kShown) + "...";
}

}  // namespace

Publisher::Publisher(Replica* replica, Broker* broker, const KeyRing* keys, PublisherOptions options)
    : replica_(replica), broker_(broker), keys_(keys), options_(options) {}

size_t Publisher::PayloadBudget(size_t max_message_bytes) {
  size_t max_payload = MaxPayloadBytesForFrameText(max_message_bytes);
  return max_payload > kEnvelopeOverhead ? max_payload - kEnvelopeOverhead : 0;
}

size_t Publisher::MaxUnitBytes(size_t max_message_bytes) {
  const size_t budget = PayloadBudget(max_message_bytes);
  return budget > kEntryOverhead + kUnitEncodingReserve ? budget - kEntryOverhead - kUnitEncodingReserve : 0;
}

Status Publisher::PublishEnvelope(pb::Envelope envelope) {
  uint64_t sequence = 0;
  {
    ReplicaLock lock(replica_mu_);
    Result<uint64_t> next = replica_->NextSequence();
    if (!next.ok()) return next.status();
    sequence = *next;
    envelope.set_version(kProtocolVersion);
    envelope.set_origin(replica_->id().name());
    envelope.set_origin_epoch(replica_->id().epoch());
    envelope.set_sequence(sequence);
    envelope.set_hlc_time(replica_->Now());
  }
  {
    std::lock_guard lock(sent_mu_);
    // Repair states are not counted: a repair in progress must not keep the
    // replicas it repairs from comparing (they would each be one STATE
    // behind the other's digest, round after round).
    if (envelope.kind() == pb::DELTA) ++data_count_;
    envelope.set_data_count(data_count_);
    envelope.set_resend_from(sent_.empty() ? sequence : sent_.front().sequence);
    if (run_start_ == 0) run_start_ = sequence;
    envelope.set_run_start(run_start_);
  }
  Result<std::string> text = EncodeFrame(envelope, *keys_, options_.frame);
  if (!text.ok()) return text.status();
  Status s = broker_->Publish(*text);
  std::lock_guard lock(sent_mu_);
  if (!s.ok()) {
    ++stats_.failures;
  } else {
    ++stats_.messages;
    stats_.bytes += text->size();
    stats_.entries += envelope.entries_size();
    (envelope.kind() == pb::DELTA    ? stats_.delta_bytes
     : envelope.kind() == pb::DIGEST ? stats_.digest_bytes
                                     : stats_.repair_bytes) += text->size();
  }
  sent_bytes_ += text->size();
  sent_.push_back({sequence, std::move(text).value()});
  while (sent_bytes_ > options_.resend_buffer_bytes && sent_.size() > 1) {
    sent_bytes_ -= sent_.front().text.size();
    sent_.pop_front();
  }
  return s;
}

Status Publisher::Resend(const std::vector<std::pair<uint64_t, uint64_t>>& ranges, uint64_t now_micros) {
  std::vector<std::string> texts;
  {
    std::lock_guard lock(sent_mu_);
    for (auto [from, to] : ranges) {
      if (to < from) continue;
      auto it = std::lower_bound(sent_.begin(), sent_.end(), from,
                                 [](const Sent& s, uint64_t seq) { return s.sequence < seq; });
      uint64_t found = 0;
      for (; it != sent_.end() && it->sequence <= to; ++it, ++found) {
        if (it->resent_at != 0 && now_micros < it->resent_at + options_.resend_quiet_micros) continue;
        it->resent_at = now_micros;
        texts.push_back(it->text);
      }
      stats_.resend_missed += (to - from + 1) - found;
    }
  }
  for (const std::string& text : texts) {
    Status s = broker_->Publish(text);
    std::lock_guard lock(sent_mu_);
    if (!s.ok()) {
      ++stats_.failures;
      return s;
    }
    ++stats_.resent;
    stats_.bytes += text.size();
    stats_.repair_bytes += text.size();
  }
  return Status::Ok();
}

uint64_t Publisher::data_count() const {
  std::lock_guard lock(sent_mu_);
  return data_count_;
}

Status Publisher::PublishEntries(pb::EnvelopeKind kind, const std::vector<KeyedDelta>& entries) {
  const size_t budget = PayloadBudget();
  pb::Envelope envelope;
  envelope.set_kind(kind);
  size_t used = 0;
  auto flush_envelope = [&]() -> Status {
    if (envelope.entries_size() == 0) return Status::Ok();
    Status s = PublishEnvelope(std::move(envelope));
    envelope = pb::Envelope();
    envelope.set_kind(kind);
    used = 0;
    return s;
  };
  for (const auto& [key, delta, life] : entries) {
    std::string bytes = EncodeCrdt(delta);
    const std::string life_bytes = life.Encode();
    const size_t overhead = kEntryOverhead + (life_bytes.empty() ? 0 : life_bytes.size() + 2);
    std::vector<std::string> pieces;
    if (bytes.size() + key.size() + overhead > budget) {
      std::lock_guard lock(sent_mu_);
      ++stats_.split_keys;
      size_t piece_budget = budget > key.size() + overhead ? budget - key.size() - overhead : 1;
      for (const AnyCrdt& piece : SplitCrdt(delta, piece_budget)) pieces.push_back(EncodeCrdt(piece));
    } else {
      pieces.push_back(std::move(bytes));
    }
    // One indivisible unit (a value with the removals it supersedes) over
    // the transport's limit cannot travel. Then none of the key's pieces
    // goes: a part could remove what the missing unit replaces. Failing the
    // flush instead would block every other key forever.
    size_t largest = 0;
    for (const std::string& piece : pieces) largest = std::max(largest, piece.size());
    if (largest + key.size() + overhead > budget) {
      {
        std::lock_guard lock(sent_mu_);
        ++stats_.oversize_entries;
        stats_.last_oversize_key = key;
      }
      if (error_sink_) {
        error_sink_("key '" + Printable(key) + "' not sent: a value of it encodes to " + std::to_string(largest) +
                    " bytes, over the " + std::to_string(budget) +
                    " a message can carry (written before the value size limit?); it stays local");
      }
      continue;
    }
    for (std::string& piece : pieces) {
      size_t size = piece.size() + key.size() + overhead;
      if (used + size > budget) RS_RETURN_IF_ERROR(flush_envelope());
      pb::Entry* e = envelope.add_entries();
      e->set_key(key);
      e->set_type(TypeOf(delta));
      e->set_delta(std::move(piece));
      if (!life_bytes.empty()) e->set_life(life_bytes);
      used += size;
    }
  }
  return flush_envelope();
}

Status Publisher::Flush() {
  Result<Replica::Outgoing> out = [&] {
    ReplicaLock lock(replica_mu_);
    return replica_->SealOutbox();
  }();
  if (!out.ok()) return out.status();
  if (out->deltas.empty()) return Status::Ok();
  {
    std::lock_guard lock(sent_mu_);
    ++stats_.flushes;
  }
  Status s;
  if (options_.full_state) {
    std::vector<KeyedDelta> states;
    {
      ReplicaLock lock(replica_mu_);
      for (const KeyedDelta& d : out->deltas) {
        Lifetime life;
        if (const AnyCrdt* state = replica_->FindState(d.key, &life)) states.push_back({d.key, *state, life});
      }
    }
    s = PublishEntries(pb::DELTA, states);
  } else {
    s = PublishEntries(pb::DELTA, out->deltas);
  }
  ReplicaLock lock(replica_mu_);
  if (s.ok()) {
    replica_->ConfirmPublished(out->generation);
  } else {
    replica_->ReturnUnpublished(out->generation);
  }
  return s;
}

Status Publisher::PublishStates(const std::vector<KeyedDelta>& entries) {
  // Nothing leaves a replica before it is durable: a crash would otherwise
  // lose local writes (and dots) that peers already hold, and the restarted
  // replica would reuse them.
  {
    ReplicaLock lock(replica_mu_);
    RS_RETURN_IF_ERROR(replica_->Commit());
  }
  return PublishEntries(pb::STATE, entries);
}

}  // namespace regionsync

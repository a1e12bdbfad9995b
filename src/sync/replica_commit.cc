// Replica's durable half: restoring from the store, marking keys dirty,
// Commit (whole states, or the deltas of big keys: ReplicaOptions::
// delta_commit_min_bytes), the outbox's generations and the leased
// sequence numbers (replica.h, "Durability" and "Publishing").
#include <algorithm>
#include <cassert>
#include <utility>

#include "regionsync/sync/replica.h"
#include "sync/state_reader.h"
#include "sync/stored_key.h"

namespace regionsync {

Status Replica::Restore() {
  if (size_t hint = store_->StateCountHint(); hint > 0) {
    keys_.reserve(hint);
    key_order_.reserve(hint);
  }
  Status decode_error;
  // Helper threads read and decode the states while this one inserts
  // those decoded before (state_reader.h).
  RS_RETURN_IF_ERROR(ReadStates(*store_, [&](std::vector<DecodedState>& batch) {
    for (DecodedState& row : batch) {
      if (!row.state.ok()) {
        decode_error = DataLoss("stored state of key '" + row.key + "': " + row.state.status().ToString());
        return false;
      }
      auto [it, inserted] = keys_.emplace(std::move(row.key), Entry(std::move(row.state->value)));
      if (inserted) {
        it->second.order = static_cast<uint32_t>(key_order_.size());
        key_order_.push_back(&*it);
      }
      it->second.life.set(row.state->life);
      it->second.stored_bytes = row.bytes;
      it->second.hash = row.hash;
      IndexExpiry(*it, 0);
      IndexFieldExpiry(*it);
    }
    return true;
  }));
  RS_RETURN_IF_ERROR(decode_error);
  // Deltas logged since a key's state was written (delta commits).
  RS_RETURN_IF_ERROR(store_->ForEachDelta([&](const std::string& key, const StoredValue& v) {
    Result<KeyState> delta = FromStored(v, kMaxStoredStateBytes);
    if (!delta.ok()) {
      decode_error = DataLoss("stored delta of key '" + key + "': " + delta.status().ToString());
      return;
    }
    Node& node = GetOrCreate(key, TypeOf(delta->value));
    uint64_t old_expiry = node.second.life.get().expires_at_millis();
    node.second.life.Update([&](Lifetime& l) { return JoinKeyState(node.second.state, l, delta->value, delta->life); });
    IndexExpiry(node, old_expiry);
    IndexFieldExpiry(node);
    logged_delta_bytes_[&node] += v.bytes.size();
    node.second.written_bytes += v.bytes.size();
    MarkHashStale(node);
  }));
  RS_RETURN_IF_ERROR(decode_error);
  // Every stored generation folds into one open generation: all of it is unsent.
  uint64_t max_generation = 0;
  RS_RETURN_IF_ERROR(store_->ForEachOutbox([&](uint64_t gen, const std::string& key, const StoredValue& v) {
    max_generation = std::max(max_generation, gen);
    generations_to_delete_.insert(gen);
    if (v.bytes.empty()) {
      // A marker (Commit): publish the key's whole state, which holds the
      // writes not yet published (an expiry too; nothing if the key is gone).
      if (auto it = keys_.find(key); it != keys_.end()) {
        AddUnsent(*it, it->second.state, it->second.life.get());
      }
      return;
    }
    // A delta, as stores written before markers hold.
    Result<KeyState> delta = FromStored(v, kMaxStoredStateBytes);
    if (!delta.ok()) {
      decode_error = DataLoss("stored outbox delta of key '" + key + "': " + delta.status().ToString());
      return;
    }
    Node& node = GetOrCreate(key, TypeOf(delta->value));
    // A no-op unless the state row was lost. A delta of another type lost a
    // type conflict after it was logged (or is a string-family member), or
    // of an older incarnation: the same join as for remote deltas decides,
    // so restore never fails on it.
    // Nor into a key of the delta's incarnation that expired: its value may
    // have been reclaimed after the delta was logged, and stays so.
    if (delta->life.incarnation() != node.second.life.get().incarnation() || !Expired(node.second)) {
      uint64_t old_expiry = node.second.life.get().expires_at_millis();
      node.second.life.Update([&](Lifetime& l) { return JoinKeyState(node.second.state, l, delta->value, delta->life); });
      IndexExpiry(node, old_expiry);
      IndexFieldExpiry(node);
    }
    if (SameFamily(node.second.state, delta->value) && delta->life.incarnation() == node.second.life.get().incarnation()) {
      AddUnsent(node, delta->value, delta->life);
    }
  }));
  RS_RETURN_IF_ERROR(decode_error);
  open_generation_ = max_generation + 1;
  return Status::Ok();
}

void Replica::MarkDirty(Node& node) {
  if (!node.second.dirty) {
    node.second.dirty = true;
    dirty_.push_back(&node);
  } else {
    uncommitted_.erase(&node);
  }
}

void Replica::MarkDirtyBy(Node& node, const AnyCrdt& delta, const Lifetime& life) {
  Entry& e = node.second;
  if (!e.dirty) {
    e.dirty = true;
    dirty_.push_back(&node);
    if (e.stored_bytes >= options_.delta_commit_min_bytes && e.stored_bytes > 0) {
      uncommitted_.emplace(&node, KeyedState{delta, life});
    }
    return;
  }
  // Already dirty: by deltas (join this one in), or wholly (nothing to do).
  if (auto it = uncommitted_.find(&node); it != uncommitted_.end()) {
    JoinKeyState(it->second.delta, it->second.life, delta, life);
  }
}

void Replica::MarkHashStale(Node& node) {
  if (!node.second.hash_stale) {
    node.second.hash_stale = true;
    stale_hashes_.push_back(&node);
  }
}

Status Replica::Commit() {
  if (!has_uncommitted()) {
    committed_writes_ = local_writes_;
    return Status::Ok();
  }
  StoreBatch batch;
  // The store keeps a bound a second ahead of the clock rather than the
  // clock itself, so most commits need not rewrite the meta row. A restarted
  // replica's clock starts at the bound: it never reissues a timestamp.
  if (meta_dirty_ || clock_.last() > meta_.last_hlc) {
    constexpr HlcTimestamp kClockLease = HlcFromMillis(1000);
    meta_.last_hlc = std::max(meta_.last_hlc, clock_.last() + kClockLease);
    batch.meta = meta_;
    batch.meta->next_sequence = std::max(meta_.next_sequence, sequence_bound_);
  }
  for (Node* node : dirty_) {
    Entry& e = node->second;
    if (!LogDelta(*node, &batch)) {
      StoredValue& stored = batch.put_state[node->first] = ToStored(e.state, e.life.get());
      e.stored_bytes = stored.bytes.size();
      e.written_bytes = 0;
      e.hash_stale = false;
      logged_delta_bytes_.erase(node);
      SetCommittedHash(*node, StateHash(node->first, stored));
    }
    // The outbox row says only that the key has local writes to publish (its
    // type, no bytes): encoding the pending delta at every commit would cost
    // in proportion to every write since the last flush. After a crash the
    // key's whole state, which holds those writes, is published instead.
    if (e.unsent) batch.put_outbox[{open_generation_, node->first}] = StoredValue{TypeOf(e.unsent->delta), {}};
  }
  batch.delete_outbox_generations = generations_to_delete_;
  batch.delete_state.insert(forgotten_.begin(), forgotten_.end());
  RS_RETURN_IF_ERROR(store_->Commit(batch));
  for (Node* node : dirty_) node->second.dirty = false;
  dirty_.clear();
  uncommitted_.clear();
  generations_to_delete_.clear();
  forgotten_.clear();
  meta_dirty_ = false;
  committed_writes_ = local_writes_;
  return Status::Ok();
}

bool Replica::LogDelta(Node& node, StoreBatch* batch) {
  auto it = uncommitted_.find(&node);
  if (it == uncommitted_.end()) return false;
  StoredValue delta = ToStored(it->second.delta, it->second.life);
  size_t& logged = logged_delta_bytes_[&node];
  if (logged + delta.bytes.size() > node.second.stored_bytes / 2) return false;  // rewrite the state instead
  logged += delta.bytes.size();
  // stored_bytes + written_bytes stays an upper bound of the state's size
  // (CheckWriteSize), also for deltas received.
  node.second.written_bytes += delta.bytes.size();
  MarkHashStale(node);
  batch->append_delta[node.first].push_back(std::move(delta));
  return true;
}

Result<Replica::Outgoing> Replica::SealOutbox() {
  assert(!sealed_ && "SealOutbox: a generation is still in flight");
  RS_RETURN_IF_ERROR(Commit());
  Outgoing out;
  out.generation = open_generation_;
  if (unsent_.empty()) return out;
  out.deltas.reserve(unsent_.size());
  for (Node* node : unsent_) {
    if (!node->second.unsent) continue;  // dropped by a type conflict (JoinInto)
    out.deltas.push_back(KeyedDelta{node->first, std::move(node->second.unsent->delta), node->second.unsent->life});
    node->second.unsent.reset();
  }
  unsent_.clear();
  std::sort(out.deltas.begin(), out.deltas.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  ++open_generation_;
  meta_dirty_ = true;
  sealed_ = out;
  return out;
}

void Replica::ConfirmPublished(uint64_t generation) {
  if (!sealed_ || sealed_->generation != generation) return;
  sealed_.reset();
  generations_to_delete_.insert(generation);
}

void Replica::ReturnUnpublished(uint64_t generation) {
  if (!sealed_ || sealed_->generation != generation) return;
  for (auto& [key, delta, life] : sealed_->deltas) {
    Node& node = GetOrCreate(key, TypeOf(delta));
    // A delta that lost a type conflict while in flight stays dropped, and
    // so does one of an incarnation that ended meanwhile.
    if (SameFamily(node.second.state, delta) && life.incarnation() == node.second.life.get().incarnation()) {
      AddUnsent(node, delta, life);
    }
  }
  sealed_.reset();
  generations_to_delete_.insert(generation);
}

Result<uint64_t> Replica::NextSequence() {
  if (meta_.next_sequence >= sequence_bound_) {
    // Sequences are leased like the clock: the store holds a bound, so a
    // restart after a crash never sends a number twice (a receiver would
    // take the second message for a duplicate in its gap tracking).
    sequence_bound_ = meta_.next_sequence + kSequenceLease;
    meta_dirty_ = true;
    RS_RETURN_IF_ERROR(Commit());
  }
  return meta_.next_sequence++;
}

void Replica::ReleaseSequenceLease() {
  sequence_bound_ = meta_.next_sequence;
  meta_dirty_ = true;
}

}  // namespace regionsync

#include "regionsync/sync/sync_node.h"

#include <chrono>

namespace regionsync {

SyncNode::SyncNode(Env* env, Store* store, Broker* broker, const KeyRing* keys, SyncOptions options)
    : env_(env), store_(store), broker_(broker), keys_(keys), options_(std::move(options)) {}

SyncNode::~SyncNode() {
  std::lock_guard gate(gate_->mu);  // waits for a running task
  gate_->open = false;
  for (TimerId id : {commit_timer_, flush_timer_, poll_timer_, ae_timer_, expire_timer_, renew_timer_}) env_->Cancel(id);
  running_ = false;
}

Status SyncNode::Start() {
  std::lock_guard lock(mu_);
  // What a write was acknowledged for must be able to travel.
  const size_t max_unit = Publisher::MaxUnitBytes(broker_->max_message_bytes());
  if (options_.replica.max_value_bytes > max_unit) {
    return InvalidArgument("max_value_bytes (" + std::to_string(options_.replica.max_value_bytes) +
                           ") is more than one transport message of " + std::to_string(broker_->max_message_bytes()) +
                           " bytes can carry (at most " + std::to_string(max_unit) + ")");
  }
  Result<std::unique_ptr<Replica>> r = Replica::Open(options_.name, env_, store_, options_.replica);
  if (!r.ok()) return r.status();
  replica_ = std::move(r).value();
  publisher_ = std::make_unique<Publisher>(replica_.get(), broker_, keys_, options_.publisher);
  publisher_->set_replica_mutex(&mu_);
  anti_entropy_ = std::make_unique<AntiEntropy>(replica_.get(), publisher_.get(), options_.anti_entropy);
  anti_entropy_->set_replica_mutex(&mu_);
  subscriber_ = std::make_unique<Subscriber>(replica_.get(), broker_, keys_, anti_entropy_.get(),
                                             options_.subscriber);
  subscriber_->set_replica_mutex(&mu_);
  if (options_.on_receive_error) subscriber_->set_error_sink(options_.on_receive_error);
  if (options_.on_publish_error) publisher_->set_error_sink(options_.on_publish_error);
  presence_ = std::make_unique<Presence>(replica_.get(), env_, options_.presence);
  running_ = true;
  Arm(&commit_timer_, options_.commit_interval_micros, &SyncNode::CommitTask);
  Arm(&flush_timer_, options_.flush_interval_micros, &SyncNode::FlushTask);
  Arm(&poll_timer_, options_.poll_interval_micros, &SyncNode::PollTask);
  Arm(&expire_timer_, options_.expire_interval_micros, &SyncNode::ExpireTask);
  Arm(&renew_timer_, options_.presence.renewal_interval_millis * 1000, &SyncNode::RenewTask);
  // Stagger the first anti-entropy round so replicas do not all send at once.
  Arm(&ae_timer_, options_.anti_entropy_interval_micros / 2 + env_->Uniform(options_.anti_entropy_interval_micros / 2 + 1),
      &SyncNode::AntiEntropyTask);
  return Status::Ok();
}

Status SyncNode::Stop() {
  std::lock_guard gate(gate_->mu);
  gate_->open = false;
  for (TimerId id : {commit_timer_, flush_timer_, poll_timer_, ae_timer_, expire_timer_, renew_timer_}) env_->Cancel(id);
  running_ = false;
  if (!replica_) return Status::Ok();
  {
    std::lock_guard lock(mu_);
    presence_->FlushRenewals();  // acknowledged with their new lease ends
    Status committed = replica_->Commit();
    committed_cv_.notify_all();
    RS_RETURN_IF_ERROR(committed);
  }
  return publisher_->Flush();
}

void SyncNode::Arm(TimerId* id, uint64_t interval, void (SyncNode::*task)()) {
  std::shared_ptr<TaskGate> gate = gate_;
  *id = env_->Schedule(interval, [this, gate, task] {
    std::lock_guard lock(gate->mu);
    if (!gate->open) return;
    (this->*task)();
  });
}

void SyncNode::CommitTask() {
  {
    std::lock_guard lock(mu_);
    // On failure the changes stay dirty and are retried next tick.
    if (replica_->Commit().ok()) committed_cv_.notify_all();
  }
  Arm(&commit_timer_, options_.commit_interval_micros, &SyncNode::CommitTask);
}

void SyncNode::FlushTask() {
  (void)publisher_->Flush();  // Unavailable: the outbox keeps the deltas
  Arm(&flush_timer_, options_.flush_interval_micros, &SyncNode::FlushTask);
}

void SyncNode::PollTask() {
  // Drain what is visible now; a batch of 0 or an error ends the round.
  for (int round = 0; round < 100; ++round) {
    Result<size_t> n = subscriber_->PollOnce();
    if (!n.ok() || *n == 0) break;
  }
  Arm(&poll_timer_, options_.poll_interval_micros, &SyncNode::PollTask);
}

void SyncNode::AntiEntropyTask() {
  if (anti_entropy_->SendRequested().ok()) (void)anti_entropy_->PublishDigest();
  Arm(&ae_timer_, options_.anti_entropy_interval_micros, &SyncNode::AntiEntropyTask);
}

void SyncNode::ExpireTask() {
  // Bounded work per tick, as Redis's active expire cycle: batches under the
  // lock (local writes interleave), for about 2 ms at most.
  const uint64_t start = env_->MonotonicMicros();
  for (;;) {
    size_t handled;
    {
      std::lock_guard lock(mu_);
      handled = replica_->ExpireDue(kExpireBatch);
    }
    if (handled < kExpireBatch || env_->MonotonicMicros() - start > 2000) break;
  }
  Arm(&expire_timer_, options_.expire_interval_micros, &SyncNode::ExpireTask);
}

void SyncNode::RenewTask() {
  {
    std::lock_guard lock(mu_);
    presence_->FlushRenewals();
  }
  Arm(&renew_timer_, options_.presence.renewal_interval_millis * 1000, &SyncNode::RenewTask);
}

Status SyncNode::WaitForCommit(uint64_t write, uint64_t timeout_micros) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout_micros);
  auto tick = std::chrono::microseconds(options_.commit_interval_micros);
  std::unique_lock lock(mu_);
  for (;;) {
    if (replica_->committed_writes() >= write) return Status::Ok();
    if (!running_) return Unavailable("the node stopped before the write was durable");
    if (std::chrono::steady_clock::now() >= deadline) {
      return Unavailable("write not durable after " + std::to_string(timeout_micros / 1000) + " ms");
    }
    // Commit now rather than at the next tick: writers that queue on the
    // lock meanwhile share the following commit (group commit without the
    // timer's latency). A failing store is retried once a tick.
    if (replica_->Commit().ok()) {
      committed_cv_.notify_all();
      continue;
    }
    committed_cv_.wait_for(lock, tick, [&] { return replica_->committed_writes() >= write; });
  }
}

Status SyncNode::CommitNow() {
  Status s = replica_->Commit();
  if (s.ok()) committed_cv_.notify_all();
  return s;
}

void SyncNode::RunOnce() {
  std::lock_guard gate(gate_->mu);
  {
    std::lock_guard lock(mu_);
    while (replica_->ExpireDue(kExpireBatch) == kExpireBatch) {
    }
    presence_->FlushRenewals();
    (void)replica_->Commit();
  }
  (void)publisher_->Flush();
  for (int round = 0; round < 100; ++round) {
    Result<size_t> n = subscriber_->PollOnce();
    if (!n.ok() || *n == 0) break;
  }
  (void)anti_entropy_->SendRequested();
}

}  // namespace regionsync

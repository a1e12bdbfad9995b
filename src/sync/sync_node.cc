#include "regionsync/sync/sync_node.h"

#include <chrono>

namespace regionsync {

SyncNode::SyncNode(Env* env, Store* store, Broker* broker, const KeyRing* keys, SyncOptions options)
    : env_(env), store_(store), broker_(broker), keys_(keys), options_(std::move(options)) {}

SyncNode::~SyncNode() { StopTasks(); }

void SyncNode::StopTasks() {
  {
    std::lock_guard gate(gate_->mu);  // waits for a task running on a timer
    gate_->open = false;
    for (Task& t : tasks_) env_->Cancel(t.timer);
  }
  {
    std::lock_guard lock(threads_mu_);
    stopping_ = true;
  }
  threads_cv_.notify_all();
  for (Task& t : tasks_) {
    if (t.thread.joinable()) t.thread.join();
  }
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
  anti_entropy_ = std::make_unique<AntiEntropy>(replica_.get(), publisher_.get(), env_, options_.anti_entropy);
  anti_entropy_->set_replica_mutex(&mu_);
  subscriber_ = std::make_unique<Subscriber>(replica_.get(), broker_, keys_, anti_entropy_.get(),
                                             options_.subscriber);
  subscriber_->set_replica_mutex(&mu_);
  if (options_.on_receive_error) subscriber_->set_error_sink(options_.on_receive_error);
  if (options_.on_publish_error) publisher_->set_error_sink(options_.on_publish_error);
  presence_ = std::make_unique<Presence>(replica_.get(), env_, options_.presence);
  running_ = true;
  tasks_.clear();
  tasks_.reserve(6);  // threads hold indices; never reallocated while they run
  tasks_.push_back({options_.commit_interval_micros, &SyncNode::CommitTask});
  tasks_.push_back({options_.flush_interval_micros, &SyncNode::FlushTask});
  tasks_.push_back({options_.poll_interval_micros, &SyncNode::PollTask});
  tasks_.push_back({options_.expire_interval_micros, &SyncNode::ExpireTask});
  tasks_.push_back({options_.presence.renewal_interval_millis * 1000, &SyncNode::RenewTask});
  tasks_.push_back({options_.anti_entropy_interval_micros, &SyncNode::AntiEntropyTask});
  for (size_t i = 0; i + 1 < tasks_.size(); ++i) StartTask(i, tasks_[i].interval_micros);
  // Stagger the first anti-entropy round so replicas do not all send at once.
  StartTask(tasks_.size() - 1, options_.anti_entropy_interval_micros / 2 +
                                   env_->Uniform(options_.anti_entropy_interval_micros / 2 + 1));
  return Status::Ok();
}

void SyncNode::StartTask(size_t i, uint64_t first_delay_micros) {
  if (options_.task_threads) {
    tasks_[i].thread = std::thread([this, i, first_delay_micros] { TaskLoop(i, first_delay_micros); });
  } else {
    Arm(i, first_delay_micros);
  }
}

void SyncNode::Arm(size_t i, uint64_t delay_micros) {
  std::shared_ptr<TaskGate> gate = gate_;
  tasks_[i].timer = env_->Schedule(delay_micros, [this, gate, i] {
    std::lock_guard lock(gate->mu);
    if (!gate->open) return;
    (this->*tasks_[i].run)();
    Arm(i, tasks_[i].interval_micros);
  });
}

void SyncNode::TaskLoop(size_t i, uint64_t first_delay_micros) {
  std::unique_lock lock(threads_mu_);
  for (uint64_t delay = first_delay_micros;; delay = tasks_[i].interval_micros) {
    if (threads_cv_.wait_for(lock, std::chrono::microseconds(delay), [this] { return stopping_; })) return;
    lock.unlock();
    (this->*tasks_[i].run)();
    lock.lock();
  }
}

Status SyncNode::Stop() {
  StopTasks();
  if (!replica_) return Status::Ok();
  {
    std::lock_guard lock(mu_);
    presence_->FlushRenewals();  // acknowledged with their new lease ends
    Status committed = replica_->Commit();
    committed_cv_.notify_all();
    RS_RETURN_IF_ERROR(committed);
  }
  Status flushed = publisher_->Flush();
  {
    // The next run goes on with the next sequence number: peers see no gap.
    std::lock_guard lock(mu_);
    replica_->ReleaseSequenceLease();
    Status committed = replica_->Commit();
    committed_cv_.notify_all();
    if (flushed.ok()) flushed = committed;
  }
  return flushed;
}

void SyncNode::CommitTask() {
  {
    std::lock_guard lock(mu_);
    // On failure the changes stay dirty and are retried next tick.
    if (replica_->Commit().ok()) committed_cv_.notify_all();
  }
}

void SyncNode::FlushTask() {
  (void)publisher_->Flush();  // Unavailable: the outbox keeps the deltas
}

void SyncNode::PollTask() {
  // Drain what is visible now; a batch of 0 or an error ends the round.
  for (int round = 0; round < 100; ++round) {
    Result<size_t> n = subscriber_->PollOnce();
    if (!n.ok() || *n == 0) break;
  }
}

void SyncNode::AntiEntropyTask() {
  if (anti_entropy_->SendRequested().ok()) (void)anti_entropy_->PublishDigest();
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
}

void SyncNode::RenewTask() {
  {
    std::lock_guard lock(mu_);
    presence_->FlushRenewals();
  }
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

// SyncNode: one running replica. Owns the Replica, Publisher, Subscriber and
// AntiEntropy of one replica and drives them from Env timers:
//   - commit every commit_interval (group commit: writes made within one
//     tick share one store batch and are acknowledged together),
//   - flush the outbox every flush_interval (default 50 ms),
//   - poll the queue every poll_interval,
//   - publish a digest and answer mismatches every anti_entropy_interval,
//   - reclaim expired keys every expire_interval (Replica::ExpireDue, in
//     batches of kExpireBatch keys under the lock, for at most ~2 ms a tick),
//   - write the held presence renewals every presence.renewal_interval
//     (Presence::FlushRenewals).
// The same code runs in the simulator (SimEnv: the Env's timers on one
// thread, in virtual time) and the daemon (RealEnv with task_threads: each
// task on a thread of its own, so that a slow publish, a long poll or a
// repair never waits for another and none of them holds up a commit; they
// share only the replica lock, which no broker call holds).
//
//   SyncNode node(env, store.get(), broker.get(), &keys, {.name = "us-east-1/a"});
//   RS_RETURN_IF_ERROR(node.Start());
//   node.replica().Increment("sessions", 1);
#pragma once

#include <memory>
#include <atomic>
#include <functional>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "regionsync/broker/broker.h"
#include "regionsync/common/env.h"
#include "regionsync/store/store.h"
#include "regionsync/sync/anti_entropy.h"
#include "regionsync/sync/presence.h"
#include "regionsync/sync/publisher.h"
#include "regionsync/sync/replica.h"
#include "regionsync/sync/subscriber.h"

namespace regionsync {

struct SyncOptions {
  std::string name;  // "<region>/<instance>"
  uint64_t commit_interval_micros = 10'000;
  uint64_t flush_interval_micros = 50'000;
  uint64_t poll_interval_micros = 10'000;
  uint64_t anti_entropy_interval_micros = 1'000'000;
  uint64_t expire_interval_micros = 100'000;
  ReplicaOptions replica;
  PublisherOptions publisher;
  SubscriberOptions subscriber;
  AntiEntropyOptions anti_entropy;
  PresenceOptions presence;
  // Told about every message the subscriber rejects or entry it skips, with
  // the reason (the daemon logs it). May be empty.
  std::function<void(const std::string&)> on_receive_error;
  // Told about every key the publisher withholds as too big for a message.
  // May be empty.
  std::function<void(const std::string&)> on_publish_error;
  // Each task on a thread of its own (see above) instead of the Env's
  // timers. Only with a real Env.
  bool task_threads = false;
};

class SyncNode {
 public:
  // Pointers must outlive the node.
  SyncNode(Env* env, Store* store, Broker* broker, const KeyRing* keys, SyncOptions options);
  ~SyncNode();

  // Opens the replica from the store and starts the timers. InvalidArgument
  // if options.replica.max_value_bytes is more than one message of the
  // broker can carry (Publisher::MaxUnitBytes).
  Status Start();
  // Cancels the timers, commits, and tries one last flush. The replica stays
  // readable. Returns the flush status (Unavailable: the outbox keeps it).
  Status Stop();
  bool running() const { return running_.load(); }

  // Runs one round of every task now (commit, flush, poll until empty, AE).
  void RunOnce();

  // For threaded use (RealEnv): returns once local write number `write`
  // (Replica::local_writes() right after the write) is durable, committing
  // now if no other thread's commit covered it yet (writers that queue
  // meanwhile share the next commit). Unavailable after `timeout_micros` or
  // if the node stopped. REQUIRES: the caller does not hold mutex().
  Status WaitForCommit(uint64_t write, uint64_t timeout_micros);
  // Commits now rather than at the next tick, and wakes WaitForCommit
  // callers: for a server that batches its own clients' writes (one commit
  // per batch of pipelined commands). REQUIRES: the caller holds mutex().
  Status CommitNow();

  Replica& replica() { return *replica_; }
  const Replica& replica() const { return *replica_; }
  const Publisher& publisher() const { return *publisher_; }
  const Subscriber& subscriber() const { return *subscriber_; }
  const AntiEntropy& anti_entropy() const { return *anti_entropy_; }
  // Presence leases over this replica's keys (use under mutex()).
  Presence& presence() { return *presence_; }
  // The replica's lock: held by every access to the replica (commit and poll
  // tasks, the publisher's and anti-entropy's replica work, and client calls
  // in the daemon). Broker calls of the flush and anti-entropy tasks run
  // without it, so local writes go on while the transport is slow or down.
  std::recursive_mutex& mutex() { return mu_; }

 private:
  struct Task {
    uint64_t interval_micros;
    void (SyncNode::*run)();
    TimerId timer = 0;
    std::thread thread;
  };
  // Runs task `i` every interval from `first_delay_micros` on: on the Env's
  // timers, or on its own thread (task_threads).
  void StartTask(size_t i, uint64_t first_delay_micros);
  void Arm(size_t i, uint64_t delay_micros);
  void TaskLoop(size_t i, uint64_t first_delay_micros);
  // Stops every task, waiting for one that is running.
  void StopTasks();
  void CommitTask();
  void FlushTask();
  void PollTask();
  void AntiEntropyTask();
  void ExpireTask();
  void RenewTask();
  // Keys one ExpireDue call handles while holding the replica's lock.
  static constexpr size_t kExpireBatch = 500;

  Env* env_;
  Store* store_;
  Broker* broker_;
  const KeyRing* keys_;
  SyncOptions options_;
  // Timer callbacks hold a reference to the gate: Stop() and the destructor
  // close it, after which no task starts, even one whose timer already fired.
  struct TaskGate {
    std::mutex mu;  // held while a task runs on the Env's timers: they never overlap
    bool open = true;
  };
  std::shared_ptr<TaskGate> gate_ = std::make_shared<TaskGate>();
  std::vector<Task> tasks_;
  std::mutex threads_mu_;  // task_threads: guards stopping_
  std::condition_variable threads_cv_;
  bool stopping_ = false;
  std::recursive_mutex mu_;
  std::condition_variable_any committed_cv_;
  std::atomic<bool> running_{false};
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<AntiEntropy> anti_entropy_;
  std::unique_ptr<Subscriber> subscriber_;
  std::unique_ptr<Presence> presence_;
};

}  // namespace regionsync

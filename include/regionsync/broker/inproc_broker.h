// InprocNetwork: an in-process SNS -> SQS look-alike for tests and the simulator.
//
// One topic, one queue per replica name. Faults (drop, duplicate, delay and
// hence reorder, partition, outage) can be switched at run time. Time and
// randomness come only from the Env, so with a SimEnv the same seed replays
// the same deliveries. Time is polled, never waited on: a delayed copy becomes
// visible once env->MonotonicMicros() reaches its due time, so a SimEnv test
// just advances the clock (RunFor) and receives again.
//
//   SimEnv env(/*seed=*/7);
//   InprocNetwork net(&env);
//   std::unique_ptr<Broker> a = net.Connect("us-east-1/a");
//   std::unique_ptr<Broker> b = net.Connect("eu-west-1/b");
//   net.SetFaults({.drop = 0.1, .duplicate = 0.1, .max_delay_micros = 50'000});
//   (void)a->Publish("delta");
//   env.RunFor(50'000);
//   auto got = b->Receive(10);  // zero, one or two copies of "delta"
//
// Semantics worth knowing (the SQS ones are deliberate look-alikes):
//  - Fan-out happens at publish time to the queues that exist then; a queue
//    created later does not see earlier messages.
//  - Per destination queue a copy is dropped with probability `drop`, or
//    delivered once more with probability `duplicate`; each copy gets its own
//    delay uniform in [min_delay_micros, max_delay_micros]. The copy to the
//    publisher's own queue is never dropped (nor partitioned); it may still be
//    duplicated and delayed.
//  - Partition groups apply at publish time; copies already queued stay. A
//    replica not named in any group belongs to one implicit group of all the
//    unnamed replicas.
//  - During an outage Publish, Receive, Ack and ChangeVisibility all return
//    Unavailable and change nothing; messages already queued wait for recovery
//    (an un-acked one therefore comes back, as it would with a failed SQS call).
//  - Receive returns visible messages ordered by visibility time, ties by
//    enqueue order. A message whose receive count would exceed
//    max_receive_count moves to the queue's dead-letter list instead
//    (max_receive_count == 0: never).
//  - Ack and ChangeVisibility with an unknown, malformed or stale receipt (the
//    message was received again since, or deleted) are OK no-ops. A receipt
//    stays valid after its visibility timeout ran out until the next receive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "regionsync/broker/broker.h"
#include "regionsync/common/env.h"

namespace regionsync {

struct InprocFaults {
  double drop = 0;       // probability a copy to a queue is lost
  double duplicate = 0;  // probability a delivered copy is delivered twice
  uint64_t min_delay_micros = 0, max_delay_micros = 0;  // REQUIRES: min <= max
  bool outage = false;   // the whole transport is down
  // Groups of replica names that cannot hear other groups; empty = fully connected.
  std::vector<std::vector<std::string>> partition = {};
};

struct InprocOptions {
  uint64_t visibility_timeout_micros = 30'000'000;
  uint32_t max_receive_count = 5;  // 0 = no dead-lettering
  size_t max_message_bytes = 256 * 1024;
};

// The topic + one queue per replica. Thread-safe (one mutex); brokers from
// Connect may be used from any thread and may outlive the network.
// REQUIRES: `env` outlives the network and every broker it handed out.
class InprocNetwork {
 public:
  explicit InprocNetwork(Env* env, InprocOptions options = {});
  ~InprocNetwork();
  InprocNetwork(const InprocNetwork&) = delete;
  InprocNetwork& operator=(const InprocNetwork&) = delete;

  // Creates the replica's queue (subscribed to the topic from now on). A second
  // Connect with the same name attaches to the same queue (a restarted replica
  // finds its backlog).
  std::unique_ptr<Broker> Connect(const std::string& replica_name);

  // Switchable at run time; apply to messages published from now on (outage
  // applies to every call from now on).
  void SetFaults(const InprocFaults& faults);
  InprocFaults faults() const;
  // Shortcuts that change only the partition / outage part of the faults.
  void Partition(std::vector<std::vector<std::string>> groups);
  void Heal();
  void SetOutage(bool down);

  struct Stats {
    uint64_t published = 0;         // successful Publish calls
    uint64_t delivered_copies = 0;  // copies enqueued, duplicates included
    uint64_t dropped = 0;           // copies lost to `drop`
    uint64_t duplicated = 0;        // extra copies from `duplicate`
    uint64_t partitioned = 0;       // copies lost to a partition
    uint64_t dead_lettered = 0;     // messages moved to a dead-letter list
    uint64_t bytes_published = 0;   // body bytes of successful Publish calls
    uint64_t publish_failures = 0;  // Publish calls refused (outage or oversize)
  };
  Stats stats() const;

  // Messages in the queue: visible + delayed + in flight. 0 for an unknown name.
  size_t QueueDepth(const std::string& replica_name) const;
  // Messages that exceeded max_receive_count, oldest first (receipt empty).
  std::vector<BrokerMessage> DeadLetters(const std::string& replica_name) const;
  // True when no message anywhere is visible, delayed or in flight.
  bool Idle() const;

  struct Core;  // shared with the brokers; defined in inproc_broker.cc

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace regionsync

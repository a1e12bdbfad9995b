// Broker: the transport seam between replicas, shaped like AWS SNS -> SQS.
//
// Publishing sends bytes to a fan-out topic; every replica has its own queue
// subscribed to the topic (the publisher's own queue too). A replica receives
// from its queue, and a received message stays hidden for a visibility timeout:
// Ack deletes it, otherwise it comes back and is received again. Delivery is
// at-least-once and unordered, so callers must treat duplicates and reordering
// as normal (CRDT joins make both harmless).
//
//   RS_RETURN_IF_ERROR(broker->Publish(encoded_batch));
//   Result<std::vector<BrokerMessage>> got = broker->Receive(10);
//   if (!got.ok()) return got.status();           // Unavailable: retry later
//   for (const BrokerMessage& m : *got) {
//     if (Apply(m.body).ok()) (void)broker->Ack(m.receipt);  // only once durable
//     else (void)broker->ChangeVisibility(m.receipt, 1'000'000);
//   }
//
// Implementations: InprocNetwork (broker/inproc_broker.h) with fault injection,
// SNS/SQS, later NATS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "regionsync/common/status.h"

namespace regionsync {

struct BrokerMessage {
  std::string message_id;      // unique per delivered copy's original publish (duplicates share it)
  std::string receipt;         // handle for Ack / ChangeVisibility of this delivery
  std::string body;            // the bytes published
  uint32_t receive_count = 0;  // how many times this message was received from the queue, including this time
};

// One replica's connection to the transport. Implementations say whether they
// are thread-safe; InprocNetwork's brokers are.
class Broker {
 public:
  virtual ~Broker() = default;
  // Publishes to the fan-out: every subscribed queue (including the publisher's own) gets a copy.
  // Unavailable when the transport is down (the caller keeps the data and retries); ResourceExhausted when body is larger than max_message_bytes().
  virtual Status Publish(std::string_view body) = 0;
  // Up to max_messages visible messages from this replica's queue; they become invisible for the visibility timeout.
  // May return fewer or none. Unavailable when the transport is down. (Inproc never blocks; SQS will long-poll.)
  virtual Result<std::vector<BrokerMessage>> Receive(size_t max_messages) = 0;
  // Deletes a received message. Acking an unknown or stale receipt is OK (no-op).
  virtual Status Ack(const std::string& receipt) = 0;
  // Makes a received message visible again after `delay_micros` (0 = now), e.g. after a failed apply.
  virtual Status ChangeVisibility(const std::string& receipt, uint64_t delay_micros) = 0;
  virtual size_t max_message_bytes() const = 0;
};

}  // namespace regionsync

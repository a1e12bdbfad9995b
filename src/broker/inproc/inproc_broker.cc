#include "regionsync/broker/inproc_broker.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <map>
#include <mutex>
#include <set>
#include <utility>

namespace regionsync {

namespace {

// One copy of a published message sitting in one queue.
struct QueuedCopy {
  std::string message_id;
  std::shared_ptr<const std::string> body;  // shared by every copy of a publish
  uint32_t receive_count = 0;
  uint64_t generation = 0;  // bumped on every receive; stale receipts carry an older one
  uint64_t visible_at = 0;  // monotonic micros
};

// A copy is keyed by its enqueue sequence number, unique across the network,
// so a receipt names exactly one copy and a receipt from another queue can
// never match.
struct Queue {
  std::map<uint64_t, QueuedCopy> copies;
  // (visible_at, seq): Receive order; ties broken by enqueue order.
  std::set<std::pair<uint64_t, uint64_t>> by_visibility;
  std::vector<BrokerMessage> dead_letters;
};

std::string MakeReceipt(uint64_t seq, uint64_t generation) {
  return "r" + std::to_string(seq) + "." + std::to_string(generation);
}

// False for anything that is not "r<seq>.<generation>".
bool ParseReceipt(const std::string& receipt, uint64_t* seq, uint64_t* generation) {
  const char* p = receipt.data();
  const char* end = p + receipt.size();
  if (p == end || *p != 'r') return false;
  auto [after_seq, ec1] = std::from_chars(p + 1, end, *seq);
  if (ec1 != std::errc() || after_seq == end || *after_seq != '.') return false;
  auto [after_gen, ec2] = std::from_chars(after_seq + 1, end, *generation);
  return ec2 == std::errc() && after_gen == end;
}

}  // namespace

struct InprocNetwork::Core {
  Core(Env* e, InprocOptions o) : env(e), options(o) {}

  Env* const env;
  const InprocOptions options;

  mutable std::mutex mu;
  InprocFaults faults;
  Stats stats;
  uint64_t next_message_id = 1;
  uint64_t next_seq = 1;
  std::map<std::string, Queue> queues;  // ordered: fan-out draws randomness in name order

  // REQUIRES: mu held.
  bool SameSide(const std::string& a, const std::string& b) const {
    if (faults.partition.empty() || a == b) return true;
    auto group_of = [&](const std::string& name) -> int {
      for (size_t i = 0; i < faults.partition.size(); ++i) {
        const auto& g = faults.partition[i];
        if (std::find(g.begin(), g.end(), name) != g.end()) return static_cast<int>(i);
      }
      return -1;  // the implicit group of everyone not named
    };
    return group_of(a) == group_of(b);
  }

  // REQUIRES: mu held.
  uint64_t DrawDelay() {
    uint64_t lo = faults.min_delay_micros;
    uint64_t hi = std::max(faults.min_delay_micros, faults.max_delay_micros);
    if (hi == lo) return lo;
    uint64_t span = hi - lo + 1;
    return lo + (span == 0 ? env->Random64() : env->Uniform(span));
  }

  // REQUIRES: mu held.
  void Enqueue(Queue& q, const std::string& message_id,
               const std::shared_ptr<const std::string>& body, uint64_t now) {
    uint64_t seq = next_seq++;
    uint64_t visible_at = now + DrawDelay();
    q.copies.emplace(seq, QueuedCopy{message_id, body, 0, 0, visible_at});
    q.by_visibility.emplace(visible_at, seq);
    ++stats.delivered_copies;
  }

  Status Publish(const std::string& from, std::string_view body) {
    std::lock_guard lock(mu);
    if (faults.outage) {
      ++stats.publish_failures;
      return Unavailable("inproc broker: transport is down");
    }
    if (body.size() > options.max_message_bytes) {
      ++stats.publish_failures;
      return ResourceExhausted("inproc broker: message of " + std::to_string(body.size()) +
                               " bytes exceeds the limit of " +
                               std::to_string(options.max_message_bytes));
    }
    ++stats.published;
    stats.bytes_published += body.size();
    std::string message_id = "m" + std::to_string(next_message_id++);
    auto shared_body = std::make_shared<const std::string>(body);
    uint64_t now = env->MonotonicMicros();
    for (auto& [name, queue] : queues) {
      bool own = name == from;
      if (!SameSide(from, name)) {
        ++stats.partitioned;
        continue;
      }
      if (!own && env->Chance(faults.drop)) {
        ++stats.dropped;
        continue;
      }
      Enqueue(queue, message_id, shared_body, now);
      if (env->Chance(faults.duplicate)) {
        ++stats.duplicated;
        Enqueue(queue, message_id, shared_body, now);
      }
    }
    return Status::Ok();
  }

  Result<std::vector<BrokerMessage>> Receive(const std::string& name, size_t max_messages) {
    std::lock_guard lock(mu);
    if (faults.outage) return Unavailable("inproc broker: transport is down");
    Queue& q = queues.at(name);
    uint64_t now = env->MonotonicMicros();
    std::vector<BrokerMessage> out;
    // Re-hidden copies are re-indexed only after the scan, so a zero visibility
    // timeout cannot make the scan see the same copy twice.
    std::vector<std::pair<uint64_t, uint64_t>> rehidden;
    while (out.size() < max_messages && !q.by_visibility.empty() &&
           q.by_visibility.begin()->first <= now) {
      uint64_t seq = q.by_visibility.begin()->second;
      q.by_visibility.erase(q.by_visibility.begin());
      auto it = q.copies.find(seq);
      assert(it != q.copies.end());
      QueuedCopy& c = it->second;
      if (options.max_receive_count != 0 && c.receive_count >= options.max_receive_count) {
        q.dead_letters.push_back(BrokerMessage{c.message_id, "", *c.body, c.receive_count});
        q.copies.erase(it);
        ++stats.dead_lettered;
        continue;
      }
      ++c.receive_count;
      ++c.generation;
      c.visible_at = now + options.visibility_timeout_micros;
      rehidden.emplace_back(c.visible_at, seq);
      out.push_back(BrokerMessage{c.message_id, MakeReceipt(seq, c.generation), *c.body,
                                  c.receive_count});
    }
    for (const auto& key : rehidden) q.by_visibility.insert(key);
    return out;
  }

  // The copy a receipt names in `name`'s queue, or nullptr when unknown/stale.
  // REQUIRES: mu held.
  std::pair<Queue*, std::map<uint64_t, QueuedCopy>::iterator> Find(const std::string& name,
                                                                   const std::string& receipt) {
    uint64_t seq = 0, generation = 0;
    Queue& q = queues.at(name);
    if (!ParseReceipt(receipt, &seq, &generation)) return {nullptr, q.copies.end()};
    auto it = q.copies.find(seq);
    if (it == q.copies.end() || it->second.generation != generation) {
      return {nullptr, q.copies.end()};
    }
    return {&q, it};
  }

  Status Ack(const std::string& name, const std::string& receipt) {
    std::lock_guard lock(mu);
    if (faults.outage) return Unavailable("inproc broker: transport is down");
    auto [q, it] = Find(name, receipt);
    if (q == nullptr) return Status::Ok();
    q->by_visibility.erase({it->second.visible_at, it->first});
    q->copies.erase(it);
    return Status::Ok();
  }

  Status ChangeVisibility(const std::string& name, const std::string& receipt,
                          uint64_t delay_micros) {
    std::lock_guard lock(mu);
    if (faults.outage) return Unavailable("inproc broker: transport is down");
    auto [q, it] = Find(name, receipt);
    if (q == nullptr) return Status::Ok();
    QueuedCopy& c = it->second;
    q->by_visibility.erase({c.visible_at, it->first});
    c.visible_at = env->MonotonicMicros() + delay_micros;
    q->by_visibility.emplace(c.visible_at, it->first);
    return Status::Ok();
  }
};

namespace {

class InprocBroker final : public Broker {
 public:
  InprocBroker(std::shared_ptr<InprocNetwork::Core> core, std::string name)
      : core_(std::move(core)), name_(std::move(name)) {}

  Status Publish(std::string_view body) override { return core_->Publish(name_, body); }
  Result<std::vector<BrokerMessage>> Receive(size_t max_messages) override {
    return core_->Receive(name_, max_messages);
  }
  Status Ack(const std::string& receipt) override { return core_->Ack(name_, receipt); }
  Status ChangeVisibility(const std::string& receipt, uint64_t delay_micros) override {
    return core_->ChangeVisibility(name_, receipt, delay_micros);
  }
  size_t max_message_bytes() const override { return core_->options.max_message_bytes; }

 private:
  std::shared_ptr<InprocNetwork::Core> core_;
  std::string name_;
};

}  // namespace

InprocNetwork::InprocNetwork(Env* env, InprocOptions options)
    : core_(std::make_shared<Core>(env, options)) {
  assert(env != nullptr);
}

InprocNetwork::~InprocNetwork() = default;

std::unique_ptr<Broker> InprocNetwork::Connect(const std::string& replica_name) {
  {
    std::lock_guard lock(core_->mu);
    core_->queues.try_emplace(replica_name);
  }
  return std::make_unique<InprocBroker>(core_, replica_name);
}

void InprocNetwork::SetFaults(const InprocFaults& faults) {
  assert(faults.min_delay_micros <= faults.max_delay_micros);
  assert(faults.drop >= 0 && faults.drop <= 1);
  assert(faults.duplicate >= 0 && faults.duplicate <= 1);
  std::lock_guard lock(core_->mu);
  core_->faults = faults;
}

InprocFaults InprocNetwork::faults() const {
  std::lock_guard lock(core_->mu);
  return core_->faults;
}

void InprocNetwork::Partition(std::vector<std::vector<std::string>> groups) {
  std::lock_guard lock(core_->mu);
  core_->faults.partition = std::move(groups);
}

void InprocNetwork::Heal() { Partition({}); }

void InprocNetwork::SetOutage(bool down) {
  std::lock_guard lock(core_->mu);
  core_->faults.outage = down;
}

InprocNetwork::Stats InprocNetwork::stats() const {
  std::lock_guard lock(core_->mu);
  return core_->stats;
}

size_t InprocNetwork::QueueDepth(const std::string& replica_name) const {
  std::lock_guard lock(core_->mu);
  auto it = core_->queues.find(replica_name);
  return it == core_->queues.end() ? 0 : it->second.copies.size();
}

std::vector<BrokerMessage> InprocNetwork::DeadLetters(const std::string& replica_name) const {
  std::lock_guard lock(core_->mu);
  auto it = core_->queues.find(replica_name);
  return it == core_->queues.end() ? std::vector<BrokerMessage>{} : it->second.dead_letters;
}

bool InprocNetwork::Idle() const {
  std::lock_guard lock(core_->mu);
  for (const auto& [name, queue] : core_->queues) {
    if (!queue.copies.empty()) return false;
  }
  return true;
}

}  // namespace regionsync

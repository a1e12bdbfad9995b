#include "regionsync/server/node_status.h"

#include <mutex>
#include <prometheus/metric_family.h>

namespace regionsync {

NodeSnapshot TakeSnapshot(SyncNode& node, uint64_t now_wall_millis) {
  NodeSnapshot s;
  std::lock_guard lock(node.mutex());
  const Replica& r = node.replica();
  s.replica = r.id().name();
  s.replica_full = r.id().ToString();
  s.epoch = r.id().epoch();
  s.running = node.running();
  s.now_wall_millis = now_wall_millis;
  s.keys = r.key_count();
  s.local_writes = r.local_writes();
  s.committed_writes = r.committed_writes();
  s.type_conflicts = r.type_conflicts();
  s.outbox_keys = r.outbox_keys();
  s.publisher = node.publisher().stats();
  s.subscriber = node.subscriber().stats();
  s.anti_entropy = node.anti_entropy().stats();
  s.peers = node.subscriber().peers();
  return s;
}

nlohmann::json StatusJson(const NodeSnapshot& s) {
  using nlohmann::json;
  json peers = json::array();
  for (const auto& [name, p] : s.peers) {
    peers.push_back({{"replica", name},
                     {"epoch", p.epoch},
                     {"last_sequence", p.last_sequence},
                     {"last_heard_millis", p.last_heard_wall_millis},
                     {"last_heard_ago_millis",
                      s.now_wall_millis >= p.last_heard_wall_millis ? s.now_wall_millis - p.last_heard_wall_millis : 0},
                     {"lag_millis", p.lag_millis},
                     {"messages", p.messages}});
  }
  json transport = {{"broker", s.broker}};
  transport["queue_depth"] = s.queue_depth ? json(*s.queue_depth) : json(nullptr);
  transport["dead_letters"] = s.dead_letters ? json(*s.dead_letters) : json(nullptr);
  return {
      {"replica", s.replica},
      {"replica_id", s.replica_full},
      {"epoch", s.epoch},
      {"running", s.running},
      {"accepting_writes", s.accepting_writes},
      {"store", s.store},
      {"fsync", s.fsync},
      {"keys", s.keys},
      {"writes", {{"local", s.local_writes}, {"committed", s.committed_writes}}},
      {"type_conflicts", s.type_conflicts},
      {"outbox_keys", s.outbox_keys},
      {"dead_letters", transport["dead_letters"]},
      {"transport", transport},
      {"peers", peers},
      {"publisher",
       {{"flushes", s.publisher.flushes},
        {"messages", s.publisher.messages},
        {"bytes", s.publisher.bytes},
        {"entries", s.publisher.entries},
        {"split_keys", s.publisher.split_keys},
        {"failures", s.publisher.failures},
        {"oversize_entries", s.publisher.oversize_entries}}},
      {"subscriber",
       {{"received", s.subscriber.received},
        {"applied_messages", s.subscriber.applied_messages},
        {"applied_entries", s.subscriber.applied_entries},
        {"own_skipped", s.subscriber.own_skipped},
        {"rejected", s.subscriber.rejected},
        {"bad_entries", s.subscriber.bad_entries},
        {"clock_clamped", s.subscriber.clock_clamped},
        {"receive_failures", s.subscriber.receive_failures},
        {"commit_failures", s.subscriber.commit_failures}}},
      {"anti_entropy",
       {{"digests_sent", s.anti_entropy.digests_sent},
        {"digests_received", s.anti_entropy.digests_received},
        {"unsettled_digests", s.anti_entropy.unsettled_digests},
        {"mismatched_buckets", s.anti_entropy.mismatched_buckets},
        {"states_sent", s.anti_entropy.states_sent},
        {"resend_requests", s.anti_entropy.resend_requests},
        {"sequences_requested", s.anti_entropy.sequences_requested},
        {"sequences_given_up", s.anti_entropy.sequences_given_up},
        {"messages_resent", s.publisher.resent}}},
      {"events", {{"appended", s.events_appended}, {"last_id", s.event_last_id}}},
  };
}

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

class Families {
 public:
  explicit Families(const std::string& replica) : replica_(replica) {}

  void Counter(const std::string& name, const std::string& help, double v) { Add(name, help, MetricType::Counter, v, {}); }
  void Gauge(const std::string& name, const std::string& help, double v, std::vector<ClientMetric::Label> labels = {}) {
    Add(name, help, MetricType::Gauge, v, std::move(labels));
  }
  std::vector<MetricFamily> Take() { return std::move(out_); }

 private:
  void Add(const std::string& name, const std::string& help, MetricType type, double v,
           std::vector<ClientMetric::Label> labels) {
    if (out_.empty() || out_.back().name != name) out_.push_back(MetricFamily{name, help, type, {}});
    ClientMetric m;
    m.label.push_back({"replica", replica_});
    for (auto& l : labels) m.label.push_back(std::move(l));
    if (type == MetricType::Counter) {
      m.counter.value = v;
    } else {
      m.gauge.value = v;
    }
    out_.back().metric.push_back(std::move(m));
  }

  std::string replica_;
  std::vector<MetricFamily> out_;
};

}  // namespace

std::vector<MetricFamily> SnapshotMetrics(const NodeSnapshot& s) {
  Families f(s.replica);
  const std::string p = "regionsync_";
  f.Gauge(p + "keys", "Keys in the keyspace", s.keys);
  f.Counter(p + "local_writes_total", "Local writes applied", s.local_writes);
  f.Counter(p + "committed_writes_total", "Local writes made durable (acknowledged)", s.committed_writes);
  f.Counter(p + "type_conflicts_total", "Remote deltas that met a key of another type (one winner kept)",
            s.type_conflicts);
  f.Gauge(p + "outbox_keys", "Keys with deltas not yet published", s.outbox_keys);
  f.Counter(p + "publish_flushes_total", "Outbox flushes", s.publisher.flushes);
  f.Counter(p + "publish_messages_total", "Messages published", s.publisher.messages);
  f.Counter(p + "publish_bytes_total", "Bytes handed to the transport", s.publisher.bytes);
  f.Counter(p + "publish_entries_total", "Key entries published", s.publisher.entries);
  f.Counter(p + "publish_failures_total", "Failed publish calls", s.publisher.failures);
  f.Counter(p + "publish_oversize_entries_total", "Keys withheld from publishing: one indivisible value over the message limit", s.publisher.oversize_entries);
  f.Counter(p + "receive_messages_total", "Messages received", s.subscriber.received);
  f.Counter(p + "applied_messages_total", "Messages applied", s.subscriber.applied_messages);
  f.Counter(p + "applied_entries_total", "Entries joined", s.subscriber.applied_entries);
  f.Counter(p + "rejected_messages_total", "Messages that failed verification or decoding (frame or any entry); not acked", s.subscriber.rejected);
  f.Counter(p + "bad_entries_total", "Entries skipped after decoding (none expected: type conflicts resolve)", s.subscriber.bad_entries);
  f.Counter(p + "clock_clamped_total", "Remote send times beyond the max drift", s.subscriber.clock_clamped);
  f.Counter(p + "receive_failures_total", "Failed receive calls", s.subscriber.receive_failures);
  f.Counter(p + "commit_failures_total", "Failed commits after receiving", s.subscriber.commit_failures);
  f.Counter(p + "anti_entropy_digests_sent_total", "Digests published", s.anti_entropy.digests_sent);
  f.Counter(p + "anti_entropy_digests_received_total", "Digests received", s.anti_entropy.digests_received);
  f.Counter(p + "anti_entropy_mismatched_buckets_total", "Digest buckets that differed", s.anti_entropy.mismatched_buckets);
  f.Counter(p + "anti_entropy_states_sent_total", "Key states sent for repair", s.anti_entropy.states_sent);
  f.Counter(p + "anti_entropy_unsettled_digests_total", "Digests not compared: messages in flight on either side", s.anti_entropy.unsettled_digests);
  f.Counter(p + "anti_entropy_resend_requests_total", "Requests for lost messages published", s.anti_entropy.resend_requests);
  f.Counter(p + "anti_entropy_sequences_requested_total", "Lost message sequences asked for", s.anti_entropy.sequences_requested);
  f.Counter(p + "anti_entropy_sequences_given_up_total", "Lost messages that could not be sent again (repaired by digests)", s.anti_entropy.sequences_given_up);
  f.Counter(p + "anti_entropy_messages_resent_total", "Messages published again at a peer's request", s.publisher.resent);
  if (s.queue_depth) f.Gauge(p + "queue_depth", "Messages in this replica's queue", *s.queue_depth);
  if (s.dead_letters) f.Gauge(p + "dead_letters", "Messages in this replica's dead-letter queue", *s.dead_letters);
  f.Counter(p + "events_total", "Change events appended to the feed", s.events_appended);
  for (const auto& [peer, info] : s.peers) {
    f.Gauge(p + "peer_lag_millis", "Wall-clock lag of the last message from a peer", info.lag_millis, {{"peer", peer}});
  }
  for (const auto& [peer, info] : s.peers) {
    double ago = s.now_wall_millis >= info.last_heard_wall_millis ? s.now_wall_millis - info.last_heard_wall_millis : 0;
    f.Gauge(p + "peer_last_heard_ago_millis", "Time since the last message from a peer", ago, {{"peer", peer}});
  }
  return f.Take();
}

}  // namespace regionsync

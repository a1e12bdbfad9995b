#include "regionsync/sim/sim_cluster.h"

#include <cassert>
#include <set>

namespace regionsync {

SimCluster::SimCluster(uint64_t seed, std::vector<std::string> names, SimClusterOptions options)
    : env_(seed), network_(&env_, options.network), options_(std::move(options)) {
  Status s = keys_.Add({"sim", "simulation-secret-0123456789"});
  assert(s.ok());
  (void)s;
  assert(std::set<std::string>(names.begin(), names.end()).size() == names.size() && "SimCluster: names must be unique");
  for (std::string& name : names) {
    Slot slot;
    slot.name = std::move(name);
    slot.env = std::make_unique<SkewedEnv>(&env_);
    slot.store = NewMemoryStore();
    slots_.push_back(std::move(slot));
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    Status r = Restart(i);
    assert(r.ok() && "SimCluster: bad replica name");
    (void)r;
  }
}

SimCluster::~SimCluster() {
  for (Slot& s : slots_) s.node.reset();
}

void SimCluster::Crash(size_t i) {
  if (slots_[i].node) crashed_traffic_.Add(slots_[i].node->publisher().stats());
  slots_[i].node.reset();  // no commit, no flush: what was not committed is gone
  slots_[i].broker.reset();
}

Status SimCluster::Restart(size_t i) {
  Slot& slot = slots_[i];
  slot.broker = network_.Connect(slot.name);
  SyncOptions sync = options_.sync;
  sync.name = slot.name;
  slot.node = std::make_unique<SyncNode>(slot.env.get(), slot.store.get(), slot.broker.get(), &keys_, sync);
  Status s = slot.node->Start();
  if (!s.ok()) slot.node.reset();
  return s;
}

std::string SimCluster::Dump(size_t i) const {
  const Replica& r = slots_[i].node->replica();
  std::string out;
  static const char* kHex = "0123456789abcdef";
  for (const std::string& key : r.Keys()) {
    Lifetime life;
    const AnyCrdt* v = r.FindState(key, &life);
    out += key + " " + TypeName(TypeOf(*v)) + " ";
    for (unsigned char c : life.Encode() + "/" + EncodeCrdt(*v)) {
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    out += "\n";
  }
  return out;
}

bool SimCluster::Converged() const {
  std::string first;
  bool have_first = false;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!up(i)) continue;
    std::string d = Dump(i);
    if (!have_first) {
      first = std::move(d);
      have_first = true;
    } else if (d != first) {
      return false;
    }
  }
  return true;
}

SimCluster::Traffic SimCluster::traffic() const {
  Traffic t = crashed_traffic_;
  for (const Slot& s : slots_) {
    if (!s.node || !s.node->running()) continue;
    t.Add(s.node->publisher().stats());
  }
  return t;
}

bool SimCluster::Quiet() const {
  if (!network_.Idle()) return false;
  for (const Slot& s : slots_) {
    if (s.node && s.node->replica().outbox_keys() > 0) return false;
  }
  return true;
}

bool SimCluster::RunUntilConverged(uint64_t deadline_micros) {
  uint64_t end = env_.MonotonicMicros() + deadline_micros;
  while (env_.MonotonicMicros() < end) {
    if (Quiet() && Converged()) return true;
    env_.RunFor(10'000);
  }
  return Quiet() && Converged();
}

}  // namespace regionsync

#include "regionsync/sim/simulation.h"

#include <functional>
#include <map>
#include <sstream>

#include "regionsync/sim/sim_cluster.h"

namespace regionsync {
namespace {

// What the acknowledged writes say each checked key must hold.
struct Model {
  struct Write {
    HlcTimestamp ts = 0;
    ActorId actor = 0;
    std::string value;
    auto operator<=>(const Write&) const = default;
  };
  // Each operation with what its replica had seen of the key (its context).
  struct SetAdd {
    std::string element;
    Dot dot;
    DotContext seen;
  };
  struct SetOps {
    std::vector<SetAdd> adds;
    std::vector<std::pair<std::string, DotContext>> removes;
  };
  std::map<std::string, int64_t> counters;
  std::map<std::string, Write> registers;
  std::map<std::string, SetOps> sets;

  // Add-wins with observed remove: an add survives unless a remove of its
  // element, or a later add of its element (which replaces the dots it saw),
  // was made by a replica that had seen it. Present iff some add survives.
  // Seen-ness comes from contexts, not from message order: a replica that got
  // a later delta of a key without an earlier one has not seen the earlier.
  static std::vector<std::string> ExpectedSet(const SetOps& ops) {
    std::set<std::string> present;
    for (const SetAdd& add : ops.adds) {
      bool superseded = false;
      for (const auto& [removed, seen] : ops.removes) {
        superseded = superseded || (removed == add.element && seen.Contains(add.dot));
      }
      for (const SetAdd& later : ops.adds) {
        superseded = superseded || (later.element == add.element && later.seen.Contains(add.dot));
      }
      if (!superseded) present.insert(add.element);
    }
    return {present.begin(), present.end()};
  }
};

// An operation waiting for its replica's commit before it counts.
struct PendingOp {
  uint64_t write_index;
  std::function<void(Model&)> apply;
};

std::vector<std::string> ReplicaNames(int n) {
  static const char* kRegions[] = {"us-east-1", "eu-west-1", "us-west-2", "ap-south-1", "sa-east-1",
                                   "ap-northeast-1", "eu-central-1", "ca-central-1"};
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    // Replicas 0 and 1 share a region: two processes of one region must not share a slot.
    int region = i == 0 ? 0 : (i - 1) % 8;
    int instance = i == 1 ? 1 : (i == 0 ? 0 : (i - 1) / 8);
    names.push_back(std::string(kRegions[region]) + "/" + static_cast<char>('a' + instance % 26) +
                    (instance >= 26 ? std::to_string(instance) : ""));
  }
  return names;
}

class Run {
 public:
  explicit Run(const SimOptions& o)
      : o_(o), cluster_(o.seed, ReplicaNames(o.replicas)), pending_(o.replicas), restart_at_(o.replicas, 0) {}

  SimResult Go() {
    SimResult result;
    result.seed = o_.seed;
    SimEnv& env = cluster_.env();
    uint64_t next_fault = env.MonotonicMicros() + 500'000;
    while (env.MonotonicMicros() < o_.duration_micros) {
      cluster_.RunFor(1 + env.Uniform(2 * o_.op_interval_micros));
      RestartDue();
      if (o_.faults != 0 && env.MonotonicMicros() >= next_fault) {
        InjectFault();
        next_fault = env.MonotonicMicros() + 500'000 + env.Uniform(2'500'000);
      }
      RandomOperation();
    }
    // Heal everything and let the system settle.
    cluster_.network().SetFaults({});
    for (size_t i = 0; i < cluster_.size(); ++i) {
      if (!cluster_.up(i)) Start(i);
    }
    uint64_t healed_at = env.MonotonicMicros();
    bool converged = cluster_.RunUntilConverged(o_.convergence_deadline_micros);
    result.convergence_micros = env.MonotonicMicros() - healed_at;
    for (size_t i = 0; i < cluster_.size(); ++i) Harvest(i);
    result.operations = acknowledged_;
    result.bytes_published = cluster_.BytesPublished();
    if (!converged) {
      result.failure = "replicas did not converge within the deadline";
    } else {
      result.failure = CheckModel();
    }
    Mix(cluster_.Dump(0));
    Mix(std::to_string(result.bytes_published));
    result.trace_hash = hash_;
    result.ok = result.failure.empty();
    return result;
  }

 private:
  void Trace(const std::string& what) {
    if (o_.trace) *o_.trace << cluster_.env().MonotonicMicros() / 1000 << " ms: " << what << "\n";
  }

  void Mix(std::string_view s) {
    for (unsigned char c : s) hash_ = (hash_ ^ c) * 0x100000001b3ULL;
    hash_ = (hash_ ^ 0xff) * 0x100000001b3ULL;
  }

  void Start(size_t i) {
    Trace("start " + cluster_.name(i));
    Status s = cluster_.Restart(i);
    if (!s.ok()) failure_ = "restart of " + cluster_.name(i) + " failed: " + s.ToString();
    restart_at_[i] = 0;
  }

  void RestartDue() {
    for (size_t i = 0; i < cluster_.size(); ++i) {
      if (!cluster_.up(i) && restart_at_[i] != 0 && cluster_.env().MonotonicMicros() >= restart_at_[i]) Start(i);
    }
  }

  // Moves the replica's committed operations into the model.
  void Harvest(size_t i) {
    if (!cluster_.up(i)) return;
    uint64_t committed = cluster_.node(i).replica().committed_writes();
    auto& ops = pending_[i];
    size_t n = 0;
    while (n < ops.size() && ops[n].write_index <= committed) {
      ops[n].apply(model_);
      ++acknowledged_;
      ++n;
    }
    ops.erase(ops.begin(), ops.begin() + n);
  }

  void InjectFault() {
    SimEnv& env = cluster_.env();
    std::vector<uint32_t> kinds;
    for (uint32_t f = 1; f < (1u << 7); f <<= 1) {
      if (o_.faults & f) kinds.push_back(f);
    }
    uint32_t kind = kinds[env.Uniform(kinds.size())];
    InprocFaults faults = cluster_.network().faults();
    std::string what;
    switch (kind) {
      case kFaultDrop: faults.drop = env.Chance(0.3) ? 0 : 0.05 * env.Uniform(7); break;
      case kFaultDuplicate: faults.duplicate = env.Chance(0.3) ? 0 : 0.05 * env.Uniform(7); break;
      case kFaultDelay: faults.max_delay_micros = env.Chance(0.3) ? 0 : env.Uniform(500'000); break;
      case kFaultPartition:
        if (!faults.partition.empty() || env.Chance(0.3)) {
          faults.partition.clear();
        } else {
          std::vector<std::string> a, b;
          for (size_t i = 0; i < cluster_.size(); ++i) (env.Chance(0.5) ? a : b).push_back(cluster_.name(i));
          faults.partition = {a, b};
        }
        break;
      case kFaultOutage: faults.outage = !faults.outage; break;
      case kFaultCrash: {
        size_t i = env.Uniform(cluster_.size());
        if (cluster_.up(i)) {
          Harvest(i);
          Trace("crash " + cluster_.name(i) + ", losing " + std::to_string(pending_[i].size()) + " uncommitted writes");
          pending_[i].clear();  // not committed: lost with the process, never acknowledged
          cluster_.Crash(i);
          restart_at_[i] = env.MonotonicMicros() + 200'000 + env.Uniform(2'000'000);
        }
        break;
      }
      case kFaultWipe: Wipe(env.Uniform(cluster_.size())); break;
    }
    cluster_.network().SetFaults(faults);
    Trace("fault " + std::to_string(kind) + " drop=" + std::to_string(faults.drop) + " dup=" +
          std::to_string(faults.duplicate) + " delay<=" + std::to_string(faults.max_delay_micros) +
          " outage=" + std::to_string(faults.outage) + " groups=" + std::to_string(faults.partition.size()));
    Mix("fault" + std::to_string(kind));
  }

  // Lets the cluster converge (so every write of replica i is held by the
  // others), then replaces replica i's disk.
  void Wipe(size_t i) {
    if (!cluster_.up(i)) return;
    InprocFaults saved = cluster_.network().faults();
    cluster_.network().SetFaults({});
    for (size_t k = 0; k < cluster_.size(); ++k) {
      if (!cluster_.up(k)) Start(k);
    }
    if (cluster_.RunUntilConverged(30'000'000)) {
      Harvest(i);
      pending_[i].clear();
      cluster_.Crash(i);
      cluster_.WipeStore(i);
      Start(i);
    }
    cluster_.network().SetFaults(saved);
  }

  void RandomOperation() {
    SimEnv& env = cluster_.env();
    size_t i = env.Uniform(cluster_.size());
    if (!cluster_.up(i)) return;
    Harvest(i);
    Replica& r = cluster_.node(i).replica();
    ActorId actor = r.id().actor();
    std::string key;
    std::function<void(Model&)> apply;
    Status s;
    switch (env.Uniform(10)) {
      case 0: {
        key = "visits-" + std::to_string(env.Uniform(2));
        uint64_t by = 1 + env.Uniform(5);
        Result<uint64_t> v = r.IncrementGrowOnly(key, by);
        s = v.status();
        apply = [key, by](Model& m) { m.counters[key] += static_cast<int64_t>(by); };
        break;
      }
      case 1: {
        key = "sessions-" + std::to_string(env.Uniform(2));
        int64_t by = static_cast<int64_t>(env.Uniform(11)) - 5;
        s = r.Increment(key, by).status();
        apply = [key, by](Model& m) { m.counters[key] += by; };
        break;
      }
      case 2: {
        key = "config-" + std::to_string(env.Uniform(2));
        std::string value = "v" + std::to_string(env.Uniform(1000));
        s = r.Set(key, value);
        if (s.ok()) {
          const auto& reg = std::get<LwwRegister>(*r.Find(key));
          Model::Write w{reg.timestamp(), reg.writer(), value};
          apply = [key, w](Model& m) {
            auto it = m.registers.find(key);
            if (it == m.registers.end() || it->second < w) m.registers[key] = w;
          };
        }
        break;
      }
      case 3:
      case 4:
      case 5: {
        key = "members-" + std::to_string(env.Uniform(2));
        std::string element = "user-" + std::to_string(env.Uniform(8));
        const AnyCrdt* existing = r.Find(key);
        const OrSet* set = existing ? std::get_if<OrSet>(existing) : nullptr;
        if (env.Chance(0.55)) {
          DotContext seen = set ? set->context() : DotContext();
          Dot dot = seen.Next(actor);
          s = r.Add(key, element).status();
          apply = [key, element, dot, seen](Model& m) { m.sets[key].adds.push_back({element, dot, seen}); };
        } else {
          DotContext ctx = set ? set->context() : DotContext();
          s = r.Remove(key, element).status();
          apply = [key, element, ctx](Model& m) { m.sets[key].removes.emplace_back(element, ctx); };
        }
        break;
      }
      case 6: {
        key = "feature-x";
        s = env.Chance(0.5) ? r.Enable(key) : r.Disable(key);
        break;
      }
      case 7: {
        key = "note";
        s = r.SetMulti(key, "n" + std::to_string(env.Uniform(100)));
        break;
      }
      case 8: {
        key = "presence";
        std::string user = "u" + std::to_string(env.Uniform(4));
        s = env.Chance(0.7) ? r.MapSet(key, user, "online@" + cluster_.name(i)) : r.MapRemove(key, user);
        break;
      }
      default: {
        key = "per-user";
        s = r.MapIncrement(key, "u" + std::to_string(env.Uniform(3)), 1).status();
        break;
      }
    }
    if (!s.ok()) {
      failure_ = "operation on " + key + " at " + cluster_.name(i) + " failed: " + s.ToString();
      return;
    }
    Mix(cluster_.name(i) + ":" + key);
    if (apply) pending_[i].push_back({r.local_writes(), std::move(apply)});
  }

  std::string CheckModel() {
    if (!failure_.empty()) return failure_;
    const Replica& r = cluster_.node(0).replica();
    std::ostringstream err;
    for (const auto& [key, expected] : model_.counters) {
      const AnyCrdt* v = r.Find(key);
      int64_t got = 0;
      if (v != nullptr && std::holds_alternative<GCounter>(*v)) got = static_cast<int64_t>(std::get<GCounter>(*v).Value());
      if (v != nullptr && std::holds_alternative<PnCounter>(*v)) got = std::get<PnCounter>(*v).Value();
      if (got != expected) err << "counter " << key << " = " << got << ", acknowledged sum " << expected << "; ";
    }
    for (const auto& [key, w] : model_.registers) {
      const AnyCrdt* v = r.Find(key);
      const LwwRegister* reg = v ? std::get_if<LwwRegister>(v) : nullptr;
      if (reg == nullptr || reg->Value() != w.value) {
        err << "register " << key << " = " << (reg && reg->Value() ? *reg->Value() : "<none>")
            << ", LWW model says " << w.value << "; ";
      }
    }
    for (const auto& [key, ops] : model_.sets) {
      const AnyCrdt* v = r.Find(key);
      std::vector<std::string> got;
      if (v != nullptr && std::holds_alternative<OrSet>(*v)) got = std::get<OrSet>(*v).Elements();
      std::vector<std::string> want = model_.ExpectedSet(ops);
      if (got != want) {
        err << "set " << key << " has " << got.size() << " elements, add-wins model " << want.size() << "; ";
      }
    }
    return err.str();
  }

  SimOptions o_;
  SimCluster cluster_;
  Model model_;
  std::vector<std::vector<PendingOp>> pending_;
  std::vector<uint64_t> restart_at_;
  uint64_t acknowledged_ = 0;
  uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::string failure_;
};

}  // namespace

SimResult RunSimulation(const SimOptions& options) { return Run(options).Go(); }

bool ParseFaults(const std::string& spec, uint32_t* out) {
  if (spec == "all") {
    *out = kAllFaults;
    return true;
  }
  if (spec == "none" || spec.empty()) {
    *out = 0;
    return true;
  }
  static const std::map<std::string, uint32_t> kNames = {
      {"drop", kFaultDrop},         {"duplicate", kFaultDuplicate}, {"delay", kFaultDelay},
      {"partition", kFaultPartition}, {"outage", kFaultOutage},     {"crash", kFaultCrash},
      {"wipe", kFaultWipe}};
  uint32_t mask = 0;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto it = kNames.find(item);
    if (it == kNames.end()) return false;
    mask |= it->second;
  }
  *out = mask;
  return true;
}

}  // namespace regionsync

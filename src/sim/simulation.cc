#include "regionsync/sim/simulation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "regionsync/sim/sim_cluster.h"
#include "sim/workload_model.h"

namespace regionsync {
namespace {

using sim::StringOps;
using sim::Write;
using sim::WorkloadModel;

// An operation waiting for its replica's commit before it counts.
struct PendingOp {
  uint64_t write_index;
  std::function<void(WorkloadModel&)> apply;
};

std::vector<std::string> ReplicaNames(int n) {
  static const char* kRegions[] = {"us-east-1", "eu-west-1", "us-west-2", "ap-south-1", "sa-east-1",
                                   "ap-northeast-1", "eu-central-1", "ca-central-1"};
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    // Replicas 0 and 1 share a region: two processes of one region must not
    // share a slot. Names are unique (two replicas of one name would share
    // a queue): us-east-1 goes on with c, d, ... where the others start at a.
    int region = i == 0 ? 0 : (i - 1) % 8;
    int instance = i == 0 ? 0 : (i - 1) / 8 + (region == 0 ? 1 : 0);
    names.push_back(std::string(kRegions[region]) + "/" + static_cast<char>('a' + instance % 26) +
                    (instance >= 26 ? std::to_string(instance) : ""));
  }
  return names;
}

class Run {
 public:
  explicit Run(const SimOptions& o)
      : o_(o), cluster_(o.seed, ReplicaNames(o.replicas), ClusterOptions(o)), pending_(o.replicas),
        restart_at_(o.replicas, 0) {
    if (o.clock_skew_millis > 0) {
      for (int i = 0; i < o.replicas; ++i) {
        auto span = static_cast<uint64_t>(2 * o.clock_skew_millis + 1);
        cluster_.SetWallSkewMillis(i, static_cast<int64_t>(cluster_.env().Uniform(span)) - o.clock_skew_millis);
      }
    }
  }

  // Small size limits, so writes at and past them are cheap to generate.
  static constexpr size_t kMaxValueBytes = 2048;
  static constexpr size_t kMaxStateBytes = 24 * 1024;
  static SimClusterOptions ClusterOptions(const SimOptions& o) {
    SimClusterOptions options;
    options.sync.replica.max_value_bytes = kMaxValueBytes;
    options.sync.replica.max_state_bytes = kMaxStateBytes;
    if (o.max_clock_drift_millis != 0) options.sync.replica.max_clock_drift_millis = o.max_clock_drift_millis;
    // Tombstones are forgotten within the run, so that path is exercised too.
    options.sync.replica.expired_retention_millis = 3000;
    // Most keys big enough to commit deltas, so crashes restore from them.
    options.sync.replica.delta_commit_min_bytes = 256;
    // Short enough that leases of up to 1.5 s have renewals held and batched.
    options.sync.presence = {.renewal_interval_millis = 100, .renewal_margin_millis = 200};
    return options;
  }

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
      CheckExpiryAgreement();
    }
    // Heal everything and let the system settle.
    cluster_.network().SetFaults({});
    for (size_t i = 0; i < cluster_.size(); ++i) {
      if (!cluster_.up(i)) Start(i);
    }
    uint64_t healed_at = env.MonotonicMicros();
    bool converged = cluster_.RunUntilConverged(o_.convergence_deadline_micros);
    result.convergence_micros = env.MonotonicMicros() - healed_at;
    for (size_t i = 0; i < cluster_.size(); ++i) {
      Harvest(i);
      if (cluster_.up(i)) result.type_conflicts += cluster_.node(i).replica().type_conflicts();
      if (cluster_.up(i)) result.expired_keys += cluster_.node(i).replica().expired_keys();
    }
    result.operations = acknowledged_;
    result.refused_writes = refused_writes_;
    result.bytes_published = cluster_.BytesPublished();
    SimCluster::Traffic traffic = cluster_.traffic();
    result.delta_bytes = traffic.delta_bytes;
    result.repair_bytes = traffic.repair_bytes;
    result.digest_bytes = traffic.digest_bytes;
    if (!converged) {
      result.failure = "replicas did not converge within the deadline" + FirstDifference();
    } else {
      result.failure = CheckModel();
      if (result.failure.empty()) result.failure = CheckLeasesRanOut();
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

  // What an observed remove of the whole key (DEL) means for its model;
  // empty when the key has no model. Call before Replica::Delete.
  std::function<void(WorkloadModel&)> ModelDelete(Replica& r, const std::string& key) {
    const AnyCrdt* v = r.Find(key);
    if (v == nullptr) return {};
    if (const PnCounter* c = std::get_if<PnCounter>(v)) {
      return [key, before = *c](WorkloadModel& m) { m.counters[key].AddReset(before); };
    }
    if (const RedisString* str = std::get_if<RedisString>(v)) {
      RedisString after = *str;
      after.Delete();
      std::pair hidden{after.hidden_timestamp(), after.hidden_writer()};
      return [key, before = str->counter(), hidden](WorkloadModel& m) {
        StringOps& ops = m.strings[key];
        ops.counter.AddReset(before);
        ops.hidden = std::max(ops.hidden, hidden);
      };
    }
    if (const OrSet* set = std::get_if<OrSet>(v)) {
      return [key, elements = set->Elements(), ctx = set->context()](WorkloadModel& m) {
        for (const std::string& e : elements) m.sets[key].removes.emplace_back(e, ctx);
      };
    }
    if (const SortedSet* z = std::get_if<SortedSet>(v)) {
      std::vector<std::string> members;
      z->Visit(0, z->size(), false, [&](const SortedSet::Entry& e) {
        members.emplace_back(e.member);
        return true;
      });
      return [key, members = std::move(members), ctx = z->context()](WorkloadModel& m) {
        for (const std::string& member : members) m.sorted_sets[key].removes.emplace_back(member, ctx);
      };
    }
    return {};  // an LWW register's delete is a write: DeleteKey records it
  }

  // DEL of one key: the delete and its model change. Returns the status.
  Status DeleteKey(Replica& r, const std::string& key, std::vector<std::function<void(WorkloadModel&)>>* applies) {
    std::function<void(WorkloadModel&)> apply = ModelDelete(r, key);
    bool reg = r.Find(key) != nullptr && std::holds_alternative<LwwRegister>(*r.Find(key));
    Result<bool> deleted = r.Delete(key);
    if (!deleted.ok()) return deleted.status();
    if (!*deleted) return Status::Ok();  // nothing observed, nothing written
    if (reg) {
      const auto& after = std::get<LwwRegister>(*r.Find(key));
      Write w{after.timestamp(), after.writer(), std::nullopt};
      apply = [key, w](WorkloadModel& m) { RecordRegister(m, key, w); };
    }
    if (apply) applies->push_back(std::move(apply));
    return Status::Ok();
  }

  static void RecordRegister(WorkloadModel& m, const std::string& key, const Write& w) {
    auto it = m.registers.find(key);
    if (it == m.registers.end() || it->second < w) m.registers[key] = w;
  }

  void RandomOperation() {
    SimEnv& env = cluster_.env();
    size_t i = env.Uniform(cluster_.size());
    if (!cluster_.up(i)) return;
    Harvest(i);
    Replica& r = cluster_.node(i).replica();
    ActorId actor = r.id().actor();
    std::string key;
    std::vector<std::function<void(WorkloadModel&)>> applies;
    Status s;
    switch (env.Uniform(24)) {
      case 0: {
        key = "visits-" + std::to_string(env.Uniform(2));
        uint64_t by = 1 + env.Uniform(5);
        Result<uint64_t> v = r.IncrementGrowOnly(key, by);
        s = v.status();
        applies.push_back([key, by](WorkloadModel& m) { m.grow_only[key] += static_cast<int64_t>(by); });
        break;
      }
      case 1: {
        key = "sessions-" + std::to_string(env.Uniform(2));
        if (env.Chance(0.2)) {
          s = DeleteKey(r, key, &applies);
          break;
        }
        int64_t by = static_cast<int64_t>(env.Uniform(11)) - 5;
        s = r.Increment(key, by).status();
        if (s.ok()) {
          applies.push_back([key, by, after = std::get<PnCounter>(*r.Find(key)), actor](WorkloadModel& m) {
            m.counters[key].AddIncrement(after, actor, by);
          });
        }
        break;
      }
      case 2: {
        key = "config-" + std::to_string(env.Uniform(2));
        if (env.Chance(0.15)) {
          s = DeleteKey(r, key, &applies);
          break;
        }
        std::string value = "v" + std::to_string(env.Uniform(1000));
        if (env.Chance(0.2)) {
          // A client timestamp (HTTP "timestamp"), up to 2 s off this
          // replica's clock either way: joined like a remote write, it may lose.
          uint64_t millis = env.WallMillis() + env.Uniform(4000) - 2000;
          s = r.Set(key, value, millis);
          Write w{HlcFromMillis(millis), actor, value};
          if (s.ok()) applies.push_back([key, w](WorkloadModel& m) { RecordRegister(m, key, w); });
          break;
        }
        s = r.Set(key, value);
        if (s.ok()) {
          const auto& reg = std::get<LwwRegister>(*r.Find(key));
          Write w{reg.timestamp(), reg.writer(), value};
          applies.push_back([key, w](WorkloadModel& m) { RecordRegister(m, key, w); });
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
        if (env.Chance(0.05)) {
          s = DeleteKey(r, key, &applies);
        } else if (env.Chance(0.08)) {
          s = SetMove(r, key, "members-" + std::to_string(env.Uniform(2)), element, &applies);
        } else if (env.Chance(0.05)) {
          s = SetUnionStore(r, key, &applies);
        } else if (env.Chance(0.55)) {
          DotContext seen = set ? set->context() : DotContext();
          Dot dot = seen.Next(actor);
          s = r.Add(key, element).status();
          applies.push_back([key, element, dot, seen](WorkloadModel& m) { m.sets[key].adds.push_back({element, dot, seen}); });
        } else {
          DotContext ctx = set ? set->context() : DotContext();
          s = r.Remove(key, element).status();
          applies.push_back([key, element, ctx](WorkloadModel& m) { m.sets[key].removes.emplace_back(element, ctx); });
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
      case 9: {
        key = "per-user";
        s = r.MapIncrement(key, "u" + std::to_string(env.Uniform(3)), 1).status();
        break;
      }
      case 10:
      case 11:
      case 12:
        key = "limit-" + std::to_string(env.Uniform(2));
        s = StringOperation(r, key, &applies);
        break;
      case 13:
      case 14:
        key = "mixed-" + std::to_string(env.Uniform(2));
        s = MixedTypeOperation(r, key);
        break;
      case 15:
        key = "profile-" + std::to_string(env.Uniform(2));
        s = HashOperation(r, key);
        break;
      case 16:
      case 17:
        key = "leaders-" + std::to_string(env.Uniform(2));
        s = SortedSetOperation(r, key, &applies);
        break;
      case 19:
      case 20:
        key = "session-" + std::to_string(env.Uniform(kExpiringKeys));
        s = ExpiryOperation(r, i, key);
        break;
      case 21:
        s = PresenceOperation(i, &key);
        break;
      case 22:
      case 23:
        key = "room-" + std::to_string(env.Uniform(2));
        s = FieldExpiryOperation(r, i, key);
        break;
      default:
        if (env.Chance(0.1)) {
          key = "*";
          s = FlushDb(r, &applies);
        } else if (env.Chance(0.3)) {
          key = "blob-" + std::to_string(env.Uniform(2));
          s = LimitOperation(r, key, &applies);
        }
        break;
    }
    if (!s.ok()) {
      failure_ = "operation on " + key + " at " + cluster_.name(i) + " failed: " + s.ToString();
      return;
    }
    Mix(cluster_.name(i) + ":" + key);
    if (applies.empty()) return;
    pending_[i].push_back({r.local_writes(), [applies = std::move(applies)](WorkloadModel& m) {
                             for (const auto& apply : applies) apply(m);
                           }});
  }

  // The set writes of SADD (AddAll) and SREM (RemoveAll) with their model:
  // each added element gets the next dot of `actor`, having seen the key's
  // context before the command; each removed one removes what the context saw.
  Status AddAllModeled(Replica& r, const std::string& key, const std::vector<std::string>& elements,
                       std::vector<std::function<void(WorkloadModel&)>>* applies) {
    const AnyCrdt* v = r.Find(key);
    DotContext seen = v != nullptr && std::holds_alternative<OrSet>(*v) ? std::get<OrSet>(*v).context() : DotContext();
    const std::vector<std::string_view> views(elements.begin(), elements.end());
    Result<size_t> added = r.AddAll(key, views);
    if (!added.ok()) return added.status();
    ActorId actor = r.id().actor();
    Dot dot = seen.Next(actor);
    for (const std::string& e : elements) {
      applies->push_back([key, e, dot, seen](WorkloadModel& m) { m.sets[key].adds.push_back({e, dot, seen}); });
      ++dot.counter;
    }
    return Status::Ok();
  }
  void RemoveAllModeled(Replica& r, const std::string& key, const std::vector<std::string>& elements,
                        std::vector<std::function<void(WorkloadModel&)>>* applies) {
    const AnyCrdt* v = r.Find(key);
    if (v == nullptr || elements.empty()) return;
    DotContext ctx = std::get<OrSet>(*v).context();
    const std::vector<std::string_view> views(elements.begin(), elements.end());
    (void)r.RemoveAll(key, views);
    for (const std::string& e : elements) {
      applies->push_back([key, e, ctx](WorkloadModel& m) { m.sets[key].removes.emplace_back(e, ctx); });
    }
  }

  // SMOVE src dst element as the Redis port does it: SADD dst, then SREM src.
  Status SetMove(Replica& r, const std::string& src, const std::string& dst, const std::string& element,
                 std::vector<std::function<void(WorkloadModel&)>>* applies) {
    const AnyCrdt* v = r.Find(src);
    if (v == nullptr || src == dst || !std::get<OrSet>(*v).Contains(element)) return Status::Ok();
    RS_RETURN_IF_ERROR(AddAllModeled(r, dst, {element}, applies));
    RemoveAllModeled(r, src, {element}, applies);
    return Status::Ok();
  }

  // SUNIONSTORE dest members-0 members-1 as the Redis port does it: SADD of
  // the result, then SREM of what dest held beyond it (an empty result is a DEL).
  Status SetUnionStore(Replica& r, const std::string& dest,
                       std::vector<std::function<void(WorkloadModel&)>>* applies) {
    std::vector<std::string> result;
    for (const char* k : {"members-0", "members-1"}) {
      const AnyCrdt* v = r.Find(k);
      if (v == nullptr) continue;
      for (std::string& e : std::get<OrSet>(*v).Elements()) result.push_back(std::move(e));
    }
    std::sort(result.begin(), result.end());
    result.erase(std::unique(result.begin(), result.end()), result.end());
    if (result.empty()) return DeleteKey(r, dest, applies);
    RS_RETURN_IF_ERROR(AddAllModeled(r, dest, result, applies));
    std::vector<std::string> stale;
    for (std::string& e : std::get<OrSet>(*r.Find(dest)).Elements()) {
      if (!std::binary_search(result.begin(), result.end(), e)) stale.push_back(std::move(e));
    }
    RemoveAllModeled(r, dest, stale, applies);
    return Status::Ok();
  }

  // SET / INCRBY / DEL racing on one Redis string (SET resets what it saw).
  Status StringOperation(Replica& r, const std::string& key, std::vector<std::function<void(WorkloadModel&)>>* applies) {
    SimEnv& env = cluster_.env();
    ActorId actor = r.id().actor();
    const AnyCrdt* v = r.Find(key);
    PnCounter before = v ? std::get<RedisString>(*v).counter() : PnCounter();
    uint64_t roll = env.Uniform(100);
    if (roll < 15) return DeleteKey(r, key, applies);
    if (roll < 40) {
      static const char* kValues[] = {"5", "-2", "100", "hello", ""};
      std::string value = kValues[env.Uniform(5)];
      RS_RETURN_IF_ERROR(r.Set(key, value, std::nullopt, pb::STRING));
      const LwwRegister& base = std::get<RedisString>(*r.Find(key)).base();
      Write w{base.timestamp(), base.writer(), value};
      applies->push_back([key, w, before](WorkloadModel& m) {
        StringOps& ops = m.strings[key];
        if (!ops.base || *ops.base < w) ops.base = w;
        ops.counter.AddReset(before);
      });
      return Status::Ok();
    }
    int64_t by = static_cast<int64_t>(env.Uniform(21)) - 10;
    bool existed = v != nullptr && HasValue(*v);
    Result<int64_t> n = r.Increment(key, by, pb::STRING);
    if (n.status().code() == StatusCode::kInvalidArgument) return Status::Ok();  // text: refused, as Redis does
    RS_RETURN_IF_ERROR(n.status());
    const RedisString& after = std::get<RedisString>(*r.Find(key));
    if (by == 0 && !existed) {  // written as SET "0"
      Write w{after.base().timestamp(), after.base().writer(), "0"};
      applies->push_back([key, w, before](WorkloadModel& m) {
        StringOps& ops = m.strings[key];
        if (!ops.base || *ops.base < w) ops.base = w;
        ops.counter.AddReset(before);
      });
    } else {
      applies->push_back([key, by, c = after.counter(), actor](WorkloadModel& m) {
        m.strings[key].counter.AddIncrement(c, actor, by);
      });
    }
    return Status::Ok();
  }

  // HSET / HINCRBY / HDEL / DEL racing on the fields of a Redis hash
  // (counter fields: HSET resets the increments it saw). Checked by
  // convergence, and locally: HINCRBY answers what HGET then reads.
  Status HashOperation(Replica& r, const std::string& key) {
    SimEnv& env = cluster_.env();
    std::string field = "f" + std::to_string(env.Uniform(3));
    uint64_t roll = env.Uniform(100);
    if (roll < 8) return r.Delete(key).status();
    if (roll < 20) return r.MapRemove(key, field);
    if (roll < 45) {
      static const char* kValues[] = {"5", "-2", "9223372036854775800", "text"};
      return r.MapSet(key, field, kValues[env.Uniform(4)]);
    }
    int64_t by = static_cast<int64_t>(env.Uniform(21)) - 10;
    Result<int64_t> n = r.MapIncrement(key, field, by, OrMapKind::kRegister);
    if (n.status().code() == StatusCode::kInvalidArgument) return Status::Ok();  // text or overflow: refused
    RS_RETURN_IF_ERROR(n.status());
    std::optional<std::string> read = std::get<OrMap>(*r.Find(key)).Register(field);
    if (read != std::to_string(*n)) {
      return Internal("HINCRBY answered " + std::to_string(*n) + " but the field reads " + read.value_or("(none)"));
    }
    return Status::Ok();
  }

  // ZADD / ZINCRBY / ZREM / DEL racing on a few members of a sorted set,
  // written as the Redis port writes them (Replica::Mutate<SortedSet>).
  // Membership is checked against its add-wins model; locally, ZINCRBY's
  // answer (what it reads after) is the score before plus the increment
  // (integers and +inf: exact in any order of summation).
  Status SortedSetOperation(Replica& r, const std::string& key,
                            std::vector<std::function<void(WorkloadModel&)>>* applies) {
    SimEnv& env = cluster_.env();
    const std::string member = "p" + std::to_string(env.Uniform(6));
    const AnyCrdt* existing = r.Find(key);
    const SortedSet* set = existing ? std::get_if<SortedSet>(existing) : nullptr;
    const DotContext seen = set ? set->context() : DotContext();
    const uint64_t roll = env.Uniform(100);
    if (roll < 8) return DeleteKey(r, key, applies);
    const size_t unit = key.size() + member.size() + sizeof(double);
    const size_t added = member.size() + Replica::kUnitEncodingBytes;
    if (roll < 30) {  // ZREM: nothing to write for an absent member
      if (set == nullptr || !set->Contains(member)) return Status::Ok();
      Result<SortedSet*> z = r.Mutate<SortedSet>(key, unit, 0, [&](SortedSet& state) {
        return std::pair<SortedSet, bool>(state.Remove(member), true);
      });
      RS_RETURN_IF_ERROR(z.status());
      applies->push_back([key, member, seen](WorkloadModel& m) { m.sorted_sets[key].removes.emplace_back(member, seen); });
      return Status::Ok();
    }
    const Dot dot = seen.Next(r.id().actor());
    const bool increment = roll >= 65;
    if (!increment) {  // ZADD
      const double score = env.Chance(0.05) ? std::numeric_limits<double>::infinity()
                                            : static_cast<double>(env.Uniform(21)) - 10;
      const HlcTimestamp ts = r.Now();
      Result<SortedSet*> z = r.Mutate<SortedSet>(key, unit, added, [&](SortedSet& state) {
        std::optional<double> before = state.Score(member);
        SortedSet delta = state.Assign(r.id().actor(), member, ts, score);
        return std::pair<SortedSet, bool>(std::move(delta), before != score);
      });
      RS_RETURN_IF_ERROR(z.status());
    } else {  // ZINCRBY
      const double by = static_cast<double>(env.Uniform(11)) - 5;
      const double before = set && set->Score(member) ? *set->Score(member) : 0;
      Result<SortedSet*> z = r.Mutate<SortedSet>(key, unit, added, [&](SortedSet& state) {
        return std::pair<SortedSet, bool>(state.Increment(r.id().actor(), member, by), true);
      });
      RS_RETURN_IF_ERROR(z.status());
      const double after = (*z)->Score(member).value_or(std::nan(""));
      if (after != before + by) {
        return Internal("ZINCRBY of " + std::to_string(by) + " on " + std::to_string(before) + " reads " +
                        std::to_string(after));
      }
    }
    applies->push_back([key, member, dot, seen, increment](WorkloadModel& m) {
      m.sorted_sets[key].writes.push_back({member, dot, seen, increment});
    });
    return Status::Ok();
  }

  // Writes at the size limits: a value that fills max_value_bytes exactly
  // is acknowledged and must replicate and restore; one byte more, and a set
  // grown past max_state_bytes, are refused and change nothing.
  Status LimitOperation(Replica& r, const std::string& key, std::vector<std::function<void(WorkloadModel&)>>* applies) {
    SimEnv& env = cluster_.env();
    if (key == "blob-0") {
      bool over = env.Chance(0.3);
      std::string value(kMaxValueBytes - key.size() + (over ? 1 : 0), static_cast<char>('a' + env.Uniform(26)));
      Status s = r.Set(key, value);
      if (over) {
        if (s.code() != StatusCode::kResourceExhausted) return Internal("over-limit SET was " + s.ToString());
        ++refused_writes_;
        return Status::Ok();
      }
      RS_RETURN_IF_ERROR(s);
      const auto& reg = std::get<LwwRegister>(*r.Find(key));
      Write w{reg.timestamp(), reg.writer(), value};
      applies->push_back([key, w](WorkloadModel& m) { RecordRegister(m, key, w); });
      return Status::Ok();
    }
    // A set of large members: grows until the state limit refuses an add.
    std::string element = std::to_string(env.Uniform(64)) + std::string(1500, 'm');
    const AnyCrdt* existing = r.Find(key);
    const OrSet* set = existing ? std::get_if<OrSet>(existing) : nullptr;
    if (set != nullptr && env.Chance(0.2)) return DeleteKey(r, key, applies);
    DotContext seen = set ? set->context() : DotContext();
    Dot dot = seen.Next(r.id().actor());
    Result<bool> added = r.Add(key, element);
    if (added.status().code() == StatusCode::kResourceExhausted) {
      ++refused_writes_;
      return Status::Ok();
    }
    RS_RETURN_IF_ERROR(added.status());
    applies->push_back([key, element, dot, seen](WorkloadModel& m) { m.sets[key].adds.push_back({element, dot, seen}); });
    return Status::Ok();
  }

  // A key written with different types and map kinds in different regions,
  // by every mutator that takes it: only convergence (byte-identical
  // everywhere) is checked; a local write of another type than the key's is
  // refused with TypeMismatch, as it must be.
  Status MixedTypeOperation(Replica& r, const std::string& key) {
    SimEnv& env = cluster_.env();
    Status s;
    std::string member = "m" + std::to_string(env.Uniform(3));
    std::vector<std::string_view> batch = {member, "m9"};
    std::string other = key == "mixed-0" ? "mixed-1" : "mixed-0";
    const AnyCrdt* source = r.Find(other);
    switch (env.Uniform(14)) {
      case 0: s = r.Increment(key, 1, pb::STRING).status(); break;
      case 1: s = r.Add(key, member).status(); break;
      case 2: s = r.AddAll(key, batch).status(); break;  // SADD of several members: one delta
      case 3: s = r.RemoveAll(key, batch).status(); break;
      case 4: s = r.MapSet(key, "f", "v" + member); break;          // hash (map of registers)
      case 5: s = r.MapIncrement(key, "f", 1).status(); break;      // map of counters
      case 6: s = r.MapAdd(key, "f", member); break;                // map of sets
      case 7: s = r.MapEnable(key, "f"); break;                     // map of flags
      case 8: s = r.Enable(key); break;
      case 9: s = r.MapRemove(key, "f"); break;
      case 10:  // COPY other key REPLACE: its value written afresh here
        if (source != nullptr && HasValue(*source)) s = r.WriteCopy(key, AnyCrdt(*source));
        break;
      case 12:  // ZADD (a sorted set)
        s = r.Mutate<SortedSet>(key, key.size() + member.size() + 8, member.size() + Replica::kUnitEncodingBytes,
                                [&](SortedSet& z) {
                                  return std::pair<SortedSet, bool>(
                                      z.Assign(r.id().actor(), member, r.Now(), 1.0 + env.Uniform(3)), true);
                                })
                .status();
        break;
      case 11:  // RENAME other key: the copy, then DEL of the source
        if (source == nullptr || !HasValue(*source)) break;
        s = r.WriteCopy(key, AnyCrdt(*source));
        if (s.ok()) s = r.Delete(other).status();
        break;
      default: s = r.Delete(key).status(); break;
    }
    if (s.code() == StatusCode::kTypeMismatch || s.code() == StatusCode::kInvalidArgument) return Status::Ok();
    return s;
  }

  // Keys with expiries racing every other write of theirs: no value model
  // (an expiry's effect depends on each replica's clock), the convergence
  // check and CheckExpiryAgreement. Expiries are short (up to 0.6 s), so
  // keys expire, are written again in a new incarnation, are reclaimed and
  // forgotten many times in a run.
  static constexpr int kExpiringKeys = 3;
  Status ExpiryOperation(Replica& r, size_t i, const std::string& key) {
    SimEnv& env = cluster_.env();
    const uint64_t now = cluster_.WallMillis(i);
    const uint64_t at = now + 1 + env.Uniform(600);
    Status s;
    switch (env.Uniform(8)) {
      case 0:
      case 1: s = r.Increment(key, 1, pb::STRING).status(); break;           // INCR keeps the expiry
      case 2:                                                                 // SET k v PX t
        s = r.WithExpiry(at, [&] { return r.Set(key, "v" + std::to_string(env.Uniform(100)), std::nullopt, pb::STRING); });
        break;
      case 3: s = r.SetExpiry(key, at).status(); break;                      // PEXPIRE
      case 4: s = r.SetExpiry(key, env.Chance(0.5) ? 0 : now).status(); break;  // PERSIST, or expire now
      case 5: s = r.Delete(key).status(); break;
      case 6: s = r.Add(key, "m" + std::to_string(env.Uniform(4))).status(); break;  // another type
      default: s = r.WithExpiry(at, [&] { return r.Add(key, "n"); }).status(); break;
    }
    // Another type, or INCR of a string that is not a number: refused, as they must be.
    if (s.code() == StatusCode::kTypeMismatch || s.code() == StatusCode::kInvalidArgument) return Status::Ok();
    return s;
  }

  // Presence: a member of "room" joins, renews (held when its lease is far
  // from its end) or leaves through replica i; owners crash and restart with
  // the faults. No value model: members come and go by their leases, checked
  // by CheckExpiryAgreement on every presence key and, at the end, by
  // CheckLeasesRanOut.
  Status PresenceOperation(size_t i, std::string* key) {
    SimEnv& env = cluster_.env();
    Presence& p = cluster_.node(i).presence();
    std::string member = "m" + std::to_string(env.Uniform(4));
    *key = Presence::KeyFor("room", cluster_.node(i).replica().id().ToString(), member);
    presence_keys_.insert(*key);
    if (env.Chance(0.25)) return p.Leave("room", member).status();
    std::string meta = env.Chance(0.8) ? "{}" : R"({"s":")" + std::to_string(env.Uniform(3)) + "\"}";
    return p.Track("room", member, meta, 300 + env.Uniform(1200)).status();
  }

  // A Redis hash whose fields expire (HEXPIRE / HPERSIST) racing HSET,
  // HINCRBY, HDEL and DEL: no value model, the convergence check and
  // CheckExpiryAgreement per field.
  Status FieldExpiryOperation(Replica& r, size_t i, const std::string& key) {
    SimEnv& env = cluster_.env();
    const std::string field = "f" + std::to_string(env.Uniform(3));
    const uint64_t now = cluster_.WallMillis(i);
    Status s;
    switch (env.Uniform(7)) {
      case 0: s = r.MapSet(key, field, "v" + std::to_string(env.Uniform(9))); break;
      case 1: s = r.MapIncrement(key, field, 1, OrMapKind::kRegister).status(); break;
      case 2:
      case 3: s = r.SetFieldExpiry(key, field, now + 1 + env.Uniform(600)).status(); break;
      case 4: s = r.SetFieldExpiry(key, field, env.Chance(0.5) ? 0 : now).status(); break;
      case 5: s = r.MapRemove(key, field); break;
      default: s = r.Delete(key).status(); break;
    }
    // HINCRBY of a text field: refused, as it must be.
    if (s.code() == StatusCode::kInvalidArgument) return Status::Ok();
    return s;
  }

  // After the run nobody renews: once the longest lease (1.5 s) and the
  // clock skew have passed, no replica lists a member.
  std::string CheckLeasesRanOut() {
    cluster_.RunFor(1'500'000 + 2'000 * static_cast<uint64_t>(std::max<int64_t>(o_.clock_skew_millis, 0)) + 200'000);
    for (size_t i = 0; i < cluster_.size(); ++i) {
      if (!cluster_.up(i)) continue;
      std::vector<PresenceEntry> left = cluster_.node(i).presence().List("room");
      if (!left.empty()) {
        return cluster_.name(i) + " still lists " + left[0].member + "@" + left[0].replica +
               " after every lease ended (expires_at " + std::to_string(left[0].expires_at_millis) + ", clock " +
               std::to_string(cluster_.WallMillis(i)) + ")";
      }
    }
    return "";
  }

  // Where replica 0's state first differs from another's (" (...)"), for
  // the failure message.
  std::string FirstDifference() {
    auto lines = [&](size_t i) {
      std::istringstream in(cluster_.Dump(i));
      std::vector<std::string> out;
      for (std::string line; std::getline(in, line);) out.push_back(line);
      return out;
    };
    std::vector<std::string> first = lines(0);
    for (size_t i = 1; i < cluster_.size(); ++i) {
      if (!cluster_.up(i)) continue;
      std::vector<std::string> other = lines(i);
      auto [a, b] = std::mismatch(first.begin(), first.end(), other.begin(), other.end());
      if (a == first.end() && b == other.end()) continue;
      return " (" + cluster_.name(0) + ": " + (a == first.end() ? "<end>" : a->substr(0, 300)) + "; " +
             cluster_.name(i) + ": " + (b == other.end() ? "<end>" : b->substr(0, 300)) + ")";
    }
    return "";
  }

  // A field of the map `state` that reads as present at clock `wa` and not
  // at `wb` (or the reverse) although its expiry does not lie between
  // them; "" when there is none.
  static std::string DisagreeingField(const AnyCrdt& state, uint64_t wa, uint64_t wb) {
    const OrMap* m = std::get_if<OrMap>(&state);
    if (m == nullptr) return "";
    for (const std::string& f : m->Keys()) {
      const Lifetime* life = m->FieldLife(f);
      if (life == nullptr) continue;
      const uint64_t t = life->expires_at_millis();
      if (t != 0 && life->ExpiredAt(wa) != life->ExpiredAt(wb) && !(std::min(wa, wb) < t && t <= std::max(wa, wb))) {
        return f;
      }
    }
    return "";
  }

  // Two replicas holding the same state of an expiring key (value and
  // lifetime) must agree whether it exists, unless its expiry time lies
  // between their clocks (the documented bound: the clock skew).
  void CheckExpiryAgreement() {
    if (!failure_.empty()) return;
    std::vector<std::string> keys(presence_keys_.begin(), presence_keys_.end());
    for (int k = 0; k < kExpiringKeys; ++k) keys.push_back("session-" + std::to_string(k));
    for (int k = 0; k < 2; ++k) keys.push_back("room-" + std::to_string(k));
    for (const std::string& key : keys) {
      for (size_t i = 0; i < cluster_.size(); ++i) {
        for (size_t j = i + 1; j < cluster_.size(); ++j) {
          if (!cluster_.up(i) || !cluster_.up(j)) continue;
          const Replica& a = cluster_.node(i).replica();
          const Replica& b = cluster_.node(j).replica();
          Lifetime la, lb;
          const AnyCrdt* sa = a.FindState(key, &la);
          const AnyCrdt* sb = b.FindState(key, &lb);
          if (sa == nullptr || sb == nullptr || !(la == lb) || EncodeCrdt(*sa) != EncodeCrdt(*sb)) continue;
          uint64_t wa = cluster_.WallMillis(i), wb = cluster_.WallMillis(j);
          if (const std::string field = DisagreeingField(*sa, wa, wb); !field.empty()) {
            failure_ = "replicas " + cluster_.name(i) + " and " + cluster_.name(j) + " hold the same state of " + key +
                       " but disagree whether field " + field + " exists (clocks " + std::to_string(wa) + " and " +
                       std::to_string(wb) + ")";
            return;
          }
          bool present_a = a.Find(key) != nullptr, present_b = b.Find(key) != nullptr;
          if (present_a == present_b) continue;
          uint64_t t = la.expires_at_millis();
          if (t != 0 && std::min(wa, wb) < t && t <= std::max(wa, wb)) continue;
          failure_ = "replicas " + cluster_.name(i) + " and " + cluster_.name(j) + " hold the same state of " + key +
                     " (expiry " + std::to_string(t) + ", clocks " + std::to_string(wa) + " and " +
                     std::to_string(wb) + ") but disagree whether it exists";
          return;
        }
      }
    }
  }

  // FLUSHDB: DEL of every key with a value, except grow-only counters.
  Status FlushDb(Replica& r, std::vector<std::function<void(WorkloadModel&)>>* applies) {
    std::vector<std::string> keys;
    for (const std::string& key : r.Keys()) {
      const AnyCrdt* v = r.Find(key);
      if (HasValue(*v) && !std::holds_alternative<GCounter>(*v)) keys.push_back(key);
    }
    for (const std::string& key : keys) {
      // Keys of mixed types, expiring keys and presence leases have no value
      // model, only the convergence and expiry checks.
      if (key.starts_with("mixed-") || key.starts_with("session-") || key.starts_with("room-") ||
          key.starts_with(Presence::kKeyPrefix)) {
        RS_RETURN_IF_ERROR(r.Delete(key).status());
      } else {
        RS_RETURN_IF_ERROR(DeleteKey(r, key, applies));
      }
    }
    return Status::Ok();
  }

  std::string CheckModel() {
    if (!failure_.empty()) return failure_;
    const Replica& r = cluster_.node(0).replica();
    std::map<std::string, const AnyCrdt*> state;
    for (const std::string& key : r.Keys()) state[key] = r.Find(key);
    return model_.Check(state);
  }

  SimOptions o_;
  SimCluster cluster_;
  WorkloadModel model_;
  std::vector<std::vector<PendingOp>> pending_;
  std::vector<uint64_t> restart_at_;
  uint64_t acknowledged_ = 0;
  uint64_t refused_writes_ = 0;
  uint64_t hash_ = 0xcbf29ce484222325ULL;
  std::string failure_;
  std::set<std::string> presence_keys_;  // every presence key a PresenceOperation wrote
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

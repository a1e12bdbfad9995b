// Store: the durable half of a replica. It holds
//   - the replica's identity (epoch) and clock (last HLC, next sequence),
//   - a snapshot of every key's CRDT state, plus deltas logged since: a
//     big key's commit may log just what changed (append_delta), and its
//     state is the join of the snapshot and those deltas, which the Replica
//     computes at restore (stores do not know CRDTs). A put or delete of
//     the key's state supersedes its deltas;
//   - the outbox: keys with local writes not yet confirmed published (the
//     Replica stores a marker, older builds the delta), grouped in generations
//     (a generation is sealed when a flush starts and deleted once every
//     message of it was published).
// A Replica writes through Commit(batch): one batch is atomic, so a crash
// keeps either all of a batch or none of it. The in-memory store (here) backs
// the simulator; the SQLite store backs the daemon.
//
//   auto store = NewMemoryStore();
//   StoreBatch b;
//   b.put_state["visits"] = {pb::G_COUNTER, bytes};
//   RS_RETURN_IF_ERROR(store->Commit(b));
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"

namespace regionsync {

struct StoredValue {
  CrdtType type = pb::CRDT_TYPE_UNSPECIFIED;
  std::string bytes;
  bool operator==(const StoredValue&) const = default;
};

struct StoreMeta {
  uint64_t epoch = 0;          // 0 = never started: choose a new epoch
  uint64_t last_hlc = 0;       // the clock never restarts below this
  uint64_t next_sequence = 1;  // next envelope sequence number of this epoch
  std::string boot_id;         // Env::BootId() when this meta was written
  bool operator==(const StoreMeta&) const = default;
};

// What one Commit writes, atomically.
struct StoreBatch {
  std::optional<StoreMeta> meta;
  std::map<std::string, StoredValue> put_state;
  std::set<std::string> delete_state;
  // Deltas to join into a key's stored state, applied after this batch's
  // put_state and delete_state (so a merged batch may put a key and then
  // log deltas of it).
  std::map<std::string, std::vector<StoredValue>> append_delta;
  // (generation, key) -> the outbox row of that key in that generation
  // (opaque to the store: the Replica writes a marker, see replica_commit.cc).
  std::map<std::pair<uint64_t, std::string>, StoredValue> put_outbox;
  std::set<uint64_t> delete_outbox_generations;

  bool empty() const {
    return !meta && put_state.empty() && delete_state.empty() && append_delta.empty() && put_outbox.empty() &&
           delete_outbox_generations.empty();
  }
};

class Store {
 public:
  virtual ~Store() = default;

  // Meta as last committed; a fresh store returns StoreMeta{} (epoch 0).
  virtual Result<StoreMeta> LoadMeta() = 0;
  // About how many keys have a state (to size tables before ForEachState);
  // 0 when the store cannot tell cheaply.
  virtual size_t StateCountHint() { return 0; }
  // Calls fn for every key's state, in key order.
  virtual Status ForEachState(const std::function<void(const std::string& key, const StoredValue&)>& fn) = 0;
  // Calls fn for every delta logged since the key's state was last put
  // (the key may have no state row), each key's in the order appended.
  virtual Status ForEachDelta(const std::function<void(const std::string& key, const StoredValue&)>& fn) = 0;
  // Calls fn for every outbox row, by generation then key.
  virtual Status ForEachOutbox(
      const std::function<void(uint64_t generation, const std::string& key, const StoredValue&)>& fn) = 0;
  // Applies the batch atomically. On error nothing of it is applied.
  virtual Status Commit(const StoreBatch& batch) = 0;
};

// A store in memory (for the simulator and tests). Survives the Replica that
// uses it, which is how a simulated crash keeps its disk.
std::unique_ptr<Store> NewMemoryStore();

}  // namespace regionsync

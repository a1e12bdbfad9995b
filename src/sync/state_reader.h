// ReadStates: reads and decodes every stored state of a restore
// (Replica::Open) and hands the decoded rows to the caller's thread in
// batches, in the store's order. Three stages overlap: one helper thread
// reads the rows, another decodes them, and the caller inserts the batch
// decoded before; on two cores an open of a big store takes about half the
// sum of the three instead of the whole sum. Internal to src/sync.
//
//   Status s = ReadStates(*store, [&](std::vector<DecodedState>& batch) { ... });
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "regionsync/crdt/key_state.h"
#include "regionsync/store/store.h"

namespace regionsync {

struct DecodedState {
  std::string key;
  Result<KeyState> state;  // FromStored's result: the caller reports an error
  size_t bytes = 0;        // size of the stored encoding
  uint64_t hash = 0;       // StateHash of the stored row
};

// Called on the caller's thread with each batch, in order. Returning false
// stops the reading (the rows after it are dropped).
using DecodedStateSink = std::function<bool(std::vector<DecodedState>& batch)>;

inline constexpr size_t kReadStatesBatchRows = 8192;

// The store's ForEachState error, if any. The store is used from the reading
// thread only while this runs; the sink, from the caller's thread only. A
// store of fewer rows than a batch is read on the caller's thread.
Status ReadStates(Store& store, const DecodedStateSink& sink, size_t batch_rows = kReadStatesBatchRows);

}  // namespace regionsync

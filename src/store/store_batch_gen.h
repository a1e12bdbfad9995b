// A rapidcheck generator of StoreBatches for the store tests: any mix of
// puts, deletes and deltas over four keys, and outbox rows over three
// generations. A key may be deleted, put and given deltas in one batch
// (stores apply deletes, then puts, then deltas).
#pragma once

#include <rapidcheck.h>

#include <string>

#include "regionsync/store/store.h"

namespace regionsync::store_test {

inline StoreBatch GenBatch() {
  static const char* const kKeys[] = {"a", "b", "c", "d"};
  StoreBatch b;
  if (*rc::gen::inRange(0, 4) == 0) {
    b.meta = StoreMeta{*rc::gen::inRange<uint64_t>(1, 4), *rc::gen::arbitrary<uint64_t>(),
                       *rc::gen::inRange<uint64_t>(1, 100), *rc::gen::element<std::string>("", "boot-1")};
  }
  int n = *rc::gen::inRange(0, 6);
  for (int i = 0; i < n; ++i) {
    std::string key = kKeys[*rc::gen::inRange(0, 4)];
    int what = *rc::gen::inRange(0, 5);
    if (what == 0) {
      b.delete_state.insert(key);
    } else if (what <= 2) {
      b.put_state[key] = {static_cast<CrdtType>(*rc::gen::inRange(1, 8)), *rc::gen::arbitrary<std::string>()};
    } else {
      // A key has deltas without a state row too (the store does not care).
      b.append_delta[key].push_back({static_cast<CrdtType>(*rc::gen::inRange(1, 8)),
                                     *rc::gen::element<std::string>("d1", "d2", "d3")});
    }
  }
  // Generations in a small range, put and deleted in any order: stronger
  // than the replica's use (increasing generations).
  n = *rc::gen::inRange(0, 3);
  for (int i = 0; i < n; ++i) {
    uint64_t generation = *rc::gen::inRange<uint64_t>(1, 4);
    if (*rc::gen::inRange(0, 3) == 0) {
      b.delete_outbox_generations.insert(generation);
    } else {
      b.put_outbox[{generation, kKeys[*rc::gen::inRange(0, 4)]}] = {pb::G_COUNTER,
                                                                    *rc::gen::arbitrary<std::string>()};
    }
  }
  return b;
}

}  // namespace regionsync::store_test

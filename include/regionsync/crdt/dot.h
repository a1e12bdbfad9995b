// Dot: one event of one actor, (actor, counter). Counters start at 1 and
// grow by one per event of that actor on one CRDT state.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

#include "regionsync/common/replica_id.h"

namespace regionsync {

struct Dot {
  ActorId actor = 0;
  uint64_t counter = 0;
  auto operator<=>(const Dot&) const = default;
};

struct DotHash {
  size_t operator()(const Dot& d) const noexcept {
    uint64_t h = d.actor ^ (d.counter * 0x9E3779B97F4A7C15ULL);
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

}  // namespace regionsync

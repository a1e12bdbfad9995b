// Hybrid logical clock (Kulkarni et al. 2014): a 64-bit timestamp whose high
// 48 bits are wall milliseconds and whose low 16 bits are a logical counter.
// It never goes backwards, keeps moving when the wall clock jumps back, and
// is always greater than every timestamp this replica has observed.
//
// Remote timestamps that run ahead: the clock follows a remote timestamp only
// up to wall + max_drift. Beyond that it CLAMPS (it does not reject the
// message: the data is still applied, the clock just refuses to jump to the
// sender's future). Observe() reports the clamp so callers can count it.
//
//   Hlc clock(/*max_drift_ms=*/60'000);
//   HlcTimestamp t = clock.Now(env.WallMillis());
//   clock.Observe(envelope.send_time, env.WallMillis());
//
// Client timestamps: a write may carry the client's own time in ms; only
// 48 bits of it fit, so CheckClientMillis must accept it before it becomes
// an HlcTimestamp (HlcFromMillis would silently drop the high bits).
#pragma once

#include <algorithm>
#include <cstdint>

#include "regionsync/common/status.h"

namespace regionsync {

using HlcTimestamp = uint64_t;

// The largest wall time a timestamp holds: 2^48 - 1 ms, about the year 10889.
inline constexpr uint64_t kMaxHlcMillis = (uint64_t{1} << 48) - 1;

// REQUIRES: ms <= kMaxHlcMillis (else the high bits are lost).
constexpr HlcTimestamp HlcFromMillis(uint64_t ms) { return ms << 16; }
constexpr uint64_t HlcMillis(HlcTimestamp t) { return t >> 16; }
constexpr uint64_t HlcLogical(HlcTimestamp t) { return t & 0xFFFF; }

// Ok if a client timestamp of `ms` milliseconds since the Unix epoch fits
// the clock (0 to kMaxHlcMillis); InvalidArgument naming that range if not.
[[nodiscard]] Status CheckClientMillis(uint64_t ms);

class Hlc {
 public:
  static constexpr uint64_t kDefaultMaxDriftMillis = 5 * 60 * 1000;

  explicit Hlc(uint64_t max_drift_millis = kDefaultMaxDriftMillis, HlcTimestamp last = 0)
      : max_drift_millis_(max_drift_millis), last_(last) {}

  // A timestamp greater than every one returned or observed before.
  HlcTimestamp Now(uint64_t wall_millis) {
    last_ = std::max(last_ + 1, HlcFromMillis(wall_millis));
    return last_;
  }

  // Moves the clock past a timestamp seen in a message. Returns false when
  // `remote` is more than max_drift ahead of `wall_millis`; then the clock
  // advances only to the drift limit.
  bool Observe(HlcTimestamp remote, uint64_t wall_millis) {
    HlcTimestamp limit = HlcFromMillis(wall_millis + max_drift_millis_) | 0xFFFF;
    if (remote > limit) {
      last_ = std::max(last_, limit);
      return false;
    }
    last_ = std::max(last_, remote);
    return true;
  }

  HlcTimestamp last() const { return last_; }

 private:
  uint64_t max_drift_millis_;
  HlcTimestamp last_;
};

}  // namespace regionsync

#include "regionsync/common/hlc.h"

#include <string>

namespace regionsync {

Status CheckClientMillis(uint64_t ms) {
  if (ms <= kMaxHlcMillis) return Status::Ok();
  return InvalidArgument("client timestamp " + std::to_string(ms) +
                         " ms is outside the range a timestamp can hold: 0 to " + std::to_string(kMaxHlcMillis) +
                         " ms since the Unix epoch (2^48 - 1, about the year 10889)");
}

}  // namespace regionsync

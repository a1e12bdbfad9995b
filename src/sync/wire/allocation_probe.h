// Test-only: measures what operator new is asked for while a function runs,
// so tests can show that hostile input causes no large allocation. Linking
// allocation_probe.cc replaces the global operator new; only test binaries
// link it. Not seen: zstd's fixed-size contexts (malloc) and OrSet tables of
// 16 MiB or more (mmap, see or_set.h), so tests keep their inputs below that.
//
//   size_t peak = wire::PeakBytesDuring([&] { (void)OrSet::Decode(bytes); });
//   EXPECT_LE(peak, 16 * bytes.size());
#pragma once

#include <cstddef>
#include <functional>

namespace regionsync::wire {

// The largest single request.
size_t LargestAllocationDuring(const std::function<void()>& fn);

// The most bytes that allocations made while `fn` runs held at once (each
// counted at its requested size; blocks that existed before are ignored).
size_t PeakBytesDuring(const std::function<void()>& fn);

}  // namespace regionsync::wire

// Test-only: measures the largest single operator-new request made while a
// function runs, so tests can show that hostile input causes no large
// allocation. Linking allocation_probe.cc replaces the global operator new;
// only test binaries link it. (zstd allocates its fixed-size contexts with
// malloc; those are not seen.)
#pragma once

#include <cstddef>
#include <functional>

namespace regionsync::wire {

size_t LargestAllocationDuring(const std::function<void()>& fn);

}  // namespace regionsync::wire

#include "sync/wire/allocation_probe.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0};
// Which measurement an allocation belongs to (0: none), so a block made
// before a measurement and freed during it does not lower the count.
std::atomic<uint64_t> g_epoch{0};
std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

// Every block carries its size and epoch in front; 16 bytes keep the
// alignment malloc gives.
struct Header {
  size_t size;
  uint64_t epoch;
};
static_assert(sizeof(Header) == 16);

void RaiseTo(std::atomic<size_t>& a, size_t v) {
  size_t seen = a.load(std::memory_order_relaxed);
  while (v > seen && !a.compare_exchange_weak(seen, v)) {
  }
}
void RaiseTo(std::atomic<int64_t>& a, int64_t v) {
  int64_t seen = a.load(std::memory_order_relaxed);
  while (v > seen && !a.compare_exchange_weak(seen, v)) {
  }
}

void* Allocate(size_t size) {
  void* raw = std::malloc(sizeof(Header) + size);
  if (raw == nullptr) throw std::bad_alloc();
  auto* h = static_cast<Header*>(raw);
  h->size = size;
  h->epoch = 0;
  if (g_tracking.load(std::memory_order_relaxed)) {
    RaiseTo(g_largest, size);
    h->epoch = g_epoch.load(std::memory_order_relaxed);
    RaiseTo(g_peak, g_live.fetch_add(static_cast<int64_t>(size)) + static_cast<int64_t>(size));
  }
  return h + 1;
}

void Free(void* p) noexcept {
  if (p == nullptr) return;
  Header* h = static_cast<Header*>(p) - 1;
  if (h->epoch != 0 && h->epoch == g_epoch.load(std::memory_order_relaxed)) {
    g_live.fetch_sub(static_cast<int64_t>(h->size));
  }
  std::free(h);
}

}  // namespace

// In its own file so the compiler never inlines these next to their callers
// (GCC 12 then warns about new/free pairs it cannot see are matched).
void* operator new(size_t size) { return Allocate(size); }
void* operator new[](size_t size) { return Allocate(size); }
void operator delete(void* p) noexcept { Free(p); }
void operator delete(void* p, size_t) noexcept { Free(p); }
void operator delete[](void* p) noexcept { Free(p); }
void operator delete[](void* p, size_t) noexcept { Free(p); }

namespace regionsync::wire {

size_t LargestAllocationDuring(const std::function<void()>& fn) {
  g_largest = 0;
  g_tracking = true;
  fn();
  g_tracking = false;
  return g_largest;
}

size_t PeakBytesDuring(const std::function<void()>& fn) {
  g_epoch.fetch_add(1);
  g_live = 0;
  g_peak = 0;
  g_tracking = true;
  fn();
  g_tracking = false;
  return static_cast<size_t>(g_peak.load());
}

}  // namespace regionsync::wire

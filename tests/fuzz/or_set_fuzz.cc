// Fuzz target for OrSet::Decode: arbitrary bytes must never crash the
// decoder; whatever decodes must re-encode to the same bytes and decode to an
// equal state; and joining it into a small fixed set must not crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "regionsync/crdt/or_set.h"

namespace {

regionsync::OrSet FixedSet() {
  regionsync::OrSet s;
  (void)s.Add(1, "a");
  (void)s.Add(2, "b");
  (void)s.Add(1, "c");
  (void)s.Remove("a");
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  regionsync::Result<regionsync::OrSet> decoded = regionsync::OrSet::Decode(bytes);
  if (!decoded.ok()) return 0;
  const std::string again = decoded->Encode();
  if (again != bytes) abort();
  regionsync::Result<regionsync::OrSet> twice = regionsync::OrSet::Decode(again);
  if (!twice.ok() || !(*twice == *decoded)) abort();

  regionsync::OrSet target = FixedSet();
  target.Join(*decoded);
  regionsync::OrSet reverse = *decoded;
  reverse.Join(FixedSet());
  (void)target.Elements();
  (void)decoded->SplitDelta(64);
  return 0;
}

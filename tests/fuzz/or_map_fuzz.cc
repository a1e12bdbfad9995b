// Fuzzes OrMap::Decode: arbitrary bytes must decode or be rejected, never
// crash; whatever decodes must re-encode to the same bytes; and joining it
// into a small fixed state must not crash and must stay idempotent.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "regionsync/crdt/or_map.h"

namespace {

// A small state of the decoded map's kind (joining two kinds is a bug).
regionsync::OrMap FixedState(regionsync::OrMapKind kind) {
  using regionsync::OrMapKind;
  regionsync::OrMap s(kind);
  switch (kind) {
    case OrMapKind::kRegister:
      s.Assign(7, "a", 5, "12");
      s.IncrementRegister(9, "a", 2);  // a hash's counter field
      s.Assign(9, "b", 5, "y");
      s.SetFieldExpiry(7, "a", 6, 9000);  // a field with an expiry
      s.NextFieldIncarnation("c");        // and one in its second incarnation
      s.Assign(7, "c", 6, "z");
      break;
    case OrMapKind::kMvRegister:
      s.Assign(7, "a", 5, "x");
      s.Assign(9, "b", 5, "y");
      break;
    case OrMapKind::kFlag:
      s.Enable(7, "a");
      break;
    case OrMapKind::kCounter:
      s.Increment(7, "a", 3);
      s.Increment(9, "a", -1);
      break;
    case OrMapKind::kSet:
      s.AddElement(7, "a", "e");
      s.AddElement(9, "b", "f");
      break;
    case OrMapKind::kUnset:
      break;
  }
  s.Remove("b");
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = regionsync::OrMap::Decode(bytes);
  if (!decoded.ok()) return 0;
  std::string again = decoded->Encode();
  if (again != bytes) abort();
  auto redecoded = regionsync::OrMap::Decode(again);
  if (!redecoded.ok() || !(*redecoded == *decoded)) abort();
  regionsync::OrMap state = FixedState(decoded->kind());
  state.Join(*decoded);
  regionsync::OrMap twice = state;
  if (twice.Join(*decoded) || !(twice == state)) abort();
  regionsync::OrMap other = *decoded;
  other.Join(FixedState(decoded->kind()));
  if (other.Encode() != state.Encode()) abort();
  for (const regionsync::OrMap& piece : decoded->SplitDelta(64)) {
    regionsync::OrMap p = FixedState(decoded->kind());
    p.Join(piece);
  }
  return 0;
}

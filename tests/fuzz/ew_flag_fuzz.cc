// Fuzzes EwFlag::Decode: arbitrary bytes must decode or be rejected, never
// crash; whatever decodes must re-encode to the same bytes; and joining it
// into a small fixed state must not crash and must stay idempotent.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "regionsync/crdt/ew_flag.h"

namespace {

regionsync::EwFlag FixedState() {
  regionsync::EwFlag s;
  s.Enable(7);
  s.Join(regionsync::EwFlag().Enable(9));
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = regionsync::EwFlag::Decode(bytes);
  if (!decoded.ok()) return 0;
  std::string again = decoded->Encode();
  if (again != bytes) abort();
  auto redecoded = regionsync::EwFlag::Decode(again);
  if (!redecoded.ok() || !(*redecoded == *decoded)) abort();
  regionsync::EwFlag state = FixedState();
  state.Join(*decoded);
  regionsync::EwFlag twice = state;
  if (twice.Join(*decoded) || !(twice == state)) abort();
  regionsync::EwFlag other = *decoded;
  other.Join(FixedState());
  if (other.Encode() != state.Encode()) abort();
  return 0;
}

// Fuzzes MvRegister::Decode: arbitrary bytes must decode or be rejected, never
// crash; whatever decodes must re-encode to the same bytes; and joining it
// into a small fixed state must not crash and must stay idempotent.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "regionsync/crdt/mv_register.h"

namespace {

regionsync::MvRegister FixedState() {
  regionsync::MvRegister s;
  s.Assign(7, "x");
  s.Join(regionsync::MvRegister().Assign(9, "y"));
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = regionsync::MvRegister::Decode(bytes);
  if (!decoded.ok()) return 0;
  std::string again = decoded->Encode();
  if (again != bytes) abort();
  auto redecoded = regionsync::MvRegister::Decode(again);
  if (!redecoded.ok() || !(*redecoded == *decoded)) abort();
  regionsync::MvRegister state = FixedState();
  state.Join(*decoded);
  regionsync::MvRegister twice = state;
  if (twice.Join(*decoded) || !(twice == state)) abort();
  regionsync::MvRegister other = *decoded;
  other.Join(FixedState());
  if (other.Encode() != state.Encode()) abort();
  return 0;
}

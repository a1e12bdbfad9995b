// Fuzzes LwwRegister::Decode with arbitrary bytes. Whatever decodes must be
// canonical: re-encoding gives back the input, and decoding that again gives
// an equal state. Anything else (or a crash, leak or UB) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "regionsync/crdt/lww_register.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  regionsync::Result<regionsync::LwwRegister> first = regionsync::LwwRegister::Decode(input);
  if (!first.ok()) return 0;
  std::string bytes = first->Encode();
  if (bytes != input) std::abort();
  regionsync::Result<regionsync::LwwRegister> second = regionsync::LwwRegister::Decode(bytes);
  if (!second.ok() || !(*second == *first) || second->Encode() != bytes) std::abort();
  (void)first->ToJson();
  // Joining a decoded state into itself must change nothing.
  regionsync::LwwRegister copy = *first;
  if (copy.Join(*first) || !(copy == *first)) std::abort();
  return 0;
}

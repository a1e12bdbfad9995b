// Fuzzes RedisString::Decode with arbitrary bytes. Whatever decodes must be
// canonical: re-encoding gives back the input, and decoding that again gives
// an equal state. Anything else (or a crash, leak or UB) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "regionsync/crdt/redis_string.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  regionsync::Result<regionsync::RedisString> first = regionsync::RedisString::Decode(input);
  if (!first.ok()) return 0;
  std::string bytes = first->Encode();
  if (bytes != input) std::abort();
  regionsync::Result<regionsync::RedisString> second = regionsync::RedisString::Decode(bytes);
  if (!second.ok() || !(*second == *first) || second->Encode() != bytes) std::abort();
  (void)first->ToJson();
  // Joining a decoded state into itself must change nothing.
  regionsync::RedisString copy = *first;
  if (copy.Join(*first) || !(copy == *first)) std::abort();
  return 0;
}

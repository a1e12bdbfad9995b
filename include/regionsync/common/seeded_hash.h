// SeededHash: a fast 64-bit hash of byte strings for in-memory tables whose
// keys come from clients (Redis keys, set elements). The seed is drawn once
// per process, so which keys share a slot cannot be worked out from outside
// (hash flooding: many keys in one slot make every probe walk them all).
// The environment variable REGIONSYNC_HASH_SEED pins the seed (tests do).
// Never use it for anything another process must agree on; Hash64 (sync)
// is the stable one.
//
//   size_t slot = SeededHash(key) & (slots - 1);
#pragma once

#include <cstdint>
#include <string_view>

namespace regionsync {

uint64_t SeededHash(std::string_view bytes);

// For std::unordered_map<std::string, V, SeededStringHash, std::equal_to<>>:
// lookups by std::string_view need no std::string.
struct SeededStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return static_cast<size_t>(SeededHash(s)); }
};

}  // namespace regionsync

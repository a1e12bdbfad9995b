// Fuzzes SortedSet::Decode: arbitrary bytes must decode or be rejected, never
// crash; whatever decodes must re-encode to the same bytes; joining it into a
// small fixed state must be commutative and idempotent and keep the rank
// index in step; and its split pieces must join back to it.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "regionsync/crdt/sorted_set.h"

namespace {

// Registers, counters of two actors, an infinity and a removal.
regionsync::SortedSet FixedState() {
  regionsync::SortedSet s;
  s.Assign(7, "a", 5, 1.5);
  s.Increment(9, "a", 2);
  s.Assign(9, "b", 5, -std::numeric_limits<double>::infinity());
  s.Increment(7, "c", 4);
  s.Remove("c");
  return s;
}

// Ranks and scores read the same as a state rebuilt from its encoding.
void CheckIndex(const regionsync::SortedSet& s) {
  auto fresh = regionsync::SortedSet::Decode(s.Encode());
  if (!fresh.ok() || fresh->size() != s.size()) abort();
  for (size_t r = 0; r < s.size(); ++r) {
    regionsync::SortedSet::Entry a = s.At(r), b = fresh->At(r);
    if (a.member != b.member || a.score != b.score || s.Rank(a.member) != r) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = regionsync::SortedSet::Decode(bytes);
  if (!decoded.ok()) return 0;
  std::string again = decoded->Encode();
  if (again != bytes) abort();
  auto redecoded = regionsync::SortedSet::Decode(again);
  if (!redecoded.ok() || !(*redecoded == *decoded)) abort();
  regionsync::SortedSet state = FixedState();
  state.Join(*decoded);
  regionsync::SortedSet twice = state;
  if (twice.Join(*decoded) || !(twice == state)) abort();
  regionsync::SortedSet other = *decoded;
  other.Join(FixedState());
  if (other.Encode() != state.Encode()) abort();
  CheckIndex(state);
  regionsync::SortedSet rejoined;
  for (const regionsync::SortedSet& piece : decoded->SplitDelta(64)) rejoined.Join(piece);
  if (!(rejoined == *decoded)) abort();
  return 0;
}

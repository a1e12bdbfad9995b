#include "regionsync/server/resp/glob.h"

#include <cstddef>
#include <utility>

namespace regionsync {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);
// Redis gives up (no match) when a '*' would recurse deeper than this.
constexpr size_t kMaxStarRuns = 1000;

// Every element but '*' consumes exactly one text byte. Returns the pattern
// position after the element at `p` if it matches `c`, else kNone. Ported
// step by step from stringmatchlen() so that malformed patterns ("[", "[a-",
// a trailing '\') behave as in Redis; reads past the end see '\0' as Redis
// does on its NUL-terminated strings.
size_t MatchOne(std::string_view pattern, size_t p, char c) {
  const size_t n = pattern.size();
  auto at = [&](size_t i) { return i < n ? pattern[i] : '\0'; };
  switch (pattern[p]) {
    case '?':
      return p + 1;
    case '[': {
      ++p;
      const bool negate = at(p) == '^';
      if (negate) ++p;
      bool match = false;
      for (;;) {
        if (at(p) == '\\' && n - p >= 2) {
          ++p;
          if (pattern[p] == c) match = true;
        } else if (at(p) == ']') {
          break;
        } else if (p == n) {
          // Unclosed: stop on the last byte so the step below ends the pattern.
          --p;
          break;
        } else if (n - p >= 3 && pattern[p + 1] == '-') {
          int start = static_cast<signed char>(pattern[p]);
          int end = static_cast<signed char>(pattern[p + 2]);
          if (start > end) std::swap(start, end);
          const int ch = static_cast<signed char>(c);
          if (ch >= start && ch <= end) match = true;
          p += 2;
        } else if (pattern[p] == c) {
          match = true;
        }
        ++p;
      }
      return match != negate ? p + 1 : kNone;
    }
    case '\\':
      if (n - p >= 2) ++p;
      [[fallthrough]];
    default:
      return pattern[p] == c ? p + 1 : kNone;
  }
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // stringmatchlen() only looks at the pattern while text remains.
  if (text.empty()) return pattern.empty();
  const size_t n = pattern.size();
  size_t p = 0;
  size_t t = 0;
  // Backtracking only to the latest '*' is enough: every other element has a
  // fixed width, so letting an earlier '*' take more can only start the part
  // after the latest '*' later, which was already tried. This is Redis's
  // skipLongerMatches argument, and keeps the work O(pattern * text).
  size_t star_resume = kNone;  // pattern position after the latest '*' run
  size_t star_text = 0;        // text position that run's try started at
  size_t star_runs = 0;
  while (t < text.size()) {
    if (p < n && pattern[p] == '*') {
      while (p + 1 < n && pattern[p + 1] == '*') ++p;
      if (p + 1 == n) return true;
      if (++star_runs > kMaxStarRuns) return false;
      star_resume = ++p;
      star_text = t;
      continue;
    }
    const size_t next = p < n ? MatchOne(pattern, p, text[t]) : kNone;
    if (next != kNone) {
      p = next;
      ++t;
    } else if (star_resume != kNone) {
      p = star_resume;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < n && pattern[p] == '*') ++p;
  return p == n;
}

}  // namespace regionsync

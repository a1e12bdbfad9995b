#include "regionsync/server/resp/glob.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace regionsync {
namespace {

// Redis 7's stringmatchlen() (util.c, case-sensitive), kept verbatim in shape
// as the oracle: GlobMatch must agree with it on every input.
int RedisStringMatch(const char* pattern, int pattern_len, const char* string, int string_len,
                     int* skip_longer_matches, int nesting) {
  if (nesting > 1000) return 0;
  while (pattern_len && string_len) {
    switch (pattern[0]) {
      case '*':
        while (pattern_len && pattern[1] == '*') {
          pattern++;
          pattern_len--;
        }
        if (pattern_len == 1) return 1;
        while (string_len) {
          if (RedisStringMatch(pattern + 1, pattern_len - 1, string, string_len, skip_longer_matches,
                               nesting + 1))
            return 1;
          if (*skip_longer_matches) return 0;
          string++;
          string_len--;
        }
        *skip_longer_matches = 1;
        return 0;
      case '?':
        string++;
        string_len--;
        break;
      case '[': {
        pattern++;
        pattern_len--;
        int negate = pattern[0] == '^';
        if (negate) {
          pattern++;
          pattern_len--;
        }
        int match = 0;
        while (1) {
          if (pattern[0] == '\\' && pattern_len >= 2) {
            pattern++;
            pattern_len--;
            if (pattern[0] == string[0]) match = 1;
          } else if (pattern[0] == ']') {
            break;
          } else if (pattern_len == 0) {
            pattern--;
            pattern_len++;
            break;
          } else if (pattern_len >= 3 && pattern[1] == '-') {
            int start = static_cast<signed char>(pattern[0]);
            int end = static_cast<signed char>(pattern[2]);
            int c = static_cast<signed char>(string[0]);
            if (start > end) std::swap(start, end);
            pattern += 2;
            pattern_len -= 2;
            if (c >= start && c <= end) match = 1;
          } else if (pattern[0] == string[0]) {
            match = 1;
          }
          pattern++;
          pattern_len--;
        }
        if (negate) match = !match;
        if (!match) return 0;
        string++;
        string_len--;
        break;
      }
      case '\\':
        if (pattern_len >= 2) {
          pattern++;
          pattern_len--;
        }
        [[fallthrough]];
      default:
        if (pattern[0] != string[0]) return 0;
        string++;
        string_len--;
        break;
    }
    pattern++;
    pattern_len--;
    if (string_len == 0) {
      while (*pattern == '*') {
        pattern++;
        pattern_len--;
      }
      break;
    }
  }
  return pattern_len == 0 && string_len == 0;
}

bool RedisMatch(const std::string& pattern, const std::string& text) {
  int skip = 0;
  // std::string is NUL-terminated, as Redis's sds strings are.
  return RedisStringMatch(pattern.c_str(), static_cast<int>(pattern.size()), text.c_str(),
                          static_cast<int>(text.size()), &skip, 0);
}

TEST(GlobTest, MatchesLikeRedis) {
  struct Case {
    std::string pattern;
    std::string text;
    bool want;
  };
  const std::vector<Case> cases = {
      {"", "", true},
      {"*", "anything", true},
      {"*", "", false},  // Redis quirk: empty text only matches an empty pattern
      {"", "a", false},
      {"user:*", "user:42", true},
      {"user:*", "users:42", false},
      {"*:42", "user:42", true},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "aXXbYY", false},
      {"a**", "a", true},
      {"h?llo", "hello", true},
      {"h?llo", "hllo", false},
      {"h[ae]llo", "hallo", true},
      {"h[ae]llo", "hillo", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true},
      {"h[a-b]llo", "hcllo", false},
      {"h[z-a]llo", "hmllo", true},  // reversed range
      {"[\\]]", "]", true},
      {"[\\-]", "-", true},
      {"[a-]", "-", false},  // "a-]" is the range a..']', reversed: ']'..'a'
      {"[a-]", "^", true},
      {"h\\*llo", "h*llo", true},
      {"h\\*llo", "hello", false},
      {"\\?", "?", true},
      {"\\?", "x", false},
      {"a\\", "a\\", true},   // trailing backslash is literal
      {"[abc", "b", true},    // unclosed set takes the rest of the pattern
      {"[abc", "bc", false},
      {"[", "[", false},
      {"[^", "x", true},
      {"[]", "]", false},
      {"x[a-\xff]", "xb", false},  // signed chars: \xff is -1, so the range is -1..'a'
      {"x[\x80-\xff]", "x\x90", true},
      {std::string("a\0*", 3), std::string("a\0bc", 4), true},  // binary safe
      {std::string("a\0b", 3), std::string("a\0c", 3), false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.text), c.want) << "'" << c.pattern << "' vs '" << c.text << "'";
    EXPECT_EQ(RedisMatch(c.pattern, c.text), c.want) << "oracle: '" << c.pattern << "' vs '" << c.text << "'";
  }
}

TEST(GlobTest, PathologicalPatternStaysCorrect) {
  const std::string text(100000, 'a');
  EXPECT_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", text));
  EXPECT_TRUE(GlobMatch("*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?", text));
  EXPECT_FALSE(GlobMatch("*[b]*", text));
}

TEST(GlobTest, MoreThanAThousandStarRunsNeverMatchLikeRedis) {
  std::string pattern;
  for (int i = 0; i < 1000; ++i) pattern += "*a";
  const std::string text(2000, 'a');
  EXPECT_TRUE(GlobMatch(pattern, text));
  EXPECT_TRUE(GlobMatch(pattern + "*", text));  // the 1001st run ends the pattern
  EXPECT_FALSE(GlobMatch(pattern + "*a", text));
  EXPECT_EQ(RedisMatch(pattern + "*", text), true);
  EXPECT_EQ(RedisMatch(pattern + "*a", text), false);
}

// On patterns and texts over a small alphabet full of special bytes, the
// linear-time matcher agrees with Redis's backtracking one.
RC_GTEST_PROP(GlobProperty, AgreesWithRedisStringMatch, ()) {
  const auto byte = rc::gen::element('a', 'b', '*', '?', '[', ']', '^', '-', '\\', '\xe9');
  const auto pattern = *rc::gen::resize(12, rc::gen::container<std::string>(byte));
  const auto text = *rc::gen::resize(10, rc::gen::container<std::string>(rc::gen::element('a', 'b', '-', ']', '*', '\xe9')));
  RC_ASSERT(GlobMatch(pattern, text) == RedisMatch(pattern, text));
}

}  // namespace
}  // namespace regionsync

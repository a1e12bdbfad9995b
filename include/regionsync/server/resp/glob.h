// GlobMatch: Redis's glob-style patterns, for KEYS, SCAN MATCH and
// PSUBSCRIBE on regionsyncd's Redis-compatible port. Results are those of
// redis-server's stringmatchlen() (case-sensitive), quirks included, but in
// O(pattern * text) time where Redis can backtrack exponentially.
//
//   GlobMatch("user:*", "user:42");        // true
//   GlobMatch("h?llo", "hallo");           // true
//   GlobMatch("h[^e]llo", "hello");        // false
//   GlobMatch("h\\*llo", "h*llo");         // true: '\' escapes
//
// Syntax: '*' any run of bytes, '?' one byte, "[abc]" "[^abc]" "[a-z]" one
// byte in (or not in) a set, '\x' the byte x. Byte-wise and binary safe.
// Quirks kept from Redis: an empty text matches only an empty pattern (so
// "*" does not match ""); an unclosed '[' takes the rest of the pattern as its
// set; a reversed range "[z-a]" means "[a-z]"; range ends compare as signed
// chars (as on x86 Linux); a pattern that needs more than 1000 separate '*'
// runs before its end never matches.
#pragma once

#include <string_view>

namespace regionsync {

bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace regionsync

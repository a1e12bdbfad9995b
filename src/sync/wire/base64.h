// Strict base64 (RFC 4648 section 4: standard alphabet, '=' padding) for
// frame text. Internal to the wire module.
//
// Decoding accepts exactly what Base64Encode produces: no whitespace, no
// missing or extra padding, and zero bits in the unused low bits of the last
// character. So every byte string has one text form, and a truncated or
// altered text is an error rather than a different payload.
//
//   std::string text = Base64Encode("\x01\x02");   // "AQI="
//   std::optional<std::string> bytes = Base64Decode(text);
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace regionsync::wire {

// 4 * ceil(n / 3).
constexpr size_t Base64EncodedSize(size_t n) { return (n + 2) / 3 * 4; }

std::string Base64Encode(std::string_view bytes);

// Appends the encoding of `bytes` to *out.
void Base64Append(std::string_view bytes, std::string* out);

// Returns nullopt for any text that is not canonical base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace regionsync::wire

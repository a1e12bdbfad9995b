#include "sync/wire/base64.h"

#include <array>
#include <cstdint>

namespace regionsync::wire {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

}  // namespace

void Base64Append(std::string_view bytes, std::string* out) {
  const size_t start = out->size();
  out->resize(start + Base64EncodedSize(bytes.size()));
  char* dst = out->data() + start;
  const auto* src = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8) | src[i + 2];
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
    *dst++ = kAlphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{src[i]} << 16;
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = '=';
    *dst++ = '=';
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{src[i]} << 16) | (uint32_t{src[i + 1]} << 8);
    *dst++ = kAlphabet[(v >> 18) & 63];
    *dst++ = kAlphabet[(v >> 12) & 63];
    *dst++ = kAlphabet[(v >> 6) & 63];
    *dst++ = '=';
  }
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  Base64Append(bytes, &out);
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  if (text.empty()) return out;
  // Padding may only appear in the last quantum: "xx==" or "xxx=".
  size_t pad = 0;
  if (text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(text.size() / 4 * 3 - pad);
  char* dst = out.data();
  const size_t full_quanta = text.size() / 4 - (pad > 0 ? 1 : 0);
  const auto* src = reinterpret_cast<const uint8_t*>(text.data());
  for (size_t q = 0; q < full_quanta; ++q, src += 4) {
    const uint8_t a = kDecode[src[0]], b = kDecode[src[1]], c = kDecode[src[2]], d = kDecode[src[3]];
    if ((a | b | c | d) > 63) return std::nullopt;  // kInvalid has the top bits set
    const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6) | d;
    *dst++ = static_cast<char>(v >> 16);
    *dst++ = static_cast<char>(v >> 8);
    *dst++ = static_cast<char>(v);
  }
  if (pad == 0) return out;
  const uint8_t a = kDecode[src[0]], b = kDecode[src[1]];
  if (a > 63 || b > 63) return std::nullopt;
  if (pad == 2) {
    // 'xx==' carries 8 bits: the low 4 bits of b must be zero.
    if ((b & 0x0f) != 0) return std::nullopt;
    *dst++ = static_cast<char>((a << 2) | (b >> 4));
    return out;
  }
  const uint8_t c = kDecode[src[2]];
  // 'xxx=' carries 16 bits: the low 2 bits of c must be zero.
  if (c > 63 || (c & 0x03) != 0) return std::nullopt;
  const uint32_t v = (uint32_t{a} << 18) | (uint32_t{b} << 12) | (uint32_t{c} << 6);
  *dst++ = static_cast<char>(v >> 16);
  *dst++ = static_cast<char>(v >> 8);
  return out;
}

}  // namespace regionsync::wire

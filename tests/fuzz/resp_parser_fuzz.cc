// Fuzzes RespParser, the first code to touch bytes from Redis clients.
//
// Each input is parsed twice: fed at once, and fed in pseudo-random chunks
// (sizes derived from the input, alternating Feed() and PrepareFeed()). Both
// must yield the same commands, the same final error or the same leftover
// byte count: where a read happens to split the stream must never matter.
// Every command must also survive re-encoding as multibulk. Small limits make
// the limit checks reachable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "regionsync/server/resp/resp_parser.h"

namespace {

using regionsync::RespLimits;
using regionsync::RespParser;
using regionsync::Result;
using Command = std::vector<std::string>;

constexpr RespLimits kLimits{.max_args = 64, .max_bulk_bytes = 4096, .max_inline_bytes = 256};

struct Outcome {
  std::vector<Command> commands;
  std::string error;
  size_t buffered = 0;
  bool operator==(const Outcome&) const = default;
};

// Drains every complete command; false once the parser failed.
bool Drain(RespParser& parser, Outcome* out) {
  Command args;
  for (;;) {
    Result<bool> got = parser.Next(&args);
    if (!got.ok()) {
      out->error = got.status().message();
      return false;
    }
    if (!*got) return true;
    if (args.empty()) std::abort();
    out->commands.push_back(args);
  }
}

Outcome ParseAtOnce(std::string_view bytes) {
  RespParser parser(kLimits);
  Outcome out;
  parser.Feed(bytes);
  if (Drain(parser, &out)) out.buffered = parser.buffered_bytes();
  return out;
}

Outcome ParseInChunks(std::string_view bytes) {
  uint64_t seed = 1469598103934665603ull;  // FNV-1a of the input
  for (unsigned char c : bytes) seed = (seed ^ c) * 1099511628211ull;
  RespParser parser(kLimits);
  Outcome out;
  size_t i = 0;
  bool zero_copy = false;
  while (i < bytes.size()) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    const size_t n = std::min<size_t>(bytes.size() - i, 1 + seed % 64);
    if (zero_copy) {
      std::span<char> room = parser.PrepareFeed(n);
      std::memcpy(room.data(), bytes.data() + i, n);
      parser.CommitFeed(n);
    } else {
      parser.Feed(bytes.substr(i, n));
    }
    zero_copy = !zero_copy;
    i += n;
    if (!Drain(parser, &out)) return out;
  }
  out.buffered = parser.buffered_bytes();
  return out;
}

std::string Multibulk(const std::vector<Command>& commands) {
  std::string s;
  for (const Command& c : commands) {
    s += "*" + std::to_string(c.size()) + "\r\n";
    for (const std::string& a : c) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  }
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Outcome whole = ParseAtOnce(bytes);
  if (!(ParseInChunks(bytes) == whole)) std::abort();
  if (whole.buffered > size) std::abort();
  // Whatever parsed (inline or not) re-encodes as multibulk losslessly.
  const Outcome again = ParseAtOnce(Multibulk(whole.commands));
  if (!again.error.empty() || again.commands != whole.commands || again.buffered != 0) std::abort();
  return 0;
}

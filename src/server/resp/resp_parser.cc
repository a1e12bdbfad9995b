#include "regionsync/server/resp/resp_parser.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

namespace regionsync {
namespace {

constexpr size_t kNotFound = std::numeric_limits<size_t>::max();
// A declared argument count is only a claim: reserve at most this many slots
// up front and let real arguments grow the rest.
constexpr size_t kMaxReservedArgs = 1024;
constexpr size_t kMinCapacity = 16 * 1024;
// After a huge argument, give the memory back once the buffer drains.
constexpr size_t kShrinkAbove = 1024 * 1024;

// Redis's string2ll: optional '-', no '+', no leading zeros, no spaces, at
// most 20 characters. Counts and lengths must be accepted and rejected exactly
// as redis-server does.
bool ParseLength(const char* p, size_t n, int64_t* out) {
  if (n == 0 || n >= 21) return false;
  if (n == 1 && p[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = p[0] == '-';
  if (negative && ++i == n) return false;
  if (p[i] < '1' || p[i] > '9') return false;
  uint64_t v = static_cast<uint64_t>(p[i++] - '0');
  for (; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(p[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();
  if (negative) {
    if (v > kMax + 1) return false;
    *out = v == kMax + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
  } else {
    if (v > kMax) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// C isspace() in the "C" locale, without the locale lookup.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// Bytes that end or change the state of an unquoted inline token.
bool IsUnquotedSpecial(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '"' || c == '\'';
}

// Redis's sdssplitargs() on one inline line, into reused strings. It works on
// C strings, so the line ends at its first NUL byte like it does in Redis.
// Returns false for unbalanced quotes or a closing quote followed by a
// non-space.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* args) {
  if (const void* nul = std::memchr(line.data(), '\0', line.size())) {
    line = line.substr(0, static_cast<const char*>(nul) - line.data());
  }
  const char* p = line.data();
  const char* const end = p + line.size();
  auto at = [end](const char* q) { return q < end ? *q : '\0'; };
  size_t argc = 0;
  for (;;) {
    while (p < end && IsSpace(*p)) ++p;
    if (p == end) break;
    if (argc == args->size()) args->emplace_back();
    std::string& current = (*args)[argc++];
    current.clear();
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && IsHexDigit(at(p + 2)) && IsHexDigit(at(p + 3))) {
          current.push_back(static_cast<char>(HexValue(p[2]) * 16 + HexValue(p[3])));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          ++p;
          switch (*p) {
            case 'n': current.push_back('\n'); break;
            case 'r': current.push_back('\r'); break;
            case 't': current.push_back('\t'); break;
            case 'b': current.push_back('\b'); break;
            case 'a': current.push_back('\a'); break;
            default: current.push_back(*p); break;
          }
        } else if (c == '"') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          current.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          current.push_back('\'');
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          current.push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default: {
            // Plain run: append it at once rather than byte by byte.
            const char* run_end = p + 1;
            while (run_end < end && *run_end != '\0' && !IsUnquotedSpecial(*run_end)) ++run_end;
            current.append(p, run_end - p);
            p = run_end - 1;
            break;
          }
        }
      }
      if (p < end) ++p;
    }
  }
  args->resize(argc);
  return true;
}

}  // namespace

RespParser::RespParser(RespLimits limits) : limits_(limits) {}

void RespParser::Feed(std::string_view bytes) {
  if (!error_.ok()) return;
  Reserve(bytes.size());
  if (!bytes.empty()) std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
  size_ += bytes.size();
}

std::span<char> RespParser::PrepareFeed(size_t n) {
  if (!error_.ok()) {
    // Nothing more will be parsed; keep reusing the same bytes.
    size_ = command_start_ = cursor_ = scanned_ = 0;
  }
  Reserve(n);
  return {data_.get() + size_, capacity_ - size_};
}

void RespParser::CommitFeed(size_t n) {
  assert(n <= capacity_ - size_);
  size_ += n;
}

void RespParser::Reserve(size_t n) {
  const size_t live = size_ - command_start_;
  if (live != 0 && capacity_ - size_ >= n) return;
  if (live == 0 && capacity_ > kShrinkAbove && n <= capacity_ / 4) {
    data_.reset();
    capacity_ = 0;
  }
  // Drop the consumed prefix when it is free (nothing live) or when moving the
  // live tail costs no more than what it reclaims, so bytes move O(1) times.
  const bool compact = live == 0 || (command_start_ >= live && capacity_ - live >= n);
  if (compact) {
    if (live != 0) std::memmove(data_.get(), data_.get() + command_start_, live);
  } else {
    const size_t new_capacity = std::max({capacity_ * 2, live + n, kMinCapacity});
    auto fresh = std::make_unique_for_overwrite<char[]>(new_capacity);
    if (live != 0) std::memcpy(fresh.get(), data_.get() + command_start_, live);
    data_ = std::move(fresh);
    capacity_ = new_capacity;
  }
  cursor_ -= command_start_;
  scanned_ -= command_start_;
  size_ = live;
  command_start_ = 0;
  if (capacity_ - size_ < n) {  // only after compacting into a too-small buffer
    const size_t new_capacity = std::max({capacity_ * 2, live + n, kMinCapacity});
    auto fresh = std::make_unique_for_overwrite<char[]>(new_capacity);
    if (live != 0) std::memcpy(fresh.get(), data_.get(), live);
    data_ = std::move(fresh);
    capacity_ = new_capacity;
  }
}

Result<bool> RespParser::Next(std::vector<std::string>* args) {
  while (error_.ok()) {
    if (stage_ == Stage::kCommandStart) {
      if (cursor_ == size_) return false;
      // Like Redis: a command is multibulk iff its first byte is '*'.
      stage_ = data_[cursor_] == '*' ? Stage::kMultibulkCount : Stage::kInline;
    }
    switch (stage_ == Stage::kInline ? ParseInline(args) : ParseMultibulk(args)) {
      case Progress::kCommand:
        return true;
      case Progress::kNeedMore:
        return false;
      case Progress::kSkipped:
      case Progress::kError:
        break;
    }
  }
  return error_;
}

size_t RespParser::FindLineEnd(char terminator, bool* too_long) {
  // The terminator may sit at most max_inline_bytes after the line start.
  const size_t room = size_ - cursor_;
  const size_t window = limits_.max_inline_bytes < room ? limits_.max_inline_bytes + 1 : room;
  const size_t stop = cursor_ + window;
  if (scanned_ < stop) {
    const char* base = data_.get();
    if (const void* hit = std::memchr(base + scanned_, terminator, stop - scanned_)) {
      scanned_ = static_cast<const char*>(hit) - base;
      return scanned_;
    }
    scanned_ = stop;
  }
  *too_long = window > limits_.max_inline_bytes;
  return kNotFound;
}

void RespParser::AdvanceTo(size_t pos) { cursor_ = scanned_ = pos; }

void RespParser::FinishCommand() {
  command_start_ = cursor_;
  stage_ = Stage::kCommandStart;
}

RespParser::Progress RespParser::Fail(std::string message) {
  error_ = InvalidArgument(std::move(message));
  return Progress::kError;
}

RespParser::Progress RespParser::ParseInline(std::vector<std::string>* args) {
  bool too_long = false;
  const size_t newline = FindLineEnd('\n', &too_long);
  if (newline == kNotFound) {
    return too_long ? Fail("Protocol error: too big inline request") : Progress::kNeedMore;
  }
  size_t line_end = newline;
  if (line_end > cursor_ && data_[line_end - 1] == '\r') --line_end;
  if (!SplitInlineArgs(std::string_view(data_.get() + cursor_, line_end - cursor_), args)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  // Redis has no such check (its inline limit keeps the count far below its
  // multibulk one, as ours does by default), but a command must never have
  // more arguments than the multibulk form of it could carry.
  if (args->size() > limits_.max_args) return Fail("Protocol error: too many arguments in inline request");
  AdvanceTo(newline + 1);
  FinishCommand();
  return args->empty() ? Progress::kSkipped : Progress::kCommand;
}

RespParser::Progress RespParser::ReadNumberLine(const char* kind, int64_t* n) {
  bool too_long = false;
  const size_t cr = FindLineEnd('\r', &too_long);
  if (cr == kNotFound) {
    return too_long ? Fail(std::string("Protocol error: too big ") + kind + " count string") : Progress::kNeedMore;
  }
  // Redis also waits for the byte after '\r' (and, like Redis, does not
  // check that it is '\n').
  if (cr + 1 >= size_) return Progress::kNeedMore;
  if (!ParseLength(data_.get() + cursor_ + 1, cr - cursor_ - 1, n)) {
    return Fail(std::string("Protocol error: invalid ") + (kind[0] == 'm' ? "multibulk" : "bulk") + " length");
  }
  AdvanceTo(cr + 2);
  return Progress::kCommand;
}

RespParser::Progress RespParser::ParseMultibulk(std::vector<std::string>* args) {
  const char* const data = data_.get();
  if (stage_ == Stage::kMultibulkCount) {
    int64_t count = 0;
    if (Progress p = ReadNumberLine("mbulk", &count); p != Progress::kCommand) return p;
    if (count > 0 && static_cast<uint64_t>(count) > limits_.max_args) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (count <= 0) {
      FinishCommand();
      return Progress::kSkipped;
    }
    args_left_ = static_cast<size_t>(count);
    spans_.clear();
    spans_.reserve(std::min(args_left_, kMaxReservedArgs));
    stage_ = Stage::kBulkHeader;
  }
  for (;;) {
    if (stage_ == Stage::kBulkHeader) {
      if (cursor_ == size_) return Progress::kNeedMore;
      // Redis checks this once the whole "$n\r" line is in; checking the first
      // byte right away gives the same reply without buffering junk.
      if (data[cursor_] != '$') {
        return Fail(std::string("Protocol error: expected '$', got '") + data[cursor_] + "'");
      }
      int64_t size = 0;
      if (Progress p = ReadNumberLine("bulk", &size); p != Progress::kCommand) return p;
      if (size < 0 || static_cast<uint64_t>(size) > limits_.max_bulk_bytes) {
        return Fail("Protocol error: invalid bulk length");
      }
      bulk_size_ = static_cast<size_t>(size);
      stage_ = Stage::kBulkData;
    }
    // O(1) per call however the argument trickles in. Like Redis, the two
    // bytes after the data are skipped, not checked to be "\r\n".
    if (size_ - cursor_ < bulk_size_ + 2) return Progress::kNeedMore;
    spans_.push_back({cursor_ - command_start_, bulk_size_});
    AdvanceTo(cursor_ + bulk_size_ + 2);
    stage_ = Stage::kBulkHeader;
    if (--args_left_ == 0) break;
  }
  args->resize(spans_.size());
  const char* const command = data + command_start_;
  for (size_t i = 0; i < spans_.size(); ++i) {
    (*args)[i].assign(command + spans_[i].offset, spans_[i].size);
  }
  FinishCommand();
  return Progress::kCommand;
}

}  // namespace regionsync

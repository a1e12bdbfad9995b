// RespParser: the request side of regionsyncd's Redis-compatible port. It
// turns the bytes a client sent into commands (argument vectors), accepting
// both forms redis-server accepts: multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
// binary safe) and inline ("GET k\r\n", split like Redis's sdssplitargs).
// It does no I/O: the server feeds what it read and drains commands.
//
//   RespParser parser;
//   std::vector<std::string> args;               // reused across commands
//   parser.Feed(bytes_read);
//   for (;;) {
//     Result<bool> got = parser.Next(&args);
//     if (!got.ok()) { /* reply "-ERR " + message, then close */ break; }
//     if (!*got) break;                           // wait for more bytes
//     Dispatch(args);
//   }
//
// Not thread-safe; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "regionsync/common/status.h"

namespace regionsync {

// What one client may make the parser hold. Exceeding a limit is a protocol
// error (the connection is closed), as in Redis.
struct RespLimits {
  size_t max_args = 1024 * 1024;              // arguments in one command (multibulk or inline)
  size_t max_bulk_bytes = 512 * 1024 * 1024;  // bytes in one argument
  size_t max_inline_bytes = 64 * 1024;        // one inline line or one "*n"/"$n" header line
};

class RespParser {
 public:
  explicit RespParser(RespLimits limits = {});

  RespParser(const RespParser&) = delete;
  RespParser& operator=(const RespParser&) = delete;

  // Appends bytes read from the client. Bytes fed after Next() returned an
  // error are ignored.
  void Feed(std::string_view bytes);

  // Zero-copy alternative to Feed(): returns at least `n` writable bytes at
  // the end of the internal buffer (read(2) straight into them), then
  // CommitFeed(bytes_actually_read). The span is invalidated by any other call.
  std::span<char> PrepareFeed(size_t n);
  // REQUIRES: n <= size of the span the last PrepareFeed() returned.
  void CommitFeed(size_t n);

  // Parses the next complete command into *args, reusing the vector and its
  // strings (no allocation once their capacity suffices).
  //   true:  *args holds one command, never empty ("*0\r\n" and blank inline
  //          lines are skipped, as Redis does).
  //   false: the rest of the buffered bytes is an incomplete command; *args is
  //          unspecified. Call again after feeding more.
  //   error: InvalidArgument with Redis's reply text, e.g. "Protocol error:
  //          invalid bulk length". The parser stays failed: every later call
  //          returns the same error. The server should reply and close.
  Result<bool> Next(std::vector<std::string>* args);

  // Bytes fed but not yet returned as part of a command (includes the
  // incomplete command being parsed).
  size_t buffered_bytes() const { return size_ - command_start_; }

 private:
  enum class Stage { kCommandStart, kInline, kMultibulkCount, kBulkHeader, kBulkData };
  enum class Progress { kCommand, kSkipped, kNeedMore, kError };
  struct Span {  // one bulk argument, relative to command_start_
    size_t offset;
    size_t size;
  };

  Progress ParseInline(std::vector<std::string>* args);
  Progress ParseMultibulk(std::vector<std::string>* args);
  // Reads the number of the "*<n>\r\n" (kind "mbulk") or "$<n>\r\n" (kind
  // "bulk") line at the cursor and moves past the line. kCommand when read.
  Progress ReadNumberLine(const char* kind, int64_t* n);
  // Position of `terminator` in the line starting at cursor_, or npos if it
  // has not arrived. Sets *too_long when more than max_inline_bytes precede it.
  size_t FindLineEnd(char terminator, bool* too_long);
  void AdvanceTo(size_t pos);
  void FinishCommand();
  Progress Fail(std::string message);
  // Makes room for `n` more bytes, dropping consumed ones when cheap.
  void Reserve(size_t n);

  const RespLimits limits_;
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t size_ = 0;
  size_t command_start_ = 0;  // first byte of the command being parsed
  size_t cursor_ = 0;         // first byte of it not parsed yet
  size_t scanned_ = 0;        // [cursor_, scanned_) holds no line terminator
  Stage stage_ = Stage::kCommandStart;
  size_t args_left_ = 0;  // multibulk arguments still to read
  size_t bulk_size_ = 0;  // size of the argument being read (kBulkData)
  std::vector<Span> spans_;
  Status error_;
};

}  // namespace regionsync

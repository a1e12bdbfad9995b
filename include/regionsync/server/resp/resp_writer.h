// RespWriter: the reply side of regionsyncd's Redis-compatible port. It
// appends RESP2 or RESP3 replies to a string the server later writes out;
// RESP3-only types degrade to the RESP2 form redis-server sends, so command
// code writes each reply once and HELLO only flips the protocol.
//
//   std::string out;
//   RespWriter w(&out, /*protocol=*/2);
//   w.MapHeader(1);          // RESP2: "*2\r\n", RESP3: "%1\r\n"
//   w.Bulk("field");
//   w.Integer(42);           // ":42\r\n"
//
// The writer does not own `out` and only ever appends to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace regionsync {

class RespWriter {
 public:
  // REQUIRES: out != nullptr and outlives the writer; protocol is 2 or 3.
  explicit RespWriter(std::string* out, int protocol = 2);

  // REQUIRES: p is 2 or 3.
  void set_protocol(int p);
  int protocol() const { return protocol_; }

  // "+s". REQUIRES: s holds no '\r' or '\n'.
  void SimpleString(std::string_view s);
  // "-message", with '\r' and '\n' replaced by spaces. The message carries
  // its own code prefix: "ERR unknown command", "WRONGTYPE ...".
  void Error(std::string_view message);
  void Integer(int64_t v);      // ":v"
  void Bulk(std::string_view s);  // "$len" + s
  void Null();                  // RESP2 "$-1", RESP3 "_"
  void NullArray();             // RESP2 "*-1", RESP3 "_"
  void ArrayHeader(size_t n);   // "*n"; n elements follow
  void MapHeader(size_t n);     // RESP3 "%n", RESP2 "*2n"; n key/value pairs follow
  void SetHeader(size_t n);     // RESP3 "~n", RESP2 "*n"
  void PushHeader(size_t n);    // RESP3 ">n", RESP2 "*n" (pub/sub messages)
  void Boolean(bool b);         // RESP3 "#t"/"#f", RESP2 ":1"/":0"
  // RESP3 ",d", RESP2 a bulk string; "inf", "-inf", "nan" or %.17g like Redis.
  void Double(double d);
  // A sorted-set score as Redis's d2string spells it where it keeps scores
  // as text (ZSCAN's replies): integers within +-2^62 without exponent or
  // ".0", otherwise "%.17g"; "inf", "-inf", "-0". Double() is Redis's
  // addReplyDouble instead ("%.17g" throughout: 1e+17, not 100000000000000000).
  static std::string ScoreText(double d);
  // RESP3 "=len\r\nfmt:text", RESP2 a bulk of `text`.
  // REQUIRES: format is 3 bytes ("txt", "mkd").
  void Verbatim(std::string_view format, std::string_view text);

 private:
  // "<prefix><n>\r\n"
  void Header(char prefix, uint64_t n);

  std::string* const out_;
  int protocol_;
};

}  // namespace regionsync

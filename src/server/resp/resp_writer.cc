#include "regionsync/server/resp/resp_writer.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>

namespace regionsync {
namespace {

// Longest "<prefix>-9223372036854775808\r\n".
constexpr size_t kHeaderMax = 1 + 20 + 2;
// %.17g of any finite double fits comfortably.
constexpr size_t kDoubleMax = 32;

}  // namespace

RespWriter::RespWriter(std::string* out, int protocol) : out_(out), protocol_(protocol) {
  assert(out != nullptr);
  assert(protocol == 2 || protocol == 3);
}

void RespWriter::set_protocol(int p) {
  assert(p == 2 || p == 3);
  protocol_ = p;
}

void RespWriter::Header(char prefix, uint64_t n) {
  char buf[kHeaderMax];
  buf[0] = prefix;
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, end - buf);
}

void RespWriter::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void RespWriter::Error(std::string_view message) {
  const size_t start = out_->size();
  out_->push_back('-');
  out_->append(message);
  // A newline inside would end the reply early and desync the client.
  for (size_t i = start + 1; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append("\r\n", 2);
}

void RespWriter::Integer(int64_t v) {
  char buf[kHeaderMax];
  buf[0] = ':';
  char* end = std::to_chars(buf + 1, buf + sizeof(buf) - 2, v).ptr;
  *end++ = '\r';
  *end++ = '\n';
  out_->append(buf, end - buf);
}

void RespWriter::Bulk(std::string_view s) {
  Header('$', s.size());
  out_->append(s);
  out_->append("\r\n", 2);
}

void RespWriter::Null() {
  if (protocol_ == 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void RespWriter::NullArray() {
  if (protocol_ == 3) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void RespWriter::ArrayHeader(size_t n) { Header('*', n); }

void RespWriter::MapHeader(size_t n) {
  if (protocol_ == 3) {
    Header('%', n);
  } else {
    Header('*', static_cast<uint64_t>(n) * 2);
  }
}

void RespWriter::SetHeader(size_t n) { Header(protocol_ == 3 ? '~' : '*', n); }

void RespWriter::PushHeader(size_t n) { Header(protocol_ == 3 ? '>' : '*', n); }

void RespWriter::Boolean(bool b) {
  if (protocol_ == 3) {
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n", 4);
  }
}

void RespWriter::Double(double d) {
  char buf[kDoubleMax];
  std::string_view text;
  if (std::isinf(d)) {
    // Spelled out as Redis does rather than trusting the C library.
    text = d > 0 ? "inf" : "-inf";
  } else {
    // Same digits as printf("%.17g"), including "nan"/"-nan".
    auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::general, 17);
    text = std::string_view(buf, r.ptr - buf);
  }
  if (protocol_ == 3) {
    out_->push_back(',');
    out_->append(text);
    out_->append("\r\n", 2);
  } else {
    Bulk(text);
  }
}

std::string RespWriter::ScoreText(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  constexpr double kLimit = static_cast<double>(std::numeric_limits<int64_t>::max() / 2);
  if (d >= -kLimit && d <= kLimit && static_cast<double>(static_cast<int64_t>(d)) == d) {
    return std::to_string(static_cast<int64_t>(d));
  }
  char buf[kDoubleMax];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::general, 17);
  return std::string(buf, r.ptr - buf);
}

void RespWriter::Verbatim(std::string_view format, std::string_view text) {
  assert(format.size() == 3);
  if (protocol_ != 3) {
    Bulk(text);
    return;
  }
  Header('=', format.size() + 1 + text.size());
  out_->append(format);
  out_->push_back(':');
  out_->append(text);
  out_->append("\r\n", 2);
}

}  // namespace regionsync

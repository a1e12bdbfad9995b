#include "regionsync/server/resp/resp_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>

namespace regionsync {
namespace {

// The bytes one call writes in RESP2 and in RESP3.
struct Case {
  const char* name;
  std::function<void(RespWriter&)> write;
  std::string resp2;
  std::string resp3;
};

TEST(RespWriterTest, WritesExactBytesInBothProtocols) {
  const std::vector<Case> cases = {
      {"simple", [](RespWriter& w) { w.SimpleString("OK"); }, "+OK\r\n", "+OK\r\n"},
      {"error", [](RespWriter& w) { w.Error("ERR bad\r\nthing\n"); }, "-ERR bad  thing \r\n",
       "-ERR bad  thing \r\n"},
      {"wrongtype", [](RespWriter& w) { w.Error("WRONGTYPE Operation"); }, "-WRONGTYPE Operation\r\n",
       "-WRONGTYPE Operation\r\n"},
      {"int0", [](RespWriter& w) { w.Integer(0); }, ":0\r\n", ":0\r\n"},
      {"intneg", [](RespWriter& w) { w.Integer(-42); }, ":-42\r\n", ":-42\r\n"},
      {"intmin", [](RespWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); },
       ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"},
      {"intmax", [](RespWriter& w) { w.Integer(std::numeric_limits<int64_t>::max()); },
       ":9223372036854775807\r\n", ":9223372036854775807\r\n"},
      {"bulk", [](RespWriter& w) { w.Bulk(std::string_view("a\r\n\0b", 5)); }, std::string("$5\r\na\r\n\0b\r\n", 11),
       std::string("$5\r\na\r\n\0b\r\n", 11)},
      {"emptybulk", [](RespWriter& w) { w.Bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n"},
      {"null", [](RespWriter& w) { w.Null(); }, "$-1\r\n", "_\r\n"},
      {"nullarray", [](RespWriter& w) { w.NullArray(); }, "*-1\r\n", "_\r\n"},
      {"array", [](RespWriter& w) { w.ArrayHeader(3); }, "*3\r\n", "*3\r\n"},
      {"emptyarray", [](RespWriter& w) { w.ArrayHeader(0); }, "*0\r\n", "*0\r\n"},
      {"map", [](RespWriter& w) { w.MapHeader(2); }, "*4\r\n", "%2\r\n"},
      {"set", [](RespWriter& w) { w.SetHeader(5); }, "*5\r\n", "~5\r\n"},
      {"push", [](RespWriter& w) { w.PushHeader(3); }, "*3\r\n", ">3\r\n"},
      {"true", [](RespWriter& w) { w.Boolean(true); }, ":1\r\n", "#t\r\n"},
      {"false", [](RespWriter& w) { w.Boolean(false); }, ":0\r\n", "#f\r\n"},
      {"double", [](RespWriter& w) { w.Double(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n"},
      {"double3", [](RespWriter& w) { w.Double(3); }, "$1\r\n3\r\n", ",3\r\n"},
      {"double0.1", [](RespWriter& w) { w.Double(0.1); }, "$19\r\n0.10000000000000001\r\n",
       ",0.10000000000000001\r\n"},
      {"inf", [](RespWriter& w) { w.Double(INFINITY); }, "$3\r\ninf\r\n", ",inf\r\n"},
      {"-inf", [](RespWriter& w) { w.Double(-INFINITY); }, "$4\r\n-inf\r\n", ",-inf\r\n"},
      {"nan", [](RespWriter& w) { w.Double(NAN); }, "$3\r\nnan\r\n", ",nan\r\n"},
      {"verbatim", [](RespWriter& w) { w.Verbatim("txt", "Some string"); }, "$11\r\nSome string\r\n",
       "=15\r\ntxt:Some string\r\n"},
  };
  for (const Case& c : cases) {
    for (int protocol : {2, 3}) {
      std::string out = "prefix";
      RespWriter w(&out, protocol);
      c.write(w);
      EXPECT_EQ(out, "prefix" + (protocol == 2 ? c.resp2 : c.resp3)) << c.name << " RESP" << protocol;
    }
  }
}

TEST(RespWriterTest, DoubleMatchesPrintfPercent17g) {
  for (double d : {0.0, -0.0, 1.0 / 3, 1e300, -2.5e-300, 123456789012345678.0, 5e-324, 1e17, 1e16}) {
    char want[64];
    std::snprintf(want, sizeof(want), "%.17g", d);
    std::string out;
    RespWriter(&out, 3).Double(d);
    EXPECT_EQ(out, std::string(",") + want + "\r\n");
  }
}

TEST(RespWriterTest, ScoreTextIsRedisD2string) {
  EXPECT_EQ(RespWriter::ScoreText(1.0), "1");
  EXPECT_EQ(RespWriter::ScoreText(-0.0), "-0");
  EXPECT_EQ(RespWriter::ScoreText(0.0), "0");
  EXPECT_EQ(RespWriter::ScoreText(1.5), "1.5");
  EXPECT_EQ(RespWriter::ScoreText(0.1), "0.10000000000000001");
  EXPECT_EQ(RespWriter::ScoreText(1e17), "100000000000000000");          // Double(): 1e+17
  EXPECT_EQ(RespWriter::ScoreText(4611686018427387904.0), "4611686018427387904");  // 2^62: still an integer
  EXPECT_EQ(RespWriter::ScoreText(9223372036854775807.0), "9.2233720368547758e+18");
  EXPECT_EQ(RespWriter::ScoreText(-1e300), "-1.0000000000000001e+300");
  EXPECT_EQ(RespWriter::ScoreText(1.0 / 0.0), "inf");
  EXPECT_EQ(RespWriter::ScoreText(-1.0 / 0.0), "-inf");
}

TEST(RespWriterTest, SetProtocolSwitchesLaterReplies) {
  std::string out;
  RespWriter w(&out);
  EXPECT_EQ(w.protocol(), 2);
  w.Null();
  w.set_protocol(3);
  EXPECT_EQ(w.protocol(), 3);
  w.Null();
  w.MapHeader(1);
  w.Bulk("k");
  w.Integer(7);
  EXPECT_EQ(out, "$-1\r\n_\r\n%1\r\n$1\r\nk\r\n:7\r\n");
}

}  // namespace
}  // namespace regionsync

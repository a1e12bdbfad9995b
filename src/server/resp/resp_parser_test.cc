#include "regionsync/server/resp/resp_parser.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

// Counts heap allocations in this binary so tests can show that hostile
// lengths reserve nothing and that the steady state allocates nothing.
namespace {
std::atomic<size_t> g_allocations{0};
std::atomic<size_t> g_largest_allocation{0};
}  // namespace

// GCC cannot see that these replace the global pair and warns on free().
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  size_t largest = g_largest_allocation.load(std::memory_order_relaxed);
  while (size > largest && !g_largest_allocation.compare_exchange_weak(largest, size)) {
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace regionsync {
namespace {

using Command = std::vector<std::string>;

// Everything the parser yields for `bytes` fed at once, and how it ended:
// "" when it wants more bytes, else the error message.
struct Parsed {
  std::vector<Command> commands;
  std::string error;
  size_t buffered = 0;
};

Parsed ParseChunks(const std::vector<std::string>& chunks, RespLimits limits = {}) {
  RespParser parser(limits);
  Parsed out;
  Command args;
  for (const std::string& chunk : chunks) {
    parser.Feed(chunk);
    for (;;) {
      Result<bool> got = parser.Next(&args);
      if (!got.ok()) {
        EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
        out.error = got.status().message();
        return out;
      }
      if (!*got) break;
      EXPECT_FALSE(args.empty());
      out.commands.push_back(args);
    }
  }
  out.buffered = parser.buffered_bytes();
  return out;
}

Parsed Parse(std::string_view bytes, RespLimits limits = {}) {
  return ParseChunks({std::string(bytes)}, limits);
}

std::string Error(std::string_view bytes, RespLimits limits = {}) { return Parse(bytes, limits).error; }

std::string Multibulk(const Command& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& a : args) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

TEST(RespParserTest, ParsesOneMultibulkCommand) {
  Parsed p = Parse("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.commands, (std::vector<Command>{{"SET", "key", "value"}}));
  EXPECT_EQ(p.buffered, 0u);
}

TEST(RespParserTest, ParsesPipelinedCommandsFromOneFeed) {
  std::string bytes = Multibulk({"SET", "a", "1"}) + "PING\r\n" + Multibulk({"GET", "a"}) +
                      "ECHO \"x y\"\n" + Multibulk({"DEL", "a"});
  Parsed p = Parse(bytes);
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.commands, (std::vector<Command>{
                            {"SET", "a", "1"}, {"PING"}, {"GET", "a"}, {"ECHO", "x y"}, {"DEL", "a"}}));
}

TEST(RespParserTest, BulkArgumentsAreBinarySafe) {
  const std::string binary("a\r\nb\0c\r\n*2\r\n$", 14);
  Parsed p = Parse(Multibulk({"SET", binary, ""}));
  ASSERT_EQ(p.commands.size(), 1u);
  EXPECT_EQ(p.commands[0], (Command{"SET", binary, ""}));
}

TEST(RespParserTest, SplitAtEveryByteBoundaryGivesTheSameCommands) {
  const std::string bytes = Multibulk({"SET", "k\r\n", std::string(40, 'v')}) + "  PING  \r\n" +
                            "*0\r\n" + "\r\n" + Multibulk({"GET", "k"}) + "SET 'a b' \"c\\x41\"\n";
  const Parsed whole = Parse(bytes);
  ASSERT_EQ(whole.commands.size(), 4u);
  EXPECT_EQ(whole.commands[3], (Command{"SET", "a b", "cA"}));
  for (size_t i = 0; i <= bytes.size(); ++i) {
    for (size_t j = i; j <= bytes.size(); ++j) {
      Parsed split = ParseChunks({bytes.substr(0, i), bytes.substr(i, j - i), bytes.substr(j)});
      ASSERT_EQ(split.commands, whole.commands) << "split at " << i << "," << j;
      ASSERT_EQ(split.error, "");
    }
  }
}

TEST(RespParserTest, IncompleteCommandIsKeptUntilItCompletes) {
  RespParser parser;
  Command args;
  const std::string bytes = Multibulk({"GET", "key"});
  parser.Feed(bytes.substr(0, bytes.size() - 1));
  Result<bool> got = parser.Next(&args);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(*got);
  EXPECT_EQ(parser.buffered_bytes(), bytes.size() - 1);
  parser.Feed("\n");
  got = parser.Next(&args);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got);
  EXPECT_EQ(args, (Command{"GET", "key"}));
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(RespParserTest, SkipsEmptyCommandsLikeRedis) {
  Parsed p = Parse("*0\r\n*-1\r\n\r\n\n   \t \r\n" + Multibulk({"PING"}) + "*0\r\n");
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.commands, (std::vector<Command>{{"PING"}}));
  EXPECT_EQ(p.buffered, 0u);
}

TEST(RespParserTest, InlineQuotingFollowsSdssplitargs) {
  struct Case {
    std::string line;
    Command want;
  };
  const std::vector<Case> cases = {
      {"set foo bar", {"set", "foo", "bar"}},
      {"  set \t foo\tbar  ", {"set", "foo", "bar"}},
      {"\"hello world\"", {"hello world"}},
      {R"("a\nb\r\t\b\a\\\"\x41\x7a")", {"a\nb\r\t\b\a\\\"Az"}},
      {R"("\xZZ\q")", {"xZZq"}},  // bad hex and unknown escapes keep the byte
      {R"('it\'s' 'a\nb' 'a\\b')", {"it's", "a\\nb", "a\\\\b"}},
      {R"("" '')", {"", ""}},
      {R"(a"b c" d)", {"ab c", "d"}},  // a quote may open mid-token
      {"a\rb", {"a", "b"}},            // a lone \r separates
      {"a\vb \vc", {"a\vb", "c"}},     // \v is skipped between tokens only
      {std::string("get a\0b c", 9), {"get", "a"}},  // Redis stops at NUL
  };
  for (const Case& c : cases) {
    for (const char* eol : {"\r\n", "\n"}) {
      Parsed p = Parse(c.line + eol);
      EXPECT_EQ(p.error, "") << c.line;
      EXPECT_EQ(p.commands, std::vector<Command>{c.want}) << c.line;
    }
  }
}

TEST(RespParserTest, ReportsRedisProtocolErrors) {
  const std::string kMultibulk = "Protocol error: invalid multibulk length";
  const std::string kBulk = "Protocol error: invalid bulk length";
  EXPECT_EQ(Error("*x\r\n"), kMultibulk);
  EXPECT_EQ(Error("*\r\n"), kMultibulk);
  EXPECT_EQ(Error("*01\r\n"), kMultibulk);   // string2ll: no leading zeros
  EXPECT_EQ(Error("*+1\r\n"), kMultibulk);
  EXPECT_EQ(Error("*1 \r\n"), kMultibulk);
  EXPECT_EQ(Error("*99999999999999999999\r\n"), kMultibulk);
  EXPECT_EQ(Error("*1048577\r\n"), kMultibulk);  // over max_args
  EXPECT_EQ(Error("*1\r\n$-1\r\n"), kBulk);
  EXPECT_EQ(Error("*1\r\n$\r\n"), kBulk);
  EXPECT_EQ(Error("*1\r\n$1x\r\n"), kBulk);
  EXPECT_EQ(Error("*1\r\n$536870913\r\n"), kBulk);  // over max_bulk_bytes
  EXPECT_EQ(Error("*2\r\n$1\r\na\r\nx"), "Protocol error: expected '$', got 'x'");
  EXPECT_EQ(Error("*1\r\n:1\r\n"), "Protocol error: expected '$', got ':'");
  EXPECT_EQ(Error("SET \"a\r\n"), "Protocol error: unbalanced quotes in request");
  EXPECT_EQ(Error("SET 'a\r\n"), "Protocol error: unbalanced quotes in request");
  EXPECT_EQ(Error("SET \"a\"b\r\n"), "Protocol error: unbalanced quotes in request");
  EXPECT_EQ(Error("SET \"a\\\"\r\n"), "Protocol error: unbalanced quotes in request");
  EXPECT_EQ(Error("SET '\\\\'\r\n"), "Protocol error: unbalanced quotes in request");  // \' escapes

  RespLimits small{.max_args = 2, .max_bulk_bytes = 3, .max_inline_bytes = 8};
  EXPECT_EQ(Error("*3\r\n", small), kMultibulk);
  EXPECT_EQ(Error("*1\r\n$4\r\n", small), kBulk);
  EXPECT_EQ(Error("123456789", small), "Protocol error: too big inline request");
  EXPECT_EQ(Error("123456789\r\n", small), "Protocol error: too big inline request");
  EXPECT_EQ(Error("*12345678", small), "Protocol error: too big mbulk count string");
  // An inline command is held to max_args too (found by resp_parser_fuzz: an
  // inline command its multibulk re-encoding could not carry).
  EXPECT_EQ(Error("a b c\r\n", small), "Protocol error: too many arguments in inline request");
  EXPECT_EQ(Parse("a  b\r\n", small).commands, (std::vector<Command>{{"a", "b"}}));
  EXPECT_EQ(Error("*1\r\n$12345678", small), "Protocol error: too big bulk count string");
  // At the limit is fine.
  EXPECT_EQ(Parse("1234567\r\n", small).commands, std::vector<Command>{{"1234567"}});
  EXPECT_EQ(Parse("12345678\n", small).commands, std::vector<Command>{{"12345678"}});
  EXPECT_EQ(Parse("*2\r\n$3\r\nabc\r\n$0\r\n\r\n", small).commands, (std::vector<Command>{{"abc", ""}}));
}

TEST(RespParserTest, ErrorIsSticky) {
  RespParser parser;
  Command args;
  parser.Feed("*x\r\n");
  Result<bool> first = parser.Next(&args);
  ASSERT_FALSE(first.ok());
  parser.Feed(Multibulk({"PING"}));
  Result<bool> second = parser.Next(&args);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status(), first.status());
}

TEST(RespParserTest, CommandsBeforeAnErrorAreReturned) {
  Parsed p = Parse(Multibulk({"PING"}) + "*1\r\n$-5\r\n");
  EXPECT_EQ(p.commands, std::vector<Command>{{"PING"}});
  EXPECT_EQ(p.error, "Protocol error: invalid bulk length");
}

TEST(RespParserTest, HugeDeclaredSizesAllocateNothingUpFront) {
  const RespLimits generous{.max_args = 2'000'000'000, .max_bulk_bytes = 4'000'000'000};
  for (std::string bytes : {"*1048576\r\n$5\r\nhello\r\n", "*1000000000\r\n", "*1000000000\r\n$3\r\nabc\r\n",
                            "*1\r\n$999999999\r\n", "*1\r\n$999999999\r\nabc"}) {
    RespParser parser(generous);
    Command args;
    g_largest_allocation = 0;
    parser.Feed(bytes);
    Result<bool> got = parser.Next(&args);
    EXPECT_LT(g_largest_allocation.load(), 64u * 1024) << bytes;
    ASSERT_TRUE(got.ok()) << bytes;
    EXPECT_FALSE(*got) << bytes;
    EXPECT_EQ(parser.buffered_bytes(), bytes.size());
  }
}

TEST(RespParserTest, SteadyStateDoesNotAllocate) {
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += Multibulk({"SET", "key:000000000042", std::string(100, 'x')});
  batch += "*3\r\n$3\r\nSET\r\n$3\r\nkey";  // a command split across reads
  const std::string rest = "\r\n$1\r\nv\r\n";
  RespParser parser;
  Command args;
  auto drain = [&] {
    size_t n = 0;
    for (;;) {
      Result<bool> got = parser.Next(&args);
      EXPECT_TRUE(got.ok());
      if (!got.ok() || !*got) return n;
      ++n;
    }
  };
  parser.Feed(batch);
  drain();
  parser.Feed(rest);
  EXPECT_EQ(drain(), 1u);
  const size_t before = g_allocations.load();
  size_t commands = 0;
  for (int round = 0; round < 100; ++round) {
    parser.Feed(batch);
    commands += drain();
    parser.Feed(rest);
    commands += drain();
  }
  EXPECT_EQ(commands, 100u * 17);
  EXPECT_EQ(g_allocations.load(), before);
  EXPECT_EQ(args, (Command{"SET", "key", "v"}));
}

TEST(RespParserTest, LargeArgumentArrivingInSmallPiecesIsParsedOnce) {
  const std::string value(4 * 1024 * 1024, 'z');
  const std::string bytes = Multibulk({"SET", "big", value});
  RespParser parser;
  Command args;
  size_t commands = 0;
  for (size_t i = 0; i < bytes.size(); i += 1000) {
    parser.Feed(std::string_view(bytes).substr(i, 1000));
    Result<bool> got = parser.Next(&args);
    ASSERT_TRUE(got.ok());
    commands += *got;
  }
  EXPECT_EQ(commands, 1u);
  EXPECT_EQ(args[2], value);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(RespParserTest, PrepareAndCommitFeedReadInPlace) {
  RespParser parser;
  Command args;
  const std::string first = Multibulk({"GET", "a"}) + "*2\r\n$3\r\nGET";
  std::span<char> room = parser.PrepareFeed(first.size());
  ASSERT_GE(room.size(), first.size());
  std::copy(first.begin(), first.end(), room.begin());
  parser.CommitFeed(first.size());
  Result<bool> got = parser.Next(&args);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(args, (Command{"GET", "a"}));
  const std::string second = "\r\n$1\r\nb\r\n";
  room = parser.PrepareFeed(second.size());
  std::copy(second.begin(), second.end(), room.begin());
  parser.CommitFeed(second.size());
  got = parser.Next(&args);
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ(args, (Command{"GET", "b"}));
}

// Any commands, encoded as multibulk and cut into any chunks, come back intact.
RC_GTEST_PROP(RespParserProperty, MultibulkRoundTripsThroughAnyChunking, ()) {
  const auto commands = *rc::gen::container<std::vector<Command>>(
      rc::gen::nonEmpty(rc::gen::container<Command>(rc::gen::arbitrary<std::string>())));
  std::string bytes;
  for (const Command& c : commands) bytes += Multibulk(c);
  const auto cuts = *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, bytes.size() + 1));
  std::vector<size_t> sorted = cuts;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> chunks;
  size_t from = 0;
  for (size_t cut : sorted) {
    chunks.push_back(bytes.substr(from, cut - from));
    from = cut;
  }
  chunks.push_back(bytes.substr(from));
  Parsed p = ParseChunks(chunks);
  RC_ASSERT(p.error.empty());
  RC_ASSERT(p.commands == commands);
  RC_ASSERT(p.buffered == 0u);
}

}  // namespace
}  // namespace regionsync

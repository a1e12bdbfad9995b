#include "sse.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace regionsync::client {
namespace {

TEST(SseParserTest, DispatchesOnBlankLineWithIdAndName) {
  SseParser parser;
  EXPECT_TRUE(parser.Feed("id: 7\nevent: change\ndata: {\"key\":\"k\"}\n").empty());
  std::vector<SseEvent> events = parser.Feed("\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].event, "change");
  EXPECT_EQ(events[0].data, "{\"key\":\"k\"}");
  EXPECT_EQ(parser.last_event_id(), "7");
}

TEST(SseParserTest, JoinsDataLinesAndDefaultsTheName) {
  SseParser parser;
  std::vector<SseEvent> events = parser.Feed("data:a\ndata: b\ndata\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message");
  EXPECT_EQ(events[0].data, "a\nb\n");  // a bare "data" line adds an empty line
}

TEST(SseParserTest, IgnoresCommentsUnknownFieldsAndEventsWithoutData) {
  SseParser parser;
  std::vector<SseEvent> events = parser.Feed(": keep-alive\n\nevent: x\nfoo: bar\n\ndata: d\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "message");  // the name of the undispatched event does not leak
  EXPECT_EQ(events[0].data, "d");
}

TEST(SseParserTest, HandlesCrLfAndCrEvenSplitAcrossChunks) {
  SseParser parser;
  std::vector<SseEvent> all;
  for (std::string_view chunk : {"data: one\r", "\n\r", "\ndata: two\r\r", "data: three\n\n"}) {
    for (SseEvent& e : parser.Feed(chunk)) all.push_back(std::move(e));
  }
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].data, "one");
  EXPECT_EQ(all[1].data, "two");
  EXPECT_EQ(all[2].data, "three");
}

TEST(SseParserTest, IdPersistsAcrossEventsAndResetKeepsIt) {
  SseParser parser;
  parser.Feed("id: 41\ndata: a\n\n");
  std::vector<SseEvent> events = parser.Feed("data: b\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, "41");
  parser.Feed("id: 42\ndata: half");
  parser.Reset();  // the connection broke mid-event
  EXPECT_EQ(parser.last_event_id(), "42");
  events = parser.Feed("\n\ndata: c\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "c");
}

TEST(SseParserTest, ReadsRetryOnlyWhenAllDigits) {
  SseParser parser;
  parser.Feed("retry: 1x\n\n");
  EXPECT_FALSE(parser.retry_millis().has_value());
  parser.Feed("retry: 250\n\n");
  ASSERT_TRUE(parser.retry_millis().has_value());
  EXPECT_EQ(*parser.retry_millis(), 250u);
}

TEST(SseParserTest, StripsALeadingBom) {
  SseParser parser;
  std::vector<SseEvent> events = parser.Feed("\xEF\xBB\xBF" "data: x\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "x");
}

// However the stream is cut into chunks, the same events come out.
RC_GTEST_PROP(SseParserTest, ChunkingDoesNotMatter, (const std::vector<std::string>& datas)) {
  static constexpr const char* kEnds[] = {"\n\n", "\r\r", "\r\n\r\n"};
  std::string stream = ": hi\r\n";
  for (size_t i = 0; i < datas.size(); ++i) {
    std::string data;
    for (char c : datas[i]) data.push_back(c == '\n' || c == '\r' ? ' ' : c);
    stream += "id: " + std::to_string(i) + (i % 2 ? "\r\n" : "\n") + "data: " + data + kEnds[i % 3];
  }
  SseParser whole;
  std::vector<SseEvent> expected = whole.Feed(stream);
  RC_ASSERT(expected.size() == datas.size());

  SseParser pieces;
  std::vector<SseEvent> got;
  size_t at = 0;
  while (at < stream.size()) {
    size_t n = *rc::gen::inRange<size_t>(1, 8);
    for (SseEvent& e : pieces.Feed(std::string_view(stream).substr(at, n))) got.push_back(std::move(e));
    at += n;
  }
  RC_ASSERT(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    RC_ASSERT(got[i].id == expected[i].id);
    RC_ASSERT(got[i].data == expected[i].data);
  }
}

}  // namespace
}  // namespace regionsync::client

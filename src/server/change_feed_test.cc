#include "regionsync/server/change_feed.h"

#include <gtest/gtest.h>

#include <thread>

namespace regionsync {
namespace {

using namespace std::chrono_literals;

TEST(ChangeFeed, NewReaderAtTailSeesOnlyLaterEvents) {
  ChangeFeed feed(10, 1000);
  feed.Append({.key = "a", .origin = "1"});
  uint64_t cursor = feed.last_id();
  feed.Append({.key = "b", .origin = "2"});
  std::vector<FeedEvent> got;
  ASSERT_EQ(feed.Read(&cursor, &got, 0ms), ChangeFeed::kEvents);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].key, "b");
  EXPECT_EQ(got[0].id, 1001u);
  EXPECT_EQ(cursor, 1001u);
  got.clear();
  EXPECT_EQ(feed.Read(&cursor, &got, 0ms), ChangeFeed::kTimeout);
  EXPECT_TRUE(got.empty());
}

TEST(ChangeFeed, ResumesFromAnyKeptIdAndResetsBeyond) {
  ChangeFeed feed(3, 1);
  for (int i = 0; i < 5; ++i) feed.Append({.key = "k", .origin = std::to_string(i)});  // ids 1..5, keeps 3..5
  EXPECT_EQ(feed.first_kept_id(), 3u);
  std::vector<FeedEvent> got;
  uint64_t cursor = 2;  // has 2, next is 3: still kept
  ASSERT_EQ(feed.Read(&cursor, &got, 0ms), ChangeFeed::kEvents);
  EXPECT_EQ(got.size(), 3u);
  cursor = 1;  // next is 2: gone
  got.clear();
  EXPECT_EQ(feed.Read(&cursor, &got, 0ms), ChangeFeed::kReset);
  EXPECT_EQ(cursor, 5u);
  EXPECT_TRUE(got.empty());
  cursor = 99;  // never handed out
  EXPECT_EQ(feed.Read(&cursor, &got, 0ms), ChangeFeed::kReset);
  EXPECT_EQ(cursor, 5u);
}

TEST(ChangeFeed, IdsFromAnEarlierRunReset) {
  ChangeFeed feed(10, 5000);
  uint64_t cursor = 4000;
  std::vector<FeedEvent> got;
  EXPECT_EQ(feed.Read(&cursor, &got, 0ms), ChangeFeed::kReset);
  EXPECT_EQ(cursor, 4999u);
  EXPECT_EQ(feed.Read(&cursor, &got, 0ms), ChangeFeed::kTimeout);
}

TEST(ChangeFeed, WaitingReaderWakesOnAppendAndOnClose) {
  ChangeFeed feed(10, 1);
  uint64_t cursor = feed.last_id();
  std::vector<FeedEvent> got;
  std::thread writer([&] { feed.Append({.key = "x", .origin = "{}"}); });
  EXPECT_EQ(feed.Read(&cursor, &got, 10s), ChangeFeed::kEvents);
  writer.join();
  EXPECT_EQ(got.size(), 1u);
  std::thread closer([&] { feed.Close(); });
  EXPECT_EQ(feed.Read(&cursor, &got, 10s), ChangeFeed::kClosed);
  closer.join();
}

TEST(ChangeFeed, ReadHonoursMax) {
  ChangeFeed feed(10, 1);
  uint64_t cursor = 0;
  for (int i = 0; i < 5; ++i) feed.Append({.key = "k", .origin = "{}"});
  std::vector<FeedEvent> got;
  ASSERT_EQ(feed.Read(&cursor, &got, 0ms, 2), ChangeFeed::kEvents);
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(cursor, 2u);
}

TEST(ChangeFeed, FormatsSseRecords) {
  EXPECT_EQ(FormatSseEvent(7, "change", R"({"a":1})"), "id: 7\nevent: change\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(FormatSseEvent(0, "reset", "{}"), "event: reset\ndata: {}\n\n");
}

}  // namespace
}  // namespace regionsync

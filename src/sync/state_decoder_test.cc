#include "sync/state_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sync/stored_key.h"

namespace regionsync {
namespace {

StoredValue StringRow(int i) {
  RedisString s;
  (void)s.Set(1, 100 + i, "v" + std::to_string(i));
  return ToStored(AnyCrdt(std::move(s)), Lifetime{});
}

// Batches of 3 rows: most are decoded on the helper thread, the last two on
// the caller's; every row comes back once, in order, decoded as the store's
// own FromStored / StateHash would, and a corrupt row comes back as an error.
TEST(StateDecoderTest, RowsComeBackInOrderDecoded) {
  std::vector<StateDecoder::Decoded> got;
  StateDecoder decoder(
      [&](std::vector<StateDecoder::Decoded>& batch) {
        for (auto& row : batch) got.push_back(std::move(row));
      },
      /*batch_rows=*/3);
  std::vector<StoredValue> rows;
  for (int i = 0; i < 20; ++i) {
    rows.push_back(StringRow(i));
    if (i == 7) rows.back().bytes = "\xff\xff";  // not a string's encoding
    decoder.Add("key" + std::to_string(i), rows.back());
  }
  decoder.Finish();
  ASSERT_EQ(got.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    const std::string key = "key" + std::to_string(i);
    EXPECT_EQ(got[i].key, key);
    EXPECT_EQ(got[i].bytes, rows[i].bytes.size());
    EXPECT_EQ(got[i].hash, StateHash(key, rows[i]));
    if (i == 7) {
      EXPECT_FALSE(got[i].state.ok());
      continue;
    }
    ASSERT_TRUE(got[i].state.ok()) << i;
    EXPECT_EQ(std::get<RedisString>(got[i].state->value).Value(), "v" + std::to_string(i));
  }
}

TEST(StateDecoderTest, NothingAddedCallsNothing) {
  int calls = 0;
  StateDecoder decoder([&](std::vector<StateDecoder::Decoded>&) { ++calls; });
  decoder.Finish();
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace regionsync

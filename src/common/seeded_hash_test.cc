#include "regionsync/common/seeded_hash.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace regionsync {
namespace {

TEST(SeededHashTest, StableWithinAProcess) {
  EXPECT_EQ(SeededHash("user-42"), SeededHash(std::string("user-42")));
  EXPECT_EQ(SeededHash(""), SeededHash(std::string_view()));
}

TEST(SeededHashTest, EveryByteAndTheLengthCount) {
  EXPECT_NE(SeededHash("a"), SeededHash(std::string("a\0", 2)));  // padding is not content
  EXPECT_NE(SeededHash("abcdefgh1"), SeededHash("abcdefgh2"));     // the tail after a full word
  EXPECT_NE(SeededHash("xbcdefgh1"), SeededHash("abcdefgh1"));     // the first word
  std::unordered_set<uint64_t> seen;
  for (int i = 0; i < 200000; ++i) seen.insert(SeededHash("user-" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 200000u);  // no 64-bit collision among sequential ids
}

TEST(SeededHashTest, EveryByteOfEveryLengthCounts) {
  // Lengths 1-23 cover every way the tail after the 8-byte words is read.
  for (size_t n = 1; n < 24; ++n) {
    const std::string base(n, 'a');
    for (size_t i = 0; i < n; ++i) {
      std::string changed = base;
      changed[i] = 'b';
      EXPECT_NE(SeededHash(base), SeededHash(changed)) << "length " << n << ", byte " << i;
    }
  }
}

TEST(SeededHashTest, LowBitsSpreadSequentialKeys) {
  // A power-of-two table takes the low bits: 4 096 sequential keys in 4 096
  // slots should leave about 1/e of the slots empty, not most of them.
  std::vector<int> count(4096);
  for (int i = 0; i < 4096; ++i) ++count[SeededHash("k" + std::to_string(i)) & 4095];
  int empty = 0;
  for (int c : count) empty += c == 0;
  EXPECT_GT(empty, 1200);
  EXPECT_LT(empty, 1800);
}

TEST(SeededHashDeathTest, EnvironmentPinsTheSeed) {
  // The seed is drawn once per process, so check it in a fresh one: the
  // "threadsafe" style re-runs this test in a new process, which inherits
  // the environment set here.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ASSERT_EQ(setenv("REGIONSYNC_HASH_SEED", "1", 1), 0);
  // The empty input is the seed alone through the final mix.
  uint64_t h = 1 * 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 32;
  EXPECT_EXIT(std::exit(SeededHash("") == h ? 0 : 1), testing::ExitedWithCode(0), "");
}

TEST(SeededHashTest, WorksAsTransparentMapHash) {
  std::unordered_map<std::string, int, SeededStringHash, std::equal_to<>> map;
  map["alpha"] = 1;
  EXPECT_EQ(map.find(std::string_view("alpha"))->second, 1);
  EXPECT_EQ(map.find(std::string_view("beta")), map.end());
}

}  // namespace
}  // namespace regionsync

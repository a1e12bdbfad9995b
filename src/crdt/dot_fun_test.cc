#include "regionsync/crdt/dot_fun.h"

#include <gtest/gtest.h>

#include <string>

namespace regionsync {
namespace {

constexpr ActorId kA = 1, kB = 2;

DotContext Ctx(std::initializer_list<Dot> dots) {
  DotContext c;
  for (const Dot& d : dots) c.Insert(d);
  return c;
}

TEST(DotFunTest, JoinKeepsCommonAndUnseenDropsRemoved) {
  DotFun<std::string> mine, theirs;
  mine.Insert({kA, 1}, "common");
  mine.Insert({kA, 2}, "removed-there");
  mine.Insert({kA, 3}, "unseen-there");
  theirs.Insert({kA, 1}, "common");
  theirs.Insert({kB, 1}, "new-here");
  theirs.Insert({kB, 2}, "removed-here");
  DotContext my_ctx = Ctx({{kA, 1}, {kA, 2}, {kA, 3}, {kB, 2}});
  DotContext their_ctx = Ctx({{kA, 1}, {kA, 2}, {kB, 1}, {kB, 2}});
  std::vector<Dot> removed, added;
  EXPECT_TRUE(mine.Join(theirs, my_ctx, their_ctx, [&](const Dot& d) { removed.push_back(d); },
                        [&](const Dot& d) { added.push_back(d); }));
  ASSERT_EQ(mine.size(), 3u);
  EXPECT_EQ(*mine.Find({kA, 1}), "common");
  EXPECT_EQ(*mine.Find({kA, 3}), "unseen-there");
  EXPECT_EQ(*mine.Find({kB, 1}), "new-here");
  EXPECT_EQ(removed, (std::vector<Dot>{{kA, 2}}));
  EXPECT_EQ(added, (std::vector<Dot>{{kB, 1}}));
  // Joining again changes nothing.
  my_ctx.Join(their_ctx);
  EXPECT_FALSE(mine.Join(theirs, my_ctx, their_ctx));
}

TEST(DotFunTest, ConflictingPayloadsResolveToGreater) {
  DotFun<std::string> a, b;
  a.Insert({kA, 1}, "x");
  b.Insert({kA, 1}, "y");
  DotContext c = Ctx({{kA, 1}});
  DotFun<std::string> a2 = a, b2 = b;
  a2.Join(b, c, c);
  b2.Join(a, c, c);
  EXPECT_EQ(a2, b2);
  EXPECT_EQ(*a2.Find({kA, 1}), "y");
}

TEST(DotFunTest, InsertEraseKeepOrder) {
  DotFun<int> s;
  s.Insert({kB, 1}, 3);
  s.Insert({kA, 2}, 2);
  s.Insert({kA, 1}, 1);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.entries()[0].payload, 1);
  EXPECT_EQ(s.entries()[2].payload, 3);
  EXPECT_TRUE(s.Erase({kA, 2}));
  EXPECT_FALSE(s.Erase({kA, 2}));
  DotContext c;
  s.AddDotsTo(&c);
  EXPECT_TRUE(c.Contains({kA, 1}));
  EXPECT_FALSE(c.Contains({kA, 2}));
}

}  // namespace
}  // namespace regionsync

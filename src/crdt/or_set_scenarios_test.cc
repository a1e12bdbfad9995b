// Named regression scenarios for OrSet.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <utility>

#include "regionsync/crdt/or_set.h"

namespace regionsync {
namespace {

// (2) Both replicas hold "apple". A re-adds it while B concurrently removes
// it. Add wins: after the exchange both hold "apple". Run with the actor ids
// in both orders so no tie-break by id can be what makes it pass.
class ReAddVersusRemove : public ::testing::TestWithParam<std::pair<ActorId, ActorId>> {};

TEST_P(ReAddVersusRemove, AddWinsOnBothSides) {
  const auto [actor_a, actor_b] = GetParam();
  OrSet a, b;
  b.Join(a.Add(actor_a, "apple"));
  ASSERT_TRUE(b.Contains("apple"));

  OrSet re_add = a.Add(actor_a, "apple");
  OrSet remove = b.Remove("apple");
  ASSERT_FALSE(b.Contains("apple"));

  a.Join(remove);
  b.Join(re_add);
  EXPECT_TRUE(a.Contains("apple"));
  EXPECT_TRUE(b.Contains("apple"));
  EXPECT_EQ(a.Encode(), b.Encode());
}

TEST_P(ReAddVersusRemove, AddWinsWhenTheOtherSideAddedFirst) {
  const auto [actor_a, actor_b] = GetParam();
  OrSet a, b;
  a.Join(b.Add(actor_b, "apple"));
  OrSet re_add = a.Add(actor_a, "apple");
  OrSet remove = b.Remove("apple");
  a.Join(remove);
  b.Join(re_add);
  EXPECT_TRUE(a.Contains("apple"));
  EXPECT_TRUE(b.Contains("apple"));
  EXPECT_EQ(a.Encode(), b.Encode());
}

INSTANTIATE_TEST_SUITE_P(BothIdOrders, ReAddVersusRemove,
                         ::testing::Values(std::make_pair(ActorId{1}, ActorId{2}),
                                           std::make_pair(ActorId{2}, ActorId{1})));

// (3) add, remove, add of one element in the same millisecond. We use no
// timestamps, so the three deltas carry distinct dots and the last add
// survives in the receiver whatever order the deltas arrive in.
TEST(OrSetScenarios, AddRemoveAddSameMillisecondSurvivesAnyDeliveryOrder) {
  OrSet origin;
  std::array<OrSet, 3> deltas = {origin.Add(7, "k"), origin.Remove("k"), origin.Add(7, "k")};
  ASSERT_TRUE(origin.Contains("k"));
  std::array<int, 3> order = {0, 1, 2};
  int orders = 0;
  do {
    OrSet receiver;
    (void)receiver.Add(9, "other");
    for (int i : order) receiver.Join(deltas[i]);
    EXPECT_TRUE(receiver.Contains("k")) << "order " << order[0] << order[1] << order[2];
    OrSet expected = origin;
    expected.Join(receiver);
    EXPECT_EQ(receiver, expected);
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(orders, 6);
}

}  // namespace
}  // namespace regionsync

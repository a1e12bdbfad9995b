// OrSet::SplitDelta and re-adds: the old dots a re-add replaced travel in the
// piece of the element's new dot, so no piece removes an element that the
// writer still holds (or_set_test.cc covers the sizes and the rejoin).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "regionsync/crdt/or_set.h"

namespace regionsync {
namespace {

constexpr ActorId kA = 0xA1;
constexpr ActorId kB = 0xB2;

std::string Element(int i) { return "element-" + std::to_string(i); }

// Joins `pieces` one by one into `receiver`; after each, every element of
// `expected` must be present. All of them together give receiver + whole.
void ExpectPresentAfterEveryPiece(OrSet receiver, const OrSet& whole, const std::vector<OrSet>& pieces,
                                  int expected) {
  OrSet after = receiver;
  after.Join(whole);
  for (size_t p = 0; p < pieces.size(); ++p) {
    receiver.Join(pieces[p]);
    for (int i = 0; i < expected; ++i) {
      ASSERT_TRUE(receiver.Contains(Element(i))) << Element(i) << " missing after piece " << p;
    }
  }
  EXPECT_EQ(receiver, after);
}

TEST(OrSetSplitTest, ReAddedElementsStayPresentWhicheverPiecesArrive) {
  OrSet writer;
  for (int i = 0; i < 2000; ++i) writer.Add(kA, Element(i));
  const OrSet receiver = writer;
  // SADD of members that are there already, then more in later writes: one
  // coalesced delta whose removals are the old dots.
  std::vector<std::string> names;
  for (int i = 0; i < 2000; ++i) names.push_back(Element(i));
  std::vector<std::string_view> members(names.begin(), names.end());
  OrSet delta = writer.AddAll(kB, members);
  for (int i = 0; i < 2000; i += 3) delta.Join(writer.Add(kA, Element(i)));
  std::vector<OrSet> pieces = delta.SplitDelta(1024);
  ASSERT_GT(pieces.size(), 10u);
  for (uint64_t seed : {0u, 1u}) {
    std::mt19937_64 rng(seed);
    std::shuffle(pieces.begin(), pieces.end(), rng);
    ExpectPresentAfterEveryPiece(receiver, delta, pieces, 2000);
  }
  std::reverse(pieces.begin(), pieces.end());
  ExpectPresentAfterEveryPiece(receiver, delta, pieces, 2000);
}

// An element too big for a piece goes alone, and its old dot with it: no
// other piece removes it.
TEST(OrSetSplitTest, OversizedReAddCarriesItsOwnRemoval) {
  OrSet writer;
  const std::string big(3000, 'x');
  writer.Add(kA, big);
  for (int i = 0; i < 100; ++i) writer.Add(kA, Element(i));
  const OrSet receiver = writer;
  OrSet delta = writer.Add(kB, big);
  for (int i = 0; i < 100; ++i) delta.Join(writer.Add(kB, Element(i)));
  std::vector<OrSet> pieces = delta.SplitDelta(512);
  size_t oversized = 0;
  for (const OrSet& p : pieces) {
    OrSet alone = receiver;
    alone.Join(p);
    EXPECT_TRUE(alone.Contains(big)) << "a piece removes the big element";
    if (p.Encode().size() > 512) {
      ++oversized;
      EXPECT_EQ(p.Elements(), std::vector<std::string>{big});
      EXPECT_TRUE(p.context().Contains(Dot{kA, 1})) << "its old dot travels with it";
    }
  }
  EXPECT_EQ(oversized, 1u);
}

// A delta from the wire has no notes: it still splits into pieces that join
// to the whole (its removals travel as before).
TEST(OrSetSplitTest, DecodedDeltaStillSplitsCorrectly) {
  OrSet writer;
  for (int i = 0; i < 500; ++i) writer.Add(kA, Element(i));
  OrSet delta;
  for (int i = 0; i < 500; ++i) delta.Join(writer.Add(kB, Element(i)));
  Result<OrSet> decoded = OrSet::Decode(delta.Encode());
  ASSERT_TRUE(decoded.ok());
  OrSet joined;
  for (const OrSet& p : decoded->SplitDelta(512)) joined.Join(p);
  EXPECT_EQ(joined, delta);
}

}  // namespace
}  // namespace regionsync

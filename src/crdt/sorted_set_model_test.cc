// SortedSet's reads against a model: a std::vector of (score, member) kept
// sorted, over seeded random writes with many equal scores. Rank, At,
// LowerRank / UpperRank (score and lex, inclusive and exclusive, infinite
// bounds) and Visit forwards and backwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "regionsync/crdt/sorted_set.h"

namespace regionsync {
namespace {

constexpr ActorId kA = 0xA1;
constexpr double kInf = std::numeric_limits<double>::infinity();

using Model = std::vector<std::pair<double, std::string>>;  // sorted

Model ModelOf(const std::map<std::string, double>& scores) {
  Model m;
  for (const auto& [member, score] : scores) m.emplace_back(score, member);
  std::sort(m.begin(), m.end());
  return m;
}

size_t CountIf(const Model& m, auto pred) {
  return static_cast<size_t>(std::partition_point(m.begin(), m.end(), pred) - m.begin());
}

class SortedSetModelTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(SortedSetModelTest, ReadsMatchASortedVector) {
  const uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  SortedSet s;
  std::map<std::string, double> scores;
  auto member = [&] { return "k" + std::to_string(rng() % 300); };
  auto score = [&] { return static_cast<double>(static_cast<int>(rng() % 21) - 10) / 2; };  // many ties
  for (int step = 0; step < 3000; ++step) {
    const std::string m = member();
    switch (rng() % 4) {
      case 0:
      case 1: {
        double v = score();
        s.Assign(kA, m, step, v);
        scores[m] = v;
        break;
      }
      case 2: {
        double by = score();
        s.Increment(kA, m, by);
        scores[m] += by;  // a new member starts at 0
        break;
      }
      case 3:
        s.Remove(m);
        scores.erase(m);
        break;
    }
    if (step % 100 != 99) continue;

    const Model model = ModelOf(scores);
    ASSERT_EQ(s.size(), model.size());
    for (size_t r = 0; r < model.size(); ++r) {
      SortedSet::Entry e = s.At(r);
      ASSERT_EQ(e.member, model[r].second);
      ASSERT_EQ(e.score, model[r].first);
      ASSERT_EQ(s.Rank(model[r].second), r);
      ASSERT_EQ(s.Score(model[r].second), model[r].first);
    }
    EXPECT_EQ(s.Rank("absent"), std::nullopt);

    for (double v : {-kInf, -5.5, -1.0, 0.0, 0.5, 3.0, 5.0, 9.0, kInf}) {
      for (bool ex : {false, true}) {
        size_t lo = CountIf(model, [&](const auto& p) { return ex ? p.first <= v : p.first < v; });
        size_t hi = CountIf(model, [&](const auto& p) { return ex ? p.first < v : p.first <= v; });
        ASSERT_EQ(s.LowerRank(ScoreBound{v, ex}), lo) << v << " " << ex;
        ASSERT_EQ(s.UpperRank(ScoreBound{v, ex}), hi) << v << " " << ex;
      }
    }

    // Lex bounds, on the members of one score (as Redis means them to be
    // used) and on the whole mixed-score set (a deterministic descent: at
    // least it must agree with a binary search over the same order when the
    // predicate is a prefix).
    std::vector<std::string> same;  // members of score 0.5, sorted
    for (const auto& [v, m2] : model) {
      if (v == 0.5) same.push_back(m2);
    }
    SortedSet flat;
    for (const std::string& m2 : same) flat.Assign(kA, m2, 1, 0.5);
    for (const std::string& bound : {std::string(""), std::string("k1"), std::string("k150"), std::string("k5"),
                                     std::string("kz")}) {
      auto below = [&](bool at_or_below) {
        return static_cast<size_t>((at_or_below ? std::upper_bound(same.begin(), same.end(), bound)
                                                : std::lower_bound(same.begin(), same.end(), bound)) -
                                   same.begin());
      };
      EXPECT_EQ(flat.LowerRank(LexBound{LexBound::Kind::kInclusive, bound}), below(false));
      EXPECT_EQ(flat.LowerRank(LexBound{LexBound::Kind::kExclusive, bound}), below(true));
      EXPECT_EQ(flat.UpperRank(LexBound{LexBound::Kind::kInclusive, bound}), below(true));
      EXPECT_EQ(flat.UpperRank(LexBound{LexBound::Kind::kExclusive, bound}), below(false));
    }
    EXPECT_EQ(flat.LowerRank(LexBound{LexBound::Kind::kMinusInfinity, ""}), 0u);
    EXPECT_EQ(flat.UpperRank(LexBound{LexBound::Kind::kPlusInfinity, ""}), same.size());
    EXPECT_EQ(flat.LowerRank(LexBound{LexBound::Kind::kPlusInfinity, ""}), same.size());
    EXPECT_EQ(flat.UpperRank(LexBound{LexBound::Kind::kMinusInfinity, ""}), 0u);
    // Mixed scores: the binary search of std::partition_point over the
    // (score, member) order, the same on every replica whatever its tree.
    for (const char* bound : {"k1", "k150", "k3"}) {
      const std::string b(bound);
      EXPECT_EQ(s.LowerRank(LexBound{LexBound::Kind::kInclusive, b}),
                CountIf(model, [&](const auto& p) { return p.second < b; }));
      EXPECT_EQ(s.UpperRank(LexBound{LexBound::Kind::kInclusive, b}),
                CountIf(model, [&](const auto& p) { return p.second <= b; }));
      EXPECT_EQ(s.LowerRank(LexBound{LexBound::Kind::kInclusive, b}),
                SortedSet(s).LowerRank(LexBound{LexBound::Kind::kInclusive, b}));
    }

    // Visit: a window forwards and backwards, and an early stop.
    if (model.empty()) continue;
    const size_t first = rng() % model.size();
    const size_t last = first + rng() % (model.size() - first + 3);  // may run past the end
    std::vector<std::string> fwd, back;
    s.Visit(first, last, false, [&](const SortedSet::Entry& e) {
      fwd.emplace_back(e.member);
      return true;
    });
    s.Visit(first, last, true, [&](const SortedSet::Entry& e) {
      back.emplace_back(e.member);
      return true;
    });
    std::vector<std::string> want;
    for (size_t r = first; r < std::min(last, model.size()); ++r) want.push_back(model[r].second);
    ASSERT_EQ(fwd, want);
    std::reverse(want.begin(), want.end());
    ASSERT_EQ(back, want);
    int visited = 0;
    s.Visit(0, model.size(), false, [&](const SortedSet::Entry&) { return ++visited < 3; });
    EXPECT_EQ(visited, static_cast<int>(std::min<size_t>(3, model.size())));
    s.Visit(5, 2, false, [&](const SortedSet::Entry&) {
      ADD_FAILURE() << "empty range visited";
      return true;
    });
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, SortedSetModelTest, ::testing::Values(1u, 2u, 3u, 42u));

}  // namespace
}  // namespace regionsync

// RapidCheck properties of SortedSet over random multi-replica histories of
// ZADD, ZINCRBY, ZREM and DEL: lattice laws, round trip, delta == mutation,
// convergence under any delivery order, and that the incrementally kept
// indexes read as ones rebuilt from scratch (a decode).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "crdt/causal_test_history.h"
#include "regionsync/crdt/sorted_set.h"

namespace regionsync {
namespace {

// A few members (so writes race on them) and scores with ties, zeros and
// infinities.
double ScoreOf(int c) {
  static const double kScores[] = {0, 1, -1, 2.5, 1e300, -0.0, std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity()};
  return c < 16 ? kScores[c % 8] : static_cast<double>(c % 7);
}

SortedSet MutateSet(SortedSet& s, ActorId actor, int a, int b, int c) {
  const std::string member = "m" + std::to_string(b % 6);
  switch (a % 7) {
    case 0:
    case 1: return s.Assign(actor, member, static_cast<HlcTimestamp>(c % 5), ScoreOf(c));
    case 2:
    case 3: {
      double by = ScoreOf(c);
      std::optional<double> now = s.Score(member);
      if (std::isnan(now.value_or(0) + by)) by = 1;  // what the command layer refuses
      return s.Increment(actor, member, by);
    }
    case 4:
    case 5: return s.Remove(member);
    default: return s.Clear();
  }
}

std::vector<std::pair<std::string, double>> Listing(const SortedSet& s) {
  std::vector<std::pair<std::string, double>> out;
  s.Visit(0, s.size(), false, [&](const SortedSet::Entry& e) {
    out.emplace_back(std::string(e.member), e.score);
    return true;
  });
  return out;
}

// The indexes kept by mutations and joins agree with ones built afresh.
void CheckIndexes(const SortedSet& s) {
  Result<SortedSet> fresh = SortedSet::Decode(s.Encode());
  RC_ASSERT(fresh.ok());
  RC_ASSERT(Listing(*fresh) == Listing(s));
  RC_ASSERT(fresh->dot_count() == s.dot_count());
  for (size_t r = 0; r < s.size(); ++r) {
    SortedSet::Entry e = s.At(r);
    RC_ASSERT(s.Rank(e.member) == std::optional<size_t>(r));
    RC_ASSERT(s.Score(e.member) == std::optional<double>(e.score));
    RC_ASSERT(!std::signbit(e.score) || e.score != 0);
  }
}

RC_GTEST_PROP(SortedSetProperties, AllCausalProperties, ()) {
  causal_test::CheckAllProperties<SortedSet>(MutateSet);
}

RC_GTEST_PROP(SortedSetProperties, IndexesStayInStepWithEveryMutationAndJoin, ()) {
  auto steps = *causal_test::GenSteps(60);
  auto h = causal_test::RunHistory<SortedSet>(steps, MutateSet);
  for (const SortedSet& r : h.replicas) CheckIndexes(r);
  for (const SortedSet& d : h.deltas) CheckIndexes(d);
  causal_test::DeliverAll(h, *rc::gen::arbitrary<uint64_t>());
  for (const SortedSet& r : h.replicas) CheckIndexes(r);
}

// Join reports a change exactly when the listing changed.
RC_GTEST_PROP(SortedSetProperties, JoinReportsChangesExactly, ()) {
  auto steps = *causal_test::GenSteps(40);
  auto h = causal_test::RunHistory<SortedSet>(steps, MutateSet);
  for (const SortedSet& d : h.deltas) {
    SortedSet s = h.replicas[0];
    auto before = Listing(s);
    bool changed = s.Join(d);
    RC_ASSERT(changed == (Listing(s) != before));
  }
}

}  // namespace
}  // namespace regionsync

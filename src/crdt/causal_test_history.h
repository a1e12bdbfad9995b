// Test support for the causal CRDTs: random multi-replica histories driven by
// RapidCheck, and the lattice properties every type must satisfy. A type
// plugs in with one function, mutate(state, actor, a, b, c) -> delta, that
// maps three random ints to one of its mutators.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "crdt/lattice_laws.h"
#include "regionsync/crdt/dot.h"

namespace regionsync::causal_test {

inline constexpr int kReplicas = 3;
// Small, huge and mid-sized actor ids, so ordering and fixed64 paths are hit.
inline constexpr ActorId kActors[kReplicas] = {7, 0x0123456789ABCDEFULL, ~0ULL};

// (replica, deliver?, a, b, c)
using Step = std::tuple<int, bool, int, int, int>;

inline rc::Gen<std::vector<Step>> GenSteps(int max_len = 40) {
  return rc::gen::resize(
      max_len, rc::gen::container<std::vector<Step>>(rc::gen::tuple(
                   rc::gen::inRange(0, kReplicas), rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 1000),
                   rc::gen::inRange(0, 1000), rc::gen::inRange(0, 1000))));
}

template <typename T>
struct History {
  std::vector<T> replicas = std::vector<T>(kReplicas);
  std::vector<T> deltas;  // every delta, in creation order
};

// Replays `steps`: a replica either mutates (its delta is kept) or receives
// one earlier delta, so replicas run concurrently with partial knowledge.
template <typename T, typename Mutate>
History<T> RunHistory(const std::vector<Step>& steps, Mutate&& mutate) {
  History<T> h;
  for (const auto& [r, deliver, a, b, c] : steps) {
    if (deliver && !h.deltas.empty()) {
      h.replicas[r].Join(h.deltas[static_cast<size_t>(a) % h.deltas.size()]);
    } else {
      h.deltas.push_back(mutate(h.replicas[r], kActors[r], a, b, c));
    }
  }
  return h;
}

// Delivers every delta to every replica in a seeded random order, with
// random duplicates.
template <typename T>
void DeliverAll(History<T>& h, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (T& replica : h.replicas) {
    std::vector<size_t> order;
    for (size_t i = 0; i < h.deltas.size(); ++i) {
      order.push_back(i);
      if (rng() % 3 == 0) order.push_back(i);
    }
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i : order) replica.Join(h.deltas[i]);
  }
}

using lattice_laws::CheckLatticeLaws;
using lattice_laws::Joined;

// Decode(Encode(x)) == x, and re-encoding gives the same bytes.
template <typename T>
void CheckRoundTrip(const T& x) {
  std::string bytes = x.Encode();
  auto decoded = T::Decode(bytes);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == x);
  RC_ASSERT(decoded->Encode() == bytes);
}

// Joining a mutator's delta into the state before the mutation gives the
// state after it; so does joining it into a replica that saw the pre-state.
template <typename T, typename Mutate>
void CheckDeltaMatchesMutation(const T& state, const T& other, Mutate&& mutate, int a, int b, int c) {
  T before = state;
  T after = state;
  T delta = mutate(after, kActors[0], a, b, c);
  RC_ASSERT(Joined(before, delta).Encode() == after.Encode());
  T seen = Joined(other, state);
  RC_ASSERT(Joined(seen, delta).Encode() == Joined(other, after).Encode());
}

// The whole suite on one type: laws, round trip, delta == mutation,
// convergence under any delivery order with duplicates.
template <typename T, typename Mutate>
void CheckAllProperties(Mutate&& mutate) {
  auto steps = *GenSteps();
  History<T> h = RunHistory<T>(steps, mutate);
  CheckLatticeLaws(h.replicas[0], h.replicas[1], h.replicas[2]);
  for (const T& r : h.replicas) CheckRoundTrip(r);
  for (const T& d : h.deltas) CheckRoundTrip(d);
  auto [a, b, c] = *rc::gen::tuple(rc::gen::inRange(0, 1000), rc::gen::inRange(0, 1000), rc::gen::inRange(0, 1000));
  CheckDeltaMatchesMutation(h.replicas[0], h.replicas[1], mutate, a, b, c);

  T all;
  for (const T& d : h.deltas) all.Join(d);
  DeliverAll(h, *rc::gen::arbitrary<uint64_t>());
  for (const T& r : h.replicas) RC_ASSERT(r.Encode() == all.Encode());
}

}  // namespace regionsync::causal_test

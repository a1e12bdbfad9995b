// RapidCheck properties of OrSet: lattice laws, deltas, encoding, convergence
// and SplitDelta, over states built from random multi-replica histories.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "regionsync/crdt/or_set.h"

namespace regionsync {
namespace {

const std::vector<std::string>& Alphabet() {
  static const std::vector<std::string> kAlphabet = {"a", "b", "c", "", std::string("\0\xff", 2), "apple"};
  return kAlphabet;
}

// Most steps pick one of the few elements above, so concurrent adds and
// removes of one element are common; the rest pick from 16 more, so states
// also outgrow the small (unhashed) form of the element table.
std::string ElementOf(int arg) {
  if (arg < 48) return Alphabet()[arg % Alphabet().size()];
  return "e" + std::to_string(arg - 48);
}

ActorId ActorOf(int replica) { return 0x100 + replica * 0x9E3779B97F4A7C15ULL; }

// One step of a history: (replica, kind, argument).
using Step = std::tuple<int, int, int>;

struct History {
  std::vector<OrSet> replicas;
  std::vector<OrSet> deltas;  // every delta any mutator returned
};

// kind 0: add, 1: remove, 2: deliver some earlier delta (any order, repeats
// allowed), 3: full-state join from another replica.
History Run(const std::vector<Step>& steps, int n_replicas) {
  History h;
  h.replicas.resize(n_replicas);
  for (const auto& [r0, kind, arg] : steps) {
    const int r = r0 % n_replicas;
    OrSet& me = h.replicas[r];
    const std::string e = ElementOf(arg);
    switch (kind % 4) {
      case 0: h.deltas.push_back(me.Add(ActorOf(r), e)); break;
      case 1: h.deltas.push_back(me.Remove(e)); break;
      case 2:
        if (!h.deltas.empty()) me.Join(h.deltas[arg % h.deltas.size()]);
        break;
      case 3: me.Join(h.replicas[arg % n_replicas]); break;
    }
  }
  return h;
}

rc::Gen<std::vector<Step>> GenSteps() {
  return rc::gen::container<std::vector<Step>>(rc::gen::tuple(
      rc::gen::inRange(0, 5), rc::gen::inRange(0, 4), rc::gen::inRange(0, 64)));
}

OrSet Joined(OrSet a, const OrSet& b) {
  a.Join(b);
  return a;
}

RC_GTEST_PROP(OrSetProperties, JoinIsCommutative, ()) {
  History h = Run(*GenSteps(), 3);
  const OrSet& a = h.replicas[0];
  const OrSet& b = h.replicas[1];
  RC_ASSERT(Joined(a, b).Encode() == Joined(b, a).Encode());
}

RC_GTEST_PROP(OrSetProperties, JoinIsAssociative, ()) {
  History h = Run(*GenSteps(), 3);
  const OrSet& a = h.replicas[0];
  const OrSet& b = h.replicas[1];
  const OrSet& c = h.replicas[2];
  RC_ASSERT(Joined(Joined(a, b), c).Encode() == Joined(a, Joined(b, c)).Encode());
}

RC_GTEST_PROP(OrSetProperties, JoinIsIdempotent, ()) {
  History h = Run(*GenSteps(), 3);
  OrSet a = h.replicas[0];
  const OrSet copy = a;
  RC_ASSERT(!a.Join(copy));
  RC_ASSERT(a.Encode() == copy.Encode());
  OrSet b = Joined(h.replicas[1], a);
  const std::string once = b.Encode();
  RC_ASSERT(!b.Join(a));
  RC_ASSERT(b.Encode() == once);
}

RC_GTEST_PROP(OrSetProperties, JoinReturnsWhetherMembershipChanged, ()) {
  History h = Run(*GenSteps(), 3);
  OrSet a = h.replicas[0];
  const OrSet& other = *rc::gen::elementOf(h.deltas.empty() ? h.replicas : h.deltas);
  const auto before = a.Elements();
  const bool changed = a.Join(other);
  RC_ASSERT(changed == (before != a.Elements()));
}

RC_GTEST_PROP(OrSetProperties, JoiningMutatorDeltaEqualsMutation, ()) {
  History h = Run(*GenSteps(), 3);
  const int r = *rc::gen::inRange(0, 3);
  const std::string e = ElementOf(*rc::gen::inRange(0, 64));
  const bool add = *rc::gen::arbitrary<bool>();
  OrSet mutated = h.replicas[r];
  OrSet delta = add ? mutated.Add(ActorOf(r), e) : mutated.Remove(e);
  RC_ASSERT(add == mutated.Contains(e));
  RC_ASSERT(Joined(h.replicas[r], delta).Encode() == mutated.Encode());
  RC_ASSERT(Joined(h.replicas[r], delta) == mutated);
}

// AddAll / RemoveAll against the same calls one by one: same state, the
// batch delta equals the join of the single deltas, same count. Batches run
// past the load-ahead window and may repeat an element; a preloaded set is
// big enough for the hashed tables.
RC_GTEST_PROP(OrSetProperties, BatchMutatorsEqualTheCallsOneByOne, ()) {
  History h = Run(*GenSteps(), 3);
  const int r = *rc::gen::inRange(0, 3);
  OrSet start = h.replicas[r];
  const int preload = *rc::gen::inRange(0, 2000);
  for (int i = 0; i < preload; ++i) (void)start.Add(ActorOf(r), "m" + std::to_string(i));
  const auto args = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 64 + 2000));
  std::vector<std::string> owned;
  for (int a : args) owned.push_back(a < 64 ? ElementOf(a) : "m" + std::to_string(a - 64));
  const std::vector<std::string_view> elements(owned.begin(), owned.end());
  const bool add = *rc::gen::arbitrary<bool>();

  OrSet batched = start;
  size_t batch_count = 99;
  const OrSet batch_delta =
      add ? batched.AddAll(ActorOf(r), elements, &batch_count) : batched.RemoveAll(elements, &batch_count);

  OrSet single = start;
  OrSet joined_deltas;
  size_t single_count = 0;
  for (std::string_view e : elements) {
    const bool had = single.Contains(e);
    joined_deltas.Join(add ? single.Add(ActorOf(r), e) : single.Remove(e));
    single_count += add ? !had : had;
  }
  RC_ASSERT(batched == single);
  RC_ASSERT(batched.Encode() == single.Encode());
  RC_ASSERT(batch_delta.Encode() == joined_deltas.Encode());
  RC_ASSERT(batch_count == single_count);
  RC_ASSERT(Joined(start, batch_delta) == batched);
}

RC_GTEST_PROP(OrSetProperties, EncodeDecodeRoundTrip, ()) {
  History h = Run(*GenSteps(), 3);
  std::vector<OrSet> all = h.replicas;
  all.insert(all.end(), h.deltas.begin(), h.deltas.end());
  for (const OrSet& s : all) {
    const std::string bytes = s.Encode();
    Result<OrSet> back = OrSet::Decode(bytes);
    RC_ASSERT(back.ok());
    RC_ASSERT(*back == s);
    RC_ASSERT(back->Encode() == bytes);
  }
}

RC_GTEST_PROP(OrSetProperties, ReplicasConvergeWhateverTheDeliveryOrder, ()) {
  const int n = *rc::gen::inRange(3, 6);
  History h = Run(*GenSteps(), n);
  // Everything every replica holds came from some delta, so delivering all
  // deltas (shuffled, some twice, interleaved with full-state joins) must
  // bring everyone to the join of all deltas.
  OrSet expected;
  for (const OrSet& d : h.deltas) expected.Join(d);
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  for (int r = 0; r < n; ++r) {
    std::vector<size_t> order;
    for (size_t i = 0; i < h.deltas.size(); ++i) {
      order.push_back(i);
      if (rng() % 4 == 0) order.push_back(i);
    }
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i : order) {
      h.replicas[r].Join(h.deltas[i]);
      if (rng() % 16 == 0) h.replicas[r].Join(h.replicas[rng() % n]);
    }
  }
  for (int r = 0; r < n; ++r) RC_ASSERT(h.replicas[r].Encode() == expected.Encode());
}

RC_GTEST_PROP(OrSetProperties, SplitDeltaPiecesJoinToTheWhole, ()) {
  History h = Run(*GenSteps(), 3);
  std::vector<OrSet> candidates = h.replicas;
  OrSet merged_deltas;
  for (const OrSet& d : h.deltas) merged_deltas.Join(d);
  candidates.push_back(merged_deltas);
  const OrSet& whole = *rc::gen::elementOf(candidates);
  const OrSet& target = *rc::gen::elementOf(h.replicas);
  const size_t max_bytes = *rc::gen::inRange<size_t>(8, 200);

  std::vector<OrSet> pieces = whole.SplitDelta(max_bytes);
  RC_ASSERT(!pieces.empty());
  for (const OrSet& p : pieces) {
    if (p.size() > 1) RC_ASSERT(p.Encode().size() <= max_bytes);
    // A piece is below the whole: joining it into the whole changes nothing.
    // A dot of an entry that travels in another piece would remove it here.
    OrSet probe = whole;
    RC_ASSERT(!probe.Join(p));
    RC_ASSERT(probe == whole);
  }
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  std::shuffle(pieces.begin(), pieces.end(), rng);
  OrSet by_pieces = target;
  for (const OrSet& p : pieces) by_pieces.Join(p);
  RC_ASSERT(by_pieces.Encode() == Joined(target, whole).Encode());
}

// Thousands of elements: the hashed tables grow, shift entries back on
// erase and drop removed dots from the index in batches. A writer's value
// must match a plain std::set, and a receiver fed the deltas (with an
// occasional full-state join) must equal the writer at every check.
RC_GTEST_PROP(OrSetProperties, BigSetsMatchAReferenceSet, ()) {
  const int universe = *rc::gen::inRange(100, 3000);
  const int steps = *rc::gen::inRange(1000, 6000);
  std::mt19937_64 rng(*rc::gen::arbitrary<uint64_t>());
  OrSet writer, receiver;
  std::set<std::string> reference;
  for (int i = 0; i < steps; ++i) {
    const std::string e = "m" + std::to_string(rng() % universe);
    const bool add = rng() % 3 != 0 || reference.size() < 10;
    OrSet delta = add ? writer.Add(ActorOf(static_cast<int>(rng() % 2)), e) : writer.Remove(e);
    if (add) {
      reference.insert(e);
    } else {
      reference.erase(e);
    }
    receiver.Join(delta);
    if (rng() % 500 == 0) {
      OrSet copy = writer;  // a full-state join must change nothing now
      RC_ASSERT(!receiver.Join(copy));
      RC_ASSERT(receiver == writer);
    }
  }
  RC_ASSERT(writer.size() == reference.size());
  const std::vector<std::string> elements = writer.Elements();
  RC_ASSERT(std::vector<std::string>(reference.begin(), reference.end()) == elements);
  for (const std::string& e : reference) RC_ASSERT(writer.Contains(e));
  RC_ASSERT(receiver == writer);
  RC_ASSERT(receiver.Encode() == writer.Encode());
  Result<OrSet> decoded = OrSet::Decode(writer.Encode());
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded.value() == writer);
}

}  // namespace
}  // namespace regionsync

#include "regionsync/crdt/key_state.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "crdt/lattice_laws.h"

namespace regionsync {
namespace {

// A key's whole state as the lattice laws see it: its lifetime, type and value bytes.
struct Keyed {
  KeyState s{AnyCrdt(PnCounter{}), Lifetime{}};
  bool Join(const Keyed& other) { return JoinKeyState(s, other.s).changed; }
  std::string Encode() const {
    return s.life.Encode() + "|" + std::to_string(TypeOf(s.value)) + "|" + EncodeCrdt(s.value);
  }
};

// One step of a key's history in one region: a counter or set write, an
// expiry write, or a write after expiry (the next incarnation).
struct Step {
  int kind;  // 0 increment, 1 set add, 2 expiry, 3 next incarnation
  ActorId actor;
  HlcTimestamp ts;
  uint64_t at;
};

rc::Gen<Step> GenStep() {
  return rc::gen::build<Step>(rc::gen::set(&Step::kind, rc::gen::inRange(0, 4)),
                              rc::gen::set(&Step::actor, rc::gen::element<ActorId>(1, 2, 3)),
                              rc::gen::set(&Step::ts, rc::gen::inRange<HlcTimestamp>(0, 6)),
                              rc::gen::set(&Step::at, rc::gen::element<uint64_t>(0, 10, 20)));
}

Keyed Apply(Keyed& k, const Step& step) {
  Keyed delta;
  delta.s.life = k.s.life.SameIncarnation();
  switch (step.kind) {
    case 0:
      if (auto* c = std::get_if<PnCounter>(&k.s.value)) {
        delta.s.value = c->Increment(step.actor, 1);
      }
      break;
    case 1:
      if (auto* set = std::get_if<OrSet>(&k.s.value)) {
        delta.s.value = set->Add(step.actor, std::to_string(step.at));
      } else {
        // Another type in the same incarnation: a type conflict the join resolves.
        OrSet fresh;
        delta.s.value = fresh.Add(step.actor, "x");
        JoinKeyState(k.s, delta.s);
      }
      break;
    case 2:
      delta.s.life = k.s.life.SetExpiry(step.actor, step.ts, step.at);
      break;
    case 3: {
      k.s = KeyState{AnyCrdt(PnCounter{}), k.s.life.Next()};
      delta.s.life = k.s.life;
      delta.s.value = std::get<PnCounter>(k.s.value).Increment(step.actor, 1);
      break;
    }
  }
  return delta;
}

rc::Gen<Keyed> GenKeyed() {
  return rc::gen::exec([] {
    Keyed k;
    for (const Step& step : *rc::gen::container<std::vector<Step>>(GenStep())) Apply(k, step);
    return k;
  });
}

RC_GTEST_PROP(LifetimeLaws, KeyStateJoinIsASemilattice, ()) {
  lattice_laws::CheckLatticeLaws(*GenKeyed(), *GenKeyed(), *GenKeyed());
}

RC_GTEST_PROP(LifetimeLaws, DeltaJoinEqualsMutation, ()) {
  Keyed state = *GenKeyed();
  Keyed before = state;
  Keyed delta = Apply(state, *GenStep());
  RC_ASSERT(lattice_laws::Joined(before, delta).Encode() == state.Encode());
}

RC_GTEST_PROP(LifetimeLaws, CodecRoundTrip, ()) {
  Keyed k = *GenKeyed();
  const Lifetime& life = k.s.life;
  Result<Lifetime> back = Lifetime::Decode(life.Encode());
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == life);
}

TEST(LifetimeTest, InitialIsEmptyAndDoesNotExpire) {
  Lifetime life;
  EXPECT_TRUE(life.IsInitial());
  EXPECT_EQ(life.Encode(), "");
  EXPECT_FALSE(life.ExpiredAt(UINT64_MAX));
}

TEST(LifetimeTest, CausallyLaterWriteWinsEvenWithASlowClock) {
  Lifetime a;
  Lifetime expire = a.SetExpiry(/*actor=*/2, /*clock_now=*/100, 5000);
  Lifetime b = expire;
  // b's writer has a lower id and a clock behind: its PERSIST still wins over what it saw.
  Lifetime persist = b.SetExpiry(/*actor=*/1, /*clock_now=*/50, 0);
  EXPECT_EQ(b.expires_at_millis(), 0u);
  Lifetime c = a;
  c.JoinExpiry(persist);
  c.JoinExpiry(expire);
  EXPECT_EQ(c.expires_at_millis(), 0u);
}

TEST(LifetimeTest, ConcurrentExpiriesResolveByTimestampThenWriter) {
  Lifetime x, y;
  Lifetime dx = x.SetExpiry(1, 100, 1000);
  Lifetime dy = y.SetExpiry(2, 100, 500);
  x.JoinExpiry(dy);
  y.JoinExpiry(dx);
  EXPECT_EQ(x, y);
  EXPECT_EQ(x.expires_at_millis(), 500u);  // writer 2 > writer 1 at the same timestamp
}

TEST(LifetimeTest, ExpiredAtTheInstantAndAfter) {
  Lifetime life;
  life.SetExpiry(1, 1, 1000);
  EXPECT_FALSE(life.ExpiredAt(999));
  EXPECT_TRUE(life.ExpiredAt(1000));
  EXPECT_TRUE(life.ExpiredAt(1001));
}

TEST(LifetimeTest, GreaterIncarnationReplacesTheValueAndALateDeltaChangesNothing) {
  KeyState old{AnyCrdt(PnCounter{}), Lifetime{}};
  KeyState late{AnyCrdt(std::get<PnCounter>(old.value).Increment(7, 41)), Lifetime{}};
  KeyState fresh{AnyCrdt(PnCounter{}), Lifetime{}.Next()};
  fresh.value = std::get<PnCounter>(fresh.value).Increment(8, 1);
  KeyState a = old;
  EXPECT_TRUE(JoinKeyState(a, fresh).changed);
  EXPECT_FALSE(JoinKeyState(a, late).changed);  // the old incarnation's write arrives late
  EXPECT_EQ(std::get<PnCounter>(a.value).Value(), 1);
  EXPECT_EQ(a.life.incarnation(), 1u);
}

TEST(LifetimeTest, DecodeRejectsHostileInput) {
  EXPECT_FALSE(Lifetime::Decode("\x08").ok());                  // truncated
  EXPECT_FALSE(Lifetime::Decode(std::string("\x08\x00", 2)).ok());  // non-canonical zero
  EXPECT_FALSE(Lifetime::Decode(std::string(65, 'x')).ok());
  Lifetime life;
  life.SetExpiry(3, 9, 77);
  std::string bytes = life.Encode();
  EXPECT_FALSE(Lifetime::Decode(bytes + bytes).ok());  // repeated fields
  EXPECT_TRUE(Lifetime::Decode(bytes).ok());
}

}  // namespace
}  // namespace regionsync

// End-to-end stories for the causal CRDTs, two or three replicas exchanging
// deltas by hand, plus hostile decoder input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "regionsync/crdt/ew_flag.h"
#include "regionsync/crdt/mv_register.h"
#include "regionsync/crdt/or_map.h"
#include "regionsync/proto/causal.pb.h"

namespace regionsync {
namespace {

using ::testing::ElementsAre;

constexpr ActorId kA = 0xA, kB = 0xB, kC = 0xC;

TEST(CausalScenarios, ConcurrentMvAssignsKeepBothUntilAnAssignThatSawThem) {
  MvRegister a, b;
  MvRegister da = a.Assign(kA, "blue");
  MvRegister db = b.Assign(kB, "green");
  EXPECT_TRUE(a.Join(db));
  EXPECT_TRUE(b.Join(da));
  EXPECT_THAT(a.Values(), ElementsAre("blue", "green"));
  EXPECT_EQ(a.Encode(), b.Encode());
  MvRegister later = b.Assign(kB, "red");  // b saw both
  EXPECT_TRUE(a.Join(later));
  EXPECT_THAT(a.Values(), ElementsAre("red"));
  EXPECT_EQ(a.Encode(), b.Encode());
}

TEST(CausalScenarios, ConcurrentEnableAndDisableEnable) {
  EwFlag a, b;
  b.Join(a.Enable(kA));
  EwFlag off = a.Disable();
  EwFlag on = b.Enable(kB);
  a.Join(on);
  b.Join(off);
  EXPECT_TRUE(a.Enabled());
  EXPECT_TRUE(b.Enabled());
  EXPECT_EQ(a.Encode(), b.Encode());
}

TEST(CausalScenarios, PresenceRemoveConcurrentWithUpdateKeepsUpdate) {
  OrMap a(OrMapKind::kRegister), b(OrMapKind::kRegister);
  b.Join(a.Assign(kA, "u1", 1000, "online@eu"));
  b.Join(a.Assign(kA, "u2", 1000, "online@eu"));
  // A removes u1 while B, not having seen that, updates it.
  OrMap removal = a.Remove("u1");
  OrMap update = b.Assign(kB, "u1", 1001, "online@us");
  EXPECT_TRUE(a.Join(update));
  EXPECT_FALSE(b.Join(removal));  // B already replaced the removed dot
  for (const OrMap* m : {&a, &b}) {
    EXPECT_TRUE(m->Contains("u1"));
    EXPECT_EQ(m->Register("u1"), "online@us");
    EXPECT_EQ(m->Register("u2"), "online@eu");
  }
  EXPECT_EQ(a.Encode(), b.Encode());
}

TEST(CausalScenarios, PresenceRemoveWinsOverWhatItSaw) {
  OrMap a(OrMapKind::kRegister), b;
  b.Join(a.Assign(kA, "u1", 1000, "online"));
  EXPECT_TRUE(b.Join(a.Remove("u1")));
  EXPECT_FALSE(b.Contains("u1"));
  EXPECT_EQ(a.Encode(), b.Encode());
}

// Reset semantics: a remove takes away exactly the dots it saw. Here B has
// seen C's increment (c1 = 10) and A's first one (a1 = 5) and removes the
// key, while A concurrently increments by 3. A's new dot a2 survives alone.
// Because a causal counter's dot carries its actor's running total, a2 holds
// 5 + 3 = 8: A's earlier contribution is folded into the unobserved dot.
TEST(CausalScenarios, RemoveConcurrentWithIncrementKeepsOnlyTheUnobservedDot) {
  OrMap a(OrMapKind::kCounter), b(OrMapKind::kCounter), c(OrMapKind::kCounter);
  OrMap a1 = a.Increment(kA, "sessions", 5);
  OrMap c1 = c.Increment(kC, "sessions", 10);
  b.Join(a1);
  b.Join(c1);
  a.Join(c1);
  EXPECT_EQ(b.Counter("sessions"), 15);
  OrMap removal = b.Remove("sessions");
  OrMap a2 = a.Increment(kA, "sessions", 3);
  a.Join(removal);
  b.Join(a2);
  c.Join(a2);
  c.Join(removal);
  for (const OrMap* m : {&a, &b, &c}) {
    EXPECT_TRUE(m->Contains("sessions"));
    EXPECT_EQ(m->Counter("sessions"), 8);  // C's observed 10 is gone
    EXPECT_EQ(m->dot_count(), 1u);
  }
  EXPECT_EQ(a.Encode(), b.Encode());
  EXPECT_EQ(a.Encode(), c.Encode());
  // An actor whose dot was removed and observed starts from zero.
  OrMap c2 = c.Increment(kC, "sessions", 1);
  a.Join(c2);
  EXPECT_EQ(a.Counter("sessions"), 9);
}

TEST(CausalScenarios, SetRemoveOfKeyConcurrentWithAddKeepsOnlyTheAdd) {
  OrMap a(OrMapKind::kSet), b;
  b.Join(a.AddElement(kA, "room", "alice"));
  b.Join(a.AddElement(kA, "room", "bob"));
  OrMap removal = a.Remove("room");
  OrMap add = b.AddElement(kB, "room", "carol");
  a.Join(add);
  b.Join(removal);
  EXPECT_THAT(a.Values("room"), ElementsAre("carol"));
  EXPECT_EQ(a.Encode(), b.Encode());
}

template <typename T>
void ExpectRejectsGarbage(const T& sample) {
  std::string good = sample.Encode();
  ASSERT_TRUE(T::Decode(good).ok());
  // Every truncation of a valid encoding is either invalid or (when it cuts
  // at a field boundary) a different valid state, never a crash.
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = T::Decode(good.substr(0, n));
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    } else {
      EXPECT_EQ(r->Encode(), good.substr(0, n));
    }
  }
  const std::string garbage[] = {
      std::string("\xff\xff\xff\xff", 4),
      std::string("\x0a\xff\xff\xff\xff\x0f", 6),            // huge length
      std::string("\x12\x02\x08\x05", 4),                     // dot with no context
      std::string("\x0a\x00", 2),                             // empty sub-message present
      std::string("\x08\x09", 2),                             // kind 9 (OrMap) / bad field
      good + std::string("\x50\x01", 2),                      // unknown field 10
      good + good,                                            // repeated fields
  };
  for (const std::string& bytes : garbage) {
    auto r = T::Decode(bytes);
    ASSERT_FALSE(r.ok()) << testing::PrintToString(bytes);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  // Over the size limit.
  std::string huge(kMaxEncodedStateBytes + 1, '\0');
  EXPECT_EQ(T::Decode(huge).status().code(), StatusCode::kInvalidArgument);
}

TEST(CausalScenarios, DecodersRejectGarbage) {
  MvRegister mv;
  mv.Assign(kA, "x");
  mv.Join(MvRegister().Assign(kB, "y"));
  ExpectRejectsGarbage(mv);
  EwFlag flag;
  flag.Enable(kA);
  ExpectRejectsGarbage(flag);
  OrMap map(OrMapKind::kSet);
  map.AddElement(kA, "k1", "e1");
  map.AddElement(kB, "k2", "e2");
  map.Remove("k1");
  ExpectRejectsGarbage(map);
}

TEST(CausalScenarios, OrMapDecodeRejectsInconsistentKindAndDots) {
  OrMap counter(OrMapKind::kCounter);
  counter.Increment(kA, "k", 1);
  std::string bytes = counter.Encode();
  // Relabel the counter map as a set: its payload column no longer matches.
  ASSERT_EQ(bytes.substr(0, 2), std::string("\x08\x04", 2));
  std::string relabeled = std::string("\x08\x05", 2) + bytes.substr(2);
  auto r = OrMap::Decode(relabeled);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Unset kind with entries.
  std::string unset = bytes.substr(2);
  EXPECT_EQ(OrMap::Decode(unset).status().code(), StatusCode::kInvalidArgument);
}

TEST(CausalScenarios, OrMapDecodeRejectsOneDotUnderTwoKeys) {
  // Each key's rows are valid on their own; only the index, built once
  // every row has passed, sees that keys "a" and "b" share dot (kA, 1).
  pb::OrMap m;
  m.set_kind(static_cast<uint32_t>(OrMapKind::kFlag));
  m.mutable_context()->add_actors(kA);
  m.mutable_context()->add_range_counts(1);
  m.mutable_context()->add_ranges(0);
  m.mutable_context()->add_ranges(0);
  for (const char* key : {"a", "b"}) {
    m.add_keys(key);
    m.add_dot_counts(1);
    m.mutable_dots()->add_actor_indexes(0);
    m.mutable_dots()->add_counters(1);
  }
  auto r = OrMap::Decode(m.SerializeAsString());
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("one dot under two keys"), std::string::npos) << r.status().ToString();
  // Distinct dots: the same shape decodes.
  m.mutable_context()->set_ranges(1, 1);
  m.mutable_dots()->set_counters(1, 2);
  auto ok = OrMap::Decode(m.SerializeAsString());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->size(), 2u);
}

}  // namespace
}  // namespace regionsync

// OrMap key (field) expiry: the expiry register, reclaiming, the next
// incarnation, late deltas, encoding and splitting with lifetimes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "regionsync/crdt/or_map.h"
#include "regionsync/proto/causal.pb.h"

namespace regionsync {
namespace {

using ::testing::ElementsAre;

constexpr ActorId kA = 0xa, kB = 0xb;

OrMap Hash() {
  OrMap m(OrMapKind::kRegister);
  m.Assign(kA, "alice", 1, "online");
  m.Assign(kA, "bob", 1, "away");
  return m;
}

TEST(OrMapExpiryTest, AnExpiryReplicatesAndTheLaterWriteWins) {
  OrMap a = Hash(), b = a;
  OrMap d1 = a.SetFieldExpiry(kA, "alice", 10, 5000);
  OrMap d2 = b.SetFieldExpiry(kB, "alice", 12, 9000);  // concurrent, later stamp
  EXPECT_TRUE(a.Join(d2));
  EXPECT_FALSE(b.Join(d1));
  EXPECT_EQ(a.FieldLife("alice")->expires_at_millis(), 9000u);
  EXPECT_EQ(a, b);
  // HPERSIST after seeing it wins whatever the clocks say.
  OrMap persist = b.SetFieldExpiry(kB, "alice", 1, 0);
  EXPECT_TRUE(a.Join(persist));
  EXPECT_EQ(a.FieldLife("alice")->expires_at_millis(), 0u);
  EXPECT_EQ(a.FieldLife("bob"), nullptr);
}

TEST(OrMapExpiryTest, ReclaimingDropsTheDotsAndKeepsThemSeen) {
  OrMap a = Hash(), b = a;
  b.Join(a.SetFieldExpiry(kA, "alice", 10, 5000));
  a.Join(b);
  EXPECT_TRUE(a.ReclaimExpiredFields(4999, 0).empty());
  EXPECT_THAT(a.ReclaimExpiredFields(5000, 0), ElementsAre("alice"));
  EXPECT_THAT(a.Keys(), ElementsAre("bob"));
  // b reclaims on its own clock and ends in the same state.
  b.ReclaimExpiredFields(5003, 0);
  EXPECT_EQ(a.Encode(), b.Encode());
  // A replica that has not reclaimed yet loses the field to one that has.
  OrMap c = Hash();
  c.Join(a.SetFieldExpiry(kA, "alice", 11, 5000));
  c.Join(a);
  EXPECT_FALSE(c.Contains("alice"));
}

TEST(OrMapExpiryTest, AWriteAfterTheExpiryStartsAfreshAndALateDeltaStaysDead) {
  OrMap a(OrMapKind::kRegister), b(OrMapKind::kRegister);
  b.Join(a.IncrementRegister(kA, "hits", 5));
  b.Join(a.SetFieldExpiry(kA, "hits", 10, 5000));
  a.Join(b);
  // b increments before the expiry; its delta arrives late.
  OrMap late = b.IncrementRegister(kB, "hits", 100);
  a.ReclaimExpiredFields(5000, 0);
  a.NextFieldIncarnation("hits");
  OrMap fresh = a.IncrementRegister(kA, "hits", 1);
  EXPECT_EQ(fresh.FieldLife("hits")->incarnation(), 1u) << "the delta carries the incarnation";
  EXPECT_FALSE(a.Join(late));
  EXPECT_EQ(a.RegisterInteger("hits"), 1);
  EXPECT_TRUE(b.Join(fresh));
  EXPECT_EQ(b.RegisterInteger("hits"), 1) << "the new incarnation replaces what b held";
  EXPECT_EQ(a.Encode(), b.Encode());
}

TEST(OrMapExpiryTest, WritesOfTheSameNewIncarnationMerge) {
  OrMap a(OrMapKind::kRegister), b(OrMapKind::kRegister);
  b.Join(a.Assign(kA, "f", 1, "old"));
  b.Join(a.SetFieldExpiry(kA, "f", 10, 5000));
  a.ReclaimExpiredFields(5000, 0);
  b.ReclaimExpiredFields(5000, 0);
  a.NextFieldIncarnation("f");
  b.NextFieldIncarnation("f");
  OrMap da = a.IncrementRegister(kA, "f", 2);
  OrMap db = b.IncrementRegister(kB, "f", 3);
  a.Join(db);
  b.Join(da);
  EXPECT_EQ(a.RegisterInteger("f"), 5);
  EXPECT_EQ(a.Encode(), b.Encode());
}

TEST(OrMapExpiryTest, EndedLifetimesAreForgottenAfterTheRetention) {
  OrMap a = Hash();
  a.SetFieldExpiry(kA, "alice", 10, 5000);
  EXPECT_EQ(a.NextFieldExpiry(60'000), 5000u);
  a.ReclaimExpiredFields(5000, 0);
  EXPECT_EQ(a.field_lives(), 1u) << "kept to recognise late deltas";
  EXPECT_EQ(a.NextFieldExpiry(60'000), 65'000u);
  a.ReclaimExpiredFields(65'001, 65'001 - 60'000);
  ASSERT_EQ(a.field_lives(), 1u) << "a marker of the next incarnation stays";
  EXPECT_EQ(a.FieldLife("alice")->incarnation(), 1u);
  EXPECT_EQ(a.FieldLife("alice")->expires_at_millis(), 0u);
  EXPECT_EQ(a.NextFieldExpiry(60'000), 0u);
  // A replica that has not forgotten yet takes a write made after the
  // forget as the newer incarnation: nothing acknowledged is lost.
  OrMap b = Hash();
  b.Join(a);  // b holds the expired first incarnation... and now the marker
  OrMap slow = Hash();
  slow.SetFieldExpiry(kA, "alice", 10, 5000);
  slow.ReclaimExpiredFields(5000, 0);
  OrMap write = a.Assign(kA, "alice", 20, "back");
  EXPECT_TRUE(slow.Join(write));
  EXPECT_EQ(slow.Register("alice"), "back");
}

TEST(OrMapExpiryTest, TheNextExpiryFollowsEveryChangeAndALateDotIsDueAgain) {
  OrMap m(OrMapKind::kRegister);
  for (int i = 0; i < 1000; ++i) {
    const std::string f = "f" + std::to_string(i);
    m.Assign(kA, f, 1, "v");
    m.SetFieldExpiry(kA, f, 10, 100'000 - i);
  }
  EXPECT_EQ(m.NextFieldExpiry(60'000), 100'000u - 999);
  m.SetFieldExpiry(kA, "f999", 11, 0);  // HPERSIST of the earliest
  EXPECT_EQ(m.NextFieldExpiry(60'000), 100'000u - 998);
  // All expire; the next event is the first lifetime to forget.
  OrMap before = m;
  EXPECT_EQ(m.ReclaimExpiredFields(100'000, 0).size(), 999u);
  EXPECT_EQ(m.NextFieldExpiry(60'000), 100'000u - 998 + 60'000);
  // A late dot of an expired field (its incarnation) is due again at once.
  OrMap late = before;
  OrMap inc = late.IncrementRegister(kB, "f5", 1);
  m.Join(inc);
  EXPECT_TRUE(m.Contains("f5")) << "until a reader or active expiry drops it";
  EXPECT_EQ(m.NextFieldExpiry(60'000), 100'000u - 5);
  EXPECT_THAT(m.ReclaimExpiredFields(100'000, 0), ElementsAre("f5"));
  // A decoded copy finds the same next expiry.
  EXPECT_EQ(OrMap::Decode(m.Encode())->NextFieldExpiry(60'000) <= m.NextFieldExpiry(60'000), true);
}

TEST(OrMapExpiryTest, LifetimesRoundTripAndBadOnesAreRefused) {
  OrMap a = Hash();
  a.SetFieldExpiry(kA, "bob", 10, 7000);
  a.NextFieldIncarnation("alice");
  Result<OrMap> back = OrMap::Decode(a.Encode());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, a);
  EXPECT_EQ(back->FieldLife("bob")->expires_at_millis(), 7000u);
  EXPECT_EQ(back->FieldLife("alice")->incarnation(), 1u);
  // Keys out of order, an initial lifetime, lengths that differ, bytes that
  // are no lifetime.
  pb::OrMap proto;
  ASSERT_TRUE(proto.ParseFromString(a.Encode()));
  ASSERT_EQ(proto.life_keys_size(), 2);
  auto refused = [](pb::OrMap p) {
    std::string bad;
    p.SerializeToString(&bad);
    return !OrMap::Decode(bad).ok();
  };
  pb::OrMap swapped = proto;
  swapped.mutable_life_keys()->SwapElements(0, 1);
  swapped.mutable_lives()->SwapElements(0, 1);
  EXPECT_TRUE(refused(swapped));
  pb::OrMap initial = proto;
  initial.set_lives(0, "");
  EXPECT_TRUE(refused(initial));
  pb::OrMap uneven = proto;
  uneven.add_life_keys("zzz");
  EXPECT_TRUE(refused(uneven));
  pb::OrMap junk = proto;
  junk.set_lives(1, "\xff\xff");
  EXPECT_TRUE(refused(junk));
}

TEST(OrMapExpiryTest, SplitPiecesCarryTheirFieldsLifetimes) {
  OrMap a(OrMapKind::kRegister);
  for (int i = 0; i < 200; ++i) a.Assign(kA, "f" + std::to_string(i), 1, std::string(100, 'x'));
  for (int i = 0; i < 200; i += 7) {
    a.SetFieldExpiry(kA, "f" + std::to_string(i), 10, 9000);
    a.NextFieldIncarnation("f" + std::to_string(i));
    a.Assign(kA, "f" + std::to_string(i), 2, "new");
  }
  OrMap old(OrMapKind::kRegister);
  for (int i = 0; i < 200; ++i) old.Assign(kB, "f" + std::to_string(i), 0, "stale");
  std::vector<OrMap> pieces = a.SplitDelta(4096);
  ASSERT_GT(pieces.size(), 3u);
  // Joined one at a time, in reverse order, into a replica holding the
  // first incarnation: every piece with a field's new dots names its
  // incarnation, so none of them is taken for an old dot.
  OrMap got = old;
  for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) got.Join(*it);
  OrMap want = old;
  want.Join(a);
  EXPECT_EQ(got.Encode(), want.Encode());
  EXPECT_EQ(got.Register("f7"), "new");
}

}  // namespace
}  // namespace regionsync

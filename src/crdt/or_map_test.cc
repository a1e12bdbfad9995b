#include "regionsync/crdt/or_map.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "crdt/causal_test_history.h"
#include "crdt/or_map_test_mutate.h"
#include "regionsync/proto/causal.pb.h"

namespace regionsync {
namespace {

using ::testing::ElementsAre;
using causal_test::MutateKind;

constexpr ActorId kA = 11, kB = 22;

TEST(OrMapTest, BottomAdoptsKind) {
  OrMap m;
  EXPECT_EQ(m.kind(), OrMapKind::kUnset);
  OrMap other(OrMapKind::kCounter);
  EXPECT_FALSE(m.Join(other));  // no keys: nothing a reader sees changed
  EXPECT_EQ(m.kind(), OrMapKind::kCounter);
  OrMap fresh;
  fresh.Increment(kA, "k", 1);
  EXPECT_EQ(fresh.kind(), OrMapKind::kCounter);
}

TEST(OrMapTest, RegisterLastWriterWins) {
  OrMap a(OrMapKind::kRegister), b;
  b.Join(a.Assign(kA, "k", 100, "first"));
  OrMap da = a.Assign(kA, "k", 50, "second");  // saw "first": wins despite the older clock
  EXPECT_EQ(a.Register("k"), "second");
  EXPECT_TRUE(b.Join(da));
  EXPECT_EQ(b.Register("k"), "second");
  // Concurrent writes: greater timestamp, then greater writer, then bytes.
  OrMap x, y;
  OrMap dx = x.Assign(kA, "k", 7, "from-a");
  OrMap dy = y.Assign(kB, "k", 7, "from-b");
  x.Join(dy);
  y.Join(dx);
  EXPECT_EQ(x.Register("k"), "from-b");
  EXPECT_EQ(x, y);
  EXPECT_EQ(x.Register("missing"), std::nullopt);
}

TEST(OrMapTest, MvRegisterKeepsConcurrentValues) {
  OrMap a(OrMapKind::kMvRegister), b(OrMapKind::kMvRegister);
  OrMap da = a.Assign(kA, "k", 0, "x");
  OrMap db = b.Assign(kB, "k", 0, "y");
  a.Join(db);
  EXPECT_THAT(a.Values("k"), ElementsAre("x", "y"));
  b.Join(da);
  b.Join(a.Assign(kA, "k", 0, "z"));
  EXPECT_THAT(b.Values("k"), ElementsAre("z"));
}

TEST(OrMapTest, FlagEnableWins) {
  OrMap a(OrMapKind::kFlag), b;
  b.Join(a.Enable(kA, "f"));
  OrMap off = b.Disable("f");
  OrMap on = a.Enable(kA, "f");
  a.Join(off);
  b.Join(on);
  EXPECT_TRUE(a.Flag("f"));
  EXPECT_TRUE(b.Flag("f"));
  EXPECT_TRUE(a.Join(a.Disable("f")) || !a.Flag("f"));
  EXPECT_FALSE(a.Flag("f"));
}

TEST(OrMapTest, CounterSumsActors) {
  OrMap a(OrMapKind::kCounter), b(OrMapKind::kCounter);
  OrMap d1 = a.Increment(kA, "c", 5);
  OrMap d2 = a.Increment(kA, "c", -2);
  OrMap d3 = b.Increment(kB, "c", 10);
  b.Join(d2);
  b.Join(d1);  // stale: replaced by d2
  EXPECT_EQ(b.Counter("c"), 13);
  a.Join(d3);
  EXPECT_EQ(a, b);
  EXPECT_EQ(b.dot_count(), 2u);  // one live dot per actor
}

TEST(OrMapTest, CounterSaturates) {
  OrMap a(OrMapKind::kCounter);
  a.Increment(kA, "c", INT64_MAX);
  a.Increment(kB, "c", INT64_MAX);
  EXPECT_EQ(a.Counter("c"), INT64_MAX);
  a.Increment(kA, "c", INT64_MAX);
  EXPECT_EQ(a.Counter("c"), INT64_MAX);
}

// Hash counter fields (HINCRBY): counter dots beside the register writes.
TEST(OrMapTest, HashConcurrentIncrementsAddUp) {
  OrMap a(OrMapKind::kRegister), b;
  b.Join(a.Assign(kA, "f", 1, "10"));
  OrMap da = a.IncrementRegister(kA, "f", 2);
  OrMap db = b.IncrementRegister(kB, "f", 5);
  EXPECT_EQ(a.Register("f"), "12");
  EXPECT_TRUE(a.Join(db));
  EXPECT_TRUE(b.Join(da));
  EXPECT_EQ(a.Register("f"), "17");
  EXPECT_EQ(a.RegisterInteger("f"), 17);
  EXPECT_EQ(a, b);
  // Only counter dots: the sum reads as the value.
  OrMap c;
  c.IncrementRegister(kA, "n", -3);
  EXPECT_EQ(c.kind(), OrMapKind::kRegister);
  EXPECT_EQ(c.Register("n"), "-3");
  c.IncrementRegister(kA, "n", 3);
  EXPECT_EQ(c.Register("n"), "0");  // present at 0, as Redis's HINCRBY leaves it
  EXPECT_EQ(c.dot_count(), 1u);      // one live dot per actor
}

TEST(OrMapTest, HashSetResetsObservedIncrementsOnly) {
  OrMap a(OrMapKind::kRegister), b;
  b.Join(a.IncrementRegister(kA, "f", 4));
  OrMap set = a.Assign(kA, "f", 5, "100");  // saw B's nothing, A's 4
  OrMap inc = b.IncrementRegister(kB, "f", 1);  // concurrent
  EXPECT_EQ(a.Register("f"), "100");
  a.Join(inc);
  b.Join(set);
  EXPECT_EQ(a.Register("f"), "101");  // the unobserved increment adds to the new base
  EXPECT_EQ(a, b);
  // A text base hides the counter; an integer base written later shows it again.
  OrMap text = b.Assign(kB, "g", 1, "abc");
  b.Join(a.IncrementRegister(kA, "g", 2));
  a.Join(text);
  EXPECT_EQ(b.Register("g"), "abc");
  EXPECT_EQ(b.RegisterInteger("g"), std::nullopt);
  EXPECT_EQ(b.RegisterInteger("missing"), 0);
}

TEST(OrMapTest, HashRemoveKeepsConcurrentIncrement) {
  OrMap a(OrMapKind::kRegister), b;
  b.Join(a.Assign(kA, "f", 1, "10"));
  b.Join(a.IncrementRegister(kA, "f", 1));
  OrMap del = b.Remove("f");
  OrMap inc = a.IncrementRegister(kB, "f", 3);  // B's first contribution
  EXPECT_FALSE(b.Contains("f"));
  b.Join(inc);
  a.Join(del);
  EXPECT_EQ(b.Register("f"), "3");
  EXPECT_EQ(a, b);
}

TEST(OrMapTest, HashIntegerClamps) {
  OrMap a(OrMapKind::kRegister), b;
  b.Join(a.Assign(kA, "f", 1, "9223372036854775800"));
  OrMap da = a.IncrementRegister(kA, "f", 7);
  OrMap db = b.IncrementRegister(kB, "f", 7);
  a.Join(db);
  b.Join(da);
  EXPECT_EQ(a.RegisterInteger("f"), INT64_MAX);
  EXPECT_EQ(a.Register("f"), "9223372036854775807");
  EXPECT_EQ(a, b);
}

// Maps without counter dots encode as before counter fields existed; maps
// with them round-trip, and a row that is both a write and a total is refused.
TEST(OrMapTest, HashCodec) {
  OrMap plain(OrMapKind::kRegister);
  plain.Assign(kA, "f", 3, "v");
  pb::OrMap proto;
  ASSERT_TRUE(proto.ParseFromString(plain.Encode()));
  EXPECT_EQ(proto.dots().totals_size(), 0);
  EXPECT_EQ(proto.dots().counter_rows_size(), 0);

  OrMap hash = plain;
  hash.IncrementRegister(kB, "f", -4);
  hash.IncrementRegister(kB, "g", 0);
  Result<OrMap> back = OrMap::Decode(hash.Encode());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, hash);
  EXPECT_EQ(back->Register("g"), "0");

  ASSERT_TRUE(proto.ParseFromString(hash.Encode()));
  ASSERT_EQ(proto.dots().counter_rows_size(), 3);
  proto.mutable_dots()->set_totals(0, 1);  // the register row of "f" gets a total
  std::string bad;
  ASSERT_TRUE(proto.SerializeToString(&bad));
  EXPECT_FALSE(OrMap::Decode(bad).ok());
  // A kCounter map must not carry the column.
  OrMap counter(OrMapKind::kCounter);
  counter.Increment(kA, "c", 1);
  ASSERT_TRUE(proto.ParseFromString(counter.Encode()));
  proto.mutable_dots()->add_counter_rows(true);
  ASSERT_TRUE(proto.SerializeToString(&bad));
  EXPECT_FALSE(OrMap::Decode(bad).ok());
}

TEST(OrMapTest, SetAddWinsPerElement) {
  OrMap a(OrMapKind::kSet), b;
  b.Join(a.AddElement(kA, "s", "e1"));
  OrMap rm = b.RemoveElement("s", "e1");
  OrMap add = a.AddElement(kA, "s", "e1");
  OrMap other = a.AddElement(kA, "s", "e2");
  b.Join(add);
  b.Join(other);
  a.Join(rm);
  EXPECT_THAT(a.Values("s"), ElementsAre("e1", "e2"));
  EXPECT_EQ(a, b);
  b.Join(b.RemoveElement("s", "e1"));
  EXPECT_THAT(b.Values("s"), ElementsAre("e2"));
}

TEST(OrMapTest, RemoveOfUnknownKeyIsEmptyDelta) {
  OrMap a(OrMapKind::kSet);
  OrMap d = a.Remove("nope");
  EXPECT_TRUE(d.context().empty());
  EXPECT_EQ(d.size(), 0u);
}

TEST(OrMapTest, KeysSortedAndJoinReportsChanges) {
  OrMap a(OrMapKind::kRegister), b;
  OrMap d1 = a.Assign(kA, "zeta", 1, "1");
  OrMap d2 = a.Assign(kA, "alpha", 1, "1");
  EXPECT_THAT(a.Keys(), ElementsAre("alpha", "zeta"));
  EXPECT_TRUE(b.Join(d1));
  EXPECT_FALSE(b.Join(d1));
  EXPECT_TRUE(b.Join(d2));
  // Overwrite with the same value: dots change, the reader sees nothing new.
  EXPECT_FALSE(b.Join(a.Assign(kA, "alpha", 2, "1")));
  EXPECT_TRUE(b.Join(a.Remove("zeta")));
  EXPECT_THAT(b.Keys(), ElementsAre("alpha"));
  EXPECT_EQ(a, b);
}

// The probe path (small delta, big map) and the scan path (big delta) must
// agree: join the same removal both ways.
TEST(OrMapTest, ProbeAndScanAgree) {
  OrMap big(OrMapKind::kRegister);
  for (int i = 0; i < 200; ++i) big.Assign(kA, "k" + std::to_string(i), 1, "v");
  OrMap copy = big;
  OrMap removal = copy.Remove("k17");
  OrMap probed = big;
  EXPECT_TRUE(probed.Join(removal));  // context of 1 dot < 200 live dots: probe
  EXPECT_FALSE(probed.Contains("k17"));
  OrMap scanned = big;
  // `copy`'s context (200 dots) is not smaller than scanned's 200 live dots: scan.
  EXPECT_TRUE(scanned.Join(copy));
  EXPECT_FALSE(scanned.Contains("k17"));
  EXPECT_EQ(probed.Encode(), scanned.Encode());
  EXPECT_EQ(probed, copy);
  EXPECT_EQ(probed.size(), 199u);
}

// A map builds its dot index when a join first probes it (or when it is
// decoded that big); the writes and joins after that keep it in step, so
// later probes find what a scan finds.
TEST(OrMapTest, IndexStaysInStepAfterItIsBuilt) {
  OrMap big(OrMapKind::kRegister);
  for (int i = 0; i < 100; ++i) big.Assign(kA, "k" + std::to_string(i), 1, "v");
  Result<OrMap> decoded = OrMap::Decode(big.Encode());  // indexed at decode
  ASSERT_TRUE(decoded.ok());
  for (OrMap* probed : {&big, &*decoded}) {
    OrMap mirror = *probed;
    OrMap first = mirror.Remove("k1");
    ASSERT_TRUE(probed->Join(first));  // builds the index (or uses it)
    // Local writes after the index exists: new dots, replaced and removed ones.
    for (int i = 0; i < 40; ++i) {
      const std::string key = "k" + std::to_string(i * 2);
      OrMap d1 = probed->Assign(kB, key, 2, "w");
      mirror.Join(d1);
      OrMap d2 = probed->Remove("k" + std::to_string(i * 2 + 1));
      mirror.Join(d2);
    }
    // Probes of dots written after the index was built, and of old ones.
    for (const char* key : {"k4", "k60", "k99"}) {
      OrMap removal = mirror.Remove(key);
      ASSERT_LT(removal.context().DotCount(), probed->dot_count());
      EXPECT_TRUE(probed->Join(removal)) << key;
      EXPECT_FALSE(probed->Contains(key)) << key;
    }
    EXPECT_EQ(*probed, mirror);
    EXPECT_EQ(probed->dot_count(), mirror.dot_count());
  }
}

RC_GTEST_PROP(OrMapProps, RegisterKind, ()) {
  causal_test::CheckAllProperties<OrMap>(MutateKind<OrMapKind::kRegister>);
}
RC_GTEST_PROP(OrMapProps, MvRegisterKind, ()) {
  causal_test::CheckAllProperties<OrMap>(MutateKind<OrMapKind::kMvRegister>);
}
RC_GTEST_PROP(OrMapProps, FlagKind, ()) {
  causal_test::CheckAllProperties<OrMap>(MutateKind<OrMapKind::kFlag>);
}
RC_GTEST_PROP(OrMapProps, CounterKind, ()) {
  causal_test::CheckAllProperties<OrMap>(MutateKind<OrMapKind::kCounter>);
}
RC_GTEST_PROP(OrMapProps, SetKind, ()) {
  causal_test::CheckAllProperties<OrMap>(MutateKind<OrMapKind::kSet>);
}

// What a reader sees: every key with its read value.
std::vector<std::string> View(const OrMap& m) {
  std::vector<std::string> view;
  for (const std::string& key : m.Keys()) {
    std::string line = key + "=";
    if (auto r = m.Register(key)) line += "reg:" + *r;
    for (const std::string& v : m.Values(key)) line += "val:" + v + ",";
    line += "flag:" + std::to_string(m.Flag(key)) + ",ctr:" + std::to_string(m.Counter(key));
    if (const Lifetime* life = m.FieldLife(key); life && life->expires_at_millis() != 0) {
      line += ",exp:" + std::to_string(life->expires_at_millis());
    }
    view.push_back(line);
  }
  return view;
}

template <OrMapKind kKind>
void JoinReportsExactlyObservableChanges() {
  auto h = causal_test::RunHistory<OrMap>(*causal_test::GenSteps(), MutateKind<kKind>);
  for (const OrMap& x : h.replicas) {
    for (const OrMap& y : h.replicas) {
      OrMap joined = x;
      bool changed = joined.Join(y);
      RC_ASSERT(changed == (View(x) != View(joined)));
    }
    for (const OrMap& d : h.deltas) {
      OrMap joined = x;
      bool changed = joined.Join(d);
      RC_ASSERT(changed == (View(x) != View(joined)));
    }
  }
}

RC_GTEST_PROP(OrMapProps, JoinReportsChangesRegister, ()) {
  JoinReportsExactlyObservableChanges<OrMapKind::kRegister>();
}
RC_GTEST_PROP(OrMapProps, JoinReportsChangesMv, ()) { JoinReportsExactlyObservableChanges<OrMapKind::kMvRegister>(); }
RC_GTEST_PROP(OrMapProps, JoinReportsChangesFlag, ()) { JoinReportsExactlyObservableChanges<OrMapKind::kFlag>(); }
RC_GTEST_PROP(OrMapProps, JoinReportsChangesCounter, ()) { JoinReportsExactlyObservableChanges<OrMapKind::kCounter>(); }
RC_GTEST_PROP(OrMapProps, JoinReportsChangesSet, ()) { JoinReportsExactlyObservableChanges<OrMapKind::kSet>(); }

}  // namespace
}  // namespace regionsync

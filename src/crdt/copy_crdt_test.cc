// ReplaceByCopy: a value copied to another key as a fresh write of the copier.
#include "regionsync/crdt/copy_crdt.h"

#include <gtest/gtest.h>

#include <string>

namespace regionsync {
namespace {

constexpr ActorId kA = 1, kB = 2;
const HlcTimestamp kNow = HlcFromMillis(1'000);

AnyCrdt CopyOf(const AnyCrdt& source, ActorId actor = kB) {
  AnyCrdt dest = EmptyCrdt(TypeOf(source));
  Result<AnyCrdt> delta = ReplaceByCopy(dest, source, actor, kNow);
  EXPECT_TRUE(delta.ok()) << delta.status().ToString();
  // The delta alone carries the whole copy.
  AnyCrdt fresh = EmptyCrdt(TypeOf(source));
  JoinAnyType(fresh, *delta);
  EXPECT_EQ(ValueJson(fresh), ValueJson(dest));
  return dest;
}

TEST(CopyCrdtTest, EveryTypeReadsAsItsSource) {
  RedisString str;
  str.Set(kA, HlcFromMillis(5), "10");
  str.Increment(kA, 3);
  PnCounter counter;
  counter.Decrement(kA, 4);
  LwwRegister reg;
  reg.Assign(kA, kNow, "r");
  GCounter grow;
  grow.Increment(kA, 9);
  OrSet set;
  set.Add(kA, "x");
  set.Add(kA, "y");
  EwFlag flag;
  flag.Enable(kA);
  MvRegister mv;
  mv.Assign(kA, "m");
  OrMap hash;
  hash.Assign(kA, "f", kNow, "v");
  hash.Assign(kA, "g", kNow, "w");
  OrMap counts;
  counts.Increment(kA, "c", 7);
  OrMap sets;
  sets.AddElement(kA, "s", "e1");
  sets.AddElement(kA, "s", "e2");
  OrMap flags;
  flags.Enable(kA, "on");
  for (const AnyCrdt& source : std::vector<AnyCrdt>{str, counter, reg, grow, set, flag, mv, hash, counts, sets, flags}) {
    AnyCrdt copy = CopyOf(source);
    EXPECT_EQ(TypeOf(copy), TypeOf(source));
    EXPECT_EQ(ValueJson(copy), ValueJson(source)) << TypeName(TypeOf(source));
  }
  EXPECT_EQ(ValueJson(CopyOf(str)), "13");
}

// The reason for writing afresh: another region used the source's dots
// for its own writes to the destination. A verbatim copy would bring a dot
// that already names another element there, and one of the two is lost.
TEST(CopyCrdtTest, ACopyKeepsTheDestinationsConcurrentWrites) {
  OrSet source;
  source.Add(kA, "a");  // dot (A, 1) of the source key
  OrSet dest_in_a;      // region A's own first write to the destination: also dot (A, 1)
  OrSet add_z = dest_in_a.Add(kA, "z");

  AnyCrdt copied = EmptyCrdt(pb::OR_SET);  // region B copies the source into the destination
  Result<AnyCrdt> delta = ReplaceByCopy(copied, AnyCrdt(source), kB, kNow);
  ASSERT_TRUE(delta.ok());
  JoinAnyType(copied, AnyCrdt(add_z));
  AnyCrdt in_a(dest_in_a);
  JoinAnyType(in_a, *delta);
  EXPECT_EQ(ValueJson(copied), nlohmann::json({"a", "z"}));
  EXPECT_EQ(EncodeCrdt(copied), EncodeCrdt(in_a));

  AnyCrdt verbatim(dest_in_a);  // what a verbatim copy would have done
  JoinAnyType(verbatim, AnyCrdt(source));
  EXPECT_EQ(ValueJson(verbatim).size(), 1u);  // "a" or "z" lost
}

TEST(CopyCrdtTest, ReplacingIsAnObservedRemoveThenTheWrite) {
  OrSet old_value;
  OrSet seen = old_value.Add(kB, "old");
  AnyCrdt dest(old_value);
  AnyCrdt other_region(seen);                       // saw the old value
  OrSet concurrent = std::get<OrSet>(other_region).Add(kA, "new-elsewhere");  // concurrent with the copy
  OrSet source;
  source.Add(kA, "copied");
  Result<AnyCrdt> delta = ReplaceByCopy(dest, AnyCrdt(source), kB, kNow);
  ASSERT_TRUE(delta.ok());
  EXPECT_EQ(ValueJson(dest), nlohmann::json({"copied"}));
  JoinAnyType(dest, AnyCrdt(concurrent));
  JoinAnyType(other_region, *delta);
  // The old value is gone everywhere; the concurrent add survives (add wins).
  EXPECT_EQ(ValueJson(dest), nlohmann::json({"copied", "new-elsewhere"}));
  EXPECT_EQ(EncodeCrdt(dest), EncodeCrdt(other_region));
}

TEST(CopyCrdtTest, StringFamilyDestinationsTakeTheText) {
  PnCounter counter_dest;
  counter_dest.Increment(kB, 2);
  AnyCrdt dest(counter_dest);
  LwwRegister source;
  source.Assign(kA, kNow, "text");
  ASSERT_TRUE(CanCopyInto(dest, AnyCrdt(source)));
  ASSERT_TRUE(ReplaceByCopy(dest, AnyCrdt(source), kB, kNow).ok());
  ASSERT_TRUE(std::holds_alternative<RedisString>(dest));
  EXPECT_EQ(ValueJson(dest), "text");

  LwwRegister reg_dest;
  reg_dest.Assign(kB, kNow, "before");
  AnyCrdt reg(reg_dest);
  RedisString n;
  n.Increment(kA, 5);
  ASSERT_TRUE(ReplaceByCopy(reg, AnyCrdt(n), kB, kNow).ok());
  EXPECT_EQ(ValueJson(reg), "5");
}

TEST(CopyCrdtTest, RefusesWhatOneWriteCannotRecreate) {
  MvRegister mv;
  MvRegister other;
  mv.Join(mv.Assign(kA, "x"));
  other.Assign(kB, "y");
  mv.Join(other);  // two concurrent values
  AnyCrdt dest = EmptyCrdt(pb::MV_REGISTER);
  EXPECT_EQ(ReplaceByCopy(dest, AnyCrdt(mv), kB, kNow).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(HasValue(dest));

  GCounter full;
  full.Increment(kA, 1);
  AnyCrdt g(full);
  GCounter source;
  source.Increment(kA, 2);
  EXPECT_EQ(ReplaceByCopy(g, AnyCrdt(source), kB, kNow).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValueJson(g), 1);

  OrMap registers(OrMapKind::kRegister), sets(OrMapKind::kSet);
  EXPECT_FALSE(CanCopyInto(AnyCrdt(registers), AnyCrdt(sets)));
  EXPECT_FALSE(CanCopyInto(AnyCrdt(OrSet()), AnyCrdt(RedisString())));
  EXPECT_TRUE(CanCopyInto(AnyCrdt(OrMap()), AnyCrdt(sets)));
}

TEST(CopyCrdtTest, LargestUnit) {
  OrMap hash;
  hash.Assign(kA, "field", kNow, "0123456789");
  EXPECT_EQ(LargestCopyUnit(AnyCrdt(hash)), 15u);
  OrSet set;
  set.Add(kA, "abc");
  set.Add(kA, "a");
  EXPECT_EQ(LargestCopyUnit(AnyCrdt(set)), 3u);
  LwwRegister reg;
  reg.Assign(kA, kNow, "12345");
  EXPECT_EQ(LargestCopyUnit(AnyCrdt(reg)), 5u);
}

}  // namespace
}  // namespace regionsync

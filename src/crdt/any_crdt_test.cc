// JoinAnyType: the join of a key's states across types (type conflicts).
#include "regionsync/crdt/any_crdt.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace regionsync {
namespace {

// A key's state as the keyspace holds it: compared by type and encoding.
std::string Show(const AnyCrdt& v) { return std::string(TypeName(TypeOf(v))) + ":" + EncodeCrdt(v); }

AnyCrdt Joined(AnyCrdt a, const AnyCrdt& b) {
  JoinAnyType(a, b);
  return a;
}

// A small state of one of several types, written by one of three actors.
rc::Gen<AnyCrdt> GenState() {
  return rc::gen::exec([]() -> AnyCrdt {
    ActorId actor = *rc::gen::inRange<ActorId>(1, 4);
    uint64_t n = *rc::gen::inRange<uint64_t>(1, 5);
    // Dot-based types: what one actor's first dot holds depends on the actor
    // alone, as it does in a real history.
    HlcTimestamp ts = HlcFromMillis(actor);
    switch (*rc::gen::inRange(0, 10)) {
      case 0: { PnCounter c; c.Increment(actor, n); if (n % 2) c.Reset(); return c; }
      case 1: { LwwRegister r; r.Assign(actor, HlcFromMillis(n), std::to_string(n)); return r; }
      case 2: { RedisString s; s.Set(actor, ts, actor % 2 ? "x" : "7"); s.Increment(actor, 1); return s; }
      case 3: { OrSet s; s.Add(actor, std::to_string(actor)); return s; }
      case 4: { GCounter g; g.Increment(actor, n); return g; }
      case 5: { OrMap m; m.Assign(actor, "f", ts, "v"); return m; }
      case 6: { OrMap m; m.Increment(actor, "f", 1); return m; }
      // A hash's counter field; its own actors, so no dot holds two payloads.
      case 7: { OrMap m; m.IncrementRegister(actor + 10, "f", static_cast<int64_t>(actor)); return m; }
      // A sorted set; its own actors, as above.
      case 8: { SortedSet z; z.Assign(actor + 20, std::to_string(actor), ts, static_cast<double>(actor)); return z; }
      default: { RedisString s; s.Increment(actor, static_cast<int64_t>(n)); return s; }
    }
  });
}

RC_GTEST_PROP(JoinAnyTypeLaws, IsASemilatticeAcrossTypes, ()) {
  AnyCrdt x = *GenState(), y = *GenState(), z = *GenState();
  RC_ASSERT(Show(Joined(x, y)) == Show(Joined(y, x)));
  RC_ASSERT(Show(Joined(Joined(x, y), z)) == Show(Joined(x, Joined(y, z))));
  RC_ASSERT(Show(Joined(x, x)) == Show(x));
  AnyCrdt again = Joined(x, y);
  RC_ASSERT(!JoinAnyType(again, y).changed);
}

TEST(JoinAnyTypeTest, StringFamilyKeepsBothSides) {
  PnCounter c;
  c.Increment(1, 1);
  RedisString s;
  s.Set(2, HlcFromMillis(5), "hello");
  AnyCrdt east = c, west = s;
  TypedJoin je = JoinAnyType(east, AnyCrdt(s));
  TypedJoin jw = JoinAnyType(west, AnyCrdt(c));
  EXPECT_FALSE(je.conflict);  // an upgraded key meeting its old type
  EXPECT_TRUE(je.changed);
  EXPECT_FALSE(jw.changed);  // the text base hides the counter either way
  EXPECT_EQ(Show(east), Show(west));
  EXPECT_EQ(ValueJson(east), "hello");
}

TEST(JoinAnyTypeTest, RegisterMeetingCounterIsAConflictThatKeepsBoth) {
  LwwRegister r;
  r.Assign(1, HlcFromMillis(1), "10");
  PnCounter c;
  c.Increment(2, 3);
  AnyCrdt state = r;
  TypedJoin j = JoinAnyType(state, AnyCrdt(c));
  EXPECT_TRUE(j.conflict);
  EXPECT_EQ(ValueJson(state), "13");
}

// A map of registers with counter fields (a hash after HINCRBY) is the same
// type and kind as one without: no conflict, both sides kept.
TEST(JoinAnyTypeTest, HashWithCounterFieldsJoinsOldForm) {
  OrMap old_form(OrMapKind::kRegister);
  old_form.Assign(1, "f", HlcFromMillis(1), "10");
  OrMap new_form;
  new_form.IncrementRegister(2, "f", 5);
  AnyCrdt a = old_form, b = new_form;
  TypedJoin ja = JoinAnyType(a, AnyCrdt(new_form));
  TypedJoin jb = JoinAnyType(b, AnyCrdt(old_form));
  EXPECT_FALSE(ja.conflict);
  EXPECT_FALSE(jb.conflict);
  EXPECT_EQ(Show(a), Show(b));
  EXPECT_EQ(ValueJson(a), nlohmann::json({{"f", "15"}}));
}

TEST(JoinAnyTypeTest, GreaterRankWinsWhole) {
  OrSet set;
  set.Add(1, "a");
  RedisString s;
  s.Increment(2, 1);
  AnyCrdt a = set, b = s;
  EXPECT_TRUE(JoinAnyType(a, b).conflict);
  TypedJoin j = JoinAnyType(b, AnyCrdt(set));
  EXPECT_TRUE(j.conflict);
  EXPECT_FALSE(j.changed);  // the loser is dropped
  EXPECT_EQ(Show(a), Show(b));
  EXPECT_TRUE(std::holds_alternative<RedisString>(a));
}

}  // namespace
}  // namespace regionsync

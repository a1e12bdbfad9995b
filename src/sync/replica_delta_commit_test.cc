// Delta commits (ReplicaOptions::delta_commit_min_bytes): a big key's commit
// logs what changed, and a restart joins the logged deltas into the stored
// state. The randomized test checks that a replica reopened from its store
// holds exactly the state it had, for every kind of write and remote join.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "regionsync/sync/replica.h"
#include "sync/replica_test_util.h"
#include "sync/stored_key.h"

namespace regionsync {

void PrintTo(const StoredValue& v, std::ostream* os) {
  *os << "{type " << v.type << ", " << v.bytes.size() << " bytes: " << ::testing::PrintToString(v.bytes) << "}";
}

namespace {

using testing_util::OpenReplica;
using testing_util::Ship;

// Every key's encoded state and lifetime, as a restart must bring them back.
// (Expired ones too: FindState sees them.)
std::map<std::string, StoredValue> Snapshot(const Replica& r) {
  std::map<std::string, StoredValue> out;
  for (const char* key : {"set0", "set1", "hash", "counters", "str"}) {
    Lifetime life;
    const AnyCrdt* state = r.FindState(key, &life);
    if (state != nullptr) out[key] = ToStored(*state, life);
  }
  return out;
}

// What a client reads: the keys with a value, and their values.
std::map<std::string, std::string> Values(Replica& r) {
  std::map<std::string, std::string> out;
  for (const std::string& key : r.Keys()) {
    if (const AnyCrdt* value = r.Find(key); value != nullptr && HasValue(*value)) out[key] = EncodeCrdt(*value);
  }
  return out;
}

// Counts the deltas a store holds.
size_t DeltaRows(Store& store) {
  size_t n = 0;
  EXPECT_TRUE(store.ForEachDelta([&](const std::string&, const StoredValue&) { ++n; }).ok());
  return n;
}

// One random write of any kind to one of a few keys of each type.
void RandomWrite(Replica& r, std::mt19937_64& rng, SimEnv& env) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const std::string member = "m" + std::to_string(pick(40));
  const std::string field = "f" + std::to_string(pick(12));
  switch (pick(14)) {
    case 0: (void)r.Add("set" + std::to_string(pick(2)), member); break;
    case 1: (void)r.Remove("set" + std::to_string(pick(2)), member); break;
    case 2: {
      std::vector<std::string> many;
      for (int i = 0; i < 5; ++i) many.push_back("m" + std::to_string(pick(200)));
      std::vector<std::string_view> views(many.begin(), many.end());
      (void)r.AddAll("set0", views);
      break;
    }
    case 3: (void)r.MapSet("hash", field, std::string(pick(30), 'v')); break;
    case 4: (void)r.MapRemove("hash", field); break;
    case 5: (void)r.MapIncrement("hash", "n" + field, pick(9) - 4, OrMapKind::kRegister); break;
    case 6: (void)r.MapIncrement("counters", field, pick(9) - 4); break;
    case 7: (void)r.Set("str", std::string(pick(50), 's'), std::nullopt, pb::STRING); break;
    case 8: (void)r.Increment("str", 1, pb::STRING); break;
    case 9: (void)r.Delete(pick(2) == 0 ? "set1" : "hash"); break;
    case 10: (void)r.SetExpiry("set" + std::to_string(pick(2)), env.WallMillis() + 1 + pick(3000)); break;
    case 11: (void)r.SetFieldExpiry("hash", field, env.WallMillis() + 1 + pick(3000)); break;
    case 12: (void)r.WithExpiry(env.WallMillis() + 500, [&] { return r.Add("set1", member).status(); }); break;
    case 13: (void)r.SetExpiry("set0", 0); break;
  }
}

TEST(ReplicaDeltaCommitTest, ReopenedReplicaHoldsWhatItHadUnderRandomWrites) {
  // RS_DELTA_COMMIT_SEEDS=N runs N seeds (the suite runs 200; 1 000 pass).
  const char* seeds = getenv("RS_DELTA_COMMIT_SEEDS");
  const uint64_t last_seed = seeds != nullptr ? std::strtoull(seeds, nullptr, 10) : 200;
  size_t deltas_seen = 0;
  for (uint64_t seed = 1; seed <= last_seed; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    SimEnv env(seed);
    ReplicaOptions options;
    options.delta_commit_min_bytes = 1 + rng() % 300;  // most keys log deltas
    std::unique_ptr<Store> store_a = NewMemoryStore(), store_b = NewMemoryStore();
    auto a = OpenReplica(&env, "us-east-1/a", store_a.get(), options);
    auto b = OpenReplica(&env, "eu-west-1/a", store_b.get(), options);
    for (int step = 0; step < 400; ++step) {
      RandomWrite(rng() % 2 == 0 ? *a : *b, rng, env);
      switch (rng() % 8) {
        case 0: Ship(*a, *b); break;
        case 1: Ship(*b, *a); break;
        case 2: ASSERT_TRUE(a->Commit().ok()); break;
        case 3: env.RunFor(200'000); (void)a->ExpireDue(100); (void)b->ExpireDue(100); break;
        default: break;
      }
      if (step % 50 == 49) {
        ASSERT_TRUE(a->Commit().ok());
        deltas_seen += DeltaRows(*store_a);
        const std::map<std::string, StoredValue> before = Snapshot(*a);
        a->TrackBuckets(16);
        const std::vector<uint64_t> hashes = a->BucketHashes();
        a.reset();
        a = OpenReplica(&env, "us-east-1/a", store_a.get(), options);
        ASSERT_NE(a, nullptr);
        ASSERT_EQ(Snapshot(*a), before) << "step " << step;
        a->TrackBuckets(16);
        ASSERT_EQ(a->BucketHashes(), hashes) << "step " << step;
      }
    }
    // Both converge, also after a restart of each. (A delta can make the
    // receiver write: EndIncarnation, EndRevivedFields; so a few rounds.)
    for (int round = 0; round < 4; ++round) {
      Ship(*a, *b);
      Ship(*b, *a);
    }
    ASSERT_TRUE(a->Commit().ok());
    ASSERT_TRUE(b->Commit().ok());
    EXPECT_EQ(Values(*a), Values(*b));
    b.reset();
    b = OpenReplica(&env, "eu-west-1/a", store_b.get(), options);
    EXPECT_EQ(Values(*a), Values(*b));
  }
  EXPECT_GT(deltas_seen, last_seed * 10) << "the test must exercise delta commits";
}

// The commit of one member added to a big set logs about that member, and
// the whole state is written again only when the logged deltas reach half
// of it.
TEST(ReplicaDeltaCommitTest, BigSetCommitsTheChangeAndCompactsGeometrically) {
  SimEnv env(1);
  std::unique_ptr<Store> store = NewMemoryStore();
  auto r = OpenReplica(&env, "us-east-1/a", store.get());
  std::vector<std::string> members;
  for (int i = 0; i < 2000; ++i) members.push_back("member-" + std::to_string(i));
  std::vector<std::string_view> views(members.begin(), members.end());
  ASSERT_TRUE(r->AddAll("big", views).ok());
  ASSERT_TRUE(r->Commit().ok());
  size_t state_bytes = 0;
  ASSERT_TRUE(store->ForEachState([&](const std::string&, const StoredValue& v) { state_bytes = v.bytes.size(); }).ok());
  ASSERT_GT(state_bytes, 20'000u);

  int full_writes = 0;
  std::string last_state;
  for (int i = 0; i < 3000; ++i) {
    ASSERT_TRUE(r->Add("big", "new-" + std::to_string(i)).ok());
    ASSERT_TRUE(r->Commit().ok());
    std::string now;
    ASSERT_TRUE(store->ForEachState([&](const std::string&, const StoredValue& v) { now = v.bytes; }).ok());
    if (now != last_state && i > 0) ++full_writes;
    last_state = now;
  }
  // 3 000 members of ~20 bytes logged against a state of 40+ kB: a handful
  // of rewrites, not one per commit.
  EXPECT_GE(full_writes, 1);
  EXPECT_LE(full_writes, 8);
  EXPECT_GT(DeltaRows(*store), 0u);
  auto before = Snapshot(*r);
  r.reset();
  r = OpenReplica(&env, "us-east-1/a", store.get());
  EXPECT_EQ(Snapshot(*r), before);
}

bool HasMember(const AnyCrdt* value, const std::string& member) {
  const OrSet* set = value != nullptr ? std::get_if<OrSet>(value) : nullptr;
  return set != nullptr && set->Contains(member);
}

// A commit logs only that a key has writes to publish; a restart publishes
// the key's whole state. Outbox rows holding deltas (older builds) still
// restore and publish.
TEST(ReplicaOutboxTest, WritesNotPublishedBeforeACrashArePublishedAfterIt) {
  SimEnv env(1);
  std::unique_ptr<Store> store = NewMemoryStore();
  auto r = OpenReplica(&env, "us-east-1/a", store.get());
  ASSERT_TRUE(r->Add("s", "x").ok());
  ASSERT_TRUE(r->Commit().ok());
  size_t marker_bytes = SIZE_MAX;
  ASSERT_TRUE(store->ForEachOutbox([&](uint64_t, const std::string&, const StoredValue& v) {
    marker_bytes = v.bytes.size();
  }).ok());
  EXPECT_EQ(marker_bytes, 0u) << "the outbox row is a marker";
  r.reset();  // a crash: nothing was sealed or published

  r = OpenReplica(&env, "us-east-1/a", store.get());
  Replica::Outgoing out = std::move(r->SealOutbox()).value();
  ASSERT_EQ(out.deltas.size(), 1u);
  EXPECT_EQ(out.deltas[0].key, "s");
  EXPECT_TRUE(HasMember(&out.deltas[0].delta, "x"));

  // What an older build left: a delta in the outbox (and here no state row).
  std::unique_ptr<Store> other_store = NewMemoryStore();
  auto other = OpenReplica(&env, "eu-west-1/a", other_store.get());
  ASSERT_TRUE(other->Add("t", "y").ok());
  Replica::Outgoing theirs = std::move(other->SealOutbox()).value();
  ASSERT_EQ(theirs.deltas.size(), 1u);
  std::unique_ptr<Store> old_store = NewMemoryStore();
  StoreBatch old_rows;
  old_rows.put_outbox[{7, "t"}] = ToStored(theirs.deltas[0].delta, theirs.deltas[0].life);
  ASSERT_TRUE(old_store->Commit(old_rows).ok());
  auto restored = OpenReplica(&env, "eu-west-1/b", old_store.get());
  EXPECT_TRUE(HasMember(restored->Find("t"), "y"));
  Replica::Outgoing again = std::move(restored->SealOutbox()).value();
  ASSERT_EQ(again.deltas.size(), 1u);
  EXPECT_TRUE(HasMember(&again.deltas[0].delta, "y"));
  EXPECT_EQ(again.generation, 8u) << "generations go on after the stored ones";
}

}  // namespace
}  // namespace regionsync

#include "regionsync/sync/replica.h"

#include <gtest/gtest.h>

namespace regionsync {
namespace {

class ReplicaTest : public ::testing::Test {
 protected:
  std::unique_ptr<Replica> Open(const std::string& name = "us-east-1/a") {
    Result<std::unique_ptr<Replica>> r = Replica::Open(name, &env_, store_.get());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(r).value();
  }
  SimEnv env_{3};
  std::unique_ptr<Store> store_ = NewMemoryStore();
};

TEST_F(ReplicaTest, KeyIsTypedByFirstWriteAndMismatchChangesNothing) {
  auto r = Open();
  ASSERT_TRUE(r->Increment("sessions", 3).ok());
  Status s = r->Add("sessions", "alice").status();
  EXPECT_EQ(s.code(), StatusCode::kTypeMismatch);
  EXPECT_NE(s.message().find("pn_counter"), std::string::npos) << s.message();
  EXPECT_EQ(std::get<PnCounter>(*r->Find("sessions")).Value(), 3);
  EXPECT_EQ(r->local_writes(), 1u);
  ASSERT_TRUE(r->MapSet("presence", "u1", "online").ok());
  EXPECT_EQ(r->MapIncrement("presence", "u1", 1).status().code(), StatusCode::kTypeMismatch);
  EXPECT_EQ(r->Set("", "x").code(), StatusCode::kInvalidArgument);
}

// HINCRBY: a counter field of a map of registers, refused with Redis's words
// (nothing changes) when the field is text or the sum would overflow.
TEST_F(ReplicaTest, HashCounterField) {
  auto r = Open();
  ASSERT_TRUE(r->MapSet("h", "n", "10").ok());
  EXPECT_EQ(*r->MapIncrement("h", "n", 5, OrMapKind::kRegister), 15);
  EXPECT_EQ(*r->MapIncrement("h", "fresh", -2, OrMapKind::kRegister), -2);
  EXPECT_EQ(std::get<OrMap>(*r->Find("h")).kind(), OrMapKind::kRegister);
  ASSERT_TRUE(r->MapSet("h", "t", "text").ok());
  ASSERT_TRUE(r->MapSet("h", "big", "9223372036854775807").ok());
  const uint64_t writes = r->local_writes();
  Status text = r->MapIncrement("h", "t", 1, OrMapKind::kRegister).status();
  EXPECT_EQ(text.message(), "hash value is not an integer");
  Status over = r->MapIncrement("h", "big", 1, OrMapKind::kRegister).status();
  EXPECT_EQ(over.message(), "increment or decrement would overflow");
  EXPECT_EQ(r->MapIncrement("h", "n", 1).status().code(), StatusCode::kTypeMismatch);  // not a map of counters
  EXPECT_EQ(r->local_writes(), writes);
  EXPECT_EQ(std::get<OrMap>(*r->Find("h")).Register("n"), "15");
  ASSERT_TRUE(r->MapSet("h", "n", "1").ok());  // resets the increment it saw
  EXPECT_EQ(*r->MapIncrement("h", "n", 1, OrMapKind::kRegister), 2);
}

TEST_F(ReplicaTest, GrowOnlyCounterRefusesDecrement) {
  auto r = Open();
  ASSERT_TRUE(r->IncrementGrowOnly("visits", 2).ok());
  EXPECT_EQ(*r->Increment("visits", 3), 5);
  EXPECT_EQ(r->Increment("visits", -1).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ReplicaTest, ClientTimestampBeyondTheClockIsRefusedAndChangesNothing) {
  auto r = Open();
  ASSERT_TRUE(r->Set("reg", "kept", kMaxHlcMillis).ok());  // the largest that fits
  const uint64_t writes = r->local_writes();
  // 2^48 ms would have wrapped to 0 and 99999999999999999 to some time in
  // the past: both used to be accepted as other timestamps.
  for (uint64_t ms : {kMaxHlcMillis + 1, uint64_t{99999999999999999}}) {
    Status s = r->Set("reg", "wrapped", ms);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << ms;
    EXPECT_NE(s.message().find("client timestamp"), std::string::npos) << s.ToString();
    EXPECT_EQ(r->Set("fresh", "wrapped", ms).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(*std::get<LwwRegister>(*r->Find("reg")).Value(), "kept");
  EXPECT_EQ(r->Find("fresh"), nullptr);
  EXPECT_EQ(r->local_writes(), writes);
}

TEST_F(ReplicaTest, EventsFireOncePerValueChange) {
  auto a = Open("us-east-1/a");
  auto store_b = NewMemoryStore();
  auto b = std::move(Replica::Open("eu-west-1/a", &env_, store_b.get())).value();
  std::vector<std::string> seen;
  int unchanged_local_writes = 0;
  b->Subscribe([&](const ChangeEvent& e) {
    if (!e.changed) {  // told for WATCH; value-change listeners skip these
      EXPECT_TRUE(e.local);
      ++unchanged_local_writes;
      return;
    }
    seen.push_back(e.key + "@" + e.origin + (e.local ? "/local" : ""));
  });
  ASSERT_TRUE(a->Add("online", "alice").ok());
  Replica::Outgoing out = std::move(a->SealOutbox()).value();
  ASSERT_EQ(out.deltas.size(), 1u);
  ASSERT_TRUE(b->ApplyRemote(out.deltas[0].key, out.deltas[0].delta, "us-east-1/a").ok());
  ASSERT_TRUE(b->ApplyRemote(out.deltas[0].key, out.deltas[0].delta, "us-east-1/a").ok());  // duplicate
  EXPECT_FALSE(*b->Add("online", "alice"));  // already present: no change, an unchanged event
  EXPECT_EQ(seen, (std::vector<std::string>{"online@us-east-1/a"}));
  EXPECT_EQ(unchanged_local_writes, 1);
  ASSERT_TRUE(b->Add("online", "bob").ok());
  EXPECT_EQ(seen.back(), "online@eu-west-1/a/local");
}

TEST_F(ReplicaTest, ManyMembersAreOneWriteAndOneEvent) {
  auto a = Open("us-east-1/a");
  auto store_b = NewMemoryStore();
  auto b = std::move(Replica::Open("eu-west-1/a", &env_, store_b.get())).value();
  int events = 0;
  a->Subscribe([&](const ChangeEvent&) { ++events; });
  const std::vector<std::string_view> members = {"alice", "bob", "alice", "carol"};
  EXPECT_EQ(*a->AddAll("online", members), 3u);  // "alice" twice counts once, as SADD does
  EXPECT_EQ(a->local_writes(), 1u);
  EXPECT_EQ(events, 1);
  const std::vector<std::string_view> gone = {"bob", "zed"};
  EXPECT_EQ(*a->RemoveAll("online", gone), 1u);
  EXPECT_EQ(a->local_writes(), 2u);
  Replica::Outgoing out = std::move(a->SealOutbox()).value();
  for (const auto& [key, delta, life] : out.deltas) ASSERT_TRUE(b->ApplyRemote(key, delta, "us-east-1/a", life).ok());
  EXPECT_EQ(std::get<OrSet>(*b->Find("online")).Elements(), (std::vector<std::string>{"alice", "carol"}));
  ASSERT_TRUE(a->Increment("sessions", 1).ok());
  EXPECT_EQ(a->AddAll("sessions", members).status().code(), StatusCode::kTypeMismatch);
  EXPECT_EQ(a->local_writes(), 3u) << "a refused batch writes nothing";
}

TEST_F(ReplicaTest, RestartRestoresCommittedStateAndOutboxButNotUncommitted) {
  uint64_t epoch = 0;
  {
    auto r = Open();
    epoch = r->id().epoch();
    ASSERT_TRUE(r->Increment("n", 5).ok());
    ASSERT_TRUE(r->Add("s", "x").ok());
    ASSERT_TRUE(r->Commit().ok());
    ASSERT_TRUE(r->Increment("n", 100).ok());  // lost: never committed
  }
  auto r = Open();
  EXPECT_EQ(r->id().epoch(), epoch);
  EXPECT_EQ(std::get<PnCounter>(*r->Find("n")).Value(), 5);
  EXPECT_EQ(r->outbox_keys(), 2u);  // unpublished deltas survive
  Replica::Outgoing out = std::move(r->SealOutbox()).value();
  EXPECT_EQ(out.deltas.size(), 2u);
  r->ConfirmPublished(out.generation);
  ASSERT_TRUE(r->Commit().ok());
  auto again = Open();
  EXPECT_EQ(again->outbox_keys(), 0u);
}

TEST_F(ReplicaTest, FailedPublishReturnsDeltasToTheOutbox) {
  auto r = Open();
  ASSERT_TRUE(r->Increment("n", 1).ok());
  Replica::Outgoing first = std::move(r->SealOutbox()).value();
  ASSERT_TRUE(r->Increment("n", 1).ok());
  r->ReturnUnpublished(first.generation);
  Replica::Outgoing second = std::move(r->SealOutbox()).value();
  ASSERT_EQ(second.deltas.size(), 1u);
  PnCounter fresh;
  fresh.Join(std::get<PnCounter>(second.deltas[0].delta));
  EXPECT_EQ(fresh.Value(), 2);  // both increments travel together
}

TEST_F(ReplicaTest, RebootMeansNewEpochWithStateKept) {
  uint64_t first = 0;
  {
    auto r = Open();
    first = r->id().epoch();
    ASSERT_TRUE(r->Increment("n", 4).ok());
    ASSERT_TRUE(r->Commit().ok());
  }
  EXPECT_EQ(Open()->id().epoch(), first);  // a process restart keeps the epoch
  env_.SetBootId("sim-boot-2");             // the machine rebooted
  auto r = Open();
  EXPECT_NE(r->id().epoch(), first);
  EXPECT_EQ(std::get<PnCounter>(*r->Find("n")).Value(), 4);
  ASSERT_TRUE(r->Increment("n", 1).ok());  // a new slot: no reuse of possibly lost old ones
  EXPECT_EQ(std::get<PnCounter>(*r->Find("n")).Value(), 5);
}

TEST_F(ReplicaTest, UnreadableBootIdMeansANewEpochAtEveryStart) {
  // Each RealEnv is one process of a machine whose boot id cannot be read.
  // It used to read as "" every time, equal to the "" stored: the epoch was
  // kept even across a real reboot.
  RealEnvOptions unreadable{.boot_id_path = "/nonexistent/regionsync/boot_id", .warn = [](const std::string&) {}};
  auto open_in_new_process = [&] {
    auto env = NewRealEnv(unreadable);
    Result<std::unique_ptr<Replica>> r = Replica::Open("us-east-1/a", env.get(), store_.get());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::pair{std::move(env), std::move(r).value()};
  };
  uint64_t first = 0;
  {
    auto [env, r] = open_in_new_process();
    first = r->id().epoch();
    ASSERT_TRUE(r->Increment("n", 4).ok());
    ASSERT_TRUE(r->Commit().ok());
  }
  auto [env, r] = open_in_new_process();
  EXPECT_NE(r->id().epoch(), first);
  EXPECT_EQ(std::get<PnCounter>(*r->Find("n")).Value(), 4);  // state kept, as after a reboot
}

TEST_F(ReplicaTest, NewStoreMeansNewEpoch) {
  uint64_t first = Open()->id().epoch();
  store_ = NewMemoryStore();
  EXPECT_NE(Open()->id().epoch(), first);
}

TEST_F(ReplicaTest, BucketHashesChangeWithStateAndMatchAcrossEqualReplicas) {
  auto a = Open("us-east-1/a");
  auto store_b = NewMemoryStore();
  auto b = std::move(Replica::Open("eu-west-1/a", &env_, store_b.get())).value();
  a->TrackBuckets(16);
  b->TrackBuckets(16);
  ASSERT_TRUE(a->Add("s", "x").ok());
  EXPECT_EQ(a->BucketHashes(), b->BucketHashes()) << "the hashes cover committed state";
  ASSERT_TRUE(a->Commit().ok());
  EXPECT_NE(a->BucketHashes(), b->BucketHashes());
  // Not yet published: the repair joins the outbox instead.
  std::vector<KeyedDelta> states;
  EXPECT_EQ(a->StatesInBucket(Replica::BucketOf("s", 16), 0, 100, &states), 0u);
  EXPECT_TRUE(states.empty());
  Result<Replica::Outgoing> out = a->SealOutbox();
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->deltas.size(), 1u);
  a->ConfirmPublished(out->generation);  // ... and lost on the way
  a->StatesInBucket(Replica::BucketOf("s", 16), 0, 100, &states);
  ASSERT_EQ(states.size(), 1u);
  for (auto& [key, state, life] : states) ASSERT_TRUE(b->ApplyRemote(key, state, "us-east-1/a", life).ok());
  ASSERT_TRUE(b->Commit().ok());
  EXPECT_EQ(a->BucketHashes(), b->BucketHashes());
}

// The bucket hashes follow each commit (no walk of the keyspace per digest)
// and agree with hashes computed from scratch, also after a restart.
TEST_F(ReplicaTest, BucketHashesKeptByCommitEqualFreshOnes) {
  auto a = Open("us-east-1/a");
  a->TrackBuckets(8);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(a->Add("s" + std::to_string(i % 37), std::to_string(i)).ok());
  ASSERT_TRUE(a->Increment("n", 2).ok());
  ASSERT_TRUE(a->Delete("s3").ok());
  ASSERT_TRUE(a->Commit().ok());
  std::vector<uint64_t> kept = a->BucketHashes();
  a->TrackBuckets(8);  // from scratch
  EXPECT_EQ(a->BucketHashes(), kept);
  a.reset();
  auto reopened = Open("us-east-1/a");
  reopened->TrackBuckets(8);
  EXPECT_EQ(reopened->BucketHashes(), kept) << "restored hashes are those of the stored bytes";
}

// Chunked: a cursor lets the caller release the lock between chunks.
TEST_F(ReplicaTest, StatesInBucketGoesOnFromItsCursor) {
  auto a = Open("us-east-1/a");
  a->TrackBuckets(1);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(a->Increment("k" + std::to_string(i), 1).ok());
  Result<Replica::Outgoing> out = a->SealOutbox();
  ASSERT_TRUE(out.ok());
  a->ConfirmPublished(out->generation);
  std::vector<KeyedDelta> states;
  size_t cursor = 0, rounds = 0;
  do {
    cursor = a->StatesInBucket(0, cursor, 3, &states);
    ++rounds;
  } while (cursor != 0);
  EXPECT_EQ(rounds, 4u);
  EXPECT_EQ(states.size(), 10u);
}

}  // namespace
}  // namespace regionsync

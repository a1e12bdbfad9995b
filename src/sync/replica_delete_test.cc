// Replica::Delete (observed remove of a whole key, what DEL and FLUSHDB use)
// and Replica::ScanKeys.
#include <gtest/gtest.h>

#include <set>

#include "regionsync/sync/replica.h"
#include "sync/replica_test_util.h"

namespace regionsync {
namespace {

class ReplicaDeleteTest : public ::testing::Test {
 protected:
  std::unique_ptr<Replica> Open(const std::string& name, Store* store, ReplicaOptions options = {}) {
    return testing_util::OpenReplica(&env_, name, store, std::move(options));
  }
  static void Ship(Replica& from, Replica& to) { testing_util::Ship(from, to); }
  SimEnv env_{7};
  std::unique_ptr<Store> store_a_ = NewMemoryStore(), store_b_ = NewMemoryStore();
  std::unique_ptr<Replica> a_ = Open("us-east-1/a", store_a_.get());
  std::unique_ptr<Replica> b_ = Open("eu-west-1/a", store_b_.get());
};

TEST_F(ReplicaDeleteTest, DeleteEmptiesEveryTypeAndReportsWhetherThereWasAValue) {
  ASSERT_TRUE(a_->Increment("n", -7).ok());
  ASSERT_TRUE(a_->Set("s", "v").ok());
  ASSERT_TRUE(a_->SetMulti("mv", "v").ok());
  ASSERT_TRUE(a_->Add("set", "x").ok());
  ASSERT_TRUE(a_->Enable("flag").ok());
  ASSERT_TRUE(a_->MapSet("h", "f", "v").ok());
  for (const char* key : {"n", "s", "mv", "set", "flag", "h"}) {
    EXPECT_TRUE(HasValue(*a_->Find(key))) << key;
    EXPECT_TRUE(*a_->Delete(key)) << key;
    EXPECT_FALSE(HasValue(*a_->Find(key))) << key;
    EXPECT_FALSE(*a_->Delete(key)) << key << ": nothing left to delete";
  }
  EXPECT_FALSE(*a_->Delete("never-written"));
  EXPECT_EQ(a_->Find("never-written"), nullptr);
  Ship(*a_, *b_);
  for (const char* key : {"n", "s", "mv", "set", "flag", "h"}) EXPECT_FALSE(HasValue(*b_->Find(key))) << key;
}

TEST_F(ReplicaDeleteTest, GrowOnlyCounterCannotBeDeleted) {
  ASSERT_TRUE(a_->IncrementGrowOnly("visits", 2).ok());
  uint64_t writes = a_->local_writes();
  EXPECT_EQ(a_->Delete("visits").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a_->local_writes(), writes);
}

TEST_F(ReplicaDeleteTest, ConcurrentAddsAndIncrementsSurviveADelete) {
  ASSERT_TRUE(a_->Add("room", "alice").ok());
  ASSERT_TRUE(a_->Increment("hits", 10).ok());
  ASSERT_TRUE(a_->MapSet("presence", "alice", "online").ok());
  Ship(*a_, *b_);
  // Concurrently: a deletes all three keys, b writes to each.
  ASSERT_TRUE(*a_->Delete("room"));
  ASSERT_TRUE(*a_->Delete("hits"));
  ASSERT_TRUE(*a_->Delete("presence"));
  ASSERT_TRUE(b_->Add("room", "bob").ok());
  ASSERT_TRUE(b_->Increment("hits", 3).ok());
  ASSERT_TRUE(b_->MapSet("presence", "bob", "online").ok());
  Ship(*a_, *b_);
  Ship(*b_, *a_);
  for (Replica* r : {a_.get(), b_.get()}) {
    EXPECT_EQ(ValueJson(*r->Find("room")), nlohmann::json::array({"bob"}));
    EXPECT_EQ(std::get<PnCounter>(*r->Find("hits")).Value(), 3);
    EXPECT_EQ(ValueJson(*r->Find("presence")), (nlohmann::json{{"bob", "online"}}));
  }
}

TEST_F(ReplicaDeleteTest, RegisterDeleteAndSetRaceByLastWriterWins) {
  ASSERT_TRUE(a_->Set("cfg", "v1").ok());
  Ship(*a_, *b_);
  ASSERT_TRUE(*a_->Delete("cfg"));
  env_.RunFor(5'000'000);  // b writes 5 s later
  ASSERT_TRUE(b_->Set("cfg", "v2").ok());
  Ship(*a_, *b_);
  Ship(*b_, *a_);
  EXPECT_EQ(*std::get<LwwRegister>(*a_->Find("cfg")).Value(), "v2");
  EXPECT_EQ(*a_->Find("cfg"), *b_->Find("cfg"));
  // A delete that saw "v2" wins everywhere.
  ASSERT_TRUE(*b_->Delete("cfg"));
  Ship(*b_, *a_);
  EXPECT_FALSE(HasValue(*a_->Find("cfg")));
}

TEST_F(ReplicaDeleteTest, DeleteEmitsOneLocalEvent) {
  ASSERT_TRUE(a_->Add("room", "alice").ok());
  int events = 0;
  a_->Subscribe([&](const ChangeEvent& e) {
    ++events;
    EXPECT_TRUE(e.local);
    EXPECT_FALSE(HasValue(e.value));
  });
  ASSERT_TRUE(*a_->Delete("room"));
  ASSERT_FALSE(*a_->Delete("room"));
  EXPECT_EQ(events, 1);
}

TEST_F(ReplicaDeleteTest, ScanVisitsEveryKeyOnceEvenWhenKeysAreAddedDuringThePass) {
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(a_->Increment("k" + std::to_string(i), 1).ok());
  std::multiset<std::string> seen;
  size_t cursor = 0;
  int rounds = 0;
  do {
    cursor = a_->ScanKeys(cursor, 10, [&](const std::string& key, const AnyCrdt&) { seen.insert(key); });
    if (++rounds == 1) {
      ASSERT_TRUE(a_->Increment("late", 1).ok());
    }
  } while (cursor != 0);
  EXPECT_EQ(seen.size(), 26u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 26u);
  EXPECT_EQ(rounds, 3);
  EXPECT_EQ(a_->ScanKeys(0, 0, [](const std::string&, const AnyCrdt&) {}), 1u) << "count 0 still moves on";
}

}  // namespace
}  // namespace regionsync

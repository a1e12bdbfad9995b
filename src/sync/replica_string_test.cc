// The Redis string type in the Replica (Set / Increment with create_as
// pb::STRING), observed resets across replicas, migration of register and
// counter keys, and type conflicts between replicas.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "regionsync/sync/replica.h"
#include "sync/replica_test_util.h"

namespace regionsync {
namespace {

class ReplicaStringTest : public ::testing::Test {
 protected:
  std::unique_ptr<Replica> Open(const std::string& name, Store* store, ReplicaOptions options = {}) {
    return testing_util::OpenReplica(&env_, name, store, std::move(options));
  }
  static void Ship(Replica& from, Replica& to) { testing_util::Ship(from, to); }
  static std::string Read(Replica& r, const std::string& key) {
    const AnyCrdt* v = r.Find(key);
    return v == nullptr ? "<none>" : ValueJson(*v).dump();
  }
  static std::string Encoded(Replica& r, const std::string& key) {
    const AnyCrdt* v = r.Find(key);
    return v == nullptr ? "" : std::string(TypeName(TypeOf(*v))) + EncodeCrdt(*v);
  }
  SimEnv env_{11};
  std::unique_ptr<Store> store_a_ = NewMemoryStore(), store_b_ = NewMemoryStore();
  std::vector<std::string> conflicts_;
  std::unique_ptr<Replica> a_ = Open("us-east-1/a", store_a_.get());
  std::unique_ptr<Replica> b_ =
      Open("us-west-2/a", store_b_.get(), {.on_type_conflict = [this](const std::string& m) { conflicts_.push_back(m); }});
};

TEST_F(ReplicaStringTest, SetThenIncrIsTheSum) {
  ASSERT_TRUE(a_->Set("n", "10", std::nullopt, pb::STRING).ok());
  Result<int64_t> n = a_->Increment("n", 1, pb::STRING);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 11);
  Ship(*a_, *b_);
  EXPECT_EQ(Read(*b_, "n"), "\"11\"");
}

TEST_F(ReplicaStringTest, IncrOnTextIsRefusedAndChangesNothing) {
  ASSERT_TRUE(a_->Set("t", "hello", std::nullopt, pb::STRING).ok());
  uint64_t writes = a_->local_writes();
  Result<int64_t> n = a_->Increment("t", 1, pb::STRING);
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(n.status().message(), "value is not an integer or out of range");
  EXPECT_EQ(a_->local_writes(), writes);
  ASSERT_TRUE(a_->Set("big", "9223372036854775807", std::nullopt, pb::STRING).ok());
  EXPECT_EQ(a_->Increment("big", 1, pb::STRING).status().message(), "increment or decrement would overflow");
}

// A region's counter slot holds everything it ever added: past 2^64 - 1 the
// slot would saturate and lose part of an acknowledged INCRBY, so the write
// is refused first (found by resp_diff_test, seed 1002).
TEST_F(ReplicaStringTest, IncrPastTheRegionsRunningTotalIsRefusedAndChangesNothing) {
  constexpr int64_t kMin = INT64_MIN;
  ASSERT_EQ(*a_->Increment("n", kMin, pb::STRING), kMin);
  ASSERT_TRUE(a_->Set("n", "42", std::nullopt, pb::STRING).ok());
  uint64_t writes = a_->local_writes();
  Result<int64_t> n = a_->Increment("n", kMin, pb::STRING);
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(n.status().message(),
            "increment or decrement would overflow this region's running total of the key (see docs/redis.md)");
  EXPECT_EQ(a_->local_writes(), writes);
  EXPECT_EQ(Read(*a_, "n"), "\"42\"");
  // Below the limit the same write is taken whole.
  Result<int64_t> m = a_->Increment("n", kMin + 1, pb::STRING);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(*m, 42 + kMin + 1);
  Ship(*a_, *b_);
  EXPECT_EQ(Read(*b_, "n"), "\"" + std::to_string(42 + kMin + 1) + "\"");
  // The other direction has its own slot; a PN counter (HTTP) the same rule.
  EXPECT_TRUE(a_->Increment("n", INT64_MAX, pb::STRING).ok());
  ASSERT_EQ(*a_->Increment("c", kMin), kMin);
  ASSERT_TRUE(a_->Delete("c").ok());
  EXPECT_EQ(a_->Increment("c", kMin).status().code(), StatusCode::kInvalidArgument);
}

// A hash field's running total per region stays in int64 even when the
// field's value does (another region's increments cancelled it out).
TEST_F(ReplicaStringTest, HashIncrPastTheRegionsRunningTotalIsRefused) {
  ASSERT_EQ(*a_->MapIncrement("h", "f", INT64_MAX, OrMapKind::kRegister), INT64_MAX);
  Ship(*a_, *b_);
  ASSERT_EQ(*b_->MapIncrement("h", "f", -INT64_MAX, OrMapKind::kRegister), 0);
  Ship(*b_, *a_);
  uint64_t writes = a_->local_writes();
  Result<int64_t> n = a_->MapIncrement("h", "f", 1, OrMapKind::kRegister);
  EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a_->local_writes(), writes);
  // The other region's own total has room.
  EXPECT_EQ(*b_->MapIncrement("h", "f", 1, OrMapKind::kRegister), 1);
}

TEST_F(ReplicaStringTest, IncrByZeroOnAMissingKeyCreatesZero) {
  ASSERT_EQ(*a_->Increment("z", 0, pb::STRING), 0);
  EXPECT_EQ(Read(*a_, "z"), "\"0\"");
  Ship(*a_, *b_);
  EXPECT_EQ(Read(*b_, "z"), "\"0\"");
}

// The first row: INCRBY 5 seen everywhere, DEL in two regions at once.
TEST_F(ReplicaStringTest, ConcurrentDeletesReadZeroAndTheKeyIsGone) {
  for (CrdtType type : {pb::STRING, pb::PN_COUNTER}) {
    std::string key = std::string("k-") + TypeName(type);
    ASSERT_TRUE(a_->Increment(key, 5, type).ok());
    Ship(*a_, *b_);
    ASSERT_TRUE(*a_->Delete(key));
    ASSERT_TRUE(*b_->Delete(key));
    Ship(*a_, *b_);
    Ship(*b_, *a_);
    for (Replica* r : {a_.get(), b_.get()}) {
      EXPECT_FALSE(HasValue(*r->Find(key))) << key << " " << Read(*r, key);
    }
    EXPECT_EQ(Encoded(*a_, key), Encoded(*b_, key));
    // The key is usable again, from zero.
    EXPECT_EQ(*a_->Increment(key, 1, type), 1);
  }
}

// The third row: INCR t in one region, SET t hello in another.
TEST_F(ReplicaStringTest, ConcurrentIncrAndSetConverge) {
  ASSERT_TRUE(a_->Increment("t", 1, pb::STRING).ok());
  ASSERT_TRUE(b_->Set("t", "hello", std::nullopt, pb::STRING).ok());
  Ship(*a_, *b_);
  Ship(*b_, *a_);
  EXPECT_EQ(Encoded(*a_, "t"), Encoded(*b_, "t"));
  EXPECT_EQ(Read(*a_, "t"), "\"hello\"");
  EXPECT_EQ(a_->type_conflicts() + b_->type_conflicts(), 0u);
}

// Keys stored as an LWW register or a PN counter keep their values and take
// string commands; the peer converts on receipt.
TEST_F(ReplicaStringTest, RegisterAndCounterKeysBecomeStrings) {
  ASSERT_TRUE(a_->Set("reg", "10").ok());          // lww_register (HTTP, or an old store)
  ASSERT_TRUE(a_->Increment("cnt", 4).ok());       // pn_counter
  Ship(*a_, *b_);
  // Over HTTP the types stay apart: a register write to a counter is refused.
  EXPECT_EQ(a_->Set("cnt", "x").code(), StatusCode::kTypeMismatch);
  EXPECT_EQ(a_->Increment("reg", 1).status().code(), StatusCode::kTypeMismatch);
  EXPECT_EQ(*a_->Increment("reg", 1, pb::STRING), 11);
  ASSERT_TRUE(a_->Set("cnt", "100", std::nullopt, pb::STRING).ok());
  ASSERT_TRUE(b_->Increment("cnt", 2).ok());       // concurrent, on the old type
  Ship(*a_, *b_);
  Ship(*b_, *a_);
  EXPECT_EQ(Read(*b_, "reg"), "\"11\"");
  EXPECT_EQ(Read(*a_, "cnt"), "\"102\"");
  EXPECT_EQ(Encoded(*a_, "cnt"), Encoded(*b_, "cnt"));
  EXPECT_EQ(Encoded(*a_, "reg"), Encoded(*b_, "reg"));
  EXPECT_TRUE(conflicts_.empty());
}

TEST_F(ReplicaStringTest, TypeConflictHasOneWinnerAndIsReportedOnce) {
  ASSERT_TRUE(a_->Add("x", "alice").ok());                    // a: a set
  ASSERT_TRUE(b_->Increment("x", 1, pb::STRING).ok());        // b: a string
  ASSERT_TRUE(a_->Add("x", "bob").ok());
  Ship(*a_, *b_);
  Ship(*b_, *a_);
  EXPECT_EQ(Encoded(*a_, "x"), Encoded(*b_, "x"));
  EXPECT_EQ(Read(*a_, "x"), "\"1\"");  // the string family ranks first
  EXPECT_EQ(b_->type_conflicts(), 1u);
  EXPECT_EQ(a_->type_conflicts(), 1u);
  ASSERT_EQ(conflicts_.size(), 1u);
  EXPECT_NE(conflicts_[0].find("'x'"), std::string::npos) << conflicts_[0];
  // More of the losing type from a's past: counted, not reported again.
  ASSERT_TRUE(b_->ApplyRemote("x", AnyCrdt(OrSet()), "us-east-1/a").ok());
  EXPECT_EQ(b_->type_conflicts(), 2u);
  EXPECT_EQ(conflicts_.size(), 1u);
}

TEST_F(ReplicaStringTest, RestoreKeepsTheWinnerAndDropsTheLosersOutbox) {
  ASSERT_TRUE(b_->Add("x", "alice").ok());  // pending in b's outbox
  ASSERT_TRUE(b_->Commit().ok());
  ASSERT_TRUE(a_->Increment("x", 1, pb::STRING).ok());
  Ship(*a_, *b_);
  ASSERT_TRUE(b_->Commit().ok());
  b_.reset();
  std::unique_ptr<Replica> again = Open("us-west-2/a", store_b_.get());
  EXPECT_EQ(Read(*again, "x"), "\"1\"");
  Replica::Outgoing out = std::move(again->SealOutbox()).value();
  for (const auto& [key, delta, life] : out.deltas) EXPECT_TRUE(IsStringFamily(delta)) << key;
}

}  // namespace
}  // namespace regionsync

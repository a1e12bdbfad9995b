// The write-side size limits (ReplicaOptions::max_value_bytes and
// max_state_bytes): a write over a limit is refused before anything changes,
// and a state at the limit is stored and restored.
#include <gtest/gtest.h>

#include "regionsync/sync/replica.h"

namespace regionsync {
namespace {

class ReplicaLimitsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Replica> Open(ReplicaOptions options) {
    Result<std::unique_ptr<Replica>> r = Replica::Open("us-east-1/a", &env_, store_.get(), options);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return std::move(r).value();
  }
  // The outbox, as the publisher would get it.
  static std::vector<std::string> OutboxKeys(Replica& r) {
    Result<Replica::Outgoing> out = r.SealOutbox();
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    std::vector<std::string> keys;
    for (const KeyedDelta& d : out->deltas) keys.push_back(d.key);
    r.ConfirmPublished(out->generation);
    return keys;
  }
  static void ExpectValueTooLarge(const Status& s, size_t limit) {
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
    EXPECT_EQ(s.message().rfind("value too large (limit " + std::to_string(limit) + " bytes", 0), 0u) << s.message();
  }
  static void ExpectStateTooLarge(const Status& s, size_t limit) {
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
    EXPECT_EQ(s.message().rfind("state too large (limit " + std::to_string(limit) + " bytes", 0), 0u) << s.message();
  }

  SimEnv env_{3};
  std::unique_ptr<Store> store_ = NewMemoryStore();
};

TEST_F(ReplicaLimitsTest, DefaultsFitTheDecoders) {
  ReplicaOptions o;
  EXPECT_LE(o.max_value_bytes, o.max_state_bytes);
  EXPECT_LE(o.max_state_bytes, kMaxEncodedStateBytes);
}

TEST_F(ReplicaLimitsTest, OptionsThatCouldNotRestoreAreRefused) {
  ReplicaOptions too_big{.max_state_bytes = kMaxEncodedStateBytes + 1};
  Result<std::unique_ptr<Replica>> r = Replica::Open("us-east-1/a", &env_, store_.get(), too_big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("max_state_bytes"), std::string::npos) << r.status().message();
  ReplicaOptions value_over_state{.max_value_bytes = 2000, .max_state_bytes = 1000};
  EXPECT_EQ(Replica::Open("us-east-1/a", &env_, store_.get(), value_over_state).status().code(),
            StatusCode::kInvalidArgument);
  ReplicaOptions no_value{.max_value_bytes = 0};
  EXPECT_EQ(Replica::Open("us-east-1/a", &env_, store_.get(), no_value).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ReplicaLimitsTest, RegisterValueOverTheLimitIsRefusedAndChangesNothing) {
  auto r = Open({.max_value_bytes = 100, .max_state_bytes = 1000});
  // key + value is the unit: "blob" (4) + 96 fits exactly, 97 does not.
  ExpectValueTooLarge(r->Set("blob", std::string(97, 'x')), 100);
  EXPECT_EQ(r->Find("blob"), nullptr) << "a refused write creates no key";
  EXPECT_EQ(r->key_count(), 0u);
  EXPECT_EQ(r->local_writes(), 0u);
  EXPECT_TRUE(OutboxKeys(*r).empty()) << "a refused write records no delta";

  ASSERT_TRUE(r->Set("blob", std::string(96, 'a')).ok());
  ExpectValueTooLarge(r->Set("blob", std::string(200, 'b')), 100);
  ExpectValueTooLarge(r->SetMulti("mv", std::string(200, 'b')), 100);
  EXPECT_EQ(std::get<LwwRegister>(*r->Find("blob")).Value(), std::string(96, 'a'));
  EXPECT_EQ(r->local_writes(), 1u);
  EXPECT_EQ(OutboxKeys(*r), std::vector<std::string>{"blob"});
  // A key alone can be the unit too.
  ExpectValueTooLarge(r->Increment(std::string(101, 'k'), 1).status(), 100);
  ExpectValueTooLarge(r->Enable(std::string(101, 'k')), 100);
  EXPECT_EQ(r->key_count(), 1u);
}

TEST_F(ReplicaLimitsTest, OneElementOverTheLimitRefusesTheWholeBatch) {
  auto r = Open({.max_value_bytes = 100, .max_state_bytes = 10000});
  ASSERT_TRUE(r->Add("s", "a").ok());
  (void)OutboxKeys(*r);
  const std::string big(100, 'e');  // "s" + 100 > 100
  const std::vector<std::string_view> batch = {"b", big, "c"};
  ExpectValueTooLarge(r->AddAll("s", batch).status(), 100);
  EXPECT_EQ(std::get<OrSet>(*r->Find("s")).Elements(), std::vector<std::string>{"a"});
  EXPECT_EQ(r->local_writes(), 1u);
  EXPECT_TRUE(OutboxKeys(*r).empty());
}

TEST_F(ReplicaLimitsTest, MapFieldAndValueCountTogether) {
  auto r = Open({.max_value_bytes = 100, .max_state_bytes = 10000});
  // "h" + 50 + 50 > 100: each part alone would fit, the unit does not.
  ExpectValueTooLarge(r->MapSet("h", std::string(50, 'f'), std::string(50, 'v')), 100);
  ExpectValueTooLarge(r->MapIncrement("c", std::string(100, 'f'), 1).status(), 100);
  ExpectValueTooLarge(r->MapIncrement("h", std::string(100, 'f'), 1, OrMapKind::kRegister).status(), 100);
  ExpectValueTooLarge(r->MapEnable("f", std::string(100, 'f')), 100);
  ExpectValueTooLarge(r->MapAdd("m", "field", std::string(95, 'e')), 100);
  EXPECT_EQ(r->key_count(), 0u);
  EXPECT_EQ(r->local_writes(), 0u);
  ASSERT_TRUE(r->MapSet("h", std::string(49, 'f'), std::string(50, 'v')).ok());
}

TEST_F(ReplicaLimitsTest, StateOverTheLimitIsRefusedAndRemovalsStillWork) {
  const size_t kLimit = 4000;
  auto r = Open({.max_value_bytes = 200, .max_state_bytes = kLimit});
  int added = 0;
  Status refused;
  for (; added < 1000; ++added) {
    refused = r->Add("s", std::string(90, 'a') + std::to_string(added)).status();
    if (!refused.ok()) break;
  }
  ExpectStateTooLarge(refused, kLimit);
  const OrSet before = std::get<OrSet>(*r->Find("s"));
  EXPECT_LE(before.Encode().size(), kLimit);
  // Refused only near the limit: the estimate is measured before refusing.
  EXPECT_GT(before.Encode().size() + 2 * (90 + 3 + 32), kLimit) << before.Encode().size();
  EXPECT_EQ(static_cast<int>(before.size()), added);
  EXPECT_EQ(r->local_writes(), static_cast<uint64_t>(added));
  // The refused element is not there, and the outbox holds only what was accepted.
  EXPECT_FALSE(before.Contains(std::string(90, 'a') + std::to_string(added)));
  // A full key can shrink, and then grow again.
  ASSERT_TRUE(r->Remove("s", std::string(90, 'a') + "0").ok());
  ASSERT_TRUE(r->Commit().ok());
  EXPECT_TRUE(r->Add("s", "small").ok());
}

TEST_F(ReplicaLimitsTest, ReplacingAValueIsNotCountedAsGrowth) {
  // Without a commit in between, the estimate adds every write; a field
  // overwritten many times must still be accepted.
  auto r = Open({.max_value_bytes = 400, .max_state_bytes = 900});
  for (int i = 0; i < 100; ++i) {
    Status s = r->MapSet("h", "f", std::string(300, static_cast<char>('a' + i % 26)));
    ASSERT_TRUE(s.ok()) << "write " << i << ": " << s.ToString();
  }
  EXPECT_EQ(std::get<OrMap>(*r->Find("h")).Register("f"), std::string(300, 'a' + 99 % 26));
  // Still refused once the fields really do not fit.
  ASSERT_TRUE(r->MapSet("h", "g", std::string(300, 'g')).ok());
  ExpectStateTooLarge(r->MapSet("h", "i", std::string(300, 'i')), 900);
  EXPECT_FALSE(std::get<OrMap>(*r->Find("h")).Contains("i"));
}

TEST_F(ReplicaLimitsTest, CheckWriteSizeChangesNothing) {
  auto r = Open({.max_value_bytes = 100, .max_state_bytes = 1000});
  EXPECT_TRUE(r->CheckWriteSize("k", 100, 900).ok());
  ExpectValueTooLarge(r->CheckWriteSize("k", 101, 0), 100);
  ExpectStateTooLarge(r->CheckWriteSize("k", 10, 1001), 1000);
  EXPECT_EQ(r->key_count(), 0u);
  EXPECT_EQ(r->local_writes(), 0u);
}

// The largest state the options allow, committed, restores: the decoders'
// cap (kMaxEncodedStateBytes) is not below what a write may create.
TEST_F(ReplicaLimitsTest, StateAtTheLargestAllowedLimitRestores) {
  constexpr size_t kElement = 8 << 20;  // few big elements: the test copies less
  const ReplicaOptions o{.max_value_bytes = kElement, .max_state_bytes = kMaxEncodedStateBytes};
  size_t elements = 0;
  {
    auto r = Open(o);
    for (int i = 0;; ++i) {
      Status s = r->Add("big", std::to_string(1000 + i) + std::string(kElement - 8, 'x')).status();
      if (!s.ok()) {
        ExpectStateTooLarge(s, kMaxEncodedStateBytes);
        break;
      }
    }
    EXPECT_EQ(OutboxKeys(*r), std::vector<std::string>{"big"});  // committed and published
    ASSERT_TRUE(r->Commit().ok());
    elements = std::get<OrSet>(*r->Find("big")).size();
  }
  Result<std::unique_ptr<Replica>> again = Replica::Open("us-east-1/a", &env_, store_.get(), o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  const AnyCrdt* state = (*again)->Find("big");
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(std::get<OrSet>(*state).size(), elements);
  const size_t encoded = std::get<OrSet>(*state).Encode().size();
  EXPECT_LE(encoded, kMaxEncodedStateBytes);
  EXPECT_GT(encoded, kMaxEncodedStateBytes - 2 * kElement) << "filled to within two elements of the limit";
}

}  // namespace
}  // namespace regionsync

namespace regionsync {
namespace {

// Several regions growing one key at once can join past what any one write
// may create (and past what Decode accepts from the network): the replica's
// own store must still restore it, or an acknowledged state bricks it.
TEST_F(ReplicaLimitsTest, JoinedStatePastTheWriteLimitStillRestores) {
  const std::string big(kMaxEncodedStateBytes + 1024, 'x');
  {
    auto r = Open({});
    LwwRegister remote;
    remote.Assign(0x1234, HlcFromMillis(5), big);
    ASSERT_GT(remote.Encode().size(), kMaxEncodedStateBytes);
    EXPECT_FALSE(LwwRegister::Decode(remote.Encode()).ok()) << "the network cap still holds";
    ASSERT_TRUE(r->ApplyRemote("joined", AnyCrdt(remote), "eu-west-1/a").ok());
    ASSERT_TRUE(r->Commit().ok());
  }
  auto again = Open({});
  ASSERT_NE(again, nullptr);
  const AnyCrdt* v = again->Find("joined");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(std::get<LwwRegister>(*v).Value()->size(), big.size());
}

}  // namespace
}  // namespace regionsync

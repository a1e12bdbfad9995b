#include "regionsync/sync/publisher.h"

#include <gtest/gtest.h>

#include "regionsync/broker/inproc_broker.h"
#include "regionsync/sync/subscriber.h"
#include "regionsync/sync/wire/frame.h"

namespace regionsync {
namespace {

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(keys_.Add({"k1", "publisher-test-secret-0123"}).ok());
    a_broker_ = net_.Connect("us-east-1/a");
    b_broker_ = net_.Connect("eu-west-1/a");
    a_ = std::move(Replica::Open("us-east-1/a", &env_, a_store_.get())).value();
    b_ = std::move(Replica::Open("eu-west-1/a", &env_, b_store_.get())).value();
  }
  // Delivers everything queued for b.
  void Drain(Subscriber& sub) {
    for (int i = 0; i < 10'000; ++i) {
      Result<size_t> n = sub.PollOnce();
      if (!n.ok() || *n == 0) return;
    }
  }

  SimEnv env_{5};
  InprocNetwork net_{&env_};
  KeyRing keys_;
  std::unique_ptr<Store> a_store_ = NewMemoryStore(), b_store_ = NewMemoryStore();
  std::unique_ptr<Broker> a_broker_, b_broker_;
  std::unique_ptr<Replica> a_, b_;
};

TEST_F(PublisherTest, LargeSetIsSplitIntoValidMessagesUnderTheLimit) {
  // 100 000 UUID-like strings, 50 000 of them removed: the system we replace
  // failed at about 3 700 elements.
  for (int i = 0; i < 100'000; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "%08x-%04x-4%03x-a%03x-%012x", i * 2654435761u, i & 0xffff, i & 0xfff,
                  (i >> 3) & 0xfff, i * 40503u);
    ASSERT_TRUE(a_->Add("sessions", id).ok());
    if (i % 2 == 1) {
      ASSERT_TRUE(a_->Remove("sessions", id).ok());
    }
  }
  Publisher pub(a_.get(), a_broker_.get(), &keys_, {});
  ASSERT_TRUE(pub.Flush().ok());
  EXPECT_GT(pub.stats().messages, 1u);
  EXPECT_EQ(pub.stats().split_keys, 1u);
  EXPECT_EQ(net_.stats().publish_failures, 0u);  // nothing was over the 256 KiB limit
  Subscriber sub(b_.get(), b_broker_.get(), &keys_, nullptr);
  Drain(sub);
  EXPECT_EQ(sub.stats().rejected, 0u);
  EXPECT_EQ(EncodeCrdt(*b_->Find("sessions")), EncodeCrdt(*a_->Find("sessions")));
  EXPECT_EQ(std::get<OrSet>(*b_->Find("sessions")).size(), 50'000u);
}

TEST_F(PublisherTest, FullStateModeSendsMoreBytesThanDeltas) {
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(a_->Add("s", "user-" + std::to_string(i)).ok());
  Publisher delta(a_.get(), a_broker_.get(), &keys_, {});
  ASSERT_TRUE(delta.Flush().ok());
  ASSERT_TRUE(a_->Add("s", "one-more").ok());
  ASSERT_TRUE(delta.Flush().ok());
  uint64_t delta_bytes = net_.stats().bytes_published;
  ASSERT_TRUE(a_->Add("s", "another").ok());
  PublisherOptions full_state;
  full_state.full_state = true;
  Publisher full(a_.get(), a_broker_.get(), &keys_, full_state);
  ASSERT_TRUE(full.Flush().ok());
  uint64_t full_bytes = net_.stats().bytes_published - delta_bytes;
  EXPECT_GT(full_bytes, 10 * (delta_bytes / 1000 + 1));
}

// Regression (seed 719 of the 10 000-seed run): anti-entropy sent in-memory
// state before it was committed; a crash then lost a write that peers held.
TEST_F(PublisherTest, PublishStatesNeverSendsUncommittedState) {
  ASSERT_TRUE(a_->IncrementGrowOnly("visits", 3).ok());
  EXPECT_LT(a_->committed_writes(), a_->local_writes());
  Publisher pub(a_.get(), a_broker_.get(), &keys_, {});
  ASSERT_TRUE(pub.PublishStates(a_->StatesInBucket(Replica::BucketOf("visits", 64), 64)).ok());
  EXPECT_EQ(a_->committed_writes(), a_->local_writes());
}

TEST_F(PublisherTest, OutageKeepsDeltasForTheNextFlush) {
  ASSERT_TRUE(a_->Increment("n", 3).ok());
  Publisher pub(a_.get(), a_broker_.get(), &keys_, {});
  net_.SetOutage(true);
  EXPECT_EQ(pub.Flush().code(), StatusCode::kUnavailable);
  EXPECT_EQ(a_->outbox_keys(), 1u);
  net_.SetOutage(false);
  ASSERT_TRUE(pub.Flush().ok());
  EXPECT_EQ(a_->outbox_keys(), 0u);
  Subscriber sub(b_.get(), b_broker_.get(), &keys_, nullptr);
  Drain(sub);
  EXPECT_EQ(std::get<PnCounter>(*b_->Find("n")).Value(), 3);
}

TEST_F(PublisherTest, ForgedAndMalformedMessagesAreRejectedCountedAndDeadLettered) {
  KeyRing other;
  ASSERT_TRUE(other.Add({"k1", "some-other-secret-value-xyz"}).ok());
  ASSERT_TRUE(a_->Increment("n", 1).ok());
  Publisher forger(a_.get(), a_broker_.get(), &other, {});
  ASSERT_TRUE(forger.Flush().ok());
  ASSERT_TRUE(a_broker_->Publish("rs1.!!!not base64").ok());
  std::vector<std::string> errors;
  Subscriber sub(b_.get(), b_broker_.get(), &keys_, nullptr, {.retry_delay_micros = 0});
  sub.set_error_sink([&](const std::string& e) { errors.push_back(e); });
  for (int round = 0; round < 10; ++round) (void)sub.PollOnce();
  EXPECT_EQ(b_->Find("n"), nullptr);  // nothing applied
  EXPECT_GE(sub.stats().rejected, 2u);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("rejected"), std::string::npos);
  EXPECT_EQ(net_.DeadLetters("eu-west-1/a").size(), 2u);
}

TEST_F(PublisherTest, MessageWithAnUndecodableEntryAppliesNothingAndIsDeadLettered) {
  // Each message holds a good counter delta for "y" and one bad entry: bytes
  // that are not the type they claim, a type nobody knows, an empty key.
  PnCounter counter;
  const std::string good = EncodeCrdt(AnyCrdt(counter.Increment(a_->id().actor(), 2)));
  struct Bad {
    std::string key;
    int type;
    std::string delta;
  };
  const std::vector<Bad> bad = {
      {"x", pb::OR_SET, "\xff\xff\xff"},
      {"x", pb::OR_SET, good},  // a PN counter's bytes labelled as a set
      {"x", 99, good},
      {"", pb::PN_COUNTER, good},
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    pb::Envelope e;
    e.set_version(kProtocolVersion);
    e.set_kind(pb::DELTA);
    e.set_origin(a_->id().name());
    e.set_origin_epoch(a_->id().epoch());
    e.set_sequence(i + 1);
    e.set_hlc_time(a_->Now());
    pb::Entry* y = e.add_entries();
    y->set_key("y");
    y->set_type(pb::PN_COUNTER);
    y->set_delta(good);
    pb::Entry* x = e.add_entries();
    x->set_key(bad[i].key);
    x->set_type(static_cast<pb::CrdtType>(bad[i].type));
    x->set_delta(bad[i].delta);
    Result<std::string> text = EncodeFrame(e, keys_);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    ASSERT_TRUE(a_broker_->Publish(*text).ok());
  }
  std::vector<std::string> errors;
  Subscriber sub(b_.get(), b_broker_.get(), &keys_, nullptr, {.retry_delay_micros = 0});
  sub.set_error_sink([&](const std::string& e) { errors.push_back(e); });
  // Redelivered until the broker gives up on each: bounded by rounds, not time.
  for (int round = 0; round < 100 && net_.DeadLetters("eu-west-1/a").size() < bad.size(); ++round) {
    (void)sub.PollOnce();
  }
  EXPECT_EQ(net_.DeadLetters("eu-west-1/a").size(), bad.size());
  EXPECT_EQ(b_->Find("y"), nullptr);  // the good entries did not apply either
  EXPECT_EQ(b_->Find("x"), nullptr);
  EXPECT_TRUE(sub.peers().empty());   // nor did the sender count as heard
  EXPECT_GT(sub.stats().received, bad.size());  // redelivered before dead-lettering
  EXPECT_EQ(sub.stats().rejected, sub.stats().received);
  EXPECT_EQ(sub.stats().applied_messages, 0u);
  EXPECT_EQ(sub.stats().bad_entries, 0u);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("entry for key 'x' is undecodable"), std::string::npos) << errors[0];

  // A well-formed message from the same sender still applies.
  ASSERT_TRUE(a_->Increment("y", 3).ok());
  Publisher pub(a_.get(), a_broker_.get(), &keys_, {});
  ASSERT_TRUE(pub.Flush().ok());
  Drain(sub);
  ASSERT_NE(b_->Find("y"), nullptr);
  EXPECT_EQ(std::get<PnCounter>(*b_->Find("y")).Value(), 3);
}

// A key created concurrently with two types: the receiver applies the
// deterministic winner (the counter, see JoinAnyType) and counts the conflict.
TEST_F(PublisherTest, TypeConflictedEntryResolvesOthersApply) {
  ASSERT_TRUE(b_->Add("x", "elem").ok());          // b: x is a set
  ASSERT_TRUE(a_->Increment("x", 1).ok());         // a: x is a counter
  ASSERT_TRUE(a_->Increment("y", 2).ok());
  Publisher pub(a_.get(), a_broker_.get(), &keys_, {});
  ASSERT_TRUE(pub.Flush().ok());
  Subscriber sub(b_.get(), b_broker_.get(), &keys_, nullptr);
  Drain(sub);
  EXPECT_EQ(sub.stats().bad_entries, 0u);
  EXPECT_EQ(b_->type_conflicts(), 1u);
  EXPECT_EQ(std::get<PnCounter>(*b_->Find("x")).Value(), 1);
  EXPECT_EQ(std::get<PnCounter>(*b_->Find("y")).Value(), 2);
}

}  // namespace
}  // namespace regionsync

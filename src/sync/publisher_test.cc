#include "regionsync/sync/publisher.h"

#include <gtest/gtest.h>

#include <algorithm>

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
  a_->TrackBuckets(64);
  std::vector<KeyedDelta> states;
  EXPECT_EQ(a_->StatesInBucket(Replica::BucketOf("visits", 64), 0, 1000, &states), 0u);
  EXPECT_TRUE(states.empty()) << "its repair rides in the outbox delta, which is published after a commit";
  // A key changed by a remote delta, not committed yet.
  GCounter remote;
  remote.Increment(/*actor=*/77, 5);
  ASSERT_TRUE(a_->ApplyRemote("remote", AnyCrdt(remote), "eu-west-1/a").ok());
  states.clear();
  a_->StatesInBucket(Replica::BucketOf("remote", 64), 0, 1000, &states);
  ASSERT_TRUE(pub.PublishStates(states).ok());
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

// A broker that keeps what is published, so a test can deliver the
// messages of one flush one at a time, in any order.
class RecordingBroker : public Broker {
 public:
  explicit RecordingBroker(size_t max_message_bytes) : max_(max_message_bytes) {}
  Status Publish(std::string_view body) override {
    if (body.size() > max_) return ResourceExhausted("over max_message_bytes");
    published.emplace_back(body);
    return Status::Ok();
  }
  Result<std::vector<BrokerMessage>> Receive(size_t) override { return std::vector<BrokerMessage>{}; }
  Status Ack(const std::string&) override { return Status::Ok(); }
  Status ChangeVisibility(const std::string&, uint64_t) override { return Status::Ok(); }
  size_t max_message_bytes() const override { return max_; }

  std::vector<std::string> published;

 private:
  size_t max_;
};

// Applies one published message to `r`; returns the keys it named.
std::vector<std::string> Deliver(const std::string& text, const KeyRing& keys, Replica& r) {
  Result<pb::Envelope> env = DecodeFrame(text, keys);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  std::vector<std::string> named;
  for (const pb::Entry& e : env->entries()) {
    Result<AnyCrdt> delta = DecodeCrdt(e.type(), e.delta());
    EXPECT_TRUE(delta.ok()) << delta.status().ToString();
    EXPECT_TRUE(r.ApplyRemote(e.key(), *delta, env->origin()).ok());
    named.push_back(e.key());
  }
  return named;
}

std::string Field(int i) { return "field-" + std::to_string(i); }

// A map counter field going 5 -> 8 never reads 13 at a receiver, whichever
// messages of a split flush arrived (removals used to go in the last piece).
TEST_F(PublisherTest, SplitDeltaReadsOldOrNewAfterEveryMessage) {
  RecordingBroker wire(4096);
  Publisher pub(a_.get(), &wire, &keys_, {});
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(a_->MapIncrement("h", Field(i), 5).ok());
  ASSERT_TRUE(pub.Flush().ok());
  for (const std::string& m : wire.published) Deliver(m, keys_, *b_);
  wire.published.clear();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(a_->MapIncrement("h", Field(i), 3).ok());
  ASSERT_TRUE(pub.Flush().ok());
  ASSERT_GE(wire.published.size(), 2u);
  EXPECT_GE(pub.stats().split_keys, 1u);
  std::reverse(wire.published.begin(), wire.published.end());
  for (const std::string& m : wire.published) {
    Deliver(m, keys_, *b_);
    const OrMap& h = std::get<OrMap>(*b_->Find("h"));
    for (int i = 0; i < 300; ++i) {
      const int64_t v = h.Counter(Field(i));
      ASSERT_TRUE(v == 5 || v == 8) << Field(i) << " reads " << v;
    }
  }
  EXPECT_EQ(EncodeCrdt(*b_->Find("h")), EncodeCrdt(*a_->Find("h")));
}

// A register value too big for one message (from before the write-side
// limit: here a replica opened without it) used to be dropped while the
// removal of the old value went out: peers deleted the field. Now the key is
// withheld whole, counted and reported, and other keys still go; after a
// restart too, when the outbox delta comes back without its notes.
TEST_F(PublisherTest, OversizeValueWithholdsItsKeyWholeNotItsRemovalAlone) {
  auto store = NewMemoryStore();
  const ReplicaOptions no_limit{.max_value_bytes = 1 << 20, .max_state_bytes = 1 << 24};
  auto a = std::move(Replica::Open("us-east-1/b", &env_, store.get(), no_limit)).value();
  RecordingBroker wire(4096);
  std::vector<std::string> errors;
  auto flush = [&](Replica& r) {
    Publisher pub(&r, &wire, &keys_, {});
    pub.set_error_sink([&](const std::string& e) { errors.push_back(e); });
    EXPECT_TRUE(pub.Flush().ok());
    std::vector<std::string> sent;
    for (const std::string& m : wire.published) {
      for (const std::string& k : Deliver(m, keys_, *b_)) sent.push_back(k);
    }
    wire.published.clear();
    return std::pair{sent, pub.stats()};
  };
  ASSERT_TRUE(a->MapSet("h", "f", "old").ok());
  ASSERT_TRUE(a->MapSet("h", "g", "x").ok());
  (void)flush(*a);
  ASSERT_EQ(std::get<OrMap>(*b_->Find("h")).Register("f"), "old");

  ASSERT_TRUE(a->MapSet("h", "f", std::string(10'000, 'v')).ok());
  ASSERT_TRUE(a->MapSet("h", "g", "y").ok());
  ASSERT_TRUE(a->Set("other", "sent").ok());
  auto [sent, stats] = flush(*a);
  EXPECT_EQ(sent, std::vector<std::string>{"other"});
  EXPECT_EQ(stats.oversize_entries, 1u);
  EXPECT_EQ(stats.last_oversize_key, "h");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("key 'h' not sent"), std::string::npos) << errors[0];
  EXPECT_EQ(std::get<OrMap>(*b_->Find("h")).Register("f"), "old") << "the field must not be deleted";
  EXPECT_EQ(std::get<OrMap>(*b_->Find("h")).Register("g"), "x");
  EXPECT_EQ(std::get<LwwRegister>(*b_->Find("other")).Value(), "sent");

  // The same from a restored outbox (decoded: no notes of what replaced what).
  ASSERT_TRUE(a->MapSet("h", "f", std::string(20'000, 'w')).ok());
  ASSERT_TRUE(a->Commit().ok());
  a.reset();
  a = std::move(Replica::Open("us-east-1/b", &env_, store.get(), no_limit)).value();
  auto [sent_again, stats_again] = flush(*a);
  EXPECT_TRUE(sent_again.empty());
  EXPECT_EQ(stats_again.oversize_entries, 1u);
  EXPECT_EQ(std::get<OrMap>(*b_->Find("h")).Register("f"), "old");
}

TEST_F(PublisherTest, DefaultValueLimitFitsTheDefaultMessage) {
  EXPECT_LE(ReplicaOptions{}.max_value_bytes, Publisher::MaxUnitBytes(256 * 1024));
  EXPECT_LT(Publisher::MaxUnitBytes(256 * 1024), 256u * 1024 * 3 / 4);  // base64 costs a quarter
  EXPECT_GT(Publisher::MaxUnitBytes(4096), 0u);  // the smallest --max-message-bytes
}

// The largest unit MaxUnitBytes allows does travel, as one message.
TEST_F(PublisherTest, UnitAtMaxUnitBytesFitsOneMessage) {
  const size_t max_message = 16 * 1024;
  const size_t unit = Publisher::MaxUnitBytes(max_message);
  auto store = NewMemoryStore();
  auto a = std::move(Replica::Open("us-east-1/b", &env_, store.get(), {.max_value_bytes = unit})).value();
  RecordingBroker wire(max_message);
  Publisher pub(a.get(), &wire, &keys_, {});
  // Incompressible bytes, so zstd cannot make it fit.
  std::string value;
  uint64_t x = 12345;
  for (size_t i = 0; i + 2 < unit; ++i) {  // "h" + "f" + value == unit
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    value.push_back(static_cast<char>(x >> 56));
  }
  ASSERT_TRUE(a->MapSet("h", "f", value).ok());
  ASSERT_TRUE(a->MapSet("h", "f", value + "!").code() == StatusCode::kResourceExhausted);
  ASSERT_TRUE(pub.Flush().ok());
  EXPECT_EQ(pub.stats().oversize_entries, 0u);
  ASSERT_EQ(wire.published.size(), 1u);
  Deliver(wire.published[0], keys_, *b_);
  EXPECT_EQ(std::get<OrMap>(*b_->Find("h")).Register("f"), value);
}

}  // namespace
}  // namespace regionsync

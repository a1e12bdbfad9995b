#include "regionsync/sync/sequence_tracker.h"

#include <gtest/gtest.h>

namespace regionsync {
namespace {

constexpr uint64_t kGrace = 1'000'000;
const std::string kA = "us-east-1/a";
const std::string kB = "eu-west-1/a";

SequenceTracker::Received Msg(const std::string& origin, uint64_t seq, uint64_t data_count = 0,
                              uint64_t resend_from = 1, uint64_t epoch = 7, uint64_t run_start = 1) {
  return {origin, epoch, seq, data_count, resend_from, run_start};
}

TEST(SequenceTrackerTest, InOrderAndDuplicatesLeaveNoGap) {
  SequenceTracker t;
  EXPECT_TRUE(t.Observe(Msg(kA, 5), 0));  // first contact: earlier history is not ours
  EXPECT_TRUE(t.Observe(Msg(kA, 6), 0));
  EXPECT_FALSE(t.Observe(Msg(kA, 6), 0));
  EXPECT_FALSE(t.Observe(Msg(kA, 4), 0));
  EXPECT_FALSE(t.has_gaps());
  EXPECT_TRUE(t.DueRequests(10 * kGrace).empty());
}

TEST(SequenceTrackerTest, ReorderWithinTheGraceAsksForNothing) {
  SequenceTracker t;
  t.Observe(Msg(kA, 1), 0);
  t.Observe(Msg(kA, 3), 0);
  EXPECT_TRUE(t.has_gaps());
  EXPECT_TRUE(t.DueRequests(kGrace / 2).empty());
  t.Observe(Msg(kA, 2), kGrace / 2);
  EXPECT_FALSE(t.has_gaps());
  EXPECT_TRUE(t.DueRequests(5 * kGrace).empty());
}

TEST(SequenceTrackerTest, AGapPastTheGraceIsAskedForExactly) {
  SequenceTracker t;
  for (uint64_t s : {1, 2, 4, 7, 8}) t.Observe(Msg(kA, s), 0);
  std::vector<SequenceTracker::Request> due = t.DueRequests(kGrace);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].origin, kA);
  EXPECT_EQ(due[0].epoch, 7u);
  using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;
  EXPECT_EQ(due[0].ranges, (Ranges{{3, 3}, {5, 6}}));
  EXPECT_TRUE(t.DueRequests(kGrace + 1).empty()) << "asked again only after another grace";
  EXPECT_EQ(t.DueRequests(2 * kGrace).size(), 1u);
  for (uint64_t s : {3, 5, 6}) t.Observe(Msg(kA, s), 2 * kGrace);
  EXPECT_FALSE(t.has_gaps());
  EXPECT_EQ(t.given_up(), 0u);
}

TEST(SequenceTrackerTest, UnansweredGapsAreGivenUpAndCounted) {
  SequenceTracker t({.gap_grace_micros = kGrace, .max_requests = 2});
  t.Observe(Msg(kA, 1), 0);
  t.Observe(Msg(kA, 3), 0);
  EXPECT_EQ(t.DueRequests(kGrace).size(), 1u);
  EXPECT_EQ(t.DueRequests(2 * kGrace).size(), 1u);
  EXPECT_TRUE(t.DueRequests(3 * kGrace).empty());
  EXPECT_FALSE(t.has_gaps());
  EXPECT_EQ(t.given_up(), 1u);
  EXPECT_EQ(t.TakeLosses(), 1u);
  EXPECT_EQ(t.TakeLosses(), 0u);
}

TEST(SequenceTrackerTest, WhatTheOriginCannotResendIsGivenUpWithoutAsking) {
  SequenceTracker t;
  t.Observe(Msg(kA, 1), 0);
  t.Observe(Msg(kA, 10, 0, /*resend_from=*/8), 0);
  std::vector<SequenceTracker::Request> due = t.DueRequests(kGrace);
  ASSERT_EQ(due.size(), 1u);
  using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;
  EXPECT_EQ(due[0].ranges, (Ranges{{8, 9}}));
  EXPECT_EQ(t.given_up(), 6u);  // 2..7
}

// A restarted process of the same epoch starts at its lease bound: what lies
// between is given up at once, silently (mostly never sent).
TEST(SequenceTrackerTest, ARestartedOriginsSkippedSequencesAreNotLosses) {
  SequenceTracker t;
  t.Observe(Msg(kA, 1), 0);
  t.Observe(Msg(kA, 2), 0);
  t.Observe(Msg(kA, 4097, 0, /*resend_from=*/4097, 7, /*run_start=*/4097), 0);
  EXPECT_FALSE(t.has_gaps());
  EXPECT_TRUE(t.DueRequests(kGrace).empty());
  EXPECT_EQ(t.given_up(), 0u);
  EXPECT_EQ(t.TakeLosses(), 0u);
}

// ... but one missing below a sequence received from the crashed process
// was sent and lost, and that process cannot send it again.
TEST(SequenceTrackerTest, ALossBeforeAnOriginsCrashIsCounted) {
  SequenceTracker t;
  t.Observe(Msg(kA, 1), 0);
  t.Observe(Msg(kA, 3), 0);  // 2 lost
  t.Observe(Msg(kA, 4097, 0, /*resend_from=*/4097, 7, /*run_start=*/4097), 0);
  EXPECT_FALSE(t.has_gaps());
  EXPECT_EQ(t.TakeLosses(), 1u);
}

TEST(SequenceTrackerTest, ANewEpochStartsAtOne) {
  SequenceTracker t;
  t.Observe(Msg(kA, 40), 0);
  t.Observe(Msg(kA, 2, 0, 1, /*epoch=*/8), 0);  // its sequence 1 is missing
  EXPECT_TRUE(t.has_gaps());
  std::vector<SequenceTracker::Request> due = t.DueRequests(kGrace);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].epoch, 8u);
  EXPECT_EQ(due[0].ranges.front(), std::make_pair(uint64_t{1}, uint64_t{1}));
}

TEST(SequenceTrackerTest, ARequestIsBounded) {
  SequenceTracker t({.max_request_sequences = 100});
  t.Observe(Msg(kA, 1), 0);
  t.Observe(Msg(kA, 100'000), 0);
  std::vector<SequenceTracker::Request> due = t.DueRequests(kGrace);
  ASSERT_EQ(due.size(), 1u);
  ASSERT_EQ(due[0].ranges.size(), 1u);
  EXPECT_EQ(due[0].ranges[0], std::make_pair(uint64_t{2}, uint64_t{101}));
}

TEST(SequenceTrackerTest, SettledHashesAgreeExactlyWhenTheSameDataWasApplied) {
  SequenceTracker r, s;
  // r is "eu-west-1/a" itself; s heard r and a third origin, as r did.
  r.Observe(Msg(kA, 1, 1), 0);
  r.Observe(Msg(kA, 2, 2), 0);
  s.Observe(Msg(kA, 1, 1), 0);
  s.Observe(Msg(kA, 2, 2), 0);
  s.Observe(Msg(kB, 3, 4), 0);
  const std::string kS = "ap-south-1/a";
  r.Observe(Msg(kS, 9, 5), 0);
  const uint64_t at_r = r.SettledHash(kB, 7, 4, 0);
  EXPECT_EQ(at_r, s.SettledHash(kS, 7, 5, 0));
  EXPECT_NE(at_r, 0u);
  // s applies more data from kA: no longer the same messages.
  s.Observe(Msg(kA, 3, 3), 0);
  EXPECT_NE(r.SettledHash(kB, 7, 4, 0), s.SettledHash(kS, 7, 5, 0));
  // A digest from kA (no data) changes nothing once r has it too.
  r.Observe(Msg(kA, 3, 3), 0);
  r.Observe(Msg(kA, 4, 3), 0);
  EXPECT_EQ(r.SettledHash(kB, 7, 4, 0), s.SettledHash(kS, 7, 5, 0));
  // A gap: unsettled.
  r.Observe(Msg(kA, 6, 4), 0);
  EXPECT_EQ(r.SettledHash(kB, 7, 4, 0), 0u);
  // An origin not heard from within live_micros no longer counts.
  SequenceTracker q({.live_micros = 10});
  q.Observe(Msg(kA, 1, 1), 0);
  EXPECT_EQ(q.SettledHash(kB, 7, 4, 100), SequenceTracker().SettledHash(kB, 7, 4, 100));
}

}  // namespace
}  // namespace regionsync

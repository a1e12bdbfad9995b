// BatchFold: committing the fold of any run of batches does what committing
// each batch in turn does, on a memory store that already holds rows.
#include "store/batch_fold.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <utility>

#include "store/log_store_test_util.h"
#include "store/store_batch_gen.h"

namespace regionsync {
namespace {

using namespace log_store_test;  // NOLINT: the shared test vocabulary
using store_test::GenBatch;

RC_GTEST_PROP(BatchFold, CommittingTheFoldEqualsCommittingEachBatch, ()) {
  auto one_by_one = NewMemoryStore();
  auto folded = NewMemoryStore();
  StoreBatch start = GenBatch();
  RC_ASSERT(one_by_one->Commit(start).ok());
  RC_ASSERT(folded->Commit(start).ok());

  BatchFold fold;
  int batches = *rc::gen::inRange(0, 8);
  for (int i = 0; i < batches; ++i) {
    StoreBatch b = GenBatch();
    RC_ASSERT(one_by_one->Commit(b).ok());
    fold.Add(std::move(b));
  }
  StoreBatch merged = fold.Take();
  RC_ASSERT(fold.empty());
  RC_ASSERT(folded->Commit(merged).ok());
  RC_ASSERT(Read(*folded) == Read(*one_by_one));
  RC_ASSERT(InOrder(*folded) == InOrder(*one_by_one));  // deltas in their order too
}

TEST(BatchFoldTest, ALaterPutReplacesAndADeleteDropsEarlierRows) {
  BatchFold fold;
  StoreBatch first;
  first.put_state["k"] = Value("old");
  first.append_delta["k"].push_back(Value("d"));
  first.put_outbox[{1, "k"}] = Value("o");
  fold.Add(std::move(first));
  StoreBatch second;
  second.put_state["k"] = Value("new");
  second.delete_outbox_generations.insert(1);
  fold.Add(std::move(second));
  StoreBatch merged = fold.Take();
  ASSERT_EQ(merged.put_state.size(), 1u);
  EXPECT_EQ(merged.put_state.at("k").bytes, "new");
  EXPECT_TRUE(merged.append_delta.empty());
  EXPECT_TRUE(merged.put_outbox.empty());
  EXPECT_EQ(merged.delete_outbox_generations, std::set<uint64_t>{1});
}

}  // namespace
}  // namespace regionsync

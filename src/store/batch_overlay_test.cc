// BatchOverlay: reading a store through a batch equals reading the store
// after committing that batch, rows in the same order.
#include "store/batch_overlay.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "store/log_store_test_util.h"
#include "store/store_batch_gen.h"

namespace regionsync {
namespace {

using namespace log_store_test;  // NOLINT: the shared test vocabulary
using store_test::GenBatch;

RC_GTEST_PROP(BatchOverlay, ReadingThroughABatchEqualsCommittingIt, ()) {
  auto inner = NewMemoryStore();
  auto committed = NewMemoryStore();
  int before = *rc::gen::inRange(0, 4);
  for (int i = 0; i < before; ++i) {
    StoreBatch b = GenBatch();
    RC_ASSERT(inner->Commit(b).ok());
    RC_ASSERT(committed->Commit(b).ok());
  }
  StoreBatch over = GenBatch();
  RC_ASSERT(committed->Commit(over).ok());
  BatchOverlay view(*inner, over);
  RC_ASSERT(Read(view) == Read(*committed));
  RC_ASSERT(InOrder(view) == InOrder(*committed));
  RC_ASSERT(view.StateCountHint() >= committed->StateCountHint());
}

TEST(BatchOverlayTest, IsReadOnly) {
  auto inner = NewMemoryStore();
  StoreBatch over;
  BatchOverlay view(*inner, over);
  EXPECT_EQ(view.Commit(over).code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace regionsync

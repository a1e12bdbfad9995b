// Model test: whatever the mix of commits, reads, applies (failed ones
// too), crashes at any point and reopens, the log store holds what applying
// every committed batch in order to a memory store holds: readers see it
// at once (a replay is applied later), the inner store after an apply.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "regionsync/store/log_store.h"
#include "store/log_store_test_util.h"
#include "store/store_batch_gen.h"

namespace regionsync {
namespace {

using namespace log_store_test;  // NOLINT: the shared test vocabulary
using store_test::GenBatch;

enum class Step { kCommit, kRead, kApply, kFailedApply, kCrash, kCrashBeforeDelete, kCleanReopen };

RC_GTEST_PROP(LogStoreModel, EqualsApplyingEveryCommittedBatchInOrder, ()) {
  TempDir dir;
  auto inner = std::shared_ptr<Store>(NewMemoryStore());
  auto faults = std::make_shared<Faults>();
  auto reference = NewMemoryStore();
  LogStoreOptions options;
  options.fsync = *rc::gen::element(FsyncPolicy::kAlways, FsyncPolicy::kEveryInterval);
  options.fsync_interval_millis = 1;
  options.background_apply = *rc::gen::arbitrary<bool>();
  options.apply_interval_millis = *rc::gen::inRange<uint64_t>(1, 10);
  options.max_pending_bytes = *rc::gen::element<size_t>(1, 200, 8 << 20);
  auto open = [&] {
    Result<std::unique_ptr<LogStore>> store =
        LogStore::Open(std::make_unique<SharedStore>(inner, faults), dir.prefix(), options);
    RC_ASSERT(store.ok());
    RC_ASSERT(store->get()->stats().dropped_tail_bytes == 0u);
    return std::move(store).value();
  };
  auto check_inner = [&] { RC_ASSERT(Read(*inner) == Read(*reference)); };
  std::unique_ptr<LogStore> store = open();
  auto check_reads = [&] { RC_ASSERT(Read(*store) == Read(*reference)); };

  int steps = *rc::gen::inRange(1, 40);
  for (int i = 0; i < steps; ++i) {
    // Mostly commits; crash-before-delete restores files, which only makes
    // sense when no background thread rotates behind the test's back.
    Step step = *rc::gen::weightedElement<Step>({{12, Step::kCommit},
                                                  {2, Step::kRead},
                                                  {2, Step::kApply},
                                                  {1, Step::kFailedApply},
                                                  {2, Step::kCrash},
                                                  {options.background_apply ? 0u : 1u, Step::kCrashBeforeDelete},
                                                  {1, Step::kCleanReopen}});
    switch (step) {
      case Step::kCommit: {
        StoreBatch b = GenBatch();
        Status s = store->Commit(b);
        if (s.code() == StatusCode::kResourceExhausted) {
          // Over max_pending_bytes right after an injected failure.
          RC_ASSERT(store->ApplyNow().ok());
          s = store->Commit(b);
        }
        RC_ASSERT(s.ok());
        RC_ASSERT(reference->Commit(b).ok());
        break;
      }
      case Step::kRead:
        check_reads();
        break;
      case Step::kApply:
        RC_ASSERT(store->ApplyNow().ok());
        check_inner();
        break;
      case Step::kFailedApply:
        faults->fail_commits = 1;
        (void)store->ApplyNow();  // fails if anything was pending
        faults->fail_commits = 0;
        break;
      case Step::kCrash:
        store->CrashForTesting();
        store.reset();
        store = open();
        check_reads();
        break;
      case Step::kCrashBeforeDelete: {
        std::map<fs::path, std::string> saved;
        for (const fs::path& f : LogFiles(dir.path())) saved[f] = ReadFile(f);
        RC_ASSERT(store->ApplyNow().ok());
        store->CrashForTesting();
        store.reset();
        for (const auto& [path, data] : saved) {
          if (!fs::exists(path)) WriteFile(path, data);
        }
        store = open();
        check_reads();
        break;
      }
      case Step::kCleanReopen:
        store.reset();
        check_inner();
        RC_ASSERT(LogFiles(dir.path()).empty());
        store = open();
        break;
    }
  }
  RC_ASSERT(Read(*store) == Read(*reference));
}

}  // namespace
}  // namespace regionsync

// BatchOverlay: a read-only view of a store as it would be after committing
// one more batch to it, without committing it. The log store reads through
// it while a batch it replayed at open (or one whose apply failed) is not in
// the inner store yet, so a restart does not wait for that apply. Each read
// walks the inner store's rows once, in their order, beside the batch's
// ordered maps. Internal to src/store.
//
//   BatchOverlay view(inner, replayed);
//   view.ForEachState([&](const std::string& key, const StoredValue& v) { ... });
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "regionsync/store/store.h"

namespace regionsync {

class BatchOverlay final : public Store {
 public:
  // Both must outlive the view and stay unchanged while it reads.
  BatchOverlay(Store& inner, const StoreBatch& over) : inner_(inner), over_(over) {}

  Result<StoreMeta> LoadMeta() override;
  // The inner store's hint plus the batch's puts (deletes are not subtracted).
  size_t StateCountHint() override;
  Status ForEachState(const std::function<void(const std::string& key, const StoredValue&)>& fn) override;
  Status ForEachDelta(const std::function<void(const std::string& key, const StoredValue&)>& fn) override;
  Status ForEachOutbox(
      const std::function<void(uint64_t generation, const std::string& key, const StoredValue&)>& fn) override;
  // A view is read-only: Internal.
  Status Commit(const StoreBatch& batch) override;

 private:
  Store& inner_;
  const StoreBatch& over_;
};

}  // namespace regionsync

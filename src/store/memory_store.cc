#include <mutex>

#include "regionsync/store/store.h"

namespace regionsync {
namespace {

class MemoryStore final : public Store {
 public:
  Result<StoreMeta> LoadMeta() override {
    std::lock_guard lock(mu_);
    return meta_;
  }

  Status ForEachState(const std::function<void(const std::string&, const StoredValue&)>& fn) override {
    std::lock_guard lock(mu_);
    for (const auto& [key, value] : state_) fn(key, value);
    return Status::Ok();
  }

  size_t StateCountHint() override {
    std::lock_guard lock(mu_);
    return state_.size();
  }

  Status ForEachDelta(const std::function<void(const std::string&, const StoredValue&)>& fn) override {
    std::lock_guard lock(mu_);
    for (const auto& [key, deltas] : deltas_) {
      for (const StoredValue& delta : deltas) fn(key, delta);
    }
    return Status::Ok();
  }

  Status ForEachOutbox(const std::function<void(uint64_t, const std::string&, const StoredValue&)>& fn) override {
    std::lock_guard lock(mu_);
    for (const auto& [gk, value] : outbox_) fn(gk.first, gk.second, value);
    return Status::Ok();
  }

  Status Commit(const StoreBatch& batch) override {
    std::lock_guard lock(mu_);
    if (batch.meta) meta_ = *batch.meta;
    for (const std::string& key : batch.delete_state) {
      state_.erase(key);
      deltas_.erase(key);
    }
    for (const auto& [key, value] : batch.put_state) {
      state_[key] = value;
      deltas_.erase(key);
    }
    for (const auto& [key, deltas] : batch.append_delta) {
      auto& logged = deltas_[key];
      logged.insert(logged.end(), deltas.begin(), deltas.end());
    }
    for (uint64_t gen : batch.delete_outbox_generations) {
      outbox_.erase(outbox_.lower_bound({gen, std::string()}), outbox_.lower_bound({gen + 1, std::string()}));
    }
    for (const auto& [gk, value] : batch.put_outbox) outbox_[gk] = value;
    return Status::Ok();
  }

 private:
  std::mutex mu_;
  StoreMeta meta_;
  std::map<std::string, StoredValue> state_;
  std::map<std::string, std::vector<StoredValue>> deltas_;
  std::map<std::pair<uint64_t, std::string>, StoredValue> outbox_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace regionsync

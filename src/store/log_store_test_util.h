// Test support for the log store's tests (log_store_test.cc and
// log_store_model_test.cc): a comparable dump of a store, an inner store
// that survives the LogStore and fails on request, and temporary log
// directories. Internal to src/store.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "regionsync/store/store.h"

namespace regionsync::log_store_test {

namespace fs = std::filesystem;

// Everything a store holds, comparable.
struct Contents {
  StoreMeta meta;
  std::map<std::string, StoredValue> state;
  std::map<std::pair<uint64_t, std::string>, StoredValue> outbox;
  // As a set: the Replica joins them, so a delta applied twice (a replay
  // after a crash between apply and delete) means the same state.
  std::map<std::string, std::set<std::pair<int, std::string>>> deltas;
  bool operator==(const Contents&) const = default;
};

Contents Read(Store& store) {
  Contents c;
  Result<StoreMeta> meta = store.LoadMeta();
  EXPECT_TRUE(meta.ok()) << meta.status().ToString();
  if (meta.ok()) c.meta = *meta;
  Status s = store.ForEachState([&](const std::string& k, const StoredValue& v) { c.state[k] = v; });
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = store.ForEachOutbox([&](uint64_t g, const std::string& k, const StoredValue& v) { c.outbox[{g, k}] = v; });
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = store.ForEachDelta([&](const std::string& k, const StoredValue& v) { c.deltas[k].emplace(v.type, v.bytes); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return c;
}

// Every row of every reader, in the order the reader gives them (Read() keeps
// maps and sets, which hide order and duplicates).
using Rows = std::vector<std::tuple<uint64_t, std::string, StoredValue>>;
inline std::tuple<Rows, Rows, Rows> InOrder(Store& store) {
  Rows states, deltas, outbox;
  EXPECT_TRUE(store.ForEachState([&](const std::string& k, const StoredValue& v) { states.emplace_back(0, k, v); }).ok());
  EXPECT_TRUE(store.ForEachDelta([&](const std::string& k, const StoredValue& v) { deltas.emplace_back(0, k, v); }).ok());
  EXPECT_TRUE(
      store.ForEachOutbox([&](uint64_t g, const std::string& k, const StoredValue& v) { outbox.emplace_back(g, k, v); })
          .ok());
  return {states, deltas, outbox};
}

// Injected inner-store failures, shared with the test.
struct Faults {
  std::atomic<int> fail_commits{0};
};

// Forwards to a store the test keeps (so it survives the LogStore, like a
// disk survives a crash) and fails Commits on request.
class SharedStore final : public Store {
 public:
  SharedStore(std::shared_ptr<Store> target, std::shared_ptr<Faults> faults)
      : target_(std::move(target)), faults_(std::move(faults)) {}
  Result<StoreMeta> LoadMeta() override { return target_->LoadMeta(); }
  Status ForEachState(const std::function<void(const std::string&, const StoredValue&)>& fn) override {
    return target_->ForEachState(fn);
  }
  Status ForEachOutbox(const std::function<void(uint64_t, const std::string&, const StoredValue&)>& fn) override {
    return target_->ForEachOutbox(fn);
  }
  Status ForEachDelta(const std::function<void(const std::string&, const StoredValue&)>& fn) override {
    return target_->ForEachDelta(fn);
  }
  Status Commit(const StoreBatch& batch) override {
    int n = faults_->fail_commits.load();
    while (n > 0) {
      if (faults_->fail_commits.compare_exchange_weak(n, n - 1)) return Unavailable("injected inner failure");
    }
    return target_->Commit(batch);
  }

 private:
  std::shared_ptr<Store> target_;
  std::shared_ptr<Faults> faults_;
};

// A fresh directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "regionsync_log_XXXXXX";
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string prefix() const { return path_ + "/store.log"; }

 private:
  std::string path_;
};

// Log files in `dir`, by name (which is by seq: names are zero-padded).
std::vector<fs::path> LogFiles(const std::string& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("store.log.", 0) == 0) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void WriteFile(const fs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

StoredValue Value(std::string bytes) { return {pb::G_COUNTER, std::move(bytes)}; }

}  // namespace regionsync::log_store_test

// What the store benchmarks share: a temporary directory removed at the end,
// and the daemon's store in it (a LogStore over SQLite, fsync every 1000 ms,
// as `regionsyncd --fsync every:1000`).
//
//   BenchDir dir("commit_bench");
//   Result<std::unique_ptr<LogStore>> store = OpenDaemonStore(dir.path());
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "regionsync/store/log_store.h"
#include "regionsync/store/sqlite_store.h"

namespace regionsync {

class BenchDir {
 public:
  // A new directory under the system's temp directory; path() is empty if
  // it could not be made.
  explicit BenchDir(const std::string& name) {
    std::string pattern = std::filesystem::temp_directory_path().string() + "/regionsync_" + name + "_";
    pattern += "XXXXXX";  // mkdtemp's template
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~BenchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  const std::string& path() const { return path_; }
  // Keeps the directory after the benchmark; returns its path.
  std::string Release() { return std::exchange(path_, std::string()); }

 private:
  std::string path_;
};

// The daemon's store in `dir` (store.db and its log store.db.log.*).
inline Result<std::unique_ptr<LogStore>> OpenDaemonStore(const std::string& dir, bool background_apply = true) {
  Result<std::unique_ptr<Store>> sqlite = OpenSqliteStore(dir + "/store.db");  // kAlways: the log's inner store
  if (!sqlite.ok()) return sqlite.status();
  LogStoreOptions options;
  options.fsync = FsyncPolicy::kEveryInterval;
  options.fsync_interval_millis = 1000;
  options.background_apply = background_apply;
  return LogStore::Open(std::move(sqlite).value(), dir + "/store.db.log", options);
}

}  // namespace regionsync

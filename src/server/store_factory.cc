#include "regionsync/server/store_factory.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "regionsync/store/log_store.h"
#include "regionsync/store/sqlite_store.h"

namespace regionsync {

const char* DaemonStoreKind() { return "sqlite+log"; }

Result<std::unique_ptr<Store>> OpenDaemonStore(const std::string& path, const FsyncSetting& fsync) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Unavailable("cannot create data folder '" + parent.string() + "': " + ec.message());
  }
  // The SQLite file holds the state; a commit is an append to the log in
  // front of it, applied to SQLite in the background (docs/durability.md).
  // SQLite itself syncs every apply: the log is deleted right after.
  Result<std::unique_ptr<Store>> sqlite = OpenSqliteStore(path, SqliteStoreOptions{.fsync = FsyncPolicy::kAlways});
  if (!sqlite.ok()) return sqlite.status();
  LogStoreOptions options;
  options.fsync = fsync.always ? FsyncPolicy::kAlways : FsyncPolicy::kEveryInterval;
  if (!fsync.always) options.fsync_interval_millis = fsync.interval_millis;
  // Apply to SQLite once a second (up to 32 MiB of log): a key written
  // many times in that window is written to SQLite once, which is most of
  // the SQLite work over a hot keyspace (SET over 100 000 keys: +25 % with
  // 1 s instead of the log's default 200 ms). A restart after kill -9
  // replays at most this window (docs/durability.md).
  options.apply_interval_millis = 1000;
  options.max_pending_bytes = 32 << 20;
  options.drop_after_bad_record = !fsync.always;  // a power loss may leave a hole in the unsynced window
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(std::move(sqlite).value(), path + ".log", options);
  if (!store.ok()) return store.status();
  LogStoreStats stats = (*store)->stats();
  if (stats.replayed_records > 0 || stats.dropped_tail_bytes > 0) {
    spdlog::log(stats.dropped_valid_records > 0 ? spdlog::level::warn : spdlog::level::info,
                "msg=\"replayed the store's log\" store={} files={} records={} dropped_tail_bytes={} "
                "dropped_records_after_a_hole={}",
                path, stats.replayed_files, stats.replayed_records, stats.dropped_tail_bytes,
                stats.dropped_valid_records);
  }
  return std::unique_ptr<Store>(std::move(store).value());
}

}  // namespace regionsync

#include "regionsync/server/store_factory.h"

#include <filesystem>
#include <system_error>

#include "regionsync/store/sqlite_store.h"

namespace regionsync {

const char* DaemonStoreKind() { return "sqlite"; }

Result<std::unique_ptr<Store>> OpenDaemonStore(const std::string& path, const FsyncSetting& fsync) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Unavailable("cannot create data folder '" + parent.string() + "': " + ec.message());
  }
  SqliteStoreOptions options;
  options.fsync = fsync.always ? FsyncPolicy::kAlways : FsyncPolicy::kEveryInterval;
  if (!fsync.always) options.fsync_interval_millis = fsync.interval_millis;
  return OpenSqliteStore(path, options);
}

}  // namespace regionsync

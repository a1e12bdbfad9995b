// OpenDaemonStore: the one place that decides which Store backs a daemon
// replica: the SQLite store (WAL mode) behind a write-ahead log with the
// configured fsync policy.
// Creates the folder of `path` if needed.
//
//   Result<std::unique_ptr<Store>> store = OpenDaemonStore("/var/lib/rs/store.db", config.fsync);
#pragma once

#include <memory>
#include <string>

#include "regionsync/common/status.h"
#include "regionsync/server/config.h"
#include "regionsync/store/store.h"

namespace regionsync {

Result<std::unique_ptr<Store>> OpenDaemonStore(const std::string& path, const FsyncSetting& fsync);
// "sqlite+log"; shown by /v1/status.
const char* DaemonStoreKind();

}  // namespace regionsync

// SqliteStore: the durable Store of the daemon, one SQLite database file in
// WAL mode. Each Commit(batch) is one SQLite transaction, so a crash keeps all
// of a batch or none of it; the fsync policy decides whether an acknowledged
// batch also survives an OS crash or power loss (docs/durability.md has the
// schema and what each policy risks).
//
// The store holds an exclusive lock on the file while it is open: a second
// process (or a second OpenSqliteStore in this one) on the same path fails
// with Unavailable, because two replicas sharing one epoch would reuse dots.
//
//   Result<std::unique_ptr<Store>> store = OpenSqliteStore("/var/lib/regionsync/us-east-1.db");
//   if (!store.ok()) return store.status();
//   auto replica = Replica::Open("us-east-1/a", env, store->get());
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "regionsync/common/status.h"
#include "regionsync/store/store.h"

namespace regionsync {

enum class FsyncPolicy {
  // Every Commit is fsynced before it returns (synchronous=FULL): an
  // acknowledged batch survives a process crash, an OS crash and power loss.
  kAlways,
  // Commits reach the OS before they return (synchronous=NORMAL in WAL mode)
  // and a background thread fsyncs them at most every fsync_interval_millis:
  // an acknowledged batch survives a process crash, but an OS crash or power
  // loss may lose the batches of about the last interval (never part of one).
  kEveryInterval,
};

struct SqliteStoreOptions {
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  // kEveryInterval only: the longest time a committed batch stays unsynced
  // (plus the time one sync takes). REQUIRES: > 0.
  uint64_t fsync_interval_millis = 100;
};

// Opens the store at `path`, creating the file and its schema if missing.
// Errors: InvalidArgument if the file was written by a newer schema version,
// DataLoss if it is not a regionsync store or is corrupt, Unavailable if
// another store holds it open, Internal for other SQLite failures (the message
// carries SQLite's). The returned store is thread-safe; the callbacks of
// ForEachState/ForEachOutbox run under its lock and must not call the store.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, SqliteStoreOptions options = {});

}  // namespace regionsync

// LogStore: a write-ahead log in front of any Store, so that a Commit is one
// small append (one write(), plus one fdatasync with FsyncPolicy::kAlways)
// instead of an inner transaction. A background thread merges the logged
// batches and applies them to the inner store every apply_interval_millis
// (one inner Commit), then deletes the log files they were in. Opening
// folds what a crash left in the log into one batch, which reads see over
// the inner store at once and the background thread applies like any other
// (a restart does not wait for that apply). The file and record format is
// described at the top of src/store/log_record.h.
//
//   Result<std::unique_ptr<Store>> sqlite = OpenSqliteStore(path);  // kAlways
//   if (!sqlite.ok()) return sqlite.status();
//   LogStoreOptions options;
//   options.fsync = FsyncPolicy::kEveryInterval;
//   Result<std::unique_ptr<Store>> store =
//       OpenLogStore(std::move(sqlite).value(), path + ".log", options);
//   if (!store.ok()) return store.status();
//   auto replica = Replica::Open("us-east-1/a", env, store->get());
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "regionsync/common/status.h"
#include "regionsync/store/sqlite_store.h"
#include "regionsync/store/store.h"

namespace regionsync {

struct LogStoreOptions {
  // kAlways: Commit fdatasyncs the log before it returns. kEveryInterval: a
  // background thread fdatasyncs the log at most every fsync_interval_millis;
  // a power loss may lose about that window (see drop_after_bad_record); a
  // process crash loses nothing a Commit returned OK for, because the append
  // reached the kernel.
  FsyncPolicy fsync = FsyncPolicy::kAlways;
  uint64_t fsync_interval_millis = 100;  // REQUIRES: > 0 with kEveryInterval
  // How often logged batches are applied to the inner store (merged into one
  // inner Commit), after which their log files are deleted. Also applied when
  // the unapplied batches exceed max_pending_bytes: then Commit waits for the
  // apply (bounded memory), or fails if the last apply failed.
  uint64_t apply_interval_millis = 200;
  size_t max_pending_bytes = 8 << 20;
  // At open, a bad record followed by valid ones: false: DataLoss (the log
  // was damaged by more than a crash); true: drop everything from the bad
  // record on, like a torn tail. With kEveryInterval a power loss can leave
  // exactly that (the kernel may have written back later pages of the
  // unsynced window but not earlier ones), and what is dropped is that
  // window, which the policy does not promise to keep: set it then.
  bool drop_after_bad_record = false;
  // Tests only: false runs no background thread; batches are applied only by
  // LogStore::ApplyNow, the readers (the batches committed since the open or
  // the last apply), max_pending_bytes, and the destructor, and nothing
  // fsyncs the log in the background (kEveryInterval).
  bool background_apply = true;
};

// What opening found, and what the store did since.
struct LogStoreStats {
  uint64_t replayed_files = 0;      // log files found at open
  uint64_t replayed_records = 0;    // valid records found at open (applied by the next apply)
  uint64_t dropped_tail_bytes = 0;  // torn tail dropped at open (a crash)
  uint64_t dropped_valid_records = 0;  // valid records after a bad one, dropped (drop_after_bad_record)
  uint64_t appended_records = 0;
  uint64_t applies = 0;             // successful inner Commits since open
  uint64_t apply_failures = 0;      // failed inner Commits (retried later)
  uint64_t rotation_failures = 0;   // a new log file could not be created
};

class LogStore : public Store {
 public:
  // Wraps `inner`, which must make each Commit durable before it returns
  // (e.g. a SqliteStore opened with kAlways): the log files of a batch are
  // deleted as soon as the inner Commit of it returned OK. Log files are
  // `<log_prefix>.<seq>` (e.g. "/var/lib/x/store.db.log.00000042"); the
  // directory must exist. Opening folds every valid record of the existing
  // log files in order into one batch and starts a new log file. Readers see
  // that batch over `inner` at once; the background thread commits it to
  // `inner` once reads have been quiet for apply_interval_millis (the
  // replica's restore reads first), then deletes the old files. A failed
  // commit of it is retried like any apply. A torn or corrupt tail (nothing
  // valid after it, in this file or a later one) is what a crash during an
  // append leaves: it is cut off the file (durably, as the file stays until
  // that apply) and counted in stats().dropped_tail_bytes.
  // Errors: DataLoss if a bad record is followed by a valid one (unless
  // options.drop_after_bad_record), a valid
  // record does not decode, or a file in the sequence is missing (something
  // other than a crash damaged the log); Unavailable if a log file cannot be
  // read, cut or created.
  static Result<std::unique_ptr<LogStore>> Open(std::unique_ptr<Store> inner, std::string log_prefix,
                                                LogStoreOptions options = {});

  // Applies every logged batch to the inner store now and deletes their log
  // files. Returns the inner store's error (the batches stay logged and
  // pending, and are retried) or Unavailable if a file cannot be deleted.
  virtual Status ApplyNow() = 0;

  virtual LogStoreStats stats() = 0;

  // Tests only: behaves like a process crash. Stops the background thread
  // (waiting for an apply it is running) and closes the log without applying
  // the pending batches or deleting anything. REQUIRES: the only call after
  // it is the destructor.
  virtual void CrashForTesting() = 0;
};

// LogStore::Open as a plain Store (what the daemon needs).
Result<std::unique_ptr<Store>> OpenLogStore(std::unique_ptr<Store> inner, std::string log_prefix,
                                            LogStoreOptions options = {});

}  // namespace regionsync

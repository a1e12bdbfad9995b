// LogStore: the log files, the replay at open and the background apply.
// The record format is in log_record.h.
#include "regionsync/store/log_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "store/batch_fold.h"
#include "store/batch_overlay.h"
#include "store/log_record.h"

namespace regionsync {
namespace {

using log_record::DecodePayload;
using log_record::EncodeRecord;
using log_record::ValidRecordAt;

std::string ErrnoText(int error) { return std::error_code(error, std::generic_category()).message(); }


Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return Unavailable("opening log directory " + dir + ": " + ErrnoText(error));
  }
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  if (rc != 0) return Unavailable("fsync of log directory " + dir + ": " + ErrnoText(error));
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return Unavailable("opening log file " + path + ": " + ErrnoText(error));
  }
  std::string data;
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return Unavailable("reading log file " + path + ": " + ErrnoText(error));
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

struct LogFile {
  uint64_t seq = 0;
  std::string path;
  int fd = -1;
};

std::string LogPath(const std::string& prefix, uint64_t seq) {
  std::string digits = std::to_string(seq);
  if (digits.size() < 8) digits.insert(0, 8 - digits.size(), '0');
  return prefix + "." + digits;
}

// The log files of `prefix`, by seq.
Result<std::vector<LogFile>> ListLogFiles(const std::string& dir, const std::string& base,
                                          const std::string& prefix) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    int error = errno;
    return Unavailable("listing log directory " + dir + ": " + ErrnoText(error));
  }
  std::vector<LogFile> files;
  while (struct dirent* entry = ::readdir(d)) {
    std::string_view name = entry->d_name;
    if (name.size() <= base.size() + 1 || name.substr(0, base.size()) != base || name[base.size()] != '.') continue;
    std::string_view digits = name.substr(base.size() + 1);
    if (digits.size() > 19 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    LogFile file;
    file.seq = std::stoull(std::string(digits));
    file.path = dir + "/" + std::string(name);
    files.push_back(std::move(file));
  }
  ::closedir(d);
  std::sort(files.begin(), files.end(), [](const LogFile& a, const LogFile& b) { return a.seq < b.seq; });
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].seq == files[i - 1].seq) {
      return DataLoss("log files " + files[i - 1].path + " and " + files[i].path + " have the same number");
    }
    if (files[i].seq != files[i - 1].seq + 1) {
      return DataLoss("log file " + LogPath(prefix, files[i - 1].seq + 1) + " is missing between " +
                      files[i - 1].path + " and " + files[i].path);
    }
  }
  return files;
}

// Folds the records of `records` (valid ones, as Commit appended them)
// into `into`.
Status FoldRecords(std::string_view records, BatchFold* into) {
  size_t offset = 0;
  std::string_view payload;
  while (size_t size = ValidRecordAt(records, offset, &payload)) {
    Result<StoreBatch> batch = DecodePayload(payload);
    if (!batch.ok()) return Internal("log store: a pending record does not decode: " + batch.status().ToString());
    into->Add(std::move(batch).value());
    offset += size;
  }
  if (offset != records.size()) return Internal("log store: a pending record is not valid");
  return Status::Ok();
}

class LogStoreImpl final : public LogStore {
 public:
  LogStoreImpl(std::unique_ptr<Store> inner, std::string prefix, LogStoreOptions options);
  ~LogStoreImpl() override;
  Status Init();

  Result<StoreMeta> LoadMeta() override;
  Status ForEachState(const std::function<void(const std::string&, const StoredValue&)>& fn) override;
  size_t StateCountHint() override;
  Status ForEachDelta(const std::function<void(const std::string&, const StoredValue&)>& fn) override;
  Status ForEachOutbox(const std::function<void(uint64_t, const std::string&, const StoredValue&)>& fn) override;
  Status Commit(const StoreBatch& batch) override;
  Status ApplyNow() override { return ApplyPending(/*rotate=*/true); }
  LogStoreStats stats() override {
    std::lock_guard lock(mu_);
    return stats_;
  }
  void CrashForTesting() override { Abandon(); }
  // Stops the thread and closes the log, applying and deleting nothing.
  void Abandon();

 private:
  Status Replay();
  // Cuts the files' bytes from `valid_end` in files[torn] on (a torn tail,
  // or what drop_after_bad_record drops), durably: the files stay until
  // their batch is applied, and a torn record must not sit in front of the
  // records appended after this open.
  Status CutTail(const std::vector<LogFile>& files, size_t torn, size_t valid_end);
  // Runs read() over the inner store as the batches committed so far left
  // it: applies those appended since the last apply first (as a Commit
  // would have), and reads through retained_ (a replay or a failed apply)
  // without applying it. Holds apply_mu_ throughout.
  Status Read(const std::function<Status(Store&)>& read);
  // Creates log file `seq` and makes its directory entry durable.
  Result<LogFile> CreateLogFile(uint64_t seq);
  // Applies every pending batch to the inner store; with `rotate`, first
  // moves appends to a new log file so the old one can be deleted after.
  Status ApplyPending(bool rotate);
  Status ApplyPendingLocked(bool rotate);  // REQUIRES: apply_mu_ held
  // Deletes retired_ in order. REQUIRES: apply_mu_ held.
  Status DeleteRetired();
  void SyncLog();
  void BackgroundLoop();
  void StopThread();

  const std::unique_ptr<Store> inner_;
  const std::string prefix_;
  const LogStoreOptions options_;
  std::string dir_;

  // Serializes applies, so an older batch never reaches the inner store after
  // a newer one, and guards the lifetime of log fds. Taken before mu_.
  std::mutex apply_mu_;
  uint64_t next_seq_ = 1;
  // Batches in the log but not in the inner store, applied in front of newer
  // ones: what the open replayed, and taken batches whose inner Commit failed.
  StoreBatch retained_;
  // Closed log files whose records are all in retained_ or applied. Deleted
  // oldest first, so the files left after a crash are always a suffix of the
  // log (replaying a suffix over the inner store is harmless, a gap is not).
  std::deque<LogFile> retired_;

  std::mutex mu_;
  std::condition_variable work_cv_;     // wakes the background thread
  std::condition_variable applied_cv_;  // an apply finished
  LogFile current_;                     // written under mu_; swapped under apply_mu_ too
  std::string record_;                  // encode buffer, reused
  // The records appended since the last apply took them, as written to the
  // log: merged into one batch by the apply (off the commit path).
  std::string pending_;
  size_t in_flight_bytes_ = 0;  // log bytes taken by an apply, not yet applied
  bool unsynced_ = false;       // kEveryInterval: appends since the last fdatasync
  bool replay_unapplied_ = false;  // the open's replay is not applied yet
  // Reads in progress, and when the last one ended: the background apply
  // waits until reads have been quiet for an apply interval, so a replica
  // restoring right after the open reads without waiting for the replay's
  // apply (its reads come one after another).
  int readers_ = 0;
  std::chrono::steady_clock::time_point last_read_end_;
  bool apply_requested_ = false;
  bool closing_ = false;
  bool crashed_ = false;
  // A failed append or fdatasync may have left a torn record or lost
  // acknowledged ones, so it fails every later Commit.
  Status error_;
  Status last_apply_error_;
  LogStoreStats stats_;
  std::thread thread_;
};

LogStoreImpl::LogStoreImpl(std::unique_ptr<Store> inner, std::string prefix, LogStoreOptions options)
    : inner_(std::move(inner)), prefix_(std::move(prefix)), options_(options) {
  size_t slash = prefix_.rfind('/');
  dir_ = slash == std::string::npos ? "." : slash == 0 ? "/" : prefix_.substr(0, slash);
}

Status LogStoreImpl::Init() {
  RS_RETURN_IF_ERROR(Replay());
  Result<LogFile> file = CreateLogFile(next_seq_);
  if (!file.ok()) return file.status();
  current_ = std::move(file).value();
  ++next_seq_;
  if (options_.background_apply) thread_ = std::thread([this] { BackgroundLoop(); });
  return Status::Ok();
}

Status LogStoreImpl::Replay() {
  size_t slash = prefix_.rfind('/');
  std::string base = slash == std::string::npos ? prefix_ : prefix_.substr(slash + 1);
  Result<std::vector<LogFile>> files = ListLogFiles(dir_, base, prefix_);
  if (!files.ok()) return files.status();
  if (files->empty()) return Status::Ok();

  BatchFold merged;
  std::string torn_at;  // where the first bad record is, once found
  size_t torn_file = 0, torn_offset = 0;
  for (size_t i = 0; i < files->size(); ++i) {
    const LogFile& file = (*files)[i];
    Result<std::string> data = ReadWholeFile(file.path);
    if (!data.ok()) return data.status();
    ++stats_.replayed_files;
    size_t offset = 0;
    if (torn_at.empty()) {
      std::string_view payload;
      while (size_t size = ValidRecordAt(*data, offset, &payload)) {
        Result<StoreBatch> batch = DecodePayload(payload);
        if (!batch.ok()) {
          return DataLoss(file.path + " at offset " + std::to_string(offset) + ": " + batch.status().message());
        }
        merged.Add(std::move(batch).value());
        ++stats_.replayed_records;
        offset += size;
      }
      if (offset == data->size()) continue;
      torn_at = file.path + " at offset " + std::to_string(offset);
      torn_file = i;
      torn_offset = offset;
    }
    // A crash tears only the last append, so nothing valid may follow.
    stats_.dropped_tail_bytes += data->size() - offset;
    for (size_t at = offset; at < data->size(); ++at) {
      std::string_view payload;
      if (ValidRecordAt(*data, at, &payload) != 0) {
        if (!options_.drop_after_bad_record) {
          return DataLoss("log record in " + torn_at + " is corrupt but a valid record follows it in " + file.path +
                          " at offset " + std::to_string(at) + "; the log was damaged by more than a crash");
        }
        ++stats_.dropped_valid_records;
      }
    }
  }
  if (!torn_at.empty()) RS_RETURN_IF_ERROR(CutTail(*files, torn_file, torn_offset));
  // Not applied here: readers see it through retained_ at once, and the
  // background thread applies it (then deletes the files) like any batch.
  retained_ = merged.Take();
  replay_unapplied_ = true;
  next_seq_ = files->back().seq + 1;
  for (LogFile& file : *files) retired_.push_back(std::move(file));
  return Status::Ok();
}

Status LogStoreImpl::CutTail(const std::vector<LogFile>& files, size_t torn, size_t valid_end) {
  for (size_t i = torn; i < files.size(); ++i) {
    const std::string& path = files[i].path;
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    bool ok = fd >= 0 && ::ftruncate(fd, i == torn ? static_cast<off_t>(valid_end) : 0) == 0 && ::fdatasync(fd) == 0;
    int error = errno;
    if (fd >= 0) ::close(fd);
    if (!ok) return Unavailable("cutting the torn tail of log file " + path + ": " + ErrnoText(error));
  }
  return Status::Ok();
}

Result<LogFile> LogStoreImpl::CreateLogFile(uint64_t seq) {
  LogFile file;
  file.seq = seq;
  file.path = LogPath(prefix_, seq);
  file.fd = ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (file.fd < 0) {
    int error = errno;
    return Unavailable("creating log file " + file.path + ": " + ErrnoText(error));
  }
  // fdatasync of the file does not make its directory entry durable.
  Status status = SyncDir(dir_);
  if (!status.ok()) {
    ::close(file.fd);
    ::unlink(file.path.c_str());
    return status;
  }
  return file;
}

LogStoreImpl::~LogStoreImpl() {
  if (crashed_) return;
  StopThread();
  Status status = ApplyPending(/*rotate=*/false);
  std::lock_guard apply_lock(apply_mu_);
  std::lock_guard lock(mu_);
  if (current_.fd >= 0) ::close(current_.fd);
  // Everything in the current file is applied once the retired files are
  // gone; deleting it earlier could leave a gap.
  if (status.ok() && retired_.empty() && pending_.empty() && retained_.empty()) {
    if (::unlink(current_.path.c_str()) == 0) (void)SyncDir(dir_);
  }
}

void LogStoreImpl::StopThread() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  work_cv_.notify_all();
  applied_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogStoreImpl::Abandon() {
  StopThread();
  std::lock_guard apply_lock(apply_mu_);
  std::lock_guard lock(mu_);
  if (current_.fd >= 0) ::close(current_.fd);
  current_.fd = -1;
  crashed_ = true;
}

Status LogStoreImpl::Commit(const StoreBatch& batch) {
  std::unique_lock lock(mu_);
  assert(!crashed_);
  if (!error_.ok()) return error_;
  if (batch.empty()) return Status::Ok();
  // Bounded memory: wait for the background apply instead of growing.
  while (pending_.size() + in_flight_bytes_ >= options_.max_pending_bytes) {
    if (!thread_.joinable() || closing_) {
      lock.unlock();
      RS_RETURN_IF_ERROR(ApplyPending(/*rotate=*/true));
      lock.lock();
    } else {
      if (!last_apply_error_.ok()) {
        return ResourceExhausted("log store: " + std::to_string(pending_.size() + in_flight_bytes_) +
                                 " bytes wait for the inner store, which failed: " + last_apply_error_.ToString());
      }
      apply_requested_ = true;
      work_cv_.notify_one();
      applied_cv_.wait(lock);
    }
    if (!error_.ok()) return error_;
  }

  record_.clear();
  if (!EncodeRecord(batch, &record_)) {
    size_t size = record_.size();
    std::string().swap(record_);
    return InvalidArgument("log store: a batch of " + std::to_string(size) + " bytes is over the 4 GiB limit");
  }
  std::string_view data = record_;
  while (!data.empty()) {
    ssize_t n = ::write(current_.fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      error_ = Unavailable("appending to log file " + current_.path + ": " + ErrnoText(error) +
                           " (the log store refuses further commits)");
      return error_;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  bool wake = pending_.empty();
  if (options_.fsync == FsyncPolicy::kAlways) {
    if (::fdatasync(current_.fd) != 0) {
      int error = errno;
      error_ = DataLoss("fdatasync of log file " + current_.path + ": " + ErrnoText(error) +
                        " (the log store refuses further commits)");
      return error_;
    }
  } else if (!unsynced_) {
    unsynced_ = true;
    wake = true;
  }
  pending_ += record_;
  ++stats_.appended_records;
  // A huge batch should not pin its buffer for the life of the store.
  if (record_.capacity() > (1 << 20)) std::string().swap(record_);
  if (wake) work_cv_.notify_one();
  return Status::Ok();
}

Status LogStoreImpl::ApplyPending(bool rotate) {
  std::lock_guard apply_lock(apply_mu_);
  return ApplyPendingLocked(rotate);
}

Status LogStoreImpl::ApplyPendingLocked(bool rotate) {
  bool have_pending;
  {
    std::lock_guard lock(mu_);
    if (crashed_) return Status::Ok();
    have_pending = !pending_.empty();
  }
  // Created before taking mu_ (it fsyncs the directory), so appends go on.
  std::optional<LogFile> next;
  if (rotate && have_pending) {
    Result<LogFile> file = CreateLogFile(next_seq_);
    if (file.ok()) {
      next = std::move(file).value();
      ++next_seq_;
    } else {
      // Not fatal: the batches are applied anyway and the current file,
      // which then holds applied records too, is replayed harmlessly.
      std::lock_guard lock(mu_);
      ++stats_.rotation_failures;
    }
  }
  std::string taken_records;
  LogFile old;
  bool old_unsynced = false;
  {
    std::lock_guard lock(mu_);
    if (next) {
      old = std::exchange(current_, std::move(*next));
      old_unsynced = unsynced_;
      unsynced_ = false;
    }
    in_flight_bytes_ += pending_.size();
    std::swap(taken_records, pending_);
  }
  if (old.fd >= 0) {
    // The interval promise covers the retired file too, in case the apply fails.
    if (old_unsynced && ::fdatasync(old.fd) != 0) {
      int error = errno;
      std::lock_guard lock(mu_);
      if (error_.ok()) error_ = DataLoss("fdatasync of log file " + old.path + ": " + ErrnoText(error));
    }
    ::close(old.fd);
    old.fd = -1;
    retired_.push_back(std::move(old));
  }
  // What a failed apply left first: the records came after it.
  BatchFold fold;
  if (!retained_.empty()) fold.Add(std::exchange(retained_, StoreBatch()));
  Status status = FoldRecords(taken_records, &fold);
  std::string().swap(taken_records);
  StoreBatch taken = fold.Take();
  if (status.ok() && !taken.empty()) status = inner_->Commit(taken);
  {
    std::lock_guard lock(mu_);
    if (status.ok()) {
      in_flight_bytes_ = 0;
      replay_unapplied_ = false;
      if (!taken.empty()) ++stats_.applies;
    } else {
      ++stats_.apply_failures;
    }
    last_apply_error_ = status;
  }
  applied_cv_.notify_all();
  if (!status.ok()) {
    retained_ = std::move(taken);
    return status;
  }
  return DeleteRetired();
}

Status LogStoreImpl::DeleteRetired() {
  if (retired_.empty()) return Status::Ok();
  while (!retired_.empty()) {
    const LogFile& file = retired_.front();
    if (::unlink(file.path.c_str()) != 0 && errno != ENOENT) {
      int error = errno;
      return Unavailable("deleting applied log file " + file.path + ": " + ErrnoText(error));
    }
    retired_.pop_front();
  }
  // Not required for correctness (replaying applied files is harmless); it
  // keeps the deletions in order across a power loss on any file system.
  return SyncDir(dir_);
}

void LogStoreImpl::SyncLog() {
  std::lock_guard apply_lock(apply_mu_);  // keeps current_.fd open
  int fd;
  std::string path;
  {
    std::lock_guard lock(mu_);
    if (!unsynced_ || crashed_) return;
    unsynced_ = false;
    fd = current_.fd;
    path = current_.path;
  }
  if (::fdatasync(fd) != 0) {
    int error = errno;
    std::lock_guard lock(mu_);
    if (error_.ok()) {
      error_ = DataLoss("background fdatasync of log file " + path + ": " + ErrnoText(error) +
                        " (recently acknowledged batches may be lost)");
    }
  }
}

void LogStoreImpl::BackgroundLoop() {
  using Clock = std::chrono::steady_clock;
  const auto apply_interval = std::chrono::milliseconds(options_.apply_interval_millis);
  const auto sync_interval = std::chrono::milliseconds(options_.fsync_interval_millis);
  const bool interval_sync = options_.fsync == FsyncPolicy::kEveryInterval;
  auto next_apply = Clock::now() + apply_interval;
  auto next_sync = Clock::now();
  std::unique_lock lock(mu_);
  while (!closing_) {
    auto now = Clock::now();
    // retained_ is guarded by apply_mu_; it is visible here as
    // replay_unapplied_ (the open's replay) or in_flight_bytes_ > 0 (a failed
    // apply; nothing else applies while this thread waits).
    bool has_work = !pending_.empty() || in_flight_bytes_ > 0 || replay_unapplied_;
    auto apply_at = std::max(next_apply, last_read_end_ + apply_interval);
    if (apply_requested_ || (has_work && readers_ == 0 && now >= apply_at)) {
      apply_requested_ = false;
      lock.unlock();
      (void)ApplyPending(/*rotate=*/true);  // a failure is retried next interval
      lock.lock();
      next_apply = Clock::now() + apply_interval;
      continue;
    }
    if (interval_sync && unsynced_ && now >= next_sync) {
      lock.unlock();
      SyncLog();
      lock.lock();
      next_sync = Clock::now() + sync_interval;
      continue;
    }
    auto deadline = Clock::time_point::max();
    if (has_work) deadline = readers_ > 0 ? now + apply_interval : apply_at;
    if (interval_sync && unsynced_) deadline = std::min(deadline, next_sync);
    if (deadline == Clock::time_point::max()) {
      work_cv_.wait(lock);
    } else {
      work_cv_.wait_until(lock, deadline);
    }
  }
}

Status LogStoreImpl::Read(const std::function<Status(Store&)>& read) {
  {
    std::lock_guard lock(mu_);
    ++readers_;
  }
  Status status;
  {
    std::lock_guard apply_lock(apply_mu_);
    bool have_pending;
    {
      std::lock_guard lock(mu_);
      have_pending = !pending_.empty();
    }
    if (have_pending) status = ApplyPendingLocked(/*rotate=*/true);
    if (status.ok()) {
      BatchOverlay view(*inner_, retained_);
      status = read(view);
    }
  }
  std::lock_guard lock(mu_);
  --readers_;
  last_read_end_ = std::chrono::steady_clock::now();
  return status;
}

Result<StoreMeta> LogStoreImpl::LoadMeta() {
  Result<StoreMeta> meta = StoreMeta{};
  RS_RETURN_IF_ERROR(Read([&](Store& view) {
    meta = view.LoadMeta();
    return meta.status();
  }));
  return meta;
}

Status LogStoreImpl::ForEachState(const std::function<void(const std::string&, const StoredValue&)>& fn) {
  return Read([&](Store& view) { return view.ForEachState(fn); });
}

size_t LogStoreImpl::StateCountHint() {
  size_t hint = 0;
  (void)Read([&](Store& view) {  // a failure shows again in ForEachState
    hint = view.StateCountHint();
    return Status::Ok();
  });
  return hint;
}

Status LogStoreImpl::ForEachDelta(const std::function<void(const std::string&, const StoredValue&)>& fn) {
  return Read([&](Store& view) { return view.ForEachDelta(fn); });
}

Status LogStoreImpl::ForEachOutbox(const std::function<void(uint64_t, const std::string&, const StoredValue&)>& fn) {
  return Read([&](Store& view) { return view.ForEachOutbox(fn); });
}

}  // namespace

Result<std::unique_ptr<LogStore>> LogStore::Open(std::unique_ptr<Store> inner, std::string log_prefix,
                                                 LogStoreOptions options) {
  assert(inner != nullptr);
  assert(options.fsync != FsyncPolicy::kEveryInterval || options.fsync_interval_millis > 0);
  auto store = std::make_unique<LogStoreImpl>(std::move(inner), std::move(log_prefix), options);
  Status status = store->Init();
  if (!status.ok()) {
    store->Abandon();  // keeps the log files: a later open replays them
    return status;
  }
  return std::unique_ptr<LogStore>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenLogStore(std::unique_ptr<Store> inner, std::string log_prefix,
                                            LogStoreOptions options) {
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(std::move(inner), std::move(log_prefix), options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(store).value());
}

}  // namespace regionsync

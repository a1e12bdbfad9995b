#include "regionsync/store/log_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "regionsync/store/sqlite_store.h"
#include "store/log_store_test_util.h"

namespace regionsync {
namespace {

using namespace log_store_test;  // NOLINT: the shared test vocabulary

// Contents, Read, SharedStore, TempDir, ... : log_store_test_util.h.

StoreBatch PutBatch(const std::string& key, const std::string& bytes) {
  StoreBatch b;
  b.put_state[key] = Value(bytes);
  return b;
}

// Five batches that touch the same keys, so their order matters.
std::vector<StoreBatch> FiveBatches() {
  std::vector<StoreBatch> batches(5);
  batches[0].meta = StoreMeta{7, 100, 1, "boot"};
  batches[0].put_state["a"] = Value("a0");
  batches[0].put_state["b"] = Value("b0");
  batches[0].put_outbox[{1, "a"}] = Value("d0");
  batches[1].put_state["a"] = Value("a1");
  batches[1].put_outbox[{1, "b"}] = Value("d1");
  batches[2].delete_state.insert("b");
  batches[2].put_outbox[{2, "a"}] = Value("d2");
  batches[2].delete_outbox_generations.insert(1);
  batches[3].meta = StoreMeta{7, 200, 5, "boot"};
  batches[3].put_state["b"] = Value("b3");
  batches[4].put_state["a"] = Value(std::string(40, 'x'));
  batches[4].delete_outbox_generations.insert(2);
  batches[4].meta = StoreMeta{7, 300, 9, "boot"};
  return batches;
}

Contents Expected(const std::vector<StoreBatch>& batches, size_t n) {
  auto reference = NewMemoryStore();
  for (size_t i = 0; i < n; ++i) EXPECT_TRUE(reference->Commit(batches[i]).ok());
  return Read(*reference);
}

LogStoreOptions ManualOptions() {
  LogStoreOptions options;
  options.fsync = FsyncPolicy::kEveryInterval;
  options.background_apply = false;
  return options;
}

// Waits for `done` with a deadline instead of sleeping a fixed time.
template <typename Fn>
bool Eventually(Fn done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

class LogStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogStore> Open(const std::string& prefix, LogStoreOptions options = ManualOptions()) {
    Result<std::unique_ptr<LogStore>> store =
        LogStore::Open(std::make_unique<SharedStore>(inner_, faults_), prefix, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  // Opens a store, commits `batches` and crashes before any apply.
  void CommitAndCrashBeforeApply(const std::vector<StoreBatch>& batches) {
    auto store = Open(dir_.prefix());
    ASSERT_NE(store, nullptr);
    for (const StoreBatch& b : batches) ASSERT_TRUE(store->Commit(b).ok());
    store->CrashForTesting();
  }
  Status OpenStatus(const std::string& prefix) {
    Result<std::unique_ptr<LogStore>> store =
        LogStore::Open(std::make_unique<SharedStore>(inner_, faults_), prefix, ManualOptions());
    return store.ok() ? Status::Ok() : store.status();
  }

  TempDir dir_;
  std::shared_ptr<Store> inner_ = NewMemoryStore();
  std::shared_ptr<Faults> faults_ = std::make_shared<Faults>();
};

TEST_F(LogStoreTest, CleanCloseAppliesEverythingAndDeletesTheLog) {
  std::vector<StoreBatch> batches = FiveBatches();
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  for (const StoreBatch& b : batches) ASSERT_TRUE(store->Commit(b).ok());
  EXPECT_EQ(Read(*inner_), Contents{}) << "nothing reaches the inner store before an apply";
  EXPECT_EQ(store->stats().appended_records, 5u);
  store.reset();
  EXPECT_EQ(Read(*inner_), Expected(batches, 5));
  EXPECT_TRUE(LogFiles(dir_.path()).empty());
}

TEST_F(LogStoreTest, ReadersApplyPendingBatchesFirst) {
  std::vector<StoreBatch> batches = FiveBatches();
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  for (const StoreBatch& b : batches) ASSERT_TRUE(store->Commit(b).ok());
  EXPECT_EQ(Read(*store), Expected(batches, 5));
  EXPECT_EQ(store->stats().applies, 1u);
  EXPECT_EQ(LogFiles(dir_.path()).size(), 1u) << "the applied file is deleted, the new one stays";
}

TEST_F(LogStoreTest, CrashThenReopenReplaysTheLog) {
  std::vector<StoreBatch> batches = FiveBatches();
  CommitAndCrashBeforeApply(batches);
  EXPECT_EQ(Read(*inner_), Contents{});
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->stats().replayed_records, 5u);
  EXPECT_EQ(store->stats().dropped_tail_bytes, 0u);
  EXPECT_EQ(Read(*inner_), Contents{}) << "the open does not wait for the replay's apply";
  EXPECT_EQ(Read(*store), Expected(batches, 5)) << "readers see the replay at once";
  EXPECT_EQ(store->stats().applies, 0u);
  ASSERT_TRUE(store->ApplyNow().ok());
  EXPECT_EQ(Read(*inner_), Expected(batches, 5));
  EXPECT_EQ(LogFiles(dir_.path()).size(), 1u) << "the replayed file is deleted, the new one stays";
}

// Commits after the open go after the replay, in reads and in the apply.
TEST_F(LogStoreTest, CommitsAfterTheOpenFollowTheUnappliedReplay) {
  std::vector<StoreBatch> batches = FiveBatches();
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(store->Commit(batches[i]).ok());
  store->CrashForTesting();
  store.reset();
  store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  for (size_t i = 3; i < 5; ++i) ASSERT_TRUE(store->Commit(batches[i]).ok());
  store->CrashForTesting();  // before any apply: both files replay
  store.reset();
  store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->stats().replayed_files, 2u);
  EXPECT_EQ(Read(*store), Expected(batches, 5));
  ASSERT_TRUE(store->Commit(PutBatch("a", "last")).ok());
  Contents expected = Expected(batches, 5);
  expected.state["a"] = Value("last");
  EXPECT_EQ(Read(*store), expected) << "a read with new commits applies the replay and them";
  EXPECT_EQ(Read(*inner_), expected);
}

TEST_F(LogStoreTest, BackgroundThreadAppliesTheReplay) {
  std::vector<StoreBatch> batches = FiveBatches();
  CommitAndCrashBeforeApply(batches);
  LogStoreOptions options;
  options.apply_interval_millis = 1;
  auto store = Open(dir_.prefix(), options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Eventually([&] { return store->stats().applies >= 1; }));
  EXPECT_EQ(Read(*inner_), Expected(batches, 5));
  ASSERT_TRUE(Eventually([&] { return LogFiles(dir_.path()).size() == 1; }));
}

// Applied but not yet deleted (a crash between the inner Commit and the
// unlink): replaying the old file over the newer inner state changes nothing.
TEST_F(LogStoreTest, ReplayingAlreadyAppliedFilesIsHarmless) {
  std::vector<StoreBatch> batches = FiveBatches();
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  for (size_t i = 0; i < 3; ++i) ASSERT_TRUE(store->Commit(batches[i]).ok());
  std::map<fs::path, std::string> saved;
  for (const fs::path& f : LogFiles(dir_.path())) saved[f] = ReadFile(f);
  ASSERT_TRUE(store->ApplyNow().ok());
  for (size_t i = 3; i < 5; ++i) ASSERT_TRUE(store->Commit(batches[i]).ok());
  store->CrashForTesting();
  store.reset();
  for (const auto& [path, data] : saved) {
    ASSERT_FALSE(fs::exists(path));
    WriteFile(path, data);
  }
  ASSERT_EQ(LogFiles(dir_.path()).size(), 2u);
  store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Read(*store), Expected(batches, 5));
  ASSERT_TRUE(store->ApplyNow().ok());
  EXPECT_EQ(Read(*inner_), Expected(batches, 5));
}

TEST_F(LogStoreTest, FailedApplyKeepsOrderAndRetries) {
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit(PutBatch("a", "1")).ok());
  faults_->fail_commits = 1;
  EXPECT_EQ(store->ApplyNow().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->stats().apply_failures, 1u);
  StoreBatch later = PutBatch("a", "2");
  later.delete_state.insert("b");
  ASSERT_TRUE(store->Commit(later).ok());
  ASSERT_TRUE(store->ApplyNow().ok());
  Contents inner = Read(*inner_);
  EXPECT_EQ(inner.state.at("a"), Value("2"));

  // A failed apply keeps its files: a crash after it loses nothing.
  ASSERT_TRUE(store->Commit(PutBatch("a", "3")).ok());
  faults_->fail_commits = 1;
  EXPECT_FALSE(store->ApplyNow().ok());
  ASSERT_TRUE(store->Commit(PutBatch("c", "4")).ok());
  store->CrashForTesting();
  store.reset();
  store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->ApplyNow().ok());
  inner = Read(*inner_);
  EXPECT_EQ(inner.state.at("a"), Value("3"));
  EXPECT_EQ(inner.state.at("c"), Value("4"));
}

TEST_F(LogStoreTest, AReplayTheInnerStoreRefusesStaysLoggedAndIsRetried) {
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit(PutBatch("a", "1")).ok());
  store->CrashForTesting();
  store.reset();
  store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  faults_->fail_commits = 1;
  EXPECT_EQ(store->ApplyNow().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Read(*store).state.at("a"), Value("1")) << "readers still see it";
  EXPECT_EQ(LogFiles(dir_.path()).size(), 2u) << "the replayed file is kept, and the new one";
  store->CrashForTesting();
  store.reset();
  store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->ApplyNow().ok());
  EXPECT_EQ(Read(*inner_).state.at("a"), Value("1"));
  EXPECT_EQ(LogFiles(dir_.path()).size(), 1u);
}

TEST_F(LogStoreTest, OverMaxPendingBytesCommitAppliesFirst) {
  LogStoreOptions options = ManualOptions();
  options.max_pending_bytes = 100;
  auto store = Open(dir_.prefix(), options);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->Commit(PutBatch("k" + std::to_string(i), "0123456789")).ok());
  EXPECT_GE(store->stats().applies, 3u);
  EXPECT_GE(Read(*inner_).state.size(), 10u) << "most batches reached the inner store without ApplyNow";
}

TEST_F(LogStoreTest, OverMaxPendingBytesFailsWhileTheInnerStoreFails) {
  LogStoreOptions options;
  options.max_pending_bytes = 1;
  options.apply_interval_millis = 60'000;
  auto store = Open(dir_.prefix(), options);
  ASSERT_NE(store, nullptr);
  faults_->fail_commits = 1'000'000;
  ASSERT_TRUE(store->Commit(PutBatch("a", "1")).ok());
  Status s = store->Commit(PutBatch("b", "2"));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("injected inner failure"), std::string::npos) << s.message();
  faults_->fail_commits = 0;
  ASSERT_TRUE(store->ApplyNow().ok());
  ASSERT_TRUE(store->Commit(PutBatch("b", "2")).ok());
  store.reset();
  EXPECT_EQ(Read(*inner_).state.size(), 2u);
}

TEST_F(LogStoreTest, BackgroundThreadAppliesAndDeletesFiles) {
  LogStoreOptions options;
  options.fsync = FsyncPolicy::kEveryInterval;
  options.fsync_interval_millis = 1;
  options.apply_interval_millis = 5;
  auto store = Open(dir_.prefix(), options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit(PutBatch("a", "1")).ok());
  ASSERT_TRUE(Eventually([&] { return store->stats().applies >= 1; }));
  EXPECT_EQ(Read(*inner_).state.at("a"), Value("1"));
  ASSERT_TRUE(Eventually([&] { return LogFiles(dir_.path()).size() == 1; }));
}


// Commits `batches` with no apply and crashes, returning the saved log files,
// the size the newest had before the last batch, and where each batch's
// record ends in the newest file.
struct CrashedLog {
  std::map<std::string, std::string> files;  // file name -> bytes
  std::string newest;
  size_t newest_size_before_last = 0;
  std::vector<size_t> ends;
};

CrashedLog CommitAndCrash(LogStoreTest* test, const std::string& dir, const std::vector<StoreBatch>& batches,
                          std::unique_ptr<LogStore> store) {
  CrashedLog log;
  for (size_t i = 0; i < batches.size(); ++i) {
    if (i + 1 == batches.size()) log.newest_size_before_last = fs::file_size(LogFiles(dir).back());
    EXPECT_TRUE(store->Commit(batches[i]).ok());
    log.ends.push_back(fs::file_size(LogFiles(dir).back()));
  }
  store->CrashForTesting();
  store.reset();
  for (const fs::path& f : LogFiles(dir)) log.files[f.filename().string()] = ReadFile(f);
  log.newest = LogFiles(dir).back().filename().string();
  (void)test;
  return log;
}

// Writes `files` into a fresh directory and opens a log store on it with a
// fresh inner store; contents are what it reads then. Then checks that
// the open left a log that a second crash, after one more commit and
// before any apply, replays to the same plus that commit (a torn tail the
// open dropped does not become damage in front of the new record), and
// that applying it brings the inner store there.
struct Reopened {
  Status status;
  Contents contents;
  LogStoreStats stats;
};
Reopened ReopenCopy(const std::map<std::string, std::string>& files, LogStoreOptions options = ManualOptions()) {
  TempDir dir;
  for (const auto& [name, data] : files) WriteFile(fs::path(dir.path()) / name, data);
  auto inner = std::shared_ptr<Store>(NewMemoryStore());
  Reopened r;
  Result<std::unique_ptr<LogStore>> store =
      LogStore::Open(std::make_unique<SharedStore>(inner, std::make_shared<Faults>()), dir.prefix(), options);
  if (!store.ok()) {
    r.status = store.status();
    return r;
  }
  r.stats = (*store)->stats();
  r.contents = Read(**store);
  EXPECT_TRUE((*store)->Commit(PutBatch("after-reopen", "x")).ok());
  (*store)->CrashForTesting();
  store->reset();
  store = LogStore::Open(std::make_unique<SharedStore>(inner, std::make_shared<Faults>()), dir.prefix(), options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return r;
  EXPECT_EQ((*store)->stats().dropped_tail_bytes, 0u) << "the torn tail was cut at the first open";
  Contents expected = r.contents;
  expected.state["after-reopen"] = Value("x");
  EXPECT_EQ(Read(**store), expected);
  EXPECT_TRUE((*store)->ApplyNow().ok());
  EXPECT_EQ(Read(*inner), expected);
  return r;
}

TEST_F(LogStoreTest, TornTailAtEveryOffsetKeepsTheBatchesBeforeIt) {
  std::vector<StoreBatch> batches = FiveBatches();
  CrashedLog log = CommitAndCrash(this, dir_.path(), batches, Open(dir_.prefix()));
  const std::string full = log.files[log.newest];
  ASSERT_GT(full.size(), log.newest_size_before_last);
  Contents four = Expected(batches, 4);
  for (size_t size = log.newest_size_before_last; size < full.size(); ++size) {
    SCOPED_TRACE("truncated to " + std::to_string(size) + " of " + std::to_string(full.size()));
    std::map<std::string, std::string> files = log.files;
    files[log.newest] = full.substr(0, size);
    Reopened r = ReopenCopy(files);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.contents, four);
    EXPECT_EQ(r.stats.replayed_records, 4u);
    EXPECT_EQ(r.stats.dropped_tail_bytes, size - log.newest_size_before_last);
  }
  Reopened whole = ReopenCopy(log.files);
  ASSERT_TRUE(whole.status.ok());
  EXPECT_EQ(whole.contents, Expected(batches, 5));
}

TEST_F(LogStoreTest, ZerosAfterTheLastRecordAreATornTail) {
  std::vector<StoreBatch> batches = FiveBatches();
  CrashedLog log = CommitAndCrash(this, dir_.path(), batches, Open(dir_.prefix()));
  log.files[log.newest] += std::string(4096, '\0');
  Reopened r = ReopenCopy(log.files);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.contents, Expected(batches, 5));
  EXPECT_EQ(r.stats.dropped_tail_bytes, 4096u);
}

TEST_F(LogStoreTest, CorruptByteInAMiddleRecordIsDataLoss) {
  std::vector<StoreBatch> batches = FiveBatches();
  CrashedLog log = CommitAndCrash(this, dir_.path(), batches, Open(dir_.prefix()));
  ASSERT_EQ(log.ends.size(), 5u);
  const std::string& name = log.newest;
  const std::string& full = log.files[name];
  const std::vector<size_t>& ends = log.ends;
  // Every byte of the third record, header included.
  for (size_t at = ends[1]; at < ends[2]; ++at) {
    SCOPED_TRACE("corrupt byte " + std::to_string(at));
    std::string data = full;
    data[at] ^= 0x40;
    Reopened r = ReopenCopy({{name, data}});
    EXPECT_EQ(r.status.code(), StatusCode::kDataLoss) << r.status.ToString();
  }
  // In the last record it is a torn tail.
  std::string data = full;
  data[ends[3] + 14] ^= 0x40;
  Reopened r = ReopenCopy({{name, data}});
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.contents, Expected(batches, 4));
}

// What a power loss can leave under kEveryInterval: a hole in the unsynced
// window with valid records after it. With drop_after_bad_record the store
// opens with the batches before the hole.
TEST_F(LogStoreTest, DropAfterBadRecordKeepsTheBatchesBeforeIt) {
  std::vector<StoreBatch> batches = FiveBatches();
  CrashedLog log = CommitAndCrash(this, dir_.path(), batches, Open(dir_.prefix()));
  ASSERT_EQ(log.ends.size(), 5u);
  const std::string& name = log.newest;
  std::string data = log.files[name];
  std::fill(data.begin() + static_cast<std::ptrdiff_t>(log.ends[1]),
            data.begin() + static_cast<std::ptrdiff_t>(log.ends[2]), '\0');  // the third record never reached the disk
  LogStoreOptions options = ManualOptions();
  options.drop_after_bad_record = true;
  Reopened r = ReopenCopy({{name, data}}, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.contents, Expected(batches, 2));
  EXPECT_EQ(r.stats.dropped_valid_records, 2u);
  EXPECT_EQ(ReopenCopy({{name, data}}).status.code(), StatusCode::kDataLoss) << "without the option";
}

TEST_F(LogStoreTest, MissingDirectoryIsUnavailable) {
  Status s = OpenStatus(dir_.path() + "/no/such/dir/store.log");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("no/such/dir"), std::string::npos) << s.message();
}

// A record whose checksums are right but whose payload this build cannot
// read (a newer format) is refused, not dropped as a torn tail.
TEST_F(LogStoreTest, ValidRecordThatDoesNotDecodeIsDataLoss) {
  auto masked_crc = [](const std::string& data) {
    uint32_t crc = static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(data.data()),
                                               static_cast<uInt>(data.size())));
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
  };
  auto fixed32 = [](uint32_t v) {
    std::string out(4, '\0');
    for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    return out;
  };
  auto record_of = [&](const std::string& payload) {
    std::string header = fixed32(static_cast<uint32_t>(payload.size())) + fixed32(masked_crc(payload));
    return header + fixed32(masked_crc(header)) + payload;
  };
  std::string payload("\x03\x00\x00\x00\x00\x00\x00", 7);  // format version 3
  Reopened r = ReopenCopy({{"store.log.00000001", record_of(payload)}});
  EXPECT_EQ(r.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status.message().find("format version 3"), std::string::npos) << r.status.message();
  // An empty batch in version 2 (which has an append_delta count)...
  payload[0] = 2;
  r = ReopenCopy({{"store.log.00000001", record_of(payload)}});
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.stats.replayed_records, 1u);
  // ...and in version 1 (which has not): logs of older builds replay.
  payload[0] = 1;
  r = ReopenCopy({{"store.log.00000001", record_of(payload)}});
  EXPECT_EQ(r.status.code(), StatusCode::kDataLoss) << "a version 1 record has no append_delta count";
  r = ReopenCopy({{"store.log.00000001", record_of(payload.substr(0, 6))}});
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.stats.replayed_records, 1u);
}

// Failed applies leave several files: log.1 holds batches 0-1, log.2 holds
// batch 2, log.3 holds batches 3-4.
CrashedLog ThreeFiles(LogStoreTest* test, const std::string& dir, std::unique_ptr<LogStore> store,
                      Faults* faults, const std::vector<StoreBatch>& batches) {
  EXPECT_TRUE(store->Commit(batches[0]).ok());
  EXPECT_TRUE(store->Commit(batches[1]).ok());
  faults->fail_commits = 1;
  EXPECT_FALSE(store->ApplyNow().ok());
  EXPECT_TRUE(store->Commit(batches[2]).ok());
  faults->fail_commits = 1;
  EXPECT_FALSE(store->ApplyNow().ok());
  return CommitAndCrash(test, dir, {batches[3], batches[4]}, std::move(store));
}

TEST_F(LogStoreTest, DamageInAnOlderFileIsDataLoss) {
  std::vector<StoreBatch> batches = FiveBatches();
  CrashedLog log = ThreeFiles(this, dir_.path(), Open(dir_.prefix()), faults_.get(), batches);
  ASSERT_EQ(log.files.size(), 3u);
  Reopened whole = ReopenCopy(log.files);
  ASSERT_TRUE(whole.status.ok()) << whole.status.ToString();
  EXPECT_EQ(whole.contents, Expected(batches, 5));
  EXPECT_EQ(whole.stats.replayed_files, 3u);

  const std::string first = log.files.begin()->first;
  std::map<std::string, std::string> files = log.files;
  files[first].back() ^= 1;  // last byte of its last record
  EXPECT_EQ(ReopenCopy(files).status.code(), StatusCode::kDataLoss);

  files = log.files;
  files[first].pop_back();  // a torn record that a later file follows
  EXPECT_EQ(ReopenCopy(files).status.code(), StatusCode::kDataLoss);

  files = log.files;
  files.erase(std::next(files.begin()));  // a gap
  Reopened gap = ReopenCopy(files);
  EXPECT_EQ(gap.status.code(), StatusCode::kDataLoss);
  EXPECT_NE(gap.status.message().find("missing"), std::string::npos) << gap.status.message();
}

// A crash right after a rotation leaves an empty newest file; the torn record
// before it is still the tail of the log.
TEST_F(LogStoreTest, TornTailBeforeAnEmptyNewerFileIsDropped) {
  std::vector<StoreBatch> batches = FiveBatches();
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit(batches[0]).ok());
  ASSERT_TRUE(store->Commit(batches[1]).ok());
  faults_->fail_commits = 1;
  ASSERT_FALSE(store->ApplyNow().ok());
  CrashedLog log = CommitAndCrash(this, dir_.path(), {}, std::move(store));
  ASSERT_EQ(log.files.size(), 2u);
  ASSERT_TRUE(log.files[log.newest].empty());
  log.files.begin()->second.resize(log.files.begin()->second.size() - 3);
  Reopened r = ReopenCopy(log.files);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.contents, Expected(batches, 1));
}

// Replaces the log's fd with a read-only one, so the next write fails.
void BreakLogFd(const fs::path& log_file) {
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    fs::path target = fs::read_symlink(entry.path(), ec);
    if (ec || target != log_file) continue;
    int fd = std::stoi(entry.path().filename().string());
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(null_fd, 0);
    ASSERT_GE(::dup2(null_fd, fd), 0);
    ::close(null_fd);
    return;
  }
  FAIL() << "no open fd for " << log_file;
}

TEST_F(LogStoreTest, WriteErrorIsStickyAndKeepsAcknowledgedBatches) {
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit(PutBatch("a", "1")).ok());
  fs::path log_file = LogFiles(dir_.path()).back();
  BreakLogFd(log_file);
  Status first = store->Commit(PutBatch("a", "2"));
  EXPECT_EQ(first.code(), StatusCode::kUnavailable);
  EXPECT_NE(first.message().find(log_file.string()), std::string::npos) << first.message();
  EXPECT_NE(first.message().find("Bad file descriptor"), std::string::npos) << first.message();
  Status second = store->Commit(PutBatch("b", "3"));
  EXPECT_EQ(second, first);
  store.reset();  // applies what was acknowledged
  Contents inner = Read(*inner_);
  EXPECT_EQ(inner.state.at("a"), Value("1"));
  EXPECT_EQ(inner.state.count("b"), 0u);
}

TEST_F(LogStoreTest, PartialWriteIsNeverFollowedByAnotherRecord) {
  auto store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Commit(PutBatch("a", "1")).ok());
  fs::path log_file = LogFiles(dir_.path()).back();
  size_t size = fs::file_size(log_file);
  // RLIMIT_FSIZE makes the kernel write a prefix, then fail with EFBIG.
  struct sigaction ignore = {}, old_action = {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &old_action), 0);
  struct rlimit old_limit;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  struct rlimit limit = old_limit;
  limit.rlim_cur = size + 5;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  Status failed = store->Commit(PutBatch("a", "2"));
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ASSERT_EQ(::sigaction(SIGXFSZ, &old_action, nullptr), 0);
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable) << failed.ToString();
  EXPECT_EQ(fs::file_size(log_file), size + 5);
  EXPECT_EQ(store->Commit(PutBatch("c", "3")), failed);
  EXPECT_EQ(fs::file_size(log_file), size + 5);
  store->CrashForTesting();
  store.reset();
  store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->stats().dropped_tail_bytes, 5u);
  Contents read = Read(*store);
  EXPECT_EQ(read.state.at("a"), Value("1"));
  EXPECT_EQ(read.state.count("c"), 0u);
}

TEST_F(LogStoreTest, ConcurrentCommitsWhileTheBackgroundApplies) {
  LogStoreOptions options;
  options.fsync = FsyncPolicy::kEveryInterval;
  options.fsync_interval_millis = 1;
  options.apply_interval_millis = 1;
  options.max_pending_bytes = 2048;
  auto store = Open(dir_.prefix(), options);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4, kCommits = 1000;
  // Threads touch disjoint keys and generations, so the expected state is
  // each thread's batches applied in its own order.
  auto batch_of = [](int t, int i) {
    StoreBatch b;
    std::string prefix = "t" + std::to_string(t) + "-";
    b.put_state[prefix + std::to_string(i % 7)] = Value(std::to_string(i));
    if (i % 5 == 0) b.delete_state.insert(prefix + std::to_string((i + 3) % 7));
    uint64_t generation = static_cast<uint64_t>(t) * 1000 + static_cast<uint64_t>(i / 50);
    b.put_outbox[{generation, prefix + std::to_string(i % 3)}] = Value(std::to_string(i));
    if (i % 50 == 0 && i > 0) b.delete_outbox_generations.insert(generation - 1);
    return b;
  };
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCommits; ++i) {
        if (!store->Commit(batch_of(t, i)).ok()) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto reference = NewMemoryStore();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kCommits; ++i) ASSERT_TRUE(reference->Commit(batch_of(t, i)).ok());
  }
  Contents expected = Read(*reference);
  EXPECT_GT(store->stats().applies, 1u);
  EXPECT_EQ(Read(*store), expected);
  store->CrashForTesting();
  store.reset();
  store = Open(dir_.prefix());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->ApplyNow().ok());
  EXPECT_EQ(Read(*inner_), expected);
}

TEST(LogStoreSqliteTest, CrashOverSqliteLosesNothingAcknowledged) {
  TempDir dir;
  std::string db = dir.path() + "/store.db";
  std::vector<StoreBatch> batches = FiveBatches();
  LogStoreOptions options;
  options.fsync = FsyncPolicy::kEveryInterval;
  options.apply_interval_millis = 1;
  {
    Result<std::unique_ptr<Store>> sqlite = OpenSqliteStore(db);
    ASSERT_TRUE(sqlite.ok()) << sqlite.status().ToString();
    Result<std::unique_ptr<LogStore>> store = LogStore::Open(std::move(sqlite).value(), dir.prefix(), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int round = 0; round < 20; ++round) {
      for (const StoreBatch& b : batches) ASSERT_TRUE((*store)->Commit(b).ok());
    }
    (*store)->CrashForTesting();
  }
  Result<std::unique_ptr<Store>> sqlite = OpenSqliteStore(db);
  ASSERT_TRUE(sqlite.ok()) << sqlite.status().ToString();
  Result<std::unique_ptr<LogStore>> store = LogStore::Open(std::move(sqlite).value(), dir.prefix(), options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(Read(**store), Expected(batches, 5));
}


}  // namespace
}  // namespace regionsync

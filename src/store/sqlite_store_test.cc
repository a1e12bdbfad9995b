#include "regionsync/store/sqlite_store.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "regionsync/common/env.h"
#include "regionsync/crdt/any_crdt.h"
#include "regionsync/sync/replica.h"

namespace regionsync {

// Readable failure messages (gtest finds these by ADL).
void PrintTo(const StoredValue& v, std::ostream* os) {
  *os << "{type " << v.type << ", " << ::testing::PrintToString(v.bytes) << "}";
}
void PrintTo(const StoreMeta& m, std::ostream* os) {
  *os << "{epoch " << m.epoch << ", last_hlc " << m.last_hlc << ", next_sequence " << m.next_sequence << "}";
}

namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    dir_ = fs::temp_directory_path() / ("regionsync_sqlite_" + std::to_string(getpid()) + "_" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "store.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> MustOpen(SqliteStoreOptions options = {}) {
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(path_, options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  fs::path dir_;
  std::string path_;
};

// Runs SQL on the file through a separate connection (the store must be closed).
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "") << " in " << sql;
  sqlite3_free(error);
  sqlite3_close(db);
}

std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return "cannot open";
  std::string result;
  sqlite3_exec(
      db, "PRAGMA integrity_check",
      [](void* out, int, char** values, char**) {
        *static_cast<std::string*>(out) += values[0] ? values[0] : "NULL";
        return 0;
      },
      &result, nullptr);
  sqlite3_close(db);
  return result;
}

std::map<std::string, StoredValue> AllState(Store& store) {
  std::map<std::string, StoredValue> out;
  Status s = store.ForEachState([&](const std::string& k, const StoredValue& v) { out[k] = v; });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

std::map<std::pair<uint64_t, std::string>, StoredValue> AllOutbox(Store& store) {
  std::map<std::pair<uint64_t, std::string>, StoredValue> out;
  Status s = store.ForEachOutbox([&](uint64_t g, const std::string& k, const StoredValue& v) { out[{g, k}] = v; });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST_F(SqliteStoreTest, FreshStoreHasNoMetaStateOrOutbox) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  Result<StoreMeta> meta = store->LoadMeta();
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(*meta, StoreMeta{});
  EXPECT_TRUE(AllState(*store).empty());
  EXPECT_TRUE(AllOutbox(*store).empty());
}

TEST_F(SqliteStoreTest, RoundTripsMetaStateAndOutboxInOrder) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  // Keys with NUL and high bytes, an empty value, and uint64s above INT64_MAX.
  const std::string odd_key = std::string("a\0b\xff", 4);
  StoreBatch b;
  b.meta = StoreMeta{0xfedcba9876543210ULL, 0x8000000000000001ULL, 3};
  b.put_state["b"] = {pb::OR_SET, std::string("\0\x01\x02", 3)};
  b.put_state[odd_key] = {pb::G_COUNTER, ""};
  b.put_state["\xff"] = {pb::EW_FLAG, "f"};
  b.put_outbox[{2, "b"}] = {pb::OR_SET, "d2"};
  b.put_outbox[{1, "z"}] = {pb::LWW_REGISTER, "d1"};
  b.put_outbox[{0x8000000000000000ULL, "a"}] = {pb::OR_MAP, "big"};
  ASSERT_TRUE(store->Commit(b).ok());

  EXPECT_EQ(*store->LoadMeta(), b.meta);
  EXPECT_EQ(AllState(*store), b.put_state);
  std::vector<std::string> order;
  ASSERT_TRUE(store->ForEachState([&](const std::string& k, const StoredValue&) { order.push_back(k); }).ok());
  EXPECT_EQ(order, (std::vector<std::string>{odd_key, "b", "\xff"}));  // std::string order
  std::vector<uint64_t> generations;
  ASSERT_TRUE(store->ForEachOutbox([&](uint64_t g, const std::string&, const StoredValue&) {
    generations.push_back(g);
  }).ok());
  EXPECT_EQ(generations, (std::vector<uint64_t>{1, 2, 0x8000000000000000ULL}));  // unsigned order
  EXPECT_EQ(AllOutbox(*store), b.put_outbox);
}

TEST_F(SqliteStoreTest, DeletesStateAndWholeOutboxGenerations) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  StoreBatch b;
  b.put_state["a"] = {pb::G_COUNTER, "x"};
  b.put_state["b"] = {pb::OR_SET, "y"};
  b.put_outbox[{1, "a"}] = {pb::G_COUNTER, "1a"};
  b.put_outbox[{1, "b"}] = {pb::OR_SET, "1b"};
  b.put_outbox[{2, "a"}] = {pb::G_COUNTER, "2a"};
  ASSERT_TRUE(store->Commit(b).ok());

  StoreBatch c;
  c.delete_state = {"b", "never-existed"};
  c.delete_outbox_generations = {1, 7};
  c.put_outbox[{1, "c"}] = {pb::G_COUNTER, "1c"};  // puts come after deletes, as in the memory store
  ASSERT_TRUE(store->Commit(c).ok());

  EXPECT_EQ(AllState(*store), (std::map<std::string, StoredValue>{{"a", {pb::G_COUNTER, "x"}}}));
  EXPECT_EQ(AllOutbox(*store), (std::map<std::pair<uint64_t, std::string>, StoredValue>{
                                   {{1, "c"}, {pb::G_COUNTER, "1c"}}, {{2, "a"}, {pb::G_COUNTER, "2a"}}}));
}

class SqliteStorePolicyTest : public SqliteStoreTest, public ::testing::WithParamInterface<FsyncPolicy> {};

TEST_P(SqliteStorePolicyTest, ReopenAfterCloseKeepsEverything) {
  SqliteStoreOptions options{.fsync = GetParam(), .fsync_interval_millis = 50};
  StoreBatch b;
  b.meta = StoreMeta{42, 7, 3};
  b.put_state["k"] = {pb::PN_COUNTER, "state"};
  b.put_outbox[{5, "k"}] = {pb::PN_COUNTER, "delta"};
  {
    auto store = MustOpen(options);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(b).ok());
  }
  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->LoadMeta(), (StoreMeta{42, 7, 3}));
  EXPECT_EQ(AllState(*store), b.put_state);
  EXPECT_EQ(AllOutbox(*store), b.put_outbox);
}

INSTANTIATE_TEST_SUITE_P(Policies, SqliteStorePolicyTest,
                         ::testing::Values(FsyncPolicy::kAlways, FsyncPolicy::kEveryInterval),
                         [](const auto& info) {
                           return std::string(info.param == FsyncPolicy::kAlways ? "Always" : "EveryInterval");
                         });

TEST_F(SqliteStoreTest, BatchFailingMidwayLeavesPreviousStateIntact) {
  StoreBatch before;
  before.meta = StoreMeta{1, 10, 2};
  before.put_state["a"] = {pb::G_COUNTER, "a1"};
  before.put_outbox[{1, "a"}] = {pb::G_COUNTER, "d1"};
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Commit(before).ok());
  }
  // The failure comes from the last statement of the batch, after meta,
  // state and the first outbox rows were already written in the transaction.
  RawExec(path_,
          "CREATE TRIGGER poison BEFORE INSERT ON outbox WHEN NEW.key = 'poison' "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  StoreBatch bad;
  bad.meta = StoreMeta{1, 20, 5};
  bad.put_state["a"] = {pb::G_COUNTER, "a2"};
  bad.put_state["b"] = {pb::OR_SET, "b2"};
  bad.delete_outbox_generations = {1};
  bad.put_outbox[{2, "a"}] = {pb::G_COUNTER, "d2"};
  bad.put_outbox[{9, "poison"}] = {pb::G_COUNTER, "x"};
  Status s = store->Commit(bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("injected failure"), std::string::npos) << s.ToString();

  EXPECT_EQ(*store->LoadMeta(), before.meta);
  EXPECT_EQ(AllState(*store), before.put_state);
  EXPECT_EQ(AllOutbox(*store), before.put_outbox);

  // The store stays usable after a failed batch.
  bad.put_outbox.erase({9, "poison"});
  ASSERT_TRUE(store->Commit(bad).ok());
  EXPECT_EQ(*store->LoadMeta(), bad.meta);
  EXPECT_EQ(AllState(*store), bad.put_state);
  EXPECT_EQ(AllOutbox(*store), bad.put_outbox);
}

TEST_F(SqliteStoreTest, SecondOpenOfTheSameFileIsUnavailable) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  Result<std::unique_ptr<Store>> second = OpenSqliteStore(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status().ToString();
  store.reset();
  EXPECT_NE(MustOpen(), nullptr);  // the lock goes with the store
}

TEST_F(SqliteStoreTest, RefusesANewerSchemaVersion) {
  MustOpen().reset();
  RawExec(path_, "UPDATE schema_version SET version = 3");
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(store.status().message().find("schema version 3"), std::string::npos) << store.status().ToString();
}

std::map<std::string, std::vector<StoredValue>> AllDeltas(Store& store) {
  std::map<std::string, std::vector<StoredValue>> out;
  Status s = store.ForEachDelta([&](const std::string& k, const StoredValue& v) { out[k].push_back(v); });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST_F(SqliteStoreTest, DeltasAccumulateInOrderUntilTheStateIsWrittenOrDeleted) {
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    StoreBatch b;
    b.put_state["s"] = {pb::OR_SET, "base"};
    b.put_state["t"] = {pb::OR_SET, "base"};
    ASSERT_TRUE(store->Commit(b).ok());
    for (const char* d : {"d1", "d2"}) {
      StoreBatch delta;
      delta.append_delta["s"].push_back({pb::OR_SET, d});
      delta.append_delta["t"].push_back({pb::OR_SET, d});
      ASSERT_TRUE(store->Commit(delta).ok());
    }
    std::vector<StoredValue> expected = {{pb::OR_SET, "d1"}, {pb::OR_SET, "d2"}};
    EXPECT_EQ(AllDeltas(*store)["s"], expected);
  }
  auto store = MustOpen();  // deltas survive a reopen, and the set of keys with deltas is reloaded
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(AllDeltas(*store).size(), 2u);
  StoreBatch b;
  b.put_state["s"] = {pb::OR_SET, "compacted"};
  b.delete_state.insert("t");
  ASSERT_TRUE(store->Commit(b).ok());
  EXPECT_TRUE(AllDeltas(*store).empty());
  EXPECT_EQ(AllState(*store)["s"], (StoredValue{pb::OR_SET, "compacted"}));
  // In one batch a put comes first, then the deltas logged after it.
  StoreBatch both;
  both.put_state["s"] = {pb::OR_SET, "again"};
  both.append_delta["s"].push_back({pb::OR_SET, "d3"});
  ASSERT_TRUE(store->Commit(both).ok());
  EXPECT_EQ(AllDeltas(*store)["s"], (std::vector<StoredValue>{{pb::OR_SET, "d3"}}));
}

TEST_F(SqliteStoreTest, MigratesASchemaVersion1File) {
  {
    auto store = MustOpen();
    StoreBatch b;
    b.put_state["k"] = {pb::G_COUNTER, "v"};
    ASSERT_TRUE(store->Commit(b).ok());
  }
  // What a build before the delta table wrote.
  RawExec(path_, "DROP TABLE delta; UPDATE schema_version SET version = 1");
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(AllState(*store)["k"], (StoredValue{pb::G_COUNTER, "v"}));
    StoreBatch b;
    b.append_delta["k"].push_back({pb::G_COUNTER, "d"});
    ASSERT_TRUE(store->Commit(b).ok());
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(AllDeltas(*store)["k"].size(), 1u);
}

TEST_F(SqliteStoreTest, RefusesFilesThatAreNotRegionsyncStores) {
  RawExec(path_, "CREATE TABLE other (x)");
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();

  const std::string garbage = (dir_ / "garbage.db").string();
  std::ofstream(garbage) << std::string(8192, 'x');
  store = OpenSqliteStore(garbage);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
}

TEST_F(SqliteStoreTest, CorruptRowsAreDataLoss) {
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    StoreBatch b;
    b.put_state["s"] = {pb::G_COUNTER, "x"};
    b.put_outbox[{1, "o"}] = {pb::G_COUNTER, "x"};
    ASSERT_TRUE(store->Commit(b).ok());
  }
  RawExec(path_, "UPDATE state SET type = 99; UPDATE outbox SET type = 0");
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  Status s = store->ForEachState([](const std::string&, const StoredValue&) {});
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  s = store->ForEachOutbox([](uint64_t, const std::string&, const StoredValue&) {});
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
}

TEST_F(SqliteStoreTest, ConcurrentReadersSeeWholeBatches) {
  auto store = MustOpen({.fsync = FsyncPolicy::kEveryInterval, .fsync_interval_millis = 5});
  ASSERT_NE(store, nullptr);
  constexpr uint64_t kBatches = 300;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (uint64_t i = 1; i <= kBatches; ++i) {
      StoreBatch b;
      b.meta = StoreMeta{1, i, i + 1};  // last_hlc counts the keys written so far
      b.put_state["k" + std::to_string(i)] = {pb::G_COUNTER, std::to_string(i)};
      EXPECT_TRUE(store->Commit(b).ok());
    }
    done = true;
  });
  int reads = 0;
  while (!done || reads == 0) {
    uint64_t before = store->LoadMeta()->last_hlc;
    uint64_t keys = AllState(*store).size();
    uint64_t after = store->LoadMeta()->last_hlc;
    ASSERT_LE(before, keys);
    ASSERT_LE(keys, after);
    ++reads;
  }
  writer.join();
  EXPECT_EQ(AllState(*store).size(), kBatches);
}

TEST_F(SqliteStoreTest, EveryIntervalSyncsWithoutAFurtherCommit) {
  MustOpen().reset();  // create the schema; closing checkpoints it into the file
  const auto size_before = fs::file_size(path_);
  auto store = MustOpen({.fsync = FsyncPolicy::kEveryInterval, .fsync_interval_millis = 20});
  ASSERT_NE(store, nullptr);
  StoreBatch b;
  b.put_state["big"] = {pb::OR_SET, std::string(256 * 1024, 'x')};
  ASSERT_TRUE(store->Commit(b).ok());
  // The batch sits in the WAL until the background checkpoint copies it into
  // the database file, which grows by the value's pages.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fs::file_size(path_) < size_before + 256 * 1024 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_GE(fs::file_size(path_), size_before + 256 * 1024);
}

TEST_F(SqliteStoreTest, ReplicaReopensWithItsKeysEpochAndOutbox) {
  SimEnv env(7);
  uint64_t epoch = 0;
  size_t outbox_keys = 0;
  std::map<std::string, std::string> values;
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    auto replica = Replica::Open("us-east-1/a", &env, store.get());
    ASSERT_TRUE(replica.ok()) << replica.status().ToString();
    ASSERT_TRUE((*replica)->Increment("visits", 5).ok());
    ASSERT_TRUE((*replica)->Add("users", "ada").ok());
    // With an expiry, so the state row carries a lifetime (a flagged type).
    Replica& r = **replica;
    ASSERT_TRUE(r.WithExpiry(env.WallMillis() + 60'000, [&] { return r.Set("name", "regionsync"); }).ok());
    ASSERT_TRUE((*replica)->Enable("on").ok());
    ASSERT_TRUE(r.MapSet("room", "alice", "online").ok());
    ASSERT_TRUE(*r.SetFieldExpiry("room", "alice", env.WallMillis() + 30'000));
    ASSERT_TRUE((*replica)->Commit().ok());
    ASSERT_EQ((*replica)->committed_writes(), (*replica)->local_writes());
    epoch = (*replica)->id().epoch();
    outbox_keys = (*replica)->outbox_keys();
    for (const std::string& key : (*replica)->Keys()) values[key] = ValueJson(*(*replica)->Find(key)).dump();
  }
  ASSERT_NE(epoch, 0u);
  ASSERT_EQ(values.size(), 5u);
  ASSERT_EQ(outbox_keys, 5u);

  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto replica = Replica::Open("us-east-1/a", &env, store.get());
  ASSERT_TRUE(replica.ok()) << replica.status().ToString();
  EXPECT_EQ((*replica)->id().epoch(), epoch);
  std::map<std::string, std::string> reopened;
  for (const std::string& key : (*replica)->Keys()) reopened[key] = ValueJson(*(*replica)->Find(key)).dump();
  EXPECT_EQ(reopened, values);
  EXPECT_EQ((*replica)->ExpiresAt("name"), env.WallMillis() + 60'000);
  EXPECT_EQ((*replica)->FieldExpiresAt("room", "alice"), env.WallMillis() + 30'000);
  EXPECT_EQ((*replica)->outbox_keys(), outbox_keys);
  Result<Replica::Outgoing> out = (*replica)->SealOutbox();
  ASSERT_TRUE(out.ok());
  std::vector<std::string> sent;
  for (const KeyedDelta& d : out->deltas) sent.push_back(d.key);
  EXPECT_EQ(sent, (std::vector<std::string>{"name", "on", "room", "users", "visits"}));
}

TEST_F(SqliteStoreTest, ReplicaRefusesToStartOnCorruptState) {
  SimEnv env(7);
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    auto replica = Replica::Open("us-east-1/a", &env, store.get());
    ASSERT_TRUE(replica.ok());
    ASSERT_TRUE((*replica)->Increment("visits", 5).ok());
    ASSERT_TRUE((*replica)->Commit().ok());
  }
  RawExec(path_, "UPDATE state SET bytes = x'ffffffff'");
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto replica = Replica::Open("us-east-1/a", &env, store.get());
  ASSERT_FALSE(replica.ok());
  EXPECT_EQ(replica.status().code(), StatusCode::kDataLoss) << replica.status().ToString();
}

// ---- Crash safety: a child commits batch after batch and reports each
// acknowledged one through a pipe; the parent kills it with SIGKILL at a
// random moment, then checks that every acknowledged batch is there, that no
// batch is half there, and that SQLite finds the file intact.

constexpr uint64_t kCrashEpoch = 7;

// Batch i: meta.last_hlc = i, state key k<i>, outbox generation i (the
// previous generation is deleted), so the file shows which batch was last.
StoreBatch CrashBatch(uint64_t i) {
  StoreBatch b;
  b.meta = StoreMeta{kCrashEpoch, i, i + 1};
  char key[32];
  std::snprintf(key, sizeof(key), "k%08llu", static_cast<unsigned long long>(i));
  b.put_state[key] = {pb::G_COUNTER, std::to_string(i)};
  b.put_state["last"] = {pb::G_COUNTER, std::to_string(i)};
  b.put_outbox[{i, "last"}] = {pb::G_COUNTER, std::to_string(i)};
  if (i > 1) b.delete_outbox_generations.insert(i - 1);
  return b;
}

[[noreturn]] void CrashChild(const std::string& path, FsyncPolicy policy, int ack_fd) {
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(path, {.fsync = policy, .fsync_interval_millis = 10});
  if (!store.ok()) _exit(10);
  Result<StoreMeta> meta = (*store)->LoadMeta();
  if (!meta.ok()) _exit(11);
  for (uint64_t i = meta->last_hlc + 1;; ++i) {
    if (!(*store)->Commit(CrashBatch(i)).ok()) _exit(12);
    if (write(ack_fd, &i, sizeof(i)) != sizeof(i)) _exit(13);
  }
}

class SqliteStoreCrashTest : public SqliteStoreTest, public ::testing::WithParamInterface<FsyncPolicy> {};

TEST_P(SqliteStoreCrashTest, KillNineLosesNoAcknowledgedBatch) {
  // REGIONSYNC_CRASH_SEED=<n> replays the kill moments of a run.
  const char* seed_env = std::getenv("REGIONSYNC_CRASH_SEED");
  const uint64_t seed = seed_env != nullptr ? std::strtoull(seed_env, nullptr, 10) : std::random_device{}();
  std::printf("crash test seed: %llu (replay with REGIONSYNC_CRASH_SEED)\n", static_cast<unsigned long long>(seed));
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  uint64_t acknowledged = 0;
  int kills_with_new_acks = 0;

  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    std::fflush(nullptr);  // the child must not flush the parent's buffers
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      CrashChild(path_, GetParam(), fds[1]);
    }
    close(fds[1]);

    // Read acknowledgements until a random deadline, then kill. A quarter of
    // the rounds count from the fork (so some kills hit start-up and WAL
    // recovery), the others from the first acknowledgement (so a slow,
    // loaded machine still kills running children).
    const uint64_t before = acknowledged;
    const bool from_fork = rng() % 4 == 0;
    const auto delay = std::chrono::microseconds(rng() % 100'000);
    auto read_acks = [&](int timeout_millis) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, timeout_millis) <= 0) return false;
      uint64_t i;
      ssize_t n = read(fds[0], &i, sizeof(i));
      if (n != sizeof(i)) return false;  // EOF: the child is gone
      acknowledged = std::max(acknowledged, i);
      return true;
    };
    if (!from_fork) {
      // Deadline for the first acknowledgement, generous for a loaded machine.
      const auto first_by = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (acknowledged == before && std::chrono::steady_clock::now() < first_by) read_acks(100);
      if (acknowledged == before) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        close(fds[0]);
        FAIL() << "the child acknowledged nothing within 10 s";
      }
    }
    const auto kill_at = std::chrono::steady_clock::now() + delay;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      read_acks(static_cast<int>(left.count()));
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    while (read_acks(-1)) {
    }  // acks written before death count too
    close(fds[0]);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "child failed on its own, status " << wstatus;
    if (acknowledged > before) ++kills_with_new_acks;

    ASSERT_EQ(IntegrityCheck(path_), "ok");
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    StoreMeta meta = *store->LoadMeta();
    const uint64_t last = meta.last_hlc;
    ASSERT_GE(last, acknowledged) << "an acknowledged batch was lost";
    std::map<std::string, StoredValue> state = AllState(*store);
    std::map<std::pair<uint64_t, std::string>, StoredValue> outbox = AllOutbox(*store);
    if (last == 0) {
      EXPECT_TRUE(state.empty());
      EXPECT_TRUE(outbox.empty());
      continue;
    }
    // Exactly batches 1..last, each whole.
    EXPECT_EQ(meta, (StoreMeta{kCrashEpoch, last, last + 1}));
    ASSERT_EQ(state.size(), last + 1);
    for (uint64_t i = 1; i <= last; ++i) ASSERT_EQ(state.count(CrashBatch(i).put_state.begin()->first), 1u) << i;
    EXPECT_EQ(state["last"].bytes, std::to_string(last));
    EXPECT_EQ(outbox, CrashBatch(last).put_outbox);
    acknowledged = last;  // the next child continues from what survived
  }
  std::printf("%d of 20 kills interrupted a child after new acknowledgements; %llu batches survived\n",
              kills_with_new_acks, static_cast<unsigned long long>(acknowledged));
  // The kills must have hit a running child, not only its start-up.
  EXPECT_GE(kills_with_new_acks, 5);
}

INSTANTIATE_TEST_SUITE_P(Policies, SqliteStoreCrashTest,
                         ::testing::Values(FsyncPolicy::kAlways, FsyncPolicy::kEveryInterval),
                         [](const auto& info) {
                           return std::string(info.param == FsyncPolicy::kAlways ? "Always" : "EveryInterval");
                         });

}  // namespace
}  // namespace regionsync

#include "regionsync/store/sqlite_store.h"

#include <sqlite3.h>

#include <cassert>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <vector>

namespace regionsync {
namespace {

// Bump when the schema changes, and teach InitSchema to migrate older files.
// Version 2 added the delta table (version 1 files are migrated at open).
constexpr int64_t kSchemaVersion = 2;

// STRICT makes SQLite itself refuse a value of the wrong type, so a row we
// read back can only be malformed through corruption or outside edits.
constexpr const char* kCreateSchema = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL) STRICT;
CREATE TABLE meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL,
  last_hlc INTEGER NOT NULL,
  next_sequence INTEGER NOT NULL,
  boot_id TEXT NOT NULL) STRICT;
CREATE TABLE state (
  key TEXT PRIMARY KEY NOT NULL,
  type INTEGER NOT NULL,
  bytes BLOB NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE outbox (
  generation INTEGER NOT NULL,
  key TEXT NOT NULL,
  type INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (generation, key)) STRICT, WITHOUT ROWID;
)sql";

// Deltas logged for a key since its state row was last written; seq orders
// a key's deltas (the Replica joins them into the state at restore).
constexpr const char* kCreateDeltaTable = R"sql(
CREATE TABLE delta (
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  PRIMARY KEY (key, seq)) STRICT, WITHOUT ROWID;
)sql";

// SQLite integers are signed; uint64 values (random epochs) keep their bits.
int64_t ToSql(uint64_t v) { return static_cast<int64_t>(v); }
uint64_t FromSql(int64_t v) { return static_cast<uint64_t>(v); }

// Only the codes a caller reacts to differently get their own Status code.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(message + " (is another process using this store?)");
    case SQLITE_FULL:
      return ResourceExhausted(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLoss(message);
    default:
      return Internal(message);
  }
}

// Resets a prepared statement when it goes out of scope, so every path
// (including errors) leaves it ready for the next use and releases its locks.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Reads a (type, bytes) pair; DataLoss if either is malformed.
// The row's type and bytes, into *out (reusing its buffer: a restore reads
// millions of rows). A malformed row is DataLoss, named by what(), which is
// called only then.
template <typename What>
Status ReadValue(sqlite3_stmt* stmt, int type_column, int bytes_column, const What& what, StoredValue* out) {
  if (sqlite3_column_type(stmt, type_column) != SQLITE_INTEGER) {
    return DataLoss(what() + ": type is not an integer");
  }
  int64_t type = sqlite3_column_int64(stmt, type_column);
  // The low 16 bits name the CRDT type; the sync layer may set flags above
  // them (kLifetimeFlag in src/sync/stored_key.h: the bytes start with the
  // key's lifetime).
  const int base = static_cast<int>(type & 0xffff);
  if (type < 0 || type > INT32_MAX || !pb::CrdtType_IsValid(base) || base == pb::CRDT_TYPE_UNSPECIFIED) {
    return DataLoss(what() + ": unknown CRDT type " + std::to_string(type));
  }
  if (sqlite3_column_type(stmt, bytes_column) != SQLITE_BLOB) {
    return DataLoss(what() + ": bytes are not a blob");
  }
  out->type = static_cast<CrdtType>(type);
  const void* data = sqlite3_column_blob(stmt, bytes_column);
  int size = sqlite3_column_bytes(stmt, bytes_column);
  if (size > 0) {
    out->bytes.assign(static_cast<const char*>(data), static_cast<size_t>(size));
  } else {
    out->bytes.clear();
  }
  return Status::Ok();
}

// The row's key, into *out (reusing its buffer).
Status ReadKey(sqlite3_stmt* stmt, int column, std::string_view what, std::string* out) {
  if (sqlite3_column_type(stmt, column) != SQLITE_TEXT) return DataLoss(std::string(what) + ": key is not text");
  const unsigned char* text = sqlite3_column_text(stmt, column);
  int size = sqlite3_column_bytes(stmt, column);
  out->assign(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
  return Status::Ok();
}

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path, SqliteStoreOptions options);
  ~SqliteStore() override;

  Result<StoreMeta> LoadMeta() override;
  Status ForEachState(const std::function<void(const std::string&, const StoredValue&)>& fn) override;
  Status ForEachOutbox(const std::function<void(uint64_t, const std::string&, const StoredValue&)>& fn) override;
  Status ForEachDelta(const std::function<void(const std::string&, const StoredValue&)>& fn) override;
  size_t StateCountHint() override;
  Status Commit(const StoreBatch& batch) override;

 private:
  enum StatementId {
    kBegin,
    kCommit,
    kRollback,
    kSelectMeta,
    kPutMeta,
    kSelectState,
    kPutState,
    kDeleteState,
    kSelectOutbox,
    kPutOutbox,
    kDeleteOutboxGeneration,
    kSelectDelta,
    kAppendDelta,
    kDeleteDeltas,
    kSelectDeltaKeys,
    kCountState,
    kStatementCount,
  };

  SqliteStore(std::string path, SqliteStoreOptions options) : path_(std::move(path)), options_(options) {}

  Status Init();
  Status InitSchema();
  Status Exec(const char* sql, std::string_view what);
  Status Prepare();
  Status LoadDeltaKeys();
  // Steps a `SELECT key, type, bytes` statement, calling fn for each row.
  Status ForEachKeyed(StatementId id, std::string_view what,
                      const std::function<void(const std::string&, const StoredValue&)>& fn);
  // Steps `stmt` to completion, expecting no rows.
  Status StepDone(sqlite3_stmt* stmt, std::string_view what);
  // Adds the keys whose deltas it deleted to `dropped`.
  Status ApplyLocked(const StoreBatch& batch, std::vector<std::string>* dropped);
  Status BindValue(sqlite3_stmt* stmt, int type_index, const StoredValue& value);
  void SyncLoop();
  void SyncLocked();

  const std::string path_;
  const SqliteStoreOptions options_;

  std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* statements_[kStatementCount] = {};
  // A superset of the keys with delta rows, so that writing a state (almost
  // always of a key without deltas) costs no lookup in the delta table.
  // Keys are added before a transaction and removed only after it committed.
  std::set<std::string> delta_keys_;

  // kEveryInterval: commits since the last sync wait for the sync thread.
  std::condition_variable sync_cv_;
  std::thread sync_thread_;
  bool closing_ = false;
  bool unsynced_ = false;
  std::chrono::steady_clock::time_point last_sync_;
  // A failed background sync may have lost acknowledged batches (the kernel
  // can drop dirty pages after a failed fsync), so it fails every later Commit.
  Status sync_error_;
};

Result<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path, SqliteStoreOptions options) {
  assert(options.fsync != FsyncPolicy::kEveryInterval || options.fsync_interval_millis > 0);
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, options));
  RS_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

Status SqliteStore::Init() {
  // NOMUTEX: mu_ serializes every use of the connection.
  int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "opening store " + path_);
  sqlite3_extended_result_codes(db_, 1);
  // EXCLUSIVE: hold the file lock from the first transaction until close, so
  // no second process can open this replica's store (and reuse its epoch).
  // It must be set before WAL is entered so the WAL index lives in memory.
  RS_RETURN_IF_ERROR(Exec("PRAGMA locking_mode = EXCLUSIVE", "setting exclusive locking"));
  {
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode = WAL", -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "opening store " + path_);
    rc = sqlite3_step(stmt);
    std::string mode =
        rc == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)) : std::string();
    Status status = rc == SQLITE_ROW ? Status::Ok() : SqliteStatus(rc, db_, "opening store " + path_);
    sqlite3_finalize(stmt);
    RS_RETURN_IF_ERROR(status);
    if (mode != "wal") return Internal("store " + path_ + ": cannot enter WAL mode (journal mode is " + mode + ")");
  }
  RS_RETURN_IF_ERROR(Exec(options_.fsync == FsyncPolicy::kAlways ? "PRAGMA synchronous = FULL"
                                                                  : "PRAGMA synchronous = NORMAL",
                          "setting the fsync policy"));
  if (options_.fsync == FsyncPolicy::kEveryInterval) {
    // The sync thread checkpoints every interval. SQLite's own checkpoint
    // after 1000 WAL pages would fsync inside a commit, on the path of the
    // writes waiting for it; it stays only as a bound on the WAL's size.
    RS_RETURN_IF_ERROR(Exec("PRAGMA wal_autocheckpoint = 16384", "setting the checkpoint size"));
  }
  RS_RETURN_IF_ERROR(InitSchema());
  RS_RETURN_IF_ERROR(Prepare());
  RS_RETURN_IF_ERROR(LoadDeltaKeys());
  if (options_.fsync == FsyncPolicy::kEveryInterval) {
    last_sync_ = std::chrono::steady_clock::now();
    sync_thread_ = std::thread([this] { SyncLoop(); });
  }
  return Status::Ok();
}

Status SqliteStore::InitSchema() {
  // EXCLUSIVE takes the write lock now, which locking_mode keeps until close.
  RS_RETURN_IF_ERROR(Exec("BEGIN EXCLUSIVE", "locking store " + path_));
  auto check = [&]() -> Status {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_,
                                "SELECT count(*), sum(name = 'schema_version') FROM sqlite_schema "
                                "WHERE type = 'table'",
                                -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "reading the schema of " + path_);
    rc = sqlite3_step(stmt);
    int64_t tables = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    int64_t has_version = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 1) : 0;
    Status status = rc == SQLITE_ROW ? Status::Ok() : SqliteStatus(rc, db_, "reading the schema of " + path_);
    sqlite3_finalize(stmt);
    RS_RETURN_IF_ERROR(status);
    if (tables == 0) {
      RS_RETURN_IF_ERROR(Exec(kCreateSchema, "creating the schema of " + path_));
      RS_RETURN_IF_ERROR(Exec(kCreateDeltaTable, "creating the schema of " + path_));
      return Exec("INSERT INTO schema_version (version) VALUES (2)", "creating the schema of " + path_);
    }
    if (has_version == 0) return DataLoss(path_ + " is a SQLite database but not a regionsync store");

    rc = sqlite3_prepare_v2(db_, "SELECT version FROM schema_version", -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "reading the schema version of " + path_);
    rc = sqlite3_step(stmt);
    bool one_integer = rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) == SQLITE_INTEGER;
    int64_t version = one_integer ? sqlite3_column_int64(stmt, 0) : 0;
    if (one_integer) one_integer = sqlite3_step(stmt) == SQLITE_DONE;
    sqlite3_finalize(stmt);
    if (!one_integer) return DataLoss(path_ + ": schema_version must hold exactly one integer");
    if (version > kSchemaVersion) {
      return InvalidArgument(path_ + " has store schema version " + std::to_string(version) +
                             ", newer than this build understands (" + std::to_string(kSchemaVersion) +
                             "); run a newer regionsync");
    }
    if (version < 1) return DataLoss(path_ + ": invalid schema version " + std::to_string(version));
    if (version == 1) {
      RS_RETURN_IF_ERROR(Exec(kCreateDeltaTable, "migrating " + path_ + " to schema version 2"));
      RS_RETURN_IF_ERROR(Exec("UPDATE schema_version SET version = 2", "migrating " + path_ + " to schema version 2"));
    }
    return Status::Ok();
  };
  Status status = check();
  if (!status.ok()) {
    if (!sqlite3_get_autocommit(db_)) (void)Exec("ROLLBACK", "rollback");
    return status;
  }
  return Exec("COMMIT", "creating the schema of " + path_);
}

Status SqliteStore::Exec(const char* sql, std::string_view what) {
  char* error = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  Status status = SqliteStatus(rc, nullptr, what);
  if (error != nullptr) {
    status = Status(status.code(), std::string(what) + ": " + error);
    sqlite3_free(error);
  }
  return status;
}

Status SqliteStore::Prepare() {
  static constexpr const char* kSql[kStatementCount] = {
      /*kBegin=*/"BEGIN IMMEDIATE",
      /*kCommit=*/"COMMIT",
      /*kRollback=*/"ROLLBACK",
      /*kSelectMeta=*/"SELECT epoch, last_hlc, next_sequence, boot_id FROM meta WHERE id = 1",
      /*kPutMeta=*/"INSERT OR REPLACE INTO meta (id, epoch, last_hlc, next_sequence, boot_id) VALUES (1, ?, ?, ?, ?)",
      /*kSelectState=*/"SELECT key, type, bytes FROM state ORDER BY key",
      /*kPutState=*/"INSERT OR REPLACE INTO state (key, type, bytes) VALUES (?, ?, ?)",
      /*kDeleteState=*/"DELETE FROM state WHERE key = ?",
      // Generations are uint64 stored as int64: this orders them as unsigned.
      /*kSelectOutbox=*/"SELECT generation, key, type, bytes FROM outbox ORDER BY generation < 0, generation, key",
      /*kPutOutbox=*/"INSERT OR REPLACE INTO outbox (generation, key, type, bytes) VALUES (?, ?, ?, ?)",
      /*kDeleteOutboxGeneration=*/"DELETE FROM outbox WHERE generation = ?",
      /*kSelectDelta=*/"SELECT key, type, bytes FROM delta ORDER BY key, seq",
      /*kAppendDelta=*/
      "INSERT INTO delta (key, seq, type, bytes) "
      "VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM delta WHERE key = ?1), ?2, ?3)",
      /*kDeleteDeltas=*/"DELETE FROM delta WHERE key = ?",
      /*kSelectDeltaKeys=*/"SELECT DISTINCT key FROM delta",
      /*kCountState=*/"SELECT count(*) FROM state",
  };
  for (int i = 0; i < kStatementCount; ++i) {
    int rc = sqlite3_prepare_v3(db_, kSql[i], -1, SQLITE_PREPARE_PERSISTENT, &statements_[i], nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(rc, db_, std::string("preparing ") + kSql[i]);
  }
  return Status::Ok();
}

SqliteStore::~SqliteStore() {
  if (sync_thread_.joinable()) {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    sync_cv_.notify_all();
    sync_thread_.join();
  }
  for (sqlite3_stmt* stmt : statements_) sqlite3_finalize(stmt);
  // Closing the last connection checkpoints the WAL and fsyncs the database
  // (synchronous >= NORMAL), so a clean close leaves nothing unsynced.
  sqlite3_close(db_);
}

Status SqliteStore::StepDone(sqlite3_stmt* stmt, std::string_view what) {
  StatementUse use(stmt);
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return Status::Ok();
  if (rc == SQLITE_ROW) return Internal(std::string(what) + ": unexpected row");
  return SqliteStatus(rc, db_, what);
}

Result<StoreMeta> SqliteStore::LoadMeta() {
  std::lock_guard lock(mu_);
  sqlite3_stmt* stmt = statements_[kSelectMeta];
  StatementUse use(stmt);
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return StoreMeta{};
  if (rc != SQLITE_ROW) return SqliteStatus(rc, db_, "reading meta");
  for (int i = 0; i < 3; ++i) {
    if (sqlite3_column_type(stmt, i) != SQLITE_INTEGER) return DataLoss("stored meta: a column is not an integer");
  }
  StoreMeta meta;
  meta.epoch = FromSql(sqlite3_column_int64(stmt, 0));
  meta.last_hlc = FromSql(sqlite3_column_int64(stmt, 1));
  meta.next_sequence = FromSql(sqlite3_column_int64(stmt, 2));
  if (sqlite3_column_type(stmt, 3) != SQLITE_TEXT) return DataLoss("stored meta: boot_id is not text");
  meta.boot_id.assign(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3)),
                      static_cast<size_t>(sqlite3_column_bytes(stmt, 3)));
  return meta;
}

Status SqliteStore::ForEachKeyed(StatementId id, std::string_view what,
                                 const std::function<void(const std::string&, const StoredValue&)>& fn) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* stmt = statements_[id];
  StatementUse use(stmt);
  int rc;
  const std::string kind = "stored " + std::string(what);
  std::string key;
  StoredValue value;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    RS_RETURN_IF_ERROR(ReadKey(stmt, 0, kind, &key));
    RS_RETURN_IF_ERROR(ReadValue(stmt, 1, 2, [&] { return kind + " of key '" + key + "'"; }, &value));
    fn(key, value);
  }
  return rc == SQLITE_DONE ? Status::Ok() : SqliteStatus(rc, db_, "reading " + std::string(what));
}

Status SqliteStore::ForEachState(const std::function<void(const std::string&, const StoredValue&)>& fn) {
  return ForEachKeyed(kSelectState, "state", fn);
}

Status SqliteStore::ForEachDelta(const std::function<void(const std::string&, const StoredValue&)>& fn) {
  return ForEachKeyed(kSelectDelta, "delta", fn);
}

Status SqliteStore::ForEachOutbox(
    const std::function<void(uint64_t, const std::string&, const StoredValue&)>& fn) {
  std::lock_guard lock(mu_);
  sqlite3_stmt* stmt = statements_[kSelectOutbox];
  StatementUse use(stmt);
  int rc;
  std::string key;
  StoredValue value;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    if (sqlite3_column_type(stmt, 0) != SQLITE_INTEGER) return DataLoss("stored outbox: generation is not an integer");
    uint64_t generation = FromSql(sqlite3_column_int64(stmt, 0));
    RS_RETURN_IF_ERROR(ReadKey(stmt, 1, "stored outbox", &key));
    RS_RETURN_IF_ERROR(ReadValue(stmt, 2, 3, [&] { return "stored outbox delta of key '" + key + "'"; }, &value));
    fn(generation, key, value);
  }
  return rc == SQLITE_DONE ? Status::Ok() : SqliteStatus(rc, db_, "reading the outbox");
}

size_t SqliteStore::StateCountHint() {
  std::lock_guard lock(mu_);
  sqlite3_stmt* stmt = statements_[kCountState];
  StatementUse use(stmt);
  return sqlite3_step(stmt) == SQLITE_ROW ? static_cast<size_t>(sqlite3_column_int64(stmt, 0)) : 0;
}

Status SqliteStore::LoadDeltaKeys() {
  sqlite3_stmt* stmt = statements_[kSelectDeltaKeys];
  StatementUse use(stmt);
  int rc;
  std::string key;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    RS_RETURN_IF_ERROR(ReadKey(stmt, 0, "stored delta", &key));
    delta_keys_.insert(key);
  }
  return rc == SQLITE_DONE ? Status::Ok() : SqliteStatus(rc, db_, "reading deltas");
}

Status SqliteStore::BindValue(sqlite3_stmt* stmt, int type_index, const StoredValue& value) {
  int rc = sqlite3_bind_int64(stmt, type_index, value.type);
  // data() is never null, so an empty value binds as an empty blob, not NULL.
  if (rc == SQLITE_OK) rc = sqlite3_bind_blob64(stmt, type_index + 1, value.bytes.data(), value.bytes.size(),
                                                SQLITE_STATIC);
  return rc == SQLITE_OK ? Status::Ok() : SqliteStatus(rc, db_, "binding a value");
}

Status SqliteStore::ApplyLocked(const StoreBatch& batch, std::vector<std::string>* dropped) {
  auto bind_key = [&](sqlite3_stmt* stmt, int index, const std::string& key) {
    int rc = sqlite3_bind_text64(stmt, index, key.data(), key.size(), SQLITE_STATIC, SQLITE_UTF8);
    return rc == SQLITE_OK ? Status::Ok() : SqliteStatus(rc, db_, "binding key '" + key + "'");
  };
  // The same order as the memory store: deletes before puts.
  if (batch.meta) {
    sqlite3_stmt* stmt = statements_[kPutMeta];
    sqlite3_bind_int64(stmt, 1, ToSql(batch.meta->epoch));
    sqlite3_bind_int64(stmt, 2, ToSql(batch.meta->last_hlc));
    sqlite3_bind_int64(stmt, 3, ToSql(batch.meta->next_sequence));
    sqlite3_bind_text(stmt, 4, batch.meta->boot_id.data(), static_cast<int>(batch.meta->boot_id.size()),
                      SQLITE_TRANSIENT);
    RS_RETURN_IF_ERROR(StepDone(stmt, "writing meta"));
  }
  // A state written or deleted supersedes the key's deltas.
  auto drop_deltas = [&](const std::string& key) -> Status {
    if (delta_keys_.count(key) == 0) return Status::Ok();
    sqlite3_stmt* stmt = statements_[kDeleteDeltas];
    RS_RETURN_IF_ERROR(bind_key(stmt, 1, key));
    RS_RETURN_IF_ERROR(StepDone(stmt, "deleting the deltas of key '" + key + "'"));
    dropped->push_back(key);
    return Status::Ok();
  };
  for (const std::string& key : batch.delete_state) {
    sqlite3_stmt* stmt = statements_[kDeleteState];
    RS_RETURN_IF_ERROR(bind_key(stmt, 1, key));
    RS_RETURN_IF_ERROR(StepDone(stmt, "deleting the state of key '" + key + "'"));
    RS_RETURN_IF_ERROR(drop_deltas(key));
  }
  for (const auto& [key, value] : batch.put_state) {
    sqlite3_stmt* stmt = statements_[kPutState];
    RS_RETURN_IF_ERROR(bind_key(stmt, 1, key));
    RS_RETURN_IF_ERROR(BindValue(stmt, 2, value));
    RS_RETURN_IF_ERROR(StepDone(stmt, "writing the state of key '" + key + "'"));
    RS_RETURN_IF_ERROR(drop_deltas(key));
  }
  for (const auto& [key, deltas] : batch.append_delta) {
    if (deltas.empty()) continue;
    delta_keys_.insert(key);
    for (const StoredValue& delta : deltas) {
      sqlite3_stmt* stmt = statements_[kAppendDelta];
      RS_RETURN_IF_ERROR(bind_key(stmt, 1, key));
      RS_RETURN_IF_ERROR(BindValue(stmt, 2, delta));
      RS_RETURN_IF_ERROR(StepDone(stmt, "logging a delta of key '" + key + "'"));
    }
  }
  for (uint64_t generation : batch.delete_outbox_generations) {
    sqlite3_stmt* stmt = statements_[kDeleteOutboxGeneration];
    sqlite3_bind_int64(stmt, 1, ToSql(generation));
    RS_RETURN_IF_ERROR(StepDone(stmt, "deleting outbox generation " + std::to_string(generation)));
  }
  for (const auto& [generation_key, value] : batch.put_outbox) {
    const auto& [generation, key] = generation_key;
    sqlite3_stmt* stmt = statements_[kPutOutbox];
    sqlite3_bind_int64(stmt, 1, ToSql(generation));
    RS_RETURN_IF_ERROR(bind_key(stmt, 2, key));
    RS_RETURN_IF_ERROR(BindValue(stmt, 3, value));
    RS_RETURN_IF_ERROR(StepDone(stmt, "writing the outbox delta of key '" + key + "'"));
  }
  return Status::Ok();
}

Status SqliteStore::Commit(const StoreBatch& batch) {
  std::lock_guard lock(mu_);
  if (!sync_error_.ok()) return sync_error_;
  if (batch.empty()) return Status::Ok();  // no transaction, so no fsync
  RS_RETURN_IF_ERROR(StepDone(statements_[kBegin], "beginning a transaction"));
  std::vector<std::string> dropped;
  Status status = ApplyLocked(batch, &dropped);
  if (status.ok()) status = StepDone(statements_[kCommit], "committing");
  if (!status.ok()) {
    // SQLite already rolled back on some errors (IOERR, FULL, NOMEM, ...).
    if (!sqlite3_get_autocommit(db_)) {
      Status rollback = StepDone(statements_[kRollback], "rolling back");
      if (!rollback.ok()) status = Status(status.code(), status.message() + "; then " + rollback.message());
    }
    return status;
  }
  for (const std::string& key : dropped) delta_keys_.erase(key);
  if (options_.fsync == FsyncPolicy::kEveryInterval && !unsynced_) {
    unsynced_ = true;
    sync_cv_.notify_all();
  }
  return Status::Ok();
}

void SqliteStore::SyncLoop() {
  const auto interval = std::chrono::milliseconds(options_.fsync_interval_millis);
  std::unique_lock lock(mu_);
  while (!closing_) {
    if (!unsynced_) {
      sync_cv_.wait(lock);
      continue;
    }
    auto due = last_sync_ + interval;
    if (std::chrono::steady_clock::now() < due) {
      sync_cv_.wait_until(lock, due);
      continue;
    }
    SyncLocked();
  }
}

void SqliteStore::SyncLocked() {
  // With synchronous=NORMAL a checkpoint fsyncs the WAL before copying it
  // into the database file and fsyncs the database after: once it returns,
  // every batch committed so far survives power loss. We are the only
  // connection (exclusive lock), so a passive checkpoint always completes.
  int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  last_sync_ = std::chrono::steady_clock::now();
  unsynced_ = false;
  if (rc != SQLITE_OK && sync_error_.ok()) {
    Status status = SqliteStatus(rc, db_, "background fsync of " + path_);
    sync_error_ = Status(status.code(), status.message() + " (recently acknowledged batches may be lost)");
  }
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, SqliteStoreOptions options) {
  return SqliteStore::Open(path, options);
}

}  // namespace regionsync

#include "sync/state_reader.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

#include "regionsync/crdt/crdt.h"
#include "sync/stored_key.h"

namespace regionsync {
namespace {

// Rows as read from the store: the values' bytes end to end in one buffer,
// so that reading a row costs no allocation of its own (and the decoder
// thread frees one buffer per batch, not one per row).
struct RowBatch {
  struct Row {
    std::string key;
    CrdtType type;
    size_t offset;  // of its bytes in `bytes`
    size_t size;
  };
  std::vector<Row> rows;
  std::string bytes;

  explicit RowBatch(size_t capacity) { rows.reserve(capacity); }
  void Add(const std::string& key, const StoredValue& value) {
    rows.push_back(Row{key, value.type, bytes.size(), value.bytes.size()});
    bytes += value.bytes;
  }
  size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
};

std::vector<DecodedState> DecodeRows(RowBatch& batch) {
  std::vector<DecodedState> out;
  out.reserve(batch.rows.size());
  for (RowBatch::Row& row : batch.rows) {
    std::string_view bytes = std::string_view(batch.bytes).substr(row.offset, row.size);
    const uint64_t hash = StateHash(row.key, row.type, bytes);
    out.push_back(DecodedState{std::move(row.key), FromStored(row.type, bytes, kMaxStoredStateBytes), row.size, hash});
  }
  return out;
}

// One hand-over between two threads of the pipeline: at most `capacity`
// items wait. Push blocks while it is full and fails once the consumer
// stopped; Pop blocks while it is empty and fails once it is closed and
// drained, or stopped.
template <typename T>
class Stage {
 public:
  explicit Stage(size_t capacity) : capacity_(capacity) {}

  bool Push(T item) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return items_.size() < capacity_ || stopped_; });
    if (stopped_) return false;
    items_.push_back(std::move(item));
    cv_.notify_all();
    return true;
  }
  bool Pop(T* out) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !items_.empty() || closed_ || stopped_; });
    if (stopped_ || items_.empty()) return false;
    *out = std::move(items_.front());
    items_.pop_front();
    cv_.notify_all();
    return true;
  }
  void Close() { Set(&closed_); }  // no more items: Pop drains, then fails
  void Stop() { Set(&stopped_); }  // the consumer gave up: everything fails

 private:
  void Set(bool* flag) {
    std::lock_guard lock(mu_);
    *flag = true;
    cv_.notify_all();
  }

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool closed_ = false;
  bool stopped_ = false;
};

// Everything on the caller's thread: small stores, or no thread to be had.
Status ReadHere(Store& store, const DecodedStateSink& sink, size_t batch_rows) {
  RowBatch rows(batch_rows);
  bool go = true;
  Status status = store.ForEachState([&](const std::string& key, const StoredValue& value) {
    if (!go) return;
    rows.Add(key, value);
    if (rows.size() < batch_rows) return;
    std::vector<DecodedState> batch = DecodeRows(rows);
    rows = RowBatch(batch_rows);
    go = sink(batch);
  });
  if (status.ok() && go && !rows.empty()) {
    std::vector<DecodedState> batch = DecodeRows(rows);
    sink(batch);
  }
  return status;
}

}  // namespace

Status ReadStates(Store& store, const DecodedStateSink& sink, size_t batch_rows) {
  if (store.StateCountHint() < batch_rows) return ReadHere(store, sink, batch_rows);

  constexpr size_t kMaxWaiting = 4;  // batches waiting between two stages
  Stage<RowBatch> read(kMaxWaiting);
  Stage<std::vector<DecodedState>> decoded(kMaxWaiting);
  Status status;

  auto read_rows = [&] {
    RowBatch rows(batch_rows);
    bool go = true;
    Status s = store.ForEachState([&](const std::string& key, const StoredValue& value) {
      if (!go) return;
      rows.Add(key, value);
      if (rows.size() >= batch_rows) go = read.Push(std::exchange(rows, RowBatch(batch_rows)));
    });
    if (s.ok() && go && !rows.empty()) read.Push(std::move(rows));
    status = std::move(s);  // read by the caller after join()
    read.Close();
  };
  auto decode_rows = [&] {
    RowBatch rows(0);
    while (read.Pop(&rows)) {
      if (!decoded.Push(DecodeRows(rows))) break;
    }
    read.Stop();  // a reader still pushing gives up
    decoded.Close();
  };
  std::thread reader, decoder;
  try {
    reader = std::thread(read_rows);
    decoder = std::thread(decode_rows);
  } catch (const std::system_error&) {
    read.Stop();
    decoded.Stop();
    if (reader.joinable()) reader.join();
    return ReadHere(store, sink, batch_rows);
  }

  std::vector<DecodedState> batch;
  while (decoded.Pop(&batch)) {
    if (!sink(batch)) {
      decoded.Stop();
      break;
    }
  }
  decoder.join();
  reader.join();
  return status;
}

}  // namespace regionsync

#include "sync/state_reader.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "regionsync/crdt/crdt.h"
#include "sync/stored_key.h"

namespace regionsync {
namespace {

struct Row {
  std::string key;
  StoredValue value;
};

std::vector<DecodedState> DecodeRows(std::vector<Row>& rows) {
  std::vector<DecodedState> out;
  out.reserve(rows.size());
  for (Row& row : rows) {
    const uint64_t hash = StateHash(row.key, row.value);
    out.push_back(
        DecodedState{std::move(row.key), FromStored(row.value, kMaxStoredStateBytes), row.value.bytes.size(), hash});
  }
  rows.clear();
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
  std::vector<Row> rows;
  bool go = true;
  Status status = store.ForEachState([&](const std::string& key, const StoredValue& value) {
    if (!go) return;
    rows.push_back(Row{key, value});
    if (rows.size() < batch_rows) return;
    std::vector<DecodedState> batch = DecodeRows(rows);
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
  Stage<std::vector<Row>> read(kMaxWaiting);
  Stage<std::vector<DecodedState>> decoded(kMaxWaiting);
  Status status;

  auto read_rows = [&] {
    std::vector<Row> rows;
    bool go = true;
    Status s = store.ForEachState([&](const std::string& key, const StoredValue& value) {
      if (!go) return;
      rows.push_back(Row{key, value});
      if (rows.size() >= batch_rows) go = read.Push(std::exchange(rows, {}));
    });
    if (s.ok() && go && !rows.empty()) read.Push(std::move(rows));
    status = std::move(s);  // read by the caller after join()
    read.Close();
  };
  auto decode_rows = [&] {
    std::vector<Row> rows;
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

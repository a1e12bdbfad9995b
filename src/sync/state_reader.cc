#include "sync/state_reader.h"

#include <atomic>
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

  constexpr size_t kMaxReady = 4;  // decoded batches waiting for the caller
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::vector<DecodedState>> ready;
  bool done = false;
  std::atomic<bool> stop{false};
  Status status;

  auto read = [&] {
    std::vector<Row> rows;
    auto hand_over = [&] {
      std::vector<DecodedState> batch = DecodeRows(rows);
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return ready.size() < kMaxReady || stop; });
      if (stop) return;
      ready.push_back(std::move(batch));
      cv.notify_all();
    };
    Status s = store.ForEachState([&](const std::string& key, const StoredValue& value) {
      if (stop) return;
      rows.push_back(Row{key, value});
      if (rows.size() >= batch_rows) hand_over();
    });
    if (s.ok() && !rows.empty() && !stop) hand_over();
    std::lock_guard lock(mu);
    status = std::move(s);
    done = true;
    cv.notify_all();
  };
  std::thread helper;
  try {
    helper = std::thread(read);
  } catch (const std::system_error&) {
    return ReadHere(store, sink, batch_rows);
  }

  for (;;) {
    std::vector<DecodedState> batch;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return !ready.empty() || done; });
      if (ready.empty()) break;
      batch = std::move(ready.front());
      ready.pop_front();
      cv.notify_all();
    }
    if (!sink(batch)) {
      std::lock_guard lock(mu);
      stop = true;
      cv.notify_all();
      break;
    }
  }
  helper.join();
  return status;
}

}  // namespace regionsync

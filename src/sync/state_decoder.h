// StateDecoder: decodes the stored states of a restore (Replica::Open) on a
// helper thread, a batch at a time, while the caller goes on reading rows
// from the store and inserting the states decoded before. Reading and
// inserting keep one core busy, decoding the other: an open of a big store
// takes about the time of the larger half instead of the sum. States come
// back in the order they were added; a store of fewer rows than one batch
// is decoded on the caller's thread. Internal to src/sync.
//
//   StateDecoder decoder([&](std::vector<StateDecoder::Decoded>& batch) { ... });
//   store->ForEachState([&](const std::string& k, const StoredValue& v) { decoder.Add(k, v); });
//   decoder.Finish();
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "regionsync/crdt/key_state.h"
#include "regionsync/store/store.h"

namespace regionsync {

class StateDecoder {
 public:
  struct Decoded {
    std::string key;
    Result<KeyState> state;  // FromStored's result
    size_t bytes = 0;        // size of the stored encoding
    uint64_t hash = 0;       // StateHash of the stored row
  };
  // Called with each decoded batch, in order, on the caller's thread.
  using Sink = std::function<void(std::vector<Decoded>& batch)>;

  explicit StateDecoder(Sink sink, size_t batch_rows = kBatchRows) : sink_(std::move(sink)), batch_rows_(batch_rows) {}
  // Waits for a batch still being decoded (its states are dropped).
  ~StateDecoder();
  StateDecoder(const StateDecoder&) = delete;
  StateDecoder& operator=(const StateDecoder&) = delete;

  // Queues one row; may hand an earlier batch to the sink.
  void Add(const std::string& key, const StoredValue& value);
  // Decodes what is queued and hands every remaining batch to the sink.
  void Finish();

  static constexpr size_t kBatchRows = 8192;

 private:
  struct Row {
    std::string key;
    StoredValue value;
  };
  static std::vector<Decoded> DecodeRows(std::vector<Row> rows);
  // Starts decoding the queued rows, then hands the batch before to the sink.
  void Rotate();

  Sink sink_;
  size_t batch_rows_;
  std::vector<Row> rows_;
  std::future<std::vector<Decoded>> in_flight_;
};

}  // namespace regionsync

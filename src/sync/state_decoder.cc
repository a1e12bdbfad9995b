#include "sync/state_decoder.h"

#include <memory>
#include <system_error>
#include <utility>

#include "regionsync/crdt/crdt.h"
#include "sync/stored_key.h"

namespace regionsync {

StateDecoder::~StateDecoder() {
  if (in_flight_.valid()) in_flight_.wait();
}

std::vector<StateDecoder::Decoded> StateDecoder::DecodeRows(std::vector<Row> rows) {
  std::vector<Decoded> out;
  out.reserve(rows.size());
  for (Row& row : rows) {
    out.push_back(Decoded{std::move(row.key), FromStored(row.value, kMaxStoredStateBytes), row.value.bytes.size(), 0});
    out.back().hash = StateHash(out.back().key, row.value);
  }
  return out;
}

void StateDecoder::Add(const std::string& key, const StoredValue& value) {
  rows_.push_back(Row{key, value});
  if (rows_.size() >= batch_rows_) Rotate();
}

void StateDecoder::Rotate() {
  // Shared, so that the rows are still here if no thread can be started.
  auto rows = std::make_shared<std::vector<Row>>(std::move(rows_));
  rows_.clear();
  std::future<std::vector<Decoded>> next;
  try {
    next = std::async(std::launch::async, [rows] { return DecodeRows(std::move(*rows)); });
  } catch (const std::system_error&) {  // decode here instead
    std::promise<std::vector<Decoded>> done;
    done.set_value(DecodeRows(std::move(*rows)));
    next = done.get_future();
  }
  if (in_flight_.valid()) {
    std::vector<Decoded> batch = in_flight_.get();
    sink_(batch);
  }
  in_flight_ = std::move(next);
}

void StateDecoder::Finish() {
  if (in_flight_.valid()) {
    std::vector<Decoded> batch = in_flight_.get();
    sink_(batch);
  }
  if (!rows_.empty()) {
    std::vector<Decoded> batch = DecodeRows(std::move(rows_));
    rows_.clear();
    sink_(batch);
  }
}

}  // namespace regionsync

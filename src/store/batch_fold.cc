#include "store/batch_fold.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace regionsync {
namespace {

// Moves the table's entries into `out`, in key order, and empties the table.
// Sorts positions, not the entries: a swap then moves an index, not a key
// and a value. Comparing two keys through their positions costs a cache
// miss or two, so each position carries the 8 bytes of its key that follow
// the prefix every key shares (keys of a keyspace mostly share one, such as
// "session:"): most comparisons end there, and only ties read the keys.
template <typename Table, typename Map, typename MakeKey>
void MoveSorted(Table& table, Map& out, MakeKey make_key) {
  std::vector<typename Table::node_type> nodes;
  nodes.reserve(table.size());
  for (auto it = table.begin(); it != table.end();) nodes.push_back(table.extract(it++));
  table.clear();
  if (nodes.empty()) return;
  std::string_view first = nodes[0].key();
  size_t shared = first.size();
  for (const auto& node : nodes) {
    std::string_view key = node.key();
    size_t n = std::min(shared, key.size());
    size_t i = 0;
    while (i < n && key[i] == first[i]) ++i;
    shared = i;
  }
  struct Slot {
    uint64_t word;  // big-endian, so it orders like the bytes; zero-padded
    uint32_t index;
  };
  std::vector<Slot> order(nodes.size());
  for (uint32_t i = 0; i < order.size(); ++i) {
    std::string_view key = nodes[i].key();
    uint64_t word = 0;
    for (size_t b = 0; b < 8; ++b) {
      word <<= 8;
      if (shared + b < key.size()) word |= static_cast<unsigned char>(key[shared + b]);
    }
    order[i] = Slot{word, i};
  }
  std::sort(order.begin(), order.end(), [&](const Slot& a, const Slot& b) {
    if (a.word != b.word) return a.word < b.word;
    return nodes[a.index].key() < nodes[b.index].key();
  });
  for (const Slot& slot : order) {
    out.emplace_hint(out.end(), make_key(std::move(nodes[slot.index].key())), std::move(nodes[slot.index].mapped()));
  }
}

}  // namespace

void BatchFold::Add(StoreBatch&& later) {
  if (empty()) {
    only_ = std::move(later);
    return;
  }
  if (only_) Fold(*std::exchange(only_, std::nullopt));
  Fold(std::move(later));
}

void BatchFold::Fold(StoreBatch&& later) {
  if (later.meta) meta_ = std::move(later.meta);
  // A batch deletes before it puts, so its deletes fold first.
  for (auto it = later.delete_state.begin(); it != later.delete_state.end();) {
    auto node = later.delete_state.extract(it++);
    put_state_.erase(node.value());
    append_delta_.erase(node.value());
    delete_state_.insert(std::move(node.value()));
  }
  for (auto it = later.put_state.begin(); it != later.put_state.end();) {
    auto node = later.put_state.extract(it++);
    // (Most folds have no deletes or deltas: skip the probes.)
    if (!delete_state_.empty()) delete_state_.erase(node.key());
    if (!append_delta_.empty()) append_delta_.erase(node.key());
    put_state_.insert_or_assign(std::move(node.key()), std::move(node.mapped()));
  }
  // A delta joins into whatever the fold leaves for the key (a put, a
  // delete, or the inner store's row), so it folds as one more delta.
  for (auto it = later.append_delta.begin(); it != later.append_delta.end();) {
    auto node = later.append_delta.extract(it++);
    std::vector<StoredValue>& deltas = append_delta_[std::move(node.key())];
    for (StoredValue& delta : node.mapped()) deltas.push_back(std::move(delta));
  }
  for (uint64_t generation : later.delete_outbox_generations) {
    // Stays a deletion too: the inner store may hold rows of it.
    put_outbox_.erase(generation);
    delete_outbox_generations_.insert(generation);
  }
  for (auto it = later.put_outbox.begin(); it != later.put_outbox.end();) {
    auto node = later.put_outbox.extract(it++);
    put_outbox_[node.key().first].insert_or_assign(std::move(node.key().second), std::move(node.mapped()));
  }
}

StoreBatch BatchFold::Take() {
  if (only_) return *std::exchange(only_, std::nullopt);
  StoreBatch out;
  out.meta = std::exchange(meta_, std::nullopt);
  MoveSorted(put_state_, out.put_state, [](std::string&& key) { return std::move(key); });
  std::vector<std::string> deleted;
  deleted.reserve(delete_state_.size());
  for (auto it = delete_state_.begin(); it != delete_state_.end();) {
    deleted.push_back(std::move(delete_state_.extract(it++).value()));
  }
  delete_state_.clear();
  std::sort(deleted.begin(), deleted.end());
  for (std::string& key : deleted) out.delete_state.insert(out.delete_state.end(), std::move(key));
  MoveSorted(append_delta_, out.append_delta, [](std::string&& key) { return std::move(key); });
  std::vector<uint64_t> generations;
  generations.reserve(put_outbox_.size());
  for (const auto& [generation, rows] : put_outbox_) generations.push_back(generation);
  std::sort(generations.begin(), generations.end());
  for (uint64_t generation : generations) {
    MoveSorted(put_outbox_[generation], out.put_outbox,
               [generation](std::string&& key) { return std::make_pair(generation, std::move(key)); });
  }
  put_outbox_.clear();
  out.delete_outbox_generations = std::exchange(delete_outbox_generations_, {});
  return out;
}

}  // namespace regionsync

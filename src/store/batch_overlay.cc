#include "store/batch_overlay.h"

#include <string>
#include <utility>

namespace regionsync {

Result<StoreMeta> BatchOverlay::LoadMeta() {
  if (over_.meta) return *over_.meta;
  return inner_.LoadMeta();
}

size_t BatchOverlay::StateCountHint() { return inner_.StateCountHint() + over_.put_state.size(); }

// A batch deletes, then puts (a put wins over a delete of the same key).
Status BatchOverlay::ForEachState(const std::function<void(const std::string&, const StoredValue&)>& fn) {
  if (over_.put_state.empty() && over_.delete_state.empty()) return inner_.ForEachState(fn);
  auto put = over_.put_state.begin();
  auto deleted = over_.delete_state.begin();
  RS_RETURN_IF_ERROR(inner_.ForEachState([&](const std::string& key, const StoredValue& value) {
    for (; put != over_.put_state.end() && put->first < key; ++put) fn(put->first, put->second);
    if (put != over_.put_state.end() && put->first == key) {
      fn(put->first, put->second);
      ++put;
      return;
    }
    while (deleted != over_.delete_state.end() && *deleted < key) ++deleted;
    if (deleted != over_.delete_state.end() && *deleted == key) return;
    fn(key, value);
  }));
  for (; put != over_.put_state.end(); ++put) fn(put->first, put->second);
  return Status::Ok();
}

// A put or delete of a key drops its inner deltas; the batch's deltas come
// after whatever is left, in key order.
Status BatchOverlay::ForEachDelta(const std::function<void(const std::string&, const StoredValue&)>& fn) {
  auto appended = over_.append_delta.begin();
  auto flush_before = [&](const std::string* key) {
    for (; appended != over_.append_delta.end() && (key == nullptr || appended->first < *key); ++appended) {
      for (const StoredValue& delta : appended->second) fn(appended->first, delta);
    }
  };
  RS_RETURN_IF_ERROR(inner_.ForEachDelta([&](const std::string& key, const StoredValue& value) {
    flush_before(&key);
    if (over_.put_state.count(key) != 0 || over_.delete_state.count(key) != 0) return;
    fn(key, value);
  }));
  flush_before(nullptr);
  return Status::Ok();
}

// A deleted generation drops its inner rows; the batch's rows replace or
// join the rest, in (generation, key) order.
Status BatchOverlay::ForEachOutbox(const std::function<void(uint64_t, const std::string&, const StoredValue&)>& fn) {
  auto put = over_.put_outbox.begin();
  RS_RETURN_IF_ERROR(inner_.ForEachOutbox([&](uint64_t generation, const std::string& key, const StoredValue& value) {
    auto before = [&](const std::pair<uint64_t, std::string>& row) {
      return row.first < generation || (row.first == generation && row.second < key);
    };
    for (; put != over_.put_outbox.end() && before(put->first); ++put) {
      fn(put->first.first, put->first.second, put->second);
    }
    if (put != over_.put_outbox.end() && put->first.first == generation && put->first.second == key) {
      fn(put->first.first, put->first.second, put->second);
      ++put;
      return;
    }
    if (over_.delete_outbox_generations.count(generation) != 0) return;
    fn(generation, key, value);
  }));
  for (; put != over_.put_outbox.end(); ++put) fn(put->first.first, put->first.second, put->second);
  return Status::Ok();
}

Status BatchOverlay::Commit(const StoreBatch&) { return Internal("a batch overlay is read-only"); }

}  // namespace regionsync

#include "regionsync/server/change_feed.h"

#include <cassert>

namespace regionsync {

ChangeFeed::ChangeFeed(size_t capacity, uint64_t first_id)
    : capacity_(capacity), first_id_(first_id), next_id_(first_id) {
  assert(capacity >= 1 && first_id >= 1);
}

uint64_t ChangeFeed::Append(FeedEvent event) {
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    event.id = id;
    ring_.push_back(std::move(event));
    if (ring_.size() > capacity_) ring_.pop_front();
  }
  cv_.notify_all();
  return id;
}

ChangeFeed::ReadResult ChangeFeed::Read(uint64_t* cursor, std::vector<FeedEvent>* out,
                                        std::chrono::milliseconds timeout, size_t max) {
  std::unique_lock lock(mu_);
  if (closed_) return kClosed;
  // Valid cursors: this run's ids (or first_id_ - 1) whose successor is still
  // kept. Anything else missed events (too old, another run, or bogus).
  uint64_t first_kept = ring_.empty() ? next_id_ : ring_.front().id;
  if (*cursor + 1 < first_id_ || *cursor >= next_id_ || *cursor + 1 < first_kept) {
    *cursor = next_id_ - 1;
    return kReset;
  }
  if (*cursor + 1 == next_id_) {
    cv_.wait_for(lock, timeout, [&] { return closed_ || *cursor + 1 < next_id_; });
    if (closed_) return kClosed;
    if (*cursor + 1 == next_id_) return kTimeout;
    // More than `capacity_` events arrived while this reader waited.
    if (*cursor + 1 < ring_.front().id) {
      *cursor = next_id_ - 1;
      return kReset;
    }
  }
  size_t index = *cursor + 1 - ring_.front().id;
  for (size_t i = index; i < ring_.size() && max > 0; ++i, --max) out->push_back(ring_[i]);
  *cursor = out->back().id;
  return kEvents;
}

uint64_t ChangeFeed::last_id() const {
  std::lock_guard lock(mu_);
  return next_id_ - 1;
}

uint64_t ChangeFeed::first_kept_id() const {
  std::lock_guard lock(mu_);
  return ring_.empty() ? next_id_ : ring_.front().id;
}

uint64_t ChangeFeed::appended() const {
  std::lock_guard lock(mu_);
  return next_id_ - first_id_;
}

void ChangeFeed::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

std::string FormatSseEvent(uint64_t id, std::string_view event, std::string_view data) {
  std::string out;
  out.reserve(data.size() + event.size() + 40);
  if (id != 0) out += "id: " + std::to_string(id) + "\n";
  out += "event: ";
  out += event;
  out += "\ndata: ";
  out += data;
  out += "\n\n";
  return out;
}

}  // namespace regionsync

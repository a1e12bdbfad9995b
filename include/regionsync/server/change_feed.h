// ChangeFeed: the bounded in-memory log behind GET /v1/events. The replica's
// change listener appends one event per observable change (local write or
// merged remote delta); each SSE client reads from its own cursor. An event
// names the key, not its value: the HTTP layer reads the value when it sends
// the event, so a write costs no rendering (a set of 100 000 members would
// otherwise be turned into JSON on every SADD). Event ids
// increase by one per event and start above every id an earlier run of the
// daemon handed out (they start at wall-clock ms * 1000), so a client that
// resumes with a Last-Event-ID from before a restart, or one older than the
// ring keeps, is told to reset instead of silently missing changes.
//
//   ChangeFeed feed(/*capacity=*/10'000, env->WallMillis() * 1000);
//   feed.Append({.key = "sessions", .origin = "us-east-1/a", .type = "pn_counter", .local = true});
//   uint64_t cursor = feed.last_id();          // a new client starts at the tail
//   std::vector<FeedEvent> got;
//   if (feed.Read(&cursor, &got, 1s) == ChangeFeed::kReset) { /* send a reset event */ }
//
// Thread-safe. Append never blocks on readers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace regionsync {

struct FeedEvent {
  uint64_t id = 0;  // set by Append
  std::string key;
  std::string origin;        // replica whose write caused the change
  const char* type = "";     // TypeName of the key's type
  bool local = false;        // this replica's own write
  bool expired = false;      // the key's expiry passed (it now reads as missing)
  // For a presence key (sync/presence.h) whose member joined or left: "join"
  // or "leave"; the feed then carries this event besides the key's change.
  const char* presence = nullptr;
};

class ChangeFeed {
 public:
  enum ReadResult { kEvents, kTimeout, kReset, kClosed };

  // REQUIRES: capacity >= 1, first_id >= 1.
  ChangeFeed(size_t capacity, uint64_t first_id);

  // Appends `event` (its id is assigned) and wakes readers. Returns the id.
  uint64_t Append(FeedEvent event);

  // Appends to `out` the events after `*cursor` (at most `max` of them),
  // waiting up to `timeout` for one, and advances `*cursor` past them.
  // kReset (cursor moved to the newest id, nothing appended) when events
  // after `*cursor` are no longer kept or `*cursor` was never handed out;
  // kClosed once Close() was called.
  ReadResult Read(uint64_t* cursor, std::vector<FeedEvent>* out, std::chrono::milliseconds timeout,
                  size_t max = 256);

  // The newest id handed out (first_id - 1 before the first event).
  uint64_t last_id() const;
  // The oldest id still kept (last_id() + 1 when empty).
  uint64_t first_kept_id() const;
  uint64_t appended() const;
  // Wakes every reader with kClosed, now and from now on.
  void Close();

 private:
  const size_t capacity_;
  const uint64_t first_id_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<FeedEvent> ring_;
  uint64_t next_id_;
  bool closed_ = false;
};

// One Server-Sent Events record: "id: <id>\nevent: <event>\ndata: <data>\n\n".
// `data` must not contain a newline (compact JSON never does). id 0 = no id line.
std::string FormatSseEvent(uint64_t id, std::string_view event, std::string_view data);

}  // namespace regionsync

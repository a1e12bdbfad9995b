// SseParser: turns the bytes of a text/event-stream (Server-Sent Events, as
// served by GET /v1/events) into events. Pure: feed it chunks exactly as they
// arrive, split anywhere, and it returns each event once its blank line came.
//
//   SseParser parser;
//   for (const SseEvent& e : parser.Feed(chunk)) Print(e.data);
//   // reconnect with "Last-Event-ID: " + parser.last_event_id()
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace regionsync::client {

struct SseEvent {
  std::string id;     // the last event id in force when this event was dispatched
  std::string event;  // "message" when the server named none
  std::string data;   // data lines joined with '\n'
};

class SseParser {
 public:
  // Parses `chunk` and returns the events it completed (possibly none).
  // Follows the WHATWG rules: lines end with \n, \r\n or \r; ':' starts a
  // comment (keep-alive); an event without data lines is not dispatched;
  // an id containing NUL is ignored; unknown fields are ignored.
  std::vector<SseEvent> Feed(std::string_view chunk);

  // Drops a partly received event (the connection broke mid-event) but keeps
  // the last event id and retry delay, as a reconnecting client must.
  void Reset();

  const std::string& last_event_id() const { return last_event_id_; }
  // The reconnection delay the server asked for with "retry:", if any.
  std::optional<uint64_t> retry_millis() const { return retry_millis_; }

 private:
  void ProcessLine(std::string_view line, std::vector<SseEvent>* out);

  std::string line_;          // current unterminated line
  bool skip_next_lf_ = false;  // the previous chunk ended in '\r'
  bool first_bytes_ = true;    // a UTF-8 BOM may open the stream
  std::string data_;
  bool has_data_ = false;
  std::string event_;
  std::string last_event_id_;
  std::optional<uint64_t> retry_millis_;
};

}  // namespace regionsync::client

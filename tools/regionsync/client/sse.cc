#include "sse.h"

namespace regionsync::client {

std::vector<SseEvent> SseParser::Feed(std::string_view chunk) {
  std::vector<SseEvent> out;
  if (first_bytes_ && !chunk.empty()) {
    // Only a BOM that arrives whole is stripped; servers send it, if at all,
    // as the first bytes of the first write.
    if (chunk.substr(0, 3) == "\xEF\xBB\xBF") chunk.remove_prefix(3);
    first_bytes_ = false;
  }
  for (char c : chunk) {
    if (skip_next_lf_) {
      skip_next_lf_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      skip_next_lf_ = c == '\r';
      ProcessLine(line_, &out);
      line_.clear();
    } else {
      line_.push_back(c);
    }
  }
  return out;
}

void SseParser::Reset() {
  line_.clear();
  skip_next_lf_ = false;
  data_.clear();
  has_data_ = false;
  event_.clear();
}

void SseParser::ProcessLine(std::string_view line, std::vector<SseEvent>* out) {
  if (line.empty()) {
    if (has_data_) out->push_back({last_event_id_, event_.empty() ? "message" : event_, data_});
    data_.clear();
    has_data_ = false;
    event_.clear();
    return;
  }
  if (line.front() == ':') return;
  std::string_view field = line, value;
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_ = std::string(value);
  } else if (field == "retry") {
    if (value.empty() || value.size() > 12) return;
    uint64_t millis = 0;
    for (char c : value) {
      if (c < '0' || c > '9') return;
      millis = millis * 10 + static_cast<uint64_t>(c - '0');
    }
    retry_millis_ = millis;
  }
}

}  // namespace regionsync::client

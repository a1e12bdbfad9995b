#include "regionsync/sync/sequence_tracker.h"

#include <algorithm>
#include <iterator>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace regionsync {

bool SequenceTracker::Observe(const Received& r, uint64_t now_micros) {
  auto [it, inserted] = origins_.try_emplace(r.origin);
  Origin& o = it->second;
  if (inserted || o.epoch != r.epoch) {
    // First contact: what the origin sent before is not ours to know. A new
    // epoch of an origin we knew: it starts at sequence 1, all of it for us.
    // (A late message of an older epoch resets nothing that matters: the
    // next message of the new epoch starts it again, and gaps in between
    // are given up like any other: at worst one bucket repair too many.)
    const bool known = !inserted;
    o = Origin{};
    o.epoch = r.epoch;
    o.floor = known ? 0 : r.sequence - 1;
  }
  o.last_heard = now_micros;
  o.resend_from = std::max(o.resend_from, r.resend_from);
  if (r.sequence <= o.floor || !o.above.emplace(r.sequence, r.data_count).second) return false;
  if (r.run_start > o.floor + 1) {
    // An earlier process of the origin ended (a crash: a clean stop leaves
    // no gap) and took its buffer with it. A sequence missing below one we
    // received from it was sent and lost: a loss. Above the last one
    // received it was most likely never sent (the unused lease).
    auto last = o.above.lower_bound(r.run_start);
    if (last != o.above.begin()) GiveUpTo(o, std::prev(last)->first);
    GiveUpTo(o, r.run_start - 1, /*count=*/false);
  }
  Advance(o, now_micros);
  return true;
}

void SequenceTracker::Advance(Origin& o, uint64_t now_micros) {
  while (!o.above.empty() && o.above.begin()->first == o.floor + 1) {
    o.floor_data_count = o.above.begin()->second;
    ++o.floor;
    o.above.erase(o.above.begin());
    o.gap_since = 0;
    o.requests = 0;
  }
  if (o.above.empty()) {
    o.gap_since = 0;
  } else if (o.gap_since == 0) {
    o.gap_since = now_micros;
  }
}

void SequenceTracker::GiveUpTo(Origin& o, uint64_t sequence, bool count) {
  while (o.floor < sequence) {
    ++o.floor;
    auto first = o.above.begin();
    if (first != o.above.end() && first->first == o.floor) {
      o.floor_data_count = first->second;
      o.above.erase(first);
    } else if (count) {
      ++given_up_;
      ++new_losses_;
    }
  }
  o.gap_since = 0;
  o.requests = 0;
}

std::vector<SequenceTracker::Request> SequenceTracker::DueRequests(uint64_t now_micros) {
  std::vector<Request> out;
  for (auto& [name, o] : origins_) {
    if (o.above.empty() || now_micros < o.gap_since + options_.gap_grace_micros) continue;
    if (o.requests > 0 && now_micros < o.last_request + options_.gap_grace_micros) continue;
    // What the origin can no longer send, and a gap asked for often enough
    // without an answer, are given up: a bucket repair covers them.
    if (o.resend_from > o.floor + 1) GiveUpTo(o, std::min(o.resend_from - 1, o.above.rbegin()->first));
    if (!o.above.empty() && o.requests >= options_.max_requests) GiveUpTo(o, o.above.begin()->first - 1);
    Advance(o, now_micros);
    if (o.above.empty()) continue;
    Request request{name, o.epoch, {}};
    uint64_t budget = options_.max_request_sequences;
    uint64_t next = o.floor + 1;
    for (const auto& [sequence, data_count] : o.above) {
      if (budget == 0) break;
      if (sequence > next) {
        const uint64_t to = std::min(sequence - 1, next + budget - 1);
        request.ranges.emplace_back(next, to);
        budget -= to - next + 1;
        requested_ += to - next + 1;
      }
      next = sequence + 1;
    }
    ++o.requests;
    o.last_request = now_micros;
    if (o.gap_since == 0) o.gap_since = now_micros;
    out.push_back(std::move(request));
  }
  return out;
}

bool SequenceTracker::has_gaps() const {
  return std::any_of(origins_.begin(), origins_.end(), [](const auto& o) { return !o.second.above.empty(); });
}

uint64_t SequenceTracker::SettledHash(const std::string& self, uint64_t self_epoch, uint64_t self_data_count,
                                      uint64_t now_micros) const {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  auto add = [&](const std::string& name, uint64_t epoch, uint64_t data_count) {
    const uint64_t fields[3] = {name.size(), epoch, data_count};
    XXH3_64bits_update(&state, fields, sizeof fields);
    XXH3_64bits_update(&state, name.data(), name.size());
  };
  bool self_added = self_data_count == 0;
  for (const auto& [name, o] : origins_) {
    if (!o.above.empty()) return 0;
    if (!self_added && self < name) {
      add(self, self_epoch, self_data_count);
      self_added = true;
    }
    if (name == self || o.floor_data_count == 0 || now_micros > o.last_heard + options_.live_micros) continue;
    add(name, o.epoch, o.floor_data_count);
  }
  if (!self_added) add(self, self_epoch, self_data_count);
  return std::max<uint64_t>(XXH3_64bits_digest(&state), 1);
}

std::vector<std::string> SequenceTracker::LiveOrigins(uint64_t now_micros) const {
  std::vector<std::string> out;
  for (const auto& [name, o] : origins_) {
    if (now_micros <= o.last_heard + options_.live_micros) out.push_back(name);
  }
  return out;
}

}  // namespace regionsync

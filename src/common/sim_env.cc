#include "regionsync/common/env.h"

namespace regionsync {

SimEnv::SimEnv(uint64_t seed, uint64_t start_wall_millis)
    : start_wall_millis_(start_wall_millis), rng_(seed) {}

TimerId SimEnv::Schedule(uint64_t delay_micros, std::function<void()> fn) {
  TimerId id = next_id_++;
  uint64_t due = now_micros_ + delay_micros;
  timers_.emplace(std::make_pair(due, id), std::move(fn));
  due_by_id_.emplace(id, due);
  return id;
}

void SimEnv::Cancel(TimerId id) {
  auto it = due_by_id_.find(id);
  if (it == due_by_id_.end()) return;
  timers_.erase({it->second, id});
  due_by_id_.erase(it);
}

bool SimEnv::RunNext() {
  if (timers_.empty()) return false;
  auto it = timers_.begin();
  now_micros_ = std::max(now_micros_, it->first.first);
  std::function<void()> fn = std::move(it->second);
  due_by_id_.erase(it->first.second);
  timers_.erase(it);
  fn();
  return true;
}

void SimEnv::RunFor(uint64_t micros) {
  uint64_t end = now_micros_ + micros;
  while (!timers_.empty() && timers_.begin()->first.first <= end) RunNext();
  now_micros_ = end;
}

}  // namespace regionsync

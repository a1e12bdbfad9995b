#include <chrono>
#include <condition_variable>
#include <fstream>
#include <thread>

#include "regionsync/common/env.h"

namespace regionsync {
namespace {

// Real clocks and one background thread that runs timers in due order.
class RealEnv final : public Env {
 public:
  RealEnv() : rng_(std::random_device{}()), thread_([this] { TimerLoop(); }) {}
  ~RealEnv() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  uint64_t WallMillis() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  uint64_t MonotonicMicros() override {
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
  }
  uint64_t Random64() override {
    std::lock_guard lock(rng_mu_);
    return rng_();
  }

  std::string BootId() override {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
  }

  TimerId Schedule(uint64_t delay_micros, std::function<void()> fn) override {
    std::lock_guard lock(mu_);
    TimerId id = next_id_++;
    uint64_t due = MonotonicMicros() + delay_micros;
    timers_.emplace(std::make_pair(due, id), std::move(fn));
    due_by_id_.emplace(id, due);
    cv_.notify_all();
    return id;
  }

  void Cancel(TimerId id) override {
    std::lock_guard lock(mu_);
    auto it = due_by_id_.find(id);
    if (it == due_by_id_.end()) return;
    timers_.erase({it->second, id});
    due_by_id_.erase(it);
  }

 private:
  void TimerLoop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (timers_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto it = timers_.begin();
      uint64_t now = MonotonicMicros();
      if (it->first.first > now) {
        cv_.wait_for(lock, std::chrono::microseconds(it->first.first - now));
        continue;
      }
      std::function<void()> fn = std::move(it->second);
      due_by_id_.erase(it->first.second);
      timers_.erase(it);
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  TimerId next_id_ = 1;
  std::map<std::pair<uint64_t, TimerId>, std::function<void()>> timers_;
  std::map<TimerId, uint64_t> due_by_id_;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace

std::unique_ptr<Env> NewRealEnv() { return std::make_unique<RealEnv>(); }

}  // namespace regionsync

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <thread>

#include "regionsync/common/env.h"

namespace regionsync {
namespace {

// 64 bits from the kernel's CSPRNG. Epochs and the ephemeral signing key
// come from here: one 32-bit std::random_device seed gave only 2^32
// possible epochs. getrandom blocks only until the pool is first seeded at
// boot; where the call is missing (old kernel, seccomp) two full 32-bit
// draws of std::random_device (which reads the OS source too) stand in.
uint64_t OsRandom64() {
  uint64_t v = 0;
  auto* out = reinterpret_cast<unsigned char*>(&v);
  size_t got = 0;
  while (got < sizeof v) {
    ssize_t n = getrandom(out + got, sizeof v - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      std::random_device rd;
      return static_cast<uint64_t>(rd()) << 32 | static_cast<uint32_t>(rd());
    }
  }
  return v;
}

// Real clocks and one background thread that runs timers in due order.
class RealEnv final : public Env {
 public:
  explicit RealEnv(RealEnvOptions options) : options_(std::move(options)), thread_([this] { TimerLoop(); }) {}
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
  uint64_t Random64() override { return OsRandom64(); }

  // Read once: a boot id cannot change while the process runs.
  std::string BootId() override {
    std::call_once(boot_id_once_, [this] {
      std::ifstream in(options_.boot_id_path);
      std::getline(in, boot_id_);
      if (!boot_id_.empty()) return;
      // Unknown is not "the same boot as before": answering "" every time
      // would match the "" stored last time and silently turn off the new
      // epoch after a reboot. A token no earlier process had makes every
      // start count as a reboot instead (a new epoch each start: safe).
      char token[48];
      std::snprintf(token, sizeof token, "unreadable-%016llx%016llx", static_cast<unsigned long long>(OsRandom64()),
                    static_cast<unsigned long long>(OsRandom64()));
      boot_id_ = token;
      std::string message = "boot id unreadable or empty at " + options_.boot_id_path +
                            ": every start of this process counts as a reboot (a new replica epoch each time)";
      if (options_.warn) {
        options_.warn(message);
      } else {
        std::fprintf(stderr, "regionsync: warning: %s\n", message.c_str());
      }
    });
    return boot_id_;
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

  RealEnvOptions options_;
  std::once_flag boot_id_once_;
  std::string boot_id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  TimerId next_id_ = 1;
  std::map<std::pair<uint64_t, TimerId>, std::function<void()>> timers_;
  std::map<TimerId, uint64_t> due_by_id_;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace

std::unique_ptr<Env> NewRealEnv(RealEnvOptions options) { return std::make_unique<RealEnv>(std::move(options)); }

}  // namespace regionsync

// Env: the only way regionsync code reads time, sets timers or draws random
// numbers. The daemon uses RealEnv; tests and the simulator use SimEnv, whose
// time moves only when the test says so and whose randomness comes from a seed,
// so a run replays exactly from its seed.
//
//   SimEnv env(/*seed=*/42);
//   env.Schedule(50'000, [&] { Flush(); });  // in 50 ms of virtual time
//   env.RunFor(1'000'000);                   // runs every timer due in 1 s
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>

namespace regionsync {

using TimerId = uint64_t;

class Env {
 public:
  virtual ~Env() = default;

  // Milliseconds since the Unix epoch. May jump (NTP, operator); the HLC copes.
  virtual uint64_t WallMillis() = 0;
  // Microseconds from an arbitrary origin; never goes backwards.
  virtual uint64_t MonotonicMicros() = 0;
  // A uniformly distributed 64-bit number (seeded in SimEnv).
  virtual uint64_t Random64() = 0;
  // Changes when the machine reboots (Linux: /proc/sys/kernel/random/boot_id).
  // Where that cannot be read, RealEnv answers a random token of its own
  // (never empty), so every process counts as a new boot: a replica whose
  // store was written under another token takes a new epoch, which is always
  // safe, where trusting an unknown boot would risk reusing dots.
  virtual std::string BootId() = 0;

  // Runs `fn` once, `delay_micros` from now (monotonic). Returns an id for Cancel.
  // In RealEnv `fn` runs on the timer thread; in SimEnv inside Run*().
  virtual TimerId Schedule(uint64_t delay_micros, std::function<void()> fn) = 0;
  // Cancels a timer that has not run yet. Cancelling an unknown id does nothing.
  virtual void Cancel(TimerId id) = 0;

  // Uniform in [0, bound). REQUIRES: bound > 0.
  uint64_t Uniform(uint64_t bound) { return Random64() % bound; }
  // True with probability p.
  bool Chance(double p) { return p > 0 && static_cast<double>(Random64() >> 11) * 0x1.0p-53 < p; }
};

struct RealEnvOptions {
  // Where BootId() reads the kernel's boot id.
  std::string boot_id_path = "/proc/sys/kernel/random/boot_id";
  // Told once, the first time BootId() finds the boot id unreadable or
  // empty. Null: a line on stderr.
  std::function<void(const std::string& message)> warn;
};

// Real time, 64-bit random numbers from the OS (getrandom(2), each call),
// one timer thread.
std::unique_ptr<Env> NewRealEnv(RealEnvOptions options = {});

// Virtual time starting at `start_wall_millis`, deterministic from `seed`.
class SimEnv final : public Env {
 public:
  explicit SimEnv(uint64_t seed, uint64_t start_wall_millis = 1'700'000'000'000ULL);

  uint64_t WallMillis() override { return start_wall_millis_ + now_micros_ / 1000 + wall_skew_millis_; }
  uint64_t MonotonicMicros() override { return now_micros_; }
  uint64_t Random64() override { return rng_(); }
  std::string BootId() override { return boot_id_; }
  // Simulates a reboot of the machine.
  void SetBootId(std::string id) { boot_id_ = std::move(id); }
  TimerId Schedule(uint64_t delay_micros, std::function<void()> fn) override;
  void Cancel(TimerId id) override;

  // Runs timers in time order (ties in scheduling order) until none is due at
  // or before now + `micros`; then sets now to now + `micros`.
  void RunFor(uint64_t micros);
  // Runs the next due timer, advancing time to it. Returns false if none is left.
  bool RunNext();
  size_t PendingTimers() const { return timers_.size(); }
  // Shifts the wall clock (not the monotonic one) to simulate clock error.
  void SetWallSkewMillis(int64_t skew) { wall_skew_millis_ = skew; }

 private:
  uint64_t start_wall_millis_;
  uint64_t now_micros_ = 0;
  int64_t wall_skew_millis_ = 0;
  std::mt19937_64 rng_;
  std::string boot_id_ = "sim-boot-1";
  TimerId next_id_ = 1;
  // (due time, id) -> callback; the id keeps equal due times in scheduling order.
  std::map<std::pair<uint64_t, TimerId>, std::function<void()>> timers_;
  std::map<TimerId, uint64_t> due_by_id_;
};

}  // namespace regionsync

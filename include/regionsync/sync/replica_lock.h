// ReplicaLock: holds a replica's mutex while it lives, or nothing when the
// mutex is null (single-threaded use: the simulator, tests). Lets the
// Publisher and AntiEntropy touch the replica under its lock but call the
// broker, which may block for seconds during an outage, without it.
#pragma once

#include <mutex>

namespace regionsync {

class ReplicaLock {
 public:
  explicit ReplicaLock(std::recursive_mutex* mu) : mu_(mu) {
    if (mu_ != nullptr) mu_->lock();
  }
  ~ReplicaLock() {
    if (mu_ != nullptr) mu_->unlock();
  }
  ReplicaLock(const ReplicaLock&) = delete;
  ReplicaLock& operator=(const ReplicaLock&) = delete;

 private:
  std::recursive_mutex* mu_;
};

}  // namespace regionsync

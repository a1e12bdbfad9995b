// Boxed<T>: a T on the heap with value semantics (a copy copies the T), or
// nothing. For the parts of a value that are big or seldom used (a set's
// table, a string's counter), so that the common case costs a pointer:
// the keyspace holds one AnyCrdt per key, as big as its biggest type.
//
//   Boxed<PnCounter> counter;               // nothing yet
//   counter.GetOrMake().Increment(actor);   // made on first use
//   Boxed<PnCounter> copy = counter;        // its own PnCounter
#pragma once

#include <memory>
#include <utility>

namespace regionsync {

template <typename T>
class Boxed {
 public:
  Boxed() = default;
  explicit Boxed(T value) : p_(std::make_unique<T>(std::move(value))) {}
  Boxed(const Boxed& other) : p_(other.p_ ? std::make_unique<T>(*other.p_) : nullptr) {}
  Boxed& operator=(const Boxed& other) {
    if (this != &other) p_ = other.p_ ? std::make_unique<T>(*other.p_) : nullptr;
    return *this;
  }
  Boxed(Boxed&&) noexcept = default;  // the moved-from box is empty
  Boxed& operator=(Boxed&&) noexcept = default;

  explicit operator bool() const { return p_ != nullptr; }
  // REQUIRES: not empty.
  T& operator*() const { return *p_; }
  T* operator->() const { return p_.get(); }
  // The value, default-made first if the box is empty.
  T& GetOrMake() {
    if (!p_) p_ = std::make_unique<T>();
    return *p_;
  }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace regionsync

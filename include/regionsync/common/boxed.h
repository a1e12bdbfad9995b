// Boxed<T>: a T on the heap with value semantics (a copy copies the T), or
// nothing. For the parts of a value that are big or seldom used (a set's
// table, a string's counter), so that the common case costs a pointer:
// the keyspace holds one AnyCrdt per key, as big as its biggest type.
// BoxedUnlessDefault<T>: a T that is boxed only while it differs from T{}
// (a key's lifetime, a string's hidden version: most keys keep the default).
//
//   Boxed<PnCounter> counter;               // nothing yet
//   counter.GetOrMake().Increment(actor);   // made on first use
//   Boxed<PnCounter> copy = counter;        // its own PnCounter
//
//   BoxedUnlessDefault<Lifetime> life;      // life.get() == Lifetime{}, no box
//   life.set(next);                         // boxed, unless next == Lifetime{}
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

template <typename T>
class BoxedUnlessDefault {
 public:
  const T& get() const { return box_ ? *box_ : kDefault; }
  void set(const T& value) {
    if (value == kDefault) {
      box_ = {};
    } else if (box_) {
      *box_ = value;
    } else {
      box_ = Boxed<T>(value);
    }
  }
  // Calls fn(T&) on a copy of the value and keeps what it leaves; returns
  // what fn returns (not void).
  template <typename Fn>
  auto Update(Fn&& fn) {
    T value = get();
    auto result = fn(value);
    set(value);
    return result;
  }

 private:
  static inline const T kDefault{};
  Boxed<T> box_;
};

}  // namespace regionsync

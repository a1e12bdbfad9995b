// Status and Result<T>: how regionsync reports errors without exceptions.
//
// A library call that can fail returns Status (or Result<T> when it also
// produces a value). Error codes exist only where a caller reacts differently:
// retry on kUnavailable, drop on kInvalidArgument, and so on.
//
//   Result<GCounter> r = GCounter::Decode(bytes);
//   if (!r.ok()) { log(r.status().ToString()); return r.status(); }
//   GCounter c = std::move(r).value();
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace regionsync {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // bad input from a caller or the network: drop it
  kNotFound,           // the key, file or resource does not exist
  kTypeMismatch,       // a key exists with another CRDT type
  kUnavailable,        // transient: the broker or endpoint is down; retry
  kPermissionDenied,   // bad signature, missing or wrong credentials
  kResourceExhausted,  // a limit was hit (size, queue depth); retry later or split
  kDataLoss,           // stored data is corrupt
  kInternal,           // a bug or an unexpected failure of a dependency
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: truncated varint" or "OK".
  std::string ToString() const;

  bool operator==(const Status& other) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status TypeMismatch(std::string m) { return {StatusCode::kTypeMismatch, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  const T& value() const& { assert(ok()); return *value_; }
  T& value() & { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace regionsync

// Returns early from the calling function when `expr` (a Status) is not OK.
#define RS_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::regionsync::Status rs_status_ = (expr); \
    if (!rs_status_.ok()) return rs_status_;  \
  } while (0)

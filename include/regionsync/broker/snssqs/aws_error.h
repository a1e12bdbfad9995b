// What an AWS answer that is not a success means to us: the error document
// of SNS (query protocol, XML) or SQS (JSON protocol) reduced to a code and a
// message, and a classification that decides retry versus give up.
//
//   AwsError e = ParseSqsError(response);
//   if (IsRetryable(ClassifyAwsError(e))) { back off and try again; }
//   else return AwsErrorToStatus(e, "ReceiveMessage");
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "regionsync/common/status.h"

namespace regionsync {

struct AwsError {
  int http_status = 0;
  std::string code;     // "Throttling", "QueueDoesNotExist", ... ("" if none was given)
  std::string message;
};

enum class AwsErrorKind {
  kThrottled,  // slow down and retry
  kServer,     // 5xx: retry
  kAuth,       // credentials or permissions: do not retry
  kNotFound,   // topic or queue missing
  kClient,     // the request was wrong: do not retry
};

AwsErrorKind ClassifyAwsError(const AwsError& error);
inline bool IsRetryable(AwsErrorKind kind) { return kind == AwsErrorKind::kThrottled || kind == AwsErrorKind::kServer; }

// Unavailable (throttled, server), PermissionDenied, NotFound or
// InvalidArgument, with "<action>: <code>: <message>".
Status AwsErrorToStatus(const AwsError& error, std::string_view action);

// One failed entry of a batch call (SNS PublishBatch, SQS *Batch).
struct BatchFailure {
  std::string id;
  std::string code;
  std::string message;
  bool sender_fault = false;
};

struct BatchResult {
  std::vector<std::string> successful_ids;
  std::vector<BatchFailure> failed;
};

}  // namespace regionsync

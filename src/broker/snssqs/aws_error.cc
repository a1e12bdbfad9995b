#include "regionsync/broker/snssqs/aws_error.h"

#include <array>

namespace regionsync {
namespace {

bool OneOf(std::string_view code, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names) {
    if (code == n) return true;
  }
  return false;
}

}  // namespace

AwsErrorKind ClassifyAwsError(const AwsError& e) {
  // Throttling first: SQS answers RequestThrottled with 403, which would
  // otherwise read as a permission problem.
  if (e.http_status == 429 ||
      OneOf(e.code, {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
                     "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown",
                     "KmsThrottled", "KMSThrottling", "KMSThrottlingException", "PriorRequestNotComplete",
                     "ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
                     "EC2ThrottledException"})) {
    return AwsErrorKind::kThrottled;
  }
  if (e.http_status >= 500 || OneOf(e.code, {"InternalError", "InternalFailure", "ServiceUnavailable",
                                             "RequestTimeout", "RequestTimeoutException", "KMSInternalException"})) {
    return AwsErrorKind::kServer;
  }
  if (OneOf(e.code, {"NotFound", "NotFoundException", "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
                     "NonExistentQueue"}) ||
      e.http_status == 404) {
    return AwsErrorKind::kNotFound;
  }
  if (e.http_status == 401 || e.http_status == 403 ||
      OneOf(e.code, {"AccessDenied", "AccessDeniedException", "AuthorizationError", "InvalidClientTokenId",
                     "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException",
                     "MissingAuthenticationToken", "IncompleteSignature", "InvalidSecurity", "RequestExpired",
                     "KMSAccessDenied", "KMSAccessDeniedException"})) {
    return AwsErrorKind::kAuth;
  }
  return AwsErrorKind::kClient;
}

Status AwsErrorToStatus(const AwsError& e, std::string_view action) {
  std::string text = std::string(action) + ": HTTP " + std::to_string(e.http_status);
  if (!e.code.empty()) text += " " + e.code;
  if (!e.message.empty()) text += ": " + e.message;
  switch (ClassifyAwsError(e)) {
    case AwsErrorKind::kThrottled:
    case AwsErrorKind::kServer:
      return Unavailable(std::move(text));
    case AwsErrorKind::kAuth:
      return PermissionDenied(std::move(text));
    case AwsErrorKind::kNotFound:
      return NotFound(std::move(text));
    case AwsErrorKind::kClient:
      break;
  }
  return InvalidArgument(std::move(text));
}

}  // namespace regionsync

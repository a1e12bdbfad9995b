// AWS Signature Version 4: signs an HttpRequest for an AWS service. Pure (no
// I/O, no clock: the caller passes the time), so it is tested against the
// examples AWS publishes.
//
//   HttpRequest req{.url = "https://sns.us-east-1.amazonaws.com/", .body = body};
//   req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
//   SigV4Sign(&req, credentials, "us-east-1", "sns", env->WallMillis());
//   // req now carries Host, X-Amz-Date, Authorization (and X-Amz-Security-Token)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "regionsync/broker/snssqs/credentials.h"
#include "regionsync/broker/snssqs/http_client.h"

namespace regionsync {

// The intermediate values of one signature, for tests and debugging.
struct SigV4Parts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // lowercase hex
  std::string authorization;  // the Authorization header value
};

// Computes the signature over every header of `request` (names lowercased,
// values trimmed, repeated names joined with ','), its method, URL path and
// query, and the SHA-256 of its body.
// REQUIRES: request has a Host and an X-Amz-Date header ("20150830T123600Z").
SigV4Parts SigV4Compute(const HttpRequest& request, const AwsCredentials& credentials, std::string_view region,
                        std::string_view service);

// Adds Host (from the URL), X-Amz-Date (from wall_millis),
// X-Amz-Security-Token (when credentials have a session token) and
// Authorization to `request`, replacing earlier values of those headers.
void SigV4Sign(HttpRequest* request, const AwsCredentials& credentials, std::string_view region,
               std::string_view service, uint64_t wall_millis);

// "YYYYMMDDTHHMMSSZ" in UTC.
std::string AmzDate(uint64_t wall_millis);
// The 32-byte key HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
std::string SigV4SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                            std::string_view service);
std::string Sha256Hex(std::string_view data);
std::string HexEncode(std::string_view bytes);
// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters stay,
// everything else becomes %XX (uppercase); '/' stays when keep_slash.
std::string AwsUriEncode(std::string_view s, bool keep_slash = false);

// The parts of an http(s) URL the signer and the clients need.
struct ParsedUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // with ":port" when the port is not the scheme's default
  std::string path;    // "/" when empty
  std::string query;   // without '?'
};
// InvalidArgument for anything that is not http(s)://host...
Result<ParsedUrl> ParseUrl(std::string_view url);

}  // namespace regionsync

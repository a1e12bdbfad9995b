// URL pieces for the regionsync HTTP API, kept free of I/O so they can be
// unit-tested: parsing the --url flag and building route paths with every
// key and field percent-encoded (a key may hold '/', '?', '#', spaces or UTF-8).
//
//   Result<BaseUrl> base = ParseBaseUrl("http://127.0.0.1:8080");
//   std::string path = base->path_prefix + KeyPath("a/b", "increment");
//   // "/v1/keys/a%2Fb/increment"
#pragma once

#include <string>
#include <string_view>

#include "regionsync/common/status.h"

namespace regionsync::client {

inline constexpr char kDefaultUrl[] = "http://127.0.0.1:8080";

struct BaseUrl {
  std::string origin;       // "http://host:port", what the HTTP library connects to
  std::string path_prefix;  // "" or "/prefix" (no trailing slash) when the API sits behind a proxy path
};

// Accepts "http://host[:port][/prefix]", "https://..." and a bare "host[:port]"
// (taken as http). InvalidArgument for an empty host, another scheme, a query
// or fragment, or a port that is not 1..65535.
Result<BaseUrl> ParseBaseUrl(std::string_view url);

// RFC 3986 percent-encoding of everything but the unreserved characters
// (A-Z a-z 0-9 - . _ ~), so the result is always one path segment.
std::string PercentEncode(std::string_view segment);

// "/v1/keys/<key>" plus "/<suffix>" when suffix is not empty.
std::string KeyPath(std::string_view key, std::string_view suffix = "");

// "/v1/keys/<key>/fields/<field>" plus "/<suffix>" when suffix is not empty.
std::string FieldPath(std::string_view key, std::string_view field, std::string_view suffix = "");

}  // namespace regionsync::client

// ApiAuth: bearer-token checks for the HTTP API (and the tokens the Redis
// port's AUTH accepts). With no tokens configured
// everything is allowed (a local playground); with tokens, every write needs
// "Authorization: Bearer <token>" and, when `auth_reads`, every read too.
// Health and readiness probes never need a token.
//
//   ApiAuth auth({"s3cret-token"}, /*auth_reads=*/false);
//   if (!auth.Allows(req.get_header_value("Authorization"), /*write=*/true)) { /* 401 */ }
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace regionsync {

class ApiAuth {
 public:
  ApiAuth(const std::vector<std::string>& tokens, bool auth_reads);

  bool enabled() const { return !token_digests_.empty(); }
  bool auth_reads() const { return auth_reads_; }
  // True if a request carrying this Authorization header value may run.
  // Compares in constant time per configured token.
  bool Allows(std::string_view authorization, bool write) const;
  // True if `token` is one of the configured tokens (constant time per
  // token). The Redis port's AUTH uses it.
  bool Matches(std::string_view token) const;

 private:
  std::vector<std::string> token_digests_;  // SHA-256 of each token
  bool auth_reads_;
};

}  // namespace regionsync

#include "regionsync/server/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace regionsync {
namespace {

// Digests have one length, so comparing them leaks neither the tokens'
// lengths nor where they differ.
std::string Digest(std::string_view token) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

}  // namespace

ApiAuth::ApiAuth(const std::vector<std::string>& tokens, bool auth_reads) : auth_reads_(auth_reads) {
  for (const std::string& t : tokens) {
    if (!t.empty()) token_digests_.push_back(Digest(t));
  }
}

bool ApiAuth::Allows(std::string_view authorization, bool write) const {
  if (!enabled() || (!write && !auth_reads_)) return true;
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    // The scheme name is case-insensitive (RFC 7235).
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return false;
    }
  }
  return Matches(authorization.substr(kScheme.size()));
}

bool ApiAuth::Matches(std::string_view token) const {
  std::string digest = Digest(token);
  bool ok = false;
  for (const std::string& d : token_digests_) {
    ok |= CRYPTO_memcmp(d.data(), digest.data(), d.size()) == 0;
  }
  return ok;
}

}  // namespace regionsync

#include "regionsync/common/replica_id.h"

#include <openssl/sha.h>

#include <cstdio>

namespace regionsync {
namespace {

bool ValidPart(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

ActorId ActorFingerprint(std::string_view name, uint64_t epoch) {
  char suffix[32];
  int n = std::snprintf(suffix, sizeof suffix, "#%016llx", static_cast<unsigned long long>(epoch));
  std::string input(name);
  input.append(suffix, n);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  ActorId id = 0;
  for (int i = 0; i < 8; ++i) id = (id << 8) | digest[i];
  return id == 0 ? 1 : id;
}

Result<ReplicaId> ReplicaId::Parse(std::string_view name, uint64_t epoch) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) {
    return InvalidArgument("replica id '" + std::string(name) + "' must be <region>/<instance>");
  }
  std::string_view region = name.substr(0, slash);
  std::string_view instance = name.substr(slash + 1);
  if (!ValidPart(region) || !ValidPart(instance)) {
    return InvalidArgument("replica id '" + std::string(name) +
                           "': region and instance must be 1-64 characters of [a-z0-9._-]");
  }
  ReplicaId id;
  id.region_ = region;
  id.instance_ = instance;
  id.epoch_ = epoch;
  id.actor_ = ActorFingerprint(name, epoch);
  return id;
}

std::string ReplicaId::ToString() const {
  char buf[24];
  std::snprintf(buf, sizeof buf, "#%016llx", static_cast<unsigned long long>(epoch_));
  return name() + buf;
}

}  // namespace regionsync

#include "regionsync/sync/wire/key_ring.h"

#include <algorithm>
#include <utility>

namespace regionsync {
namespace {

bool IsKeyIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

Status ValidateKeyId(std::string_view id) {
  if (id.empty()) return InvalidArgument("key id is empty");
  if (id.size() > KeyRing::kMaxKeyIdBytes) {
    return InvalidArgument("key id longer than " + std::to_string(KeyRing::kMaxKeyIdBytes) +
                           " bytes");
  }
  if (!std::all_of(id.begin(), id.end(), IsKeyIdChar)) {
    // The id failed validation, so it may be anything: do not echo it.
    return InvalidArgument("key id has characters outside [A-Za-z0-9._-]");
  }
  return Status::Ok();
}

}  // namespace

Result<KeyRing> KeyRing::Parse(std::string_view spec) {
  spec = Trim(spec);
  if (spec.empty()) return InvalidArgument("key ring spec is empty");
  KeyRing ring;
  size_t item_number = 0;
  while (true) {
    ++item_number;
    const size_t comma = spec.find(',');
    const std::string_view item = Trim(spec.substr(0, comma));
    const std::string where = "key ring spec item " + std::to_string(item_number) + ": ";
    const size_t colon = item.find(':');
    if (colon == std::string_view::npos) {
      return InvalidArgument(where + "expected <id>:<secret>");
    }
    Status s = ring.Add(SigningKey{std::string(Trim(item.substr(0, colon))),
                                   std::string(Trim(item.substr(colon + 1)))});
    if (!s.ok()) return InvalidArgument(where + s.message());
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  return ring;
}

Status KeyRing::Add(SigningKey key) {
  RS_RETURN_IF_ERROR(ValidateKeyId(key.id));
  if (key.secret.size() < kMinSecretBytes) {
    return InvalidArgument("secret of key '" + key.id + "' is shorter than " +
                           std::to_string(kMinSecretBytes) + " bytes");
  }
  if (Find(key.id) != nullptr) return InvalidArgument("duplicate key id '" + key.id + "'");
  if (keys_.empty()) active_id_ = key.id;
  keys_.push_back(std::move(key));
  return Status::Ok();
}

Status KeyRing::SetActive(std::string_view id) {
  if (Find(id) == nullptr) return NotFound("no key '" + std::string(id) + "' in the key ring");
  active_id_ = std::string(id);
  return Status::Ok();
}

Status KeyRing::Remove(std::string_view id) {
  auto it = std::find_if(keys_.begin(), keys_.end(), [&](const SigningKey& k) { return k.id == id; });
  if (it == keys_.end()) return NotFound("no key '" + std::string(id) + "' in the key ring");
  if (it->id == active_id_) {
    return InvalidArgument("cannot remove the active key '" + it->id + "'; activate another first");
  }
  keys_.erase(it);
  return Status::Ok();
}

const SigningKey* KeyRing::active() const { return keys_.empty() ? nullptr : Find(active_id_); }

const SigningKey* KeyRing::Find(std::string_view id) const {
  // Rings hold a handful of keys; a linear scan beats a map here.
  for (const SigningKey& k : keys_) {
    if (k.id == id) return &k;
  }
  return nullptr;
}

std::vector<std::string> KeyRing::ids() const {
  std::vector<std::string> out;
  out.reserve(keys_.size());
  for (const SigningKey& k : keys_) out.push_back(k.id);
  return out;
}

}  // namespace regionsync

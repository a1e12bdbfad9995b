#include "sync/stored_key.h"

namespace regionsync {

StoredValue ToStored(const AnyCrdt& value, const Lifetime& life) {
  StoredValue out;
  std::string crdt = EncodeCrdt(value);
  if (life.IsInitial()) {
    out.type = TypeOf(value);
    out.bytes = std::move(crdt);
    return out;
  }
  std::string lifetime = life.Encode();  // at most 40 bytes: fits the one length byte
  out.type = static_cast<CrdtType>(static_cast<int>(TypeOf(value)) | kLifetimeFlag);
  out.bytes.reserve(1 + lifetime.size() + crdt.size());
  out.bytes.push_back(static_cast<char>(lifetime.size()));
  out.bytes += lifetime;
  out.bytes += crdt;
  return out;
}

Result<KeyState> FromStored(const StoredValue& stored, size_t max_bytes) {
  return FromStored(stored.type, stored.bytes, max_bytes);
}

Result<KeyState> FromStored(CrdtType stored_type, std::string_view bytes, size_t max_bytes) {
  int type = static_cast<int>(stored_type);
  Lifetime life;
  if ((type & kLifetimeFlag) != 0) {
    type &= ~kLifetimeFlag;
    if (bytes.empty()) return InvalidArgument("stored lifetime: missing length");
    size_t n = static_cast<unsigned char>(bytes[0]);
    if (bytes.size() < 1 + n) return InvalidArgument("stored lifetime: truncated");
    Result<Lifetime> decoded = Lifetime::Decode(bytes.substr(1, n));
    if (!decoded.ok()) return decoded.status();
    if (decoded->IsInitial()) return InvalidArgument("stored lifetime: flagged but initial");
    life = *decoded;
    bytes.remove_prefix(1 + n);
  }
  Result<AnyCrdt> value = DecodeCrdt(static_cast<CrdtType>(type), bytes, max_bytes);
  if (!value.ok()) return value.status();
  return KeyState{std::move(value).value(), life};
}

}  // namespace regionsync

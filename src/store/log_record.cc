#include "store/log_record.h"

#include <zlib.h>

#include <cstdint>

namespace regionsync::log_record {
namespace {

constexpr uint64_t kFormatVersion = 2;
constexpr uint64_t kOldestFormatVersion = 1;  // no append_delta
constexpr uint32_t kMaskDelta = 0xa282ead8u;

uint32_t Crc(const char* data, size_t size) {
  return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(data), static_cast<uInt>(size)));
}
uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

void PutFixed32(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetFixed32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return v;
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}
void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}
void PutType(std::string* out, CrdtType type) { PutVarint(out, static_cast<uint32_t>(type)); }

// Reads a payload; the first malformed field makes ok() false for good.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  bool done() const { return data_.empty(); }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && !data_.empty(); shift += 7) {
      auto byte = static_cast<unsigned char>(data_.front());
      data_.remove_prefix(1);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  // A count of elements of at least one byte each, so a corrupt count cannot
  // make the decoder loop (or allocate) far beyond the payload.
  uint64_t Count() {
    uint64_t n = Varint();
    if (n > data_.size()) ok_ = false;
    return ok_ ? n : 0;
  }
  std::string String() {
    uint64_t n = Varint();
    if (!ok_ || n > data_.size()) {
      ok_ = false;
      return {};
    }
    std::string s(data_.substr(0, n));
    data_.remove_prefix(n);
    return s;
  }
  CrdtType Type() {
    uint64_t v = Varint();
    if (v > static_cast<uint64_t>(INT32_MAX)) ok_ = false;
    return static_cast<CrdtType>(ok_ ? static_cast<int>(v) : 0);
  }
  StoredValue Value() {
    StoredValue value;
    value.type = Type();
    value.bytes = String();
    return value;
  }

 private:
  std::string_view data_;
  bool ok_ = true;
};

}  // namespace

bool EncodeRecord(const StoreBatch& batch, std::string* out) {
  size_t start = out->size();
  out->append(kHeaderSize, '\0');
  PutVarint(out, kFormatVersion);
  out->push_back(batch.meta ? 1 : 0);
  if (batch.meta) {
    PutVarint(out, batch.meta->epoch);
    PutVarint(out, batch.meta->last_hlc);
    PutVarint(out, batch.meta->next_sequence);
    PutString(out, batch.meta->boot_id);
  }
  PutVarint(out, batch.delete_state.size());
  for (const std::string& key : batch.delete_state) PutString(out, key);
  PutVarint(out, batch.put_state.size());
  for (const auto& [key, value] : batch.put_state) {
    PutString(out, key);
    PutType(out, value.type);
    PutString(out, value.bytes);
  }
  PutVarint(out, batch.delete_outbox_generations.size());
  for (uint64_t generation : batch.delete_outbox_generations) PutVarint(out, generation);
  PutVarint(out, batch.put_outbox.size());
  for (const auto& [generation_key, value] : batch.put_outbox) {
    PutVarint(out, generation_key.first);
    PutString(out, generation_key.second);
    PutType(out, value.type);
    PutString(out, value.bytes);
  }
  PutVarint(out, batch.append_delta.size());
  for (const auto& [key, deltas] : batch.append_delta) {
    PutString(out, key);
    PutVarint(out, deltas.size());
    for (const StoredValue& delta : deltas) {
      PutType(out, delta.type);
      PutString(out, delta.bytes);
    }
  }
  char* header = out->data() + start;
  size_t payload_size = out->size() - start - kHeaderSize;
  if (payload_size > UINT32_MAX) return false;
  PutFixed32(header, static_cast<uint32_t>(payload_size));
  PutFixed32(header + 4, Mask(Crc(header + kHeaderSize, payload_size)));
  PutFixed32(header + 8, Mask(Crc(header, 8)));
  return true;
}

Result<StoreBatch> DecodePayload(std::string_view payload) {
  PayloadReader in(payload);
  uint64_t version = in.Varint();
  if (in.ok() && (version < kOldestFormatVersion || version > kFormatVersion)) {
    return DataLoss("log record has format version " + std::to_string(version) + ", this build reads " +
                    std::to_string(kOldestFormatVersion) + " to " + std::to_string(kFormatVersion));
  }
  StoreBatch batch;
  uint64_t has_meta = in.Varint();
  if (has_meta > 1) return DataLoss("log record: bad meta flag");
  if (has_meta == 1) {
    StoreMeta meta;
    meta.epoch = in.Varint();
    meta.last_hlc = in.Varint();
    meta.next_sequence = in.Varint();
    meta.boot_id = in.String();
    batch.meta = std::move(meta);
  }
  for (uint64_t n = in.Count(); n > 0 && in.ok(); --n) batch.delete_state.insert(in.String());
  for (uint64_t n = in.Count(); n > 0 && in.ok(); --n) {
    std::string key = in.String();
    batch.put_state[std::move(key)] = in.Value();
  }
  for (uint64_t n = in.Count(); n > 0 && in.ok(); --n) batch.delete_outbox_generations.insert(in.Varint());
  for (uint64_t n = in.Count(); n > 0 && in.ok(); --n) {
    uint64_t generation = in.Varint();
    std::string key = in.String();
    batch.put_outbox[{generation, std::move(key)}] = in.Value();
  }
  if (version >= 2) {
    for (uint64_t n = in.Count(); n > 0 && in.ok(); --n) {
      std::vector<StoredValue>& deltas = batch.append_delta[in.String()];
      for (uint64_t m = in.Count(); m > 0 && in.ok(); --m) deltas.push_back(in.Value());
    }
  }
  if (!in.ok() || !in.done()) return DataLoss("log record is malformed");
  return batch;
}

size_t ValidRecordAt(std::string_view data, size_t offset, std::string_view* payload) {
  if (data.size() - offset < kHeaderSize) return 0;
  const char* header = data.data() + offset;
  if (GetFixed32(header + 8) != Mask(Crc(header, 8))) return 0;
  uint32_t length = GetFixed32(header);
  if (length == 0 || data.size() - offset - kHeaderSize < length) return 0;
  if (GetFixed32(header + 4) != Mask(Crc(header + kHeaderSize, length))) return 0;
  *payload = data.substr(offset + kHeaderSize, length);
  return kHeaderSize + length;
}

}  // namespace regionsync::log_record

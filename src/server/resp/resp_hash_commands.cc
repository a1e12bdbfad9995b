// The hash commands of the Redis port (HSET HGET HINCRBY HSCAN ...): maps of
// LWW registers whose fields may also hold counter dots (OrMap::
// IncrementRegister), so concurrent HINCRBYs add up (docs/redis.md).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "regionsync/common/seeded_hash.h"
#include "regionsync/server/resp/glob.h"
#include "server/resp/resp_call.h"

namespace regionsync {

using resp_internal::EqualsIgnoreCase;
using resp_internal::FormatRedisFloat;
using resp_internal::IsHash;
using resp_internal::kNotInteger;
using resp_internal::kSyntax;
using resp_internal::ParseInt64;
using resp_internal::ParseRedisFloat;

namespace {

// Redis keeps a hash of at most this many fields, each field and value at
// most kListpackValue bytes, as a listpack, and HSCAN answers such a hash
// whole with cursor 0 (hash-max-listpack-entries / -value defaults).
constexpr size_t kListpackEntries = 128;
constexpr size_t kListpackValue = 64;
// A negative HRANDFIELD count repeats fields: Redis streams any count, we
// build the reply in memory, so a count past this is refused.
constexpr uint64_t kMaxRandomRepeats = 1'000'000;

}  // namespace

bool RespCommands::Call::ReadHash(const OrMap** map) {
  const AnyCrdt* v = Live(args_[1]);
  if (v != nullptr && !IsHash(*v)) {
    out_.Error(kWrongType);
    return false;
  }
  *map = v == nullptr ? nullptr : &std::get<OrMap>(*v);
  return true;
}

bool RespCommands::Call::FieldAllowed(std::string_view field) {
  if (!field.empty()) return true;
  out_.Error("ERR regionsync hashes do not support an empty field name");
  return false;
}

void RespCommands::Call::HSet() {
  if (args_.size() % 2 != 0) {
    out_.Error("ERR wrong number of arguments for '" + AsciiLower(args_[0]) + "' command");
    return;
  }
  const AnyCrdt* v = replica_.Find(args_[1]);
  if (v != nullptr && !IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  size_t largest_unit = 0, added_bytes = 0;
  for (size_t i = 2; i < args_.size(); i += 2) {
    if (!FieldAllowed(args_[i])) return;
    largest_unit = std::max(largest_unit, args_[1].size() + args_[i].size() + args_[i + 1].size());
    added_bytes += args_[i].size() + args_[i + 1].size() + Replica::kUnitEncodingBytes;
  }
  // All fields or none: a size limit refuses the whole command.
  if (Status fits = replica_.CheckWriteSize(args_[1], largest_unit, added_bytes); !fits.ok()) {
    Fail(fits);
    return;
  }
  Event("hset");
  int64_t created = 0;
  for (size_t i = 2; i < args_.size(); i += 2) {
    v = replica_.Find(args_[1]);
    bool had = v != nullptr && std::get<OrMap>(*v).Contains(args_[i]);
    Status s = replica_.MapSet(args_[1], args_[i], args_[i + 1]);
    if (!s.ok()) {
      Fail(s);
      return;
    }
    created += !had;
  }
  if (AsciiLower(args_[0]) == "hmset") {
    out_.SimpleString("OK");
  } else {
    out_.Integer(created);
  }
}

// A HSET when this region holds no such field; fields written concurrently
// elsewhere race as HSET does.
void RespCommands::Call::HSetNx() {
  const AnyCrdt* v = replica_.Find(args_[1]);
  if (v != nullptr && !IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  if (!FieldAllowed(args_[2])) return;
  if (v != nullptr && std::get<OrMap>(*v).Contains(args_[2])) {
    out_.Integer(0);
    return;
  }
  Event("hset");
  Status s = replica_.MapSet(args_[1], args_[2], args_[3]);
  if (s.ok()) {
    out_.Integer(1);
  } else {
    Fail(s);
  }
}

void RespCommands::Call::HGet() {
  const OrMap* m;
  if (!ReadHash(&m)) return;
  std::optional<std::string> value = m == nullptr ? std::nullopt : m->Register(args_[2]);
  if (value) {
    out_.Bulk(*value);
  } else {
    out_.Null();
  }
}

void RespCommands::Call::HMGet() {
  const OrMap* m;
  if (!ReadHash(&m)) return;
  out_.ArrayHeader(args_.size() - 2);
  for (size_t i = 2; i < args_.size(); ++i) {
    std::optional<std::string> value = m == nullptr ? std::nullopt : m->Register(args_[i]);
    if (value) {
      out_.Bulk(*value);
    } else {
      out_.Null();
    }
  }
}

void RespCommands::Call::HDel() {
  const AnyCrdt* v = Live(args_[1]);
  if (v == nullptr) {
    out_.Integer(0);
    return;
  }
  if (!IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  Event("hdel");
  int64_t removed = 0;
  for (size_t i = 2; i < args_.size(); ++i) {
    v = replica_.Find(args_[1]);
    if (args_[i].empty() || !std::get<OrMap>(*v).Contains(args_[i])) continue;
    removed += replica_.MapRemove(args_[1], args_[i]).ok();
  }
  out_.Integer(removed);
}

void RespCommands::Call::HGetAll() { HashFields(/*keys=*/true, /*values=*/true); }

void RespCommands::Call::HashFields(bool keys, bool values) {
  const OrMap* m;
  if (!ReadHash(&m)) return;
  std::vector<std::string> fields = m == nullptr ? std::vector<std::string>{} : m->Keys();
  if (keys && values) {
    out_.MapHeader(fields.size());
  } else {
    out_.ArrayHeader(fields.size());
  }
  for (const std::string& f : fields) {
    if (keys) out_.Bulk(f);
    if (values) out_.Bulk(m->Register(f).value_or(""));
  }
}

void RespCommands::Call::HLen() {
  const OrMap* m;
  if (ReadHash(&m)) out_.Integer(m == nullptr ? 0 : static_cast<int64_t>(m->size()));
}

void RespCommands::Call::HExists() {
  const OrMap* m;
  if (ReadHash(&m)) out_.Integer(m != nullptr && m->Contains(args_[2]) ? 1 : 0);
}

void RespCommands::Call::HStrLen() {
  const OrMap* m;
  if (!ReadHash(&m)) return;
  std::optional<std::string> value = m == nullptr ? std::nullopt : m->Register(args_[2]);
  out_.Integer(value ? static_cast<int64_t>(value->size()) : 0);
}

// A counter contribution of this region (concurrent HINCRBYs add up; a HSET
// resets the contributions it saw).
void RespCommands::Call::HIncrBy() {
  std::optional<int64_t> by = ParseInt64(args_[3]);
  if (!by) {
    out_.Error(kNotInteger);
    return;
  }
  // The key's type before the field, as Redis checks them.
  if (const AnyCrdt* v = replica_.Find(args_[1]); v != nullptr && !IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  if (!FieldAllowed(args_[2])) return;
  Event("hincrby");
  Result<int64_t> n = replica_.MapIncrement(args_[1], args_[2], *by, OrMapKind::kRegister);
  if (n.ok()) {
    out_.Integer(*n);
  } else {
    // WRONGTYPE, or Redis's "hash value is not an integer", "increment or
    // decrement would overflow".
    Fail(n.status());
  }
}

// A HSET of the sum, as INCRBYFLOAT is for strings (docs/redis.md says why):
// concurrent float increments race by last-writer-wins.
void RespCommands::Call::HIncrByFloat() {
  std::optional<long double> by = ParseRedisFloat(args_[3]);
  if (!by) {
    out_.Error("ERR value is not a valid float");
    return;
  }
  if (std::isnan(*by) || std::isinf(*by)) {
    out_.Error("ERR value is NaN or Infinity");
    return;
  }
  const AnyCrdt* v = replica_.Find(args_[1]);
  if (v != nullptr && !IsHash(*v)) {
    out_.Error(kWrongType);
    return;
  }
  if (!FieldAllowed(args_[2])) return;
  std::optional<std::string> current = v == nullptr ? std::nullopt : std::get<OrMap>(*v).Register(args_[2]);
  std::optional<long double> base = current ? ParseRedisFloat(*current) : std::optional<long double>(0);
  if (!base) {
    out_.Error("ERR hash value is not a float");
    return;
  }
  long double sum = *base + *by;
  if (std::isnan(sum) || std::isinf(sum)) {
    out_.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  std::string text = FormatRedisFloat(sum);
  Event("hincrbyfloat");
  Status s = replica_.MapSet(args_[1], args_[2], text, /*keep_field_expiry=*/true);  // as HINCRBY
  if (s.ok()) {
    out_.Bulk(text);
  } else {
    Fail(s);
  }
}

// A hash Redis would keep as a listpack is answered whole with cursor 0, as
// Redis does. A bigger one is paged in the order of a seeded hash of the
// field: the cursor is the position to go on from, so a field present for
// the whole scan is returned at least once whatever else is added or
// removed meanwhile (SCAN's guarantee).
void RespCommands::Call::HScan() {
  std::optional<uint64_t> parsed = resp_internal::ParseScanCursor(args_[2]);
  if (!parsed) {
    out_.Error("ERR invalid cursor");
    return;
  }
  const uint64_t cursor = *parsed;
  const OrMap* m;
  if (!ReadHash(&m)) return;
  if (m == nullptr) {
    out_.ArrayHeader(2);
    out_.Bulk("0");
    out_.ArrayHeader(0);
    return;
  }
  const std::string* match = nullptr;
  int64_t count = 10;
  if (!ReadScanOptions(3, &match, &count)) return;
  std::vector<std::string> fields = m->Keys();
  std::vector<const std::string*> page;
  uint64_t next = 0;
  bool small = fields.size() <= kListpackEntries;
  for (size_t i = 0; small && i < fields.size(); ++i) {
    small = fields[i].size() <= kListpackValue && m->Register(fields[i]).value_or("").size() <= kListpackValue;
  }
  if (small) {
    for (const std::string& f : fields) page.push_back(&f);
  } else {
    // Positions in [1, 2^63]: 0 is the start (and the end) of a scan.
    std::vector<std::pair<uint64_t, const std::string*>> ahead;
    for (const std::string& f : fields) {
      uint64_t pos = (SeededHash(f) >> 1) + 1;
      if (pos >= cursor) ahead.emplace_back(pos, &f);
    }
    std::sort(ahead.begin(), ahead.end());
    size_t n = std::min(ahead.size(), static_cast<size_t>(count));
    // Fields sharing a position travel together: the cursor cannot split them.
    while (n < ahead.size() && n > 0 && ahead[n].first == ahead[n - 1].first) ++n;
    for (size_t i = 0; i < n; ++i) page.push_back(ahead[i].second);
    if (n < ahead.size()) next = ahead[n].first;
  }
  std::erase_if(page, [&](const std::string* f) { return match != nullptr && !GlobMatch(*match, *f); });
  out_.ArrayHeader(2);
  out_.Bulk(std::to_string(next));
  out_.ArrayHeader(page.size() * 2);
  for (const std::string* f : page) {
    out_.Bulk(*f);
    out_.Bulk(m->Register(*f).value_or(""));
  }
}

void RespCommands::Call::HRandField() {
  if (args_.size() == 2) {
    const OrMap* m;
    if (!ReadHash(&m)) return;
    if (m == nullptr) {
      out_.Null();
      return;
    }
    std::vector<std::string> fields = m->Keys();
    out_.Bulk(fields[self_->env_->Uniform(fields.size())]);
    return;
  }
  std::optional<int64_t> count = ParseInt64(args_[2]);
  if (!count) {
    out_.Error(kNotInteger);
    return;
  }
  if (*count == std::numeric_limits<int64_t>::min()) {
    out_.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    return;
  }
  bool with_values = false;
  if (args_.size() > 4 || (args_.size() == 4 && !EqualsIgnoreCase(args_[3], "withvalues"))) {
    out_.Error(kSyntax);
    return;
  }
  if (args_.size() == 4) {
    with_values = true;
    constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
    if (*count < -kHalf || *count > kHalf) {
      out_.Error("ERR value is out of range");
      return;
    }
  }
  RandomFields(*count, with_values);
}

void RespCommands::Call::RandomFields(int64_t count, bool with_values) {
  const OrMap* m;
  if (!ReadHash(&m)) return;
  if (m == nullptr || count == 0) {
    out_.ArrayHeader(0);
    return;
  }
  std::vector<std::string> fields = m->Keys();
  const bool repeat = count < 0;
  const uint64_t n = repeat ? uint64_t{0} - static_cast<uint64_t>(count) : static_cast<uint64_t>(count);
  if (repeat && n > kMaxRandomRepeats) {
    out_.Error("ERR regionsync limits a negative HRANDFIELD count to -" + std::to_string(kMaxRandomRepeats));
    return;
  }
  std::vector<const std::string*> picked;
  if (repeat || n == 1) {
    // As Redis: with repetition (count 1 too), in random order.
    for (uint64_t i = 0; i < n; ++i) picked.push_back(&fields[self_->env_->Uniform(fields.size())]);
  } else if (n >= fields.size()) {
    for (const std::string& f : fields) picked.push_back(&f);
  } else {
    // n distinct fields: a partial Fisher-Yates shuffle.
    std::vector<const std::string*> all;
    for (const std::string& f : fields) all.push_back(&f);
    for (size_t i = 0; i < n; ++i) {
      size_t j = i + self_->env_->Uniform(all.size() - i);
      std::swap(all[i], all[j]);
    }
    picked.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  }
  // RESP2: one flat array; RESP3: a [field, value] array per pair.
  const bool nested = with_values && out_.protocol() == 3;
  out_.ArrayHeader(with_values && !nested ? picked.size() * 2 : picked.size());
  for (const std::string* f : picked) {
    if (nested) out_.ArrayHeader(2);
    out_.Bulk(*f);
    if (with_values) out_.Bulk(m->Register(*f).value_or(""));
  }
}

}  // namespace regionsync

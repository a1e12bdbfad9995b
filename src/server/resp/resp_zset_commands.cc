// The sorted-set commands of the Redis port that write or read single
// members (ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZRANK ZPOPMIN ZRANDMEMBER
// ZSCAN ...), on SortedSet: add-wins membership, LWW scores from ZADD,
// ZINCRBY increments that add up. Every write is checked first and then
// made as one local write (all or nothing); a write that changes nothing is
// not made. docs/redis.md says what each write does under concurrency.
// Ranges and the ZUNION family: resp_zset_range_commands.cc.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "regionsync/server/resp/glob.h"
#include "server/resp/resp_call.h"

namespace regionsync {

using resp_internal::EqualsIgnoreCase;
using resp_internal::kNotInteger;
using resp_internal::kSyntax;
using resp_internal::ParseInt64;
using resp_internal::ParseRedisScore;

namespace resp_internal {

std::optional<double> ParseRedisScore(std::string_view s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  const std::string buf(s);  // NUL-terminated for strtod; a NUL inside is trailing garbage
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v) ||
      (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO))) {
    return std::nullopt;
  }
  return v;
}

std::optional<ScoreBound> ParseScoreBound(std::string_view s) {
  ScoreBound bound;
  std::string buf(s);
  const char* start = buf.c_str();
  if (!buf.empty() && buf[0] == '(') {
    bound.exclusive = true;
    ++start;
  }
  // Redis reads a C string: it stops at the first NUL, and strtod of ""
  // (or of leading spaces alone) converts nothing and leaves 0.
  char* end = nullptr;
  bound.value = std::strtod(start, &end);
  if (*end != '\0' || std::isnan(bound.value)) return std::nullopt;
  return bound;
}

std::optional<LexBound> ParseLexBound(std::string_view s) {
  LexBound bound;
  // "+" and "-" are tested as C strings ("-" then a NUL counts as "-").
  const bool alone = s.size() == 1 || (s.size() > 1 && s[1] == '\0');
  if (s.empty()) return std::nullopt;
  switch (s[0]) {
    case '+':
      if (!alone) return std::nullopt;
      bound.kind = LexBound::Kind::kPlusInfinity;
      return bound;
    case '-':
      if (!alone) return std::nullopt;
      bound.kind = LexBound::Kind::kMinusInfinity;
      return bound;
    case '(':
      bound.kind = LexBound::Kind::kExclusive;
      bound.value.assign(s.substr(1));
      return bound;
    case '[':
      bound.kind = LexBound::Kind::kInclusive;
      bound.value.assign(s.substr(1));
      return bound;
    default:
      return std::nullopt;
  }
}

bool ZsetIsListpack(const SortedSet& z) {
  constexpr size_t kListpackEntries = 128;  // zset-max-listpack-entries
  constexpr size_t kListpackValue = 64;     // zset-max-listpack-value
  if (z.size() > kListpackEntries) return false;
  bool small = true;
  z.Visit(0, z.size(), false, [&](const SortedSet::Entry& e) {
    small = e.member.size() <= kListpackValue;
    return small;
  });
  return small;
}

}  // namespace resp_internal

namespace {

constexpr const char* kNotFloat = "ERR value is not a valid float";
constexpr const char* kNanScore = "ERR resulting score is not a number (NaN)";
// A negative ZRANDMEMBER count repeats members: Redis streams any count, we
// build the reply in memory (as SRANDMEMBER), so a count past this is refused.
constexpr uint64_t kMaxRandomMembers = 1 << 20;
// What one member's score adds to a write's size beyond the member's bytes.
constexpr size_t kScoreBytes = sizeof(double);

// ZSCAN's cursor over a set Redis keeps as a skiplist: members in the order
// of this fixed 64-bit hash; a cursor is the hash to go on from. A member
// present for the whole walk keeps its hash, so the walk returns it exactly
// once (SCAN's guarantee, without SCAN's repeats); one call costs O(n).
uint64_t ScanHash(std::string_view member) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a, then a splitmix finalizer
  for (unsigned char c : member) h = (h ^ c) * 0x100000001b3ULL;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

}  // namespace

bool RespCommands::Call::ReadZset(std::string_view key, const SortedSet** zset) {
  const AnyCrdt* v = Live(key);
  if (v != nullptr && !std::holds_alternative<SortedSet>(*v)) {
    out_.Error(kWrongType);
    return false;
  }
  *zset = v == nullptr ? nullptr : &std::get<SortedSet>(*v);
  return true;
}

// Redis's zaddGenericCommand: options, then every score parsed, then the
// type; then each pair is played against the current scores (and the
// earlier pairs of this command) to know what it does, and only the pairs
// that change something are written, all in one local write.
void RespCommands::Call::AddScores(bool incr_command) {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = incr_command;
  size_t first = 2;
  for (; first < args_.size(); ++first) {
    const std::string& opt = args_[first];
    if (EqualsIgnoreCase(opt, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      ch = true;
    } else if (EqualsIgnoreCase(opt, "incr")) {
      incr = true;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      gt = true;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      lt = true;
    } else {
      break;
    }
  }
  const size_t words = args_.size() - first;
  if (words == 0 || words % 2 != 0) {
    out_.Error(kSyntax);
    return;
  }
  if (nx && xx) {
    out_.Error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    out_.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (incr && words > 2) {
    out_.Error("ERR INCR option supports a single increment-element pair");
    return;
  }
  std::vector<double> scores;
  for (size_t i = first; i < args_.size(); i += 2) {
    std::optional<double> s = ParseRedisScore(args_[i]);
    if (!s) {
      out_.Error(kNotFloat);
      return;
    }
    scores.push_back(*s);
  }
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;

  struct Write {
    std::string_view member;
    double value;  // the new score, or the increment for INCR
  };
  std::vector<Write> writes;
  std::unordered_map<std::string_view, double> pending;  // scores as this command leaves them
  int64_t added = 0, updated = 0, processed = 0;
  double last_score = 0;
  if (zset != nullptr || !xx) {
    for (size_t j = 0; j < scores.size(); ++j) {
      const std::string_view member = args_[first + 2 * j + 1];
      double score = scores[j];
      std::optional<double> current;
      if (auto it = pending.find(member); it != pending.end()) {
        current = it->second;
      } else if (zset != nullptr) {
        current = zset->Score(member);
      }
      if (current) {
        if (nx) continue;
        if (incr) {
          score += *current;
          if (std::isnan(score)) {
            out_.Error(kNanScore);  // INCR takes one pair: nothing was written
            return;
          }
        }
        if ((lt && score >= *current) || (gt && score <= *current)) continue;
        ++processed;
        last_score = score;
        if (score == *current) continue;
        ++updated;
      } else {
        if (xx) continue;
        ++added;
        ++processed;
        last_score = score;
      }
      pending[member] = score;
      writes.push_back({member, incr ? scores[j] : score});
    }
  }
  if (!writes.empty()) {
    size_t largest = 0, bytes = 0;
    for (const Write& w : writes) {
      largest = std::max(largest, w.member.size());
      bytes += w.member.size() + kScoreBytes + Replica::kUnitEncodingBytes;
    }
    const ActorId actor = replica_.id().actor();
    const HlcTimestamp ts = replica_.Now();
    Event(incr ? "zincr" : "zadd");
    Result<SortedSet*> done = replica_.Mutate<SortedSet>(
        args_[1], args_[1].size() + largest + kScoreBytes, bytes, [&](SortedSet& z) {
          SortedSet delta;
          for (const Write& w : writes) {
            (void)delta.Join(incr ? z.Increment(actor, w.member, w.value) : z.Assign(actor, w.member, ts, w.value));
          }
          return std::pair<SortedSet, bool>(std::move(delta), true);
        });
    if (!done.ok()) {
      Fail(done.status());
      return;
    }
  }
  if (incr) {
    if (processed > 0) {
      out_.Double(last_score);
    } else {
      out_.Null();
    }
  } else {
    out_.Integer(ch ? added + updated : added);
  }
}

bool RespCommands::Call::RemoveMembers(const char* event, const std::vector<std::string>& members) {
  Event(event);
  Result<SortedSet*> done = replica_.Mutate<SortedSet>(args_[1], 0, 0, [&](SortedSet& z) {
    SortedSet delta;
    for (const std::string& m : members) (void)delta.Join(z.Remove(m));
    return std::pair<SortedSet, bool>(std::move(delta), true);
  });
  if (!done.ok()) {
    Fail(done.status());
    return false;
  }
  return true;
}

void RespCommands::Call::ZRem() {
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;
  std::vector<std::string> present;
  if (zset != nullptr) {
    std::unordered_set<std::string_view> seen;
    for (size_t i = 2; i < args_.size(); ++i) {
      if (zset->Contains(args_[i]) && seen.insert(args_[i]).second) present.push_back(args_[i]);
    }
  }
  if (!present.empty() && !RemoveMembers("zrem", present)) return;
  out_.Integer(static_cast<int64_t>(present.size()));
}

void RespCommands::Call::ZScore() {
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;
  std::optional<double> score = zset == nullptr ? std::nullopt : zset->Score(args_[2]);
  if (score) {
    out_.Double(*score);
  } else {
    out_.Null();
  }
}

void RespCommands::Call::ZMScore() {
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;
  out_.ArrayHeader(args_.size() - 2);
  for (size_t i = 2; i < args_.size(); ++i) {
    std::optional<double> score = zset == nullptr ? std::nullopt : zset->Score(args_[i]);
    if (score) {
      out_.Double(*score);
    } else {
      out_.Null();
    }
  }
}

void RespCommands::Call::ZCard() {
  const SortedSet* zset = nullptr;
  if (ReadZset(args_[1], &zset)) out_.Integer(zset == nullptr ? 0 : static_cast<int64_t>(zset->size()));
}

void RespCommands::Call::RankOf(bool reverse) {
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;
  std::optional<size_t> rank = zset == nullptr ? std::nullopt : zset->Rank(args_[2]);
  if (!rank) {
    out_.Null();
    return;
  }
  out_.Integer(static_cast<int64_t>(reverse ? zset->size() - 1 - *rank : *rank));
}

// ZPOPMIN / ZPOPMAX: a read of the lowest (highest) entries, then ZREM of
// them. Two regions popping at once can both return the same member.
void RespCommands::Call::Pop(bool max) {
  if (args_.size() > 3) {
    out_.Error(kSyntax);
    return;
  }
  std::optional<int64_t> count;
  if (args_.size() == 3) {
    count = ParseInt64(args_[2]);
    if (!count || *count < 0) {  // Redis's getPositiveLongFromObjectOrReply: one message for both
      out_.Error("ERR value is out of range, must be positive");
      return;
    }
  }
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;
  if (zset == nullptr || (count && *count == 0)) {
    out_.ArrayHeader(0);
    return;
  }
  const size_t n = std::min(zset->size(), count ? static_cast<size_t>(*count) : size_t{1});
  std::vector<std::string> members;
  std::vector<double> scores;
  const size_t first = max ? zset->size() - n : 0;
  zset->Visit(first, first + n, /*reverse=*/max, [&](const SortedSet::Entry& e) {
    members.emplace_back(e.member);
    scores.push_back(e.score);
    return true;
  });
  if (!RemoveMembers(max ? "zpopmax" : "zpopmin", members)) return;
  const bool nested = session_.protocol == 3 && count.has_value();
  out_.ArrayHeader(nested ? n : 2 * n);
  for (size_t i = 0; i < n; ++i) {
    if (nested) out_.ArrayHeader(2);
    out_.Bulk(members[i]);
    out_.Double(scores[i]);
  }
}

void RespCommands::Call::ZRandMember() {
  if (args_.size() == 2) {
    const SortedSet* zset = nullptr;
    if (!ReadZset(args_[1], &zset)) return;
    if (zset == nullptr) {
      out_.Null();
    } else {
      out_.Bulk(zset->At(static_cast<size_t>(self_->env_->Uniform(zset->size()))).member);
    }
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
  if (args_.size() > 4 || (args_.size() == 4 && !EqualsIgnoreCase(args_[3], "withscores"))) {
    out_.Error(kSyntax);
    return;
  }
  const bool with_scores = args_.size() == 4;
  constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
  if (with_scores && (*count < -kHalf || *count > kHalf)) {
    out_.Error("ERR value is out of range");
    return;
  }
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;
  if (zset == nullptr || *count == 0) {
    out_.ArrayHeader(0);
    return;
  }
  const size_t size = zset->size();
  std::vector<size_t> ranks;
  if (*count < 0 || *count == 1) {  // independent draws, repeats allowed
    const uint64_t n = *count < 0 ? static_cast<uint64_t>(-*count) : 1;
    if (n > kMaxRandomMembers) {
      out_.Error("ERR ZRANDMEMBER count is too large for regionsync (at most -" + std::to_string(kMaxRandomMembers) +
                 ")");
      return;
    }
    for (uint64_t i = 0; i < n; ++i) ranks.push_back(static_cast<size_t>(self_->env_->Uniform(size)));
  } else if (static_cast<uint64_t>(*count) >= size) {  // the whole set, highest first as Redis walks it
    for (size_t r = size; r > 0; --r) ranks.push_back(r - 1);
  } else if (static_cast<uint64_t>(*count) * 3 > size) {  // Redis's CASE 3: all but a few dropped at random
    for (size_t r = 0; r < size; ++r) ranks.push_back(r);
    while (ranks.size() > static_cast<size_t>(*count)) {
      size_t i = static_cast<size_t>(self_->env_->Uniform(ranks.size()));
      std::swap(ranks[i], ranks.back());
      ranks.pop_back();
    }
  } else {
    std::unordered_set<size_t> picked;
    while (ranks.size() < static_cast<size_t>(*count)) {
      size_t r = static_cast<size_t>(self_->env_->Uniform(size));
      if (picked.insert(r).second) ranks.push_back(r);
    }
  }
  std::vector<SortedSet::Entry> entries;
  entries.reserve(ranks.size());
  for (size_t r : ranks) entries.push_back(zset->At(r));
  ReplyScored(entries, with_scores);
}

void RespCommands::Call::ReplyScored(const std::vector<SortedSet::Entry>& entries, bool with_scores) {
  const bool pairs = with_scores && session_.protocol == 3;
  out_.ArrayHeader(with_scores && !pairs ? 2 * entries.size() : entries.size());
  for (const SortedSet::Entry& e : entries) {
    if (pairs) out_.ArrayHeader(2);
    out_.Bulk(e.member);
    if (with_scores) out_.Double(e.score);
  }
}

// A set Redis keeps as a listpack comes whole, in rank order, with cursor
// 0; a larger one is walked in ScanHash order (see there).
void RespCommands::Call::ZScan() {
  std::optional<uint64_t> cursor = resp_internal::ParseScanCursor(args_[2]);
  if (!cursor) {
    out_.Error("ERR invalid cursor");
    return;
  }
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;
  if (zset == nullptr) {  // Redis answers before it reads the options
    out_.ArrayHeader(2);
    out_.Bulk("0");
    out_.ArrayHeader(0);
    return;
  }
  const std::string* match = nullptr;
  int64_t count = 10;
  if (!ReadScanOptions(3, &match, &count)) return;
  std::vector<SortedSet::Entry> found;
  uint64_t next = 0;
  if (resp_internal::ZsetIsListpack(*zset)) {
    zset->Visit(0, zset->size(), false, [&](const SortedSet::Entry& e) {
      found.push_back(e);
      return true;
    });
  } else {
    struct Hashed {
      uint64_t hash;
      SortedSet::Entry entry;
    };
    std::vector<Hashed> ahead;
    zset->Visit(0, zset->size(), false, [&](const SortedSet::Entry& e) {
      uint64_t h = ScanHash(e.member);
      if (h >= *cursor) ahead.push_back({h, e});
      return true;
    });
    auto by_hash = [](const Hashed& a, const Hashed& b) { return a.hash < b.hash; };
    size_t take = std::min(ahead.size(), static_cast<size_t>(count));
    if (take < ahead.size()) {
      std::nth_element(ahead.begin(), ahead.begin() + (take - 1), ahead.end(), by_hash);
      const uint64_t last = ahead[take - 1].hash;
      // Never end a call inside one hash value: the next starts past it.
      auto end = std::partition(ahead.begin(), ahead.end(), [&](const Hashed& h) { return h.hash <= last; });
      const bool more = end != ahead.end();
      ahead.erase(end, ahead.end());
      next = more && last != std::numeric_limits<uint64_t>::max() ? last + 1 : 0;
    }
    std::sort(ahead.begin(), ahead.end(), by_hash);
    for (const Hashed& h : ahead) found.push_back(h.entry);
  }
  std::vector<std::string> texts;
  std::vector<std::string_view> members;
  for (const SortedSet::Entry& e : found) {
    if (match != nullptr && !GlobMatch(*match, e.member)) continue;
    members.push_back(e.member);
    texts.push_back(RespWriter::ScoreText(e.score));
  }
  out_.ArrayHeader(2);
  out_.Bulk(std::to_string(next));
  out_.ArrayHeader(2 * members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    out_.Bulk(members[i]);
    out_.Bulk(texts[i]);
  }
}

}  // namespace regionsync

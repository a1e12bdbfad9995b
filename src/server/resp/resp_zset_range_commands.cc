// The sorted-set commands of the Redis port over ranges and several keys:
// ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) and its older forms,
// ZRANGESTORE, ZCOUNT, ZLEXCOUNT, ZREMRANGEBY{RANK,SCORE,LEX}, and
// ZUNION / ZINTER / ZDIFF [STORE], ZINTERCARD. Argument checks and their
// order follow Redis 7.0's t_zset.c, so errors match it byte for byte.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "server/resp/resp_call.h"

namespace regionsync {

using resp_internal::EqualsIgnoreCase;
using resp_internal::kNotInteger;
using resp_internal::kSyntax;
using resp_internal::ParseInt64;
using resp_internal::ParseLexBound;
using resp_internal::ParseRedisScore;
using resp_internal::ParseScoreBound;

namespace {

constexpr const char* kNotFloatRange = "ERR min or max is not a float";
constexpr const char* kNotLexRange = "ERR min or max not valid string range item";

// A parsed range of either kind.
struct Bounds {
  ScoreBound min_score, max_score;
  LexBound min_lex, max_lex;
};

// The min and max arguments of a score range (lex: a lex range); false if
// either does not parse.
bool ParseBounds(const std::string& min, const std::string& max, bool lex, Bounds* out) {
  if (lex) {
    std::optional<LexBound> a = ParseLexBound(min), b = ParseLexBound(max);
    if (!a || !b) return false;
    out->min_lex = std::move(*a);
    out->max_lex = std::move(*b);
  } else {
    std::optional<ScoreBound> a = ParseScoreBound(min), b = ParseScoreBound(max);
    if (!a || !b) return false;
    out->min_score = *a;
    out->max_score = *b;
  }
  return true;
}

// A member against a lex bound, as Redis's sdscmplex ("-" below and "+"
// above every member).
int CompareToBound(std::string_view v, const LexBound& b) {
  switch (b.kind) {
    case LexBound::Kind::kMinusInfinity:
      return 1;
    case LexBound::Kind::kPlusInfinity:
      return -1;
    default:
      return v.compare(b.value);
  }
}
bool Infinite(const LexBound& b) {
  return b.kind == LexBound::Kind::kMinusInfinity || b.kind == LexBound::Kind::kPlusInfinity;
}
// Redis's zslLexValueGteMin / zslLexValueLteMax ("-" and "+" count as exclusive).
bool GteMin(std::string_view v, const LexBound& min) {
  int c = CompareToBound(v, min);
  return min.kind == LexBound::Kind::kInclusive ? c >= 0 : c > 0;
}
bool LteMax(std::string_view v, const LexBound& max) {
  int c = CompareToBound(v, max);
  return max.kind == LexBound::Kind::kInclusive ? c <= 0 : c < 0;
}
// Redis's test for a lex range that is always empty (min above max, or
// equal with an exclusive end).
bool LexRangeEmpty(const LexBound& min, const LexBound& max) {
  int c;
  if (Infinite(min) && min.kind == max.kind) {
    c = 0;
  } else if (min.kind == LexBound::Kind::kMinusInfinity || max.kind == LexBound::Kind::kPlusInfinity) {
    c = -1;
  } else if (min.kind == LexBound::Kind::kPlusInfinity || max.kind == LexBound::Kind::kMinusInfinity) {
    c = 1;
  } else {
    c = std::string_view(min.value).compare(max.value);
  }
  return c > 0 || (c == 0 && (min.kind != LexBound::Kind::kInclusive || max.kind != LexBound::Kind::kInclusive));
}

// Where Redis starts walking a lex range: the rank of the first entry in it
// (the last, for a reverse walk), nullopt when there is none. A set Redis
// keeps as a listpack is searched linearly, as its zzlFirstInLexRange does,
// so that over mixed scores too the answer is Redis's; a bigger one (Redis:
// a skiplist, whose answer over mixed scores depends on its random levels)
// by SortedSet's binary search.
std::optional<size_t> LexStart(const SortedSet& z, const LexBound& min, const LexBound& max, bool reverse) {
  const size_t n = z.size();
  if (n == 0 || LexRangeEmpty(min, max)) return std::nullopt;
  auto member = [&](size_t r) { return z.At(r).member; };
  if (!GteMin(member(n - 1), min) || !LteMax(member(0), max)) return std::nullopt;
  size_t r;
  if (resp_internal::ZsetIsListpack(z)) {
    if (!reverse) {
      r = 0;
      while (r < n && !GteMin(member(r), min)) ++r;
    } else {
      r = n;
      while (r > 0 && !LteMax(member(r - 1), max)) --r;
      if (r == 0) return std::nullopt;
      --r;
    }
  } else if (!reverse) {
    r = z.LowerRank(min);
  } else {
    r = z.UpperRank(max);
    if (r == 0) return std::nullopt;
    --r;
  }
  if (r >= n || !GteMin(member(r), min) || !LteMax(member(r), max)) return std::nullopt;
  return r;
}

// Ranks [*first, *last) of Redis's walk of a lex range: from LexStart,
// `offset` entries passed unchecked, then up to `limit` (negative: no limit)
// while they are in range (forward: at most max; reverse: at least min).
void LexWalk(const SortedSet& z, const Bounds& b, bool reverse, int64_t offset, int64_t limit, size_t* first,
             size_t* last) {
  *first = *last = 0;
  std::optional<size_t> start = LexStart(z, b.min_lex, b.max_lex, reverse);
  if (!start || offset < 0) return;  // Redis walks a negative offset off the end
  const size_t n = z.size();
  const uint64_t skip = static_cast<uint64_t>(offset);
  uint64_t take = limit < 0 ? UINT64_MAX : static_cast<uint64_t>(limit);
  if (!reverse) {
    if (skip >= n - *start) return;
    size_t p = *start + static_cast<size_t>(skip), e = p;
    while (e < n && take > 0 && LteMax(z.At(e).member, b.max_lex)) ++e, --take;
    *first = p;
    *last = e;
  } else {
    if (skip > *start) return;
    size_t p = *start - static_cast<size_t>(skip) + 1, s = p;  // ranks [s, p) walked downwards
    while (s > 0 && take > 0 && GteMin(z.At(s - 1).member, b.min_lex)) --s, --take;
    *first = s;
    *last = p;
  }
}

// Ranks [*first, *last) of the entries in the score or lex range (a lex
// range as Redis's forward walk finds it).
void RangeRanks(const SortedSet& z, bool lex, const Bounds& b, size_t* first, size_t* last) {
  if (lex) {
    LexWalk(z, b, /*reverse=*/false, 0, -1, first, last);
    return;
  }
  *first = z.LowerRank(b.min_score);
  *last = z.UpperRank(b.max_score);
  if (*last < *first) *last = *first;
}

// Z[REV]RANGE's start / stop made ranks [*first, *last) as Redis sanitizes
// them (negative from the end, clamped); an empty range when start > stop.
void RankRange(int64_t start, int64_t stop, size_t size, size_t* first, size_t* last) {
  const int64_t n = static_cast<int64_t>(size);
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) {
    *first = *last = 0;
    return;
  }
  if (stop >= n) stop = n - 1;
  *first = static_cast<size_t>(start);
  *last = static_cast<size_t>(stop) + 1;
}

}  // namespace

void RespCommands::Call::RangeCommand(size_t key_index, bool store, ZRangeBy by, bool reverse) {
  const bool direction_given = by != ZRangeBy::kAuto;  // only ZRANGE / ZRANGESTORE take REV
  bool with_scores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = key_index + 3; j < args_.size(); ++j) {
    const size_t left = args_.size() - j - 1;
    if (!store && EqualsIgnoreCase(args_[j], "withscores")) {
      with_scores = true;
    } else if (EqualsIgnoreCase(args_[j], "limit") && left >= 2) {
      std::optional<int64_t> o = ParseInt64(args_[j + 1]);
      std::optional<int64_t> l = o ? ParseInt64(args_[j + 2]) : std::nullopt;
      if (!o || !l) {
        out_.Error(kNotInteger);
        return;
      }
      offset = *o;
      limit = *l;
      j += 2;
    } else if (!direction_given && !reverse && EqualsIgnoreCase(args_[j], "rev")) {
      reverse = true;
    } else if (by == ZRangeBy::kAuto && EqualsIgnoreCase(args_[j], "bylex")) {
      by = ZRangeBy::kLex;
    } else if (by == ZRangeBy::kAuto && EqualsIgnoreCase(args_[j], "byscore")) {
      by = ZRangeBy::kScore;
    } else {
      out_.Error(kSyntax);
      return;
    }
  }
  if (by == ZRangeBy::kAuto) by = ZRangeBy::kRank;
  if (limit != -1 && by == ZRangeBy::kRank) {
    out_.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (with_scores && by == ZRangeBy::kLex) {
    out_.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  const std::string& min_arg = args_[key_index + (reverse && by != ZRangeBy::kRank ? 2 : 1)];
  const std::string& max_arg = args_[key_index + (reverse && by != ZRangeBy::kRank ? 1 : 2)];
  int64_t start = 0, stop = 0;
  Bounds bounds;
  if (by == ZRangeBy::kRank) {
    std::optional<int64_t> a = ParseInt64(min_arg);
    std::optional<int64_t> b = a ? ParseInt64(max_arg) : std::nullopt;
    if (!a || !b) {
      out_.Error(kNotInteger);
      return;
    }
    start = *a;
    stop = *b;
  } else if (!ParseBounds(min_arg, max_arg, by == ZRangeBy::kLex, &bounds)) {
    out_.Error(by == ZRangeBy::kLex ? kNotLexRange : kNotFloatRange);
    return;
  }
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[key_index], &zset)) return;
  std::vector<SortedSet::Entry> entries;
  if (zset != nullptr) {
    size_t first = 0, last = 0;
    if (by == ZRangeBy::kRank) {
      RankRange(start, stop, zset->size(), &first, &last);
      if (reverse) {  // ranks counted from the top
        const size_t n = zset->size();
        std::tie(first, last) = std::pair(n - last, n - first);
      }
    } else if (by == ZRangeBy::kLex) {
      LexWalk(*zset, bounds, reverse, offset, limit, &first, &last);
    } else {
      RangeRanks(*zset, false, bounds, &first, &last);
      // LIMIT: a negative offset skips everything (Redis walks off the
      // end), a negative count takes all.
      const size_t in_range = last - first;
      const size_t skip = offset < 0 ? in_range : std::min(in_range, static_cast<size_t>(offset));
      const size_t take = limit < 0 ? in_range - skip : std::min(in_range - skip, static_cast<size_t>(limit));
      if (reverse) {
        last -= skip;
        first = last - take;
      } else {
        first += skip;
        last = first + take;
      }
    }
    zset->Visit(first, last, reverse, [&](const SortedSet::Entry& e) {
      entries.push_back(e);
      return true;
    });
  }
  if (!store) {
    ReplyScored(entries, with_scores);
    return;
  }
  std::vector<ScoredMember> result;
  result.reserve(entries.size());
  for (const SortedSet::Entry& e : entries) result.push_back({std::string(e.member), e.score});
  StoreZset("zrangestore", args_[1], result);
}

// ZCOUNT and ZLEXCOUNT: the size of a rank range, O(log n).
void RespCommands::Call::CountRange(bool lex) {
  Bounds bounds;
  if (!ParseBounds(args_[2], args_[3], lex, &bounds)) {
    out_.Error(lex ? kNotLexRange : kNotFloatRange);
    return;
  }
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;
  size_t first = 0, last = 0;
  if (zset != nullptr) RangeRanks(*zset, lex, bounds, &first, &last);
  out_.Integer(static_cast<int64_t>(last - first));
}

void RespCommands::Call::ZCount() { CountRange(false); }
void RespCommands::Call::ZLexCount() { CountRange(true); }

// ZREMRANGEBY*: a read of the range, then ZREM of what it held (so a member
// added or re-added concurrently elsewhere survives).
void RespCommands::Call::RemoveRange(ZRangeBy by) {
  Bounds bounds;
  int64_t start = 0, stop = 0;
  const char* event = nullptr;
  if (by == ZRangeBy::kRank) {
    event = "zremrangebyrank";
    std::optional<int64_t> a = ParseInt64(args_[2]);
    std::optional<int64_t> b = a ? ParseInt64(args_[3]) : std::nullopt;
    if (!a || !b) {
      out_.Error(kNotInteger);
      return;
    }
    start = *a;
    stop = *b;
  } else {
    const bool lex = by == ZRangeBy::kLex;
    event = lex ? "zremrangebylex" : "zremrangebyscore";
    if (!ParseBounds(args_[2], args_[3], lex, &bounds)) {
      out_.Error(lex ? kNotLexRange : kNotFloatRange);
      return;
    }
  }
  const SortedSet* zset = nullptr;
  if (!ReadZset(args_[1], &zset)) return;
  std::vector<std::string> members;
  if (zset != nullptr) {
    size_t first = 0, last = 0;
    if (by == ZRangeBy::kRank) {
      RankRange(start, stop, zset->size(), &first, &last);
    } else {
      RangeRanks(*zset, by == ZRangeBy::kLex, bounds, &first, &last);
    }
    zset->Visit(first, last, false, [&](const SortedSet::Entry& e) {
      members.emplace_back(e.member);
      return true;
    });
  }
  if (!members.empty() && !RemoveMembers(event, members)) return;
  out_.Integer(static_cast<int64_t>(members.size()));
}

// The destination becomes `result`: a ZADD (Assign) of every member of the
// result and an observed remove of the members it had beyond them, in one
// write: DEL of what this region saw plus ZADD of the result, with no empty
// moment in between. A member added concurrently elsewhere survives, and a
// concurrent ZINCRBY of a kept member adds to its new score (docs/redis.md).
void RespCommands::Call::StoreZset(const char* event, const std::string& dest,
                                   const std::vector<ScoredMember>& result) {
  const AnyCrdt* d = replica_.Find(dest);
  const bool live = d != nullptr && HasValue(*d);
  if (live && !std::holds_alternative<SortedSet>(*d)) {
    out_.Error(kWrongType);  // the destination keeps its type (Redis would overwrite it)
    return;
  }
  if (result.empty()) {
    StoreNothing(dest, live);
    return;
  }
  size_t largest = 0, bytes = 0;
  std::unordered_set<std::string_view> kept;
  for (const ScoredMember& m : result) {
    largest = std::max(largest, m.member.size());
    bytes += m.member.size() + sizeof(double) + Replica::kUnitEncodingBytes;
    kept.insert(m.member);
  }
  const ActorId actor = replica_.id().actor();
  const HlcTimestamp ts = replica_.Now();
  Event(event);
  // A new value: without the old one's expiry.
  Result<SortedSet*> done = replica_.WithExpiry(0, [&] {
    return replica_.Mutate<SortedSet>(dest, dest.size() + largest + sizeof(double), bytes, [&](SortedSet& z) {
        std::vector<std::string> stale;
        z.Visit(0, z.size(), false, [&](const SortedSet::Entry& e) {
          if (kept.count(e.member) == 0) stale.emplace_back(e.member);
          return true;
        });
        SortedSet delta;
        for (const ScoredMember& m : result) (void)delta.Join(z.Assign(actor, m.member, ts, m.score));
        for (const std::string& s : stale) (void)delta.Join(z.Remove(s));
        return std::pair<SortedSet, bool>(std::move(delta), true);
      });
  });
  if (!done.ok()) {
    Fail(done.status());
    return;
  }
  out_.Integer(static_cast<int64_t>(result.size()));
}

// Redis's zunionInterDiffGenericCommand: numkeys, then the keys' types
// (sets count as scores of 1), then WEIGHTS / AGGREGATE / WITHSCORES /
// LIMIT. Sources are combined smallest first as Redis does, so sums of
// doubles round the same way.
void RespCommands::Call::CombineZsets(ZSetOp op, bool store, bool cardinality_only) {
  const size_t numkeys_index = store ? 2 : 1;
  std::optional<int64_t> numkeys = ParseInt64(args_[numkeys_index]);
  if (!numkeys) {
    out_.Error(kNotInteger);
    return;
  }
  if (*numkeys < 1) {
    out_.Error("ERR at least 1 input key is needed for '" + AsciiLower(args_[0]) + "' command");
    return;
  }
  if (static_cast<uint64_t>(*numkeys) > args_.size() - (numkeys_index + 1)) {
    out_.Error(kSyntax);
    return;
  }
  struct Source {
    const SortedSet* zset = nullptr;
    const OrSet* set = nullptr;
    double weight = 1;
    size_t size() const { return zset != nullptr ? zset->size() : set != nullptr ? set->size() : 0; }
    std::optional<double> Score(std::string_view m) const {
      if (zset != nullptr) return zset->Score(m);
      if (set != nullptr && set->Contains(m)) return 1.0;
      return std::nullopt;
    }
    void ForEach(const std::function<void(std::string_view, double)>& f) const {
      if (zset != nullptr) {
        zset->Visit(0, zset->size(), false, [&](const SortedSet::Entry& e) {
          f(e.member, e.score);
          return true;
        });
      } else if (set != nullptr) {
        set->ForEachElement([&](std::string_view e) { f(e, 1.0); });
      }
    }
  };
  const size_t n = static_cast<size_t>(*numkeys);
  std::vector<Source> sources(n);
  size_t j = numkeys_index + 1;
  for (size_t i = 0; i < n; ++i, ++j) {
    const AnyCrdt* v = Live(args_[j]);
    if (v == nullptr) continue;
    if (const auto* z = std::get_if<SortedSet>(v)) {
      sources[i].zset = z;
    } else if (const auto* s = std::get_if<OrSet>(v)) {
      sources[i].set = s;
    } else {
      out_.Error(kWrongType);
      return;
    }
  }
  enum class Aggregate { kSum, kMin, kMax } aggregate = Aggregate::kSum;
  bool with_scores = false;
  int64_t limit = 0;
  while (j < args_.size()) {
    const size_t remaining = args_.size() - j;
    if (op != ZSetOp::kDiff && !cardinality_only && remaining >= n + 1 && EqualsIgnoreCase(args_[j], "weights")) {
      ++j;
      for (size_t i = 0; i < n; ++i, ++j) {
        std::optional<double> w = ParseRedisScore(args_[j]);
        if (!w) {
          out_.Error("ERR weight value is not a float");
          return;
        }
        sources[i].weight = *w;
      }
    } else if (op != ZSetOp::kDiff && !cardinality_only && remaining >= 2 && EqualsIgnoreCase(args_[j], "aggregate")) {
      const std::string& how = args_[j + 1];
      if (EqualsIgnoreCase(how, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (EqualsIgnoreCase(how, "min")) {
        aggregate = Aggregate::kMin;
      } else if (EqualsIgnoreCase(how, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        out_.Error(kSyntax);
        return;
      }
      j += 2;
    } else if (!store && !cardinality_only && EqualsIgnoreCase(args_[j], "withscores")) {
      ++j;
      with_scores = true;
    } else if (cardinality_only && remaining >= 2 && EqualsIgnoreCase(args_[j], "limit")) {
      std::optional<int64_t> l = ParseInt64(args_[j + 1]);
      if (!l || *l < 0) {  // one message for both, as Redis's getPositiveLongFromObjectOrReply
        out_.Error("ERR LIMIT can't be negative");
        return;
      }
      limit = *l;
      j += 2;
    } else {
      out_.Error(kSyntax);
      return;
    }
  }
  if (op != ZSetOp::kDiff) {
    std::stable_sort(sources.begin(), sources.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
  }
  auto combine = [&](double* target, double value) {
    switch (aggregate) {
      case Aggregate::kSum:
        *target += value;
        if (std::isnan(*target)) *target = 0;  // inf + -inf, as Redis
        break;
      case Aggregate::kMin:
        *target = value < *target ? value : *target;
        break;
      case Aggregate::kMax:
        *target = value > *target ? value : *target;
        break;
    }
  };
  auto weighted = [](double score, double weight) {
    double v = weight * score;
    return std::isnan(v) ? 0.0 : v;  // 0 * inf
  };
  std::vector<ScoredMember> result;
  int64_t cardinality = 0;
  switch (op) {
    case ZSetOp::kInter:
      if (sources[0].size() == 0) break;
      sources[0].ForEach([&](std::string_view m, double s) {
        if (limit != 0 && cardinality >= limit) return;
        double score = weighted(s, sources[0].weight);
        for (size_t i = 1; i < n; ++i) {
          std::optional<double> v = sources[i].Score(m);
          if (!v) return;
          combine(&score, *v * sources[i].weight);
        }
        ++cardinality;
        if (!cardinality_only) result.push_back({std::string(m), score});
      });
      break;
    case ZSetOp::kUnion: {
      std::unordered_map<std::string, double> acc;
      for (const Source& src : sources) {
        src.ForEach([&](std::string_view m, double s) {
          double score = weighted(s, src.weight);
          auto [it, fresh] = acc.try_emplace(std::string(m), score);
          if (!fresh) combine(&it->second, score);
        });
      }
      for (auto& [m, s] : acc) result.push_back({m, s});
      break;
    }
    case ZSetOp::kDiff:
      sources[0].ForEach([&](std::string_view m, double s) {
        for (size_t i = 1; i < n; ++i) {
          if (sources[i].Score(m)) return;
        }
        result.push_back({std::string(m), s});
      });
      break;
  }
  if (cardinality_only) {
    out_.Integer(cardinality);
    return;
  }
  std::sort(result.begin(), result.end(), [](const ScoredMember& a, const ScoredMember& b) {
    return a.score < b.score || (a.score == b.score && a.member < b.member);
  });
  if (store) {
    static constexpr const char* kEvents[] = {"zunionstore", "zinterstore", "zdiffstore"};
    StoreZset(kEvents[static_cast<int>(op)], args_[1], result);
    return;
  }
  std::vector<SortedSet::Entry> entries;
  entries.reserve(result.size());
  for (const ScoredMember& m : result) entries.push_back({m.member, m.score});
  ReplyScored(entries, with_scores);
}

}  // namespace regionsync

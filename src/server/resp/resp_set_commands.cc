// The set commands of the Redis port (SADD SREM SMEMBERS ... SSCAN): add-wins
// OR-Sets. Reads answer from this region's state; every write is checked
// first and then made (all or nothing); docs/redis.md has what each write
// does under concurrency.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <unordered_set>

#include "regionsync/server/resp/glob.h"

#include "server/resp/resp_call.h"

namespace regionsync {

using resp_internal::EqualsIgnoreCase;
using resp_internal::kNotInteger;
using resp_internal::kSyntax;
using resp_internal::ParseInt64;

namespace {

enum class SetOp { kInter, kUnion, kDiff };

// SINTER / SUNION / SDIFF of `sets` (nullptr: a key without a value, an
// empty set), sorted by bytes; for kInter at most `limit` members (0: all).
// The views point into the sets: valid until the next write.
std::vector<std::string_view> Combine(SetOp op, std::vector<const OrSet*> sets, size_t limit = 0) {
  std::vector<std::string_view> out;
  switch (op) {
    case SetOp::kInter: {
      if (std::find(sets.begin(), sets.end(), nullptr) != sets.end()) return out;
      std::sort(sets.begin(), sets.end(), [](const OrSet* a, const OrSet* b) { return a->size() < b->size(); });
      sets[0]->ForEachElement([&](std::string_view e) {
        if (limit != 0 && out.size() >= limit) return;
        bool everywhere = std::all_of(sets.begin() + 1, sets.end(), [&](const OrSet* s) { return s->Contains(e); });
        if (everywhere) out.push_back(e);
      });
      break;
    }
    case SetOp::kUnion:
      for (const OrSet* s : sets) {
        if (s != nullptr) s->ForEachElement([&](std::string_view e) { out.push_back(e); });
      }
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    case SetOp::kDiff:
      if (sets[0] == nullptr) return out;
      sets[0]->ForEachElement([&](std::string_view e) {
        bool elsewhere = std::any_of(sets.begin() + 1, sets.end(),
                                     [&](const OrSet* s) { return s != nullptr && s->Contains(e); });
        if (!elsewhere) out.push_back(e);
      });
      break;
  }
  std::sort(out.begin(), out.end());
  return out;
}

// How many members one SRANDMEMBER with a negative count may answer: Redis
// streams any number; here one reply is built whole under the node's lock.
constexpr uint64_t kMaxRandomMembers = 1 << 20;

}  // namespace

void RespCommands::Call::SAdd() {
  Event("sadd");
  const std::vector<std::string_view> members(args_.begin() + 2, args_.end());
  Result<size_t> added = replica_.AddAll(args_[1], members);
  if (!added.ok()) {  // a type mismatch: nothing was added
    Fail(added.status());
    return;
  }
  out_.Integer(static_cast<int64_t>(*added));
}

void RespCommands::Call::SRem() {
  const AnyCrdt* v = Live(args_[1]);
  if (v == nullptr) {
    out_.Integer(0);
    return;
  }
  if (!std::holds_alternative<OrSet>(*v)) {
    out_.Error(kWrongType);
    return;
  }
  Event("srem");
  const std::vector<std::string_view> members(args_.begin() + 2, args_.end());
  Result<size_t> removed = replica_.RemoveAll(args_[1], members);
  out_.Integer(removed.ok() ? static_cast<int64_t>(*removed) : 0);
}

bool RespCommands::Call::ReadSet(std::string_view key, const OrSet** set) {
  const AnyCrdt* v = Live(key);
  if (v != nullptr && !std::holds_alternative<OrSet>(*v)) {
    out_.Error(kWrongType);
    return false;
  }
  *set = v == nullptr ? nullptr : &std::get<OrSet>(*v);
  return true;
}

bool RespCommands::Call::ReadSets(size_t first, size_t end, std::vector<const OrSet*>* sets) {
  sets->resize(end - first);
  for (size_t i = first; i < end; ++i) {
    if (!ReadSet(args_[i], &(*sets)[i - first])) return false;
  }
  return true;
}

void RespCommands::Call::ReplyMembers(const std::vector<std::string_view>& members) {
  out_.SetHeader(members.size());
  for (std::string_view m : members) out_.Bulk(m);
}

void RespCommands::Call::SMembers() {
  const OrSet* set = nullptr;
  if (!ReadSet(args_[1], &set)) return;
  std::vector<std::string_view> members;
  if (set != nullptr) members = Combine(SetOp::kUnion, {set});
  ReplyMembers(members);
}

void RespCommands::Call::SIsMember() {
  const OrSet* set = nullptr;
  if (ReadSet(args_[1], &set)) out_.Integer(set != nullptr && set->Contains(args_[2]) ? 1 : 0);
}

void RespCommands::Call::SMIsMember() {
  const OrSet* set = nullptr;
  if (!ReadSet(args_[1], &set)) return;
  out_.ArrayHeader(args_.size() - 2);
  for (size_t i = 2; i < args_.size(); ++i) out_.Integer(set != nullptr && set->Contains(args_[i]) ? 1 : 0);
}

void RespCommands::Call::SCard() {
  const OrSet* set = nullptr;
  if (ReadSet(args_[1], &set)) out_.Integer(set == nullptr ? 0 : static_cast<int64_t>(set->size()));
}

void RespCommands::Call::SInter() {
  std::vector<const OrSet*> sets;
  if (ReadSets(1, args_.size(), &sets)) ReplyMembers(Combine(SetOp::kInter, sets));
}

void RespCommands::Call::SUnion() {
  std::vector<const OrSet*> sets;
  if (ReadSets(1, args_.size(), &sets)) ReplyMembers(Combine(SetOp::kUnion, sets));
}

void RespCommands::Call::SDiff() {
  std::vector<const OrSet*> sets;
  if (ReadSets(1, args_.size(), &sets)) ReplyMembers(Combine(SetOp::kDiff, sets));
}

void RespCommands::Call::SInterStore() {
  std::vector<const OrSet*> sets;
  if (ReadSets(2, args_.size(), &sets)) StoreSet("sinterstore", Combine(SetOp::kInter, sets));
}

void RespCommands::Call::SUnionStore() {
  std::vector<const OrSet*> sets;
  if (ReadSets(2, args_.size(), &sets)) StoreSet("sunionstore", Combine(SetOp::kUnion, sets));
}

void RespCommands::Call::SDiffStore() {
  std::vector<const OrSet*> sets;
  if (ReadSets(2, args_.size(), &sets)) StoreSet("sdiffstore", Combine(SetOp::kDiff, sets));
}

// The destination (args_[1]) becomes `result`: an add of every member (each
// gets a new dot; the dots it had here are removed, as SADD does), then an
// observed remove of the members it had beyond them. Together that is DEL of
// what this region saw plus SADD of the result, with no empty moment in
// between; a member added concurrently elsewhere survives (docs/redis.md).
void RespCommands::Call::StoreNothing(const std::string& dest, bool live) {
  if (live) {
    Event("del");
    Result<bool> deleted = replica_.Delete(dest);
    if (!deleted.ok()) {
      Fail(deleted.status());
      return;
    }
  }
  out_.Integer(0);
}

// The add comes first because only it can fail: then nothing changed.
void RespCommands::Call::StoreSet(const char* event, const std::vector<std::string_view>& result) {
  const std::string& dest = args_[1];
  const AnyCrdt* d = replica_.Find(dest);
  const bool live = d != nullptr && HasValue(*d);
  if (d != nullptr && !std::holds_alternative<OrSet>(*d) && (live || !result.empty())) {
    out_.Error(kWrongType);  // the destination keeps its type (Redis would overwrite it)
    return;
  }
  if (result.empty()) {
    StoreNothing(dest, live);
    return;
  }
  // The views may point into the destination itself (dest is a source).
  const std::vector<std::string> members(result.begin(), result.end());
  const std::vector<std::string_view> views(members.begin(), members.end());
  Event(event);
  // A STORE command makes a new value: without the old one's expiry.
  Result<size_t> added = replica_.WithExpiry(0, [&] { return replica_.AddAll(dest, views); });
  if (!added.ok()) {
    Fail(added.status());
    return;
  }
  std::vector<std::string> stale;
  std::get<OrSet>(*replica_.Find(dest)).ForEachElement([&](std::string_view e) {
    if (!std::binary_search(members.begin(), members.end(), e)) stale.emplace_back(e);
  });
  if (!stale.empty()) {
    const std::vector<std::string_view> stale_views(stale.begin(), stale.end());
    (void)replica_.RemoveAll(dest, stale_views);  // a removal is never refused
  }
  out_.Integer(static_cast<int64_t>(members.size()));
}

void RespCommands::Call::SInterCard() {
  std::optional<int64_t> numkeys = ParseInt64(args_[1]);
  if (!numkeys || *numkeys < 1) {
    out_.Error("ERR numkeys should be greater than 0");
    return;
  }
  if (static_cast<uint64_t>(*numkeys) > args_.size() - 2) {
    out_.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  const size_t end = 2 + static_cast<size_t>(*numkeys);
  int64_t limit = 0;
  for (size_t i = end; i < args_.size(); ++i) {
    if (EqualsIgnoreCase(args_[i], "limit") && i + 1 < args_.size()) {
      std::optional<int64_t> l = ParseInt64(args_[++i]);
      if (!l || *l < 0) {
        out_.Error("ERR LIMIT can't be negative");
        return;
      }
      limit = *l;
    } else {
      out_.Error(kSyntax);
      return;
    }
  }
  std::vector<const OrSet*> sets;
  if (!ReadSets(2, end, &sets)) return;
  out_.Integer(static_cast<int64_t>(Combine(SetOp::kInter, sets, static_cast<size_t>(limit)).size()));
}

// SREM from the source plus SADD to the destination, in one local change
// (one commit). The add comes first because only it can fail (a size limit,
// a destination of another type without a value): then nothing changed.
void RespCommands::Call::SMove() {
  const AnyCrdt* src = Live(args_[1]);
  if (src == nullptr) {
    out_.Integer(0);
    return;
  }
  const AnyCrdt* dst = Live(args_[2]);
  if (!std::holds_alternative<OrSet>(*src) || (dst != nullptr && !std::holds_alternative<OrSet>(*dst))) {
    out_.Error(kWrongType);
    return;
  }
  const std::string_view member = args_[3];
  if (!std::get<OrSet>(*src).Contains(member)) {
    out_.Integer(0);
    return;
  }
  if (args_[1] == args_[2]) {
    out_.Integer(1);  // a no-op, as in Redis
    return;
  }
  Event("sadd");
  Result<size_t> added = replica_.AddAll(args_[2], {&member, 1});
  if (!added.ok()) {
    Fail(added.status());
    return;
  }
  Event("srem");
  (void)replica_.RemoveAll(args_[1], {&member, 1});
  out_.Integer(1);
}

std::vector<std::string_view> RespCommands::Call::PickDistinct(const OrSet& set, size_t count) {
  std::vector<std::string_view> out;
  if (count >= set.size() || count * 3 > set.size()) {
    // All of them, or (like Redis's CASE 3) all but a few dropped at random.
    set.ForEachElement([&](std::string_view e) { out.push_back(e); });
    std::sort(out.begin(), out.end());
    while (out.size() > count) {
      size_t i = static_cast<size_t>(self_->env_->Uniform(out.size()));
      std::swap(out[i], out.back());
      out.pop_back();
    }
    return out;
  }
  std::unordered_set<std::string_view> picked;
  while (picked.size() < count) {
    std::string_view e = set.RandomElement(self_->env_->Random64());
    if (picked.insert(e).second) out.push_back(e);
  }
  return out;
}

void RespCommands::Call::SRandMember() {
  if (args_.size() > 3) {
    out_.Error(kSyntax);
    return;
  }
  const OrSet* set = nullptr;
  if (args_.size() == 2) {
    if (!ReadSet(args_[1], &set)) return;
    if (set == nullptr) {
      out_.Null();
    } else {
      out_.Bulk(set->RandomElement(self_->env_->Random64()));
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
  if (!ReadSet(args_[1], &set)) return;
  if (set == nullptr || *count == 0) {
    out_.ArrayHeader(0);
    return;
  }
  if (*count < 0) {  // with repetitions: |count| independent draws
    const uint64_t n = static_cast<uint64_t>(-*count);
    if (n > kMaxRandomMembers) {
      out_.Error("ERR SRANDMEMBER count is too large for regionsync (at most -" + std::to_string(kMaxRandomMembers) +
                 ")");
      return;
    }
    out_.ArrayHeader(n);
    for (uint64_t i = 0; i < n; ++i) out_.Bulk(set->RandomElement(self_->env_->Random64()));
    return;
  }
  std::vector<std::string_view> picked = PickDistinct(*set, static_cast<size_t>(*count));
  out_.ArrayHeader(picked.size());
  for (std::string_view e : picked) out_.Bulk(e);
}

// SRANDMEMBER, then SREM of what it picked (docs/redis.md): two regions
// popping at once can both return the same member.
void RespCommands::Call::SPop() {
  if (args_.size() > 3) {
    out_.Error(kSyntax);
    return;
  }
  std::optional<int64_t> count;
  if (args_.size() == 3) {
    count = ParseInt64(args_[2]);
    if (!count || *count < 0) {
      out_.Error("ERR value is out of range, must be positive");
      return;
    }
  }
  const OrSet* set = nullptr;
  if (!ReadSet(args_[1], &set)) return;
  if (set == nullptr || (count && *count == 0)) {
    if (count) {
      out_.SetHeader(0);
    } else {
      out_.Null();
    }
    return;
  }
  std::vector<std::string_view> picked;
  if (count) {
    picked = PickDistinct(*set, static_cast<size_t>(*count));
  } else {
    picked.push_back(set->RandomElement(self_->env_->Random64()));
  }
  const std::vector<std::string> popped(picked.begin(), picked.end());  // the removal invalidates the views
  picked.assign(popped.begin(), popped.end());
  Event("spop");
  (void)replica_.RemoveAll(args_[1], picked);  // a removal is never refused
  if (count) {
    out_.SetHeader(popped.size());
    for (const std::string& e : popped) out_.Bulk(e);
  } else {
    out_.Bulk(popped[0]);
  }
}

void RespCommands::Call::SScan() {
  std::optional<uint64_t> cursor = resp_internal::ParseScanCursor(args_[2]);
  if (!cursor) {
    out_.Error("ERR invalid cursor");
    return;
  }
  const OrSet* set = nullptr;
  if (!ReadSet(args_[1], &set)) return;
  if (set == nullptr) {  // Redis answers before it reads the options
    out_.ArrayHeader(2);
    out_.Bulk("0");
    out_.ArrayHeader(0);
    return;
  }
  const std::string* match = nullptr;
  int64_t count = 10;
  if (!ReadScanOptions(3, &match, &count)) return;
  std::vector<std::string_view> found;
  uint64_t next = set->Scan(*cursor, static_cast<size_t>(count), [&](std::string_view e) {
    if (match == nullptr || GlobMatch(*match, e)) found.push_back(e);
  });
  out_.ArrayHeader(2);
  out_.Bulk(std::to_string(next));
  out_.ArrayHeader(found.size());
  for (std::string_view e : found) out_.Bulk(e);
}

}  // namespace regionsync

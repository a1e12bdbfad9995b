#include "regionsync/sync/presence.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace regionsync {
namespace {

bool HasControlOr(std::string_view s, std::string_view forbidden) {
  return std::any_of(s.begin(), s.end(), [&](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f || forbidden.find(c) != std::string_view::npos;
  });
}

}  // namespace

std::string_view Presence::ReplicaName(std::string_view tracker) { return tracker.substr(0, tracker.find('#')); }

Presence::Presence(Replica* replica, Env* env, PresenceOptions options)
    : replica_(replica), env_(env), options_(options) {
  size_t cursor = 0;
  do {
    cursor = replica_->ScanKeys(cursor, 4096, [&](const std::string& key, const AnyCrdt&) {
      if (key.starts_with(kKeyPrefix)) OnKeyChange(key);
    });
  } while (cursor != 0);
  token_ = replica_->Subscribe([this](const ChangeEvent& e) {
    if (e.key.starts_with(kKeyPrefix)) OnKeyChange(e.key);
  });
}

Presence::~Presence() { replica_->Unsubscribe(token_); }

std::string Presence::KeyFor(std::string_view group, std::string_view tracker, std::string_view member) {
  std::string key(kKeyPrefix);
  key.append(group).append(":").append(tracker).append(":").append(member);
  return key;
}

bool Presence::ParseKey(std::string_view key, std::string_view* group, std::string_view* replica,
                        std::string_view* member) {
  if (!key.starts_with(kKeyPrefix)) return false;
  key.remove_prefix(kKeyPrefix.size());
  size_t a = key.find(':');
  if (a == std::string_view::npos || a == 0) return false;
  size_t b = key.find(':', a + 1);  // replica names have no ':'
  if (b == std::string_view::npos || b == a + 1 || b + 1 == key.size()) return false;
  *group = key.substr(0, a);
  *replica = key.substr(a + 1, b - a - 1);
  *member = key.substr(b + 1);
  return true;
}

Status Presence::CheckNames(std::string_view group, std::string_view member) {
  if (group.empty() || group.size() > 128 || HasControlOr(group, ":/")) {
    return InvalidArgument("a presence group is 1 to 128 bytes without ':', '/' or control characters");
  }
  if (member.empty() || member.size() > 256 || HasControlOr(member, "/")) {
    return InvalidArgument("a presence member is 1 to 256 bytes without '/' or control characters");
  }
  return Status::Ok();
}

Result<Presence::Tracked> Presence::Track(std::string_view group, std::string_view member, std::string meta,
                                          uint64_t ttl_millis) {
  RS_RETURN_IF_ERROR(CheckNames(group, member));
  if (ttl_millis == 0 || ttl_millis > kMaxTtlMillis) {
    return InvalidArgument("ttl_ms must be from 1 to " + std::to_string(kMaxTtlMillis));
  }
  const uint64_t now = env_->WallMillis();
  const uint64_t until = now + ttl_millis;
  const std::string key = KeyFor(group, replica_->id().ToString(), member);
  const AnyCrdt* value = replica_->Find(key);
  const auto* reg = value == nullptr ? nullptr : std::get_if<LwwRegister>(value);
  const bool tracked = reg != nullptr && reg->Value().has_value();
  if (tracked && *reg->Value() == meta) {
    // A renewal: hold it while the lease in force leaves time to deliver it.
    uint64_t in_force = replica_->ExpiresAt(key).value_or(0);
    if (in_force != 0 && in_force > now + options_.renewal_interval_millis + options_.renewal_margin_millis) {
      held_[key] = until;
      return Tracked{.joined = false, .expires_at_millis = until};
    }
    Result<bool> set = replica_->SetExpiry(key, until);
    if (!set.ok()) return set.status();
  } else {
    RS_RETURN_IF_ERROR(replica_->WithExpiry(until, [&] { return replica_->Set(key, std::move(meta)); }));
  }
  held_.erase(key);
  return Tracked{.joined = !tracked, .expires_at_millis = until};
}

Result<bool> Presence::Leave(std::string_view group, std::string_view member) {
  RS_RETURN_IF_ERROR(CheckNames(group, member));
  const std::string key = KeyFor(group, replica_->id().ToString(), member);
  held_.erase(key);
  if (replica_->Find(key) == nullptr) return false;
  // The lease ends now: the member reads as absent here at once and in
  // every other region when the write arrives (or its clock gets there).
  return replica_->SetExpiry(key, env_->WallMillis());
}

std::vector<PresenceEntry> Presence::List(std::string_view group) const {
  std::vector<PresenceEntry> out;
  auto it = groups_.find(group);
  if (it == groups_.end()) return out;
  for (const std::string& key : it->second) {
    const AnyCrdt* value = replica_->Find(key);
    const auto* reg = value == nullptr ? nullptr : std::get_if<LwwRegister>(value);
    if (reg == nullptr || !reg->Value()) continue;  // lease ended, not reclaimed yet
    std::string_view g, replica, member;
    ParseKey(key, &g, &replica, &member);
    out.push_back({std::string(member), std::string(ReplicaName(replica)), *reg->Value(),
                   replica_->ExpiresAt(key).value_or(0)});
  }
  std::sort(out.begin(), out.end(), [](const PresenceEntry& a, const PresenceEntry& b) {
    return std::tie(a.member, a.replica) < std::tie(b.member, b.replica);
  });
  return out;
}

size_t Presence::Count(std::string_view group) const {
  std::vector<PresenceEntry> entries = List(group);
  auto last = std::unique(entries.begin(), entries.end(),
                          [](const PresenceEntry& a, const PresenceEntry& b) { return a.member == b.member; });
  return static_cast<size_t>(last - entries.begin());
}

size_t Presence::FlushRenewals() {
  size_t written = 0;
  for (const auto& [key, until] : held_) {
    // A member that left or whose key was deleted meanwhile stays gone.
    Result<bool> set = replica_->Find(key) == nullptr ? Result<bool>(false) : replica_->SetExpiry(key, until);
    written += set.ok() && *set;
  }
  held_.clear();
  return written;
}

void Presence::OnKeyChange(const std::string& key) {
  std::string_view group, replica, member;
  if (!ParseKey(key, &group, &replica, &member)) return;
  const AnyCrdt* value = replica_->Find(key);
  const auto* reg = value == nullptr ? nullptr : std::get_if<LwwRegister>(value);
  const bool present = reg != nullptr && reg->Value().has_value();
  auto it = groups_.find(group);
  const bool was = it != groups_.end() && it->second.contains(key);
  if (present == was) return;
  if (present) {
    if (it == groups_.end()) it = groups_.emplace(std::string(group), std::set<std::string>{}).first;
    it->second.insert(key);
  } else {
    it->second.erase(key);
    if (it->second.empty()) groups_.erase(it);
  }
  if (listener_) listener_(PresenceChange{key, group, member, ReplicaName(replica), present});
}

}  // namespace regionsync

// The transaction commands of the Redis port: MULTI EXEC DISCARD WATCH UNWATCH.
//
// MULTI queues the session's commands (RespCommands::Execute checks each
// first: an unknown command or a wrong arity fails the transaction); EXEC
// runs the queue in one go under the node's lock, which the server holds
// for the whole batch, so no other client's command runs in between and
// the transaction's writes share one commit and one outbox generation:
// other regions receive them together. WATCH is local: a change made in this
// region (by any client, over either port) to a watched key makes EXEC
// answer a null array; a change merged from another region does not (it is
// concurrent with the transaction whenever it arrives, and merges with it
// by the types' rules). See docs/redis.md.
#include <algorithm>

#include "server/resp/resp_call.h"

namespace regionsync {

// ---- Transactions.

void RespCommands::Call::Multi() {
  if (session_.in_multi) {
    out_.Error("ERR MULTI calls can not be nested");
    return;
  }
  session_.in_multi = true;
  out_.SimpleString("OK");
}

void RespCommands::Call::Exec() {
  if (!session_.in_multi) {
    out_.Error("ERR EXEC without MULTI");
    return;
  }
  bool touched = self_->WatchTouched(session_);
  bool failed = session_.multi_failed;
  std::vector<std::vector<std::string>> queued = std::move(session_.queued);
  session_.queued.clear();
  session_.queued_bytes = 0;
  session_.in_multi = false;
  session_.multi_failed = false;
  self_->Unwatch(session_.id);
  if (failed) {
    out_.Error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  if (touched) {
    out_.NullArray();
    return;
  }
  out_.ArrayHeader(queued.size());
  for (const std::vector<std::string>& args : queued) {
    // Checked when queued; runtime errors (WRONGTYPE, ...) answer in the
    // array and the other commands still run, as in Redis.
    self_->Dispatch(session_, args, AsciiLower(args[0]), hooks_, out_);
  }
}

void RespCommands::Call::Discard() {
  if (!session_.in_multi) {
    out_.Error("ERR DISCARD without MULTI");
    return;
  }
  session_.in_multi = false;
  session_.multi_failed = false;
  session_.queued.clear();
  session_.queued_bytes = 0;
  self_->Unwatch(session_.id);
  out_.SimpleString("OK");
}

void RespCommands::Call::WatchKeys() {
  if (session_.in_multi) {
    out_.Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  if (!self_->WatchTouched(session_)) {  // once touched, EXEC fails whatever else is watched
    for (size_t i = 1; i < args_.size(); ++i) self_->Watch(session_, args_[i]);
  }
  out_.SimpleString("OK");
}

void RespCommands::Call::UnwatchKeys() {
  self_->Unwatch(session_.id);
  out_.SimpleString("OK");
}

// ---- The WATCH registry.

namespace {
// As Redis's signalModifiedKey: the SET and HSET families touch their key
// even when the value stays as it was; SADD, SREM, HDEL (and the others)
// only when they change something.
bool WritesAlwaysTouch(const char* event) {
  if (event == nullptr) return false;  // HTTP: value changes only
  std::string_view e(event);
  return e != "sadd" && e != "srem" && e != "hdel";
}
}  // namespace

void RespCommands::Watch(const RespSession& session, const std::string& key) {
  if (listener_token_ == 0) {
    listener_token_ = node_->replica().Subscribe([this](const ChangeEvent& e) {
      if (e.local && (e.changed || WritesAlwaysTouch(current_event_))) OnLocalChange(e.key);
    });
  }
  Watcher& w = watchers_[session.id];
  if (std::find(w.keys.begin(), w.keys.end(), key) != w.keys.end()) return;
  w.keys.push_back(key);
  watched_[key].push_back(session.id);
}

void RespCommands::Unwatch(uint64_t session_id, bool keep_touched) {
  auto it = watchers_.find(session_id);
  if (it == watchers_.end()) return;
  for (const std::string& key : it->second.keys) {
    auto w = watched_.find(key);
    if (w == watched_.end()) continue;
    std::erase(w->second, session_id);
    if (w->second.empty()) watched_.erase(w);
  }
  if (keep_touched) {
    it->second.keys.clear();
    it->second.touched = true;
  } else {
    watchers_.erase(it);
  }
}

bool RespCommands::WatchTouched(const RespSession& session) const {
  auto it = watchers_.find(session.id);
  return it != watchers_.end() && it->second.touched;
}

void RespCommands::OnLocalChange(const std::string& key) {
  if (watched_.empty()) return;
  auto it = watched_.find(key);
  if (it == watched_.end()) return;
  std::vector<uint64_t> sessions = it->second;  // Unwatch edits the lists
  // Like Redis: a touched session stops watching (EXEC fails anyway).
  for (uint64_t id : sessions) Unwatch(id, /*keep_touched=*/true);
}

void RespCommands::EndSession(const RespSession& session) { Unwatch(session.id); }

}  // namespace regionsync

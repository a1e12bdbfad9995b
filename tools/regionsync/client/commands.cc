#include "commands.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "format.h"
#include "http_client.h"
#include "regionsync/common/env.h"
#include "sse.h"
#include "url.h"

namespace regionsync::client {
namespace {

using nlohmann::json;

// Flags every client subcommand takes; one instance per subcommand, owned by
// its callback.
struct CommonFlags {
  std::string url = kDefaultUrl;
  std::string token;
  std::string token_file;
  bool json = false;
  double timeout_seconds = 30;
};

struct Request {
  std::string method;
  std::string path;
  std::optional<json> body;
};

using Formatter = std::function<std::string(const json&)>;

void AddCommonFlags(CLI::App* sub, CommonFlags* flags) {
  sub->add_option("--url", flags->url, "Base URL of the regionsyncd HTTP API")
      ->envname("REGIONSYNC_URL")
      ->capture_default_str();
  sub->add_option("--token", flags->token, "Bearer token (prefer REGIONSYNC_TOKEN: flags show up in ps)")
      ->envname("REGIONSYNC_TOKEN");
  // Not exclusive with --token: REGIONSYNC_TOKEN in the environment counts as
  // --token for CLI11, and an explicit file should simply win over it.
  sub->add_option("--token-file", flags->token_file, "Read the bearer token from this file (wins over --token)")
      ->check(CLI::ExistingFile);
  sub->add_flag("--json", flags->json, "Print the daemon's JSON answer unchanged, for scripts");
  sub->add_option("--timeout", flags->timeout_seconds, "Seconds to wait for an answer")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

// Prints the error and leaves through CLI11 with the exit code.
[[noreturn]] void Fail(const char* command, const Status& status, std::ostream& err) {
  err << "regionsync " << command << ": " << status.message() << "\n";
  throw CLI::RuntimeError(ExitCodeFor(status));
}

ApiClient Connect(const char* command, const CommonFlags& flags, std::ostream& err, int64_t read_timeout_millis) {
  ApiClientOptions options{.url = flags.url, .token = flags.token};
  if (!flags.token_file.empty()) {
    std::ifstream in(flags.token_file);
    std::getline(in, options.token);
    while (!options.token.empty() && (options.token.back() == '\r' || options.token.back() == ' ')) {
      options.token.pop_back();
    }
    if (!in && options.token.empty()) Fail(command, InvalidArgument("cannot read --token-file " + flags.token_file), err);
  }
  options.read_timeout_millis = read_timeout_millis > 0 ? read_timeout_millis
                                                        : static_cast<int64_t>(flags.timeout_seconds * 1000);
  Result<ApiClient> api = ApiClient::Create(options);
  if (!api.ok()) Fail(command, api.status(), err);
  return std::move(api).value();
}

void PrintRaw(const ApiAnswer& answer, std::ostream& out) {
  std::string_view body = answer.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (!body.empty()) out << body << "\n";
}

// Sends one request; an error is printed and leaves through Fail.
ApiAnswer Send(const char* command, ApiClient& api, const Request& request, std::ostream& err) {
  Result<ApiAnswer> answer = api.Call(request.method, request.path, request.body ? &*request.body : nullptr);
  if (!answer.ok()) Fail(command, answer.status(), err);
  return std::move(answer).value();
}

// One answer: unchanged with --json, else through `format`.
void Show(const CommonFlags& flags, const ApiAnswer& answer, const Formatter& format, std::ostream& out) {
  if (flags.json) {
    PrintRaw(answer, out);
  } else {
    out << format(answer.json);
  }
  out.flush();
}

// Sends `requests` in order, stopping at the first error. --json prints every
// answer; readable output shows the last one (the key's state after them all).
void RunRequests(const char* command, const CommonFlags& flags, const std::vector<Request>& requests,
                 const Formatter& format, std::ostream& out, std::ostream& err) {
  ApiClient api = Connect(command, flags, err, 0);
  ApiAnswer last;
  for (const Request& request : requests) {
    last = Send(command, api, request, err);
    if (flags.json) PrintRaw(last, out);
  }
  if (!flags.json) out << format(last.json);
  out.flush();
}

void AddGetCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  CLI::App* sub = app.add_subcommand("get", "Show a key's type and value (or one field of a map)");
  auto flags = std::make_shared<CommonFlags>();
  auto key = std::make_shared<std::string>();
  auto field = std::make_shared<std::string>();
  AddCommonFlags(sub, flags.get());
  sub->add_option("key", *key, "Key")->required();
  sub->add_option("--field", *field, "Show only this field of a map");
  sub->callback([=, &out, &err] {
    std::string path = field->empty() ? KeyPath(*key) : FieldPath(*key, *field);
    RunRequests("get", *flags, {{"GET", path, std::nullopt}}, FormatKey, out, err);
  });
}

void AddKeysCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  CLI::App* sub = app.add_subcommand("keys", "List the keys");
  auto flags = std::make_shared<CommonFlags>();
  auto prefix = std::make_shared<std::string>();
  auto limit = std::make_shared<uint64_t>(0);
  AddCommonFlags(sub, flags.get());
  sub->add_option("--prefix", *prefix, "Only keys that start with this");
  auto* limit_option = sub->add_option("--limit", *limit, "At most this many keys (the daemon's default: 1000)");
  sub->callback([=, &out, &err] {
    std::string path = "/v1/keys";
    std::string query;
    if (!prefix->empty()) query += "prefix=" + PercentEncode(*prefix);
    if (limit_option->count() > 0) query += (query.empty() ? "" : "&") + std::string("limit=") + std::to_string(*limit);
    if (!query.empty()) path += "?" + query;
    RunRequests("keys", *flags, {{"GET", path, std::nullopt}}, FormatKeyList, out, err);
  });
}

void AddStatusCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  CLI::App* sub = app.add_subcommand("status", "Show the replica, its peers (last heard, lag) and the outbox");
  auto flags = std::make_shared<CommonFlags>();
  AddCommonFlags(sub, flags.get());
  sub->callback([=, &out, &err] {
    auto format = [](const json& status) { return FormatStatus(status, NewRealEnv()->WallMillis()); };
    RunRequests("status", *flags, {{"GET", "/v1/status", std::nullopt}}, format, out, err);
  });
}

void AddCounterCommand(CLI::App& app, bool decrement, std::ostream& out, std::ostream& err) {
  const char* name = decrement ? "dec" : "inc";
  CLI::App* sub = app.add_subcommand(
      name, decrement ? "Decrement a PN counter (or a map field's counter with --field)"
                      : "Increment a counter (or a map field's counter with --field)");
  auto flags = std::make_shared<CommonFlags>();
  auto key = std::make_shared<std::string>();
  auto field = std::make_shared<std::string>();
  auto by = std::make_shared<int64_t>(1);
  AddCommonFlags(sub, flags.get());
  sub->add_option("key", *key, "Key")->required();
  // Bounded so that negating it for a map field's decrement cannot overflow.
  sub->add_option("by", *by, "Amount")
      ->check(CLI::Range(-std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()))
      ->capture_default_str();
  sub->add_option("--field", *field, "Map field holding a counter (the key is an or_map)");
  auto grow_only = std::make_shared<bool>(false);
  if (!decrement) sub->add_flag("--grow-only", *grow_only, "Create the key as a g_counter (default: pn_counter)");
  sub->callback([=, &out, &err] {
    Request request{"POST", KeyPath(*key, decrement ? "decrement" : "increment"), json{{"by", *by}}};
    if (*grow_only) (*request.body)["type"] = "g_counter";
    // The map field routes have no decrement: it is an increment by -n.
    if (!field->empty()) request = {"POST", FieldPath(*key, *field, "increment"), json{{"by", decrement ? -*by : *by}}};
    RunRequests(name, *flags, {request}, FormatKey, out, err);
  });
}

void AddSetCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  CLI::App* sub = app.add_subcommand("set", "Write a last-writer-wins register (or a map field with --field)");
  auto flags = std::make_shared<CommonFlags>();
  auto key = std::make_shared<std::string>();
  auto value = std::make_shared<std::string>();
  auto field = std::make_shared<std::string>();
  auto timestamp = std::make_shared<int64_t>(-1);
  AddCommonFlags(sub, flags.get());
  sub->add_option("key", *key, "Key")->required();
  sub->add_option("value", *value, "Value (a string)")->required();
  sub->add_option("--field", *field, "Map field to set (the key is an or_map)");
  auto* ts = sub->add_option("--timestamp", *timestamp,
                             "Client timestamp in ms since the epoch, instead of the daemon's clock")
                 ->check(CLI::NonNegativeNumber);
  auto multi = std::make_shared<bool>(false);
  sub->add_flag("--multi-value", *multi, "An mv_register: keep concurrent writes side by side")->excludes(ts);
  sub->callback([=, &out, &err] {
    Request request{"PUT", KeyPath(*key), json{{"value", *value}}};
    if (*multi) (*request.body)["type"] = "mv_register";
    if (!field->empty()) {
      if (ts->count() > 0 || *multi) throw CLI::ValidationError("--field", "takes neither --timestamp nor --multi-value");
      request = {"PUT", FieldPath(*key, *field), json{{"value", *value}}};
    } else if (ts->count() > 0) {
      (*request.body)["timestamp"] = *timestamp;
    }
    RunRequests("set", *flags, {request}, FormatKey, out, err);
  });
}

void AddElementCommand(CLI::App& app, bool remove, std::ostream& out, std::ostream& err) {
  const char* name = remove ? "remove" : "add";
  CLI::App* sub = app.add_subcommand(
      name, remove ? "Remove elements from a set, or a field from a map with --field"
                   : "Add elements to a set");
  auto flags = std::make_shared<CommonFlags>();
  auto key = std::make_shared<std::string>();
  auto elements = std::make_shared<std::vector<std::string>>();
  auto field = std::make_shared<std::string>();
  AddCommonFlags(sub, flags.get());
  sub->add_option("key", *key, "Key")->required();
  auto* element_option = sub->add_option("elements", *elements, "Elements (one request each, in order)");
  if (remove) {
    sub->add_option("--field", *field, "Delete this field of a map instead")->excludes(element_option);
  } else {
    element_option->required();
  }
  sub->callback([=, &out, &err] {
    std::vector<Request> requests;
    if (!field->empty()) {
      requests.push_back({"DELETE", FieldPath(*key, *field), std::nullopt});
    } else if (elements->empty()) {
      throw CLI::ValidationError("elements", "give at least one element, or --field to delete a map field");
    }
    for (const std::string& element : *elements) {
      requests.push_back({"POST", KeyPath(*key, name), json{{"element", element}}});
    }
    RunRequests(name, *flags, requests, FormatKey, out, err);
  });
}

void AddFlagCommand(CLI::App& app, bool enable, std::ostream& out, std::ostream& err) {
  const char* name = enable ? "enable" : "disable";
  CLI::App* sub = app.add_subcommand(name, enable ? "Enable a flag" : "Disable a flag");
  auto flags = std::make_shared<CommonFlags>();
  auto key = std::make_shared<std::string>();
  AddCommonFlags(sub, flags.get());
  sub->add_option("key", *key, "Key")->required();
  sub->callback([=, &out, &err] {
    RunRequests(name, *flags, {{"POST", KeyPath(*key, name), json::object()}}, FormatKey, out, err);
  });
}

// How a watch shows one record of the change feed: prints it, drops it (a
// filter), or notes it on stderr ("hello", "lagged", "reset": not a line
// that scripts would parse as a change).
enum class FeedRecord { kPrint, kSkip, kNote };

// One view of the change feed: the route (with any filter the daemon
// applies), which records it prints, and how.
struct FeedView {
  const char* command;  // "watch": names the command in its messages
  std::string path;
  std::function<FeedRecord(const SseEvent& event, const json& data)> classify;
  Formatter format;
};

struct FeedFlags {
  uint64_t count = 0;  // 0: until interrupted
  std::string since;
};

void AddFeedFlags(CLI::App* sub, FeedFlags* feed, const std::string& records) {
  sub->add_option("--count", feed->count, "Exit after this many " + records + " (0: never)")->capture_default_str();
  sub->add_option("--since", feed->since, "Resume after this event id (sent as Last-Event-ID)");
}

// Streams the change feed, reconnecting with Last-Event-ID after the stream
// ends or breaks, until `count` records were printed. Fails fast when the
// very first connection fails, so a wrong --url is reported, not retried.
Status Watch(ApiClient& api, const CommonFlags& flags, const FeedView& view, const FeedFlags& feed,
             std::ostream& out, std::ostream& err) {
  SseParser parser;
  uint64_t printed = 0;
  bool ever_connected = false;
  constexpr uint64_t kMaxBackoffMillis = 10'000;
  uint64_t backoff_millis = 0;
  auto on_chunk = [&](std::string_view chunk) {
    for (const SseEvent& event : parser.Feed(chunk)) {
      json data = json::parse(event.data, nullptr, /*allow_exceptions=*/false);
      FeedRecord record = view.classify(event, data);
      if (record == FeedRecord::kNote) {
        // "reset" carries {"reason": ...}: changes were missed, say why.
        bool has_reason = data.is_object() && data.contains("reason") && data["reason"].is_string();
        err << "regionsync " << view.command << ": " << event.event << ": "
            << (has_reason ? data["reason"].get<std::string>() : event.data) << "\n";
      }
      if (record != FeedRecord::kPrint) continue;
      out << (flags.json ? event.data + "\n" : view.format(data)) << std::flush;
      if (feed.count != 0 && ++printed >= feed.count) return false;
    }
    return true;
  };
  for (;;) {
    std::string resume_from = parser.last_event_id().empty() ? feed.since : parser.last_event_id();
    bool connected = false;
    Status status = api.Stream(view.path, resume_from, on_chunk, &connected);
    if (feed.count != 0 && printed >= feed.count) return Status::Ok();
    ever_connected = ever_connected || connected;
    if (!status.ok() && (!ever_connected || status.code() != StatusCode::kUnavailable)) return status;
    parser.Reset();
    // The server's retry: wins; otherwise back off from 0.5 s to 10 s while
    // the daemon stays away, and start over after a good connection.
    if (connected) backoff_millis = 0;
    backoff_millis = parser.retry_millis() ? *parser.retry_millis()
                                           : std::min(kMaxBackoffMillis, backoff_millis ? backoff_millis * 2 : 500);
    err << "regionsync " << view.command << ": " << (status.ok() ? "stream ended" : status.message())
        << "; reconnecting in " << FormatMillis(static_cast<int64_t>(backoff_millis))
        << (parser.last_event_id().empty() ? "" : " from event " + parser.last_event_id()) << "\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_millis));
  }
}

void RunWatch(const CommonFlags& flags, const FeedView& view, const FeedFlags& feed, std::ostream& out,
              std::ostream& err) {
  // A quiet feed is normal: the read timeout only bounds how long a dead
  // connection goes unnoticed (the daemon sends keep-alive comments).
  ApiClient api = Connect(view.command, flags, err, 5 * 60 * 1000);
  Status status = Watch(api, flags, view, feed, out, err);
  if (!status.ok()) Fail(view.command, status, err);
}

// `wanted` empty: every key.
FeedRecord ClassifyKeyChange(const std::set<std::string>& wanted, const SseEvent& event, const json& data) {
  if (event.event == "presence") return FeedRecord::kSkip;  // `presence watch` shows these
  if (!data.is_object() || !data.contains("key")) return FeedRecord::kNote;
  if (wanted.empty()) return FeedRecord::kPrint;
  const json& key = data["key"];
  return key.is_string() && wanted.count(key.get<std::string>()) > 0 ? FeedRecord::kPrint : FeedRecord::kSkip;
}

void AddWatchCommand(CLI::App& app, std::ostream& out, std::ostream& err) {
  CLI::App* sub = app.add_subcommand(
      "watch", "Print changes as they happen (\"key origin value\" lines) until Ctrl-C; reconnects by itself");
  auto flags = std::make_shared<CommonFlags>();
  auto keys = std::make_shared<std::vector<std::string>>();
  auto feed = std::make_shared<FeedFlags>();
  AddCommonFlags(sub, flags.get());
  sub->add_option("keys", *keys, "Only these keys (default: all)");
  AddFeedFlags(sub, feed.get(), "changes");
  sub->callback([=, &out, &err] {
    std::set<std::string> wanted(keys->begin(), keys->end());
    auto classify = [wanted](const SseEvent& event, const json& data) {
      return ClassifyKeyChange(wanted, event, data);
    };
    RunWatch(*flags, {"watch", "/v1/events", classify, FormatEvent}, *feed, out, err);
  });
}

// presence: members of a group, each tracked by the replica that answered
// its join until its TTL runs out.

constexpr char kPresenceJoin[] = "presence join";
constexpr char kPresenceLeave[] = "presence leave";
constexpr char kPresenceList[] = "presence list";
constexpr char kPresenceWatch[] = "presence watch";

// "/v1/presence/<group>" and "/v1/presence/<group>/<member>", each name one
// percent-encoded path segment.
std::string PresencePath(std::string_view group) { return "/v1/presence/" + PercentEncode(group); }
std::string PresencePath(std::string_view group, std::string_view member) {
  return PresencePath(group) + "/" + PercentEncode(member);
}

// The group and member every join and leave names.
struct PresenceMember {
  std::string group;
  std::string member;
};

void AddPresenceMemberArgs(CLI::App* sub, PresenceMember* who) {
  sub->add_option("group", who->group, "Group")->required();
  sub->add_option("member", who->member, "Member")->required();
}

// The body of the join's PUT. `meta` is --meta's text, null when not given;
// not a JSON object: CLI::ValidationError (exit 2, nothing sent).
json PresenceJoinBody(int64_t ttl_ms, const std::string* meta) {
  json body{{"ttl_ms", ttl_ms}};
  if (meta == nullptr) return body;
  json object = json::parse(*meta, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) {
    throw CLI::ValidationError("--meta", "must be a JSON object such as '{\"device\":\"phone\"}', not '" + *meta + "'");
  }
  body["meta"] = std::move(object);
  return body;
}

// SIGINT and SIGTERM, blocked in this thread while this lives, so that they
// wait for WaitFor instead of ending the process: `presence join --hold`
// must leave its group on Ctrl-C. The tool runs commands on its only
// thread, so a signal sent to the process waits here too.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &before_);
  }
  ~StopSignals() { Unblock(); }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Waits up to `millis`. Returns true as soon as one of the signals is (or
  // already was) pending, and takes it; false when the time ran out.
  bool WaitFor(int64_t millis) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(millis);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now());
      int64_t nanos = std::max<int64_t>(0, left.count());
      timespec timeout{.tv_sec = static_cast<time_t>(nanos / 1'000'000'000), .tv_nsec = nanos % 1'000'000'000};
      if (sigtimedwait(&signals_, nullptr, &timeout) > 0) return true;
      if (errno != EINTR) return false;  // EAGAIN: time is up
    }
  }

  // Back to the mask from before: the signals end the process again.
  void Unblock() {
    if (blocked_) pthread_sigmask(SIG_SETMASK, &before_, nullptr);
    blocked_ = false;
  }

 private:
  sigset_t signals_;
  sigset_t before_;
  bool blocked_ = true;
};

// `presence join --hold`: sends `join` now and every `renew_millis` until
// SIGINT or SIGTERM, then leaves. A failed renewal ends it with that error
// (the member then lapses when its TTL runs out). Shows the answers that
// change something (PresenceStateChanged), not every renewal.
void HoldPresence(const CommonFlags& flags, const Request& join, int64_t renew_millis, std::ostream& out,
                  std::ostream& err) {
  StopSignals stop;  // before the first PUT: from here on a Ctrl-C leaves
  ApiClient api = Connect(kPresenceJoin, flags, err, 0);
  json previous;  // null: nothing shown yet
  do {
    ApiAnswer answer = Send(kPresenceJoin, api, join, err);
    if (PresenceStateChanged(previous, answer.json)) Show(flags, answer, FormatPresenceJoin, out);
    previous = std::move(answer.json);
  } while (!stop.WaitFor(renew_millis));
  stop.Unblock();  // a second Ctrl-C while leaving ends the tool at once
  Show(flags, Send(kPresenceJoin, api, {"DELETE", join.path, std::nullopt}, err), FormatPresenceLeave, out);
}

void AddPresenceJoinCommand(CLI::App* presence, std::ostream& out, std::ostream& err) {
  CLI::App* sub = presence->add_subcommand(
      "join", "Track a member in a group on the answering replica for --ttl-ms (with --hold: until Ctrl-C)");
  auto flags = std::make_shared<CommonFlags>();
  auto who = std::make_shared<PresenceMember>();
  auto ttl_ms = std::make_shared<int64_t>(30'000);
  auto meta = std::make_shared<std::string>();
  auto hold = std::make_shared<bool>(false);
  AddCommonFlags(sub, flags.get());
  AddPresenceMemberArgs(sub, who.get());
  sub->add_option("--ttl-ms", *ttl_ms, "Milliseconds until the member lapses unless renewed")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  auto* meta_option = sub->add_option("--meta", *meta, "A JSON object shown with the member: '{\"device\":\"phone\"}'");
  sub->add_flag("--hold", *hold, "Renew every ttl/3 until Ctrl-C or SIGTERM, then leave");
  sub->callback([=, &out, &err] {
    Request join{"PUT", PresencePath(who->group, who->member),
                 PresenceJoinBody(*ttl_ms, meta_option->count() > 0 ? meta.get() : nullptr)};
    if (*hold) return HoldPresence(*flags, join, std::max<int64_t>(1, *ttl_ms / 3), out, err);
    RunRequests(kPresenceJoin, *flags, {join}, FormatPresenceJoin, out, err);
  });
}

void AddPresenceLeaveCommand(CLI::App* presence, std::ostream& out, std::ostream& err) {
  CLI::App* sub = presence->add_subcommand("leave", "Stop tracking a member in a group on the answering replica");
  auto flags = std::make_shared<CommonFlags>();
  auto who = std::make_shared<PresenceMember>();
  AddCommonFlags(sub, flags.get());
  AddPresenceMemberArgs(sub, who.get());
  sub->callback([=, &out, &err] {
    Request leave{"DELETE", PresencePath(who->group, who->member), std::nullopt};
    RunRequests(kPresenceLeave, *flags, {leave}, FormatPresenceLeave, out, err);
  });
}

void AddPresenceListCommand(CLI::App* presence, std::ostream& out, std::ostream& err) {
  CLI::App* sub = presence->add_subcommand("list", "Show a group's members, with replica, time left and meta");
  auto flags = std::make_shared<CommonFlags>();
  auto group = std::make_shared<std::string>();
  auto count = std::make_shared<bool>(false);
  AddCommonFlags(sub, flags.get());
  sub->add_option("group", *group, "Group")->required();
  sub->add_flag("--count", *count, "Print only the number of distinct members");
  sub->callback([=, &out, &err] {
    if (*count) {
      return RunRequests(kPresenceList, *flags, {{"GET", PresencePath(*group) + "/count", std::nullopt}},
                         FormatPresenceCount, out, err);
    }
    auto format = [](const json& answer) { return FormatPresenceList(answer, NewRealEnv()->WallMillis()); };
    RunRequests(kPresenceList, *flags, {{"GET", PresencePath(*group), std::nullopt}}, format, out, err);
  });
}

FeedRecord ClassifyPresence(const std::string& group, const SseEvent& event, const json& data) {
  if (event.event == "presence" && data.is_object() && data.contains("member")) {
    return !data.contains("group") || data["group"] == group ? FeedRecord::kPrint : FeedRecord::kSkip;
  }
  // Key changes only come from a daemon that ignores ?presence=.
  if (data.is_object() && data.contains("key")) return FeedRecord::kSkip;
  return FeedRecord::kNote;
}

void AddPresenceWatchCommand(CLI::App* presence, std::ostream& out, std::ostream& err) {
  CLI::App* sub = presence->add_subcommand(
      "watch", "Print joins and leaves in a group as they happen until Ctrl-C; reconnects by itself");
  auto flags = std::make_shared<CommonFlags>();
  auto group = std::make_shared<std::string>();
  auto feed = std::make_shared<FeedFlags>();
  AddCommonFlags(sub, flags.get());
  sub->add_option("group", *group, "Group")->required();
  AddFeedFlags(sub, feed.get(), "joins and leaves");
  sub->callback([=, &out, &err] {
    auto classify = [group](const SseEvent& event, const json& data) { return ClassifyPresence(*group, event, data); };
    FeedView view{kPresenceWatch, "/v1/events?presence=" + PercentEncode(*group), classify, FormatPresenceEvent};
    RunWatch(*flags, view, *feed, out, err);
  });
}

void AddPresenceCommands(CLI::App& app, std::ostream& out, std::ostream& err) {
  CLI::App* presence = app.add_subcommand(
      "presence", "Who is here: members of a group, tracked per replica until their TTL runs out");
  presence->require_subcommand(1);
  AddPresenceJoinCommand(presence, out, err);
  AddPresenceLeaveCommand(presence, out, err);
  AddPresenceListCommand(presence, out, err);
  AddPresenceWatchCommand(presence, out, err);
}

}  // namespace

void AddClientCommands(CLI::App& app, std::ostream& out, std::ostream& err) {
  AddGetCommand(app, out, err);
  AddKeysCommand(app, out, err);
  AddCounterCommand(app, /*decrement=*/false, out, err);
  AddCounterCommand(app, /*decrement=*/true, out, err);
  AddSetCommand(app, out, err);
  AddElementCommand(app, /*remove=*/false, out, err);
  AddElementCommand(app, /*remove=*/true, out, err);
  AddFlagCommand(app, /*enable=*/true, out, err);
  AddFlagCommand(app, /*enable=*/false, out, err);
  AddWatchCommand(app, out, err);
  AddStatusCommand(app, out, err);
  AddPresenceCommands(app, out, err);
}

std::optional<int> ParseCommandLine(CLI::App& app, int argc, const char* const* argv, std::ostream& out,
                                    std::ostream& err) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a client command failed and said why
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e, out, err);
    return code == 0 ? 0 : 2;  // --help is not an error
  }
  return std::nullopt;
}

}  // namespace regionsync::client

#include "regionsync/server/http_api.h"

#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <limits>
#include <thread>

#include "regionsync/common/hlc.h"
#include "regionsync/server/auth.h"
#include "regionsync/server/change_feed.h"

namespace regionsync {
namespace {

using nlohmann::json;
using httplib::Request;
using httplib::Response;

constexpr const char* kJson = "application/json";
// A key or field is one path segment; httplib has already percent-decoded it.
constexpr const char* kKey = R"(/v1/keys/([^/]+))";
constexpr const char* kField = R"(/v1/keys/([^/]+)/fields/([^/]+))";
constexpr const char* kPresenceGroup = R"(/v1/presence/([^/]+))";
constexpr const char* kPresenceMember = R"(/v1/presence/([^/]+)/([^/]+))";

const char* ErrorName(int http_status) {
  switch (http_status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "type_mismatch";
    case 413: return "payload_too_large";
    case 503: return "unavailable";
    default: return http_status >= 500 ? "internal" : "error";
  }
}

void SendError(Response& res, int http_status, const std::string& message) {
  res.status = http_status;
  res.set_content(json{{"error", ErrorName(http_status)}, {"message", message}}.dump(), kJson);
}

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kTypeMismatch: return 409;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kResourceExhausted: return 413;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

void SendStatus(Response& res, const Status& s) { SendError(res, HttpStatusOf(s.code()), s.message()); }

void SendJson(Response& res, const json& body, int http_status = 200) {
  res.status = http_status;
  res.set_content(body.dump(), kJson);
}

json KeyJson(const std::string& key, const AnyCrdt& value, const Replica& replica) {
  std::optional<uint64_t> at = replica.ExpiresAt(key);
  return {{"key", key},
          {"type", TypeName(TypeOf(value))},
          {"value", ValueJson(value)},
          {"expires_at_ms", at && *at != 0 ? json(*at) : json(nullptr)}};
}

// The longest ttl_ms accepted: 100 years.
constexpr uint64_t kMaxTtlMillis = 100ull * 365 * 24 * 3600 * 1000;

// The body's "ttl_ms" (absent or null: nullopt). False (400 sent) when it is
// not a whole number of milliseconds in 1 .. kMaxTtlMillis.
bool GetTtl(const json& body, Response& res, std::optional<uint64_t>* ttl) {
  auto it = body.find("ttl_ms");
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_number_unsigned() || it->get<uint64_t>() == 0 || it->get<uint64_t>() > kMaxTtlMillis) {
    SendError(res, 400, "\"ttl_ms\" must be a whole number of milliseconds from 1 to " + std::to_string(kMaxTtlMillis));
    return false;
  }
  *ttl = it->get<uint64_t>();
  return true;
}

// The body as a JSON object ({} when empty). False (400 sent) otherwise.
bool ParseBody(const Request& req, Response& res, json* out) {
  if (req.body.empty()) {
    *out = json::object();
    return true;
  }
  *out = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded() || !out->is_object()) {
    SendError(res, 400, "body must be a JSON object");
    return false;
  }
  return true;
}

bool GetString(const json& body, const char* name, Response& res, std::string* out) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string()) {
    SendError(res, 400, std::string("\"") + name + "\" must be a string");
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

// "by": an integer that fits int64, default 1.
bool GetBy(const json& body, Response& res, int64_t* by) {
  auto it = body.find("by");
  if (it == body.end()) {
    *by = 1;
    return true;
  }
  if (!it->is_number_integer() ||
      (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    SendError(res, 400, "\"by\" must be an integer in the int64 range");
    return false;
  }
  *by = it->get<int64_t>();
  return true;
}

bool Negate(int64_t* by, Response& res) {
  if (*by == std::numeric_limits<int64_t>::min()) {
    SendError(res, 400, "\"by\" out of range");
    return false;
  }
  *by = -*by;
  return true;
}

}  // namespace

struct HttpApi::Impl {
  using WriteOp = std::function<Status(Replica&, json* extra)>;
  using Handler = std::function<void(const Request&, Response&)>;

  Impl(SyncNode* n, Env* e, HttpApiOptions o, const ClusterAdmin* a, TransportProbe p)
      : node(n),
        env(e),
        options(std::move(o)),
        admin(a),
        probe(std::move(p)),
        auth(options.api_tokens, options.auth_reads),
        feed(options.event_buffer, env->WallMillis() * 1000),
        requests(prometheus::BuildCounter()
                     .Name("regionsync_http_requests_total")
                     .Help("HTTP requests answered, by method and status code")
                     .Register(registry)),
        write_seconds(prometheus::BuildHistogram()
                          .Name("regionsync_http_write_seconds")
                          .Help("Time from a write's arrival to its durable acknowledgement")
                          .Register(registry)
                          .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                           0.1, 0.25, 0.5, 1, 2.5, 5})) {}

  // ---- Plumbing.
  void Route(const char* method, const char* pattern, bool write, Handler h) {
    Handler wrapped = [this, write, h = std::move(h)](const Request& req, Response& res) {
      if (!auth.Allows(req.get_header_value("Authorization"), write)) {
        res.set_header("WWW-Authenticate", "Bearer realm=\"regionsync\"");
        SendError(res, 401, "missing or invalid bearer token");
        return;
      }
      try {
        h(req, res);
      } catch (const std::exception& e) {
        spdlog::error("msg=\"handler failed\" path={} error=\"{}\"", req.path, e.what());
        SendError(res, 500, "internal error");
      }
    };
    std::string m = method;
    if (m == "GET") server.Get(pattern, wrapped);
    else if (m == "POST") server.Post(pattern, wrapped);
    else if (m == "PUT") server.Put(pattern, wrapped);
    else if (m == "DELETE") server.Delete(pattern, wrapped);
  }

  // The thin write path: apply under the lock, wait for the group commit
  // outside it, answer with the key's new state (or, without `with_value`,
  // only the key) plus what `op` put in `extra`. A "ttl_ms" in the request
  // body gives the key that expiry with the write (Replica::WithExpiry);
  // without it the key keeps the expiry it has.
  void Write(const Request& req, Response& res, const std::string& key, const WriteOp& op, bool with_value = true) {
    std::optional<uint64_t> ttl;
    if (json request = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
        request.is_object() && !GetTtl(request, res, &ttl)) {
      return;
    }
    Acknowledge(res, [&](json* body) -> Status {
      json extra = json::object();
      Replica& r = node->replica();
      RS_RETURN_IF_ERROR(ttl ? r.WithExpiry(env->WallMillis() + *ttl, [&] { return op(r, &extra); }) : op(r, &extra));
      const AnyCrdt* value = r.Find(key);
      if (!with_value) {
        *body = {{"key", key}};
      } else {
        *body = value != nullptr ? KeyJson(key, *value, r) : json{{"key", key}, {"value", nullptr}};
      }
      body->update(extra);
      return Status::Ok();
    });
  }

  // Runs `apply` under the replica's lock (it sets the answer's body), then
  // answers once what it wrote is durable. Its error is the answer instead.
  void Acknowledge(Response& res, const std::function<Status(json* body)>& apply) {
    uint64_t start = env->MonotonicMicros();
    uint64_t write;
    json body;
    {
      std::lock_guard lock(node->mutex());
      if (!accepting_writes.load() || !node->running()) {
        SendError(res, 503, "shutting down: not accepting writes");
        return;
      }
      if (Status s = apply(&body); !s.ok()) {
        SendStatus(res, s);
        return;
      }
      write = node->replica().local_writes();
    }
    Status s = node->WaitForCommit(write, options.write_timeout_micros);
    if (!s.ok()) {
      SendError(res, 503, "write applied but not yet durable: " + s.message());
      return;
    }
    write_seconds.Observe(static_cast<double>(env->MonotonicMicros() - start) / 1e6);
    SendJson(res, body);
  }

  void WriteResult(const Request& req, Response& res, const std::string& key,
                   const std::function<Result<bool>(Replica&)>& op) {
    Write(req, res, key, [&](Replica& r, json* extra) -> Status {
      Result<bool> changed = op(r);
      if (!changed.ok()) return changed.status();
      (*extra)["changed"] = *changed;
      return Status::Ok();
    });
  }

  // PUT / DELETE /v1/keys/{key}/ttl: the write is the expiry alone.
  void SetExpiry(Response& res, const std::string& key, std::optional<uint64_t> ttl) {
    Acknowledge(res, [&](json* body) -> Status {
      Replica& r = node->replica();
      std::optional<uint64_t> before = r.ExpiresAt(key);
      uint64_t at = ttl ? env->WallMillis() + *ttl : 0;
      Result<bool> set = r.SetExpiry(key, at);
      if (!set.ok()) return set.status();
      if (!*set) return NotFound("no key '" + key + "'");
      *body = KeyJson(key, *r.Find(key), r);
      (*body)["changed"] = before != at;
      return Status::Ok();
    });
  }

  // A read answers only once every local write it could reflect is durable
  // (another client's write may be applied but not yet committed): no client
  // is shown a write less durable than an acknowledged one. Commits at once
  // if needed.
  bool AwaitDurable(uint64_t seen_writes, Response& res) {
    Status s = node->WaitForCommit(seen_writes, options.write_timeout_micros);
    if (s.ok()) return true;
    SendError(res, 503, "value read but not yet durable: " + s.message());
    return false;
  }

  // ---- Routes.
  void RegisterKeyRoutes() {
    Route("GET", "/v1/keys", false, [this](const Request& req, Response& res) {
      std::string prefix = req.get_param_value("prefix");
      size_t limit = 1000;
      if (req.has_param("limit")) {
        const std::string& l = req.get_param_value("limit");
        if (l.empty() || l.size() > 9 || l.find_first_not_of("0123456789") != std::string::npos) {
          return SendError(res, 400, "limit must be a non-negative integer");
        }
        limit = std::stoul(l);
      }
      std::vector<std::string> keys;
      uint64_t seen;
      {
        std::lock_guard lock(node->mutex());
        keys = node->replica().Keys();
        seen = node->replica().local_writes();
      }
      if (!AwaitDurable(seen, res)) return;
      json out = json::array();
      size_t matched = 0;
      for (const std::string& k : keys) {
        if (k.compare(0, prefix.size(), prefix) != 0) continue;
        if (matched++ < limit) out.push_back(k);
      }
      SendJson(res, {{"keys", out}, {"count", matched}, {"truncated", matched > limit}});
    });
    Route("GET", kKey, false, [this](const Request& req, Response& res) {
      std::string key = req.matches[1];
      json body;
      uint64_t seen;
      {
        std::lock_guard lock(node->mutex());
        const AnyCrdt* v = node->replica().Find(key);
        if (v == nullptr) return SendError(res, 404, "no key '" + key + "'");
        body = KeyJson(key, *v, node->replica());
        seen = node->replica().local_writes();
      }
      if (!AwaitDurable(seen, res)) return;
      SendJson(res, body);
    });
    Route("PUT", kKey, true, [this](const Request& req, Response& res) {
      std::string key = req.matches[1], value, type = "lww_register";
      json body;
      if (!ParseBody(req, res, &body) || !GetString(body, "value", res, &value)) return;
      if (body.contains("type") && (!body["type"].is_string() || (body["type"] != "lww_register" && body["type"] != "mv_register"))) {
        return SendError(res, 400, "\"type\" must be lww_register or mv_register");
      }
      if (body.contains("type")) type = body["type"];
      std::optional<uint64_t> ts;
      if (body.contains("timestamp") && !body["timestamp"].is_null()) {
        if (!body["timestamp"].is_number_unsigned()) return SendError(res, 400, "\"timestamp\" must be milliseconds since the epoch (a non-negative integer)");
        if (type != "lww_register") return SendError(res, 400, "\"timestamp\" applies to lww_register only");
        ts = body["timestamp"].get<uint64_t>();
        if (Status s = CheckClientMillis(*ts); !s.ok()) return SendStatus(res, s);
      }
      Write(req, res, key, [&](Replica& r, json*) {
        return type == "mv_register" ? r.SetMulti(key, value) : r.Set(key, value, ts);
      });
    });
    // Like Redis DEL: removes what this replica has observed of the key
    // (concurrent writes elsewhere survive; Replica::Delete), answers whether
    // there was a value, and a key with nothing to remove is no error.
    Route("DELETE", kKey, true, [this](const Request& req, Response& res) {
      std::string key = req.matches[1];
      Write(
          req, res, key,
          [&](Replica& r, json* extra) -> Status {
            Result<bool> deleted = r.Delete(key);
            if (!deleted.ok()) return deleted.status();
            (*extra)["deleted"] = *deleted;
            return Status::Ok();
          },
          /*with_value=*/false);
    });
    // Expiry: PUT sets the key's expiry to now + ttl_ms, DELETE removes it
    // (PERSIST). 404 when the key has no value.
    Route("PUT", (std::string(kKey) + "/ttl").c_str(), true, [this](const Request& req, Response& res) {
      std::string key = req.matches[1];
      json body;
      std::optional<uint64_t> ttl;
      if (!ParseBody(req, res, &body) || !GetTtl(body, res, &ttl)) return;
      if (!ttl) return SendError(res, 400, "\"ttl_ms\" is required");
      SetExpiry(res, key, *ttl);
    });
    Route("DELETE", (std::string(kKey) + "/ttl").c_str(), true, [this](const Request& req, Response& res) {
      SetExpiry(res, req.matches[1], std::nullopt);
    });
    for (const char* op : {"increment", "decrement"}) {
      bool dec = std::string(op) == "decrement";
      Route("POST", (std::string(kKey) + "/" + op).c_str(), true, [this, dec](const Request& req, Response& res) {
        std::string key = req.matches[1];
        json body;
        int64_t by;
        if (!ParseBody(req, res, &body) || !GetBy(body, res, &by)) return;
        bool grow_only = body.value("type", "") == "g_counter";
        if (grow_only && (dec || by < 0)) return SendError(res, 400, "a g_counter only grows");
        if (dec && !Negate(&by, res)) return;
        Write(req, res, key, [&](Replica& r, json*) -> Status {
          if (grow_only) return r.IncrementGrowOnly(key, static_cast<uint64_t>(by)).status();
          return r.Increment(key, by).status();
        });
      });
    }
    for (const char* op : {"add", "remove"}) {
      bool add = std::string(op) == "add";
      Route("POST", (std::string(kKey) + "/" + op).c_str(), true, [this, add](const Request& req, Response& res) {
        std::string key = req.matches[1], element;
        json body;
        if (!ParseBody(req, res, &body) || !GetString(body, "element", res, &element)) return;
        WriteResult(req, res, key, [&](Replica& r) { return add ? r.Add(key, element) : r.Remove(key, element); });
      });
    }
    for (const char* op : {"enable", "disable"}) {
      bool enable = std::string(op) == "enable";
      Route("POST", (std::string(kKey) + "/" + op).c_str(), true, [this, enable](const Request& req, Response& res) {
        std::string key = req.matches[1];
        json body;
        if (!ParseBody(req, res, &body)) return;
        Write(req, res, key, [&](Replica& r, json*) { return enable ? r.Enable(key) : r.Disable(key); });
      });
    }
  }

  void RegisterFieldRoutes() {
    Route("GET", kField, false, [this](const Request& req, Response& res) {
      std::string key = req.matches[1], field = req.matches[2];
      json body;
      uint64_t seen;
      {
        std::lock_guard lock(node->mutex());
        const AnyCrdt* v = node->replica().Find(key);
        if (v == nullptr) return SendError(res, 404, "no key '" + key + "'");
        if (TypeOf(*v) != pb::OR_MAP) return SendError(res, 409, "key '" + key + "' is a " + TypeName(TypeOf(*v)) + ", not an or_map");
        json value = ValueJson(*v);
        if (!value.contains(field)) return SendError(res, 404, "no field '" + field + "' in '" + key + "'");
        body = {{"key", key}, {"field", field}, {"value", value[field]}};
        seen = node->replica().local_writes();
      }
      if (!AwaitDurable(seen, res)) return;
      SendJson(res, body);
    });
    Route("PUT", kField, true, [this](const Request& req, Response& res) {
      std::string key = req.matches[1], field = req.matches[2], value;
      json body;
      if (!ParseBody(req, res, &body) || !GetString(body, "value", res, &value)) return;
      Write(req, res, key, [&](Replica& r, json*) { return r.MapSet(key, field, value); });
    });
    Route("DELETE", kField, true, [this](const Request& req, Response& res) {
      std::string key = req.matches[1], field = req.matches[2];
      Write(req, res, key, [&](Replica& r, json*) { return r.MapRemove(key, field); });
    });
    for (const char* op : {"increment", "decrement"}) {
      bool dec = std::string(op) == "decrement";
      Route("POST", (std::string(kField) + "/" + op).c_str(), true, [this, dec](const Request& req, Response& res) {
        std::string key = req.matches[1], field = req.matches[2];
        json body;
        int64_t by;
        if (!ParseBody(req, res, &body) || !GetBy(body, res, &by)) return;
        if (dec && !Negate(&by, res)) return;
        Write(req, res, key, [&](Replica& r, json*) { return r.MapIncrement(key, field, by).status(); });
      });
    }
    for (const char* op : {"enable", "disable"}) {
      bool enable = std::string(op) == "enable";
      Route("POST", (std::string(kField) + "/" + op).c_str(), true, [this, enable](const Request& req, Response& res) {
        std::string key = req.matches[1], field = req.matches[2];
        json body;
        if (!ParseBody(req, res, &body)) return;
        Write(req, res, key, [&](Replica& r, json*) { return enable ? r.MapEnable(key, field) : r.MapDisable(key, field); });
      });
    }
    for (const char* op : {"add", "remove"}) {
      bool add = std::string(op) == "add";
      Route("POST", (std::string(kField) + "/" + op).c_str(), true, [this, add](const Request& req, Response& res) {
        std::string key = req.matches[1], field = req.matches[2], element;
        json body;
        if (!ParseBody(req, res, &body) || !GetString(body, "element", res, &element)) return;
        Write(req, res, key, [&](Replica& r, json*) {
          return add ? r.MapAdd(key, field, element) : r.MapRemoveElement(key, field, element);
        });
      });
    }
  }

  // Presence leases (sync/presence.h): join or renew, leave, list, count.
  void RegisterPresence() {
    Route("PUT", kPresenceMember, true, [this](const Request& req, Response& res) {
      std::string group = req.matches[1], member = req.matches[2];
      json body;
      std::optional<uint64_t> ttl;
      if (!ParseBody(req, res, &body) || !GetTtl(body, res, &ttl)) return;
      if (!ttl) return SendError(res, 400, "\"ttl_ms\" is required");
      json meta = body.value("meta", json::object());
      if (!meta.is_object()) return SendError(res, 400, "\"meta\" must be a JSON object");
      Acknowledge(res, [&](json* answer) -> Status {
        Result<Presence::Tracked> t = node->presence().Track(group, member, meta.dump(), *ttl);
        if (!t.ok()) return t.status();
        *answer = {{"group", group},   {"member", member},
                   {"replica", replica_name}, {"meta", meta},
                   {"expires_at_ms", t->expires_at_millis}, {"joined", t->joined}};
        return Status::Ok();
      });
    });
    Route("DELETE", kPresenceMember, true, [this](const Request& req, Response& res) {
      std::string group = req.matches[1], member = req.matches[2];
      Acknowledge(res, [&](json* answer) -> Status {
        Result<bool> left = node->presence().Leave(group, member);
        if (!left.ok()) return left.status();
        *answer = {{"group", group}, {"member", member}, {"left", *left}};
        return Status::Ok();
      });
    });
    Route("GET", kPresenceGroup, false, [this](const Request& req, Response& res) {
      std::string group = req.matches[1];
      if (Status s = Presence::CheckNames(group, "-"); !s.ok()) return SendStatus(res, s);
      json members = json::array();
      uint64_t seen;
      {
        std::lock_guard lock(node->mutex());
        for (const PresenceEntry& e : node->presence().List(group)) members.push_back(PresenceJson(e));
        seen = node->replica().local_writes();
      }
      if (!AwaitDurable(seen, res)) return;
      SendJson(res, {{"group", group}, {"members", members}});
    });
    Route("GET", (std::string(kPresenceGroup) + "/count").c_str(), false, [this](const Request& req, Response& res) {
      std::string group = req.matches[1];
      if (Status s = Presence::CheckNames(group, "-"); !s.ok()) return SendStatus(res, s);
      size_t count;
      uint64_t seen;
      {
        std::lock_guard lock(node->mutex());
        count = node->presence().Count(group);
        seen = node->replica().local_writes();
      }
      if (!AwaitDurable(seen, res)) return;
      SendJson(res, {{"group", group}, {"count", count}});
    });
  }

  static json PresenceJson(const PresenceEntry& e) {
    return {{"member", e.member}, {"meta", MetaJson(e.meta)}, {"replica", e.replica}, {"expires_at_ms", e.expires_at_millis}};
  }

  // A member's meta as JSON (as text if someone stored something else
  // under its key through the keys API).
  static json MetaJson(const std::string& meta) {
    json parsed = json::parse(meta, nullptr, /*allow_exceptions=*/false);
    return parsed.is_discarded() ? json(meta) : parsed;
  }

  void RegisterEvents() {
    Route("GET", "/v1/events", false, [this](const Request& req, Response& res) {
      std::string last = req.get_header_value("Last-Event-ID");
      if (last.empty()) last = req.get_param_value("last_event_id");
      uint64_t cursor = feed.last_id();
      if (!last.empty()) {
        if (last.size() > 19 || last.find_first_not_of("0123456789") != std::string::npos) {
          return SendError(res, 400, "Last-Event-ID must be an event id");
        }
        cursor = std::stoull(last);
      }
      std::string presence = req.get_param_value("presence");
      if (req.has_param("presence")) {
        if (Status s = Presence::CheckNames(presence, "-"); !s.ok()) return SendStatus(res, s);
      }
      auto state = std::make_shared<SseState>(
          SseState{cursor, req.get_param_value("prefix"), req.has_param("presence"), presence, false, env->MonotonicMicros()});
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Accel-Buffering", "no");
      open_streams.fetch_add(1);
      res.set_chunked_content_provider(
          "text/event-stream",
          [this, state](size_t, httplib::DataSink& sink) { return StreamSome(*state, sink); },
          [this](bool) { open_streams.fetch_sub(1); });
    });
  }

  struct SseState {
    uint64_t cursor;
    std::string prefix;
    bool presence_only;   // ?presence=GROUP: only that group's joins and leaves
    std::string presence_group;
    bool started;
    uint64_t last_write_micros;
  };

  // One step of an event stream: false ends it (client gone or shutting down).
  bool StreamSome(SseState& st, httplib::DataSink& sink) {
    auto send = [&](const std::string& s) {
      st.last_write_micros = env->MonotonicMicros();
      return sink.write(s.data(), s.size());
    };
    if (!st.started) {
      st.started = true;
      return send("retry: 1000\n: regionsync " + replica_name + "\n\n");
    }
    std::vector<FeedEvent> got;
    switch (feed.Read(&st.cursor, &got, std::chrono::milliseconds(500))) {
      case ChangeFeed::kClosed:
        sink.done();
        return true;
      case ChangeFeed::kReset:
        return send(FormatSseEvent(st.cursor, "reset",
                                   json{{"reason", "events after the given Last-Event-ID are no longer kept; "
                                                   "re-read the keys you follow"},
                                        {"last_event_id", st.cursor}}
                                       .dump()));
      case ChangeFeed::kTimeout:
        // A comment now and then finds clients that went away.
        if (env->MonotonicMicros() - st.last_write_micros > 5'000'000) return send(": keepalive\n\n");
        return true;
      case ChangeFeed::kEvents: {
        std::string out;
        std::lock_guard lock(node->mutex());
        for (const FeedEvent& e : got) {
          if (e.key.compare(0, st.prefix.size(), st.prefix) != 0) continue;
          if (e.presence != nullptr) {
            out += PresenceEvent(st, e);
            continue;
          }
          if (st.presence_only) continue;
          const AnyCrdt* value = node->replica().Find(e.key);
          json data = {{"key", e.key},       {"type", e.type},   {"value", value ? ValueJson(*value) : json()},
                       {"origin", e.origin}, {"local", e.local}, {"replica", replica_name}};
          if (e.expired) data["expired"] = true;
          out += FormatSseEvent(e.id, "change", data.dump());
        }
        return out.empty() ? true : send(out);
      }
    }
    return false;
  }

  // A presence event for the stream `st` ("" when it filters it out).
  // REQUIRES: the replica's lock is held.
  std::string PresenceEvent(const SseState& st, const FeedEvent& e) {
    std::string_view group, tracker, member;
    if (!Presence::ParseKey(e.key, &group, &tracker, &member)) return "";
    if (st.presence_only && group != st.presence_group) return "";
    json data = {{"group", group},   {"member", member},         {"replica", e.origin},
                 {"action", e.presence}, {"local", e.local}};
    const Replica& r = node->replica();
    const AnyCrdt* value = r.Find(e.key);
    if (std::string_view(e.presence) == "join" && value != nullptr && std::holds_alternative<LwwRegister>(*value)) {
      data["meta"] = MetaJson(std::get<LwwRegister>(*value).Value().value_or("{}"));
      data["expires_at_ms"] = r.ExpiresAt(e.key).value_or(0);
    }
    return FormatSseEvent(e.id, "presence", data.dump());
  }

  NodeSnapshot Snapshot() {
    NodeSnapshot s = TakeSnapshot(*node, env->WallMillis());
    if (probe) probe(&s);
    s.store = options.store_kind;
    s.fsync = options.fsync;
    s.events_appended = feed.appended();
    s.event_last_id = feed.last_id();
    s.accepting_writes = accepting_writes.load();
    return s;
  }

  void RegisterOps() {
    Route("GET", "/v1/status", false, [this](const Request&, Response& res) {
      json body = StatusJson(Snapshot());
      body["http"] = {{"port", port}, {"event_streams", open_streams.load()}, {"auth", auth.enabled()},
                      {"auth_reads", auth.enabled() && auth.auth_reads()}};
      SendJson(res, body);
    });
    Route("GET", "/metrics", false, [this](const Request&, Response& res) {
      std::vector<prometheus::MetricFamily> families = SnapshotMetrics(Snapshot());
      for (auto& f : registry.Collect()) families.push_back(std::move(f));
      res.set_content(prometheus::TextSerializer().Serialize(families), "text/plain; version=0.0.4");
    });
    server.Get("/healthz", [](const Request&, Response& res) { SendJson(res, {{"status", "ok"}}); });
    server.Get("/readyz", [this](const Request&, Response& res) {
      bool running;
      {
        std::lock_guard lock(node->mutex());
        running = node->running();
      }
      bool ready = running && accepting_writes.load();
      SendJson(res, {{"ready", ready}}, ready ? 200 : 503);
    });
  }

  void RegisterAdmin() {
    if (admin == nullptr) return;
    Route("POST", "/v1/admin/partition", true, [this](const Request& req, Response& res) {
      json body;
      if (!ParseBody(req, res, &body)) return;
      auto it = body.find("groups");
      std::vector<std::vector<std::string>> groups;
      bool ok = it != body.end() && it->is_array();
      if (ok) {
        for (const json& g : *it) {
          ok = ok && g.is_array();
          if (!ok) break;
          groups.emplace_back();
          for (const json& n : g) {
            ok = ok && n.is_string();
            if (ok) groups.back().push_back(n.get<std::string>());
          }
        }
      }
      if (!ok) return SendError(res, 400, "\"groups\" must be an array of arrays of replica names");
      Status s = admin->partition(groups);
      if (!s.ok()) return SendStatus(res, s);
      SendJson(res, admin->describe());
    });
    Route("POST", "/v1/admin/heal", true, [this](const Request&, Response& res) {
      Status s = admin->heal();
      if (!s.ok()) return SendStatus(res, s);
      SendJson(res, admin->describe());
    });
    Route("GET", "/v1/admin/faults", false, [this](const Request&, Response& res) { SendJson(res, admin->describe()); });
    Route("POST", "/v1/admin/faults", true, [this](const Request& req, Response& res) {
      json body;
      if (!ParseBody(req, res, &body)) return;
      ClusterAdmin::Faults f;
      for (auto& [name, v] : body.items()) {
        if (name == "drop" || name == "duplicate") {
          if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) return SendError(res, 400, "\"" + name + "\" must be a probability in [0, 1]");
          (name == "drop" ? f.drop : f.duplicate) = v.get<double>();
        } else if (name == "min_delay_ms" || name == "max_delay_ms") {
          if (!v.is_number_unsigned()) return SendError(res, 400, "\"" + name + "\" must be a non-negative integer");
          (name == "min_delay_ms" ? f.min_delay_millis : f.max_delay_millis) = v.get<uint64_t>();
        } else if (name == "outage") {
          if (!v.is_boolean()) return SendError(res, 400, "\"outage\" must be true or false");
          f.outage = v.get<bool>();
        } else {
          return SendError(res, 400, "unknown fault '" + name + "' (drop, duplicate, min_delay_ms, max_delay_ms, outage)");
        }
      }
      Status s = admin->set_faults(f);
      if (!s.ok()) return SendStatus(res, s);
      SendJson(res, admin->describe());
    });
  }

  void Configure() {
    server.new_task_queue = [n = options.threads] { return new httplib::ThreadPool(n); };
    server.set_payload_max_length(options.max_body_bytes);
    server.set_keep_alive_max_count(1'000'000);
    server.set_keep_alive_timeout(3);
    // Responses go out in several writes; without this, Nagle + delayed ACK add ~40 ms.
    server.set_tcp_nodelay(true);
    // Every error, ours or httplib's (unknown route, 413), answers JSON.
    server.set_error_handler(httplib::Server::HandlerWithResponse([this](const Request& req, Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      std::string message = res.status == 404   ? "no route " + req.method + " " + req.path
                            : res.status == 413 ? "request body larger than " + std::to_string(options.max_body_bytes) + " bytes"
                                                : "malformed request";
      SendError(res, res.status, message);
      return httplib::Server::HandlerResponse::Handled;
    }));
    // A request with neither Content-Length nor Transfer-Encoding has no body
    // (RFC 9112 section 6.3), but httplib reads one until the client closes
    // and answers 400 at its read timeout: `curl -X POST .../v1/admin/heal`
    // (or .../enable) waited 5 s for a 400. Say so before httplib reads. The
    // pre-routing hook sees the Request httplib owns as non-const, so
    // writing through const_cast is well defined.
    server.set_pre_routing_handler([](const Request& req, Response&) {
      if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
        const_cast<Request&>(req).set_header("Content-Length", "0");
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_logger([this](const Request& req, const Response& res) {
      requests.Add({{"method", req.method}, {"code", std::to_string(res.status)}}).Increment();
      spdlog::debug("msg=request replica={} method={} path=\"{}\" status={}", replica_name, req.method, req.path, res.status);
    });
    RegisterKeyRoutes();
    RegisterFieldRoutes();
    RegisterPresence();
    RegisterEvents();
    RegisterOps();
    RegisterAdmin();
  }

  SyncNode* node;
  Env* env;
  HttpApiOptions options;
  const ClusterAdmin* admin;
  TransportProbe probe;
  ApiAuth auth;
  ChangeFeed feed;
  std::string replica_name;
  int listener_token = 0;
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Histogram& write_seconds;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> accepting_writes{true};
  std::atomic<int> open_streams{0};
  bool listening = false;
  bool shut_down = false;
  int port = 0;
};

HttpApi::HttpApi(SyncNode* node, Env* env, HttpApiOptions options, const ClusterAdmin* admin, TransportProbe probe)
    : impl_(std::make_unique<Impl>(node, env, std::move(options), admin, std::move(probe))) {
  Impl* impl = impl_.get();
  {
    std::lock_guard lock(node->mutex());
    impl->replica_name = node->replica().id().name();
    impl->listener_token = node->replica().Subscribe([impl](const ChangeEvent& e) {
      if (!e.changed) return;
      impl->feed.Append({.key = e.key, .origin = e.origin, .type = TypeName(e.type), .local = e.local,
                         .expired = e.expired});
    });
    node->presence().set_listener([impl](const PresenceChange& c) {
      impl->feed.Append({.key = std::string(c.key), .origin = std::string(c.replica), .type = "presence",
                         .local = c.replica == impl->replica_name, .presence = c.joined ? "join" : "leave"});
    });
  }
  impl->Configure();
}

HttpApi::~HttpApi() { Shutdown(); }

Status HttpApi::Listen(const std::string& address, int port) {
  if (port == 0) {
    impl_->port = impl_->server.bind_to_any_port(address);
    if (impl_->port <= 0) return Unavailable("cannot bind any port on " + address);
  } else {
    if (!impl_->server.bind_to_port(address, port)) {
      return Unavailable("cannot listen on " + address + ":" + std::to_string(port) + " (in use or not permitted)");
    }
    impl_->port = port;
  }
  impl_->listening = true;
  impl_->thread = std::thread([impl = impl_.get()] { impl->server.listen_after_bind(); });
  // stop() before the loop runs would be lost; wait until it does.
  while (!impl_->server.is_running()) std::this_thread::yield();
  return Status::Ok();
}

int HttpApi::port() const { return impl_->port; }

void HttpApi::StopAcceptingWrites() { impl_->accepting_writes.store(false); }

void HttpApi::Shutdown() {
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  impl_->accepting_writes.store(false);
  impl_->feed.Close();
  if (impl_->listening) {
    impl_->server.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
  }
  std::lock_guard lock(impl_->node->mutex());
  impl_->node->replica().Unsubscribe(impl_->listener_token);
  impl_->node->presence().set_listener(nullptr);
}

}  // namespace regionsync

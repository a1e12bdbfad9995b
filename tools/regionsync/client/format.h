// Readable output of the regionsync CLI client: turns the JSON answers of the
// daemon's HTTP API into lines a person reads at a glance. Pure (JSON in,
// text out) so each value type is tested from sample answers. Scripts use
// --json instead, which prints the daemon's answer unchanged.
//
//   FormatKey({{"key","sessions"},{"type","pn_counter"},{"value",42}})
//   // "sessions (pn_counter) = 42\n"
//
// Every function accepts any JSON: fields it does not know are shown as JSON,
// missing ones are left out, so a newer daemon never makes the CLI fail.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace regionsync::client {

// One value on one line: numbers and booleans as JSON, strings quoted as
// JSON strings (so "" and null differ, and control characters are escaped),
// null as "(unset)", arrays as [a, b] and objects as {f: v, g: w}, with set
// elements and field names quoted only when they need it.
std::string FormatInlineValue(const nlohmann::json& value);

// The answer of GET /v1/keys/{key} or of a write: "name (type) = value\n",
// with sets one element per line and maps one field per line beneath.
// A field answer ({"key","field","value"}) reads "key[field] = value"; an
// add/remove answer with "changed": false gets a "(nothing changed)" line.
// Answers without "value" (a write that returns {"ok": true}) give "OK\n".
std::string FormatKey(const nlohmann::json& answer);

// The answer of GET /v1/keys: one key per line, with its type when the daemon
// gives one ("keys": ["a", ...] or [{"key": "a", "type": "or_set"}, ...], or
// a bare array); "(no keys)\n" when empty; a last line says so when the
// daemon's answer was truncated ({"truncated": true, "count": n}).
std::string FormatKeyList(const nlohmann::json& answer);

// One change event of GET /v1/events: "key origin value\n" (value as compact
// JSON, so the line splits on the first two spaces; a key with spaces is
// printed as a JSON string). Empty when `event` is not an object with "key".
std::string FormatEvent(const nlohmann::json& event);

// The answer of GET /v1/status: replica and epoch, outbox depth, then one
// line per peer with last-heard age (from `now_wall_millis`) and lag, then
// the remaining fields as "name: json".
std::string FormatStatus(const nlohmann::json& status, uint64_t now_wall_millis);

// "1.2 s", "35 ms", "3 min", "2 h": a duration for people.
std::string FormatMillis(int64_t millis);

// "2025-12-06T05:46:40.000Z": milliseconds since the Unix epoch as an
// ISO 8601 UTC time.
std::string FormatUtcMillis(int64_t unix_millis);

// Presence (PUT, DELETE and GET /v1/presence/...). Members, groups and
// replicas are printed bare unless they contain spaces or characters that
// need quoting; then they are JSON strings.

// The answer of PUT /v1/presence/{group}/{member}:
// "joined alice in room (us-east-1/a) until 2025-12-06T05:46:40.000Z\n", or
// "renewed ..." when the answer says "joined": false (the replica already
// tracked the member).
std::string FormatPresenceJoin(const nlohmann::json& answer);

// Whether an answer under `presence join --hold` is worth a line: the first
// one (`previous` is null), one where the replica had lost the member
// ("joined": true again), or one from another replica than `previous`.
bool PresenceStateChanged(const nlohmann::json& previous, const nlohmann::json& renewal);

// The answer of DELETE /v1/presence/{group}/{member}: "left alice in room\n",
// or "alice was not in room on this replica\n" when "left" is false.
std::string FormatPresenceLeave(const nlohmann::json& answer);

// The answer of GET /v1/presence/{group}: a table
//   MEMBER  REPLICA      EXPIRES_IN  META
//   alice   us-east-1/a  12.3 s      {"device":"phone"}
// with EXPIRES_IN counted from `now_wall_millis` ("expired" when past) and
// META as compact JSON; "(no members)\n" when empty.
std::string FormatPresenceList(const nlohmann::json& answer, uint64_t now_wall_millis);

// The answer of GET /v1/presence/{group}/count: the count alone, "3\n".
std::string FormatPresenceCount(const nlohmann::json& answer);

// One presence event of GET /v1/events?presence={group}:
// "join alice us-east-1/a {"device":"phone"}\n" (meta as compact JSON, {}
// when none) or "leave alice us-east-1/a\n". Empty when `event` is not an
// object with "member".
std::string FormatPresenceEvent(const nlohmann::json& event);

}  // namespace regionsync::client

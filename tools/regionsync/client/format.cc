#include "format.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <initializer_list>
#include <set>
#include <string_view>
#include <vector>

namespace regionsync::client {
namespace {

using nlohmann::json;

// A set element or field name goes bare when that cannot be misread: no
// spaces at the ends, no control characters or separators, not empty.
std::string Token(const json& value) {
  if (!value.is_string()) return FormatInlineValue(value);
  const std::string& s = value.get_ref<const std::string&>();
  bool bare = !s.empty() && s.front() != ' ' && s.back() != ' ' && s.front() != '"';
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == ':') bare = false;
  }
  return bare ? s : value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// The first of `names` that `object` has, or nullptr.
const json* Field(const json& object, std::initializer_list<std::string_view> names) {
  if (!object.is_object()) return nullptr;
  for (std::string_view name : names) {
    auto it = object.find(name);
    if (it != object.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

// A name in a line that splits on spaces: bare when Token leaves it bare
// and it has no space, else a JSON string. "?" when missing.
std::string Word(const json* value) {
  if (value == nullptr) return "?";
  if (value->is_string() && Token(*value) == value->get_ref<const std::string&>() &&
      value->get_ref<const std::string&>().find(' ') == std::string::npos) {
    return value->get<std::string>();
  }
  return Dump(*value);
}

// Rows padded into columns two spaces apart; the last column is not padded,
// so no line ends in spaces.
std::string AlignColumns(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size());
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += "\n";
  }
  return out;
}

std::string Plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string FormatPeer(const std::string& name, const json& peer, uint64_t now_wall_millis) {
  std::string line = "  " + name;
  if (const json* epoch = Field(peer, {"epoch"})) line += "  epoch " + Dump(*epoch);
  if (const json* ago = Field(peer, {"last_heard_ago_millis", "last_heard_age_millis", "last_heard_millis_ago"});
      ago && ago->is_number()) {
    line += "  last heard " + FormatMillis(ago->get<int64_t>()) + " ago";
  } else if (const json* at = Field(peer, {"last_heard_wall_millis", "last_heard_millis", "last_heard_unix_millis"});
             at && at->is_number()) {
    auto millis = at->get<int64_t>();
    if (millis <= 0) {
      line += "  never heard";
    } else {
      line += "  last heard " + FormatMillis(static_cast<int64_t>(now_wall_millis) - millis) + " ago";
    }
  } else if (const json* text = Field(peer, {"last_heard"})) {
    line += "  last heard " + (text->is_string() ? text->get<std::string>() : Dump(*text));
  }
  if (const json* lag = Field(peer, {"lag_millis", "lag_ms"}); lag && lag->is_number()) {
    line += "  lag " + FormatMillis(lag->get<int64_t>());
  }
  if (const json* messages = Field(peer, {"messages"})) line += "  messages " + Dump(*messages);
  return line + "\n";
}

}  // namespace

// FormatKey without the "changed" note.
static std::string FormatKeyValue(const nlohmann::json& answer);

std::string FormatMillis(int64_t millis) {
  char buf[64];
  int64_t magnitude = millis < 0 ? -millis : millis;
  if (magnitude < 1000) {
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(millis));
  } else if (magnitude < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(millis) / 1000);
  } else if (magnitude < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%.1f min", static_cast<double>(millis) / 60'000);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f h", static_cast<double>(millis) / 3'600'000);
  }
  return buf;
}

std::string FormatInlineValue(const json& value) {
  if (value.is_null()) return "(unset)";
  if (value.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + Token(value[i]);
    return out + "]";
  }
  if (value.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [field, v] : value.items()) {
      out += (first ? "" : ", ") + Token(json(field)) + ": " + FormatInlineValue(v);
      first = false;
    }
    return out + "}";
  }
  return Dump(value);
}

std::string FormatKey(const json& answer) {
  std::string out = FormatKeyValue(answer);
  // add/remove say whether membership changed; a no-op is worth saying.
  if (const json* changed = Field(answer, {"changed"}); changed && changed->is_boolean() && !changed->get<bool>()) {
    out += "(nothing changed)\n";
  }
  return out;
}

static std::string FormatKeyValue(const json& answer) {
  if (!answer.is_object() || !answer.contains("value")) return "OK\n";
  const json& value = answer["value"];
  std::string type = answer.contains("type") && answer["type"].is_string() ? answer["type"].get<std::string>() : "";
  std::string head = answer.contains("key") ? Token(answer["key"]) : "(value)";
  if (answer.contains("field")) head += "[" + Token(answer["field"]) + "]";
  if (!type.empty()) head += " (" + type + ")";
  head += " = ";

  if (type == "ew_flag" && value.is_boolean()) return head + (value.get<bool>() ? "enabled\n" : "disabled\n");
  if (type == "mv_register" && value.is_array()) {
    // Concurrent writes that no later write has overwritten yet.
    if (value.empty()) return head + "(unset)\n";
    if (value.size() == 1) return head + FormatInlineValue(value[0]) + "\n";
    std::string out;
    for (const json& v : value) out += (out.empty() ? "" : " | ") + FormatInlineValue(v);
    return head + out + "  (" + std::to_string(value.size()) + " concurrent values)\n";
  }
  if (type == "sorted_set" && value.is_array()) {
    // [member, score] pairs in rank order.
    if (value.empty()) return head + "(empty)\n";
    std::string out = head + Plural(value.size(), "member", "members") + "\n";
    for (const json& entry : value) {
      if (entry.is_array() && entry.size() == 2) {
        out += "  " + Token(entry[0]) + " = " + FormatInlineValue(entry[1]) + "\n";
      } else {
        out += "  " + Token(entry) + "\n";
      }
    }
    return out;
  }
  if (value.is_array()) {
    if (value.empty()) return head + "(empty)\n";
    std::string out = head + Plural(value.size(), "element", "elements") + "\n";
    for (const json& element : value) out += "  " + Token(element) + "\n";
    return out;
  }
  if (value.is_object()) {
    if (value.empty()) return head + "(empty)\n";
    std::string out = head + Plural(value.size(), "field", "fields") + "\n";
    for (const auto& [field, v] : value.items()) out += "  " + Token(json(field)) + " = " + FormatInlineValue(v) + "\n";
    return out;
  }
  return head + FormatInlineValue(value) + "\n";
}

std::string FormatKeyList(const json& answer) {
  const json* keys = answer.is_array() ? &answer : Field(answer, {"keys"});
  if (keys == nullptr || !keys->is_array()) return Dump(answer) + "\n";
  std::string out;
  for (const json& entry : *keys) {
    if (entry.is_object() && entry.contains("key")) {
      out += Token(entry["key"]);
      if (const json* type = Field(entry, {"type"})) out += "  " + (type->is_string() ? type->get<std::string>() : Dump(*type));
      out += "\n";
    } else {
      out += Token(entry) + "\n";
    }
  }
  if (keys->empty()) out = "(no keys)\n";
  if (const json* truncated = Field(answer, {"truncated"}); truncated && truncated->is_boolean() && *truncated) {
    const json* count = Field(answer, {"count"});
    out += "(" + std::to_string(keys->size()) + " of " + (count ? Dump(*count) : std::string("more")) +
           " keys shown; raise --limit)\n";
  }
  return out;
}

std::string FormatEvent(const json& event) {
  if (!event.is_object() || !event.contains("key")) return "";
  std::string key_text = Word(&event["key"]);
  std::string origin = "-";
  if (const json* o = Field(event, {"origin", "origin_replica"})) {
    origin = o->is_string() && !o->get<std::string>().empty() ? o->get<std::string>() : Dump(*o);
  }
  std::string value = event.contains("value") ? Dump(event["value"]) : "null";
  return key_text + " " + origin + " " + value + "\n";
}

std::string FormatStatus(const json& status, uint64_t now_wall_millis) {
  if (!status.is_object()) return Dump(status) + "\n";
  std::set<std::string> shown;
  std::string out;

  const json* replica = Field(status, {"replica", "replica_id", "id", "name"});
  const json* epoch = Field(status, {"epoch"});
  for (const char* name : {"replica", "replica_id", "id", "name", "epoch"}) shown.insert(name);
  if (replica && replica->is_object()) {
    // {"replica": {"name": ..., "epoch": ...}}
    if (!epoch) epoch = Field(*replica, {"epoch"});
    replica = Field(*replica, {"name", "id"});
  }
  out += "replica  " + (replica ? (replica->is_string() ? replica->get<std::string>() : Dump(*replica)) : "?");
  if (epoch) out += "  epoch " + Dump(*epoch);
  out += "\n";

  if (const json* outbox = Field(status, {"outbox_depth", "outbox_keys", "outbox"})) {
    out += "outbox   " + (outbox->is_number_unsigned() || outbox->is_number_integer()
                              ? Plural(outbox->get<uint64_t>(), "key", "keys") + " waiting to be published"
                              : FormatInlineValue(*outbox)) +
           "\n";
  }
  for (const char* name : {"outbox_depth", "outbox_keys", "outbox"}) shown.insert(name);

  if (const json* peers = Field(status, {"peers"})) {
    out += "peers    " + std::to_string(peers->size()) + "\n";
    if (peers->is_array()) {
      for (const json& peer : *peers) {
        const json* name = Field(peer, {"replica", "name", "id"});
        out += FormatPeer(name ? (name->is_string() ? name->get<std::string>() : Dump(*name)) : "?", peer,
                          now_wall_millis);
      }
    } else if (peers->is_object()) {
      for (const auto& [name, peer] : peers->items()) out += FormatPeer(name, peer, now_wall_millis);
    }
  }
  shown.insert("peers");

  for (const auto& [name, value] : status.items()) {
    if (shown.count(name) == 0) out += name + ": " + FormatInlineValue(value) + "\n";
  }
  return out;
}

std::string FormatUtcMillis(int64_t unix_millis) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds(unix_millis)};
  const sys_days day = floor<days>(time);
  const year_month_day date{day};
  const hh_mm_ss clock{time - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long long>(clock.hours().count()), static_cast<long long>(clock.minutes().count()),
                static_cast<long long>(clock.seconds().count()), static_cast<long long>(clock.subseconds().count()));
  return buf;
}

std::string FormatPresenceJoin(const json& answer) {
  if (!answer.is_object()) return Dump(answer) + "\n";
  const json* joined = Field(answer, {"joined"});
  bool renewed = joined && joined->is_boolean() && !joined->get<bool>();
  std::string line = std::string(renewed ? "renewed " : "joined ") + Word(Field(answer, {"member"})) + " in " +
                     Word(Field(answer, {"group"}));
  if (const json* replica = Field(answer, {"replica"})) line += " (" + Word(replica) + ")";
  if (const json* expires = Field(answer, {"expires_at_ms"}); expires && expires->is_number_integer()) {
    line += " until " + FormatUtcMillis(expires->get<int64_t>());
  }
  return line + "\n";
}

bool PresenceStateChanged(const json& previous, const json& renewal) {
  if (previous.is_null()) return true;
  const json* joined = Field(renewal, {"joined"});
  if (joined && joined->is_boolean() && joined->get<bool>()) return true;
  const json* before = Field(previous, {"replica"});
  const json* now = Field(renewal, {"replica"});
  return (before == nullptr) != (now == nullptr) || (before && *before != *now);
}

std::string FormatPresenceLeave(const json& answer) {
  if (!answer.is_object()) return Dump(answer) + "\n";
  std::string member = Word(Field(answer, {"member"}));
  std::string group = Word(Field(answer, {"group"}));
  const json* left = Field(answer, {"left"});
  if (left && left->is_boolean() && !left->get<bool>()) return member + " was not in " + group + " on this replica\n";
  return "left " + member + " in " + group + "\n";
}

std::string FormatPresenceList(const json& answer, uint64_t now_wall_millis) {
  const json* members = Field(answer, {"members"});
  if (members == nullptr || !members->is_array()) return Dump(answer) + "\n";
  if (members->empty()) return "(no members)\n";
  std::vector<std::vector<std::string>> rows = {{"MEMBER", "REPLICA", "EXPIRES_IN", "META"}};
  for (const json& entry : *members) {
    std::string expires_in = "-";
    if (const json* at = Field(entry, {"expires_at_ms"}); at && at->is_number_integer()) {
      int64_t left = at->get<int64_t>() - static_cast<int64_t>(now_wall_millis);
      expires_in = left > 0 ? FormatMillis(left) : "expired";
    }
    const json* meta = Field(entry, {"meta"});
    rows.push_back({Word(Field(entry, {"member"})), Word(Field(entry, {"replica"})), expires_in,
                    meta ? Dump(*meta) : "{}"});
  }
  return AlignColumns(rows);
}

std::string FormatPresenceCount(const json& answer) {
  const json* count = Field(answer, {"count"});
  return Dump(count ? *count : answer) + "\n";
}

std::string FormatPresenceEvent(const json& event) {
  if (!event.is_object() || !event.contains("member")) return "";
  const json* action = Field(event, {"action"});
  std::string line = Word(action) + " " + Word(&event["member"]) + " " + Word(Field(event, {"replica"}));
  if (action && *action == "join") {
    const json* meta = Field(event, {"meta"});
    line += " " + (meta ? Dump(*meta) : std::string("{}"));
  }
  return line + "\n";
}

}  // namespace regionsync::client

#include "regionsync/crdt/any_crdt.h"

#include <cassert>
#include <cmath>

namespace regionsync {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

template <typename T>
Result<AnyCrdt> DecodeAs(std::string_view bytes, size_t max_bytes) {
  Result<T> r = T::Decode(bytes, max_bytes);
  if (!r.ok()) return r.status();
  return AnyCrdt(std::move(r).value());
}

template <typename T>
std::vector<AnyCrdt> SplitAs(const T& delta, size_t max_encoded_bytes) {
  std::vector<AnyCrdt> out;
  for (T& piece : delta.SplitDelta(max_encoded_bytes)) out.emplace_back(std::move(piece));
  return out;
}

nlohmann::json StringsJson(const std::vector<std::string>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (const std::string& s : v) a.push_back(s);
  return a;
}

nlohmann::json MapJson(const OrMap& m) {
  nlohmann::json obj = nlohmann::json::object();
  for (const std::string& key : m.Keys()) {
    switch (m.kind()) {
      case OrMapKind::kRegister: {
        std::optional<std::string> v = m.Register(key);
        obj[key] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
        break;
      }
      case OrMapKind::kMvRegister:
      case OrMapKind::kSet:
        obj[key] = StringsJson(m.Values(key));
        break;
      case OrMapKind::kFlag:
        obj[key] = m.Flag(key);
        break;
      case OrMapKind::kCounter:
        obj[key] = m.Counter(key);
        break;
      case OrMapKind::kUnset:
        break;
    }
  }
  return obj;
}

nlohmann::json ScoreJson(double score) {
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  return score;
}

nlohmann::json SortedSetJson(const SortedSet& s) {
  nlohmann::json a = nlohmann::json::array();
  s.Visit(0, s.size(), false, [&](const SortedSet::Entry& e) {
    a.push_back(nlohmann::json::array({std::string(e.member), ScoreJson(e.score)}));
    return true;
  });
  return a;
}

}  // namespace

CrdtType TypeOf(const AnyCrdt& value) {
  return std::visit([](const auto& v) { return static_cast<CrdtType>(std::decay_t<decltype(v)>::kType); }, value);
}

const char* TypeName(CrdtType type) {
  switch (type) {
    case pb::G_COUNTER: return "g_counter";
    case pb::PN_COUNTER: return "pn_counter";
    case pb::LWW_REGISTER: return "lww_register";
    case pb::MV_REGISTER: return "mv_register";
    case pb::OR_SET: return "or_set";
    case pb::EW_FLAG: return "ew_flag";
    case pb::OR_MAP: return "or_map";
    case pb::STRING: return "string";
    case pb::SORTED_SET: return "sorted_set";
    default: return "unknown";
  }
}

Result<CrdtType> ParseTypeName(std::string_view name) {
  for (CrdtType t : {pb::G_COUNTER, pb::PN_COUNTER, pb::LWW_REGISTER, pb::MV_REGISTER, pb::OR_SET,
                     pb::EW_FLAG, pb::OR_MAP, pb::STRING, pb::SORTED_SET}) {
    if (name == TypeName(t)) return t;
  }
  return InvalidArgument("unknown CRDT type '" + std::string(name) + "'");
}

AnyCrdt EmptyCrdt(CrdtType type) {
  switch (type) {
    case pb::G_COUNTER: return GCounter();
    case pb::PN_COUNTER: return PnCounter();
    case pb::LWW_REGISTER: return LwwRegister();
    case pb::MV_REGISTER: return MvRegister();
    case pb::OR_SET: return OrSet();
    case pb::EW_FLAG: return EwFlag();
    case pb::OR_MAP: return OrMap();
    case pb::STRING: return RedisString();
    case pb::SORTED_SET: return SortedSet();
    default: assert(false && "EmptyCrdt: unknown type"); return GCounter();
  }
}

bool SameType(const AnyCrdt& state, const AnyCrdt& delta) {
  if (state.index() != delta.index()) return false;
  if (const OrMap* m = std::get_if<OrMap>(&state)) {
    OrMapKind a = m->kind(), b = std::get<OrMap>(delta).kind();
    return a == OrMapKind::kUnset || b == OrMapKind::kUnset || a == b;
  }
  return true;
}

bool JoinCrdt(AnyCrdt& state, const AnyCrdt& delta) {
  assert(SameType(state, delta));
  return std::visit(
      [&](auto& s) -> bool {
        using T = std::decay_t<decltype(s)>;
        return s.Join(std::get<T>(delta));
      },
      state);
}

std::string EncodeCrdt(const AnyCrdt& value) {
  return std::visit([](const auto& v) { return v.Encode(); }, value);
}

Result<AnyCrdt> DecodeCrdt(CrdtType type, std::string_view bytes, size_t max_bytes) {
  switch (type) {
    case pb::G_COUNTER: return DecodeAs<GCounter>(bytes, max_bytes);
    case pb::PN_COUNTER: return DecodeAs<PnCounter>(bytes, max_bytes);
    case pb::LWW_REGISTER: return DecodeAs<LwwRegister>(bytes, max_bytes);
    case pb::MV_REGISTER: return DecodeAs<MvRegister>(bytes, max_bytes);
    case pb::OR_SET: return DecodeAs<OrSet>(bytes, max_bytes);
    case pb::EW_FLAG: return DecodeAs<EwFlag>(bytes, max_bytes);
    case pb::OR_MAP: return DecodeAs<OrMap>(bytes, max_bytes);
    case pb::STRING: return DecodeAs<RedisString>(bytes, max_bytes);
    case pb::SORTED_SET: return DecodeAs<SortedSet>(bytes, max_bytes);
    default: return InvalidArgument("unknown CRDT type " + std::to_string(static_cast<int>(type)));
  }
}

std::vector<AnyCrdt> SplitCrdt(const AnyCrdt& delta, size_t max_encoded_bytes) {
  return std::visit(Overloaded{
                        [&](const OrSet& s) { return SplitAs(s, max_encoded_bytes); },
                        [&](const OrMap& m) { return SplitAs(m, max_encoded_bytes); },
                        [&](const SortedSet& s) { return SplitAs(s, max_encoded_bytes); },
                        [&](const auto&) { return std::vector<AnyCrdt>{delta}; },
                    },
                    delta);
}

nlohmann::json ValueJson(const AnyCrdt& value) {
  return std::visit(Overloaded{
                        [](const GCounter& c) { return nlohmann::json(c.Value()); },
                        [](const PnCounter& c) { return nlohmann::json(c.Value()); },
                        [](const LwwRegister& r) {
                          return r.Value() ? nlohmann::json(*r.Value()) : nlohmann::json(nullptr);
                        },
                        [](const MvRegister& r) { return StringsJson(r.Values()); },
                        [](const OrSet& s) { return StringsJson(s.Elements()); },
                        [](const EwFlag& f) { return nlohmann::json(f.Enabled()); },
                        [](const OrMap& m) { return MapJson(m); },
                        [](const RedisString& r) {
                          std::optional<std::string> v = r.Value();
                          return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
                        },
                        [](const SortedSet& s) { return SortedSetJson(s); },
                    },
                    value);
}

bool HasValue(const AnyCrdt& value) {
  return std::visit(Overloaded{
                        [](const GCounter& c) { return c.Value() != 0; },
                        [](const PnCounter& c) { return c.HasLive(); },
                        [](const LwwRegister& r) { return r.Value().has_value(); },
                        [](const MvRegister& r) { return !r.Values().empty(); },
                        [](const OrSet& s) { return s.size() != 0; },
                        [](const EwFlag& f) { return f.Enabled(); },
                        [](const OrMap& m) { return m.size() != 0; },
                        [](const RedisString& r) { return r.HasValue(); },
                        [](const SortedSet& s) { return s.size() != 0; },
                    },
                    value);
}

Result<AnyCrdt> ClearCrdt(AnyCrdt& state, ActorId actor, HlcTimestamp clock_now) {
  return std::visit(
      Overloaded{
          [](GCounter&) -> Result<AnyCrdt> { return InvalidArgument("a grow-only counter cannot be deleted"); },
          [](PnCounter& c) -> Result<AnyCrdt> { return AnyCrdt(c.Reset()); },
          [](RedisString& r) -> Result<AnyCrdt> { return AnyCrdt(r.Delete()); },
          [&](LwwRegister& r) -> Result<AnyCrdt> { return AnyCrdt(r.Clear(actor, clock_now)); },
          [](MvRegister& r) -> Result<AnyCrdt> { return AnyCrdt(r.Clear()); },
          [](OrSet& s) -> Result<AnyCrdt> {
            OrSet delta;
            for (const std::string& e : s.Elements()) delta.Join(s.Remove(e));
            return AnyCrdt(std::move(delta));
          },
          [](EwFlag& f) -> Result<AnyCrdt> { return AnyCrdt(f.Disable()); },
          [&](OrMap& m) -> Result<AnyCrdt> {
            OrMap delta(m.kind());
            for (const std::string& k : m.Keys()) {
              delta.Join(m.Remove(k));
              delta.Join(m.EndFieldExpiry(actor, k, clock_now));  // a field created again has none
            }
            return AnyCrdt(std::move(delta));
          },
          [](SortedSet& s) -> Result<AnyCrdt> { return AnyCrdt(s.Clear()); },
      },
      state);
}

bool IsStringFamily(const AnyCrdt& value) {
  return std::holds_alternative<RedisString>(value) || std::holds_alternative<PnCounter>(value) ||
         std::holds_alternative<LwwRegister>(value);
}

bool SameFamily(const AnyCrdt& a, const AnyCrdt& b) {
  return SameType(a, b) || (IsStringFamily(a) && IsStringFamily(b));
}

RedisString ToRedisString(const AnyCrdt& value) {
  return std::visit(Overloaded{
                        [](const RedisString& r) { return r; },
                        [](const PnCounter& c) { return RedisString::FromCounter(c); },
                        [](const LwwRegister& r) { return RedisString::FromRegister(r); },
                        [](const auto&) {
                          assert(false && "ToRedisString: not a string-family type");
                          return RedisString();
                        },
                    },
                    value);
}

namespace {

// The order that decides a type conflict (see JoinAnyType).
std::pair<int, int> Rank(const AnyCrdt& v) {
  if (IsStringFamily(v)) return {1000, 0};
  const OrMap* m = std::get_if<OrMap>(&v);
  return {static_cast<int>(TypeOf(v)), m != nullptr ? static_cast<int>(m->kind()) : 0};
}

}  // namespace

TypedJoin JoinAnyType(AnyCrdt& state, const AnyCrdt& delta) {
  if (SameType(state, delta)) return {JoinCrdt(state, delta), false};
  if (IsStringFamily(state) && IsStringFamily(delta)) {
    // A register meeting a counter is a conflict of the HTTP types; a string
    // meeting either is an upgraded key joining its old type.
    if (RedisString* s = std::get_if<RedisString>(&state)) return {s->Join(ToRedisString(delta)), false};
    bool conflict = !std::holds_alternative<RedisString>(delta);
    RedisString joined = ToRedisString(state);
    joined.Join(ToRedisString(delta));
    state = std::move(joined);
    return {true, conflict};
  }
  if (Rank(delta) > Rank(state)) {
    state = delta;
    return {true, true};
  }
  return {false, true};
}

}  // namespace regionsync

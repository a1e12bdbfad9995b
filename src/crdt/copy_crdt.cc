#include "regionsync/crdt/copy_crdt.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <string_view>
#include <vector>

namespace regionsync {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// Why `source` cannot be written by one actor, or empty.
std::string Unwritable(const AnyCrdt& source) {
  if (const auto* r = std::get_if<MvRegister>(&source); r != nullptr && r->Values().size() > 1) {
    return "a multi-value register holding concurrent values cannot be copied";
  }
  if (const auto* m = std::get_if<OrMap>(&source); m != nullptr && m->kind() == OrMapKind::kMvRegister) {
    for (const std::string& f : m->Keys()) {
      if (m->Values(f).size() > 1) return "a map field holding concurrent values cannot be copied";
    }
  }
  return {};
}

// A string-family value written as a SET of its text: into a register as an
// assign, into a string (or a counter, which becomes one) as its new base.
AnyCrdt WriteText(AnyCrdt& state, const AnyCrdt& source, ActorId actor, HlcTimestamp now) {
  std::string text = ToRedisString(source).Value().value_or("");
  if (auto* r = std::get_if<LwwRegister>(&state)) return r->Assign(actor, now, std::move(text));
  if (!std::holds_alternative<RedisString>(state)) state = ToRedisString(state);  // peers convert on receipt
  return std::get<RedisString>(state).Set(actor, now, std::move(text));
}

// Writes `source`'s value into `state` (which has no value) as `actor`'s
// new writes; returns the delta. `state` may change type within the string
// family (a PN counter becomes a string).
AnyCrdt WriteAfresh(AnyCrdt& state, const AnyCrdt& source, ActorId actor, HlcTimestamp now) {
  return std::visit(
      Overloaded{
          [&](const GCounter& c) -> AnyCrdt { return std::get<GCounter>(state).Increment(actor, c.Value()); },
          [&](const MvRegister& r) -> AnyCrdt {
            return std::get<MvRegister>(state).Assign(actor, r.Values().front());
          },
          [&](const OrSet& s) -> AnyCrdt {
            std::vector<std::string> elements = s.Elements();
            std::vector<std::string_view> views(elements.begin(), elements.end());
            return std::get<OrSet>(state).AddAll(actor, views);
          },
          [&](const EwFlag&) -> AnyCrdt { return std::get<EwFlag>(state).Enable(actor); },
          [&](const OrMap& m) -> AnyCrdt {
            OrMap& into = std::get<OrMap>(state);
            OrMap delta(m.kind());
            for (const std::string& f : m.Keys()) {
              switch (m.kind()) {
                case OrMapKind::kRegister: delta.Join(into.Assign(actor, f, now, *m.Register(f))); break;
                case OrMapKind::kMvRegister: delta.Join(into.Assign(actor, f, now, m.Values(f).front())); break;
                case OrMapKind::kFlag: delta.Join(into.Enable(actor, f)); break;
                case OrMapKind::kCounter: delta.Join(into.Increment(actor, f, m.Counter(f))); break;
                case OrMapKind::kSet:
                  for (const std::string& e : m.Values(f)) delta.Join(into.AddElement(actor, f, e));
                  break;
                case OrMapKind::kUnset: break;
              }
            }
            return delta;
          },
          [&](const PnCounter& c) -> AnyCrdt {
            if (auto* into = std::get_if<PnCounter>(&state)) {
              int64_t v = c.Value();
              return v < 0 ? into->Decrement(actor, uint64_t{0} - static_cast<uint64_t>(v))
                           : into->Increment(actor, static_cast<uint64_t>(v));
            }
            return WriteText(state, source, actor, now);
          },
          [&](const SortedSet& s) -> AnyCrdt {
            SortedSet& into = std::get<SortedSet>(state);
            SortedSet delta;
            s.Visit(0, s.size(), false, [&](const SortedSet::Entry& e) {
              delta.Join(into.Assign(actor, e.member, now, e.score));
              return true;
            });
            return delta;
          },
          [&](const LwwRegister&) -> AnyCrdt { return WriteText(state, source, actor, now); },
          [&](const RedisString&) -> AnyCrdt { return WriteText(state, source, actor, now); },
      },
      source);
}

}  // namespace

bool CanCopyInto(const AnyCrdt& state, const AnyCrdt& source) {
  if (IsStringFamily(state) && IsStringFamily(source)) return true;
  if (TypeOf(state) != TypeOf(source)) return false;
  const auto* a = std::get_if<OrMap>(&state);
  const auto* b = std::get_if<OrMap>(&source);
  return a == nullptr || a->kind() == OrMapKind::kUnset || b->kind() == OrMapKind::kUnset || a->kind() == b->kind();
}

Result<AnyCrdt> ReplaceByCopy(AnyCrdt& state, const AnyCrdt& source, ActorId actor, HlcTimestamp clock_now) {
  assert(CanCopyInto(state, source) && actor != 0);
  if (std::string why = Unwritable(source); !why.empty()) return InvalidArgument(why);
  if (std::holds_alternative<GCounter>(state) && HasValue(state)) {
    return InvalidArgument("a grow-only counter cannot be overwritten");
  }
  std::optional<AnyCrdt> cleared;
  if (HasValue(state)) {
    Result<AnyCrdt> c = ClearCrdt(state, actor, clock_now);
    if (!c.ok()) return c.status();
    cleared = std::move(c).value();
  }
  AnyCrdt written = WriteAfresh(state, source, actor, clock_now);
  if (!cleared) return written;
  JoinAnyType(*cleared, written);  // a counter's reset joins the string it became
  return std::move(*cleared);
}

size_t LargestCopyUnit(const AnyCrdt& source) {
  return std::visit(
      Overloaded{
          [](const GCounter&) -> size_t { return 0; },
          [](const PnCounter&) -> size_t { return 0; },
          [](const EwFlag&) -> size_t { return 0; },
          [](const LwwRegister& r) -> size_t { return r.Value() ? r.Value()->size() : 0; },
          [](const RedisString& r) -> size_t { return r.Value() ? r.Value()->size() : 0; },
          [](const MvRegister& r) -> size_t {
            size_t n = 0;
            for (const std::string& v : r.Values()) n = std::max(n, v.size());
            return n;
          },
          [](const OrSet& s) -> size_t {
            size_t n = 0;
            for (const std::string& e : s.Elements()) n = std::max(n, e.size());
            return n;
          },
          [](const SortedSet& s) -> size_t {
            size_t n = 0;
            s.Visit(0, s.size(), false, [&](const SortedSet::Entry& e) {
              n = std::max(n, e.member.size() + sizeof(double));
              return true;
            });
            return n;
          },
          [](const OrMap& m) -> size_t {
            size_t n = 0;
            for (const std::string& f : m.Keys()) {
              if (m.kind() == OrMapKind::kRegister) {
                n = std::max(n, f.size() + m.Register(f).value_or("").size());
              } else {
                size_t largest = 0;
                for (const std::string& v : m.Values(f)) largest = std::max(largest, v.size());
                n = std::max(n, f.size() + largest);
              }
            }
            return n;
          },
      },
      source);
}

}  // namespace regionsync

// EwFlag: enable-wins flag. Enable and Disable each undo what they have
// seen; when an enable and a disable are concurrent, the flag is enabled.
// A flag that was never enabled is disabled.
//
//   EwFlag a, b;
//   b.Join(a.Enable(actor_a));
//   EwFlag dd = b.Disable();          // concurrent with:
//   EwFlag de = a.Enable(actor_a);
//   a.Join(dd); b.Join(de);           // both Enabled()
#pragma once

#include <string>
#include <string_view>

#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"
#include "regionsync/crdt/dot_context.h"
#include "regionsync/crdt/dot_fun.h"

namespace regionsync {
namespace pb {
class EwFlag;
}

class EwFlag {
 public:
  static constexpr CrdtType kType = pb::EW_FLAG;

  // Enables the flag at replica `actor`. Returns the delta: one new dot,
  // with a context of that dot and every dot it replaces.
  // REQUIRES: actor != 0.
  EwFlag Enable(ActorId actor);
  // Disables the flag. Returns the delta: no dots, the context of every dot
  // it removes. Concurrent enables survive it.
  EwFlag Disable();

  bool Enabled() const { return !store_.empty(); }

  // Returns true iff Enabled() changed.
  bool Join(const EwFlag& other);

  const DotContext& context() const { return context_; }

  std::string Encode() const;
  // InvalidArgument on malformed, non-canonical or hostile input.
  static Result<EwFlag> Decode(std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);
  std::string ToJson() const;

  bool operator==(const EwFlag&) const = default;

 private:
  // No payload: the store is a set of dots.
  struct Unit {
    auto operator<=>(const Unit&) const = default;
  };
  void ToProto(pb::EwFlag* out) const;

  DotFun<Unit> store_;
  DotContext context_;
};

static_assert(Crdt<EwFlag>);

}  // namespace regionsync

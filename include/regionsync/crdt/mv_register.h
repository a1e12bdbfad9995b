// MvRegister: multi-value register. An assignment replaces every value it has
// seen; assignments that did not see each other are all kept, and a reader
// sees every concurrent value (sorted, distinct) until a later assignment
// that saw them replaces them. No timestamps: order is causality only.
//
//   MvRegister a, b;
//   MvRegister da = a.Assign(actor_a, "x");
//   MvRegister db = b.Assign(actor_b, "y");   // concurrent with "x"
//   a.Join(db);                                // a.Values() == {"x", "y"}
//   b.Join(a.Assign(actor_a, "z"));            // b.Values() == {"z"}
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "regionsync/common/status.h"
#include "regionsync/crdt/crdt.h"
#include "regionsync/crdt/dot_context.h"
#include "regionsync/crdt/dot_fun.h"

namespace regionsync {
namespace pb {
class MvRegister;
}

class MvRegister {
 public:
  static constexpr CrdtType kType = pb::MV_REGISTER;

  // Sets the register to `value` at replica `actor`, replacing every value
  // this state holds. Returns the delta: the new dot -> value, with a
  // context of the new dot and every replaced dot.
  // REQUIRES: actor != 0.
  MvRegister Assign(ActorId actor, std::string value);
  // Observed remove of every value: the register reads empty until a later
  // or concurrent Assign. Returns the delta (no values; context = the
  // removed dots).
  MvRegister Clear();

  // Distinct current values, sorted bytewise. Empty if never assigned.
  std::vector<std::string> Values() const;

  // Returns true iff Values() changed.
  bool Join(const MvRegister& other);

  const DotContext& context() const { return context_; }
  const DotFun<std::string>& store() const { return store_; }

  std::string Encode() const;
  // InvalidArgument on malformed, non-canonical or hostile input.
  static Result<MvRegister> Decode(std::string_view bytes, size_t max_bytes = kMaxEncodedStateBytes);
  std::string ToJson() const;

  bool operator==(const MvRegister&) const = default;

 private:
  void ToProto(pb::MvRegister* out) const;

  DotFun<std::string> store_;
  DotContext context_;
};

static_assert(Crdt<MvRegister>);

}  // namespace regionsync

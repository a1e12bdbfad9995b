// Test support: maps three random ints to an OrMap mutator of one kind, for
// the RapidCheck histories in causal_test_history.h.
#pragma once

#include <string>

#include "regionsync/crdt/or_map.h"

namespace regionsync::causal_test {

inline OrMap MutateOrMap(OrMapKind kind, OrMap& m, ActorId actor, int a, int b, int c) {
  static const char* kKeys[] = {"a", "b", "user:1"};
  static const char* kValues[] = {"", "x", "y"};
  const char* key = kKeys[a % 3];
  if (b % 5 == 4) return m.Remove(key);
  switch (kind) {
    case OrMapKind::kRegister: {
      // A Redis hash: counter fields (HINCRBY) beside LWW writes, with
      // integer bases the increments add to and text bases they do not.
      if (b % 5 == 3) return m.IncrementRegister(actor, key, c % 7 - 3);
      // HEXPIRE / HPERSIST (few timestamps, so concurrent ones tie), and a
      // write after the field expired (its next incarnation).
      if (b % 5 == 2 && c % 3 == 0) return m.SetFieldExpiry(actor, key, static_cast<HlcTimestamp>(c % 4), c % 2 * 1000);
      if (b % 5 == 2 && c % 3 == 1) m.NextFieldIncarnation(key);
      static const char* kBases[] = {"", "x", "7"};
      // Few timestamps, so ties between concurrent writes are common.
      return m.Assign(actor, key, static_cast<HlcTimestamp>(c % 4), kBases[c % 3]);
    }
    case OrMapKind::kMvRegister:
      return m.Assign(actor, key, 0, kValues[c % 3]);
    case OrMapKind::kFlag:
      return b % 2 == 0 ? m.Enable(actor, key) : m.Disable(key);
    case OrMapKind::kCounter:
      return m.Increment(actor, key, c % 7 - 3);
    case OrMapKind::kSet:
      return b % 2 == 0 ? m.AddElement(actor, key, kValues[c % 3]) : m.RemoveElement(key, kValues[c % 3]);
    case OrMapKind::kUnset:
      break;
  }
  return m.Remove(key);
}

template <OrMapKind kKind>
OrMap MutateKind(OrMap& m, ActorId actor, int a, int b, int c) {
  return MutateOrMap(kKind, m, actor, a, b, c);
}

}  // namespace regionsync::causal_test

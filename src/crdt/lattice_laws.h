// Test support: the properties every CRDT's join must have, for RapidCheck
// properties of any type with Join (returning whether it changed) and Encode.
//
//   RC_GTEST_PROP(GCounterLaws, JoinIsASemilattice, ()) {
//     lattice_laws::CheckLatticeLaws(*GenCounter(), *GenCounter(), *GenCounter());
//   }
#pragma once

#include <rapidcheck.h>

namespace regionsync::lattice_laws {

template <typename T>
T Joined(T a, const T& b) {
  a.Join(b);
  return a;
}

// Join is commutative, associative and idempotent, compared by encoding; a
// duplicate changes nothing and says so.
template <typename T>
void CheckLatticeLaws(const T& x, const T& y, const T& z) {
  RC_ASSERT(Joined(x, y).Encode() == Joined(y, x).Encode());
  RC_ASSERT(Joined(Joined(x, y), z).Encode() == Joined(x, Joined(y, z)).Encode());
  RC_ASSERT(Joined(x, x).Encode() == x.Encode());
  T again = x;
  RC_ASSERT(!again.Join(x));
}

}  // namespace regionsync::lattice_laws

// KeyState: a key's whole state, its value of any type and its lifetime
// (lifetime.h), and their join, lexicographic on (incarnation, (expiry,
// value)): a greater incarnation replaces the state whole.
//
//   KeyState state, delta;
//   JoinKeyState(state, delta).changed;
#pragma once

#include "regionsync/crdt/any_crdt.h"
#include "regionsync/crdt/lifetime.h"

namespace regionsync {

// A key's whole state: its value and its lifetime.
struct KeyState {
  AnyCrdt value;
  Lifetime life;
};

// Joins `delta` into `state`: a lesser incarnation changes nothing, a
// greater one replaces the state whole (value and lifetime), the same one
// joins the expiry and the value (JoinAnyType). `changed` is true when the
// value, its type or its expiry changed.
TypedJoin JoinKeyState(AnyCrdt& value, Lifetime& life, const AnyCrdt& delta, const Lifetime& delta_life);
inline TypedJoin JoinKeyState(KeyState& state, const KeyState& delta) {
  return JoinKeyState(state.value, state.life, delta.value, delta.life);
}

}  // namespace regionsync

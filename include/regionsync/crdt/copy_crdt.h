// Copying a value from one key to another as a fresh write (COPY, RENAME).
//
// A key's CRDT state cannot be copied verbatim to another key: its dots,
// timestamps and per-actor counts belong to the source key's causal history,
// and in the destination they would meet removes and context that were made
// for other dots (another region's DEL of the destination, or that region's
// own next dots, which the copied context may already claim). Instead the
// copy is what a client writing the same value here would make: a new write
// of this replica, with new dots.
//
//   Result<AnyCrdt> delta = ReplaceByCopy(dest_state, source_state, actor, clock.Now());
//   // dest_state now reads as source_state; publish *delta as the destination's write
//
// Every type has its case in ReplaceByCopy (copy_crdt.cc): a new CRDT type
// adds one there, and the compiler refuses to build until it does.
#pragma once

#include <cstddef>

#include "regionsync/common/status.h"
#include "regionsync/crdt/any_crdt.h"

namespace regionsync {

// True when ReplaceByCopy can write `source`'s value into a key holding
// `state`: the same type (maps: the same kind, or an unset one), or both in
// the string family (a register, a counter or a string: the copy becomes
// the destination's type, a string when the destination is a counter and
// the source is not).
bool CanCopyInto(const AnyCrdt& state, const AnyCrdt& source);

// Replaces what `state` reads as by what `source` reads as, applied to
// `state`, and returns the delta: an observed remove of `state`'s value
// (ClearCrdt, as DEL does), joined with `source`'s value written afresh by
// `actor`:
//   - strings and registers: a SET of the text; counters (source and
//     destination both PN counters): an increment by the value; a grow-only
//     counter: an increment by the value;
//   - sets: an add of every element;
//   - maps: every field written by the map's kind (assigned, incremented,
//     enabled, or each element added);
//   - flags: an enable; multi-value registers: an assign of the value;
//   - sorted sets: an assign (ZADD) of every member's score.
// Nothing of `source`'s dots, timestamps or other actors' counts is reused.
// InvalidArgument (and `state` unchanged) when the value cannot be written
// by one actor: a multi-value register (or a map field of one) holding
// concurrent values, or a grow-only counter destination with a value, which
// cannot be cleared. REQUIRES: CanCopyInto(state, source), actor != 0.
Result<AnyCrdt> ReplaceByCopy(AnyCrdt& state, const AnyCrdt& source, ActorId actor, HlcTimestamp clock_now);

// The largest part of `source`'s value that a write copies whole (a
// register's value, a set element, a map field with its value or element, a
// sorted set's member with its 8-byte score),
// without the key: what Replica::CheckWriteSize counts as the unit.
size_t LargestCopyUnit(const AnyCrdt& source);

}  // namespace regionsync

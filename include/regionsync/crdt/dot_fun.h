// DotFun<Payload>: the dot store shared by the causal CRDTs (MvRegister,
// EwFlag, OrMap). A map Dot -> Payload in which each dot's payload is fixed
// when the dot is created. A DotFun never holds its own causal context: the
// owning CRDT keeps one DotContext (an OrMap shares one among all its keys)
// and passes it to Join.
//
// The join rule (Almeida, Shoker, Baquero 2018), for (s, c) and (s', c'):
//   keep the dots in both stores, the dots of s not in c' (the other side
//   has not seen them), and the dots of s' not in c (we have not seen them).
// A dot that one side has seen but no longer holds was removed there.
//
//   DotFun<std::string> mine, theirs;
//   mine.Insert(dot, "v");
//   mine.Join(theirs, my_context, their_context);   // then join the contexts
#pragma once

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

#include "regionsync/crdt/dot.h"
#include "regionsync/crdt/dot_context.h"

namespace regionsync {

template <typename Payload>
class DotFun {
 public:
  struct Entry {
    Dot dot;
    Payload payload;
    bool operator==(const Entry&) const = default;
  };

  // Sorted by dot. A small sorted vector: stores hold a few dots in the
  // common case, and ordered iteration gives canonical encodings for free.
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

  const Payload* Find(const Dot& dot) const {
    auto it = LowerBound(dot);
    return (it != entries_.end() && it->dot == dot) ? &it->payload : nullptr;
  }
  bool Contains(const Dot& dot) const { return Find(dot) != nullptr; }

  // REQUIRES: `dot` is not in the store.
  void Insert(const Dot& dot, Payload payload) {
    auto it = LowerBound(dot);
    assert(it == entries_.end() || it->dot != dot);
    entries_.insert(it, Entry{dot, std::move(payload)});
  }
  // Returns true if the dot was present.
  bool Erase(const Dot& dot) {
    auto it = LowerBound(dot);
    if (it == entries_.end() || it->dot != dot) return false;
    entries_.erase(it);
    return true;
  }
  void Clear() { entries_.clear(); }
  void Reserve(size_t n) { entries_.reserve(n); }

  // Adds every dot of the store to `ctx`.
  void AddDotsTo(DotContext* ctx) const {
    for (const Entry& e : entries_) ctx->Insert(e.dot);
  }

  // Joins `other` into this store by the rule above. `self_ctx` is the
  // context this store lives under, `other_ctx` the one `other` lives under;
  // neither is modified (the caller joins contexts once all stores sharing
  // them are joined). on_remove(dot) / on_add(dot) are called per dot that
  // leaves / enters this store, so owners can keep indexes. Returns true iff
  // the store changed.
  //
  // Two stores holding one dot with different payloads cannot come from
  // valid histories; keeping the greater payload keeps the join a
  // deterministic semilattice even then.
  template <typename OnRemove, typename OnAdd>
  bool Join(const DotFun& other, const DotContext& self_ctx, const DotContext& other_ctx,
            OnRemove&& on_remove, OnAdd&& on_add) {
    std::vector<Entry> out;
    out.reserve(entries_.size() + other.entries_.size());
    bool changed = false;
    auto a = entries_.begin();
    auto b = other.entries_.begin();
    while (a != entries_.end() || b != other.entries_.end()) {
      if (b == other.entries_.end() || (a != entries_.end() && a->dot < b->dot)) {
        if (other_ctx.Contains(a->dot)) {
          on_remove(a->dot);
          changed = true;
        } else {
          out.push_back(std::move(*a));
        }
        ++a;
      } else if (a == entries_.end() || b->dot < a->dot) {
        if (!self_ctx.Contains(b->dot)) {
          on_add(b->dot);
          out.push_back(*b);
          changed = true;
        }
        ++b;
      } else {
        if (b->payload > a->payload) {
          a->payload = b->payload;
          changed = true;
        }
        out.push_back(std::move(*a));
        ++a;
        ++b;
      }
    }
    entries_ = std::move(out);
    return changed;
  }
  bool Join(const DotFun& other, const DotContext& self_ctx, const DotContext& other_ctx) {
    return Join(other, self_ctx, other_ctx, [](const Dot&) {}, [](const Dot&) {});
  }

  bool operator==(const DotFun&) const = default;

 private:
  typename std::vector<Entry>::iterator LowerBound(const Dot& dot) {
    return std::lower_bound(entries_.begin(), entries_.end(), dot,
                            [](const Entry& e, const Dot& d) { return e.dot < d; });
  }
  typename std::vector<Entry>::const_iterator LowerBound(const Dot& dot) const {
    return std::lower_bound(entries_.begin(), entries_.end(), dot,
                            [](const Entry& e, const Dot& d) { return e.dot < d; });
  }

  std::vector<Entry> entries_;
};

}  // namespace regionsync

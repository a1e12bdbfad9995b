// OrSet against the add-wins specification. A reference model records every
// add and remove as an event with a vector clock; an element is present at a
// replica iff some add of it that the replica has received is not causally
// before a remove of it that the replica has received. Deltas travel with
// causal delivery (a replica receives an event only after everything that
// event depends on; duplicates allowed) and full states join at random: the
// setting in which the add-wins specification is stated.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "regionsync/crdt/or_set.h"

namespace regionsync {
namespace {

const std::vector<std::string> kElements = {"x", "y", "z"};

using Clock = std::vector<int>;

bool HappenedBefore(const Clock& a, const Clock& b) {
  bool strictly = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

struct Event {
  int origin;
  bool add;
  std::string element;
  Clock clock;
  OrSet delta;
};

struct Replica {
  OrSet state;
  Clock clock;            // events of each origin received (own included)
  std::set<int> received;  // event ids
};

class Model {
 public:
  explicit Model(int n) : replicas_(n) {
    for (Replica& r : replicas_) r.clock.assign(n, 0);
  }

  void Mutate(int r, bool add, const std::string& element) {
    Replica& me = replicas_[r];
    me.clock[r]++;
    OrSet delta = add ? me.state.Add(ActorOf(r), element) : me.state.Remove(element);
    me.received.insert(static_cast<int>(events_.size()));
    events_.push_back(Event{r, add, element, me.clock, std::move(delta)});
  }

  // Events `r` may receive now (received ones again, as duplicates).
  std::vector<int> Deliverable(int r) const {
    std::vector<int> out;
    const Replica& me = replicas_[r];
    for (size_t id = 0; id < events_.size(); ++id) {
      const Event& e = events_[id];
      bool ok = true;
      for (size_t k = 0; k < e.clock.size() && ok; ++k) {
        const int allowed = me.clock[k] + (static_cast<int>(k) == e.origin ? 1 : 0);
        ok = e.clock[k] <= allowed;
      }
      if (ok) out.push_back(static_cast<int>(id));
    }
    return out;
  }

  void Deliver(int r, int id) {
    Replica& me = replicas_[r];
    me.state.Join(events_[id].delta);
    me.received.insert(id);
    Merge(me.clock, events_[id].clock);
  }

  void JoinState(int r, int from) {
    if (r == from) return;
    Replica& me = replicas_[r];
    const Replica& other = replicas_[from];
    me.state.Join(other.state);
    me.received.insert(other.received.begin(), other.received.end());
    Merge(me.clock, other.clock);
  }

  // The add-wins specification over what `r` has received.
  std::vector<std::string> Expected(int r) const {
    std::set<std::string> present;
    const auto& got = replicas_[r].received;
    for (int a : got) {
      const Event& add = events_[a];
      if (!add.add) continue;
      bool removed = false;
      for (int x : got) {
        const Event& rm = events_[x];
        if (!rm.add && rm.element == add.element && HappenedBefore(add.clock, rm.clock)) {
          removed = true;
          break;
        }
      }
      if (!removed) present.insert(add.element);
    }
    return {present.begin(), present.end()};
  }

  void DeliverEverything() {
    for (bool progress = true; progress;) {
      progress = false;
      for (size_t r = 0; r < replicas_.size(); ++r) {
        for (int id : Deliverable(static_cast<int>(r))) {
          if (replicas_[r].received.count(id)) continue;
          Deliver(static_cast<int>(r), id);
          progress = true;
        }
      }
    }
  }

  const OrSet& state(int r) const { return replicas_[r].state; }
  int size() const { return static_cast<int>(replicas_.size()); }

 private:
  static ActorId ActorOf(int r) { return 0x5000 + static_cast<ActorId>(r) * 0x9E3779B97F4A7C15ULL; }
  static void Merge(Clock& into, const Clock& from) {
    for (size_t i = 0; i < into.size(); ++i) into[i] = std::max(into[i], from[i]);
  }

  std::vector<Replica> replicas_;
  std::vector<Event> events_;
};

RC_GTEST_PROP(OrSetModel, ValueMatchesAddWinsSpecification, ()) {
  const int n = *rc::gen::inRange(2, 5);
  const auto steps = *rc::gen::container<std::vector<std::tuple<int, int, int>>>(
      rc::gen::tuple(rc::gen::inRange(0, n), rc::gen::inRange(0, 8), rc::gen::inRange(0, 1000)));
  Model model(n);
  for (const auto& [r, kind, arg] : steps) {
    switch (kind) {
      case 0:
      case 1:
        model.Mutate(r, true, kElements[arg % kElements.size()]);
        break;
      case 2:
      case 3:
        model.Mutate(r, false, kElements[arg % kElements.size()]);
        break;
      case 4:
      case 5:
      case 6: {
        const std::vector<int> ids = model.Deliverable(r);
        if (!ids.empty()) model.Deliver(r, ids[arg % ids.size()]);
        break;
      }
      case 7:
        model.JoinState(r, arg % n);
        break;
    }
    RC_ASSERT(model.state(r).Elements() == model.Expected(r));
  }
  for (int r = 0; r < n; ++r) RC_ASSERT(model.state(r).Elements() == model.Expected(r));
  model.DeliverEverything();
  for (int r = 0; r < n; ++r) {
    RC_ASSERT(model.state(r).Elements() == model.Expected(r));
    RC_ASSERT(model.state(r).Encode() == model.state(0).Encode());
  }
}

}  // namespace
}  // namespace regionsync

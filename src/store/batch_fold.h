// BatchFold: folds a run of store batches, in commit order, into the one
// batch whose Commit does what committing each of them in turn does. The
// log store folds its logged records this way before applying them to the
// inner store (background apply, replay at open). Internal to src/store.
//
// Keys go into hash tables while folding, so each record's key costs a
// probe or two however many keys came before it; Take() sorts the keys
// once and hands them over as the StoreBatch's ordered maps.
//
//   BatchFold fold;
//   for (StoreBatch& b : batches) fold.Add(std::move(b));
//   StoreBatch merged = fold.Take();
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "regionsync/store/store.h"

namespace regionsync {

class BatchFold {
 public:
  // Committing the fold so far and then `later` == committing the fold after
  // Add(later). Moves the keys and values out of `later`.
  void Add(StoreBatch&& later);
  // The folded batch; the fold is empty again afterwards.
  StoreBatch Take();
  bool empty() const {
    return !only_ && !meta_ && put_state_.empty() && delete_state_.empty() && append_delta_.empty() &&
           put_outbox_.empty() && delete_outbox_generations_.empty();
  }

 private:
  void Fold(StoreBatch&& later);

  // The first batch of an empty fold, kept as it is until a second one
  // comes (a replay of one big record costs nothing to fold).
  std::optional<StoreBatch> only_;
  std::optional<StoreMeta> meta_;
  absl::flat_hash_map<std::string, StoredValue> put_state_;
  absl::flat_hash_set<std::string> delete_state_;
  absl::flat_hash_map<std::string, std::vector<StoredValue>> append_delta_;
  // generation -> key -> outbox row
  absl::flat_hash_map<uint64_t, absl::flat_hash_map<std::string, StoredValue>> put_outbox_;
  std::set<uint64_t> delete_outbox_generations_;
};

}  // namespace regionsync

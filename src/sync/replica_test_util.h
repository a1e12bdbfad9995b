// Test support for the Replica tests that run two replicas side by side:
// open one on a store, and ship one's unpublished deltas to the other as the
// publisher and subscriber would (without a broker).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "regionsync/sync/replica.h"

namespace regionsync::testing_util {

inline std::unique_ptr<Replica> OpenReplica(Env* env, const std::string& name, Store* store,
                                            ReplicaOptions options = {}) {
  Result<std::unique_ptr<Replica>> r = Replica::Open(name, env, store, std::move(options));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

// Delivers everything `from` has not published yet to `to`.
inline void Ship(Replica& from, Replica& to) {
  Replica::Outgoing out = std::move(from.SealOutbox()).value();
  for (const auto& [key, delta, life] : out.deltas) {
    ASSERT_TRUE(to.ApplyRemote(key, delta, from.id().name(), life).ok());
  }
  from.ConfirmPublished(out.generation);
}

}  // namespace regionsync::testing_util

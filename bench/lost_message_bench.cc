// What one lost message costs to repair, at a large keyspace (issue #14):
// two replicas over the in-process broker in virtual time hold N keys; one
// write's message is lost to the second replica; the bench reports the
// virtual time until it holds the write, the repair bytes published, the
// bucket states sent, and the wall time the repair took to simulate.
//
//   build/bin/lost_message_bench [keys, default 1000000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "regionsync/sim/sim_cluster.h"

using namespace regionsync;

namespace {

long RssMiB() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  long kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  const long keys = argc > 1 ? std::atol(argv[1]) : 1'000'000;
  SimCluster c(1, {"us-east-1/a", "eu-west-1/a"});
  c.RunFor(5'000'000);  // past the first (catching-up) digests
  for (long k = 0; k < keys;) {
    {
      std::lock_guard lock(c.node(0).mutex());
      for (long end = std::min(keys, k + 20'000); k < end; ++k) {
        if (!c.node(0).replica().Increment("key:" + std::to_string(k), 1).ok()) return 1;
      }
    }
    c.RunFor(60'000);
  }
  if (!c.RunUntilConverged(600'000'000)) {
    std::fprintf(stderr, "did not converge after loading\n");
    return 1;
  }
  c.RunFor(5'000'000);
  const SimCluster::Traffic before = c.traffic();
  const uint64_t states_before = c.node(0).anti_entropy().stats().states_sent;
  c.network().Partition({{"us-east-1/a"}, {"eu-west-1/a"}});
  {
    std::lock_guard lock(c.node(0).mutex());
    if (!c.node(0).replica().Increment("lost", 1).ok()) return 1;
  }
  c.RunFor(60'000);  // the flush: its message does not reach eu-west-1
  c.network().Heal();
  const uint64_t start = c.env().MonotonicMicros();
  const auto wall_start = std::chrono::steady_clock::now();
  while (c.node(1).replica().Find("lost") == nullptr) c.RunFor(10'000);
  const double repaired_after = (c.env().MonotonicMicros() - start) / 1e6;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const SimCluster::Traffic after = c.traffic();
  std::printf(
      "keys %ld: one lost message repaired after %.2f s (virtual; gap grace 1 s, anti-entropy interval 1 s), "
      "repair bytes %llu, bucket states sent %llu, messages resent %llu; simulated in %.3f s wall; RSS %ld MiB "
      "(both replicas)\n",
      keys, repaired_after, static_cast<unsigned long long>(after.repair_bytes - before.repair_bytes),
      static_cast<unsigned long long>(c.node(0).anti_entropy().stats().states_sent - states_before),
      static_cast<unsigned long long>(c.node(0).publisher().stats().resent), wall, RssMiB());
  return 0;
}

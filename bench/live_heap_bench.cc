// Live heap bytes per item of the keyspace, apart from the allocator's
// overhead and fragmentation that RSS adds (keyspace_bench.py --only memory):
// a Replica on the daemon's store (log over SQLite, background apply off)
// is loaded as keyspace_bench loads the daemon, with the outbox published
// and everything committed; reported per item: glibc mallinfo2's in-use
// bytes (main arena and mmapped blocks) after minus before, and the
// process's RSS after minus before (which also holds a big set's tables:
// they are mapped directly, see or_set.h's AllocateTable).
//
//   build/bin/live_heap_bench [string|set|hash ...]   (default: all three)
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "bench_store.h"
#include "regionsync/common/env.h"
#include "regionsync/sync/replica.h"

namespace regionsync {
namespace {

size_t Rss() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

size_t InUse() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

void Publish(Replica& r) {
  Result<Replica::Outgoing> out = r.SealOutbox();
  if (out.ok() && out->generation != 0) r.ConfirmPublished(out->generation);
}

int Run(const std::string& what) {
  SimEnv env(1);
  BenchDir dir("live_heap");
  Result<std::unique_ptr<LogStore>> store = OpenDaemonStore(dir.path(), /*background_apply=*/false);
  if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
  Result<std::unique_ptr<Replica>> opened = Replica::Open("us-east-1/a", &env, store->get());
  if (!opened.ok()) return std::fprintf(stderr, "%s\n", opened.status().ToString().c_str()), 1;
  Replica& r = **opened;
  r.TrackBuckets(64);
  const size_t items = what == "hash" ? 100'000 : 1'000'000;
  const size_t before = InUse(), rss_before = Rss();
  char name[32];
  for (size_t i = 0; i < items; ++i) {
    Status s;
    if (what == "string") {
      std::snprintf(name, sizeof name, "key:%07zu", i);
      s = r.Set(name, "value-" + std::to_string(1'000'000'000 + i), std::nullopt, pb::STRING);
    } else if (what == "set") {
      std::snprintf(name, sizeof name, "member:%07zu", i);
      std::string_view member[] = {name};
      s = r.AddAll("bigset", member).status();
    } else {
      std::snprintf(name, sizeof name, "hash:%06zu", i);
      for (int f = 0; f < 10 && s.ok(); ++f) {
        s = r.MapSet(name, "f" + std::to_string(f), "value-000000000" + std::to_string(f));
      }
    }
    if (!s.ok()) return std::fprintf(stderr, "write: %s\n", s.ToString().c_str()), 1;
    if (i % 1000 == 999) Publish(r);
  }
  Publish(r);
  if (Status s = r.Commit(); !s.ok()) return std::fprintf(stderr, "commit: %s\n", s.ToString().c_str()), 1;
  std::printf("| %s | %zu | %.0f | %.0f |\n", what.c_str(), items, double(InUse() - before) / double(items),
              double(Rss() - rss_before) / double(items));
  return 0;
}

}  // namespace
}  // namespace regionsync

int main(int argc, char** argv) {
  std::vector<std::string> which(argv + 1, argv + argc);
  if (which.empty()) which = {"string", "set", "hash"};
  std::printf("| data | items | heap in use per item | RSS per item |\n|---|---:|---:|---:|\n");
  for (const std::string& w : which) {
    if (w != "string" && w != "set" && w != "hash") {
      std::fprintf(stderr, "usage: live_heap_bench [string|set|hash ...]\n");
      return 2;
    }
    // Each in a process of its own, so one's freed memory is not the next one's.
    std::fflush(stdout);
    const pid_t child = fork();
    if (child == 0) {
      const int rc = regionsync::Run(w);
      std::fflush(stdout);
      _exit(rc);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  }
}

// How long a replica takes to open its store (restart), by key count: a
// SQLite store (as the daemon's, after its log was applied) holding N string
// keys of 16-byte values written as Redis SETs, opened by Replica::Open;
// then the same with the last 10 % of the keys still in the write-ahead log
// (a restart after kill -9 replays them first). Reported: seconds to open,
// per 1 M keys.
//
//   build/bin/restore_bench [keys ...]      (default: 1000000)
//   build/bin/restore_bench --keep N        writes N keys, keeps the directory
//   build/bin/restore_bench --open DIR N    only opens it (e.g. under perf)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench_store.h"
#include "regionsync/common/env.h"
#include "regionsync/sync/replica.h"

namespace regionsync {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Run(size_t keys, std::string dir, bool keep) {
  const bool load = dir.empty();
  BenchDir made("restore_bench");  // removed at the end, unless kept
  if (load) {
    if (made.path().empty()) return 1;
    dir = made.path();
  }
  std::unique_ptr<Env> env = NewRealEnv();
  const size_t in_log = keys / 10;
  if (load) {
    Result<std::unique_ptr<LogStore>> store = OpenDaemonStore(dir, /*background_apply=*/false);
    if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
    auto replica = Replica::Open("us-east-1/a", env.get(), store->get());
    if (!replica.ok()) return std::fprintf(stderr, "%s\n", replica.status().ToString().c_str()), 1;
    char key[32], value[32];
    for (size_t i = 0; i < keys; ++i) {
      std::snprintf(key, sizeof key, "key:%010zu", i);
      std::snprintf(value, sizeof value, "value-%010zu", i);
      (void)(*replica)->Set(key, value, std::nullopt, pb::STRING);
      if (i % 1000 == 999) {  // as the publisher: seal the outbox, publish, confirm
        Result<Replica::Outgoing> out = (*replica)->SealOutbox();
        if (out.ok()) (*replica)->ConfirmPublished(out->generation);
      }
      if (i + 1 == keys - in_log) (void)(*store)->ApplyNow();
    }
    (void)(*replica)->Commit();
    (*store)->CrashForTesting();  // the rest stays in the log, as after kill -9
    if (keep) {
      // Opening and closing apply the log: keep a copy of it for the next --open.
      std::filesystem::create_directories(dir + "/saved");
      for (const auto& f : std::filesystem::directory_iterator(dir)) {
        if (f.is_regular_file()) std::filesystem::copy_file(f.path(), dir + "/saved/" + f.path().filename().string());
      }
      std::printf("kept %s (restore_bench --open %s %zu)\n", dir.c_str(), dir.c_str(), keys);
      made.Release();
      return 0;
    }
  } else if (std::filesystem::exists(dir + "/saved")) {
    for (const auto& f : std::filesystem::directory_iterator(dir)) {
      if (f.is_regular_file()) std::filesystem::remove(f.path());
    }
    for (const auto& f : std::filesystem::directory_iterator(dir + "/saved")) {
      std::filesystem::copy_file(f.path(), dir + "/" + f.path().filename().string());
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  Result<std::unique_ptr<LogStore>> store = OpenDaemonStore(dir, /*background_apply=*/true);
  if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
  const double replay = Seconds(t0);
  auto replica = Replica::Open("us-east-1/a", env.get(), store->get());
  const double total = Seconds(t0);
  if (!replica.ok()) return std::fprintf(stderr, "%s\n", replica.status().ToString().c_str()), 1;
  const size_t found = (*replica)->key_count();
  std::printf("| %zu | %zu | %.2f s | %.2f s | %.2f s | %s |\n", keys, in_log, replay, total,
              total * 1e6 / static_cast<double>(keys), found == keys ? "yes" : "NO");
  std::fflush(stdout);
  replica->reset();
  store->reset();
  return found == keys ? 0 : 1;
}

}  // namespace
}  // namespace regionsync

int main(int argc, char** argv) {
  std::vector<size_t> counts;
  std::string open_dir;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--keep") {
      keep = true;
    } else if (arg == "--open" && i + 1 < argc) {
      open_dir = argv[++i];
    } else {
      counts.push_back(std::strtoull(argv[i], nullptr, 10));
    }
  }
  if (counts.empty()) counts.push_back(1'000'000);
  std::printf("| keys | of them in the log | log replayed | replica open (total) | per 1 M keys | every key back |\n");
  std::printf("|---:|---:|---:|---:|---:|---|\n");
  int rc = 0;
  for (size_t n : counts) rc |= regionsync::Run(n, open_dir, keep);
  return rc;
}

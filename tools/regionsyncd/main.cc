// regionsyncd: the regionsync daemon. Parses the configuration, starts the
// replica(s) and their HTTP API, and waits for SIGTERM/SIGINT to shut down
// cleanly (no new writes, commit, flush, close). All logic lives in
// src/server; see docs/daemon.md.
#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "regionsync/server/config.h"
#include "regionsync/server/daemon.h"

namespace {

// glibc raises its mmap threshold each time a big block it mapped is freed
// (up to 32 MiB), after which the big transient buffers (a log apply's
// batch, a flush's frames) come from the heap, and what they leave behind
// stays in the process. A fixed threshold keeps mapping them, so each goes
// back to the system when freed: about a fifth less RSS for 1 M keys
// (docs/BENCHMARKS.md, "Memory and restart"). Not when the operator tunes
// the allocator through its environment.
void KeepBigBuffersMapped() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("GLIBC_TUNABLES") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
}

}  // namespace

int main(int argc, char** argv) {
  KeepBigBuffersMapped();
  regionsync::Result<regionsync::DaemonConfig> config =
      regionsync::ParseDaemonConfig(argc, argv, [](const char* name) { return std::getenv(name); });
  if (!config.ok()) {
    std::cerr << "regionsyncd: " << config.status().message() << "\n";
    return 2;
  }
  if (config->help_requested) {
    std::cout << config->help_text;
    return 0;
  }
  spdlog::set_pattern("ts=%Y-%m-%dT%H:%M:%S.%e%z level=%l %v");
  spdlog::set_level(spdlog::level::from_str(config->log_level));

  // Signals are taken synchronously by this thread only: block them before
  // any other thread exists so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-response is not fatal

  regionsync::Result<std::unique_ptr<regionsync::Daemon>> daemon = regionsync::Daemon::Start(*config);
  if (!daemon.ok()) {
    spdlog::critical("msg=\"cannot start\" error=\"{}\"", daemon.status().ToString());
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("msg=\"shutting down\" signal={}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  regionsync::Status s = (*daemon)->Shutdown();
  daemon->reset();
  spdlog::info("msg=\"stopped\" final_flush={}", s.ok() ? "ok" : s.ToString());
  return 0;
}

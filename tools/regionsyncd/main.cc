// regionsyncd: the regionsync daemon. Parses the configuration, starts the
// replica(s) and their HTTP API, and waits for SIGTERM/SIGINT to shut down
// cleanly (no new writes, commit, flush, close). All logic lives in
// src/server; see docs/daemon.md.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "regionsync/server/config.h"
#include "regionsync/server/daemon.h"

int main(int argc, char** argv) {
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

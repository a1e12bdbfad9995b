// regionsync: the command-line tool. Subcommands:
//   demo   the three-region story over the in-process broker
//   sim    the deterministic simulator over many seeds
//   aws    provision and inspect SNS topics and SQS queues
//   get, inc, dec, set, add, remove, enable, disable, keys, watch, status, presence:
//          the client of a running regionsyncd (docs/cli.md)
#include <CLI/CLI.hpp>
#include <iostream>

#include "aws_command.h"
#include "client/commands.h"
#include "regionsync/sim/demo.h"
#include "regionsync/sim/simulation.h"

namespace {

int RunSim(int replicas, uint64_t first_seed, uint64_t seeds, const std::string& fault_spec,
           uint64_t duration_ms, bool verbose, bool trace) {
  uint32_t faults = 0;
  if (!regionsync::ParseFaults(fault_spec, &faults)) {
    std::cerr << "regionsync sim: --faults must be all, none or a list of "
                 "drop,duplicate,delay,partition,outage,crash,wipe (got '"
              << fault_spec << "')\n";
    return 2;
  }
  uint64_t converged = 0, worst = 0, bytes = 0, ops = 0, delta = 0, repair = 0, digest = 0;
  std::vector<uint64_t> failed;
  for (uint64_t s = first_seed; s < first_seed + seeds; ++s) {
    regionsync::SimResult r = regionsync::RunSimulation(
        {.seed = s,
         .replicas = replicas,
         .faults = faults,
         .duration_micros = duration_ms * 1000,
         .trace = trace ? &std::cout : nullptr});
    bytes += r.bytes_published;
    delta += r.delta_bytes;
    repair += r.repair_bytes;
    digest += r.digest_bytes;
    ops += r.operations;
    if (r.ok) {
      ++converged;
      worst = std::max(worst, r.convergence_micros);
    } else {
      failed.push_back(s);
      std::cerr << "FAILED seed " << s << ": " << r.failure << "\n  replay: regionsync sim --replicas " << replicas
                << " --seed " << s << " --seeds 1 --faults " << fault_spec << "\n";
    }
    if (verbose) {
      std::cout << "seed " << s << (r.ok ? " ok" : " FAILED") << " ops " << r.operations << " converged_after_ms "
                << r.convergence_micros / 1000 << " bytes " << r.bytes_published << " (delta " << r.delta_bytes
                << ", repair " << r.repair_bytes << ", digest " << r.digest_bytes << ") trace " << std::hex
                << r.trace_hash << std::dec << "\n";
    }
  }
  std::cout << "seeds run " << seeds << ", seeds converged " << converged << ", worst convergence after heal "
            << worst / 1000 << " ms (virtual), acknowledged writes " << ops << ", bytes sent " << bytes
            << " (published: delta " << delta << ", repair " << repair << ", digest " << digest << ")\n";
  return failed.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"regionsync: active-active CRDT state across regions"};
  app.require_subcommand(1);

  uint64_t demo_seed = 1;
  CLI::App* demo = app.add_subcommand("demo", "Three regions over the in-process broker: outage, split brain, repair, presence leases");
  demo->add_option("--seed", demo_seed, "Seed of the virtual network")->capture_default_str();

  int replicas = 3;
  uint64_t seed = 1, seeds = 100, duration_ms = 20'000;
  std::string faults = "all";
  bool verbose = false, trace = false;
  CLI::App* sim = app.add_subcommand("sim", "Run the deterministic simulator; exits 1 and prints the seed on failure");
  sim->add_option("--replicas", replicas, "Replicas per run")->check(CLI::Range(2, 64))->capture_default_str();
  sim->add_option("--seed", seed, "First seed")->capture_default_str();
  sim->add_option("--seeds", seeds, "Number of seeds (runs)")->check(CLI::PositiveNumber)->capture_default_str();
  sim->add_option("--faults", faults, "all, none, or drop,duplicate,delay,partition,outage,crash,wipe")
      ->capture_default_str();
  sim->add_option("--duration-ms", duration_ms, "Virtual time with writes and faults per run")->capture_default_str();
  sim->add_flag("--verbose,-v", verbose, "One line per seed");
  sim->add_flag("--trace", trace, "Print every fault, crash and restart");

  regionsync::AddAwsCommands(app);
  regionsync::client::AddClientCommands(app);

  // Usage errors exit 2, like the client commands' other usage errors.
  if (std::optional<int> code = regionsync::client::ParseCommandLine(app, argc, argv)) return *code;
  try {
    if (*demo) return regionsync::RunDemo(std::cout, demo_seed);
    if (*sim) return RunSim(replicas, seed, seeds, faults, duration_ms, verbose, trace);
  } catch (const std::exception& e) {
    std::cerr << "regionsync: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

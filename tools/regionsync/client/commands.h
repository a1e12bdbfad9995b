// The client half of the `regionsync` tool: subcommands that talk to a running
// regionsyncd over its HTTP API (get, keys, inc, dec, set, add, remove, enable,
// disable, watch, status, and presence join|leave|list|watch). Each parses its
// flags with CLI11 and runs from the subcommand's callback; docs/cli.md is the
// user's guide. `presence join --hold` runs until SIGINT or SIGTERM: it blocks
// both in the calling thread while it holds, so run it on the thread that
// receives them (the only thread, in the tool).
//
//   CLI::App app{"regionsync"};
//   regionsync::client::AddClientCommands(app);
//   if (std::optional<int> code = regionsync::client::ParseCommandLine(app, argc, argv)) return *code;
//   // ...otherwise run the tool's other subcommands
//
// Exit codes: 0 success; 1 the daemon answered with an error (its message is
// printed) or with something unreadable; 2 the daemon could not be reached
// ("cannot reach URL: ...") or the command line is wrong.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>

namespace regionsync::client {

// Adds the client subcommands to `app`. Output goes to `out`, errors to
// `err`; both must outlive app.parse(). A failing command throws
// CLI::RuntimeError(exit code) from its callback after printing its error,
// which CLI11_PARSE and ParseCommandLine turn into the exit code silently.
void AddClientCommands(CLI::App& app, std::ostream& out = std::cout, std::ostream& err = std::cerr);

// app.parse() with the exit-code rule above: returns the code to exit with when
// parsing failed, help was shown, or a client command failed (usage errors
// give 2, not CLI11's own codes); std::nullopt when main should go on and
// run the chosen subcommand (client commands have already run by then).
std::optional<int> ParseCommandLine(CLI::App& app, int argc, const char* const* argv,
                                    std::ostream& out = std::cout, std::ostream& err = std::cerr);

}  // namespace regionsync::client

// `regionsync aws ...`: provisioning and status of the SNS/SQS layout
// (docs/aws.md).
//
//   regionsync aws provision --replicas us-east-1/a,eu-west-1/a [--topology shared] [--dry-run]
//   regionsync aws status --replicas us-east-1/a,eu-west-1/a
//
// Wiring (tools/regionsync/main.cc): AddAwsCommands(app) before parsing. The
// subcommands run from CLI11 callbacks and report failure by throwing
// CLI::RuntimeError(exit code), which CLI11_PARSE turns into the exit status.
#pragma once

#include <CLI/CLI.hpp>

namespace regionsync {

void AddAwsCommands(CLI::App& app);

}  // namespace regionsync

// Test helpers for the SNS/SQS integration tests: a fauxqs emulator started
// through scripts/lib/fauxqs.sh on a free loopback port and stopped (by pid)
// when the object dies, plus clients and provisioning against it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "regionsync/broker/snssqs/aws_client.h"
#include "regionsync/broker/snssqs/provision.h"
#include "regionsync/common/env.h"
#include "regionsync/common/status.h"

namespace regionsync {

class FauxqsProcess {
 public:
  // NotFound when node/npm are missing (the caller skips); Unavailable when
  // the emulator did not start.
  static Result<std::unique_ptr<FauxqsProcess>> Start();
  ~FauxqsProcess();

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }
  void Freeze();  // SIGSTOP
  void Thaw();    // SIGCONT

 private:
  FauxqsProcess(int port, pid_t pid) : port_(port), pid_(pid) {}
  int port_;
  pid_t pid_;
};

inline const AwsCredentials kFauxqsCredentials{"test", "test", ""};

// Provisions `spec` on the emulator (every region on the one endpoint).
Result<ProvisionResult> ProvisionOnEmulator(Env* env, const std::string& endpoint, const ProvisionSpec& spec);

}  // namespace regionsync

#include "fauxqs_fixture.h"

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "regionsync/broker/snssqs/http_client.h"

namespace regionsync {

Result<std::unique_ptr<FauxqsProcess>> FauxqsProcess::Start() {
  if (std::system("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1") != 0) {
    return NotFound("node/npm not installed (scripts/test installs them); cannot run fauxqs");
  }
  std::string log = "/tmp/regionsync-fauxqs-" + std::to_string(::getpid()) + ".log";
  std::string cmd = std::string("bash ") + REGIONSYNC_FAUXQS_SCRIPT + " start " + log;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return Unavailable("cannot run " + cmd);
  char buf[128] = {};
  std::string out;
  while (std::fgets(buf, sizeof(buf), p) != nullptr) out += buf;
  int rc = ::pclose(p);
  int port = 0;
  long pid = 0;
  std::istringstream in(out);
  if (rc != 0 || !(in >> port >> pid) || port <= 0 || pid <= 0) {
    return Unavailable("fauxqs did not start (" + cmd + " printed '" + out + "'); see " + log);
  }
  return std::unique_ptr<FauxqsProcess>(new FauxqsProcess(port, static_cast<pid_t>(pid)));
}

FauxqsProcess::~FauxqsProcess() {
  std::string cmd = std::string("bash ") + REGIONSYNC_FAUXQS_SCRIPT + " stop " + std::to_string(pid_);
  (void)std::system(cmd.c_str());
}

void FauxqsProcess::Freeze() { ::kill(pid_, SIGSTOP); }
void FauxqsProcess::Thaw() { ::kill(pid_, SIGCONT); }

Result<ProvisionResult> ProvisionOnEmulator(Env* env, const std::string& endpoint, const ProvisionSpec& spec) {
  std::unique_ptr<HttpClient> http = NewCurlHttpClient({});
  std::map<std::string, std::unique_ptr<AwsClient>> clients;
  return Provision(spec, [&](std::string_view service, std::string_view region) {
    std::string key = std::string(service) + "/" + std::string(region);
    auto& c = clients[key];
    if (!c) {
      c = std::make_unique<AwsClient>(env, http.get(), kFauxqsCredentials, MakeAwsEndpoint(service, region, endpoint),
                                      RetryPolicy{});
    }
    return c.get();
  });
}

}  // namespace regionsync

// `regionsync aws provision --dry-run` through the real CLI11 wiring (the
// command lives in tools/regionsync/aws_command.cc; this test links it).
#include <gtest/gtest.h>

#include <sstream>

#include "aws_command.h"

namespace regionsync {
namespace {

std::string RunCli(std::vector<std::string> args, int* code) {
  CLI::App app{"t"};
  AddAwsCommands(app);
  std::vector<const char*> argv{"regionsync"};
  for (auto& a : args) argv.push_back(a.c_str());
  std::stringstream out;
  std::streambuf* old = std::cout.rdbuf(out.rdbuf());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    *code = 0;
  } catch (const CLI::ParseError& e) {
    *code = e.get_exit_code();
  }
  std::cout.rdbuf(old);
  return out.str();
}

TEST(AwsCommand, DryRunPrintsThePlanAndTouchesNothing) {
  int code = -1;
  std::string out = RunCli({"aws", "provision", "--replicas", "us-east-1/a,eu-west-1/a", "--dry-run",
                         "--endpoint", "http://127.0.0.1:1"},
                        &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("sns:CreateTopic  regionsync-us-east-1"), std::string::npos) << out;
  EXPECT_NE(out.find("sns:Subscribe  regionsync-eu-west-1 -> regionsync-us-east-1-a"), std::string::npos) << out;
  EXPECT_NE(out.find("RedrivePolicy"), std::string::npos);
}

TEST(AwsCommand, BadReplicaNameFails) {
  int code = -1;
  (void)RunCli({"aws", "provision", "--replicas", "nonsense", "--dry-run"}, &code);
  EXPECT_EQ(code, 2);
}

TEST(AwsCommand, UnreachableEndpointFailsStatus) {
  int code = -1;
  (void)RunCli({"aws", "status", "--replicas", "us-east-1/a", "--endpoint", "http://127.0.0.1:1"}, &code);
  EXPECT_EQ(code, 1);
}

}  // namespace
}  // namespace regionsync

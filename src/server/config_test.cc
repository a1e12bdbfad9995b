#include "regionsync/server/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "regionsync/server/auth.h"
#include "regionsync/sync/publisher.h"

namespace regionsync {
namespace {

Result<DaemonConfig> Parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "regionsyncd");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return ParseDaemonConfig(static_cast<int>(argv.size()), argv.data(), [env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(DaemonConfig, Defaults) {
  Result<DaemonConfig> c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->broker, "inproc");
  EXPECT_EQ(c->http_port, 8080);
  EXPECT_TRUE(c->fsync.always);
  EXPECT_TRUE(c->api_tokens.empty());
  EXPECT_TRUE(c->signing_keys.empty());
}

TEST(DaemonConfig, FlagOverridesFileOverridesDefault) {
  std::string path = WriteFile("rs1.toml",
                               "[node]\nreplica_id = \"eu-west-1/b\"\n"
                               "[http]\nport = 9000\nmax_body_bytes = 4096\n"
                               "[store]\nfsync = \"every:100\"\n"
                               "[sync]\nflush_interval_ms = 20\n");
  Result<DaemonConfig> c = Parse({"--config", path, "--http-port", "9100"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->replica_id, "eu-west-1/b");
  EXPECT_EQ(c->http_port, 9100);
  EXPECT_EQ(c->max_body_bytes, 4096u);
  EXPECT_FALSE(c->fsync.always);
  EXPECT_EQ(c->fsync.interval_millis, 100u);
  EXPECT_EQ(c->flush_interval_millis, 20u);
}

TEST(DaemonConfig, RejectsUnknownKeysWrongTypesAndBadValues) {
  EXPECT_FALSE(Parse({"--config", WriteFile("rs2.toml", "[http]\nprot = 1\n")}).ok());
  EXPECT_FALSE(Parse({"--config", WriteFile("rs3.toml", "[http]\nport = \"x\"\n")}).ok());
  EXPECT_FALSE(Parse({"--config", WriteFile("rs4.toml", "not toml [")}).ok());
  EXPECT_FALSE(Parse({"--config", "/nonexistent/rs.toml"}).ok());
  EXPECT_FALSE(Parse({"--fsync", "sometimes"}).ok());
  EXPECT_FALSE(Parse({"--fsync", "every:0"}).ok());
  EXPECT_FALSE(Parse({"--replica-id", "noslash"}).ok());
  EXPECT_FALSE(Parse({"--broker", "carrier-pigeon"}).ok());
  EXPECT_FALSE(Parse({"--local-cluster", "a,a"}).ok());
  EXPECT_FALSE(Parse({"--flush-interval-ms", "0"}).ok());
  EXPECT_FALSE(Parse({"--no-such-flag"}).ok());
}

TEST(DaemonConfig, SizeLimitsDefaultToWhatTheTransportCarries) {
  Result<DaemonConfig> c = Parse({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_value_bytes, 128u * 1024);
  EXPECT_EQ(c->max_state_bytes, 16u * 1024 * 1024);
  // A small transport lowers the default value limit to what fits it.
  c = Parse({"--max-message-bytes", "8192"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_value_bytes, Publisher::MaxUnitBytes(8192));
  EXPECT_LT(c->max_value_bytes, 8192u);
  // Given explicitly, by flag or file.
  c = Parse({"--max-value-bytes", "1000", "--max-state-bytes", "50000"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_value_bytes, 1000u);
  EXPECT_EQ(c->max_state_bytes, 50000u);
  c = Parse({"--config", WriteFile("rs-limits.toml", "[limits]\nmax_value_bytes = 2000\nmax_state_bytes = 3000\n")});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_value_bytes, 2000u);
  EXPECT_EQ(c->max_state_bytes, 3000u);
}

TEST(DaemonConfig, SizeLimitsThatCouldNotBeReplicatedOrRestoredAreRefused) {
  // A value one message cannot carry: the error names both flags and the most that fits.
  Result<DaemonConfig> c = Parse({"--max-value-bytes", "300000"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("--max-value-bytes 300000"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("--max-message-bytes 262144"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find(std::to_string(Publisher::MaxUnitBytes(262144))), std::string::npos);
  // It fits once the transport allows larger messages.
  EXPECT_TRUE(Parse({"--max-value-bytes", "300000", "--max-message-bytes", "1048576"}).ok());
  // A state the decoders would refuse at restart.
  c = Parse({"--max-state-bytes", std::to_string(kMaxEncodedStateBytes + 1)});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("--max-state-bytes"), std::string::npos) << c.status().message();
  EXPECT_TRUE(Parse({"--max-state-bytes", std::to_string(kMaxEncodedStateBytes)}).ok());
  EXPECT_FALSE(Parse({"--max-state-bytes", "0"}).ok());
  EXPECT_FALSE(Parse({"--max-value-bytes", "5000", "--max-state-bytes", "4000"}).ok());
  EXPECT_FALSE(Parse({"--max-value-bytes", "-1"}).ok());
}

TEST(DaemonConfig, LocalClusterList) {
  Result<DaemonConfig> c = Parse({"--local-cluster", "us-east-1,us-west-2,eu-west-1"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->local_cluster, (std::vector<std::string>{"us-east-1", "us-west-2", "eu-west-1"}));
}

TEST(DaemonConfig, SecretsFromEnvironmentOrFiles) {
  Result<DaemonConfig> c = Parse({}, {{"REGIONSYNC_SIGNING_KEYS", "k1:0123456789abcdef"},
                                      {"REGIONSYNC_API_TOKENS", "tok-a, tok-b"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->signing_keys, "k1:0123456789abcdef");
  EXPECT_EQ(c->api_tokens, (std::vector<std::string>{"tok-a", "tok-b"}));
  std::string tokens = WriteFile("tokens", "# comment\nfile-tok\n\n");
  c = Parse({"--api-tokens-file", tokens}, {{"REGIONSYNC_API_TOKENS", "env-tok"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->api_tokens, (std::vector<std::string>{"file-tok"}));
  EXPECT_FALSE(Parse({"--signing-keys-file", "/nonexistent/keys"}).ok());
}

TEST(DaemonConfig, HelpListsEverySetting) {
  Result<DaemonConfig> c = Parse({"--help"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->help_requested);
  for (const char* flag : {"--config", "--replica-id", "--broker", "--local-cluster", "--data-dir", "--fsync",
                           "--http-port", "--auth-reads", "--log-level", "--max-value-bytes", "--max-state-bytes",
                           "REGIONSYNC_API_TOKENS"}) {
    EXPECT_NE(c->help_text.find(flag), std::string::npos) << flag;
  }
}

TEST(ApiAuth, TokensGuardWritesAndOptionallyReads) {
  ApiAuth open({}, true);
  EXPECT_TRUE(open.Allows("", true));
  ApiAuth writes({"secret-1"}, false);
  EXPECT_FALSE(writes.Allows("", true));
  EXPECT_FALSE(writes.Allows("Bearer secret-2", true));
  EXPECT_FALSE(writes.Allows("Basic secret-1", true));
  EXPECT_TRUE(writes.Allows("Bearer secret-1", true));
  EXPECT_TRUE(writes.Allows("bearer secret-1", true));
  EXPECT_TRUE(writes.Allows("", false));
  ApiAuth reads({"secret-1"}, true);
  EXPECT_FALSE(reads.Allows("", false));
  EXPECT_TRUE(reads.Allows("Bearer secret-1", false));
}

}  // namespace
}  // namespace regionsync

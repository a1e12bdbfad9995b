// DaemonConfig: every setting of regionsyncd, read from a TOML file
// (toml11) and from command-line flags (CLI11); a flag given on the command
// line overrides the file, the file overrides the built-in default. Secrets
// (HMAC signing keys, API tokens) come only from the environment or from
// files named by a setting, never from the command line itself.
//
//   Result<DaemonConfig> config = ParseDaemonConfig(argc, argv, std::getenv);
//   if (!config.ok()) { std::cerr << config.status().message(); return 2; }
//   if (config->help_requested) { std::cout << config->help_text; return 0; }
//
// The TOML keys and their flags are listed in docs/regionsync.sample.toml
// and by `regionsyncd --help`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "regionsync/common/status.h"

namespace regionsync {

// When the store makes a commit durable: on every group commit, or at most
// every `interval_millis` (a crash may then lose that window of
// acknowledged writes, as with Redis's appendfsync everysec).
struct FsyncSetting {
  bool always = true;
  uint64_t interval_millis = 0;  // used when !always
};
// Parses "always" or "every:<ms>" (ms >= 1). InvalidArgument otherwise.
Result<FsyncSetting> ParseFsyncSetting(const std::string& text);
std::string FsyncSettingName(const FsyncSetting& fsync);

struct DaemonConfig {
  // ---- Identity and transport.
  std::string replica_id = "local/a";  // "<region>/<instance>"
  std::string broker = "inproc";       // inproc | snssqs
  // Non-empty: one replica per name, all in this process over one in-process
  // broker, replica ids "<name>/a", HTTP ports http_port, http_port+1, ...
  std::vector<std::string> local_cluster;
  // --broker snssqs (credentials from the AWS environment variables or the
  // shared credentials file, see docs/aws.md).
  std::string aws_region;        // empty: $AWS_REGION / $AWS_DEFAULT_REGION / us-east-1
  std::string aws_endpoint;      // empty: the public AWS endpoints
  std::string sns_topic_arn;     // where this replica publishes
  std::string sqs_queue_url;     // this replica's queue (or sqs_queue_name)
  std::string sqs_queue_name;

  // ---- Storage.
  std::string data_dir = "./regionsync-data";
  std::string store_path;  // empty: <data_dir>/store.db (<data_dir>/<name>/store.db per cluster member)
  FsyncSetting fsync;

  // ---- HTTP.
  std::string listen_address = "127.0.0.1";
  int http_port = 8080;
  int http_threads = 16;          // worker threads per HTTP port (each SSE client holds one)
  uint64_t max_body_bytes = 1 << 20;
  uint64_t write_timeout_millis = 5'000;  // longest a write waits for its group commit
  size_t event_buffer = 10'000;   // change events kept for Last-Event-ID resumption
  bool auth_reads = false;        // also require a token for reads (writes always need one when tokens exist)

  // ---- Redis protocol (RESP2/3). 0: off. A local cluster uses resp_port, resp_port+1, ...
  int resp_port = 6380;

  // ---- Sync engine.
  uint64_t commit_interval_millis = 10;
  uint64_t flush_interval_millis = 50;
  uint64_t poll_interval_millis = 10;
  uint64_t anti_entropy_interval_millis = 1'000;
  uint64_t max_message_bytes = 256 * 1024;

  // ---- Write limits (ReplicaOptions). A write over them is refused before
  // it is acknowledged (RESP "-ERR value too large ...", HTTP 413).
  // Key + field + value of one write. 0 in the file or on the command line:
  // 128 KiB, or less if one --max-message-bytes message cannot carry that
  // (Publisher::MaxUnitBytes); the parser puts the value it chose here.
  uint64_t max_value_bytes = 0;
  // Encoded state of one key; at most kMaxEncodedStateBytes (64 MiB).
  uint64_t max_state_bytes = 16 * 1024 * 1024;
  // How long an expired key's name and lifetime are kept after its value
  // was reclaimed (ReplicaOptions::expired_retention_millis).
  uint64_t expired_retention_millis = 10 * 60 * 1000;
  // How often held presence renewals are written (PresenceOptions).
  uint64_t presence_renewal_millis = 1000;

  // ---- Logging.
  std::string log_level = "info";  // trace | debug | info | warn | error | off

  // ---- Secrets (never from flags' values themselves).
  std::string signing_keys_file;  // file holding "id:secret,..."; else $REGIONSYNC_SIGNING_KEYS
  std::string api_tokens_file;    // file of tokens, one per line or comma-separated; else $REGIONSYNC_API_TOKENS
  std::string signing_keys;       // resolved spec; empty: none configured
  std::vector<std::string> api_tokens;  // resolved tokens; empty: no auth

  // ---- Set by the parser.
  std::string config_file;
  bool help_requested = false;
  std::string help_text;
};

// Reads the environment through `getenv` (std::getenv in the daemon; a fake in
// tests). Returns InvalidArgument with a readable message for a bad flag,
// file, key or value; help_requested for --help.
Result<DaemonConfig> ParseDaemonConfig(int argc, const char* const* argv,
                                       const std::function<const char*(const char*)>& getenv);

}  // namespace regionsync

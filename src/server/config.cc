#include "regionsync/server/config.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "regionsync/common/replica_id.h"
#include "regionsync/sync/publisher.h"

namespace regionsync {
namespace {

// One setting that may come from a flag or from the file. `apply` copies the
// file's value into the config; it runs only when the flag was not given.
struct Binding {
  CLI::Option* option;
  std::string toml_key;  // "http.port"
  std::function<void(const toml::value&)> apply;
};

class Binder {
 public:
  explicit Binder(CLI::App* app) : app_(app) {}

  template <typename T>
  CLI::Option* Option(const std::string& flag, const std::string& key, T* field, const std::string& help) {
    CLI::Option* opt = app_->add_option(flag, *field, help + "  [file: " + key + "]");
    opt->capture_default_str();
    bindings_.push_back({opt, key, [field](const toml::value& v) { *field = toml::get<T>(v); }});
    return opt;
  }

  CLI::Option* Flag(const std::string& flag, const std::string& key, bool* field, const std::string& help) {
    CLI::Option* opt = app_->add_flag(flag, *field, help + "  [file: " + key + "]");
    bindings_.push_back({opt, key, [field](const toml::value& v) { *field = toml::get<bool>(v); }});
    return opt;
  }

  // Applies the file's values for every flag not given on the command line.
  Status ApplyFile(const toml::value& root) {
    std::set<std::string> known;
    for (const Binding& b : bindings_) {
      known.insert(b.toml_key);
      const toml::value* v = Lookup(root, b.toml_key);
      if (v == nullptr || b.option->count() > 0) continue;
      try {
        b.apply(*v);
      } catch (const std::exception& e) {
        return InvalidArgument("config key '" + b.toml_key + "' has the wrong type (see docs/regionsync.sample.toml)");
      }
    }
    return CheckUnknown(root, "", known);
  }

 private:
  static const toml::value* Lookup(const toml::value& root, const std::string& dotted) {
    const toml::value* v = &root;
    std::stringstream parts(dotted);
    std::string part;
    while (std::getline(parts, part, '.')) {
      if (!v->is_table()) return nullptr;
      const auto& table = v->as_table();
      auto it = table.find(part);
      if (it == table.end()) return nullptr;
      v = &it->second;
    }
    return v;
  }

  // A misspelt key would silently keep a default; refuse it instead.
  static Status CheckUnknown(const toml::value& v, const std::string& prefix, const std::set<std::string>& known) {
    if (!v.is_table()) return Status::Ok();
    for (const auto& [name, child] : v.as_table()) {
      std::string key = prefix.empty() ? name : prefix + "." + name;
      if (known.count(key)) continue;
      if (child.is_table()) {
        RS_RETURN_IF_ERROR(CheckUnknown(child, key, known));
      } else {
        return InvalidArgument("unknown config key '" + key + "'");
      }
    }
    return Status::Ok();
  }

  CLI::App* app_;
  std::vector<Binding> bindings_;
};

Result<std::string> ReadSecretFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(std::string("cannot read ") + what + " file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> SplitTokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  auto push = [&] {
    size_t b = cur.find_first_not_of(" \t\r");
    size_t e = cur.find_last_not_of(" \t\r");
    if (b != std::string::npos && cur[b] != '#') out.push_back(cur.substr(b, e - b + 1));
    cur.clear();
  };
  for (char c : text) {
    if (c == ',' || c == '\n') {
      push();
    } else {
      cur.push_back(c);
    }
  }
  push();
  return out;
}

Status Validate(DaemonConfig& c, const std::string& fsync_text) {
  Result<FsyncSetting> fsync = ParseFsyncSetting(fsync_text);
  if (!fsync.ok()) return fsync.status();
  c.fsync = *fsync;
  if (c.broker != "inproc" && c.broker != "snssqs") {
    return InvalidArgument("--broker must be inproc or snssqs (got '" + c.broker + "')");
  }
  if (c.broker == "snssqs" && (c.sns_topic_arn.empty() || (c.sqs_queue_url.empty() && c.sqs_queue_name.empty()))) {
    return InvalidArgument("--broker snssqs needs --sns-topic-arn and --sqs-queue-url (or --sqs-queue-name); "
                           "'regionsync aws provision' creates them");
  }
  if (!c.local_cluster.empty() && c.broker != "inproc") {
    return InvalidArgument("--local-cluster runs over the in-process broker; do not combine it with --broker " + c.broker);
  }
  if (c.local_cluster.empty()) {
    if (!ReplicaId::Parse(c.replica_id, 1).ok()) {
      return InvalidArgument("--replica-id must be <region>/<instance> of [a-z0-9._-] (got '" + c.replica_id + "')");
    }
  } else {
    std::set<std::string> seen;
    for (const std::string& name : c.local_cluster) {
      if (!ReplicaId::Parse(name + "/a", 1).ok() || !seen.insert(name).second) {
        return InvalidArgument("--local-cluster names must be distinct region names of [a-z0-9._-] (got '" + name + "')");
      }
    }
    if (!c.store_path.empty()) return InvalidArgument("--store-path names one replica's store; use --data-dir with --local-cluster");
  }
  size_t replicas = c.local_cluster.empty() ? 1 : c.local_cluster.size();
  if (c.http_port < 0 || c.http_port + static_cast<int>(replicas) - 1 > 65535) {
    return InvalidArgument("--http-port out of range");
  }
  if (c.http_port == 0 && replicas > 1) return InvalidArgument("--local-cluster needs a fixed --http-port");
  if (c.resp_port < 0 || c.resp_port + static_cast<int>(replicas) - 1 > 65535) {
    return InvalidArgument("--resp-port out of range");
  }
  for (auto [v, name] : {std::pair{c.commit_interval_millis, "--commit-interval-ms"},
                         {c.flush_interval_millis, "--flush-interval-ms"},
                         {c.poll_interval_millis, "--poll-interval-ms"},
                         {c.anti_entropy_interval_millis, "--anti-entropy-interval-ms"},
                         {c.write_timeout_millis, "--write-timeout-ms"},
                         {c.presence_renewal_millis, "--presence-renewal-ms"}}) {
    if (v == 0) return InvalidArgument(std::string(name) + " must be at least 1");
  }
  if (c.max_message_bytes < 4096) return InvalidArgument("--max-message-bytes must be at least 4096");
  if (c.max_state_bytes == 0 || c.max_state_bytes > kMaxEncodedStateBytes) {
    return InvalidArgument("--max-state-bytes must be 1.." + std::to_string(kMaxEncodedStateBytes) +
                           " (the largest state a replica can read back from its store); got " +
                           std::to_string(c.max_state_bytes));
  }
  // Whatever is acknowledged must fit one message (after envelope, signature
  // and base64) and one state.
  const uint64_t fits = Publisher::MaxUnitBytes(c.max_message_bytes);
  if (c.max_value_bytes == 0) {
    c.max_value_bytes = std::min<uint64_t>({kDefaultMaxValueBytes, fits, c.max_state_bytes});
  } else if (c.max_value_bytes > fits) {
    return InvalidArgument("--max-value-bytes " + std::to_string(c.max_value_bytes) +
                           " does not fit one transport message: with --max-message-bytes " +
                           std::to_string(c.max_message_bytes) + " a value can have at most " + std::to_string(fits) +
                           " bytes (key, field and value together)");
  } else if (c.max_value_bytes > c.max_state_bytes) {
    return InvalidArgument("--max-value-bytes must not be more than --max-state-bytes (" +
                           std::to_string(c.max_state_bytes) + ")");
  }
  if (c.max_body_bytes < 64) return InvalidArgument("--max-body-bytes must be at least 64");
  constexpr uint64_t kTenYearsMillis = 10ull * 365 * 24 * 3600 * 1000;
  if (c.expired_retention_millis > kTenYearsMillis) {
    return InvalidArgument("--expired-retention-ms must be at most " + std::to_string(kTenYearsMillis) + " (ten years)");
  }
  if (c.http_threads < 2) return InvalidArgument("--http-threads must be at least 2");
  if (c.event_buffer == 0) return InvalidArgument("--event-buffer must be at least 1");
  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (!kLevels.count(c.log_level)) return InvalidArgument("--log-level must be one of trace|debug|info|warn|error|off");
  return Status::Ok();
}

}  // namespace

Result<FsyncSetting> ParseFsyncSetting(const std::string& text) {
  if (text == "always") return FsyncSetting{.always = true};
  const std::string prefix = "every:";
  if (text.rfind(prefix, 0) == 0) {
    std::string ms = text.substr(prefix.size());
    if (ms.size() > 2 && ms.substr(ms.size() - 2) == "ms") ms.resize(ms.size() - 2);
    if (!ms.empty() && ms.size() <= 9 && ms.find_first_not_of("0123456789") == std::string::npos) {
      uint64_t n = std::stoull(ms);
      if (n >= 1) return FsyncSetting{.always = false, .interval_millis = n};
    }
  }
  return InvalidArgument("fsync must be 'always' or 'every:<ms>' with ms >= 1 (got '" + text + "')");
}

std::string FsyncSettingName(const FsyncSetting& fsync) {
  return fsync.always ? "always" : "every:" + std::to_string(fsync.interval_millis);
}

Result<DaemonConfig> ParseDaemonConfig(int argc, const char* const* argv,
                                       const std::function<const char*(const char*)>& getenv) {
  DaemonConfig c;
  std::string fsync_text = "always";
  CLI::App app{
      "regionsyncd: one regionsync replica (or a local cluster of them) behind an HTTP API and a Redis-protocol port.\n"
      "Every setting may be given in the TOML file named by --config; a flag overrides the file.\n"
      "Secrets are never flags: HMAC signing keys come from $REGIONSYNC_SIGNING_KEYS (\"id:secret,...\")\n"
      "or --signing-keys-file; API bearer tokens from $REGIONSYNC_API_TOKENS (\"tok1,tok2\") or\n"
      "--api-tokens-file. A file setting wins over the environment variable.",
      "regionsyncd"};
  app.get_formatter()->column_width(44);
  app.add_option("--config", c.config_file, "TOML config file (see docs/regionsync.sample.toml)");
  Binder b(&app);
  b.Option("--replica-id", "node.replica_id", &c.replica_id, "This replica's id, <region>/<instance>");
  b.Option("--broker", "node.broker", &c.broker, "Transport: inproc (this process only) or snssqs")
      ->check(CLI::IsMember({"inproc", "snssqs"}));
  b.Option("--local-cluster", "node.local_cluster", &c.local_cluster,
           "Run one replica per region name (comma list) in this process over the in-process broker; "
           "replica ids <name>/a on consecutive ports from --http-port; enables /v1/admin/*")
      ->delimiter(',');
  b.Option("--aws-region", "aws.region", &c.aws_region, "snssqs: AWS region (default $AWS_REGION, then us-east-1)");
  b.Option("--aws-endpoint", "aws.endpoint", &c.aws_endpoint, "snssqs: endpoint override (emulators, VPC endpoints)");
  b.Option("--sns-topic-arn", "aws.sns_topic_arn", &c.sns_topic_arn, "snssqs: topic this replica publishes to");
  b.Option("--sqs-queue-url", "aws.sqs_queue_url", &c.sqs_queue_url, "snssqs: this replica's queue URL");
  b.Option("--sqs-queue-name", "aws.sqs_queue_name", &c.sqs_queue_name, "snssqs: queue name (when no URL is given)");
  b.Option("--data-dir", "store.data_dir", &c.data_dir, "Data folder (a local cluster uses <data-dir>/<name>/)");
  b.Option("--store-path", "store.path", &c.store_path, "Store file (default <data-dir>/store.db)");
  b.Option("--fsync", "store.fsync", &fsync_text,
           "always: every group commit is fsynced before writes are acknowledged; every:<ms>: fsync at most "
           "every <ms> ms (a power loss may lose that window)");
  b.Option("--listen-address", "http.listen_address", &c.listen_address, "Address the HTTP API binds");
  b.Option("--http-port", "http.port", &c.http_port, "HTTP port (0: any free port, single replica only)");
  b.Option("--resp-port", "resp.port", &c.resp_port,
           "Redis-protocol port (0: off); a local cluster uses port, port+1, ...");
  b.Option("--http-threads", "http.threads", &c.http_threads, "HTTP worker threads per port; each open /v1/events stream holds one");
  b.Option("--max-body-bytes", "http.max_body_bytes", &c.max_body_bytes, "Largest request body accepted (413 beyond)");
  b.Option("--write-timeout-ms", "http.write_timeout_ms", &c.write_timeout_millis,
           "How long a write waits for its group commit before answering 503");
  b.Option("--event-buffer", "http.event_buffer", &c.event_buffer,
           "Change events kept in memory for resuming /v1/events with Last-Event-ID");
  b.Flag("--auth-reads", "http.auth_reads", &c.auth_reads, "Require a bearer token for reads too (writes always need one when tokens are configured)");
  b.Option("--commit-interval-ms", "sync.commit_interval_ms", &c.commit_interval_millis, "Group commit interval");
  b.Option("--flush-interval-ms", "sync.flush_interval_ms", &c.flush_interval_millis, "Outbox flush (publish) interval");
  b.Option("--poll-interval-ms", "sync.poll_interval_ms", &c.poll_interval_millis, "Queue poll interval");
  b.Option("--anti-entropy-interval-ms", "sync.anti_entropy_interval_ms", &c.anti_entropy_interval_millis,
           "Digest (anti-entropy) interval");
  b.Option("--max-message-bytes", "sync.max_message_bytes", &c.max_message_bytes, "Largest message handed to the transport");
  b.Option("--max-value-bytes", "limits.max_value_bytes", &c.max_value_bytes,
           "Largest key + field + value of one write (0: 131072, or what one --max-message-bytes message can "
           "carry if less); bigger writes are refused");
  b.Option("--max-state-bytes", "limits.max_state_bytes", &c.max_state_bytes,
           "Largest encoded state of one key a write may create (at most 67108864)");
  b.Option("--expired-retention-ms", "limits.expired_retention_ms", &c.expired_retention_millis,
           "How long an expired key's name and expiry stay after its value is reclaimed, so that a late write "
           "made before the expiry stays expired");
  b.Option("--presence-renewal-ms", "presence.renewal_ms", &c.presence_renewal_millis,
           "How often the presence renewals a replica received are written and sent, together");
  b.Option("--log-level", "log.level", &c.log_level, "trace|debug|info|warn|error|off");
  b.Option("--signing-keys-file", "secrets.signing_keys_file", &c.signing_keys_file,
           "File holding the HMAC signing keys \"id:secret,...\" (first is active); else $REGIONSYNC_SIGNING_KEYS");
  b.Option("--api-tokens-file", "secrets.api_tokens_file", &c.api_tokens_file,
           "File of API bearer tokens (one per line); else $REGIONSYNC_API_TOKENS");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    c.help_requested = true;
    c.help_text = app.help();
    return c;
  } catch (const CLI::ParseError& e) {
    return InvalidArgument(std::string(e.what()) + " (see regionsyncd --help)");
  }

  if (!c.config_file.empty()) {
    toml::value root;
    try {
      root = toml::parse(c.config_file);
    } catch (const std::exception& e) {
      return InvalidArgument("cannot read config '" + c.config_file + "': " + e.what());
    }
    RS_RETURN_IF_ERROR(b.ApplyFile(root));
  }
  RS_RETURN_IF_ERROR(Validate(c, fsync_text));

  if (!c.signing_keys_file.empty()) {
    Result<std::string> s = ReadSecretFile(c.signing_keys_file, "signing keys");
    if (!s.ok()) return s.status();
    c.signing_keys = *s;
  } else if (const char* env = getenv("REGIONSYNC_SIGNING_KEYS"); env != nullptr) {
    c.signing_keys = env;
  }
  std::string tokens;
  if (!c.api_tokens_file.empty()) {
    Result<std::string> s = ReadSecretFile(c.api_tokens_file, "API tokens");
    if (!s.ok()) return s.status();
    tokens = *s;
  } else if (const char* env = getenv("REGIONSYNC_API_TOKENS"); env != nullptr) {
    tokens = env;
  }
  c.api_tokens = SplitTokens(tokens);
  return c;
}

}  // namespace regionsync

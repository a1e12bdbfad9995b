#include "regionsync/server/daemon.h"

#include "regionsync/broker/snssqs/credentials.h"
#include "regionsync/broker/snssqs/snssqs_broker.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <future>
#include <set>

#include "regionsync/broker/inproc_broker.h"
#include "regionsync/server/http_api.h"
#include "regionsync/server/resp/resp_server.h"
#include "regionsync/server/store_factory.h"
#include "regionsync/sync/sync_node.h"
#include "regionsync/sync/wire/key_ring.h"

namespace regionsync {

// Declared in an order whose reverse is a safe teardown: HTTP before its
// node, nodes before their brokers and stores, all before the Env.
struct Daemon::Parts {
  struct Member {
    std::string region;  // the --local-cluster name, or the replica's region
    std::string name;    // replica name "<region>/<instance>"
    std::string store_path;
    std::unique_ptr<Store> store;
    std::unique_ptr<Broker> broker;
    std::unique_ptr<SyncNode> node;
    std::unique_ptr<HttpApi> api;
    std::unique_ptr<RespServer> resp;
  };

  DaemonConfig config;
  std::unique_ptr<Env> env;
  std::unique_ptr<InprocNetwork> network;
  KeyRing keys;
  ClusterAdmin admin;
  std::vector<std::unique_ptr<Member>> members;
  bool shut_down = false;

  std::string NameOf(const std::string& given) const {
    for (const auto& m : members) {
      if (m->region == given || m->name == given) return m->name;
    }
    return "";
  }
};

namespace {

Status LoadKeys(const DaemonConfig& config, Env* env, KeyRing* keys) {
  if (!config.signing_keys.empty()) {
    Result<KeyRing> ring = KeyRing::Parse(config.signing_keys);
    if (!ring.ok()) return InvalidArgument("signing keys: " + ring.status().message());
    *keys = std::move(ring).value();
    return Status::Ok();
  }
  if (config.broker != "inproc") {
    return InvalidArgument("no signing keys: set $REGIONSYNC_SIGNING_KEYS or --signing-keys-file (\"id:secret,...\")");
  }
  // In-process messages never leave this process: a random key is enough.
  std::string secret;
  for (int i = 0; i < 4; ++i) {
    char buf[17];
    snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(env->Random64()));
    secret += buf;
  }
  return keys->Add({"ephemeral", secret});
}

void InstallAdmin(Daemon::Parts* p) {
  InprocNetwork* net = p->network.get();
  p->admin.partition = [p, net](const std::vector<std::vector<std::string>>& groups) -> Status {
    std::vector<std::vector<std::string>> named;
    std::set<std::string> seen;
    for (const auto& g : groups) {
      named.emplace_back();
      for (const std::string& given : g) {
        std::string name = p->NameOf(given);
        if (name.empty()) return InvalidArgument("unknown replica '" + given + "'");
        if (!seen.insert(name).second) return InvalidArgument("replica '" + given + "' is in two groups");
        named.back().push_back(name);
      }
    }
    net->Partition(named);
    spdlog::warn("msg=\"partition set\" groups={}", nlohmann::json(groups).dump());
    return Status::Ok();
  };
  p->admin.heal = [net]() -> Status {
    net->Heal();
    spdlog::warn("msg=\"partition healed\"");
    return Status::Ok();
  };
  p->admin.set_faults = [net](const ClusterAdmin::Faults& f) -> Status {
    InprocFaults cur = net->faults();
    if (f.drop) cur.drop = *f.drop;
    if (f.duplicate) cur.duplicate = *f.duplicate;
    if (f.min_delay_millis) cur.min_delay_micros = *f.min_delay_millis * 1000;
    if (f.max_delay_millis) cur.max_delay_micros = *f.max_delay_millis * 1000;
    if (f.min_delay_millis && !f.max_delay_millis && cur.max_delay_micros < cur.min_delay_micros) {
      cur.max_delay_micros = cur.min_delay_micros;
    }
    if (f.outage) cur.outage = *f.outage;
    if (cur.min_delay_micros > cur.max_delay_micros) return InvalidArgument("min_delay_ms must not exceed max_delay_ms");
    net->SetFaults(cur);
    spdlog::warn("msg=\"faults set\" drop={} duplicate={} min_delay_ms={} max_delay_ms={} outage={}", cur.drop,
                 cur.duplicate, cur.min_delay_micros / 1000, cur.max_delay_micros / 1000, cur.outage);
    return Status::Ok();
  };
  p->admin.describe = [p, net]() -> nlohmann::json {
    InprocFaults f = net->faults();
    nlohmann::json groups = nlohmann::json::array();
    for (const auto& g : f.partition) {
      nlohmann::json names = nlohmann::json::array();
      for (const std::string& n : g) {
        std::string region = n;
        for (const auto& m : p->members) {
          if (m->name == n) region = m->region;
        }
        names.push_back(region);
      }
      groups.push_back(names);
    }
    return {{"drop", f.drop},
            {"duplicate", f.duplicate},
            {"min_delay_ms", f.min_delay_micros / 1000},
            {"max_delay_ms", f.max_delay_micros / 1000},
            {"outage", f.outage},
            {"partition", groups}};
  };
}

}  // namespace

namespace {

Result<std::unique_ptr<SnsSqsBroker>> OpenSnsSqs(const DaemonConfig& config, Env* env) {
  Result<AwsCredentials> creds = LoadAwsCredentials();
  if (!creds.ok()) return creds.status();
  SnsSqsOptions o;
  o.region = config.aws_region.empty() ? LoadAwsRegion() : config.aws_region;
  o.endpoint = config.aws_endpoint;
  o.topic_arn = config.sns_topic_arn;
  o.queue_url = config.sqs_queue_url;
  o.queue_name = config.sqs_queue_name;
  o.max_message_bytes = config.max_message_bytes;
  o.log = [](const std::string& line) { spdlog::warn("snssqs: {}", line); };
  return SnsSqsBroker::Open(env, std::move(creds).value(), std::move(o));
}

}  // namespace

Daemon::Daemon(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Daemon::~Daemon() { (void)Shutdown(); }

Result<std::unique_ptr<Daemon>> Daemon::Start(const DaemonConfig& config) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  p->env = NewRealEnv({.warn = [](const std::string& m) { spdlog::warn("msg=\"{}\"", m); }});
  RS_RETURN_IF_ERROR(LoadKeys(config, p->env.get(), &p->keys));
  p->network = std::make_unique<InprocNetwork>(p->env.get(), InprocOptions{.max_message_bytes = config.max_message_bytes});

  bool cluster = !config.local_cluster.empty();
  if (cluster) {
    for (const std::string& region : config.local_cluster) {
      auto m = std::make_unique<Parts::Member>();
      m->region = region;
      m->name = region + "/a";
      m->store_path = (std::filesystem::path(config.data_dir) / region / "store.db").string();
      p->members.push_back(std::move(m));
    }
    InstallAdmin(p.get());
  } else {
    auto m = std::make_unique<Parts::Member>();
    m->name = config.replica_id;
    m->region = config.replica_id.substr(0, config.replica_id.find('/'));
    m->store_path = config.store_path.empty() ? (std::filesystem::path(config.data_dir) / "store.db").string()
                                              : config.store_path;
    p->members.push_back(std::move(m));
  }

  auto daemon = std::unique_ptr<Daemon>(new Daemon(std::move(p)));
  Parts* parts = daemon->parts_.get();
  for (size_t i = 0; i < parts->members.size(); ++i) {
    Parts::Member& m = *parts->members[i];
    Result<std::unique_ptr<Store>> store = OpenDaemonStore(m.store_path, config.fsync);
    if (!store.ok()) {
      return Status(store.status().code(), "store '" + m.store_path + "': " + store.status().message());
    }
    m.store = std::move(store).value();
    HttpApi::TransportProbe probe;
    if (config.broker == "snssqs") {
      Result<std::unique_ptr<SnsSqsBroker>> broker = OpenSnsSqs(config, parts->env.get());
      if (!broker.ok()) return Status(broker.status().code(), "snssqs broker: " + broker.status().message());
      SnsSqsBroker* raw = broker->get();
      (void)raw;
      probe = [](NodeSnapshot* s) {
        s->broker = "snssqs";  // queue depth and DLQ counts: 'regionsync aws status'
      };
      m.broker = std::move(broker).value();
    } else {
      m.broker = parts->network->Connect(m.name);
      InprocNetwork* net = parts->network.get();
      std::string name = m.name;
      probe = [net, name](NodeSnapshot* s) {
        s->broker = "inproc";
        s->queue_depth = net->QueueDepth(name);
        s->dead_letters = net->DeadLetters(name).size();
      };
    }
    SyncOptions options{.name = m.name,
                        .commit_interval_micros = config.commit_interval_millis * 1000,
                        .flush_interval_micros = config.flush_interval_millis * 1000,
                        .poll_interval_micros = config.poll_interval_millis * 1000,
                        .anti_entropy_interval_micros = config.anti_entropy_interval_millis * 1000,
                        .replica = {.max_value_bytes = config.max_value_bytes,
                                    .max_state_bytes = config.max_state_bytes,
                                    .expired_retention_millis = config.expired_retention_millis},
                        .on_receive_error = [name = m.name](const std::string& what) {
                          spdlog::warn("replica={} msg=\"receive failure\" reason=\"{}\"", name, what);
                        },
                        .on_publish_error = [name = m.name](const std::string& what) {
                          spdlog::error("replica={} msg=\"publish withheld\" reason=\"{}\"", name, what);
                        }};
    options.presence.renewal_interval_millis = config.presence_renewal_millis;
    options.task_threads = true;  // a slow publish or poll never holds up the others or a commit
    options.replica.on_type_conflict = [name = m.name](const std::string& what) {
      spdlog::warn("replica={} msg=\"{}\"", name, what);
    };
    m.node = std::make_unique<SyncNode>(parts->env.get(), m.store.get(), m.broker.get(), &parts->keys, options);
    Status started = m.node->Start();
    if (!started.ok()) {
      return Status(started.code(), "replica " + m.name + " (store '" + m.store_path + "'): " + started.message());
    }
    HttpApiOptions api_options{.api_tokens = config.api_tokens,
                               .auth_reads = config.auth_reads,
                               .max_body_bytes = config.max_body_bytes,
                               .write_timeout_micros = config.write_timeout_millis * 1000,
                               .event_buffer = config.event_buffer,
                               .threads = config.http_threads,
                               .store_kind = DaemonStoreKind(),
                               .fsync = FsyncSettingName(config.fsync)};
    m.api = std::make_unique<HttpApi>(m.node.get(), parts->env.get(), api_options, cluster ? &parts->admin : nullptr,
                                      probe);
    int port = config.http_port == 0 ? 0 : config.http_port + static_cast<int>(i);
    RS_RETURN_IF_ERROR(m.api->Listen(config.listen_address, port));
    std::string resp = "off";
    if (config.resp_port != 0) {
      m.resp = std::make_unique<RespServer>(m.node.get(), parts->env.get(),
                                            RespServerOptions{.api_tokens = config.api_tokens,
                                                              .write_timeout_micros = config.write_timeout_millis * 1000});
      RS_RETURN_IF_ERROR(m.resp->Listen(config.listen_address, config.resp_port + static_cast<int>(i)));
      resp = config.listen_address + ":" + std::to_string(m.resp->port());
    }
    std::string epoch;
    {
      std::lock_guard lock(m.node->mutex());
      epoch = m.node->replica().id().ToString();
    }
    spdlog::info("msg=\"replica serving\" replica={} id={} http={}:{} resp={} store={} fsync={} keys_signing={} "
                 "max_value_bytes={} max_state_bytes={}",
                 m.name, epoch, config.listen_address, m.api->port(), resp, m.store_path,
                 FsyncSettingName(config.fsync), parts->keys.active()->id, config.max_value_bytes,
                 config.max_state_bytes);
  }
  if (config.api_tokens.empty() && config.listen_address != "127.0.0.1" && config.listen_address != "localhost" &&
      config.listen_address != "::1") {
    spdlog::warn("msg=\"no API tokens configured: anyone who reaches {} may write\"", config.listen_address);
  }
  return daemon;
}

Status Daemon::Shutdown() {
  Parts* p = parts_.get();
  if (p == nullptr || p->shut_down) return Status::Ok();
  p->shut_down = true;
  Status first;
  for (auto& m : p->members) {
    if (m->api) m->api->StopAcceptingWrites();
    if (m->resp) m->resp->Shutdown();  // unanswered writes stay; node->Stop() commits them
  }
  for (auto& m : p->members) {
    if (!m->node || !m->node->running()) continue;
    Status s = m->node->Stop();
    if (!s.ok()) {
      spdlog::warn("msg=\"final flush failed; the durable outbox sends it at the next start\" replica={} error=\"{}\"",
                   m->name, s.ToString());
      if (first.ok()) first = s;
    } else {
      spdlog::info("msg=\"replica stopped\" replica={}", m->name);
    }
  }
  for (auto& m : p->members) {
    if (m->api) m->api->Shutdown();
  }
  // A node task popped by the timer thread just before Stop() may still be
  // about to run; once this barrier timer ran, none is.
  if (p->env) {
    std::promise<void> barrier;
    p->env->Schedule(0, [&barrier] { barrier.set_value(); });
    barrier.get_future().wait();
  }
  return first;
}

std::vector<int> Daemon::ports() const {
  std::vector<int> out;
  for (const auto& m : parts_->members) out.push_back(m->api ? m->api->port() : 0);
  return out;
}

}  // namespace regionsync

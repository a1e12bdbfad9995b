// End-to-end benchmark of the SNS/SQS transport through the fauxqs emulator
// (started here on a free loopback port, stopped at the end). Three replicas,
// one topic per region. For each configuration (batched or unbatched flushes,
// compressed or not) it measures:
//   - replicated updates/s: a burst of N OR-Set adds (UUIDs) on one replica
//     until both others hold all N; bytes per update from the same burst;
//   - publish -> visible latency p50/p99: a register written every 20 ms on
//     one replica, timed until another replica's change event;
//   - under a steady load (--rate updates/s for --cost-seconds): HTTP
//     requests per 1 M local updates (SNS publishes and SQS calls), the AWS
//     bill for them ($0.50 per million SNS publishes and $0.40 per million
//     SQS requests, each per 64 KB chunk), bytes per update.
// The first configuration (unbatched, uncompressed) is the baseline; ratios
// are against it. Figures depend on the machine and on the emulator: use the
// ratios, and the request counts (which do not).
//
//   build/bin/snssqs_e2e [--updates 20000] [--unbatched-updates 1000] [--rate 200] [--cost-seconds 5]
//                        [--latency-samples 200]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "fauxqs_fixture.h"
#include "regionsync/broker/snssqs/snssqs_broker.h"
#include "regionsync/crdt/any_crdt.h"
#include "regionsync/store/store.h"
#include "regionsync/sync/sync_node.h"
#include "regionsync/sync/wire/key_ring.h"

namespace regionsync {
namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  const char* name;
  bool batched;     // false: every update is flushed (published) on its own
  bool compressed;  // false: zstd off
};

struct Figures {
  double updates_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  double sns_requests_per_m = 0, sqs_requests_per_m = 0;
  double dollars_per_m = 0;
  double bytes_per_update = 0;
  double achieved_rate = 0;
};

struct Node {
  std::unique_ptr<Env> env;
  std::unique_ptr<Store> store;
  std::unique_ptr<SnsSqsBroker> broker;
  std::unique_ptr<SyncNode> node;
};

std::string Uuid(std::mt19937_64& rng) {
  char buf[40];
  uint64_t a = rng(), b = rng();
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-a%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a >> 16) & 0xffff, static_cast<unsigned>(a) & 0xfff,
                static_cast<unsigned>(b >> 48) & 0xfff, static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

size_t SetSize(Node& n, const std::string& key) {
  std::lock_guard lock(n.node->mutex());
  const AnyCrdt* v = n.node->replica().Find(key);
  return v == nullptr ? 0 : ValueJson(*v).size();
}

// SQS bills each 64 KB chunk of a request's payload as one request.
uint64_t Chunks(uint64_t requests, uint64_t bytes) { return std::max<uint64_t>(requests, (bytes + 65'535) / 65'536); }

Result<Figures> Measure(FauxqsProcess& fauxqs, const Config& config, int updates, int rate, int cost_seconds,
                        int latency_samples, int round) {
  KeyRing keys;
  RS_RETURN_IF_ERROR(keys.Add({"k", "bench-secret-0123456789abcdef"}));
  std::string prefix = "bench" + std::to_string(round);
  std::vector<std::string> names = {"us-east-1/a", "eu-west-1/a", "ap-south-1/a"};
  auto setup_env = NewRealEnv();
  Result<ProvisionResult> p = ProvisionOnEmulator(setup_env.get(), fauxqs.endpoint(), {.prefix = prefix, .replicas = names});
  if (!p.ok()) return p.status();
  std::vector<Node> nodes;
  for (const ProvisionedReplica& r : p->replicas) {
    Node n;
    n.env = NewRealEnv();
    n.store = NewMemoryStore();
    auto b = SnsSqsBroker::Open(n.env.get(), kFauxqsCredentials,
                                {.region = r.region, .endpoint = fauxqs.endpoint(), .topic_arn = r.publish_topic_arn,
                                 .queue_url = r.queue_url, .log = [](const std::string&) {}});
    if (!b.ok()) return b.status();
    n.broker = std::move(b).value();
    SyncOptions o{.name = r.replica};
    if (!config.compressed) o.publisher.frame.compress_threshold_bytes = SIZE_MAX;
    // Anti-entropy off the measured path: one digest per minute.
    o.anti_entropy_interval_micros = 60'000'000;
    n.node = std::make_unique<SyncNode>(n.env.get(), n.store.get(), n.broker.get(), &keys, o);
    RS_RETURN_IF_ERROR(n.node->Start());
    nodes.push_back(std::move(n));
  }
  auto total_stats = [&] {
    SnsSqsStats t;
    for (Node& n : nodes) {
      SnsSqsStats s = n.broker->stats();
      t.sns_requests += s.sns_requests;
      t.sqs_requests += s.sqs_requests;
      t.request_bytes += s.request_bytes;
      t.response_bytes += s.response_bytes;
    }
    return t;
  };
  // Throughput: a burst of N adds on replica a, spread over 100 sets.
  std::mt19937_64 rng(round);
  Node& a = nodes[0];
  auto add = [&](int i) {
    {
      std::lock_guard lock(a.node->mutex());
      (void)a.node->replica().Add("set" + std::to_string(i % 100), Uuid(rng));
    }
    if (!config.batched) a.node->RunOnce();  // commit + publish this one update now
  };
  auto wait_for = [&](size_t expected) -> Status {
    auto deadline = Clock::now() + std::chrono::seconds(300);
    auto all_there = [&](Node& n) {
      size_t total = 0;
      for (int s = 0; s < 100; ++s) total += SetSize(n, "set" + std::to_string(s));
      return total == expected;
    };
    while (!(all_there(nodes[1]) && all_there(nodes[2]))) {
      if (Clock::now() > deadline) return Unavailable(std::string(config.name) + ": did not replicate in 300 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval
    }
    return Status::Ok();
  };
  auto published_bytes = [&] {
    uint64_t b = 0;
    for (Node& n : nodes) b += n.node->publisher().stats().bytes;
    return b;
  };
  Figures f;
  uint64_t bytes_before = published_bytes();
  auto start = Clock::now();
  for (int i = 0; i < updates; ++i) add(i);
  RS_RETURN_IF_ERROR(wait_for(updates));
  f.updates_per_second = updates / std::chrono::duration<double>(Clock::now() - start).count();
  f.bytes_per_update = static_cast<double>(published_bytes() - bytes_before) / updates;

  // Cost: a steady load of `rate` updates/s for `cost_seconds`, counting
  // every HTTP request of the three replicas (empty long polls included).
  SnsSqsStats before = total_stats();
  bytes_before = published_bytes();
  int done = 0;
  start = Clock::now();
  auto end = start + std::chrono::seconds(cost_seconds);
  for (auto next = start; next < end; next += std::chrono::microseconds(1'000'000 / rate)) {
    std::this_thread::sleep_until(next);  // paces the load
    add(updates + done++);
  }
  RS_RETURN_IF_ERROR(wait_for(static_cast<size_t>(updates + done)));
  SnsSqsStats after = total_stats();
  double per_m = 1e6 / done;
  uint64_t sns = after.sns_requests - before.sns_requests, sqs = after.sqs_requests - before.sqs_requests;
  uint64_t pub_bytes = published_bytes() - bytes_before;
  f.sns_requests_per_m = sns * per_m;
  f.sqs_requests_per_m = sqs * per_m;
  // SNS bills each 64 KB chunk of a publish; SQS each 64 KB chunk of a
  // request or answer (receives carry the messages).
  uint64_t sqs_chunks = Chunks(sqs, after.response_bytes - before.response_bytes);
  uint64_t sns_chunks = Chunks(sns, pub_bytes);
  f.dollars_per_m = (sns_chunks * 0.50 / 1e6 + sqs_chunks * 0.40 / 1e6) * per_m;
  f.achieved_rate = done / std::chrono::duration<double>(Clock::now() - start).count();

  // Latency: register writes on a, change events on b.
  std::mutex mu;
  std::map<std::string, Clock::time_point> written, seen;
  int token;
  {
    std::lock_guard lock(nodes[1].node->mutex());
    token = nodes[1].node->replica().Subscribe([&](const ChangeEvent& e) {
      if (e.key != "lat" || e.local) return;
      std::string v = ValueJson(e.value).is_string() ? ValueJson(e.value).get<std::string>() : "";
      std::lock_guard l(mu);
      seen.try_emplace(v, Clock::now());
    });
  }
  for (int i = 0; i < latency_samples; ++i) {
    std::string v = std::to_string(i);
    {
      std::lock_guard l(mu);
      written[v] = Clock::now();
    }
    {
      std::lock_guard lock(a.node->mutex());
      (void)a.node->replica().Set("lat", v);
    }
    if (!config.batched) a.node->RunOnce();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // paces the samples
  }
  auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline) {
    {
      std::lock_guard l(mu);
      if (seen.count(std::to_string(latency_samples - 1))) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  {
    std::lock_guard lock(nodes[1].node->mutex());
    nodes[1].node->replica().Unsubscribe(token);
  }
  std::vector<double> ms;
  {
    std::lock_guard l(mu);
    // A later value can overwrite an earlier one before it is seen (LWW):
    // only values seen count.
    for (auto& [v, t] : seen) {
      if (written.count(v)) ms.push_back(std::chrono::duration<double, std::milli>(t - written[v]).count());
    }
  }
  std::sort(ms.begin(), ms.end());
  if (!ms.empty()) {
    f.p50_ms = ms[ms.size() / 2];
    f.p99_ms = ms[std::min(ms.size() - 1, static_cast<size_t>(std::ceil(ms.size() * 0.99)) - 1)];
  }
  for (Node& n : nodes) (void)n.node->Stop();
  return f;
}

int Main(int argc, char** argv) {
  int updates = 20'000, unbatched_updates = 1'000, latency_samples = 200, rate = 200, cost_seconds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--updates")) updates = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--unbatched-updates")) unbatched_updates = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--latency-samples")) latency_samples = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rate")) rate = std::max(1, std::atoi(argv[i + 1]));
    if (!std::strcmp(argv[i], "--cost-seconds")) cost_seconds = std::max(1, std::atoi(argv[i + 1]));
  }
  Result<std::unique_ptr<FauxqsProcess>> fauxqs = FauxqsProcess::Start();
  if (!fauxqs.ok()) {
    std::fprintf(stderr, "snssqs_e2e: %s\n", fauxqs.status().ToString().c_str());
    return 2;
  }
  const Config configs[] = {{"unbatched, uncompressed", false, false},
                            {"unbatched, compressed", false, true},
                            {"batched, uncompressed", true, false},
                            {"batched, compressed", true, true}};
  std::printf("fauxqs at %s; 3 replicas, topic per region; OR-Set adds of UUIDs on one replica\n",
              (*fauxqs)->endpoint().c_str());
  std::printf("%-24s %8s %10s %8s %8s %12s %12s %10s %9s %10s\n", "config", "burst", "upd/s", "p50 ms", "p99 ms",
              "SNS req/1M", "SQS req/1M", "$/1M upd", "B/update", "x baseline");
  Figures baseline;
  int round = 0;
  // Warm-up (not reported): the emulator's JIT and connection set-up would
  // otherwise land on the first configuration, the baseline.
  if (Result<Figures> w = Measure(**fauxqs, configs[0], 200, rate, 1, 10, ++round); !w.ok()) {
    std::fprintf(stderr, "warm-up: %s\n", w.status().ToString().c_str());
    return 1;
  }
  for (const Config& c : configs) {
    int n = c.batched ? updates : unbatched_updates;
    Result<Figures> f = Measure(**fauxqs, c, n, rate, cost_seconds, latency_samples, ++round);
    if (!f.ok()) {
      std::fprintf(stderr, "%s: %s\n", c.name, f.status().ToString().c_str());
      return 1;
    }
    if (&c == &configs[0]) baseline = *f;
    std::printf("%-24s %8d %10.0f %8.1f %8.1f %12.0f %12.0f %10.4f %9.1f %10.1f\n", c.name, n, f->updates_per_second,
                f->p50_ms, f->p99_ms, f->sns_requests_per_m, f->sqs_requests_per_m, f->dollars_per_m,
                f->bytes_per_update, f->updates_per_second / baseline.updates_per_second);
    std::printf("%-24s   cost measured at %.0f updates/s sustained: $%.2f per month\n", "", f->achieved_rate,
                f->dollars_per_m * f->achieved_rate * 86400 * 30 / 1e6);
  }
  return 0;
}

}  // namespace
}  // namespace regionsync

int main(int argc, char** argv) { return regionsync::Main(argc, argv); }

// RESP request parsing as redis-benchmark drives it with -P 16: every read
// brings 16 pipelined "SET key:000000000042 xxx" commands. items_per_second
// is commands/s for one core; redis-server's own parsing is the bar (the
// daemon's goal is 0.8x of redis-server end to end).
//
//   ninja -C build-rel resp_parser_bench && build-rel/bin/resp_parser_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "regionsync/server/resp/resp_parser.h"
#include "regionsync/server/resp/resp_writer.h"

namespace regionsync {
namespace {

constexpr int kPipeline = 16;

std::string PipelinedSets(bool inline_form) {
  std::string batch;
  for (int i = 0; i < kPipeline; ++i) {
    batch += inline_form ? "SET key:000000000042 xxx\r\n"
                         : "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000042\r\n$3\r\nxxx\r\n";
  }
  return batch;
}

void ParseBatches(benchmark::State& state, bool inline_form) {
  const std::string batch = PipelinedSets(inline_form);
  RespParser parser;
  std::vector<std::string> args;
  int64_t commands = 0;
  for (auto _ : state) {
    parser.Feed(batch);
    for (;;) {
      Result<bool> got = parser.Next(&args);
      if (!got.ok() || !*got) break;
      benchmark::DoNotOptimize(args.data());
      ++commands;
    }
  }
  if (commands != state.iterations() * kPipeline) state.SkipWithError("parser lost commands");
  state.SetItemsProcessed(commands);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * batch.size());
}

void BM_ParsePipelinedSet16_Multibulk(benchmark::State& state) { ParseBatches(state, false); }
BENCHMARK(BM_ParsePipelinedSet16_Multibulk);

void BM_ParsePipelinedSet16_Inline(benchmark::State& state) { ParseBatches(state, true); }
BENCHMARK(BM_ParsePipelinedSet16_Inline);

// The reply side of the same batch: 16 "+OK".
void BM_WriteOk16(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    RespWriter w(&out);
    for (int i = 0; i < kPipeline; ++i) w.SimpleString("OK");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kPipeline);
}
BENCHMARK(BM_WriteOk16);

}  // namespace
}  // namespace regionsync

BENCHMARK_MAIN();

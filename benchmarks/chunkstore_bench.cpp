// Chunk store kernels without actors: append, grouped aggregation, series
// filters and last-row-per-series, on TSBS cpu-only rows in one chunk.
// Scale: HT_HOSTS (1000) hosts x HT_HOURS (12) hours at 10 s.

#include <benchmark/benchmark.h>

#include <memory>
#include <random>

#include "benchmarks/bench_util.hpp"
#include "benchmarks/tsbs_data.hpp"
#include "benchmarks/tsbs_queries.hpp"
#include "chunkstore/chunk.hpp"

namespace {

using namespace hypertide;
namespace cs = hypertide::chunkstore;

benchmarks::tsbs_options options() {
  benchmarks::tsbs_options o;
  o.hosts = static_cast<uint32_t>(benchmarks::env_or("HT_HOSTS", 1000));
  o.end = o.start + benchmarks::env_or("HT_HOURS", 12) * cs::usecs_per_hour;
  return o;
}

/// The generated batches, made once.
const std::vector<cs::column_batch>& batches() {
  static std::vector<cs::column_batch> all = [] {
    std::vector<cs::column_batch> out;
    benchmarks::tsbs_cpu_generator gen{options()};
    cs::column_batch b;
    while (gen.next(b, 10'000) > 0)
      out.push_back(std::move(b));
    return out;
  }();
  return all;
}

/// One chunk holding every generated row, committed at LSN 1.
const cs::chunk& loaded() {
  static std::unique_ptr<cs::chunk> c = [] {
    auto ch = std::make_unique<cs::chunk>(benchmarks::tsbs_cpu_generator::schema(), 0, 1);
    cs::lsn at = 1;
    for (const auto& b : batches()) {
      ch->append(b.view(), {}, at, at);
      ++at;
    }
    return ch;
  }();
  return *c;
}

void BM_append(benchmark::State& state) {
  const auto& bs = batches();
  size_t rows = 0;
  for (auto _ : state) {
    cs::chunk ch{benchmarks::tsbs_cpu_generator::schema(), 0, 1};
    cs::lsn at = 1;
    for (const auto& b : bs) {
      ch.append(b.view(), {}, at, at);
      ++at;
    }
    rows = ch.total_rows();
    state.counters["bytes_per_row"]
      = static_cast<double>(ch.memory_usage()) / static_cast<double>(rows);
  }
  state.counters["rows_per_s"] = benchmark::Counter(
    static_cast<double>(rows), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_append)->Unit(benchmark::kMillisecond);

void BM_double_groupby_all(benchmark::State& state) {
  const auto& ch = loaded();
  auto o = options();
  auto f = benchmarks::tsbs_query::double_groupby(10, o.start, o.end);
  for (auto _ : state)
    benchmark::DoNotOptimize(ch.execute(f, ~cs::lsn{0}));
  state.counters["values_per_s"] = benchmark::Counter(
    static_cast<double>(ch.total_rows()) * 10, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_double_groupby_all)->Unit(benchmark::kMillisecond);

void BM_single_groupby_1_1_12(benchmark::State& state) {
  const auto& ch = loaded();
  auto o = options();
  std::mt19937_64 rng{7};
  uint64_t scanned = 0, matched = 0, n = 0;
  for (auto _ : state) {
    auto f = benchmarks::tsbs_query::single_groupby(
      1, {"host_" + std::to_string(rng() % o.hosts)}, o.start, o.end);
    auto r = ch.execute(f, ~cs::lsn{0});
    scanned += r.stats.rows_scanned;
    matched += r.stats.rows_matched;
    ++n;
  }
  state.counters["rows_scanned"] = static_cast<double>(scanned) / static_cast<double>(n);
  state.counters["rows_aggregated"] = static_cast<double>(matched) / static_cast<double>(n);
}
BENCHMARK(BM_single_groupby_1_1_12)->Unit(benchmark::kMicrosecond);

void BM_lastpoint(benchmark::State& state) {
  const auto& ch = loaded();
  auto f = benchmarks::tsbs_query::lastpoint();
  uint64_t scanned = 0;
  for (auto _ : state)
    scanned = ch.execute(f, ~cs::lsn{0}).stats.rows_scanned;
  state.counters["rows_scanned"] = static_cast<double>(scanned);
}
BENCHMARK(BM_lastpoint)->Unit(benchmark::kMicrosecond);

/// high-cpu-all's chunk work: every column of the rows with usage_user >
/// 90 (about one row in ten), gathered into a column batch.
void BM_high_cpu_all_rows(benchmark::State& state) {
  const auto& ch = loaded();
  cs::fragment f;
  f.table = "cpu";
  f.filter = cs::predicate::compare(2, cs::cmp_op::gt, cs::value::of_float(90.0));
  for (int c = 0; c < static_cast<int>(ch.schema().columns.size()); ++c)
    f.projection.push_back(c);
  size_t rows = 0;
  for (auto _ : state)
    rows = ch.execute(f, ~cs::lsn{0}).rows.rows();
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(rows),
                                                    benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_high_cpu_all_rows)->Unit(benchmark::kMillisecond);

void BM_memory_read(benchmark::State& state) {
  benchmarks::memory_read(state);
}
BENCHMARK(BM_memory_read)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();

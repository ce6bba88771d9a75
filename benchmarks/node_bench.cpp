// The whole node through its actors (embedding API, no sockets), on the TSBS
// cpu-only shape: ingest, double-groupby-all, single-groupby-1-1-12,
// lastpoint, resident memory per row, and the memory read rate of one core.
//
// Scale and threads come from the environment:
//   HT_HOSTS (4000), HT_HOURS (12), HT_THREADS (1: one core for the actors),
//   HT_PARTITIONS (0: no space partitioning), HT_CHUNK_HOURS (12).

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/node.hpp"
#include "benchmarks/bench_util.hpp"
#include "benchmarks/tsbs_data.hpp"
#include "benchmarks/tsbs_queries.hpp"

namespace {

using namespace hypertide;
namespace cs = hypertide::chunkstore;
using clk = std::chrono::steady_clock;

struct config : caf::actor_system_config {
  config() {
    set("scheduler.max-threads", static_cast<int>(benchmarks::env_or("HT_THREADS", 1)));
    set("scheduler.policy", caf::atom("sharing"));
  }
};

/// One node shared by every benchmark of the run, loaded by BM_ingest.
struct bench_env {
  config cfg;
  caf::actor_system sys{cfg};
  actors::node node{sys};
  benchmarks::tsbs_options opts;
  uint64_t rows = 0;
  double ingest_rows_per_s = 0;
  double bytes_per_row = 0;
  double groupby_values_per_s = 0;
  double read_doubles_per_s = 0;

  bench_env() {
    opts.hosts = static_cast<uint32_t>(benchmarks::env_or("HT_HOSTS", 4000));
    opts.end = opts.start + benchmarks::env_or("HT_HOURS", 12) * cs::usecs_per_hour;
  }
};

bench_env& env() {
  static bench_env e;
  return e;
}

template <class T>
T ok(messages::result<T> r) {
  if (auto* e = std::get_if<cs::pg_error>(&r)) {
    std::fprintf(stderr, "ERROR %s: %s\n", e->sqlstate.c_str(), e->message.c_str());
    std::exit(1);
  }
  return std::get<T>(std::move(r));
}

void BM_ingest(benchmark::State& state) {
  auto& e = env();
  for (auto _ : state) {
    ok(e.node.create_table({"cpu", benchmarks::tsbs_cpu_generator::schema(), false}));
    auto parts = static_cast<int32_t>(benchmarks::env_or("HT_PARTITIONS", 0));
    ok(e.node.create_hypertable(
      {"cpu", "time", benchmarks::env_or("HT_CHUNK_HOURS", 12) * cs::usecs_per_hour,
       parts > 0 ? "hostname" : "", parts, false}));
    benchmarks::tsbs_cpu_generator gen{e.opts};
    cs::column_batch batch;
    uint64_t rss_before = benchmarks::resident_bytes();
    double secs = 0;
    // Batches are generated and encoded outside the timed part: the clock
    // runs from handing the InsertBatch to the node until it is visible.
    while (gen.next(batch, 10'000) > 0) {
      auto buf = messages::encode_insert("cpu", batch);
      auto t0 = clk::now();
      e.rows += ok(e.node.insert(buf)).rows;
      secs += std::chrono::duration<double>(clk::now() - t0).count();
    }
    batch = cs::column_batch{};
    e.ingest_rows_per_s = static_cast<double>(e.rows) / secs;
    e.bytes_per_row = static_cast<double>(benchmarks::resident_bytes() - rss_before)
                      / static_cast<double>(e.rows);
    state.SetIterationTime(secs);
  }
  state.counters["rows"] = static_cast<double>(e.rows);
  state.counters["rows_per_s"] = e.ingest_rows_per_s;
  state.counters["bytes_per_row"] = e.bytes_per_row;
}
BENCHMARK(BM_ingest)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_double_groupby_all(benchmark::State& state) {
  auto& e = env();
  auto f = benchmarks::tsbs_query::double_groupby(10, e.opts.start, e.opts.end);
  uint64_t groups = 0, scanned = 0;
  for (auto _ : state) {
    auto r = ok(e.node.query(f));
    groups = r.groups();
    scanned = r.stats.rows_scanned;
  }
  state.counters["groups"] = static_cast<double>(groups);
  state.counters["rows_scanned"] = static_cast<double>(scanned);
  state.counters["values_per_s"] = benchmark::Counter(
    static_cast<double>(e.rows) * 10, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_double_groupby_all)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_single_groupby_1_1_12(benchmark::State& state) {
  auto& e = env();
  std::mt19937_64 rng{7};
  uint64_t scanned = 0, matched = 0, n = 0;
  for (auto _ : state) {
    auto host = "host_" + std::to_string(rng() % e.opts.hosts);
    auto r = ok(e.node.query(
      benchmarks::tsbs_query::single_groupby(1, {host}, e.opts.start, e.opts.end)));
    scanned += r.stats.rows_scanned;
    matched += r.stats.rows_matched;
    ++n;
  }
  state.counters["rows_scanned"] = static_cast<double>(scanned) / static_cast<double>(n);
  state.counters["rows_aggregated"] = static_cast<double>(matched) / static_cast<double>(n);
}
BENCHMARK(BM_single_groupby_1_1_12)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_lastpoint(benchmark::State& state) {
  auto& e = env();
  auto f = benchmarks::tsbs_query::lastpoint();
  uint64_t scanned = 0, groups = 0;
  for (auto _ : state) {
    auto r = ok(e.node.query(f));
    scanned = r.stats.rows_scanned;
    groups = r.groups();
  }
  state.counters["rows_scanned"] = static_cast<double>(scanned);
  state.counters["groups"] = static_cast<double>(groups);
}
BENCHMARK(BM_lastpoint)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_memory_read(benchmark::State& state) {
  benchmarks::memory_read(state);
}
BENCHMARK(BM_memory_read)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

/// Prints the double-groupby-all rate as a share of the read rate, both
/// from this run.
class ratio_reporter : public benchmark::ConsoleReporter {
public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      auto it = r.counters.find(r.benchmark_name().rfind("BM_memory_read", 0) == 0
                                  ? "doubles_per_s"
                                  : "values_per_s");
      if (it == r.counters.end() || r.run_type != Run::RT_Iteration)
        continue;
      if (r.benchmark_name().rfind("BM_memory_read", 0) == 0)
        read_ = it->second.value;
      else if (r.benchmark_name().rfind("BM_double_groupby_all", 0) == 0)
        groupby_ = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    if (read_ > 0 && groupby_ > 0)
      std::printf("double-groupby-all: %.3g values/s = %.1f %% of the memory read rate "
                  "(%.3g doubles/s)\n",
                  groupby_, 100.0 * groupby_ / read_, read_);
  }

private:
  double read_ = 0, groupby_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  ratio_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  env().node.stop();
  benchmark::Shutdown();
  return 0;
}

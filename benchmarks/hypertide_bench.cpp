// hypertide-bench: the load-test harness, modelled on the Time Series
// Benchmark Suite's devops cpu-only workload (issue #4).
//
//   hypertide-bench generate   CSV rows (or --tags) for COPY
//   hypertide-bench queries    the 15 TSBS devops query types as SQL
//   hypertide-bench load       schema + COPY FROM STDIN, one connection per worker
//   hypertide-bench run        timed queries per type; --check against a second server
//
// `hypertide-bench --help` lists every flag; benchmarks/README.md explains
// the data, the queries and the measurements.

#include <cstdio>
#include <string>
#include <variant>

#include "benchmarks/bench_options.hpp"
#include "benchmarks/copy_encoder.hpp"
#include "benchmarks/loader.hpp"
#include "benchmarks/query_runner.hpp"
#include "benchmarks/tsbs_data.hpp"

namespace {

using namespace hypertide;
using namespace hypertide::benchmarks;

int generate(const bench_options& o) {
  FILE* out = o.out.empty() ? stdout : std::fopen(o.out.c_str(), "w");
  if (out == nullptr) {
    std::perror(o.out.c_str());
    return exit_failed;
  }
  copy_encoder csv{copy_format::csv};
  std::string text;
  bool ok = true;
  if (o.tags) {
    csv.append(tsbs_tags_batch(o.data), text);
    ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
  } else {
    tsbs_cpu_generator gen{o.data};
    chunkstore::column_batch b;
    while (ok && gen.next(b, 10'000) > 0) {
      text.clear();
      csv.append(b, text);
      ok = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    }
  }
  ok = (out == stdout ? std::fflush(out) : std::fclose(out)) == 0 && ok;
  if (!ok) {
    std::fprintf(stderr, "hypertide-bench generate: write failed\n");
    return exit_failed;
  }
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  auto parsed = parse_options(argc, argv);
  if (auto* msg = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "%s\n", msg->c_str());
    return exit_usage;
  }
  const auto& o = std::get<bench_options>(parsed);
  if (o.help) {
    std::fputs(usage_text().c_str(), stdout);
    return exit_ok;
  }
  if (o.command == "generate")
    return generate(o);
  if (o.command == "queries")
    return run_print_queries(o);
  if (o.command == "load")
    return run_load(o);
  return run_queries(o);
}

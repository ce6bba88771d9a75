// hypertide-bench: the load-test harness (issue #4 builds it out). Today:
//   hypertide-bench generate [--seed N] [--scale HOSTS] [--start RFC3339]
//                            [--end RFC3339] [--interval SECONDS] [--out FILE]
// writes TSBS cpu-only rows as CSV (time, hostname, ten usage fields) for
// COPY ... FROM STDIN WITH (FORMAT csv) into any PostgreSQL-wire database.

#include <cstdio>
#include <cstring>
#include <string>

#include "benchmarks/tsbs_data.hpp"
#include "planner/datetime.hpp"

namespace {

using namespace hypertide;
namespace cs = hypertide::chunkstore;

int usage() {
  std::fprintf(stderr,
               "usage: hypertide-bench generate [--seed N] [--scale HOSTS] [--start TIME]\n"
               "                                [--end TIME] [--interval SECONDS] [--out FILE]\n");
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "generate") != 0)
    return usage();
  benchmarks::tsbs_options o;
  o.hosts = 100;
  o.end = o.start + cs::usecs_per_day;
  std::string out_path;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      auto eq = a.find('=');
      if (eq != std::string::npos)
        return a.substr(eq + 1);
      if (i + 1 < argc)
        return argv[++i];
      return {};
    };
    auto key = a.substr(0, a.find('='));
    std::string v = value();
    if (key == "--seed")
      o.seed = std::stoull(v);
    else if (key == "--scale")
      o.hosts = static_cast<uint32_t>(std::stoul(v));
    else if (key == "--interval")
      o.interval = std::stoll(v) * cs::usecs_per_second;
    else if (key == "--start" || key == "--end") {
      auto t = planner::parse_timestamptz(v);
      if (!t) {
        std::fprintf(stderr, "hypertide-bench: invalid time %s\n", v.c_str());
        return 2;
      }
      (key == "--start" ? o.start : o.end) = *t;
    } else if (key == "--out")
      out_path = v;
    else
      return usage();
  }
  FILE* out = out_path.empty() ? stdout : std::fopen(out_path.c_str(), "w");
  if (out == nullptr) {
    std::perror(out_path.c_str());
    return 1;
  }
  benchmarks::tsbs_cpu_generator gen{o};
  cs::column_batch b;
  std::string line;
  while (gen.next(b, 10'000) > 0) {
    const auto& time = b.col(0).i64;
    const auto& host = b.col(1);
    for (size_t r = 0; r < b.rows(); ++r) {
      line = planner::format_timestamptz(time[r]);
      line += ',';
      line += host.dict[host.codes[r]];
      for (int f = 0; f < 10; ++f) {
        line += ',';
        line += std::to_string(static_cast<int64_t>(b.col(static_cast<size_t>(2 + f)).f64[r]));
      }
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), out);
    }
  }
  if (out != stdout)
    std::fclose(out);
  return 0;
}

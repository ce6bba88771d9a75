#include "benchmarks/query_runner.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "benchmarks/bench_options.hpp"
#include "benchmarks/in_process.hpp"
#include "benchmarks/loader.hpp"
#include "benchmarks/pg_client.hpp"
#include "benchmarks/wire_client.hpp"
#include "benchmarks/progress.hpp"
#include "benchmarks/report.hpp"
#include "benchmarks/result_compare.hpp"
#include "planner/datetime.hpp"

namespace hypertide::benchmarks {

namespace {

using clk = std::chrono::steady_clock;

/// What the workers measured for one type on one server.
struct type_result {
  const devops_query_type* type = nullptr;
  std::vector<double> ms; ///< per query, in the order they finished
  double wall_s = 0;      ///< first query sent to last answer received
  uint64_t rows = 0;      ///< rows returned by all queries
  latency_stats stats;
};

/// A failure or a difference, with the query that caused it.
struct problem {
  std::string type;
  size_t index = 0;
  std::string sql;
  std::string what;
};

/// One worker's targets: the server (or a session on the in-process
/// node), and with --check the second server.
struct worker_targets {
  std::unique_ptr<query_target> first;
  std::unique_ptr<query_target> second;
};

std::string first_name(const bench_options& o) {
  return o.in_process ? std::string{"in-process node"} : o.server.name();
}

/// A connection to `a` of the kind --client names, or the error in `error`.
std::unique_ptr<query_target> connect(const bench_options& o, const server_address& a,
                                      std::string& error) {
  if (o.libpq) {
    auto c = std::make_unique<pg_client>();
    error = c->connect(a);
    return c;
  }
  auto c = std::make_unique<wire_client>(o.binary_results);
  error = c->connect(a);
  return c;
}

void print_table(const std::string& title, const std::vector<type_result>& results) {
  std::printf("%s\n", title.c_str());
  std::printf("%-22s %6s %9s %9s %9s %9s %9s %10s %9s\n", "type", "count", "min ms",
              "median ms", "mean ms", "p99 ms", "max ms", "queries/s", "rows/q");
  for (const auto& r : results) {
    const auto& s = r.stats;
    double qps = r.wall_s > 0 ? static_cast<double>(s.count) / r.wall_s : 0;
    std::printf("%-22s %6zu %9.3f %9.3f %9.3f %9.3f %9.3f %10.1f %9.1f\n", r.type->name,
                s.count, s.min, s.median, s.mean, s.p99, s.max, qps,
                s.count > 0 ? static_cast<double>(r.rows) / static_cast<double>(s.count) : 0.0);
  }
  std::fflush(stdout);
}

std::string results_json(const std::vector<type_result>& results) {
  std::string j = "[\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const auto& s = r.stats;
    double qps = r.wall_s > 0 ? static_cast<double>(s.count) / r.wall_s : 0;
    j += "    {\"type\": " + json_string(r.type->name) + ", \"count\": "
         + std::to_string(s.count) + ", \"min_ms\": " + json_number(s.min)
         + ", \"median_ms\": " + json_number(s.median) + ", \"mean_ms\": "
         + json_number(s.mean) + ", \"p99_ms\": " + json_number(s.p99)
         + ", \"max_ms\": " + json_number(s.max) + ", \"queries_per_s\": " + json_number(qps)
         + ", \"wall_s\": " + json_number(r.wall_s) + ", \"rows\": " + std::to_string(r.rows)
         + "}" + (i + 1 < results.size() ? ",\n" : "\n");
  }
  return j + "  ]";
}

std::string run_json(const bench_options& o, const std::vector<type_result>& first,
                     const std::vector<type_result>& second, size_t compared,
                     size_t differing) {
  std::string j = "{\n";
  j += "  \"command\": \"run\",\n";
  j += "  \"server\": " + json_string(o.in_process ? "in-process" : o.server.name()) + ",\n";
  j += "  \"protocol\": " + json_string(o.extended ? "extended" : "simple") + ",\n";
  j += "  \"dialect\": "
       + json_string(o.dialect == sql_dialect::postgres ? "postgres" : "timescaledb") + ",\n";
  j += "  \"workers\": " + std::to_string(o.workers) + ",\n";
  j += "  \"seed\": " + std::to_string(o.data.seed) + ",\n";
  j += "  \"scale\": " + std::to_string(o.data.hosts) + ",\n";
  j += "  \"start\": " + json_string(planner::format_timestamptz(o.data.start)) + ",\n";
  j += "  \"end\": " + json_string(planner::format_timestamptz(o.data.end)) + ",\n";
  j += "  \"types\": " + results_json(first);
  if (o.check) {
    j += ",\n  \"check\": {\"server2\": " + json_string(o.server2.name())
         + ", \"dialect2\": "
         + json_string(o.dialect2 == sql_dialect::postgres ? "postgres" : "timescaledb")
         + ", \"tolerance\": " + json_number(o.tolerance) + ", \"compared\": "
         + std::to_string(compared) + ", \"differing\": " + std::to_string(differing)
         + ", \"types2\": " + results_json(second) + "}";
  }
  return j + "\n}\n";
}

} // namespace

std::vector<std::vector<devops_query>> make_queries(const bench_options& o) {
  std::vector<std::vector<devops_query>> all;
  for (const auto* t : o.types) {
    devops_query_generator gen{o.data, *t, o.dialect};
    auto& qs = all.emplace_back();
    qs.reserve(o.count);
    for (size_t i = 0; i < o.count; ++i)
      qs.push_back(gen.next());
  }
  return all;
}

int run_print_queries(const bench_options& o) {
  auto all = make_queries(o);
  for (const auto& qs : all)
    for (const auto& q : qs)
      std::printf("%s;\n", q.sql.c_str());
  return std::fflush(stdout) == 0 ? exit_ok : exit_failed;
}

int run_queries(const bench_options& o) {
  auto all = make_queries(o);
  // run --in-process loads a node in this process first.
  std::unique_ptr<in_process_node> node;
  if (o.in_process) {
    node = std::make_unique<in_process_node>(o.threads);
    if (int code = load_in_process(*node, o); code != exit_ok)
      return code;
    std::printf("\n");
  }
  std::vector<worker_targets> conns(static_cast<size_t>(o.workers));
  for (size_t w = 0; w < conns.size(); ++w) {
    std::string e;
    if (node)
      conns[w].first = node->session();
    else
      conns[w].first = connect(o, o.server, e);
    if (e.empty() && o.check)
      conns[w].second = connect(o, o.server2, e);
    if (!e.empty()) {
      std::fprintf(stderr, "hypertide-bench run: worker %zu: %s\n", w, e.c_str());
      return exit_failed;
    }
  }

  std::vector<type_result> first, second;
  std::vector<problem> failures, differences;
  size_t compared = 0;
  std::mutex m;
  compare_options cmp;
  cmp.tolerance = o.tolerance;
  for (size_t t = 0; t < all.size() && failures.empty(); ++t) {
    const auto& qs = all[t];
    type_result r1, r2;
    r1.type = r2.type = o.types[t];
    // The second server gets the same drawn queries in its own dialect.
    std::vector<std::string> sql2;
    for (const auto& q : qs)
      sql2.push_back(o.check ? devops_query_sql(q, o.dialect2) : std::string{});
    std::atomic<size_t> next{0};
    auto t0 = clk::now();
    std::vector<std::thread> threads;
    for (size_t w = 0; w < conns.size(); ++w) {
      threads.emplace_back([&, w] {
        result_set a, b;
        for (size_t i; (i = next.fetch_add(1)) < qs.size();) {
          const auto& q = qs[i];
          size_t rows1 = 0, rows2 = 0;
          auto s = clk::now();
          std::string e = conns[w].first->query(q.sql, o.extended, rows1, o.check ? &a : nullptr);
          double ms1 = std::chrono::duration<double, std::milli>(clk::now() - s).count();
          double ms2 = 0;
          const std::string* failed_sql = &q.sql;
          if (e.empty() && o.check) {
            failed_sql = &sql2[i];
            s = clk::now();
            e = conns[w].second->query(sql2[i], o.extended, rows2, &b);
            ms2 = std::chrono::duration<double, std::milli>(clk::now() - s).count();
            if (!e.empty())
              e = o.server2.name() + ": " + e;
          } else if (!e.empty()) {
            e = first_name(o) + ": " + e;
          }
          std::string diff;
          if (e.empty() && o.check) {
            compare_options c = cmp;
            c.ordered = q.ordered();
            diff = compare_results(a, b, c);
          }
          std::lock_guard lock{m};
          if (!e.empty()) {
            failures.push_back({q.type->name, i, *failed_sql, e});
            next = qs.size(); // stop every worker of this type
            return;
          }
          r1.ms.push_back(ms1);
          r1.rows += rows1;
          if (o.check) {
            r2.ms.push_back(ms2);
            r2.rows += rows2;
            ++compared;
            if (!diff.empty())
              differences.push_back({q.type->name, i, q.sql, diff});
          }
        }
      });
    }
    for (auto& th : threads)
      th.join();
    r1.wall_s = r2.wall_s = std::chrono::duration<double>(clk::now() - t0).count();
    r1.stats = compute_stats(r1.ms);
    r2.stats = compute_stats(r2.ms);
    first.push_back(std::move(r1));
    second.push_back(std::move(r2));
  }

  for (const auto& f : failures)
    std::fprintf(stderr, "hypertide-bench run: %s query %zu failed: %s\n  %s\n",
                 f.type.c_str(), f.index + 1, f.what.c_str(), f.sql.c_str());
  if (!failures.empty())
    return exit_failed;

  std::string mode = std::string{o.extended ? "extended" : "simple"} + " protocol"
                     + (o.in_process ? " through actors::local_session" : "") + ", "
                     + std::to_string(o.workers) + " worker" + (o.workers == 1 ? "" : "s");
  print_table("run: " + first_name(o) + " (" + mode + ")", first);
  if (o.check) {
    // With --check each worker waits for both servers, so the second
    // table's queries/s is shared with the first's.
    std::printf("\n");
    print_table("run --check: " + o.server2.name() + " (" + mode + ")", second);
    std::printf("\ncheck: %zu queries compared, %zu differ (floats within %g relative)\n",
                compared, differences.size(), o.tolerance);
    constexpr size_t shown = 10;
    for (size_t i = 0; i < differences.size() && i < shown; ++i) {
      const auto& d = differences[i];
      std::printf("MISMATCH %s query %zu: %s\n%s", d.type.c_str(), d.index + 1, d.sql.c_str(),
                  d.what.c_str());
    }
    if (differences.size() > shown)
      std::printf("... and %zu more queries differ\n", differences.size() - shown);
  }
  std::fflush(stdout);
  if (!o.json.empty())
    if (auto e = write_file(o.json, run_json(o, first, second, compared, differences.size()));
        !e.empty()) {
      std::fprintf(stderr, "hypertide-bench run: %s\n", e.c_str());
      return exit_failed;
    }
  return differences.empty() ? exit_ok : exit_mismatch;
}

} // namespace hypertide::benchmarks

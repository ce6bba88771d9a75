#pragma once

// hypertide-bench queries and run: TSBS devops queries printed, or sent
// to a server by concurrent workers and timed (and with --check compared
// with a second server's answers).

#include <string>
#include <vector>

#include "benchmarks/tsbs_queries.hpp"

namespace hypertide::benchmarks {

struct bench_options;

/// The queries `o` asks for: `o.count` of each type in `o.types`, each
/// type drawn from its own stream of the seed (parse_options() has checked
/// that every type fits the data set).
std::vector<std::vector<devops_query>> make_queries(const bench_options& o);

/// Runs `queries`; returns the process exit code.
int run_print_queries(const bench_options& o);

/// Runs `run`; returns the process exit code.
int run_queries(const bench_options& o);

} // namespace hypertide::benchmarks

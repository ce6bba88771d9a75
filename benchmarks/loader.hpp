#pragma once

// hypertide-bench load: the schema, then the generated rows streamed by
// COPY FROM STDIN over one connection per worker (or into a node in this
// process).

#include <string>

namespace hypertide::benchmarks {

struct bench_options;
class in_process_node;

/// The statements that create the schema `o` asks for (cpu, its hypertable
/// and indexes, tags), in order; with --drop, DROP TABLE statements first.
std::string schema_sql(const bench_options& o);

/// Loads the data of `o` into `node` (schema, tags, rows by `o.workers`
/// threads) and prints the summary; returns the process exit code. What
/// `load --in-process` and `run --in-process` do first.
int load_in_process(in_process_node& node, const bench_options& o);

/// Runs `load`; returns the process exit code.
int run_load(const bench_options& o);

} // namespace hypertide::benchmarks

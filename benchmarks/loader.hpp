#pragma once

// hypertide-bench load: the schema, then the generated rows streamed by
// COPY FROM STDIN over one connection per worker (or into a node in this
// process).

#include <string>

namespace hypertide::benchmarks {

struct bench_options;

/// The statements that create the schema `o` asks for (cpu, its hypertable
/// and indexes, tags), in order; with --drop, DROP TABLE statements first.
std::string schema_sql(const bench_options& o);

/// Runs `load`; returns the process exit code.
int run_load(const bench_options& o);

} // namespace hypertide::benchmarks

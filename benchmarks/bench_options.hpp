#pragma once

// The command line of hypertide-bench: one struct for every subcommand's
// flags, and the parser that fills it or says what is wrong.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "benchmarks/copy_encoder.hpp"
#include "benchmarks/tsbs_data.hpp"
#include "benchmarks/tsbs_queries.hpp"

namespace hypertide::benchmarks {

/// Exit codes of hypertide-bench.
enum exit_code : int {
  exit_ok = 0,
  exit_failed = 1,   ///< a server error, a lost connection, a file not written
  exit_usage = 2,    ///< bad command line
  exit_mismatch = 3, ///< run --check found results that differ
};

/// Where a server listens (libpq keywords).
struct server_address {
  std::string host = "127.0.0.1";
  uint16_t port = 5433;
  std::string user = "postgres";
  std::string dbname = "postgres";

  /// A libpq conninfo string.
  std::string conninfo() const;
  /// `host:port`, for messages.
  std::string name() const;
};

/// Every flag of every subcommand, with its default.
struct bench_options {
  std::string command; ///< generate, queries, load or run
  bool help = false;   ///< --help: print usage_text() and stop

  // Data (every subcommand): the same flags draw the same rows.
  tsbs_options data;

  // generate
  std::string out;  ///< --out FILE (default standard output)
  bool tags = false; ///< --tags: write the hosts' tags instead of the rows

  // load and run
  server_address server;
  int workers = 1;
  bool in_process = false;
  int threads = 2; ///< --threads: scheduler threads of the in-process node
  std::string json; ///< --json FILE
  double progress_every = 0; ///< --progress-every SECONDS (0: 0.2 on a terminal, else 10)

  // load
  size_t batch_size = 10'000;
  copy_format format = copy_format::binary;
  bool hypertable = true;                               ///< --schema hypertable|table
  int64_t chunk_interval = 12 * chunkstore::usecs_per_hour; ///< --chunk-interval
  int partitions = 0;                                   ///< --partitions (0: none)
  bool create = true;                                   ///< --no-create
  bool drop = false;                                    ///< --drop
  bool indexes = false;                                 ///< --indexes
  bool tags_table = true;                               ///< --no-tags
  bool dry_run = false; ///< --dry-run: generate and encode, send nothing
  bool pregenerate = false; ///< --pregenerate: every batch drawn before the clock starts

  // queries and run
  std::vector<const devops_query_type*> types; ///< --type (default: all 15)
  size_t count = 100;
  sql_dialect dialect = sql_dialect::timescaledb;
  bool extended = false; ///< --protocol extended
  bool libpq = false;          ///< --client libpq (default: stream, benchmarks/wire_client.hpp)
  bool binary_results = false; ///< --result-format binary
  bool check = false;
  server_address server2; ///< --host2, --port2, --user2, --dbname2
  sql_dialect dialect2 = sql_dialect::timescaledb; ///< --dialect2 (default: --dialect)
  double tolerance = 1e-9; ///< --tolerance: relative, for float cells
};

/// Parses the command line: the options, or a message for standard error
/// (exit code 2; with no command at all, the message is the usage text).
std::variant<bench_options, std::string> parse_options(int argc, char** argv);

/// The usage text.
std::string usage_text();

} // namespace hypertide::benchmarks

#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "chunkstore/column_batch.hpp"
#include "chunkstore/types.hpp"

namespace hypertide::benchmarks {

/// The TSBS devops cpu-only workload's shape: 4,000 hosts by default, a row
/// per host every 10 s, ten `usage_*` fields.
struct tsbs_options {
  uint64_t seed = 123;
  uint32_t hosts = 4000;
  chunkstore::timestamp start = 1'451'606'400LL * chunkstore::usecs_per_second; // 2016-01-01
  chunkstore::timestamp end = start + 12 * chunkstore::usecs_per_hour;
  int64_t interval = 10 * chunkstore::usecs_per_second;
};

/// The ten cpu fields, in table order after `time` and `hostname`.
extern const char* const tsbs_cpu_fields[10];

/// Deterministic TSBS cpu-only rows in TSBS order (by time, then host).
/// Each field of each host is a random walk that starts uniform in
/// [0, 100), steps N(0, 1) per tick and is clamped to [0, 100]; values are
/// stored truncated to integers, as TSBS does.
class tsbs_cpu_generator {
public:
  explicit tsbs_cpu_generator(const tsbs_options& opts);

  /// `time timestamptz, hostname text, usage_user float8, ...`.
  static chunkstore::table_schema schema();

  /// Replaces `batch` with up to `max_rows` next rows; returns how many
  /// (0 at the end).
  size_t next(chunkstore::column_batch& batch, size_t max_rows);

  uint64_t total_rows() const noexcept { return total_; }
  const std::string& host_name(uint32_t h) const { return names_[h]; }

private:
  tsbs_options opts_;
  std::mt19937_64 rng_;
  std::normal_distribution<double> step_{0.0, 1.0};
  std::vector<std::string> names_;
  std::vector<double> state_; ///< hosts x 10
  uint64_t total_ = 0;
  uint64_t produced_ = 0;
};

} // namespace hypertide::benchmarks

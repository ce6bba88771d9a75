#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "benchmarks/tsbs_random.hpp"
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

  /// Ticks from `start` (inclusive) to `end` (exclusive).
  uint64_t ticks() const noexcept;
  /// Rows of the whole data set: ticks() x hosts.
  uint64_t rows() const noexcept { return ticks() * hosts; }
};

/// The ten cpu fields, in table order after `time` and `hostname`.
extern const char* const tsbs_cpu_fields[10];

/// The ten host tags, in TSBS's order.
extern const char* const tsbs_tag_names[10];

/// A host's ten tags (TSBS's `Host`): drawn once per host from the seed,
/// with TSBS's value sets: 9 regions and their 23 datacenters, racks and
/// services "0".."99" and "0".."19", service versions "0" and "1", 3 OSes,
/// 2 archs, 4 teams, 3 environments.
struct host_tags {
  std::array<std::string, 10> values; ///< in tsbs_tag_names order

  const std::string& hostname() const noexcept { return values[0]; }
};

/// The tags of host `host` for `seed` (independent of the scale).
host_tags tsbs_host_tags(uint64_t seed, uint32_t host);

/// The name of host `h`: `host_<h>`.
std::string tsbs_host_name(uint32_t h);

/// The `tags` table: the ten tags as text columns, one row per host.
chunkstore::table_schema tsbs_tags_schema();

/// The tags of every host of `opts`, as rows of tsbs_tags_schema().
chunkstore::column_batch tsbs_tags_batch(const tsbs_options& opts);

/// Deterministic TSBS cpu-only rows in TSBS order (by time, then host) for
/// the hosts [first_host, first_host + host_count). Each field of each
/// host is a random walk that starts uniform in [0, 100), steps N(0, 1)
/// per tick and is clamped to [0, 100]; values are reported truncated to
/// integers, as TSBS does. A host's walk has its own random stream, so
/// a host's rows are the same whichever range generates them.
class tsbs_cpu_generator {
public:
  /// All hosts of `opts`.
  explicit tsbs_cpu_generator(const tsbs_options& opts);
  /// Hosts [first_host, first_host + host_count), clipped to opts.hosts.
  tsbs_cpu_generator(const tsbs_options& opts, uint32_t first_host, uint32_t host_count);

  /// `time timestamptz, hostname text, usage_user float8, ...`.
  static chunkstore::table_schema schema();

  /// Replaces `batch` with up to `max_rows` next rows; returns how many
  /// (0 at the end). The hostname dictionary is the range's host names.
  size_t next(chunkstore::column_batch& batch, size_t max_rows);

  /// Rows the generator makes in all: ticks x hosts of its range.
  uint64_t total_rows() const noexcept { return total_; }
  /// Rows made so far.
  uint64_t produced_rows() const noexcept { return produced_; }
  /// The name of host `h` (a number in the generator's range).
  const std::string& host_name(uint32_t h) const { return names_[h - first_]; }

private:
  tsbs_options opts_;
  uint32_t first_ = 0;
  uint32_t count_ = 0;
  std::vector<std::string> names_;
  std::vector<tsbs_random> rng_; ///< one stream per host
  std::vector<double> state_;    ///< count_ x 10
  uint64_t total_ = 0;
  uint64_t produced_ = 0;
};

} // namespace hypertide::benchmarks

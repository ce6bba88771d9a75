#include "benchmarks/tsbs_data.hpp"

#include <algorithm>
#include <cmath>

namespace hypertide::benchmarks {

namespace cs = chunkstore;

const char* const tsbs_cpu_fields[10] = {
  "usage_user",   "usage_system", "usage_idle",  "usage_nice",  "usage_iowait",
  "usage_irq",    "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};

tsbs_cpu_generator::tsbs_cpu_generator(const tsbs_options& opts)
  : opts_(opts), rng_(opts.seed) {
  names_.reserve(opts.hosts);
  for (uint32_t h = 0; h < opts.hosts; ++h)
    names_.push_back("host_" + std::to_string(h));
  std::uniform_real_distribution<double> start{0.0, 100.0};
  state_.resize(static_cast<size_t>(opts.hosts) * 10);
  for (auto& v : state_)
    v = start(rng_);
  uint64_t ticks = opts.end > opts.start
                     ? static_cast<uint64_t>((opts.end - opts.start + opts.interval - 1)
                                             / opts.interval)
                     : 0;
  total_ = ticks * opts.hosts;
}

cs::table_schema tsbs_cpu_generator::schema() {
  cs::table_schema s;
  s.columns.push_back({"time", cs::column_type::timestamptz, true});
  s.columns.push_back({"hostname", cs::column_type::text, false});
  for (const char* f : tsbs_cpu_fields)
    s.columns.push_back({f, cs::column_type::float8, false});
  return s;
}

size_t tsbs_cpu_generator::next(cs::column_batch& batch, size_t max_rows) {
  size_t n = static_cast<size_t>(std::min<uint64_t>(max_rows, total_ - produced_));
  batch = cs::column_batch{schema()};
  auto& time = batch.col(0);
  auto& host = batch.col(1);
  time.i64.resize(n);
  host.codes.resize(n);
  // The whole host list is the dictionary; codes are host numbers.
  host.dict = names_;
  for (int f = 0; f < 10; ++f)
    batch.col(static_cast<size_t>(2 + f)).f64.resize(n);
  for (size_t i = 0; i < n; ++i, ++produced_) {
    auto h = static_cast<uint32_t>(produced_ % opts_.hosts);
    uint64_t tick = produced_ / opts_.hosts;
    time.i64[i] = opts_.start + static_cast<int64_t>(tick) * opts_.interval;
    host.codes[i] = h;
    double* st = &state_[static_cast<size_t>(h) * 10];
    for (int f = 0; f < 10; ++f) {
      // The first tick reports the starting values.
      if (tick > 0)
        st[f] = std::clamp(st[f] + step_(rng_), 0.0, 100.0);
      batch.col(static_cast<size_t>(2 + f)).f64[i] = std::trunc(st[f]);
    }
  }
  batch.set_rows(n);
  return n;
}

} // namespace hypertide::benchmarks

#include "benchmarks/tsbs_data.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <string_view>

namespace hypertide::benchmarks {

namespace cs = chunkstore;

const char* const tsbs_cpu_fields[10] = {
  "usage_user",   "usage_system", "usage_idle",  "usage_nice",  "usage_iowait",
  "usage_irq",    "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};

const char* const tsbs_tag_names[10] = {
  "hostname", "region",  "datacenter",      "rack",
  "os",       "arch",    "team",            "service",
  "service_version",     "service_environment"};

namespace {

struct region {
  std::string_view name;
  std::span<const std::string_view> datacenters;
};

// TSBS's devops host model: regions with their datacenters, and the
// other tags' choices.
constexpr std::string_view us_east_1[] = {"us-east-1a", "us-east-1b", "us-east-1c",
                                          "us-east-1e"};
constexpr std::string_view us_west_1[] = {"us-west-1a", "us-west-1b"};
constexpr std::string_view us_west_2[] = {"us-west-2a", "us-west-2b", "us-west-2c"};
constexpr std::string_view eu_west_1[] = {"eu-west-1a", "eu-west-1b", "eu-west-1c"};
constexpr std::string_view eu_central_1[] = {"eu-central-1a", "eu-central-1b"};
constexpr std::string_view ap_southeast_1[] = {"ap-southeast-1a", "ap-southeast-1b"};
constexpr std::string_view ap_southeast_2[] = {"ap-southeast-2a", "ap-southeast-2b"};
constexpr std::string_view ap_northeast_1[] = {"ap-northeast-1a", "ap-northeast-1c"};
constexpr std::string_view sa_east_1[] = {"sa-east-1a", "sa-east-1b", "sa-east-1c"};

const region regions[] = {
  {"us-east-1", us_east_1},           {"us-west-1", us_west_1},
  {"us-west-2", us_west_2},           {"eu-west-1", eu_west_1},
  {"eu-central-1", eu_central_1},     {"ap-southeast-1", ap_southeast_1},
  {"ap-southeast-2", ap_southeast_2}, {"ap-northeast-1", ap_northeast_1},
  {"sa-east-1", sa_east_1}};

constexpr std::string_view teams[] = {"SF", "NYC", "LON", "CHI"};
constexpr std::string_view oses[] = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
constexpr std::string_view archs[] = {"x64", "x86"};
constexpr std::string_view environments[] = {"production", "staging", "test"};
constexpr uint64_t racks = 100;
constexpr uint64_t services = 20;
constexpr uint64_t service_versions = 2;

template <class Range>
std::string pick(tsbs_random& r, const Range& choices) {
  return std::string{choices[r.below(std::size(choices))]};
}

} // namespace

uint64_t tsbs_options::ticks() const noexcept {
  if (end <= start || interval <= 0)
    return 0;
  return static_cast<uint64_t>((end - start + interval - 1) / interval);
}

std::string tsbs_host_name(uint32_t h) {
  return "host_" + std::to_string(h);
}

host_tags tsbs_host_tags(uint64_t seed, uint32_t host) {
  tsbs_random r{seed, tsbs_random::stream(tsbs_random::host_tags, host)};
  host_tags t;
  const region& reg = regions[r.below(std::size(regions))];
  t.values[0] = tsbs_host_name(host);
  t.values[1] = std::string{reg.name};
  t.values[2] = pick(r, reg.datacenters);
  t.values[3] = std::to_string(r.below(racks));
  t.values[4] = pick(r, oses);
  t.values[5] = pick(r, archs);
  t.values[6] = pick(r, teams);
  t.values[7] = std::to_string(r.below(services));
  t.values[8] = std::to_string(r.below(service_versions));
  t.values[9] = pick(r, environments);
  return t;
}

cs::table_schema tsbs_tags_schema() {
  cs::table_schema s;
  for (const char* t : tsbs_tag_names)
    s.columns.push_back({t, cs::column_type::text, false});
  return s;
}

cs::column_batch tsbs_tags_batch(const tsbs_options& opts) {
  cs::column_batch b{tsbs_tags_schema()};
  for (uint32_t h = 0; h < opts.hosts; ++h) {
    auto tags = tsbs_host_tags(opts.seed, h);
    for (size_t c = 0; c < tags.values.size(); ++c)
      b.append_text(c, tags.values[c]);
    b.finish_row();
  }
  return b;
}

tsbs_cpu_generator::tsbs_cpu_generator(const tsbs_options& opts)
  : tsbs_cpu_generator(opts, 0, opts.hosts) {
}

tsbs_cpu_generator::tsbs_cpu_generator(const tsbs_options& opts, uint32_t first_host,
                                       uint32_t host_count)
  : opts_(opts), first_(std::min(first_host, opts.hosts)) {
  count_ = std::min(host_count, opts.hosts - first_);
  names_.reserve(count_);
  rng_.reserve(count_);
  state_.resize(static_cast<size_t>(count_) * 10);
  for (uint32_t i = 0; i < count_; ++i) {
    uint32_t h = first_ + i;
    names_.push_back(tsbs_host_name(h));
    rng_.emplace_back(opts.seed, tsbs_random::stream(tsbs_random::cpu_walk, h));
    for (int f = 0; f < 10; ++f)
      state_[static_cast<size_t>(i) * 10 + static_cast<size_t>(f)] = 100.0 * rng_[i].uniform();
  }
  total_ = opts.ticks() * count_;
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
  // The range's host names are the dictionary; codes are host - first.
  host.dict = names_;
  double* fields[10];
  for (size_t f = 0; f < 10; ++f) {
    batch.col(2 + f).f64.resize(n);
    fields[f] = batch.col(2 + f).f64.data();
  }
  for (size_t i = 0; i < n; ++i, ++produced_) {
    auto h = static_cast<uint32_t>(produced_ % count_);
    uint64_t tick = produced_ / count_;
    time.i64[i] = opts_.start + static_cast<int64_t>(tick) * opts_.interval;
    host.codes[i] = h;
    double* st = &state_[static_cast<size_t>(h) * 10];
    auto& rng = rng_[h];
    for (int f = 0; f < 10; ++f) {
      // The first tick reports the starting values.
      if (tick > 0)
        st[f] = std::clamp(st[f] + rng.normal(), 0.0, 100.0);
      fields[f][i] = std::trunc(st[f]);
    }
  }
  batch.set_rows(n);
  return n;
}

} // namespace hypertide::benchmarks

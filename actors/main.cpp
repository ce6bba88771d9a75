// The hypertide node binary. Until the wire protocol lands (issue #3) it
// starts a stand-alone node in process, loads a small TSBS cpu-only data set
// through the actor path and prints the answers of TSBS-shaped queries.

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exec_main.hpp>
#include <caf/io/middleman.hpp>

#include "actors/node.hpp"
#include "benchmarks/tsbs_data.hpp"

namespace {

namespace cs = hypertide::chunkstore;
using namespace hypertide;

struct config : caf::actor_system_config {
  uint32_t hosts = 100;
  uint32_t hours = 6;
  config() {
    opt_group{custom_options_, "hypertide"}
      .add(hosts, "demo-hosts", "hosts in the demo data set")
      .add(hours, "demo-hours", "hours of data in the demo data set");
    // Two workers on this 2-core machine; CAF's default of four polls.
    set("scheduler.max-threads", 2);
  }
};

template <class T>
const cs::pg_error* failed(const T& r) {
  return std::get_if<cs::pg_error>(&r);
}

std::string show(const cs::value& v) {
  if (v.is_null)
    return "NULL";
  char buf[64];
  switch (v.type) {
    case cs::column_type::text:
      return v.s;
    case cs::column_type::float8:
      std::snprintf(buf, sizeof buf, "%.2f", v.f);
      return buf;
    case cs::column_type::timestamptz: {
      int64_t secs = cs::floor_div(v.i, cs::usecs_per_second);
      int64_t days = cs::floor_div(secs, 86400);
      int64_t y;
      unsigned m, d;
      cs::civil_from_days(days, y, m, d);
      int64_t s = secs - days * 86400;
      std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02u %02" PRId64 ":%02" PRId64
                    ":%02" PRId64 "+00", y, m, d, s / 3600, s / 60 % 60, s % 60);
      return buf;
    }
    default:
      return std::to_string(v.i);
  }
}

void print(const char* title, const cs::fragment& f, const cs::partial_result& r,
           size_t max_rows) {
  std::printf("\n-- %s (%" PRIu64 " rows scanned in %" PRIu64 " chunks)\n", title,
              r.stats.rows_scanned, r.stats.chunks);
  for (size_t g = 0; g < r.groups() && g < max_rows; ++g) {
    std::string line;
    for (size_t k = 0; k < r.keys.num_columns(); ++k)
      line += show(r.keys.at(g, k)) + " | ";
    for (size_t a = 0; a < f.aggregates.size(); ++a)
      line += show(r.final_value(a, g)) + (a + 1 < f.aggregates.size() ? " | " : "");
    std::printf("%s\n", line.c_str());
  }
  if (r.groups() > max_rows)
    std::printf("... (%zu groups)\n", r.groups());
}

void caf_main(caf::actor_system& sys, const config& cfg) {
  actors::node node{sys};
  benchmarks::tsbs_options opts;
  opts.hosts = cfg.hosts;
  opts.end = opts.start + cfg.hours * cs::usecs_per_hour;
  benchmarks::tsbs_cpu_generator gen{opts};
  auto schema = benchmarks::tsbs_cpu_generator::schema();
  auto created = node.create_table({"cpu", schema, false});
  if (auto* e = failed(created)) {
    std::fprintf(stderr, "ERROR: %s\n", e->message.c_str());
    return;
  }
  auto h = node.create_hypertable({"cpu", "time", 2 * cs::usecs_per_hour, "hostname", 2, false});
  if (auto* e = failed(h)) {
    std::fprintf(stderr, "ERROR: %s\n", e->message.c_str());
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  cs::column_batch batch;
  uint64_t rows = 0;
  while (gen.next(batch, 10'000) > 0) {
    auto r = node.insert("cpu", batch);
    if (auto* e = failed(r)) {
      std::fprintf(stderr, "ERROR: %s\n", e->message.c_str());
      return;
    }
    rows += std::get<actors::insert_result>(r).rows;
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto chunks = node.show_chunks("cpu");
  std::printf("hypertide demo: loaded %" PRIu64 " TSBS cpu rows (%u hosts x %u h) into %zu "
              "chunks in %.3f s (%.0f rows/s)\n",
              rows, cfg.hosts, cfg.hours,
              failed(chunks) ? size_t{0} : std::get<0>(chunks).size(), secs, rows / secs);

  // TSBS double-groupby-1: avg(usage_user) per hour per host.
  cs::fragment dg;
  dg.table = "cpu";
  cs::group_key hour;
  hour.k = cs::group_key::kind::time_bucket;
  hour.column = 0;
  hour.bucket.width = cs::usecs_per_hour;
  dg.keys = {hour, cs::group_key{cs::group_key::kind::column, 1, {}}};
  dg.aggregates = {{cs::agg_kind::avg, 2, -1}};
  if (auto r = node.query(dg); !failed(r))
    print("avg(usage_user) per hour and host", dg, std::get<cs::partial_result>(r), 5);

  // TSBS single-groupby-1-1-1: max(usage_user) per minute, one host, 1 h.
  cs::fragment sg;
  sg.table = "cpu";
  sg.filter = cs::predicate::all_of(
    {cs::predicate::in(1, {cs::value::of_text("host_1")}),
     cs::predicate::compare(0, cs::cmp_op::ge, cs::value::of_int(cs::column_type::timestamptz, opts.start)),
     cs::predicate::compare(0, cs::cmp_op::lt, cs::value::of_int(cs::column_type::timestamptz, opts.start + cs::usecs_per_hour))});
  cs::group_key minute = hour;
  minute.bucket.width = cs::usecs_per_minute;
  sg.keys = {minute};
  sg.aggregates = {{cs::agg_kind::max, 2, -1}};
  if (auto r = node.query(sg); !failed(r))
    print("max(usage_user) per minute for host_1", sg, std::get<cs::partial_result>(r), 5);

  // TSBS lastpoint: the last row of every host.
  cs::fragment lp;
  lp.table = "cpu";
  lp.keys = {cs::group_key{cs::group_key::kind::column, 1, {}}};
  lp.aggregates = {{cs::agg_kind::last, 0, 0}, {cs::agg_kind::last, 2, 0}};
  if (auto r = node.query(lp); !failed(r))
    print("lastpoint: last(time), last(usage_user) per host", lp,
          std::get<cs::partial_result>(r), 5);
  node.stop();
}

} // namespace

CAF_MAIN(caf::io::middleman)

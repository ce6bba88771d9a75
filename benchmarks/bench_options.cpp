#include "benchmarks/bench_options.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <functional>
#include <optional>
#include <string_view>

#include "planner/datetime.hpp"
#include "planner/interval.hpp"

namespace hypertide::benchmarks {

namespace cs = chunkstore;

std::string server_address::conninfo() const {
  // libpq's quoting: single quotes around values, backslash escapes.
  auto quote = [](const std::string& v) {
    std::string s = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\')
        s += '\\';
      s += c;
    }
    return s + "'";
  };
  return "host=" + quote(host) + " port=" + std::to_string(port) + " user=" + quote(user)
         + " dbname=" + quote(dbname) + " connect_timeout=10";
}

std::string server_address::name() const {
  return host + ":" + std::to_string(port);
}

namespace {

enum command_mask : unsigned { gen = 1, qry = 2, load = 4, run = 8, all = 15 };

unsigned mask_of(std::string_view command) {
  if (command == "generate")
    return gen;
  if (command == "queries")
    return qry;
  if (command == "load")
    return load;
  if (command == "run")
    return run;
  return 0;
}

/// One flag: its name, the commands that take it, whether it takes a value,
/// and what it does with the value (an error message, or empty).
struct flag {
  const char* name;
  unsigned commands;
  bool takes_value;
  std::function<std::string(bench_options&, std::string_view)> apply;
};

template <class T>
std::optional<T> parse_number(std::string_view v) {
  T x{};
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  if (r.ec != std::errc{} || r.ptr != v.data() + v.size())
    return std::nullopt;
  return x;
}

/// An integer in [lo, hi] into `out`, or a message.
template <class T>
std::string set_int(T& out, std::string_view v, long long lo, long long hi) {
  auto x = parse_number<long long>(v);
  if (!x || *x < lo || *x > hi)
    return "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi)
           + ", got '" + std::string{v} + "'";
  out = static_cast<T>(*x);
  return {};
}

/// A duration: a number of seconds (`10`), or an interval (`10s`,
/// `12 hours`, `00:00:10`).
std::optional<int64_t> parse_duration(std::string_view v) {
  if (auto secs = parse_number<long long>(v))
    return *secs * cs::usecs_per_second;
  if (auto iv = planner::parse_interval(v))
    return iv->fixed_micros();
  return std::nullopt;
}

std::string set_duration(int64_t& out, std::string_view v) {
  auto d = parse_duration(v);
  if (!d || *d <= 0)
    return "expected a positive duration (seconds, or an interval such as '10s' or "
           "'12 hours'), got '"
           + std::string{v} + "'";
  out = *d;
  return {};
}

std::string set_time(cs::timestamp& out, std::string_view v) {
  auto t = planner::parse_timestamptz(v);
  if (!t)
    return "expected an RFC 3339 time such as 2016-01-01T00:00:00Z, got '" + std::string{v}
           + "'";
  out = *t;
  return {};
}

std::string set_types(bench_options& o, std::string_view v) {
  o.types.clear();
  if (v == "all") {
    for (const auto& t : devops_query_types())
      o.types.push_back(&t);
    return {};
  }
  while (!v.empty()) {
    auto comma = v.find(',');
    auto name = v.substr(0, comma);
    const auto* t = find_devops_query_type(name);
    if (t == nullptr) {
      std::string known;
      for (const auto& k : devops_query_types())
        known += std::string{known.empty() ? "" : ", "} + k.name;
      return "unknown query type '" + std::string{name} + "' (types: all, " + known + ")";
    }
    o.types.push_back(t);
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
  }
  return {};
}

std::string set_positive_double(double& out, std::string_view v) {
  auto x = parse_number<double>(v);
  if (!x || !(*x > 0))
    return "expected a positive number, got '" + std::string{v} + "'";
  out = *x;
  return {};
}

/// Setters for the flag table: a string, a switch, one of named choices.
template <class Get>
auto store(Get get) {
  return [get](bench_options& o, std::string_view v) {
    get(o) = std::string{v};
    return std::string{};
  };
}

auto turn(bool bench_options::*member, bool value) {
  return [member, value](bench_options& o, std::string_view) {
    o.*member = value;
    return std::string{};
  };
}

template <class T, class Get>
auto choose(Get get, std::vector<std::pair<std::string_view, T>> choices) {
  return [get, choices](bench_options& o, std::string_view v) {
    std::string names;
    for (const auto& [name, x] : choices) {
      if (v == name) {
        get(o) = x;
        return std::string{};
      }
      names += std::string{names.empty() ? "" : " or "} + std::string{name};
    }
    return "expected " + names + ", got '" + std::string{v} + "'";
  };
}

template <class Get>
auto integer(Get get, long long lo, long long hi) {
  return [get, lo, hi](bench_options& o, std::string_view v) { return set_int(get(o), v, lo, hi); };
}

#define HT_FIELD(expr) [](bench_options& o) -> auto& { return o.expr; }

const std::vector<flag>& flags() {
  static const std::vector<flag> f = {
    // The data: every subcommand.
    {"--seed", all, true,
     [](bench_options& o, std::string_view v) {
       auto x = parse_number<uint64_t>(v);
       if (!x)
         return "expected an unsigned integer, got '" + std::string{v} + "'";
       o.data.seed = *x;
       return std::string{};
     }},
    {"--scale", all, true, integer(HT_FIELD(data.hosts), 1, 10'000'000)},
    {"--start", all, true,
     [](bench_options& o, std::string_view v) { return set_time(o.data.start, v); }},
    {"--end", all, true,
     [](bench_options& o, std::string_view v) { return set_time(o.data.end, v); }},
    {"--interval", all, true,
     [](bench_options& o, std::string_view v) { return set_duration(o.data.interval, v); }},
    // generate
    {"--out", gen, true, store(HT_FIELD(out))},
    {"--tags", gen, false, turn(&bench_options::tags, true)},
    // Servers.
    {"--host", load | run, true, store(HT_FIELD(server.host))},
    {"--port", load | run, true, integer(HT_FIELD(server.port), 1, 65535)},
    {"--user", load | run, true, store(HT_FIELD(server.user))},
    {"--dbname", load | run, true, store(HT_FIELD(server.dbname))},
    {"--workers", load | run, true, integer(HT_FIELD(workers), 1, 1024)},
    {"--json", load | run, true, store(HT_FIELD(json))},
    {"--in-process", load | run, false, turn(&bench_options::in_process, true)},
    {"--threads", load | run, true, integer(HT_FIELD(threads), 1, 256)},
    {"--progress-every", load | run, true,
     [](bench_options& o, std::string_view v) {
       return set_positive_double(o.progress_every, v);
     }},
    // load
    {"--batch-size", load | run, true, integer(HT_FIELD(batch_size), 1, 100'000'000)},
    {"--format", load, true,
     choose<copy_format>(HT_FIELD(format), {{"binary", copy_format::binary},
                                            {"text", copy_format::text},
                                            {"csv", copy_format::csv}})},
    {"--schema", load | run, true,
     choose<bool>(HT_FIELD(hypertable), {{"hypertable", true}, {"table", false}})},
    {"--chunk-interval", load | run, true,
     [](bench_options& o, std::string_view v) { return set_duration(o.chunk_interval, v); }},
    {"--partitions", load | run, true, integer(HT_FIELD(partitions), 0, 1024)},
    {"--no-create", load, false, turn(&bench_options::create, false)},
    {"--drop", load, false, turn(&bench_options::drop, true)},
    {"--indexes", load, false, turn(&bench_options::indexes, true)},
    {"--no-tags", load | run, false, turn(&bench_options::tags_table, false)},
    {"--dry-run", load, false, turn(&bench_options::dry_run, true)},
    {"--pregenerate", load, false, turn(&bench_options::pregenerate, true)},
    // queries and run
    {"--type", qry | run, true, set_types},
    {"--count", qry | run, true, integer(HT_FIELD(count), 1, 100'000'000)},
    {"--dialect", qry | run, true,
     choose<sql_dialect>(HT_FIELD(dialect), {{"timescaledb", sql_dialect::timescaledb},
                                             {"postgres", sql_dialect::postgres}})},
    {"--protocol", run, true,
     choose<bool>(HT_FIELD(extended), {{"simple", false}, {"extended", true}})},
    {"--client", run, true,
     choose<bool>(HT_FIELD(libpq), {{"stream", false}, {"libpq", true}})},
    {"--result-format", run, true,
     choose<bool>(HT_FIELD(binary_results), {{"text", false}, {"binary", true}})},
    {"--check", run, false, turn(&bench_options::check, true)},
    {"--host2", run, true, store(HT_FIELD(server2.host))},
    {"--port2", run, true, integer(HT_FIELD(server2.port), 1, 65535)},
    {"--user2", run, true, store(HT_FIELD(server2.user))},
    {"--dbname2", run, true, store(HT_FIELD(server2.dbname))},
    {"--dialect2", run, true,
     choose<sql_dialect>(HT_FIELD(dialect2), {{"timescaledb", sql_dialect::timescaledb},
                                              {"postgres", sql_dialect::postgres}})},
    {"--tolerance", run, true,
     [](bench_options& o, std::string_view v) { return set_positive_double(o.tolerance, v); }},
  };
  return f;
}

#undef HT_FIELD

} // namespace

std::string usage_text() {
  return R"(usage: hypertide-bench COMMAND [FLAGS]

TSBS devops cpu-only data and queries for any PostgreSQL-wire database.

Data (every command; the same flags draw the same rows):
  --seed N            random seed (default 123)
  --scale HOSTS       hosts (default 100)
  --start TIME        first row, RFC 3339 (default 2016-01-01T00:00:00Z)
  --end TIME          end of the data, exclusive (default 2016-01-02T00:00:00Z)
  --interval DUR      between a host's rows: seconds or '10s' (default 10)

generate              CSV rows (time, hostname, ten fields) for COPY
  --out FILE          write to FILE instead of standard output
  --tags              write the hosts' ten tags instead of the rows

queries               print queries, one per line, ending in ';'
  --type LIST         all (default) or comma-separated TSBS types
  --count N           queries per type (default 100)
  --dialect D         timescaledb (time_bucket, default) or postgres (date_trunc)

load                  create the schema and COPY the rows into a server
  --host H --port P --user U --dbname D   (default 127.0.0.1 5433 postgres postgres)
  --workers N         connections, each loading its own range of hosts (default 1)
  --batch-size B      rows per COPY statement (default 10000)
  --format F          binary (default), text or csv
  --schema S          hypertable (default) or table
  --chunk-interval D  hypertable chunk interval (default 12 hours)
  --partitions N      space partitions on hostname (default 0: none)
  --indexes           also create TSBS's indexes (hostname, time DESC), (time DESC)
  --drop              drop cpu and tags first
  --no-create         load into existing tables
  --no-tags           no tags table
  --dry-run           generate and encode the COPY data, send nothing: the
                      client's own rate
  --pregenerate       draw every row before the clock starts (TSBS generates
                      its data first): the clock covers encoding and sending;
                      needs about 100 bytes of memory a row
  --in-process        load a node inside this process (no sockets)
  --threads N         its scheduler threads (default 2)
  --progress-every S  seconds between progress lines when not on a terminal
  --json FILE         also write the summary as JSON

run                   send queries and report latency per type
  --host H --port P --user U --dbname D
  --in-process        load a node inside this process (the load flags above
                      apply), then query it through local sessions
  --type LIST --count N --dialect D       as for queries
  --workers N         concurrent connections (default 1)
  --protocol P        simple (default) or extended
  --client C          stream (default: reads rows as they arrive and keeps
                      only their count, as drivers iterating rows do) or
                      libpq (PQexec: the whole result held in a PGresult)
  --result-format F   text (default) or binary (needs --protocol extended
                      and --client stream; not with --check)
  --json FILE         also write the report as JSON
  --check             also run each query on a second server and compare
  --host2 H --port2 P --user2 U --dbname2 D   the second server
  --dialect2 D        the second server's dialect (default: --dialect)
  --tolerance T       relative difference allowed between floats (default 1e-9)

Exit codes: 0 done, 1 failed (server error, connection), 2 bad command line,
3 run --check found a difference.
)";
}

std::variant<bench_options, std::string> parse_options(int argc, char** argv) {
  bench_options o;
  if (argc < 2)
    return usage_text();
  o.command = argv[1];
  if (o.command == "--help" || o.command == "-h" || o.command == "help") {
    o.help = true;
    return o;
  }
  unsigned mask = mask_of(o.command);
  if (mask == 0)
    return "hypertide-bench: unknown command '" + o.command
           + "' (commands: generate, queries, load, run; see --help)";
  o.data.hosts = 100;
  o.data.end = o.data.start + cs::usecs_per_day;
  for (const auto& t : devops_query_types())
    o.types.push_back(&t);
  std::string prefix = "hypertide-bench " + o.command + ": ";
  std::vector<std::string_view> given;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      o.help = true;
      return o;
    }
    auto eq = a.find('=');
    std::string_view name = a.substr(0, eq);
    const flag* f = nullptr;
    for (const auto& candidate : flags())
      if (name == candidate.name)
        f = &candidate;
    if (f == nullptr || (f->commands & mask) == 0)
      return prefix + "unknown option '" + std::string{name} + "' (see --help)";
    std::string_view value;
    if (f->takes_value) {
      if (eq != std::string_view::npos)
        value = a.substr(eq + 1);
      else if (i + 1 < argc)
        value = argv[++i];
      else
        return prefix + std::string{name} + " needs a value";
    } else if (eq != std::string_view::npos) {
      return prefix + std::string{name} + " takes no value";
    }
    given.push_back(name);
    if (auto e = f->apply(o, value); !e.empty())
      return prefix + std::string{name} + ": " + e;
  }
  if (o.data.end <= o.data.start)
    return prefix + "--end must be after --start";
  if ((o.command == "load" || o.in_process) && static_cast<uint32_t>(o.workers) > o.data.hosts)
    return prefix + "--workers " + std::to_string(o.workers) + " is more than --scale "
           + std::to_string(o.data.hosts) + " (each worker loads its own hosts)";
  if (o.command == "queries" || o.command == "run")
    for (const auto* t : o.types)
      if (auto e = devops_query_generator{o.data, *t, o.dialect}.error(); !e.empty())
        return prefix + e;
  if (o.in_process && o.dry_run)
    return prefix + "--dry-run measures the wire client; not with --in-process";
  if (o.in_process && (o.drop || !o.create || o.indexes))
    return prefix + "--drop, --no-create and --indexes are for a server, not --in-process "
                    "(a new node has no tables, and hypertide has no CREATE INDEX)";
  auto was_given = [&](std::string_view n) {
    return std::find(given.begin(), given.end(), n) != given.end();
  };
  bool port2_given = was_given("--port2");
  if (!was_given("--dialect2"))
    o.dialect2 = o.dialect;
  if (o.command == "run" && !o.in_process)
    for (const char* n : {"--threads", "--progress-every", "--batch-size", "--schema",
                          "--chunk-interval", "--partitions", "--no-tags"})
      if (was_given(n))
        return prefix + n + " is only for run --in-process (which loads a node first)";
  if (o.command == "run" && o.in_process && o.extended)
    return prefix + "--in-process has the simple query protocol only";
  if (o.binary_results && (!o.extended || o.libpq || o.check || o.in_process))
    return prefix + "--result-format binary needs --protocol extended and --client stream, "
                    "and cannot be used with --check or --in-process";
  if (o.check && !port2_given)
    return prefix + "--check needs the second server's --port2 (and --host2 if not 127.0.0.1)";
  if (!o.check && port2_given)
    return prefix + "--port2 is only used with --check";
  return o;
}

} // namespace hypertide::benchmarks

#include "benchmarks/loader.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "benchmarks/bench_options.hpp"
#include "benchmarks/copy_encoder.hpp"
#include "benchmarks/in_process.hpp"
#include "benchmarks/pg_client.hpp"
#include "benchmarks/progress.hpp"
#include "benchmarks/report.hpp"
#include "benchmarks/tsbs_data.hpp"
#include "planner/datetime.hpp"

namespace hypertide::benchmarks {

namespace cs = chunkstore;

namespace {

/// Where a worker's batches go.
class sink {
public:
  virtual ~sink() = default;
  /// Writes one batch as one statement; an error or empty.
  virtual std::string write(const cs::column_batch& batch) = 0;
};

/// One COPY FROM STDIN per batch over a connection of its own; without a
/// connection (--dry-run) the COPY data is encoded and dropped.
class wire_sink final : public sink {
public:
  wire_sink(std::optional<pg_client> client, std::string table,
            const cs::table_schema& schema, copy_format f)
    : client_(std::move(client)), statement_(copy_statement(table, schema, f)), fmt_(f) {}

  std::string write(const cs::column_batch& batch) override {
    copy_encoder enc{fmt_};
    buffer_.clear();
    if (fmt_ == copy_format::binary)
      copy_encoder::binary_header(buffer_);
    enc.append(batch, buffer_);
    if (fmt_ == copy_format::binary)
      copy_encoder::binary_trailer(buffer_);
    if (!client_)
      return {};
    if (auto e = client_->copy_begin(statement_); !e.empty())
      return e;
    std::string e = client_->copy_data(buffer_);
    std::string end = client_->copy_end();
    return e.empty() ? end : e;
  }

private:
  std::optional<pg_client> client_;
  std::string statement_;
  copy_format fmt_;
  std::string buffer_;
};

/// Inserts through the embedding API.
class node_sink final : public sink {
public:
  node_sink(in_process_node& node, std::string table) : node_(node), table_(std::move(table)) {}

  std::string write(const cs::column_batch& batch) override {
    return node_.insert(table_, batch);
  }

private:
  in_process_node& node_;
  std::string table_;
};

std::string column_type_sql(cs::column_type t) {
  switch (t) {
    case cs::column_type::timestamptz: return "timestamptz";
    case cs::column_type::float8: return "double precision";
    case cs::column_type::text: return "text";
    default: return cs::pg_type_name(t);
  }
}

std::string create_table_sql(const std::string& name, const cs::table_schema& s) {
  std::string sql = "CREATE TABLE " + name + " (";
  for (size_t i = 0; i < s.columns.size(); ++i) {
    const auto& c = s.columns[i];
    sql += (i == 0 ? "" : ", ") + c.name + " " + column_type_sql(c.type);
    if (c.not_null)
      sql += " NOT NULL";
  }
  return sql + ");\n";
}

std::string target_name(const bench_options& o) {
  if (o.dry_run)
    return "nowhere (--dry-run: generated and encoded only)";
  return o.in_process ? std::string{"a node in this process"} : o.server.name();
}

void print_summary(const bench_options& o, uint64_t rows, double secs) {
  double rate = secs > 0 ? static_cast<double>(rows) / secs : 0;
  std::printf("load: %llu rows (%llu metrics) into %s in %.2f s\n",
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(rows * 10),
              target_name(o).c_str(), secs);
  std::printf("  %d worker%s, batches of %zu rows, %s%s\n", o.workers, o.workers == 1 ? "" : "s",
              o.batch_size,
              o.in_process ? "column batches through the embedding API"
                           : (std::string{copy_format_name(o.format)} + " COPY").c_str(),
              o.pregenerate ? ", rows drawn before the clock started" : "");
  std::printf("  %s rows/s, %s metrics/s\n", human(rate).c_str(), human(rate * 10).c_str());
  std::fflush(stdout);
}

std::string summary_json(const bench_options& o, uint64_t rows, double secs) {
  double rate = secs > 0 ? static_cast<double>(rows) / secs : 0;
  std::string j = "{\n";
  j += "  \"command\": \"load\",\n";
  j += "  \"target\": "
       + json_string(o.dry_run ? "dry-run" : o.in_process ? "in-process" : o.server.name())
       + ",\n";
  j += "  \"seed\": " + std::to_string(o.data.seed) + ",\n";
  j += "  \"scale\": " + std::to_string(o.data.hosts) + ",\n";
  j += "  \"start\": " + json_string(planner::format_timestamptz(o.data.start)) + ",\n";
  j += "  \"end\": " + json_string(planner::format_timestamptz(o.data.end)) + ",\n";
  j += "  \"interval_s\": " + json_number(static_cast<double>(o.data.interval) / 1e6) + ",\n";
  j += "  \"workers\": " + std::to_string(o.workers) + ",\n";
  j += "  \"batch_size\": " + std::to_string(o.batch_size) + ",\n";
  j += std::string{"  \"pregenerated\": "} + (o.pregenerate ? "true" : "false") + ",\n";
  j += "  \"format\": " + json_string(o.in_process ? "column_batch" : copy_format_name(o.format))
       + ",\n";
  j += "  \"schema\": " + json_string(o.hypertable ? "hypertable" : "table") + ",\n";
  j += "  \"rows\": " + std::to_string(rows) + ",\n";
  j += "  \"metrics\": " + std::to_string(rows * 10) + ",\n";
  j += "  \"seconds\": " + json_number(secs) + ",\n";
  j += "  \"rows_per_s\": " + json_number(rate) + ",\n";
  j += "  \"metrics_per_s\": " + json_number(rate * 10) + "\n";
  return j + "}\n";
}

/// The setup over one connection: schema, then the tags rows.
std::string prepare_server(const bench_options& o) {
  pg_client c;
  if (auto e = c.connect(o.server); !e.empty())
    return e;
  if (auto sql = schema_sql(o); !sql.empty())
    if (auto e = c.exec(sql); !e.empty())
      return e + "\n  while creating the schema:\n" + sql;
  if (!o.tags_table)
    return {};
  wire_sink tags{std::move(c), "tags", tsbs_tags_schema(), o.format};
  if (auto e = tags.write(tsbs_tags_batch(o.data)); !e.empty())
    return e + " (loading the tags table)";
  return {};
}

} // namespace

std::string schema_sql(const bench_options& o) {
  std::string sql;
  if (o.drop)
    sql += o.tags_table ? "DROP TABLE IF EXISTS cpu;\nDROP TABLE IF EXISTS tags;\n"
                        : "DROP TABLE IF EXISTS cpu;\n";
  if (!o.create)
    return sql;
  sql += create_table_sql("cpu", tsbs_cpu_generator::schema());
  if (o.hypertable) {
    sql += "SELECT create_hypertable('cpu', 'time', chunk_time_interval => INTERVAL '"
           + std::to_string(o.chunk_interval / cs::usecs_per_second) + " seconds'";
    if (o.partitions > 0)
      sql += ", partitioning_column => 'hostname', number_partitions => "
             + std::to_string(o.partitions);
    sql += ");\n";
  }
  if (o.indexes)
    sql += "CREATE INDEX ON cpu (hostname, time DESC);\nCREATE INDEX ON cpu (time DESC);\n";
  if (o.tags_table)
    sql += create_table_sql("tags", tsbs_tags_schema());
  return sql;
}

namespace {

/// What the workers did.
struct load_outcome {
  uint64_t rows = 0;
  double secs = 0;
  std::string error;
};

/// Batches handed from a worker's generator thread to the worker: at most
/// two waiting, as TSBS's loader reads its data ahead of the workers.
class batch_queue {
public:
  /// Waits for room; false once the consumer stopped.
  bool push(cs::column_batch b) {
    std::unique_lock lock{m_};
    room_.wait(lock, [&] { return q_.size() < 2 || stopped_; });
    if (stopped_)
      return false;
    q_.push_back(std::move(b));
    ready_.notify_one();
    return true;
  }
  /// The next batch; nullopt at the end.
  std::optional<cs::column_batch> pop() {
    std::unique_lock lock{m_};
    ready_.wait(lock, [&] { return !q_.empty() || ended_; });
    if (q_.empty())
      return std::nullopt;
    auto b = std::move(q_.front());
    q_.pop_front();
    room_.notify_one();
    return b;
  }
  void end() {
    std::lock_guard lock{m_};
    ended_ = true;
    ready_.notify_all();
  }
  void stop() {
    std::lock_guard lock{m_};
    stopped_ = true;
    room_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable room_, ready_;
  std::deque<cs::column_batch> q_;
  bool ended_ = false, stopped_ = false;
};

/// Streams the rows through one sink per worker, with progress output.
load_outcome stream_rows(const bench_options& o, std::vector<std::unique_ptr<sink>>& sinks) {
  // Workers split the hosts into contiguous ranges: a host's rows all go
  // through one connection, in time order, as TSBS's hash-by-host workers
  // send them. Each worker's rows are drawn by a thread of their own ahead
  // of it (TSBS's loader reads its pre-generated file in a goroutine of its
  // own): a worker encodes and sends, it does not wait for the generator.
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  load_outcome out;
  auto generator_of = [&](size_t w) {
    uint64_t hosts = o.data.hosts;
    auto first = static_cast<uint32_t>(hosts * w / sinks.size());
    auto last = static_cast<uint32_t>(hosts * (w + 1) / sinks.size());
    return tsbs_cpu_generator{o.data, first, last - first};
  };
  // --pregenerate: every worker's batches drawn first, in parallel (as
  // tsbs_generate_data writes its file before tsbs_load starts).
  std::vector<std::vector<cs::column_batch>> drawn(o.pregenerate ? sinks.size() : 0);
  if (o.pregenerate) {
    std::vector<std::thread> generators;
    for (size_t w = 0; w < sinks.size(); ++w)
      generators.emplace_back([&, w] {
        auto gen = generator_of(w);
        for (cs::column_batch batch; gen.next(batch, o.batch_size) > 0;)
          drawn[w].push_back(std::move(batch));
      });
    for (auto& t : generators)
      t.join();
  }
  progress bar{o.data.rows(), stdout, o.progress_every};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<batch_queue>> queues;
  // A worker's batches go out in order; false once it failed.
  auto send = [&](size_t w, cs::column_batch& batch) {
    if (auto e = sinks[w]->write(batch); !e.empty()) {
      std::lock_guard lock{error_mutex};
      if (!failed.exchange(true))
        out.error = "worker " + std::to_string(w) + ": " + e;
      return false;
    }
    bar.add(batch.rows());
    return true;
  };
  for (size_t w = 0; w < sinks.size(); ++w) {
    if (o.pregenerate) {
      threads.emplace_back([&, w] {
        for (auto& batch : drawn[w]) {
          if (failed.load(std::memory_order_relaxed) || !send(w, batch))
            return;
          batch = cs::column_batch{}; // sent: its memory back
        }
      });
      continue;
    }
    queues.push_back(std::make_unique<batch_queue>());
    threads.emplace_back([&, w, q = queues.back().get()] {
      auto gen = generator_of(w);
      for (;;) {
        cs::column_batch batch;
        if (failed.load(std::memory_order_relaxed) || gen.next(batch, o.batch_size) == 0
            || !q->push(std::move(batch)))
          break;
      }
      q->end();
    });
    threads.emplace_back([&, w, q = queues.back().get()] {
      while (auto batch = q->pop())
        if (!send(w, *batch)) {
          q->stop();
          return;
        }
    });
  }
  for (auto& t : threads)
    t.join();
  out.secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bar.stop();
  out.rows = bar.done();
  return out;
}

/// Reports a load: the error, or the summary (and its JSON file).
int report(const bench_options& o, const load_outcome& r) {
  if (!r.error.empty()) {
    std::fprintf(stderr, "hypertide-bench %s: %s\n", o.command.c_str(), r.error.c_str());
    return exit_failed;
  }
  print_summary(o, r.rows, r.secs);
  // run --in-process writes its own JSON.
  if (!o.json.empty() && o.command == "load")
    if (auto e = write_file(o.json, summary_json(o, r.rows, r.secs)); !e.empty()) {
      std::fprintf(stderr, "hypertide-bench load: %s\n", e.c_str());
      return exit_failed;
    }
  return exit_ok;
}

} // namespace

int load_in_process(in_process_node& node, const bench_options& o) {
  load_outcome r;
  r.error = node.create_schema(o);
  if (r.error.empty() && o.tags_table)
    if (auto e = node.insert("tags", tsbs_tags_batch(o.data)); !e.empty())
      r.error = e + " (loading the tags table)";
  if (!r.error.empty())
    return report(o, r);
  std::vector<std::unique_ptr<sink>> sinks;
  for (int w = 0; w < o.workers; ++w)
    sinks.push_back(std::make_unique<node_sink>(node, "cpu"));
  return report(o, stream_rows(o, sinks));
}

int run_load(const bench_options& o) {
  if (o.in_process) {
    in_process_node node{o.threads};
    return load_in_process(node, o);
  }
  load_outcome r;
  if (!o.dry_run)
    r.error = prepare_server(o);
  // Every worker connects before the clock starts.
  std::vector<std::unique_ptr<sink>> sinks;
  for (int w = 0; w < o.workers && r.error.empty(); ++w) {
    std::optional<pg_client> c;
    if (!o.dry_run)
      if (auto e = c.emplace().connect(o.server); !e.empty())
        r.error = "worker " + std::to_string(w) + ": " + e;
    sinks.push_back(std::make_unique<wire_sink>(std::move(c), "cpu",
                                                tsbs_cpu_generator::schema(), o.format));
  }
  return report(o, r.error.empty() ? stream_rows(o, sinks) : r);
}

} // namespace hypertide::benchmarks

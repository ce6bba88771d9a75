#include "benchmarks/in_process.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/local_session.hpp"
#include "actors/local_sharing.hpp"
#include "actors/node.hpp"
#include "benchmarks/bench_options.hpp"

namespace hypertide::benchmarks {

namespace {

struct config : caf::actor_system_config {
  explicit config(int threads) {
    set("scheduler.max-threads", threads);
    set("scheduler.policy", caf::atom("sharing"));
    module_factories.push_back(actors::make_scheduler); // as the node binary
  }
};

template <class T>
std::string error_of(const messages::result<T>& r) {
  if (const auto* e = std::get_if<chunkstore::pg_error>(&r))
    return "ERROR " + e->sqlstate + ": " + e->message;
  return {};
}

} // namespace

struct in_process_node::impl {
  config cfg;
  caf::actor_system sys;
  actors::node node;

  explicit impl(int threads) : cfg(threads), sys(cfg), node(sys) {}
};

in_process_node::in_process_node(int threads) : impl_(std::make_unique<impl>(threads)) {
}

in_process_node::~in_process_node() {
  impl_->node.stop();
}

std::string in_process_node::create_schema(const bench_options& o) {
  auto& n = impl_->node;
  if (auto e = error_of(n.create_table({"cpu", tsbs_cpu_generator::schema(), false}));
      !e.empty())
    return e;
  if (o.hypertable) {
    auto e = error_of(n.create_hypertable({"cpu", "time", o.chunk_interval,
                                           o.partitions > 0 ? "hostname" : "", o.partitions,
                                           false}));
    if (!e.empty())
      return e;
  }
  if (o.tags_table)
    return error_of(n.create_table({"tags", tsbs_tags_schema(), false}));
  return {};
}

struct in_process_session::impl {
  actors::local_session session;

  explicit impl(actors::node& n) : session(n) {}
};

in_process_session::in_process_session(std::unique_ptr<impl> i) : impl_(std::move(i)) {
}

in_process_session::~in_process_session() = default;

std::string in_process_session::query(const std::string& sql, bool extended, size_t& rows,
                                      result_set* out) {
  if (extended)
    return "an in-process session has the simple query protocol only";
  auto r = impl_->session.simple_query(sql);
  if (auto e = error_of(r); !e.empty())
    return e;
  auto& results = std::get<std::vector<actors::local_session::statement_result>>(r);
  if (results.size() != 1)
    return "expected one statement's result, got " + std::to_string(results.size());
  auto& one = results.front();
  rows = one.rows.size();
  if (out != nullptr) {
    out->columns = std::move(one.columns);
    out->rows = std::move(one.rows);
  }
  return {};
}

std::unique_ptr<in_process_session> in_process_node::session() {
  return std::unique_ptr<in_process_session>{
    new in_process_session{std::make_unique<in_process_session::impl>(impl_->node)}};
}

std::string in_process_node::insert(std::string_view table,
                                    const chunkstore::column_batch& batch) {
  return error_of(impl_->node.insert(table, batch));
}

} // namespace hypertide::benchmarks

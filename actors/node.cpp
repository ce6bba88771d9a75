#include "actors/node.hpp"

#include <caf/actor_system.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/catalog_actor.hpp"
#include "actors/wal_actor.hpp"

namespace hypertide::actors {

struct node::impl {
  caf::actor_system& sys;
  catalog_actor cat;
  caf::actor wal;
  std::optional<chunkstore::pg_error> startup_error;
  uint64_t replayed = 0;
  std::string torn_tail;

  /// Sends a request and waits; returns the reply or the error.
  template <class... Rs, class... Ts>
  std::variant<std::tuple<Rs...>, chunkstore::pg_error> ask(Ts&&... xs) {
    if (!cat)
      return chunkstore::pg_error{"57P01", "terminating connection due to "
                                           "administrator command", {}};
    caf::scoped_actor self{sys};
    std::variant<std::tuple<Rs...>, chunkstore::pg_error> out
      = chunkstore::pg_error{"XX000", "no reply", {}};
    self->request(cat, caf::infinite, std::forward<Ts>(xs)...)
      .receive([&](Rs&... rs) { out = std::tuple<Rs...>{std::move(rs)...}; },
               [&](caf::error& e) { out = to_pg_error(e); });
    return out;
  }
};

namespace {

template <class T>
const chunkstore::pg_error* failed(const T& r) {
  return std::get_if<chunkstore::pg_error>(&r);
}

} // namespace

node::node(caf::actor_system& sys) : impl_(new impl{sys, spawn_catalog(sys), {}, {}, 0, {}}) {
}

node::node(caf::actor_system& sys, const durability& d) : node(sys) {
  if (d.data_dir.empty())
    return;
  auto recovered = recover_wal(d.data_dir);
  if (auto* e = std::get_if<chunkstore::pg_error>(&recovered)) {
    impl_->startup_error = *e;
    stop();
    return;
  }
  auto& log = std::get<wal_recovery>(recovered);
  impl_->torn_tail = log.torn_tail;
  // Replay in log order through the catalog, which logs nothing yet. The
  // inserts of a transaction wait for its commit record; a tail without
  // one was never acknowledged and is dropped.
  std::vector<buffer> open_inserts;
  auto fail = [&](const chunkstore::pg_error& e) {
    impl_->startup_error = chunkstore::pg_error{
      e.sqlstate, "could not replay the write-ahead log: " + e.message, e.detail};
    stop();
  };
  for (auto& [kind, payload] : log.records) {
    std::optional<chunkstore::pg_error> err;
    auto check = [&](const auto& r) {
      if (auto* e = failed(r))
        err = *e;
    };
    switch (kind) {
      case 1: check(impl_->ask<bool>(create_atom_v, payload)); break;
      case 2:
        check(impl_->ask<int32_t, std::string, bool, std::string>(hyper_atom_v, payload));
        break;
      case 4: open_inserts.push_back(payload); break;
      case 5: check(impl_->ask<buffer>(dropchunk_atom_v, payload)); break;
      case 6: check(impl_->ask<bool>(drop_atom_v, payload)); break;
      case 7:
        if (!open_inserts.empty())
          check(impl_->ask<uint64_t, uint64_t>(commit_atom_v, open_inserts,
                                               uint8_t{commit_default}));
        open_inserts.clear();
        break;
      default: break; // kinds this version does not apply (chunk creation)
    }
    if (err) {
      fail(*err);
      return;
    }
    ++impl_->replayed;
  }
  impl_->wal = spawn_wal_writer(impl_->sys, log, d.synchronous_commit, d.wal_writer_delay_ms);
  caf::anon_send(impl_->cat, wal_atom_v, impl_->wal, log.max_record);
}

const std::optional<chunkstore::pg_error>& node::startup_error() const {
  return impl_->startup_error;
}

uint64_t node::replayed_records() const {
  return impl_->replayed;
}

const std::string& node::torn_tail() const {
  return impl_->torn_tail;
}

node::~node() {
  stop();
}

void node::stop() {
  if (impl_ && impl_->cat) {
    caf::anon_send_exit(impl_->cat, caf::exit_reason::user_shutdown);
    impl_->cat = nullptr;
  }
  if (impl_ && impl_->wal) {
    caf::anon_send_exit(impl_->wal, caf::exit_reason::user_shutdown);
    impl_->wal = nullptr;
  }
}

catalog_actor node::catalog() const {
  return impl_->cat;
}

caf::actor_system& node::system() const {
  return impl_->sys;
}

result<std::monostate> node::create_table(const messages::create_table& x) {
  auto r = impl_->ask<bool>(create_atom_v, messages::encode(x));
  if (auto* e = failed(r))
    return *e;
  return std::monostate{};
}

result<planner::hypertable_created>
node::create_hypertable(const messages::create_hypertable& x) {
  auto r = impl_->ask<int32_t, std::string, bool, std::string>(hyper_atom_v,
                                                               messages::encode(x));
  if (auto* e = failed(r))
    return *e;
  auto& [id, name, created, notice] = std::get<0>(r);
  planner::hypertable_created out;
  out.hypertable_id = id;
  out.table_name = name;
  out.created = created;
  out.notice = notice;
  return out;
}

result<std::monostate> node::drop_table(const messages::drop_table& x) {
  auto r = impl_->ask<bool>(drop_atom_v, messages::encode(x));
  if (auto* e = failed(r))
    return *e;
  return std::monostate{};
}

result<chunkstore::table_schema> node::schema(std::string_view table) {
  auto r = impl_->ask<buffer>(schema_atom_v, std::string{table});
  if (auto* e = failed(r))
    return *e;
  auto ct = messages::decode_create_table(std::get<0>(std::get<0>(r)), false);
  if (auto* e = failed(ct))
    return *e;
  return std::get<messages::create_table>(ct).schema;
}

result<insert_result> node::insert(std::string_view table,
                                   const chunkstore::column_batch& batch) {
  return insert(messages::encode_insert(table, batch));
}

result<insert_result> node::insert(const messages::buffer& b) {
  auto r = impl_->ask<uint64_t, uint64_t>(insert_atom_v, b, uint8_t{commit_default},
                                          uint32_t{0});
  if (auto* e = failed(r))
    return *e;
  auto [lsn, rows] = std::get<0>(r);
  return insert_result{lsn, rows};
}

result<chunkstore::partial_result> node::query(const chunkstore::fragment& f) {
  auto r = impl_->ask<buffer>(query_atom_v, messages::encode_fragment(f), uint32_t{0});
  if (auto* e = failed(r))
    return *e;
  return messages::decode_result(std::get<0>(std::get<0>(r)), false);
}

result<std::vector<messages::chunk_info>>
node::show_chunks(std::string_view table, std::optional<int64_t> older_than,
                  std::optional<int64_t> newer_than) {
  auto r = impl_->ask<buffer>(chunks_atom_v,
                              messages::encode(messages::drop_chunks{
                                std::string{table}, older_than, newer_than}));
  if (auto* e = failed(r))
    return *e;
  return messages::decode_chunk_list(std::get<0>(std::get<0>(r)), false);
}

result<std::vector<messages::chunk_info>>
node::drop_chunks(const messages::drop_chunks& x) {
  auto r = impl_->ask<buffer>(dropchunk_atom_v, messages::encode(x));
  if (auto* e = failed(r))
    return *e;
  return messages::decode_chunk_list(std::get<0>(std::get<0>(r)), false);
}

} // namespace hypertide::actors

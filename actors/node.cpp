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
  caf::actor checkpointer;
  std::optional<chunkstore::pg_error> startup_error;
  uint64_t replayed = 0;
  uint64_t checkpoint = 0;
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

node::node(caf::actor_system& sys) : impl_(new impl{sys, spawn_catalog(sys), {}, {}, {}, 0, 0, {}}) {
}

node::node(caf::actor_system& sys, const durability& d) : node(sys) {
  if (d.data_dir.empty())
    return;
  // Replay through the catalog, which logs nothing yet. The snapshot's rows
  // go in a few pieces at a time (their chunks apply them in parallel); the
  // inserts of a logged transaction wait for its commit record, and a tail
  // without one was never acknowledged and is dropped.
  std::vector<buffer> snapshot_rows;
  std::vector<buffer> open_inserts, open_chunks, open_ddl;
  auto check = [](const auto& r) -> std::optional<chunkstore::pg_error> {
    if (auto* e = failed(r))
      return *e;
    return std::nullopt;
  };
  auto flush_snapshot_rows = [&]() -> std::optional<chunkstore::pg_error> {
    if (snapshot_rows.empty())
      return std::nullopt;
    auto r = impl_->ask<uint64_t, uint64_t>(commit_atom_v, std::exchange(snapshot_rows, {}),
                                            uint8_t{commit_default});
    return check(r);
  };
  auto apply = [&](bool from_snapshot, uint8_t kind,
                   const buffer& payload) -> std::optional<chunkstore::pg_error> {
    ++impl_->replayed;
    if (from_snapshot) {
      if (kind == wal_catalog)
        return check(impl_->ask<bool>(restore_atom_v, kind, payload));
      if (kind != wal_insert)
        return chunkstore::pg_error{"XX001", "unknown snapshot entry kind "
                                               + std::to_string(kind), {}};
      snapshot_rows.push_back(payload);
      return snapshot_rows.size() >= 8 ? flush_snapshot_rows() : std::nullopt;
    }
    if (auto e = flush_snapshot_rows())
      return e;
    switch (kind) {
      case wal_create_table: return check(impl_->ask<bool>(create_atom_v, payload));
      case wal_create_hypertable:
        return check(
          impl_->ask<int32_t, std::string, bool, std::string>(hyper_atom_v, payload));
      // A transaction's chunks and rows wait for its commit record.
      case wal_create_chunk: open_chunks.push_back(payload); return std::nullopt;
      case wal_insert: open_inserts.push_back(payload); return std::nullopt;
      case wal_drop_chunks: return check(impl_->ask<buffer>(dropchunk_atom_v, payload));
      case wal_drop_table: return check(impl_->ask<bool>(drop_atom_v, payload));
      case wal_txn_ddl: open_ddl.push_back(payload); return std::nullopt;
      case wal_commit:
        // A transaction block's DDL first, in its order, then its chunks
        // and rows.
        for (const auto& d : std::exchange(open_ddl, {})) {
          if (d.size() < 1)
            return chunkstore::pg_error{"XX001", "empty transaction DDL record", {}};
          auto inner = buffer::copy_of(d.data() + 1, d.size() - 1);
          std::optional<chunkstore::pg_error> e;
          switch (d.data()[0]) {
            case wal_create_table: e = check(impl_->ask<bool>(create_atom_v, inner)); break;
            case wal_create_hypertable:
              e = check(impl_->ask<int32_t, std::string, bool, std::string>(hyper_atom_v, inner));
              break;
            case wal_drop_table: e = check(impl_->ask<bool>(drop_atom_v, inner)); break;
            default:
              e = chunkstore::pg_error{"XX001", "unknown transaction DDL record kind "
                                                  + std::to_string(d.data()[0]), {}};
          }
          if (e)
            return e;
        }
        for (const auto& c : std::exchange(open_chunks, {}))
          if (auto e = check(impl_->ask<bool>(restore_atom_v, uint8_t{wal_create_chunk}, c)))
            return e;
        if (open_inserts.empty())
          return std::nullopt;
        return check(impl_->ask<uint64_t, uint64_t>(
          commit_atom_v, std::exchange(open_inserts, {}), uint8_t{commit_default}));
      default: return std::nullopt; // kinds this version does not know
    }
  };
  recovery_options ro;
  ro.truncate_on_corruption = d.truncate_on_corruption;
  ro.zero_fill = d.wal_init_zero;
  ro.segment_size = d.wal_segment_size;
  auto recovered = recover_wal(d.data_dir, ro, apply);
  std::optional<chunkstore::pg_error> err;
  if (auto* e = std::get_if<chunkstore::pg_error>(&recovered))
    err = *e;
  else
    err = flush_snapshot_rows();
  if (err) {
    impl_->startup_error = chunkstore::pg_error{
      err->sqlstate, "could not recover from the write-ahead log: " + err->message,
      err->detail};
    stop();
    return;
  }
  auto& log = std::get<wal_recovery>(recovered);
  impl_->torn_tail = log.torn_tail;
  impl_->checkpoint = log.checkpoint;
  impl_->wal = spawn_wal_writer(impl_->sys, log, d.synchronous_commit, d.wal_writer_delay_ms,
                                impl_->cat, d.max_wal_size_bytes);
  impl_->checkpointer = spawn_checkpointer(impl_->sys, d.data_dir, log);
  caf::anon_send(impl_->cat, wal_atom_v, impl_->wal, log.max_record);
  caf::anon_send(impl_->cat, checkpoint_atom_v, impl_->checkpointer, d.checkpoint_timeout_ms,
                 log.checkpoint, log.records > 0);
}

const std::optional<chunkstore::pg_error>& node::startup_error() const {
  return impl_->startup_error;
}

uint64_t node::replayed_records() const {
  return impl_->replayed;
}

uint64_t node::recovered_checkpoint() const {
  return impl_->checkpoint;
}

result<uint64_t> node::checkpoint() {
  auto r = impl_->ask<uint64_t>(checkpoint_atom_v);
  if (auto* e = failed(r))
    return *e;
  return std::get<0>(std::get<0>(r));
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
  if (impl_ && impl_->checkpointer) {
    caf::anon_send_exit(impl_->checkpointer, caf::exit_reason::user_shutdown);
    impl_->checkpointer = nullptr;
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
  auto r = impl_->ask<std::vector<buffer>>(query_atom_v, messages::encode_fragment(f),
                                          uint32_t{0});
  if (auto* e = failed(r))
    return *e;
  return messages::decode_result(messages::join_pieces(std::get<0>(std::get<0>(r))), false);
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

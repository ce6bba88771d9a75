#include "actors/catalog_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "actors/aggregation_actor.hpp"
#include "actors/chunk_actor.hpp"
#include "actors/wal_actor.hpp"
#include "messages/codec.hpp"
#include "messages/wal_codec.hpp"

namespace hypertide::actors {

namespace {

using self_ptr = catalog_actor::stateful_pointer<catalog_state>;

template <class T>
const chunkstore::pg_error* failed(const messages::result<T>& r) {
  return std::get_if<chunkstore::pg_error>(&r);
}

std::vector<messages::chunk_info> to_info(const std::vector<planner::chunk_meta>& xs) {
  std::vector<messages::chunk_info> out;
  for (const auto& c : xs)
    out.push_back(messages::chunk_info{c.id, std::string{planner::internal_schema},
                                       c.table_name, c.range.start, c.range.end,
                                       c.range.partition, 0, 0, {}, c.oid});
  return out;
}

/// Fails commit `at` and every later one still in flight, and stops the
/// node taking work: a part of a statement could not be applied or logged,
/// and none of the statements after it may become visible without it.
void fail_pending(self_ptr self, uint64_t at, const caf::error& err, const char* what) {
  auto& s = self->state;
  if (!s.broken) {
    auto e = to_pg_error(err);
    s.broken = chunkstore::pg_error{e.sqlstate == "54000" ? "54000" : "XX000",
                                    std::string{what} + e.message, {}};
  }
  for (auto it = s.pending.lower_bound(at); it != s.pending.end();) {
    it->second.promise.deliver(make_pg_error(*s.broken));
    it = s.pending.erase(it);
  }
}

/// Logs one DDL record and answers `reply` once the WAL writer has it (at
/// once without a WAL).
template <class... Ts>
caf::result<Ts...> logged(self_ptr self, uint8_t kind, const buffer& record, Ts... reply) {
  if (!self->state.wal)
    return caf::result<Ts...>{std::move(reply)...};
  ++self->state.changes;
  auto promise = self->make_response_promise<Ts...>();
  self->request(self->state.wal, caf::infinite, append_atom_v, std::vector<buffer>{record},
                std::vector<uint8_t>{kind}, uint8_t{commit_default})
    .then([promise, reply...](uint64_t) mutable { promise.deliver(reply...); },
          [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
  return promise;
}

/// Marks `at` applied and makes every applied commit visible in LSN order.
void on_applied(self_ptr self, uint64_t at) {
  auto& st = self->state;
  auto it = st.pending.find(at);
  if (it == st.pending.end() || --it->second.remaining > 0)
    return;
  it->second.applied = true;
  while (!st.pending.empty() && st.pending.begin()->second.applied) {
    auto& [lsn, pc] = *st.pending.begin();
    st.committed = lsn;
    pc.promise.deliver(lsn, pc.rows);
    st.pending.erase(st.pending.begin());
  }
}

/// The actor of chunk `id` of table `t`.
chunk_actor spawn_chunk(self_ptr self, const planner::table_meta& t, int32_t id) {
  return self->spawn(chunk_behavior, id, t.def.schema, t.def.time_column, t.def.series_column);
}

caf::result<uint64_t, uint64_t> insert(self_ptr self, const std::vector<buffer>& given,
                                       uint8_t mode, uint32_t table_oid = 0) {
  auto& st = self->state;
  if (st.broken)
    return make_pg_error(*st.broken);
  // A batch larger than a WAL record (a COPY slice with small segments)
  // goes to the log in pieces, all under the statement's commit.
  std::vector<buffer> split;
  bool oversize = false;
  for (const auto& b : given)
    oversize |= st.wal && b.size() > st.wal_max_record;
  if (oversize)
    for (const auto& b : given)
      for (auto& piece : messages::split_insert(b, st.wal_max_record / 2))
        split.push_back(std::move(piece));
  const std::vector<buffer>& batches = oversize ? split : given;
  // Check and route every batch before anything is sent: a statement (or
  // transaction) is refused whole.
  struct routed {
    const buffer* batch;
    const planner::table_meta* table;
    std::vector<planner::chunk_rows> parts;
  };
  std::vector<routed> all;
  // A refused statement leaves no chunk behind that an earlier batch of it
  // created: nothing logs or holds it.
  auto refuse = [&](const chunkstore::pg_error& e) {
    for (const auto& r : all)
      st.cat.discard_created(r.table->def.name, r.parts);
    return make_pg_error(e);
  };
  uint64_t rows = 0;
  for (const auto& batch_buf : batches) {
    if (st.wal && batch_buf.size() > st.wal_max_record)
      return refuse({"54000", "statement too large for one WAL record ("
                                + std::to_string(batch_buf.size()) + " bytes of rows, at most "
                                + std::to_string(st.wal_max_record)
                                + "): split the COPY into smaller ones", {}});
    auto view = messages::decode_insert(batch_buf, false);
    if (auto* e = failed(view))
      return refuse(*e);
    const auto& v = std::get<messages::insert_view>(view);
    if (table_oid != 0) {
      const planner::table_meta* t = st.cat.find(v.table);
      if (t != nullptr && t->oid != table_oid)
        return refuse({stale_plan_sqlstate, "the insert's table was dropped", {}});
    }
    auto routes = st.cat.route(v.table, v.batch);
    if (auto* e = failed(routes))
      return refuse(*e);
    rows += v.batch.rows;
    all.push_back(routed{&batch_buf, st.cat.find(v.table),
                         std::move(std::get<std::vector<planner::chunk_rows>>(routes))});
  }
  size_t nparts = 0;
  for (const auto& r : all)
    nparts += r.parts.size();
  if (nparts == 0)
    return {st.committed, uint64_t{0}};
  uint64_t at = st.next_lsn++;
  uint64_t horizon = st.horizon();
  pending_commit& pc = st.pending[at];
  pc.remaining = nparts + (st.wal ? 1 : 0);
  pc.rows = rows;
  pc.promise = self->make_response_promise<uint64_t, uint64_t>();
  if (st.wal) {
    // The chunks it creates, the batches, then a commit record: replay
    // applies a transaction only when its commit is in the log. Visible
    // once logged and applied.
    ++st.changes;
    std::vector<buffer> records;
    std::vector<uint8_t> kinds;
    for (const auto& r : all)
      for (const auto& part : r.parts)
        if (part.created) {
          records.push_back(messages::encode(
            messages::create_chunk{r.table->def.name, part.chunk_id, part.range, part.oid}));
          kinds.push_back(wal_create_chunk);
        }
    records.insert(records.end(), batches.begin(), batches.end());
    kinds.resize(records.size(), wal_insert);
    records.push_back(messages::encode(messages::commit_record{
      std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch())
        .count(),
      0}));
    kinds.push_back(wal_commit);
    self->request(st.wal, caf::infinite, append_atom_v, records, kinds, mode)
      .then([self, at](uint64_t) { on_applied(self, at); },
            [self, at](caf::error& err) {
              fail_pending(self, at, err, "could not log an insert: ");
            });
  }
  for (auto& r : all) {
    const planner::table_meta* t = r.table;
    for (auto& part : r.parts) {
      auto& handle = st.chunks[part.chunk_id];
      if (part.created)
        handle = spawn_chunk(self, *t, part.chunk_id);
      pc.chunks.push_back(handle);
      auto part_buf = messages::encode_insert_part(
        messages::insert_part{at, horizon, std::move(part.rows)});
      self->request(handle, caf::infinite, append_atom_v, part_buf, *r.batch)
        .then([self](uint64_t lsn) { on_applied(self, lsn); },
              [self, at](caf::error& err) {
                // A chunk that cannot apply its part leaves the statement
                // neither committed nor safely abortable: stop taking work.
                // Earlier statements still commit when their parts are
                // applied.
                fail_pending(self, at, err, "chunk failed to apply an insert: ");
              });
    }
  }
  return pc.promise;
}

/// Commits a transaction block with DDL (see the interface). Checked whole
/// on a copy of the catalog, so that nothing is applied unless all of it
/// can be; then its DDL is applied and logged as wal_txn_ddl records (which
/// replay applies only with the commit record that follows), then its
/// rows go through insert(), whose commit record ends the transaction.
caf::result<uint64_t, uint64_t> commit_block(self_ptr self, const std::vector<buffer>& ops,
                                             const std::vector<uint8_t>& kinds, uint8_t mode) {
  auto& st = self->state;
  if (st.broken)
    return make_pg_error(*st.broken);
  if (ops.size() != kinds.size())
    return make_pg_error({"XX000", "transaction operations and kinds differ in number", {}});
  // 1. The whole block on a copy.
  planner::catalog trial = st.cat;
  std::vector<buffer> batches;
  auto error_of = [](const auto& r) -> std::optional<chunkstore::pg_error> {
    if (auto* e = failed(r))
      return *e;
    return std::nullopt;
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    std::optional<chunkstore::pg_error> err;
    switch (kinds[i]) {
      case wal_create_table: {
        auto x = messages::decode_create_table(ops[i], false);
        err = error_of(x);
        if (!err)
          err = error_of(trial.create_table(std::get<messages::create_table>(x)));
        break;
      }
      case wal_create_hypertable: {
        auto x = messages::decode_create_hypertable(ops[i], false);
        err = error_of(x);
        if (!err)
          err = error_of(trial.create_hypertable(std::get<messages::create_hypertable>(x)));
        break;
      }
      case wal_drop_table: {
        auto x = messages::decode_drop_table(ops[i], false);
        err = error_of(x);
        if (!err)
          err = error_of(trial.drop_table(std::get<messages::drop_table>(x)));
        break;
      }
      case wal_insert: {
        auto v = messages::decode_insert(ops[i], false);
        err = error_of(v);
        if (!err)
          err = error_of(trial.route(std::get<messages::insert_view>(v).table,
                                     std::get<messages::insert_view>(v).batch));
        batches.push_back(ops[i]);
        break;
      }
      default:
        err = chunkstore::pg_error{"XX000", "unknown transaction operation kind "
                                              + std::to_string(kinds[i]), {}};
    }
    if (err)
      return make_pg_error(*err);
  }
  // 2. The DDL, applied and logged in order (every check passed above on
  // the same state: these succeed).
  std::vector<buffer> records;
  for (size_t i = 0; i < ops.size(); ++i) {
    buffer record = ops[i];
    if (kinds[i] == wal_create_table) {
      auto ct = std::get<messages::create_table>(messages::decode_create_table(ops[i], false));
      st.cat.create_table(ct);
      ct.oid = st.cat.find(ct.name)->oid; // replay gives it the same
      record = messages::encode(ct);
    } else if (kinds[i] == wal_create_hypertable) {
      st.cat.create_hypertable(
        std::get<messages::create_hypertable>(messages::decode_create_hypertable(ops[i], false)));
    } else if (kinds[i] == wal_drop_table) {
      auto r = st.cat.drop_table(
        std::get<messages::drop_table>(messages::decode_drop_table(ops[i], false)));
      if (auto* ids = std::get_if<std::vector<int32_t>>(&r))
        for (int32_t id : *ids)
          st.chunks.erase(id);
    } else {
      continue;
    }
    std::vector<uint8_t> wrapped(record.size() + 1);
    wrapped[0] = kinds[i];
    std::memcpy(wrapped.data() + 1, record.data(), record.size());
    records.push_back(buffer::copy_of(wrapped.data(), wrapped.size()));
  }
  if (st.wal && !records.empty()) {
    ++st.changes;
    std::vector<uint8_t> ddl_kinds(records.size(), wal_txn_ddl);
    if (batches.empty()) {
      // DDL alone: its commit record follows it, the answer after both.
      records.push_back(messages::encode(messages::commit_record{
        std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count(),
        0}));
      ddl_kinds.push_back(wal_commit);
      auto promise = self->make_response_promise<uint64_t, uint64_t>();
      uint64_t committed = st.committed;
      self->request(st.wal, caf::infinite, append_atom_v, records, ddl_kinds, mode)
        .then([promise, committed](uint64_t) mutable { promise.deliver(committed, uint64_t{0}); },
              [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
      return promise;
    }
    // The rows' records and their commit follow in the log (the WAL writer
    // takes the catalog's messages in order).
    // A failure here fails the WAL writer, and the rows' append after it.
    self->request(st.wal, caf::infinite, append_atom_v, records, ddl_kinds, uint8_t{commit_async})
      .then([](uint64_t) {}, [](caf::error&) {});
  }
  if (batches.empty())
    return {st.committed, uint64_t{0}};
  return insert(self, batches, mode);
}

caf::result<std::vector<buffer>> query(self_ptr self, const buffer& fragment_buf,
                                       uint32_t table_oid) {
  auto& st = self->state;
  if (st.broken)
    return make_pg_error(*st.broken);
  auto decoded = messages::decode_fragment(fragment_buf, false);
  if (auto* e = failed(decoded))
    return make_pg_error(*e);
  auto& f = std::get<chunkstore::fragment>(decoded);
  const planner::table_meta* t = st.cat.find(f.table);
  if (t == nullptr)
    return make_pg_error(planner::undefined_table(f.table));
  if (table_oid != 0 && t->oid != table_oid)
    return make_pg_error({stale_plan_sqlstate, "the plan's table was dropped", {}});
  if (auto e = chunkstore::validate(f, t->def.schema))
    return make_pg_error(*e);
  std::vector<chunk_actor> targets;
  for (const planner::chunk_meta* c : st.cat.exclude(*t, f.filter))
    targets.push_back(st.chunks.at(c->id));
  uint64_t snapshot = st.committed;
  if (targets.size() == 1 && !chunkstore::needs_merge(f)) {
    // One chunk's result is already the node's: the chunk answers the
    // client. No snapshot to hold: inserts reach the chunk from here, after
    // this scan, so the horizon they carry cannot pass it first.
    return self->delegate(targets.front(), scan_atom_v, fragment_buf, snapshot);
  }
  st.snapshots.insert(snapshot);
  auto agg = self->spawn(aggregation_behavior, fragment_buf, std::move(f),
                         t->def.schema, snapshot, std::move(targets));
  // Release the snapshot however the query ends.
  agg->attach_functor(
    [cat = caf::actor_cast<catalog_actor>(self), snapshot] {
      caf::anon_send(cat, done_atom_v, snapshot);
    });
  return self->delegate(agg, run_atom_v);
}

// -- checkpoints ---------------------------------------------------------------
//
// A checkpoint starts at a moment of the catalog: the catalog's state, and
// every chunk's rows at the newest commit number handed out. The WAL writer
// takes the catalog's messages in order, so the position it answers a flush
// request with is exactly where the log stood then: the redo LSN. The
// chunks are then copied at that snapshot (held, so commit marks are not
// folded past it) while inserts go on; the catalog's own messages reach
// each chunk in order, so every part of those commits is there first.

void start_checkpoint(self_ptr self, std::vector<caf::typed_response_promise<uint64_t>> waiting);

/// Ends the running checkpoint, answers who waited, starts the next.
void finish_checkpoint(self_ptr self, std::optional<chunkstore::pg_error> err) {
  auto& st = self->state;
  checkpoint_job job = std::move(*st.checkpoint);
  st.checkpoint.reset();
  if (auto it = st.snapshots.find(job.snapshot); it != st.snapshots.end())
    st.snapshots.erase(it);
  if (err) {
    // Only an unfinished (.tmp) snapshot goes: whether the control file
    // already names the new one is not known here, so both finished ones
    // stay until the next checkpoint or start removes the other.
    self->request(st.checkpointer, caf::infinite, close_atom_v)
      .then([](uint64_t) {}, [](caf::error&) {});
  } else {
    st.last_redo = job.redo;
    st.changes -= std::min(st.changes, job.changes);
    st.last_checkpoint_at = std::chrono::steady_clock::now();
  }
  for (auto& p : job.waiting) {
    if (err)
      p.deliver(make_pg_error(*err));
    else
      p.deliver(job.redo);
  }
  if (!st.checkpoint_next.empty()) {
    if (st.broken) {
      for (auto& p : std::exchange(st.checkpoint_next, {}))
        p.deliver(make_pg_error(*st.broken));
    } else {
      start_checkpoint(self, std::exchange(st.checkpoint_next, {}));
    }
  }
}

auto checkpoint_failed(self_ptr self) {
  return [self](caf::error& e) {
    auto pe = to_pg_error(e);
    finish_checkpoint(self, chunkstore::pg_error{pe.sqlstate, "checkpoint failed: " + pe.message,
                                                 pe.detail});
  };
}

/// The snapshot is durable: the control file points at it, older segments
/// and snapshots go.
void complete_checkpoint(self_ptr self) {
  auto& st = self->state;
  const uint64_t redo = st.checkpoint->redo;
  self->request(st.checkpointer, caf::infinite, done_atom_v, redo)
    .then(
      [self, redo](uint64_t, uint64_t) {
        self->request(self->state.wal, caf::infinite, checkpoint_atom_v, redo)
          .then(
            [self, redo](uint64_t) {
              // The control file names the checkpoint: it is done. Older
              // snapshots go; if that fails, the next checkpoint or start
              // removes them.
              self->request(self->state.checkpointer, caf::infinite, close_atom_v, redo)
                .then([self](uint64_t) { finish_checkpoint(self, std::nullopt); },
                      [self](caf::error&) { finish_checkpoint(self, std::nullopt); });
            },
            checkpoint_failed(self));
      },
      checkpoint_failed(self));
}

/// Copies the next piece of the chunk being copied to the checkpointer.
void copy_next(self_ptr self) {
  auto& job = *self->state.checkpoint;
  if (self->state.broken) {
    // A statement may be in the chunks only in part: no snapshot of that.
    finish_checkpoint(self, *self->state.broken);
    return;
  }
  if (job.next == job.chunks.size()) {
    complete_checkpoint(self);
    return;
  }
  // A chunk copied is released (a dropped one's memory goes now).
  if (job.next > 0)
    job.chunks[job.next - 1].first = nullptr;
  const auto& [chunk, table] = job.chunks[job.next];
  self->request(chunk, caf::infinite, dump_atom_v, job.snapshot, table, job.series, job.row)
    .then(
      [self](const buffer& rows, uint64_t series, uint64_t row, bool more) {
        auto& job = *self->state.checkpoint;
        job.series = more ? series : 0;
        job.row = more ? row : 0;
        job.next += more ? 0 : 1;
        if (rows.empty()) {
          copy_next(self);
          return;
        }
        self->request(self->state.checkpointer, caf::infinite, append_atom_v, rows)
          .then([self](bool) { copy_next(self); }, checkpoint_failed(self));
      },
      checkpoint_failed(self));
}

void start_checkpoint(self_ptr self, std::vector<caf::typed_response_promise<uint64_t>> waiting) {
  auto& st = self->state;
  checkpoint_job job;
  job.snapshot = st.next_lsn - 1;
  job.waiting = std::move(waiting);
  st.snapshots.insert(job.snapshot);
  for (const auto& [name, t] : st.cat.tables())
    for (const auto& [_, c] : t.chunks)
      job.chunks.emplace_back(st.chunks.at(c.id), name);
  buffer catalog = messages::encode(st.cat.checkpoint());
  job.changes = st.changes; // what a success covers
  st.checkpoint = std::move(job);
  self->request(st.wal, caf::infinite, checkpoint_atom_v)
    .then(
      [self, catalog](uint64_t redo) {
        self->state.checkpoint->redo = redo;
        self->request(self->state.checkpointer, caf::infinite, checkpoint_atom_v, redo, catalog)
          .then([self](bool) { copy_next(self); }, checkpoint_failed(self));
      },
      checkpoint_failed(self));
}

/// Recovery's records that only replay applies (see interfaces.hpp).
caf::result<bool> restore(self_ptr self, uint8_t kind, const buffer& b) {
  auto& st = self->state;
  if (st.wal)
    return make_pg_error({"55000", "the catalog restores only during recovery", {}});
  if (kind == wal_catalog) {
    auto snap = messages::decode_catalog_snapshot(b, true);
    if (auto* e = failed(snap))
      return make_pg_error(*e);
    auto r = st.cat.restore(std::get<messages::catalog_snapshot>(snap));
    if (auto* e = failed(r))
      return make_pg_error(*e);
    st.chunks.clear();
    for (const auto& [_, t] : st.cat.tables())
      for (const auto& [__, c] : t.chunks)
        st.chunks[c.id] = spawn_chunk(self, t, c.id);
    return true;
  }
  if (kind == wal_create_chunk) {
    auto x = messages::decode_create_chunk(b, true);
    if (auto* e = failed(x))
      return make_pg_error(*e);
    const auto& cc = std::get<messages::create_chunk>(x);
    auto r = st.cat.restore_chunk(cc);
    if (auto* e = failed(r))
      return make_pg_error(*e);
    const auto* c = std::get<const planner::chunk_meta*>(r);
    if (!st.chunks.contains(c->id))
      st.chunks[c->id] = spawn_chunk(self, *st.cat.find(cc.hypertable), c->id);
    return true;
  }
  return make_pg_error({"XX001", "record kind " + std::to_string(kind) + " cannot be restored",
                        {}});
}

} // namespace

catalog_actor::behavior_type catalog_behavior(self_ptr self) {
  return {
    [=](create_atom, const buffer& b) -> caf::result<bool> {
      auto x = messages::decode_create_table(b, false);
      if (auto* e = failed(x))
        return make_pg_error(*e);
      auto& ct = std::get<messages::create_table>(x);
      bool existed = self->state.cat.find(ct.name) != nullptr;
      auto r = self->state.cat.create_table(ct);
      if (auto* e = failed(r))
        return make_pg_error(*e);
      if (existed)
        return false; // IF NOT EXISTS over a table there: nothing to log
      if (!self->state.wal)
        return true;
      // The record names the OID the table got: replay gives it the same.
      ct.oid = self->state.cat.find(ct.name)->oid;
      return logged(self, wal_create_table, messages::encode(ct), true);
    },
    [=](hyper_atom, const buffer& b)
      -> caf::result<int32_t, std::string, bool, std::string> {
      auto x = messages::decode_create_hypertable(b, false);
      if (auto* e = failed(x))
        return make_pg_error(*e);
      auto r = self->state.cat.create_hypertable(std::get<messages::create_hypertable>(x));
      if (auto* e = failed(r))
        return make_pg_error(*e);
      auto& h = std::get<planner::hypertable_created>(r);
      if (!h.created)
        return {h.hypertable_id, h.table_name, h.created, h.notice};
      return logged(self, wal_create_hypertable, b, h.hypertable_id, h.table_name, h.created,
                    h.notice);
    },
    [=](drop_atom, const buffer& b) -> caf::result<bool> {
      auto x = messages::decode_drop_table(b, false);
      if (auto* e = failed(x))
        return make_pg_error(*e);
      const auto& dt = std::get<messages::drop_table>(x);
      bool existed = self->state.cat.find(dt.name) != nullptr;
      auto r = self->state.cat.drop_table(dt);
      if (auto* e = failed(r))
        return make_pg_error(*e);
      if (!existed)
        return false; // IF EXISTS over no table: nothing to log
      // A chunk actor goes away once the last query holding it finishes.
      for (int32_t id : std::get<std::vector<int32_t>>(r))
        self->state.chunks.erase(id);
      return logged(self, wal_drop_table, b, true);
    },
    [=](insert_atom, const buffer& b, uint8_t mode, uint32_t oid) {
      return insert(self, std::vector<buffer>{b}, mode, oid);
    },
    [=](commit_atom, const std::vector<buffer>& bs, uint8_t mode) {
      return insert(self, bs, mode);
    },
    [=](commit_atom, const std::vector<buffer>& ops, const std::vector<uint8_t>& kinds,
        uint8_t mode) { return commit_block(self, ops, kinds, mode); },
    [=](hyper_atom) { return self->state.cat.reserve_hypertable_id(); },
    [=](query_atom, const buffer& b, uint32_t oid) { return query(self, b, oid); },
    [=](chunks_atom, const buffer& b) -> caf::result<buffer> {
      auto x = messages::decode_drop_chunks(b, false);
      if (auto* e = failed(x))
        return make_pg_error(*e);
      const auto& d = std::get<messages::drop_chunks>(x);
      auto r = self->state.cat.show_chunks(d.table, d.older_than, d.newer_than);
      if (auto* e = failed(r))
        return make_pg_error(*e);
      return messages::encode(to_info(std::get<std::vector<planner::chunk_meta>>(r)));
    },
    [=](dropchunk_atom, const buffer& b) -> caf::result<buffer> {
      auto x = messages::decode_drop_chunks(b, false);
      if (auto* e = failed(x))
        return make_pg_error(*e);
      auto r = self->state.cat.drop_chunks(std::get<messages::drop_chunks>(x));
      if (auto* e = failed(r))
        return make_pg_error(*e);
      const auto& dropped = std::get<std::vector<planner::chunk_meta>>(r);
      for (const auto& c : dropped)
        self->state.chunks.erase(c.id);
      if (dropped.empty())
        return messages::encode(to_info(dropped));
      return logged(self, wal_drop_chunks, b, messages::encode(to_info(dropped)));
    },
    [=](explain_atom, const buffer& fragment_buf) -> caf::result<buffer, uint64_t> {
      auto decoded = messages::decode_fragment(fragment_buf, false);
      if (auto* e = failed(decoded))
        return make_pg_error(*e);
      const auto& f = std::get<chunkstore::fragment>(decoded);
      const planner::table_meta* t = self->state.cat.find(f.table);
      if (t == nullptr)
        return make_pg_error(planner::undefined_table(f.table));
      std::vector<planner::chunk_meta> kept;
      for (const planner::chunk_meta* c : self->state.cat.exclude(*t, f.filter))
        kept.push_back(*c);
      return {messages::encode(to_info(kept)), static_cast<uint64_t>(t->chunks.size())};
    },
    [=](info_atom) -> caf::result<buffer> {
      messages::catalog_snapshot snap;
      for (const auto& [name, t] : self->state.cat.tables()) {
        snap.tables.push_back(messages::create_table{name, t.def.schema, false, t.oid});
        if (!t.def.is_hypertable())
          continue;
        const auto& d = t.def;
        snap.hypertables.push_back(messages::hypertable_info{
          t.id, name, d.schema.columns[static_cast<size_t>(d.time_column)].name,
          d.schema.columns[static_cast<size_t>(d.time_column)].type, d.chunk_interval,
          d.space_column >= 0 ? d.schema.columns[static_cast<size_t>(d.space_column)].name : "",
          d.partitions, static_cast<int32_t>(t.chunks.size()),
          d.space_column >= 0 ? d.schema.columns[static_cast<size_t>(d.space_column)].type
                              : chunkstore::column_type::text});
        std::vector<const planner::chunk_meta*> chunks;
        for (const auto& [_, c] : t.chunks)
          chunks.push_back(&c);
        std::sort(chunks.begin(), chunks.end(),
                  [](auto* a, auto* b) { return a->id < b->id; });
        for (const auto* c : chunks)
          snap.chunks.push_back(messages::chunk_info{c->id, std::string{planner::internal_schema},
                                                     c->table_name, c->range.start, c->range.end,
                                                     c->range.partition, 0, 0, name, c->oid});
      }
      return messages::encode(snap);
    },
    [=](schema_atom, const std::string& name) -> caf::result<buffer> {
      const planner::table_meta* t = self->state.cat.find(name);
      if (t == nullptr)
        return make_pg_error(planner::undefined_table(name));
      return messages::encode(messages::create_table{name, t->def.schema, false, t->oid});
    },
    [=](wal_atom) -> caf::result<uint64_t, uint64_t> {
      if (!self->state.wal)
        return make_pg_error({"55000", "this node has no write-ahead log: start it with a "
                                       "data-dir", {}});
      auto promise = self->make_response_promise<uint64_t, uint64_t>();
      self->request(self->state.wal, caf::infinite, wal_atom_v)
        .then([promise](uint64_t lsn, uint64_t segment_size) mutable {
                promise.deliver(lsn, segment_size);
              },
              [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
      return promise;
    },
    [=](wal_atom, caf::actor wal, uint64_t max_record) {
      self->state.wal = std::move(wal);
      self->state.wal_max_record = max_record;
    },
    [=](checkpoint_atom) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (!st.wal || !st.checkpointer)
        return uint64_t{0}; // in memory only: nothing to make durable
      if (st.broken)
        return make_pg_error(*st.broken);
      auto promise = self->make_response_promise<uint64_t>();
      if (st.checkpoint)
        st.checkpoint_next.push_back(promise); // a checkpoint that starts later
      else
        start_checkpoint(self, {promise});
      return promise;
    },
    [=](checkpoint_atom, caf::actor checkpointer, uint64_t timeout_ms, uint64_t last_redo,
        bool replayed) {
      auto& st = self->state;
      st.checkpointer = std::move(checkpointer);
      st.checkpoint_timeout_ms = timeout_ms;
      st.last_redo = last_redo;
      st.changes += replayed ? 1 : 0;
      if (timeout_ms > 0)
        self->delayed_send(self, std::chrono::milliseconds(timeout_ms), checkpoint_atom_v, true);
    },
    [=](checkpoint_atom, bool) {
      // checkpoint_timeout after the last checkpoint, as in PostgreSQL, and
      // only when something was logged since.
      auto& st = self->state;
      const auto period = std::chrono::milliseconds(st.checkpoint_timeout_ms);
      const auto since = std::chrono::steady_clock::now() - st.last_checkpoint_at;
      if (since >= period && !st.checkpoint && st.changes > 0 && !st.broken)
        start_checkpoint(self, {});
      auto next = since >= period ? period
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(period - since);
      self->delayed_send(self, std::max(next, std::chrono::milliseconds(10)), checkpoint_atom_v,
                         true);
    },
    [=](restore_atom, uint8_t kind, const buffer& b) { return restore(self, kind, b); },
    [=](done_atom, uint64_t snapshot) {
      auto& s = self->state.snapshots;
      if (auto it = s.find(snapshot); it != s.end())
        s.erase(it);
    },
  };
}

catalog_actor spawn_catalog(caf::actor_system& sys) {
  return sys.spawn(catalog_behavior);
}

chunkstore::pg_error to_pg_error(const caf::error& e) {
  if (e.category() == error_category && e.context().match_elements<std::string, std::string, std::string>())
    return chunkstore::pg_error{e.context().get_as<std::string>(0),
                                e.context().get_as<std::string>(1),
                                e.context().get_as<std::string>(2)};
  return chunkstore::pg_error{"XX000", "internal error: " + caf::to_string(e), {}};
}

} // namespace hypertide::actors

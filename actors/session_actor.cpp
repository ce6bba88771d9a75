#include "actors/session_actor.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>
#include <random>

#include <caf/stateful_actor.hpp>

#include "actors/data_rows.hpp"
#include "actors/pg_protocol.hpp"
#include "actors/session_internal.hpp"
#include "actors/wal_actor.hpp"
#include "planner/catalog.hpp"
#include "messages/codec.hpp"
#include "planner/explain.hpp"
#include "planner/select_planner.hpp"
#include "planner/utf8.hpp"
#include "wal/lsn.hpp"

namespace hypertide::actors {

namespace session_detail {

void send_bytes(self_ptr self, std::vector<char> bytes) {
  if (self->state.at != session_state::phase::closing)
    self->send(self->state.out, wire_atom_v, messages::buffer{std::move(bytes)});
}

void close(self_ptr self) {
  self->state.at = session_state::phase::closing;
  self->send(self->state.out, close_atom_v);
  self->quit();
}

void fatal(self_ptr self, const chunkstore::pg_error& e) {
  std::vector<char> out;
  pg::writer{out}.error(e, 0, true);
  send_bytes(self, out);
  close(self);
}

void row_description(std::vector<char>& out, const std::vector<planner::result_column>& cols,
                     const std::vector<int16_t>& formats) {
  std::vector<pg::field> fields;
  for (const auto& c : cols)
    fields.push_back(pg::field{c.name, c.type_oid, -1});
  pg::writer{out}.row_description(fields, formats);
}

void write_column_rows(self_ptr self, std::vector<char>& out, const planner::column_rows& p,
                       size_t from, size_t to, const std::vector<int16_t>& formats) {
  write_data_rows(out, p, from, to, formats, [self](messages::buffer bytes) {
    if (self->state.at != session_state::phase::closing)
      self->send(self->state.out, wire_atom_v, std::move(bytes));
  });
}

/// Appends a statement's result to `out`; sends full batches on the way.
void write_result(self_ptr self, std::vector<char>& out, const planner::statement_result& r) {
  pg::writer w{out};
  for (const auto& [code, message] : r.warnings)
    w.notice(message, code, "WARNING");
  for (const auto& n : r.notices)
    w.notice(n);
  if (r.columns.empty() && r.tag.empty()) {
    w.empty_query_response();
    return;
  }
  if (!r.columns.empty()) {
    row_description(out, r.columns);
    for (const auto& row : r.rows)
      w.data_row(row);
    if (r.plain)
      write_column_rows(self, out, *r.plain, r.plain->begin, r.plain->end, {});
  }
  w.command_complete(r.tag);
}

void run_statements(self_ptr self);
void handle_message(self_ptr self, char type, std::vector<char> body);

/// The session's synchronous_commit for the catalog: the node's default
/// until the session sets it (SET synchronous_commit = off | on | local).
uint8_t commit_mode_of(const session_state& st) {
  auto v = st.sql.setting("synchronous_commit").value_or("on");
  if (v == "off")
    return commit_async;
  return st.sql.is_default("synchronous_commit") ? commit_default : commit_sync;
}

/// Ends the running query: ReadyForQuery, then whatever waited.
void finish_query(self_ptr self, std::vector<char>& out) {
  auto& st = self->state;
  using txn = session_state::txn;
  pg::writer{out}.ready_for_query(st.tx == txn::idle ? 'I' : st.tx == txn::open ? 'T' : 'E');
  send_bytes(self, out);
  st.query.reset();
  st.busy = false;
  drain(self);
}

void drain(self_ptr self) {
  auto& st = self->state;
  while (!st.busy && !st.waiting.empty() && st.at != session_state::phase::closing) {
    auto [type, body] = std::move(st.waiting.front());
    st.waiting.pop_front();
    handle_message(self, type, std::move(body));
  }
}

/// Ends a statement run for the extended protocol: the query is done and
/// the sinks are cleared before they are called (they may start another).
void release_sink(session_state& st) {
  st.sink = nullptr;
  st.sink_error = nullptr;
  st.query.reset();
  st.busy = false;
}

void fail_query(self_ptr self, const planner::statement_error& error) {
  auto& st = self->state;
  auto e = error;
  if (st.query) // a cached tree's positions are those of the text it came from
    e.position = st.query->position(e.position);
  if (st.sink_error) {
    // Extended protocol: the error goes to the caller, which skips to Sync.
    auto f = std::move(st.sink_error);
    release_sink(st);
    f(e);
    drain(self);
    return;
  }
  if (st.implicit_tx) {
    // An error ends the query's implicit transaction: nothing it wrote stays.
    st.implicit_tx = false;
    st.tx = session_state::txn::idle;
    take_tx(st);
  } else if (st.tx == session_state::txn::open) {
    st.tx = session_state::txn::failed;
  }
  st.multi_statement = false;
  std::vector<char> out;
  pg::writer{out}.error(e.error, e.position);
  finish_query(self, out);
}

/// A result that is only a command tag.
planner::statement_result tagged(std::string tag) {
  planner::statement_result r;
  r.tag = std::move(tag);
  return r;
}

/// One statement finished with `r`: send it and go on with the next.
void statement_done(self_ptr self, const planner::statement_result& r) {
  auto& st = self->state;
  if (st.sink) {
    auto sink = std::move(st.sink);
    release_sink(st);
    sink(r);
    return;
  }
  std::vector<char> out;
  write_result(self, out, r);
  send_bytes(self, std::move(out));
  ++self->state.next_statement;
  run_statements(self);
}

/// Sends the rows of a COPY ... TO STDOUT.
void copy_out(self_ptr self, planner::statement_result r, const planner::copy_options& o) {
  planner::materialize(r);
  std::vector<char> out;
  pg::writer w{out};
  w.copy_out_response(static_cast<int16_t>(r.columns.size()));
  for (const auto& row : r.rows)
    w.copy_data(planner::copy_out_row(row, o));
  w.copy_done();
  send_bytes(self, out);
  statement_done(self, tagged("COPY " + std::to_string(r.rows.size())));
}

/// A COPY's columns are sized ahead for at most this many rows.
constexpr size_t copy_reserve_max = 100'000;

/// Encoded COPY batches are cut into pieces of about this size.
constexpr size_t copy_slice_bytes = 32 << 20;

/// A COPY's rows as InsertBatches of at most about copy_slice_bytes each.
std::vector<buffer> copy_batches(const std::string& table, const chunkstore::column_batch& rows) {
  size_t bytes = messages::insert_size(rows);
  if (bytes <= copy_slice_bytes)
    return {messages::encode_insert(table, rows)};
  size_t pieces = (bytes + copy_slice_bytes - 1) / copy_slice_bytes;
  size_t per = (rows.rows() + pieces - 1) / pieces;
  std::vector<buffer> out;
  for (size_t begin = 0; begin < rows.rows(); begin += per)
    out.push_back(messages::encode_insert(table, rows.slice(begin, begin + per)));
  return out;
}

/// CopyData, CopyDone and CopyFail of a COPY ... FROM STDIN.
/// CopyData: its rows parsed into the COPY's batch (an error is kept for
/// CopyDone).
void copy_data(self_ptr self, std::string_view data) {
  auto& st = self->state;
  if (!st.copy_error)
    if (auto e = st.copy->feed(data))
      st.copy_error = planner::statement_error{e->error, 0};
}

void handle_copy(self_ptr self, char type, const std::vector<char>& body) {
  auto& st = self->state;
  switch (type) {
    case 'd':
      copy_data(self, std::string_view{body.data(), body.size()});
      return;
    case 'c': {
      if (!st.copy_error)
        if (auto e = st.copy->finish())
          st.copy_error = planner::statement_error{e->error, 0};
      auto copy = std::move(st.copy);
      auto schema = std::move(st.copy_schema);
      if (st.copy_error) {
        auto e = *st.copy_error;
        st.copy_error.reset();
        fail_query(self, e);
        return;
      }
      size_t rows = copy->rows();
      st.copy_rows_hint = std::min(rows, copy_reserve_max);
      if (rows == 0) {
        statement_done(self, tagged("COPY 0"));
        return;
      }
      // The whole COPY is one statement, visible at once: one batch, or for
      // a large COPY batches of at most copy_slice_bytes under one commit
      // (each a WAL record of its own; one record holds at most 64 MiB).
      auto batches = copy_batches(st.copy_table, copy->batch());
      if (st.tx == session_state::txn::open) {
        st.tx_writes.insert(st.tx_writes.end(), batches.begin(), batches.end());
        st.tx_kinds.resize(st.tx_writes.size(), wal_insert);
        st.tx_tables.insert(st.copy_table);
        statement_done(self,
                       tagged("COPY " + std::to_string(rows)));
        return;
      }
      auto request = batches.size() == 1
                       ? self->request(st.catalog, caf::infinite, insert_atom_v, batches.front(),
                                       commit_mode_of(st), uint32_t{0})
                       : self->request(st.catalog, caf::infinite, commit_atom_v, batches,
                                       commit_mode_of(st));
      request.then(
          [self](uint64_t, uint64_t n) {
            statement_done(self,
                           tagged("COPY " + std::to_string(n)));
          },
          [self](caf::error& err) {
            fail_query(self, planner::statement_error{to_pg_error(err), 0});
          });
      return;
    }
    case 'f': {
      st.copy.reset();
      st.copy_schema.reset();
      st.copy_error.reset();
      std::string why{body.data(), body.empty() ? 0 : strnlen(body.data(), body.size())};
      fail_query(self, planner::statement_error{
                              {"57014", "COPY from stdin failed: " + why, {}}, 0});
      return;
    }
    case 'H':
    case 'S':
      return; // Flush and Sync mean nothing inside COPY
    default:
      st.copy_error = planner::statement_error{
        {"08P01", std::string{"unexpected message type '"} + type + "' during COPY from stdin", {}},
        0};
  }
}


void insert_rows(self_ptr self, planner::insert_values values, select_done next);

/// Builds an INSERT's batch against `schema` and sends it (or keeps it for
/// COMMIT). Built from the session's cached columns (`cached`), it carries
/// the table's OID: when the table has changed since, the catalog refuses
/// it and the INSERT starts again from fresh columns.
void insert_with(self_ptr self, planner::insert_values values,
                 const messages::create_table& schema, bool cached, select_done next) {
  auto& st = self->state;
  auto built = planner::build_insert(schema.schema, values);
  if (auto* e = std::get_if<planner::positioned_error>(&built)) {
    if (cached) {
      st.schemas.erase(values.table);
      insert_rows(self, std::move(values), next);
      return;
    }
    fail_query(self, planner::statement_error{e->error, e->position});
    return;
  }
  const auto& rows_batch = std::get<chunkstore::column_batch>(built);
  auto batch = messages::encode_insert(values.table, rows_batch);
  if (st.tx == session_state::txn::open) {
    // Inside BEGIN ... COMMIT: kept until COMMIT.
    st.tx_writes.push_back(batch);
    st.tx_kinds.push_back(wal_insert);
    st.tx_tables.insert(values.table);
    next(tagged("INSERT 0 " + std::to_string(rows_batch.rows())));
    return;
  }
  self->request(st.catalog, caf::infinite, insert_atom_v, batch, commit_mode_of(st),
                cached ? schema.oid : uint32_t{0})
    .then([next](uint64_t, uint64_t rows) { next(tagged("INSERT 0 " + std::to_string(rows))); },
          [self, next, cached, values = std::move(values)](caf::error& err) mutable {
            auto e = to_pg_error(err);
            if (cached && e.sqlstate == stale_plan_sqlstate) {
              self->state.schemas.erase(values.table);
              insert_rows(self, std::move(values), next);
              return;
            }
            fail_query(self, planner::statement_error{std::move(e), 0});
          });
}

/// INSERT of literal rows: the table's columns (from the session's cache
/// outside a transaction block), then the batch, converted to them.
void insert_rows(self_ptr self, planner::insert_values values, select_done next) {
  auto& st = self->state;
  if (st.tx != session_state::txn::idle) {
    // A table the open block created or dropped: its view, not the node's.
    if (st.tx_dropped.count(values.table) > 0) {
      fail_query(self, planner::statement_error{
                         {"42P01", "relation \"" + values.table + "\" does not exist", {}}, 0});
      return;
    }
    if (auto it = st.tx_created.find(values.table); it != st.tx_created.end()) {
      auto schema = it->second;
      insert_with(self, std::move(values), schema, false, next);
      return;
    }
  }
  if (st.tx == session_state::txn::idle)
    if (auto it = st.schemas.find(values.table); it != st.schemas.end()) {
      auto schema = it->second;
      insert_with(self, std::move(values), schema, true, next);
      return;
    }
  self->request(st.catalog, caf::infinite, schema_atom_v, values.table)
    .then(
      [self, next, values = std::move(values)](const buffer& schema_buf) mutable {
        auto ct = messages::decode_create_table(schema_buf, false);
        if (auto* e = std::get_if<chunkstore::pg_error>(&ct)) {
          fail_query(self, planner::statement_error{*e, 0});
          return;
        }
        auto& schema = std::get<messages::create_table>(ct);
        auto& cache = self->state.schemas;
        if (cache.size() >= session_state::max_cached_schemas)
          cache.clear();
        cache[values.table] = schema;
        insert_with(self, std::move(values), schema, false, next);
      },
      [self](caf::error& err) { fail_query(self, planner::statement_error{to_pg_error(err), 0}); });
}

/// Runs the catalog request of one statement; the reply continues the query.
void run_catalog(self_ptr self, const planner::catalog_request& req) {
  auto& cat = self->state.catalog;
  auto& st = self->state;
  using txn = session_state::txn;
  if (auto* tc = std::get_if<planner::transaction_control>(&req)) {
    run_transaction_control(self, *tc);
    return;
  }
  if (st.tx == txn::open) {
    const char* ddl = std::holds_alternative<messages::create_table>(req)        ? "CREATE TABLE"
                      : std::holds_alternative<messages::drop_table>(req)        ? "DROP TABLE"
                      : std::holds_alternative<messages::create_hypertable>(req) ? "create_hypertable()"
                      : (std::holds_alternative<planner::chunk_function>(req)
                         && std::get<planner::chunk_function>(req).drop)
                        ? "drop_chunks()"
                        : nullptr;
    // In a query's implicit transaction DDL is transactional as in a BEGIN
    // block; but drop_chunks() and create_hypertable() of a table that was
    // there before are not yet: the writes before them commit first, they
    // run on their own, the statements after them in a new implicit
    // transaction.
    auto* ch = std::get_if<messages::create_hypertable>(&req);
    bool transactional = std::holds_alternative<messages::create_table>(req)
                         || std::holds_alternative<messages::drop_table>(req)
                         || (ch != nullptr && st.tx_created.count(ch->table) > 0);
    if (ddl != nullptr && st.implicit_tx && transactional) {
      block_ddl(self, req);
      return;
    }
    if (ddl != nullptr && st.implicit_tx) {
      st.implicit_tx = false;
      st.tx = txn::idle;
      auto [writes, kinds] = take_tx(st);
      if (!writes.empty()) {
        commit_tx(self, std::move(writes), kinds,
                  [self](uint64_t, uint64_t) { run_statements(self); },
                [self](caf::error& err) {
                  fail_query(self, planner::statement_error{to_pg_error(err), 0});
                });
        return;
      }
    } else if (ddl != nullptr) {
      block_ddl(self, req);
      return;
    }
    // SELECTs read the transaction's own writes (session_select.cpp);
    // COPY TO does not yet.
    if (auto* cp = std::get_if<planner::copy_request>(&req);
        cp && !cp->from && st.tx_tables.count(cp->table) > 0) {
      fail_query(self, planner::statement_error{
                              {"0A000", "COPY of table \"" + cp->table + "\" after writing it in "
                                        "the same transaction is not supported yet", {}}, 0});
      return;
    }
  }
  auto on_error = [self](caf::error& err) {
    fail_query(self, planner::statement_error{to_pg_error(err), 0});
  };
  auto next = [self](const planner::statement_result& r) { statement_done(self, r); };
  if (std::holds_alternative<messages::create_table>(req)
      || std::holds_alternative<messages::drop_table>(req))
    st.schemas.clear(); // this session's own DDL: no cached columns may outlive it
  if (auto* ct = std::get_if<messages::create_table>(&req)) {
    self->request(cat, caf::infinite, create_atom_v, messages::encode(*ct))
      .then(
        [next, name = ct->name](bool created) {
          auto r = tagged("CREATE TABLE");
          if (!created)
            r.notices.push_back("relation \"" + name + "\" already exists, skipping");
          next(r);
        },
        on_error);
  } else if (auto* dt = std::get_if<messages::drop_table>(&req)) {
    self->request(cat, caf::infinite, drop_atom_v, messages::encode(*dt))
      .then(
        [next, name = dt->name](bool dropped) {
          auto r = tagged("DROP TABLE");
          if (!dropped)
            r.notices.push_back("table \"" + name + "\" does not exist, skipping");
          next(r);
        },
        on_error);
  } else if (auto* iv = std::get_if<planner::insert_values>(&req)) {
    if (iv->select == nullptr) {
      insert_rows(self, *iv, next);
      return;
    }
    // INSERT ... SELECT: the query's rows become the VALUES.
    run_select(
      self, iv->select, iv->now, std::make_shared<cte_map>(), false,
      [self, next, values = *iv, constant = !planner::has_from(iv->select)
                                            && !planner::is_set_operation(iv->select)](
        const planner::statement_result& r) mutable {
        auto text = r;
        planner::materialize(text);
        values.rows.reserve(text.rows.size());
        for (auto& row : text.rows) {
          std::vector<planner::literal> lits;
          lits.reserve(row.size());
          for (size_t c = 0; c < row.size(); ++c)
            // A SELECT without FROM lists literals: quoted ones are still
            // untyped and take the target column's type, as in PostgreSQL.
            lits.push_back(planner::literal{
              !row[c].has_value(),
              constant && text.columns[c].type_oid == 25 ? 705 : text.columns[c].type_oid,
              row[c] ? std::move(*row[c]) : std::string{}, -1});
          values.rows.push_back(std::move(lits));
        }
        values.select = nullptr;
        insert_rows(self, std::move(values), next);
      },
      [self](const planner::statement_error& e) { fail_query(self, e); });
  } else if (std::holds_alternative<planner::checkpoint_request>(req)) {
    self->request(cat, caf::infinite, checkpoint_atom_v)
      .then(
        [next](uint64_t) {
          planner::statement_result r;
          r.tag = "CHECKPOINT";
          next(r);
        },
        on_error);
  } else if (auto* wp = std::get_if<planner::wal_position>(&req)) {
    self->request(cat, caf::infinite, wal_atom_v)
      .then(
        [next, x = *wp](uint64_t lsn, uint64_t segment_size) {
          planner::statement_result r;
          constexpr int32_t pg_lsn_oid = 3220;
          r.columns = {{x.column, x.file_name ? int32_t{25} : pg_lsn_oid}};
          r.rows = {{x.file_name ? wal::pg_walfile_name(lsn, segment_size)
                                 : wal::format_lsn(lsn)}};
          r.tag = "SELECT 1";
          next(r);
        },
        on_error);
  } else if (auto* ex = std::get_if<planner::explain_request>(&req)) {
    auto fail = [self](const planner::statement_error& e) { fail_query(self, e); };
    self->request(cat, caf::infinite, schema_atom_v, ex->table)
      .then(
        [=, x = *ex](const buffer& schema_buf) {
          auto ct = messages::decode_create_table(schema_buf, false);
          if (auto* e = std::get_if<chunkstore::pg_error>(&ct)) {
            fail(planner::statement_error{*e, 0});
            return;
          }
          auto schema = std::make_shared<chunkstore::table_schema>(
            std::get<messages::create_table>(ct).schema);
          auto planned = planner::plan_select(x.stmt, *schema, x.now);
          if (auto* e = std::get_if<planner::positioned_error>(&planned)) {
            fail(planner::statement_error{e->error, e->position});
            return;
          }
          auto plan = std::make_shared<planner::select_plan>(
            std::move(std::get<planner::select_plan>(planned)));
          auto fragment = messages::encode_fragment(plan->fragment);
          self->request(self->state.catalog, caf::infinite, explain_atom_v, fragment)
            .then(
              [=](const buffer& list_buf, uint64_t total) {
                auto list = messages::decode_chunk_list(list_buf, false);
                auto kept = std::get_if<std::vector<messages::chunk_info>>(&list)
                              ? std::get<std::vector<messages::chunk_info>>(list)
                              : std::vector<messages::chunk_info>{};
                auto emit = [=](const std::optional<planner::explain_analysis>& a) {
                  planner::statement_result r;
                  r.columns = {{"QUERY PLAN", 25}};
                  for (auto& line : planner::explain_lines(*plan, *schema, x.table, kept, total, a))
                    r.rows.push_back({line});
                  r.tag = "EXPLAIN";
                  next(r);
                };
                if (!x.analyze) {
                  emit(std::nullopt);
                  return;
                }
                auto start = std::chrono::steady_clock::now();
                self->request(self->state.catalog, caf::infinite, query_atom_v, fragment,
                              uint32_t{0})
                  .then(
                    [=](const std::vector<buffer>& pieces) {
                      planner::explain_analysis a;
                      if (planner::is_plain_rows(*plan)) {
                        // Raw rows as a query gets them: read in place,
                        // not joined into one copy first.
                        auto v = messages::view_raw_pieces(pieces, false);
                        if (auto* e = std::get_if<chunkstore::pg_error>(&v)) {
                          fail(planner::statement_error{*e, 0});
                          return;
                        }
                        auto& rv = std::get<messages::raw_pieces_view>(v);
                        a.stats = rv.stats;
                        a.rows_out
                          = planner::plain_rows_result(*plan, std::move(rv.pieces), nullptr)
                              .row_count();
                      } else {
                        auto r = messages::decode_result(messages::join_pieces(pieces), false);
                        if (auto* e = std::get_if<chunkstore::pg_error>(&r)) {
                          fail(planner::statement_error{*e, 0});
                          return;
                        }
                        const auto& pr = std::get<chunkstore::partial_result>(r);
                        auto fin = planner::finish_select(*plan, pr);
                        a.stats = pr.stats;
                        if (auto* res = std::get_if<planner::statement_result>(&fin))
                          a.rows_out = res->row_count();
                      }
                      a.milliseconds = std::chrono::duration<double, std::milli>(
                                         std::chrono::steady_clock::now() - start)
                                         .count();
                      emit(a);
                    },
                    on_error);
              },
              on_error);
        },
        on_error);
  } else if (auto* cf = std::get_if<planner::chunk_function>(&req)) {
    messages::drop_chunks args{cf->table, cf->older_than, cf->newer_than};
    auto reply = [next, drop = cf->drop](const buffer& list_buf) {
      auto list = messages::decode_chunk_list(list_buf, false);
      planner::statement_result r;
      r.columns = {{drop ? "drop_chunks" : "show_chunks", drop ? 25 : 2205}};
      if (auto* chunks = std::get_if<std::vector<messages::chunk_info>>(&list))
        for (const auto& c : *chunks)
          r.rows.push_back({c.schema_name + "." + c.table_name});
      r.tag = "SELECT " + std::to_string(r.rows.size());
      next(r);
    };
    if (cf->drop)
      self->request(cat, caf::infinite, dropchunk_atom_v, messages::encode(args))
        .then(reply, on_error);
    else
      self->request(cat, caf::infinite, chunks_atom_v, messages::encode(args))
        .then(reply, on_error);
  } else if (auto* cp = std::get_if<planner::copy_request>(&req)) {
    auto on_schema =
        [self, next, on_error, req = *cp](const buffer& schema_buf) {
          auto ct = messages::decode_create_table(schema_buf, false);
          if (auto* e = std::get_if<chunkstore::pg_error>(&ct)) {
            fail_query(self, planner::statement_error{*e, 0});
            return;
          }
          auto schema = std::get<messages::create_table>(ct).schema;
          if (req.from) {
            std::vector<int> fields;
            for (const auto& name : req.columns) {
              int c = schema.find(name);
              if (c < 0) {
                fail_query(self, planner::statement_error{
                                        {"42703", "column \"" + name + "\" of relation \""
                                                    + req.table + "\" does not exist", {}}, 0});
                return;
              }
              if (std::find(fields.begin(), fields.end(), c) != fields.end()) {
                fail_query(self, planner::statement_error{
                                        {"42701", "column \"" + name + "\" specified more than once",
                                         {}}, 0});
                return;
              }
              fields.push_back(c);
            }
            if (req.columns.empty())
              for (size_t c = 0; c < schema.columns.size(); ++c)
                fields.push_back(static_cast<int>(c));
            auto& st = self->state;
            st.copy_schema = std::make_unique<chunkstore::table_schema>(std::move(schema));
            st.copy_table = req.table;
            st.copy = std::make_unique<planner::copy_parser>(*st.copy_schema, fields, req.options,
                                                             req.table);
            st.copy->batch().reserve(st.copy_rows_hint);
            std::vector<char> out;
            pg::writer{out}.copy_in_response(
              req.options.fmt == planner::copy_options::format::binary,
              static_cast<int16_t>(fields.size()));
            send_bytes(self, out);
            // What a client sent behind the statement without waiting for
            // CopyInResponse (its data, CopyDone) waited for the COPY.
            while (st.copy && !st.waiting.empty()) {
              auto [type, body] = std::move(st.waiting.front());
              st.waiting.pop_front();
              handle_copy(self, type, body);
            }
            return;
          }
          auto planned = req.query ? planner::plan_select(req.query, schema, req.now)
                                   : planner::plan_table_scan(schema, req.table, req.columns);
          if (auto* e = std::get_if<planner::positioned_error>(&planned)) {
            fail_query(self, planner::statement_error{e->error, e->position});
            return;
          }
          if (req.options.fmt == planner::copy_options::format::binary) {
            fail_query(self, planner::statement_error{
                                    {"0A000", "COPY TO in binary format is not supported yet", {}}, 0});
            return;
          }
          run_plan(
            self,
            std::make_shared<planner::select_plan>(
              std::move(std::get<planner::select_plan>(planned))),
            uint32_t{0},
            [self, options = req.options](const planner::statement_result& r) {
              copy_out(self, r, options);
            },
            [self](const planner::statement_error& e) { fail_query(self, e); }, nullptr);
        };
    // A table the open block created: its columns, not the node's.
    if (st.tx != txn::idle && st.tx_dropped.count(cp->table) > 0) {
      fail_query(self, planner::statement_error{
                         {"42P01", "relation \"" + cp->table + "\" does not exist", {}}, 0});
      return;
    }
    if (auto it = st.tx_created.find(cp->table); st.tx != txn::idle && it != st.tx_created.end())
      on_schema(messages::encode(it->second));
    else
      self->request(cat, caf::infinite, schema_atom_v, cp->table).then(on_schema, on_error);
    (void) next;
  } else if (auto* sel = std::get_if<planner::select_request>(&req)) {
    run_select(self, sel->stmt, sel->now, std::make_shared<cte_map>(), false, next,
               [self](const planner::statement_error& e) { fail_query(self, e); });
  } else if (auto* ch = std::get_if<messages::create_hypertable>(&req)) {
    self->request(cat, caf::infinite, hyper_atom_v, messages::encode(*ch))
      .then(
        [next](int32_t id, const std::string& table, bool created, const std::string& notice) {
          planner::statement_result r;
          r.columns = {{"create_hypertable", 2249}};
          r.rows = {{planner::sql_session::hypertable_record(id, table, created)}};
          r.tag = "SELECT 1";
          if (!notice.empty())
            r.notices.push_back(notice);
          next(r);
        },
        on_error);
  }
}

void run_statements(self_ptr self) {
  auto& st = self->state;
  std::vector<char> out;
  while (st.next_statement < st.query->size()) {
    if (st.multi_statement && st.tx == session_state::txn::idle) {
      st.tx = session_state::txn::open;
      st.implicit_tx = true;
    }
    auto planned = st.sql.plan(*st.query, st.next_statement);
    if (st.tx == session_state::txn::failed) {
      auto* req = std::get_if<planner::catalog_request>(&planned);
      if (req == nullptr || !std::holds_alternative<planner::transaction_control>(*req)
          || std::get<planner::transaction_control>(*req).what
               == planner::transaction_control::action::begin)
        planned = planner::statement_error{
          {"25P02", "current transaction is aborted, commands ignored until end of "
                    "transaction block", {}}, 0};
    }
    if (auto* e = std::get_if<planner::statement_error>(&planned)) {
      send_bytes(self, out);
      fail_query(self, *e);
      return;
    }
    if (auto* req = std::get_if<planner::catalog_request>(&planned)) {
      send_bytes(self, out);
      run_catalog(self, *req);
      return;
    }
    if (st.sink) {
      statement_done(self, std::get<planner::statement_result>(planned));
      return;
    }
    write_result(self, out, std::get<planner::statement_result>(planned));
    ++st.next_statement;
  }
  end_statements(self, out);
}

void handle_message(self_ptr self, char type, std::vector<char> body) {
  auto& st = self->state;
  if (st.copy) {
    handle_copy(self, type, body);
    return;
  }
  if (st.busy) {
    st.waiting.emplace_back(type, std::move(body));
    return;
  }
  switch (type) {
    case 'Q': {
      if (body.empty() || body.back() != '\0') {
        fatal(self, {"08P01", "invalid message format", {}});
        return;
      }
      std::string_view text{body.data(), body.size() - 1};
      st.next_statement = 0;
      st.busy = true;
      if (size_t bad = planner::invalid_utf8_at(text); bad != std::string_view::npos) {
        // A NUL ends the string early: bytes were left in the message.
        st.query.reset();
        fail_query(self, planner::statement_error{
                           text[bad] == '\0'
                             ? chunkstore::pg_error{"08P01", "invalid message format", {}}
                             : planner::invalid_utf8_error(text.substr(bad)),
                           0});
        return;
      }
      st.query = st.parses.parse(text);
      if (st.query->error()) {
        fail_query(self, *st.query->error());
        return;
      }
      if (st.query->size() == 0) {
        std::vector<char> out;
        pg::writer{out}.empty_query_response();
        finish_query(self, out);
        return;
      }
      st.multi_statement = st.query->size() > 1;
      run_statements(self);
      return;
    }
    case 'X':
      close(self);
      return;
    case 'P':
    case 'B':
    case 'D':
    case 'E':
    case 'S':
    case 'C':
    case 'H':
      handle_extended(self, type, body);
      return;
    default: {
      // The extended query protocol and COPY arrive with the rest of #3.
      std::vector<char> out;
      pg::writer w{out};
      w.error({"0A000", std::string{"protocol message '"} + type + "' is not supported yet", {}});
      w.ready_for_query('I');
      send_bytes(self, out);
    }
  }
}

void on_startup(self_ptr self, const std::vector<char>& body) {
  auto& st = self->state;
  auto p = pg::parse_startup(body.data(), body.size());
  if (!p) {
    fatal(self, {"08P01", "invalid startup packet layout", {}});
    return;
  }
  if (p->code == pg::ssl_request_code || p->code == pg::gssenc_request_code) {
    // No TLS or GSS encryption: 'N', and the client goes on in the clear.
    send_bytes(self, std::vector<char>{'N'});
    return;
  }
  if (p->code == pg::cancel_request_code) {
    close(self); // TODO(#3): cancel the running query of that session
    return;
  }
  if (p->code != pg::protocol_3_0) {
    fatal(self, {"0A000", "unsupported frontend protocol " + std::to_string(p->code >> 16)
                                 + "." + std::to_string(p->code & 0xffff)
                                 + ": server supports 3.0 to 3.0", {}});
    return;
  }
  auto user = p->params.find("user");
  if (user == p->params.end() || user->second.empty()) {
    fatal(self, {"28000", "no PostgreSQL user name specified in startup packet", {}});
    return;
  }
  auto db = p->params.find("database");
  std::string database = db == p->params.end() || db->second.empty() ? user->second : db->second;
  if (database != "postgres") {
    fatal(self, {"3D000", "database \"" + database + "\" does not exist", {}});
    return;
  }
  std::vector<char> out;
  pg::writer w{out};
  w.authentication_ok();
  // Startup parameters that name settings (application_name, DateStyle,
  // client_encoding, ...) set them, as in PostgreSQL.
  for (const auto& [name, value] : p->params) {
    if (name == "user" || name == "database" || name == "options" || name == "replication")
      continue;
    if (name == "client_encoding") {
      // The server converts no encodings: bytes in any other would be
      // stored as they came (PostgreSQL refuses a bad name here, FATAL).
      auto enc = planner::sql_session::client_encoding(value);
      if (auto* e = std::get_if<chunkstore::pg_error>(&enc)) {
        fatal(self, *e);
        return;
      }
      st.sql.set_setting(name, std::get<std::string>(enc));
      continue;
    }
    st.sql.set_setting(name, value);
  }
  st.sql.set_setting("session_authorization", user->second);
  for (const auto& name : planner::sql_session::reported_settings())
    w.parameter_status(name, st.sql.setting(name).value_or(""));
  w.backend_key_data(st.pid, st.secret);
  w.ready_for_query('I');
  send_bytes(self, out);
  st.at = session_state::phase::messages;
}

/// Frames whole packets out of `data` and handles them; returns the bytes
/// used (a partial packet is left for the next bytes, except a CopyData
/// body, which is parsed as far as it has come).
size_t on_bytes(self_ptr self, const char* data, size_t size) {
  auto& st = self->state;
  size_t pos = 0;
  while (st.at != session_state::phase::closing) {
    size_t avail = size - pos;
    const char* p = data + pos;
    if (st.copy_data_left > 0) {
      size_t n = std::min(avail, st.copy_data_left);
      if (n == 0)
        break;
      pos += n;
      st.copy_data_left -= n;
      copy_data(self, std::string_view{p, n});
      continue;
    }
    if (st.at == session_state::phase::startup) {
      if (avail < 4)
        break;
      int32_t len = pg::read_i32(p);
      if (len < 8 || len > pg::max_startup_length) {
        fatal(self, {"08P01", "invalid length of startup packet", {}});
        break;
      }
      if (avail < static_cast<size_t>(len))
        break;
      std::vector<char> body(p + 4, p + len);
      pos += static_cast<size_t>(len);
      on_startup(self, body);
      continue;
    }
    if (avail < 5)
      break;
    int32_t len = pg::read_i32(p + 1);
    if (len < 4 || len > pg::max_message_length) {
      fatal(self, {"08P01", "invalid message length", {}});
      break;
    }
    if (p[0] == 'd' && st.copy) {
      // CopyData, the bulk of a COPY: parsed where it lies as it arrives.
      pos += 5;
      st.copy_data_left = static_cast<size_t>(len) - 4;
      continue;
    }
    if (avail < static_cast<size_t>(len) + 1)
      break;
    std::vector<char> body(p + 5, p + 1 + len);
    pos += static_cast<size_t>(len) + 1;
    handle_message(self, p[0], std::move(body));
  }
  return pos;
}

} // namespace session_detail

using namespace session_detail;

caf::behavior session_behavior(self_ptr self, caf::actor out, catalog_actor catalog,
                               int32_t pid) {
  auto& st = self->state;
  st.out = std::move(out);
  st.catalog = std::move(catalog);
  st.pid = pid;
  st.secret = static_cast<int32_t>(std::random_device{}());
  return {
    [=](wire_atom, const messages::buffer& bytes) {
      auto& s = self->state;
      if (s.at == session_state::phase::closing)
        return;
      auto chars = bytes.chars();
      if (s.in.empty()) {
        // Nothing held back: handled where the bytes lie, the rest kept.
        size_t used = on_bytes(self, chars.data(), chars.size());
        if (s.at != session_state::phase::closing)
          s.in.assign(chars.begin() + static_cast<ptrdiff_t>(used), chars.end());
        return;
      }
      s.in.insert(s.in.end(), chars.begin(), chars.end());
      size_t used = on_bytes(self, s.in.data(), s.in.size());
      if (s.at == session_state::phase::closing)
        s.in.clear();
      else
        s.in.erase(s.in.begin(), s.in.begin() + static_cast<ptrdiff_t>(used));
    },
    // The connection is gone.
    [=](close_atom) { self->quit(); },
  };
}

} // namespace hypertide::actors

// The session's transactions: BEGIN blocks and the implicit transaction of
// a multi-statement query -- their operations kept until COMMIT, the DDL of
// a block checked at once and applied by the catalog at COMMIT, the
// block's own view of the tables it created and dropped. Internal to
// actors/.

#include <algorithm>
#include <functional>

#include <caf/stateful_actor.hpp>

#include "actors/session_internal.hpp"
#include "actors/wal_actor.hpp"
#include "messages/codec.hpp"
#include "planner/catalog.hpp"

namespace hypertide::actors::session_detail {

/// Ends the transaction's bookkeeping and returns its operations and their
/// kinds; the columns cached for tables its block created or dropped go.
std::pair<std::vector<buffer>, std::vector<uint8_t>> take_tx(session_state& st) {
  std::pair<std::vector<buffer>, std::vector<uint8_t>> out{std::move(st.tx_writes),
                                                          std::move(st.tx_kinds)};
  st.tx_writes.clear();
  st.tx_kinds.clear();
  st.tx_tables.clear();
  st.savepoints.clear();
  for (const auto& [name, ct] : st.tx_created)
    st.schemas.erase(name);
  for (const auto& name : st.tx_dropped)
    st.schemas.erase(name);
  st.tx_created.clear();
  st.tx_hypertables.clear();
  st.tx_dropped.clear();
  return out;
}

/// The block's view of its DDL again, from its operations (after ROLLBACK
/// TO SAVEPOINT cut them).
void rebuild_tx_view(session_state& st) {
  for (const auto& [name, ct] : st.tx_created)
    st.schemas.erase(name);
  st.tx_created.clear();
  st.tx_hypertables.clear();
  st.tx_dropped.clear();
  for (size_t i = 0; i < st.tx_writes.size(); ++i) {
    if (st.tx_kinds[i] == wal_create_table) {
      auto ct = std::get<messages::create_table>(
        messages::decode_create_table(st.tx_writes[i], false));
      st.tx_dropped.erase(ct.name);
      st.schemas[ct.name] = ct;
      st.tx_created[ct.name] = std::move(ct);
    } else if (st.tx_kinds[i] == wal_create_hypertable) {
      st.tx_hypertables.insert(std::get<messages::create_hypertable>(
        messages::decode_create_hypertable(st.tx_writes[i], false)).table);
    } else if (st.tx_kinds[i] == wal_drop_table) {
      auto name = std::get<messages::drop_table>(
        messages::decode_drop_table(st.tx_writes[i], false)).name;
      st.tx_created.erase(name);
      st.tx_hypertables.erase(name);
      st.schemas.erase(name);
      st.tx_dropped.insert(std::move(name));
    }
  }
}

/// Hands a transaction's operations to the catalog under one commit: its
/// rows alone, or with its block's DDL.
void commit_tx(self_ptr self, std::vector<buffer> writes, const std::vector<uint8_t>& kinds,
               std::function<void(uint64_t, uint64_t)> done,
               std::function<void(caf::error&)> failed) {
  auto& st = self->state;
  bool ddl = std::any_of(kinds.begin(), kinds.end(), [](uint8_t k) { return k != wal_insert; });
  if (ddl)
    self->request(st.catalog, caf::infinite, commit_atom_v, writes, kinds, commit_mode_of(st))
      .then(std::move(done), std::move(failed));
  else
    self->request(st.catalog, caf::infinite, commit_atom_v, writes, commit_mode_of(st))
      .then(std::move(done), std::move(failed));
}

/// Whether table `name` exists for the open block: `then(true/false)` --
/// its own DDL first, else the node's catalog.
void block_table_exists(self_ptr self, const std::string& name, std::function<void(bool)> then) {
  auto& st = self->state;
  if (st.tx_created.count(name) > 0) {
    then(true);
    return;
  }
  if (st.tx_dropped.count(name) > 0) {
    then(false);
    return;
  }
  self->request(st.catalog, caf::infinite, schema_atom_v, name)
    .then([then](const buffer&) { then(true); },
          [self, then](caf::error& err) {
            auto e = to_pg_error(err);
            if (e.sqlstate == "42P01")
              then(false);
            else
              fail_query(self, planner::statement_error{std::move(e), 0});
          });
}

/// CREATE TABLE, DROP TABLE and create_hypertable() inside a BEGIN block:
/// checked now, kept with the block's rows, applied by the catalog at
/// COMMIT (all or nothing, as PostgreSQL's transactional DDL), seen by
/// the block's own statements meanwhile.
void block_ddl(self_ptr self, const planner::catalog_request& req) {
  auto& st = self->state;
  auto keep = [self](uint8_t kind, buffer op) {
    self->state.tx_writes.push_back(std::move(op));
    self->state.tx_kinds.push_back(kind);
  };
  if (const auto* ct = std::get_if<messages::create_table>(&req)) {
    block_table_exists(self, ct->name, [self, ct = *ct, keep](bool exists) {
      auto& st = self->state;
      if (exists) {
        if (!ct.if_not_exists) {
          fail_query(self, planner::statement_error{
                             {"42P07", "relation \"" + ct.name + "\" already exists", {}}, 0});
          return;
        }
        auto r = tagged("CREATE TABLE");
        r.notices.push_back("relation \"" + ct.name + "\" already exists, skipping");
        statement_done(self, r);
        return;
      }
      // The catalog's own checks, on a scratch catalog.
      planner::catalog scratch;
      auto made = scratch.create_table(ct);
      if (auto* e = std::get_if<chunkstore::pg_error>(&made)) {
        fail_query(self, planner::statement_error{*e, 0});
        return;
      }
      keep(wal_create_table, messages::encode(ct));
      st.tx_dropped.erase(ct.name);
      st.tx_created[ct.name] = ct;
      st.schemas[ct.name] = ct;
      statement_done(self, tagged("CREATE TABLE"));
    });
    return;
  }
  if (const auto* dt = std::get_if<messages::drop_table>(&req)) {
    block_table_exists(self, dt->name, [self, dt = *dt, keep](bool exists) {
      auto& st = self->state;
      if (!exists) {
        if (!dt.if_exists) {
          fail_query(self, planner::statement_error{
                             {"42P01", "table \"" + dt.name + "\" does not exist", {}}, 0});
          return;
        }
        auto r = tagged("DROP TABLE");
        r.notices.push_back("table \"" + dt.name + "\" does not exist, skipping");
        statement_done(self, r);
        return;
      }
      if (st.tx_tables.count(dt.name) > 0) {
        fail_query(self, planner::statement_error{
                           {"0A000", "DROP TABLE of a table this transaction block wrote is not "
                                     "supported yet", {}}, 0});
        return;
      }
      keep(wal_drop_table, messages::encode(dt));
      st.tx_created.erase(dt.name);
      st.tx_hypertables.erase(dt.name);
      st.tx_dropped.insert(dt.name);
      st.schemas.erase(dt.name);
      statement_done(self, tagged("DROP TABLE"));
    });
    return;
  }
  if (const auto* ch = std::get_if<messages::create_hypertable>(&req)) {
    auto it = st.tx_created.find(ch->table);
    if (it == st.tx_created.end()) {
      fail_query(self, planner::statement_error{
                         {"0A000", "create_hypertable() inside a transaction block is supported "
                                   "only for a table created in the same block yet", {}}, 0});
      return;
    }
    auto result_of = [](int32_t id, const std::string& table, bool created) {
      planner::statement_result r;
      r.columns = {{"create_hypertable", 2249}};
      r.rows = {{planner::sql_session::hypertable_record(id, table, created)}};
      r.tag = "SELECT 1";
      return r;
    };
    // The catalog's own checks, on a scratch catalog holding the table (and
    // the block's earlier create_hypertable of it, if any).
    planner::catalog scratch;
    scratch.create_table(it->second);
    for (size_t i = 0; i < st.tx_writes.size(); ++i)
      if (st.tx_kinds[i] == wal_create_hypertable) {
        auto prior = std::get<messages::create_hypertable>(
          messages::decode_create_hypertable(st.tx_writes[i], false));
        if (prior.table == ch->table)
          scratch.create_hypertable(prior);
      }
    if (st.tx_tables.count(ch->table) > 0 && st.tx_hypertables.count(ch->table) == 0) {
      fail_query(self, planner::statement_error{
                         {"TS102", "table \"" + ch->table + "\" is not empty",
                          "You can migrate data by specifying 'migrate_data => true' when "
                          "calling this function."}, 0});
      return;
    }
    auto checked = scratch.create_hypertable(*ch);
    if (auto* e = std::get_if<chunkstore::pg_error>(&checked)) {
      fail_query(self, planner::statement_error{*e, 0});
      return;
    }
    const auto& h = std::get<planner::hypertable_created>(checked);
    if (!h.created) { // already one (if_not_exists): its notice, nothing kept
      auto r = result_of(h.hypertable_id, ch->table, false);
      if (!h.notice.empty())
        r.notices.push_back(h.notice);
      statement_done(self, r);
      return;
    }
    // The id it will have: reserved now, passed back at COMMIT.
    self->request(st.catalog, caf::infinite, hyper_atom_v)
      .then(
        [self, ch = *ch, keep, result_of](int32_t id) mutable {
          ch.hypertable_id = id;
          keep(wal_create_hypertable, messages::encode(ch));
          self->state.tx_hypertables.insert(ch.table);
          statement_done(self, result_of(id, ch.table, true));
        },
        [self](caf::error& err) {
          fail_query(self, planner::statement_error{to_pg_error(err), 0});
        });
    return;
  }
  fail_query(self, planner::statement_error{
                     {"0A000", "drop_chunks() inside a transaction block is not supported yet",
                      {}}, 0});
}

/// BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE and ROLLBACK TO.
void run_transaction_control(self_ptr self, const planner::transaction_control& tc) {
  auto& st = self->state;
  using txn = session_state::txn;
  using A = planner::transaction_control::action;
  planner::statement_result r;
  switch (tc.what) {
    case A::begin:
      if (st.implicit_tx)
        st.implicit_tx = false; // the implicit block becomes a regular one
      else if (st.tx != txn::idle)
        r.warnings.emplace_back("25001", "there is already a transaction in progress");
      else
        st.tx = txn::open;
      r.tag = "BEGIN";
      break;
    case A::rollback:
      if (st.tx == txn::idle || st.implicit_tx)
        r.warnings.emplace_back("25P01", "there is no transaction in progress");
      st.implicit_tx = false;
      st.tx = txn::idle;
      take_tx(st);
      r.tag = "ROLLBACK";
      break;
    case A::savepoint:
    case A::release:
    case A::rollback_to: {
      // The transaction's writes wait here until COMMIT: a savepoint is
      // how many there were.
      const char* what = tc.what == A::savepoint ? "SAVEPOINT"
                         : tc.what == A::release ? "RELEASE SAVEPOINT"
                                                  : "ROLLBACK TO SAVEPOINT";
      if (st.tx == txn::idle || st.implicit_tx) {
        fail_query(self, planner::statement_error{
                           {"25P01", std::string{what} + " can only be used in transaction "
                                                         "blocks", {}}, 0});
        return;
      }
      if (st.tx == txn::failed && tc.what != A::rollback_to) {
        fail_query(self, planner::statement_error{
                           {"25P02", "current transaction is aborted, commands ignored until "
                                     "end of transaction block", {}}, 0});
        return;
      }
      if (tc.what == A::savepoint) {
        st.savepoints.push_back({tc.savepoint, st.tx_writes.size(), st.tx_tables});
        r.tag = "SAVEPOINT";
        break;
      }
      auto it = std::find_if(st.savepoints.rbegin(), st.savepoints.rend(),
                             [&](const auto& s) { return s.name == tc.savepoint; });
      if (it == st.savepoints.rend()) {
        fail_query(self, planner::statement_error{
                           {"3B001", "savepoint \"" + tc.savepoint + "\" does not exist", {}},
                           0});
        return;
      }
      auto at = std::next(it).base(); // the savepoint, as a forward iterator
      if (tc.what == A::release) {
        st.savepoints.erase(at, st.savepoints.end());
        r.tag = "RELEASE";
      } else {
        st.tx_writes.resize(at->writes);
        st.tx_kinds.resize(at->writes);
        st.tx_tables = at->tables;
        rebuild_tx_view(st);
        st.savepoints.erase(std::next(at), st.savepoints.end());
        st.tx = txn::open;
        r.tag = "ROLLBACK";
      }
      break;
    }
    case A::commit:
      if (st.implicit_tx) // commits the implicit block, with PostgreSQL's warning
        r.warnings.emplace_back("25P01", "there is no transaction in progress");
      st.implicit_tx = false;
      if (st.tx == txn::idle) {
        r.warnings.emplace_back("25P01", "there is no transaction in progress");
        r.tag = "COMMIT";
      } else if (st.tx == txn::failed) {
        r.tag = "ROLLBACK"; // a failed transaction can only roll back
      } else if (!st.tx_writes.empty()) {
        // Every write (and DDL) of the transaction under one commit LSN.
        auto [writes, kinds] = take_tx(st);
        st.tx = txn::idle;
        commit_tx(
          self, std::move(writes), kinds,
            [self, warnings = r.warnings](uint64_t, uint64_t) {
              auto done = tagged("COMMIT");
              done.warnings = warnings;
              statement_done(self, done);
            },
            [self](caf::error& err) {
              fail_query(self, planner::statement_error{to_pg_error(err), 0});
            });
        return;
      } else {
        r.tag = "COMMIT";
      }
      st.tx = txn::idle;
      take_tx(st);
      break;
  }
  statement_done(self, r);
  return;
}

/// The end of a simple query: an implicit transaction still open commits
/// (its writes under one commit LSN), then ReadyForQuery.
void end_statements(self_ptr self, std::vector<char>& out) {
  auto& st = self->state;
  st.multi_statement = false;
  if (!st.implicit_tx) {
    finish_query(self, out);
    return;
  }
  st.implicit_tx = false;
  st.tx = session_state::txn::idle;
  auto [writes, kinds] = take_tx(st);
  if (writes.empty()) {
    finish_query(self, out);
    return;
  }
  send_bytes(self, out);
  commit_tx(self, std::move(writes), kinds,
      [self](uint64_t, uint64_t) {
        std::vector<char> none;
        finish_query(self, none);
      },
      [self](caf::error& err) {
        fail_query(self, planner::statement_error{to_pg_error(err), 0});
      });
}

} // namespace hypertide::actors::session_detail

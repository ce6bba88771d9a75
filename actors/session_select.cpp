// The session's SELECT pipeline: a SELECT over a table (planned here, its
// fragment run on the node, the final step here), over pg_catalog or a
// timescaledb_information view (a catalog snapshot), or over WITH queries
// and sub-selects (rows the session holds). Internal to actors/.

#include <map>
#include <memory>

#include <caf/stateful_actor.hpp>

#include "actors/session_internal.hpp"
#include "actors/wal_actor.hpp"
#include "messages/codec.hpp"
#include "planner/catalog_query.hpp"
#include "planner/local_table.hpp"
#include "planner/select_planner.hpp"
#include "planner/sublinks.hpp"

namespace hypertide::actors::session_detail {

/// The most nested set operations a SELECT may have.
constexpr size_t max_set_operation_depth = 2000;

void run_as_join(self_ptr self, const void* stmt, int64_t now, std::shared_ptr<cte_map> ctes,
                 select_done done, select_failed failed);

/// A sub-select's rows as a local table named `name`, its columns renamed
/// by `aliases` (copied only then).
std::variant<planner::local_table, planner::positioned_error>
local_under(const std::string& name, const std::vector<std::string>& aliases,
            const planner::statement_result& r) {
  if (aliases.empty())
    return planner::local_from_result(name, r);
  auto renamed = r;
  if (auto e = planner::rename_columns(renamed, name, aliases))
    return *e;
  return planner::local_from_result(name, renamed);
}

/// Runs a SELECT over rows the session holds, or fails.
void run_over(const void* stmt, const planner::local_table& t, int64_t now,
              const select_done& done, const select_failed& failed) {
  auto r = planner::run_local(stmt, t, now);
  if (auto* e = std::get_if<planner::positioned_error>(&r))
    failed(planner::statement_error{e->error, e->position});
  else
    done(std::get<planner::statement_result>(r));
}

/// Evaluates WITH query `i` (and the ones after it), then the main query.
void run_ctes(self_ptr self, const void* stmt,
              std::shared_ptr<std::vector<std::pair<std::string, const void*>>> list, size_t i,
              int64_t now, std::shared_ptr<cte_map> ctes, select_done done,
              select_failed failed) {
  if (i == list->size()) {
    run_select(self, stmt, now, ctes, true, done, failed);
    return;
  }
  const auto& [name, query] = (*list)[i];
  if (query == nullptr) {
    failed(planner::statement_error{{"0A000", "WITH queries other than SELECT are not supported", {}}, 0});
    return;
  }
  run_select(
    self, query, now, ctes, false,
    [=, name = name](const planner::statement_result& r) {
      auto t = planner::local_from_result(name, r);
      if (auto* e = std::get_if<planner::positioned_error>(&t)) {
        failed(planner::statement_error{e->error, e->position});
        return;
      }
      (*ctes)[name] = std::make_shared<planner::local_table>(
        std::move(std::get<planner::local_table>(t)));
      run_ctes(self, stmt, list, i + 1, now, ctes, done, failed);
    },
    failed);
}

/// Runs a planned SELECT on the node and its final step here; `done` gets
/// the rows, `failed` any error.
/// `stale` runs when the table the plan was made for is gone.
void run_plan(self_ptr self, std::shared_ptr<planner::select_plan> plan, uint32_t table_oid,
              select_done done, select_failed failed, std::function<void()> stale) {
  self->request(self->state.catalog, caf::infinite, query_atom_v,
                messages::encode_fragment(plan->fragment), table_oid)
    .then(
      [=](std::vector<buffer>& pieces) {
        if (planner::is_plain_rows(*plan)) {
          // Columns of the raw rows: written from the chunks' answers as
          // they came, read in place.
          auto v = messages::view_raw_pieces(pieces, false);
          if (auto* e = std::get_if<chunkstore::pg_error>(&v)) {
            failed(planner::statement_error{*e, 0});
            return;
          }
          auto owner = std::make_shared<const std::vector<buffer>>(std::move(pieces));
          auto res = planner::plain_rows_result(
            *plan, std::move(std::get<messages::raw_pieces_view>(v).pieces), std::move(owner));
          done(res);
          return;
        }
        auto r = messages::decode_result(messages::join_pieces(pieces), false);
        if (auto* e = std::get_if<chunkstore::pg_error>(&r)) {
          failed(planner::statement_error{*e, 0});
          return;
        }
        auto fin = planner::finish_select(*plan,
                                          std::move(std::get<chunkstore::partial_result>(r)));
        if (auto* e = std::get_if<planner::positioned_error>(&fin))
          failed(planner::statement_error{e->error, e->position});
        else
          done(std::get<planner::statement_result>(fin));
      },
      [failed, stale](caf::error& err) {
        auto e = to_pg_error(err);
        if (e.sqlstate == stale_plan_sqlstate && stale)
          stale();
        else
          failed(planner::statement_error{std::move(e), 0});
      });
}

/// Plans `stmt` over a table with `schema` and runs it.
void plan_and_run(self_ptr self, const void* stmt, int64_t now,
                  const messages::create_table& schema, select_done done, select_failed failed,
                  std::function<void()> stale) {
  auto planned = planner::plan_select(stmt, schema.schema, now);
  if (auto* e = std::get_if<planner::positioned_error>(&planned)) {
    if (planner::where_needs_rows(stmt, schema.schema, now)) {
      // A WHERE the chunks cannot evaluate: its rows here (as far as the
      // chunks can select them), then the statement as a join of one.
      run_as_join(self, stmt, now, std::make_shared<cte_map>(), std::move(done),
                  std::move(failed));
      return;
    }
    failed(planner::statement_error{e->error, e->position});
    return;
  }
  run_plan(self,
           std::make_shared<planner::select_plan>(
             std::move(std::get<planner::select_plan>(planned))),
           schema.oid, std::move(done), std::move(failed), std::move(stale));
}

void fetch_leaves(self_ptr self, const void* stmt,
                  std::shared_ptr<std::vector<planner::join_leaf>> leaves, size_t i,
                  std::shared_ptr<std::vector<planner::local_table>> tables, int64_t now,
                  std::shared_ptr<cte_map> ctes, select_done done, select_failed failed);

/// Runs a SELECT through the join path: its relations' rows here, joined
/// (no filter is lost: each relation's rows come filtered by what of WHERE
/// the chunks can evaluate, and WHERE is evaluated whole afterwards).
void run_as_join(self_ptr self, const void* stmt, int64_t now, std::shared_ptr<cte_map> ctes,
                 select_done done, select_failed failed) {
  auto leaves = planner::join_leaves(stmt);
  if (auto* e = std::get_if<planner::positioned_error>(&leaves)) {
    failed(planner::statement_error{e->error, e->position});
    return;
  }
  fetch_leaves(self, stmt,
               std::make_shared<std::vector<planner::join_leaf>>(
                 std::move(std::get<std::vector<planner::join_leaf>>(leaves))),
               0, std::make_shared<std::vector<planner::local_table>>(), now, std::move(ctes),
               std::move(done), std::move(failed));
}

/// Asks the catalog for a snapshot of every table and chunk; `then` gets it.
void with_snapshot(self_ptr self, select_failed failed,
                   std::function<void(const messages::catalog_snapshot&)> then) {
  self->request(self->state.catalog, caf::infinite, info_atom_v)
    .then(
      [failed, then](const buffer& snap_buf) {
        auto snap = messages::decode_catalog_snapshot(snap_buf, false);
        if (auto* e = std::get_if<chunkstore::pg_error>(&snap))
          failed(planner::statement_error{*e, 0});
        else
          then(std::get<messages::catalog_snapshot>(snap));
      },
      [failed](caf::error& err) { failed(planner::statement_error{to_pg_error(err), 0}); });
}

/// Runs sub-query `i` of `rw` (and the ones after it) on its own and puts
/// its result in its place, then the statement itself.
void run_sublinks(self_ptr self, std::shared_ptr<planner::sublink_rewrite> rw, size_t i,
                  int64_t now, std::shared_ptr<cte_map> ctes, select_done done,
                  select_failed failed) {
  if (i == rw->count()) {
    // `rw` owns the rewritten statement: kept until the statement is done.
    run_select(
      self, rw->statement(), now, ctes, true,
      [rw, done](const planner::statement_result& r) { done(r); },
      [rw, failed](const planner::statement_error& e) { failed(e); });
    return;
  }
  const void* sub = rw->subquery(i);
  if (sub == nullptr) {
    failed(planner::statement_error{{"0A000", "this sub-query is not supported yet", {}}, 0});
    return;
  }
  run_select(
    self, sub, now, ctes, false,
    [=](const planner::statement_result& r) {
      if (auto e = rw->set_result(i, r))
        failed(planner::statement_error{e->error, e->position});
      else
        run_sublinks(self, rw, i + 1, now, ctes, done, failed);
    },
    [rw, failed](const planner::statement_error& e) {
      // A name the sub-query cannot resolve alone may be the outer query's.
      if (e.error.sqlstate == "42703" || e.error.sqlstate == "42P01") {
        auto hinted = e;
        hinted.error.detail = "Sub-queries run on their own here: correlated sub-queries "
                              "(naming the outer query's columns) are not supported yet.";
        failed(hinted);
        return;
      }
      failed(e);
    });
}

/// Appends to `t` the rows the open transaction wrote into table `name`
/// (its INSERTs and COPYs, kept in the session until COMMIT): the
/// transaction reads its own writes.
void add_own_writes(self_ptr self, const std::string& name,
                    const chunkstore::table_schema& table, planner::local_table& t) {
  // The written batches hold every column of the table; `t` those fetched.
  std::vector<size_t> from;
  for (const auto& c : t.schema.columns)
    from.push_back(static_cast<size_t>(table.find(c.name)));
  const auto& st = self->state;
  for (size_t i = 0; i < st.tx_writes.size(); ++i) {
    if (st.tx_kinds[i] != wal_insert)
      continue; // the block's DDL
    const auto& buf = st.tx_writes[i];
    auto v = messages::decode_insert(buf, false);
    if (!std::holds_alternative<messages::insert_view>(v))
      continue;
    const auto& iv = std::get<messages::insert_view>(v);
    if (iv.table != name)
      continue;
    for (uint32_t r = 0; r < iv.batch.rows; ++r) {
      for (size_t c = 0; c < from.size(); ++c)
        t.rows.append_value(c, iv.batch.columns[from[c]].at(r));
      t.rows.finish_row();
    }
  }
}

/// Every row of table `name` as a local table named `alias` -- with the
/// open transaction's own writes to it -- to `got`.
/// With `stmt` (a join), only the columns it reads of the table.
void fetch_table(self_ptr self, const std::string& name, const std::string& alias,
                 const void* stmt, int64_t now, std::function<void(planner::local_table)> got,
                 select_failed failed) {
  auto& st = self->state;
  if (st.tx != session_state::txn::idle) {
    // A table the open block created (rows only its own) or dropped.
    if (st.tx_dropped.count(name) > 0) {
      failed(planner::statement_error{
        {"42P01", "relation \"" + name + "\" does not exist", {}}, 0});
      return;
    }
    if (auto it = st.tx_created.find(name); it != st.tx_created.end()) {
      planner::local_table t;
      t.name = alias;
      t.schema = it->second.schema;
      for (auto& c : t.schema.columns)
        c.not_null = false;
      t.rows = chunkstore::column_batch{t.schema};
      add_own_writes(self, name, it->second.schema, t);
      got(std::move(t));
      return;
    }
  }
  auto scan = [=](const messages::create_table& schema) {
    std::vector<std::string> columns;
    if (stmt != nullptr)
      columns = planner::join_leaf_columns(stmt, alias, schema.schema).value_or(columns);
    auto plan = planner::plan_table_scan(schema.schema, name, columns);
    if (auto* e = std::get_if<planner::positioned_error>(&plan)) {
      failed(planner::statement_error{e->error, e->position});
      return;
    }
    // The rows the statement's WHERE keeps, as far as the chunks can tell
    // (a time range also excludes chunks). Not the transaction's own
    // writes: those are added whole and WHERE filters them later.
    if (stmt != nullptr)
      std::get<planner::select_plan>(plan).fragment.filter =
        planner::join_leaf_filter(stmt, alias, name, schema.schema, now);
    run_plan(self,
             std::make_shared<planner::select_plan>(
               std::move(std::get<planner::select_plan>(plan))),
             schema.oid,
             [=](const planner::statement_result& r) {
               auto t = planner::local_from_result(alias, r);
               if (auto* e = std::get_if<planner::positioned_error>(&t)) {
                 failed(planner::statement_error{e->error, e->position});
                 return;
               }
               auto& lt = std::get<planner::local_table>(t);
               if (lt.rows.num_columns() != lt.schema.columns.size())
                 lt.rows = chunkstore::column_batch{lt.schema};
               if (self->state.tx == session_state::txn::open
                   && self->state.tx_tables.count(name) > 0)
                 add_own_writes(self, name, schema.schema, lt);
               got(std::move(lt));
             },
             failed, nullptr);
  };
  if (auto it = self->state.schemas.find(name); it != self->state.schemas.end()) {
    scan(it->second);
    return;
  }
  self->request(self->state.catalog, caf::infinite, schema_atom_v, name)
    .then(
      [=](const buffer& schema_buf) {
        auto ct = messages::decode_create_table(schema_buf, false);
        if (auto* e = std::get_if<chunkstore::pg_error>(&ct))
          failed(planner::statement_error{*e, 0});
        else
          scan(std::get<messages::create_table>(ct));
      },
      [failed](caf::error& err) { failed(planner::statement_error{to_pg_error(err), 0}); });
}

/// Fetches the rows of leaf `i` of a join (and the ones after it) into
/// `tables`, then joins them and runs the SELECT over the joined rows.
void fetch_leaves(self_ptr self, const void* stmt,
                  std::shared_ptr<std::vector<planner::join_leaf>> leaves, size_t i,
                  std::shared_ptr<std::vector<planner::local_table>> tables, int64_t now,
                  std::shared_ptr<cte_map> ctes, select_done done, select_failed failed) {
  if (i == leaves->size()) {
    auto r = planner::run_join(stmt, std::move(*tables), now);
    if (auto* e = std::get_if<planner::positioned_error>(&r))
      failed(planner::statement_error{e->error, e->position});
    else
      done(std::get<planner::statement_result>(r));
    return;
  }
  const auto& leaf = (*leaves)[i];
  auto next = [=](planner::local_table t) {
    tables->push_back(std::move(t));
    fetch_leaves(self, stmt, leaves, i + 1, tables, now, ctes, done, failed);
  };
  auto got_result = [=, name = leaf.alias,
                     aliases = leaf.column_aliases](const planner::statement_result& r) {
    auto t = local_under(name, aliases, r);
    if (auto* e = std::get_if<planner::positioned_error>(&t))
      failed(planner::statement_error{e->error, e->position});
    else
      next(std::move(std::get<planner::local_table>(t)));
  };
  if (leaf.subselect != nullptr) {
    run_select(self, leaf.subselect, now, ctes, false, got_result, failed);
    return;
  }
  if (auto it = ctes->find(leaf.name); it != ctes->end()) {
    next(*it->second);
    return;
  }
  fetch_table(self, leaf.name, leaf.alias, stmt, now, next, failed);
}

/// A SELECT over a hypertable, a timescaledb_information view, a WITH
/// query or a sub-select; `done` gets its result.
void run_select(self_ptr self, const void* stmt, int64_t now, std::shared_ptr<cte_map> ctes,
                bool ctes_done, select_done done, select_failed failed) {
  if (!ctes_done) {
    auto list = std::make_shared<std::vector<std::pair<std::string, const void*>>>(
      planner::with_queries(stmt));
    if (!list->empty()) {
      run_ctes(self, stmt, list, 0, now, ctes, done, failed);
      return;
    }
  }
  if (planner::is_set_operation(stmt) && !planner::reads_pg_catalog(stmt)) {
    // Each side on its own (WITH queries stay visible to both), then the
    // set operation here: one level of the session's stack per level of
    // nesting, bounded as PostgreSQL bounds its own (max_stack_depth).
    if (planner::set_operation_depth(stmt) > max_set_operation_depth) {
      failed(planner::statement_error{
        {"54001", "stack depth limit exceeded",
         "More than " + std::to_string(max_set_operation_depth)
           + " nested UNION, INTERSECT or EXCEPT operations."},
        0});
      return;
    }
    auto [larg, rarg] = planner::set_operation_sides(stmt);
    run_select(
      self, larg, now, ctes, false,
      [=, rarg = rarg](const planner::statement_result& left) {
        run_select(
          self, rarg, now, ctes, false,
          [=](const planner::statement_result& right) {
            auto r = planner::set_operation(stmt, left, right);
            if (auto* e = std::get_if<planner::positioned_error>(&r))
              failed(planner::statement_error{e->error, e->position});
            else
              done(std::get<planner::statement_result>(r));
          },
          failed);
      },
      failed);
    return;
  }
  if (planner::reads_pg_catalog(stmt)) {
    // psql's \dt and \d, drivers' type look-ups: over a catalog snapshot.
    with_snapshot(self, failed, [=](const messages::catalog_snapshot& snap) {
      auto r = planner::run_catalog_query(stmt, snap);
      if (auto* e = std::get_if<planner::positioned_error>(&r))
        failed(planner::statement_error{e->error, e->position});
      else
        done(std::get<planner::statement_result>(r));
    });
    return;
  }
  if (auto rw = planner::sublink_rewrite::of(stmt)) {
    run_sublinks(self, rw, 0, now, ctes, done, failed);
    return;
  }
  if (!planner::has_from(stmt)) {
    // A WITH query without FROM: constants.
    planner::setting_lookup lookup = [self](std::string_view n) {
      return self->state.sql.setting(n);
    };
    auto r = planner::constant_select(stmt, now, lookup);
    if (auto* e = std::get_if<planner::positioned_error>(&r))
      failed(planner::statement_error{e->error, e->position});
    else
      done(std::get<planner::statement_result>(r));
    return;
  }
  if (planner::is_join(stmt)) {
    run_as_join(self, stmt, now, ctes, done, failed);
    return;
  }
  auto source = planner::source_of(stmt);
  if (auto* e = std::get_if<planner::positioned_error>(&source)) {
    failed(planner::statement_error{e->error, e->position});
    return;
  }
  const auto& src = std::get<planner::select_source>(source);
  if (src.subselect != nullptr) {
    run_select(
      self, src.subselect, now, ctes, false,
      [=, name = src.name, aliases = src.column_aliases](const planner::statement_result& r) {
        auto t = local_under(name, aliases, r);
        if (auto* e = std::get_if<planner::positioned_error>(&t))
          failed(planner::statement_error{e->error, e->position});
        else
          run_over(stmt, std::get<planner::local_table>(t), now, done, failed);
      },
      failed);
    return;
  }
  if (auto it = ctes->find(src.name); it != ctes->end()) {
    run_over(stmt, *it->second, now, done, failed);
    return;
  }
  auto& cat = self->state.catalog;
  auto on_error = [failed](caf::error& err) {
    failed(planner::statement_error{to_pg_error(err), 0});
  };
  constexpr std::string_view info = "timescaledb_information.";
  if (src.name.rfind("information_schema.", 0) == 0 || src.name.rfind(info, 0) == 0) {
    // A view over a catalog snapshot (timescaledb_information's by their
    // own names, information_schema's by the qualified one).
    std::string view = src.name.rfind(info, 0) == 0 ? src.name.substr(info.size()) : src.name;
    with_snapshot(self, failed, [=, name = src.name](const messages::catalog_snapshot& snap) {
      auto t = planner::information_view(view, snap);
      if (!t) {
        failed(planner::statement_error{
          {"42P01", "relation \"" + name + "\" does not exist", {}}, 0});
        return;
      }
      run_over(stmt, *t, now, done, failed);
    });
    return;
  }
  if (self->state.tx == session_state::txn::open
      && (self->state.tx_tables.count(src.name) > 0 || self->state.tx_created.count(src.name) > 0
          || self->state.tx_dropped.count(src.name) > 0)) {
    // The open transaction wrote this table: its rows and the transaction's
    // own, here (the node sees only committed rows).
    fetch_table(
      self, src.name, src.name, nullptr, now,
      [=](planner::local_table t) { run_over(stmt, t, now, done, failed); }, failed);
    return;
  }
  // A hypertable or plain table: its columns, then the plan; the fragment
  // runs on the node, the final step (HAVING, projection, ORDER BY, LIMIT)
  // here. The columns come from the session's cache when it has them; the
  // catalog refuses a plan whose table has since been replaced, and then
  // the session asks for the columns and plans again.
  auto& cache = self->state.schemas;
  if (auto it = cache.find(src.name); it != cache.end()) {
    auto planned = planner::plan_select(stmt, it->second.schema, now);
    if (std::holds_alternative<planner::positioned_error>(planned)) {
      // Perhaps the table changed since: plan again against its columns now
      // (a real error repeats there and goes to the client).
      cache.erase(it);
      run_select(self, stmt, now, ctes, true, done, failed);
      return;
    }
    run_plan(self,
             std::make_shared<planner::select_plan>(
               std::move(std::get<planner::select_plan>(planned))),
             it->second.oid, done, failed, [=, name = src.name] {
               self->state.schemas.erase(name);
               run_select(self, stmt, now, ctes, true, done, failed);
             });
    return;
  }
  self->request(cat, caf::infinite, schema_atom_v, src.name)
    .then(
      [=, name = src.name](const buffer& schema_buf) {
        auto ct = messages::decode_create_table(schema_buf, false);
        if (auto* e = std::get_if<chunkstore::pg_error>(&ct)) {
          failed(planner::statement_error{*e, 0});
          return;
        }
        auto& schema = std::get<messages::create_table>(ct);
        auto& c = self->state.schemas;
        if (c.size() >= session_state::max_cached_schemas)
          c.clear();
        c[name] = schema;
        // A table replaced between this answer and the query is an error
        // the user sees: the statement raced a DROP TABLE.
        plan_and_run(self, stmt, now, schema, done, failed, nullptr);
      },
      on_error);
}

} // namespace hypertide::actors::session_detail

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "chunkstore/fragment.hpp"
#include "chunkstore/partial_result.hpp"
#include "chunkstore/types.hpp"
#include "planner/insert_builder.hpp"
#include "planner/interval.hpp"

namespace hypertide::planner {

struct statement_result;

/// A typed SQL value while planning and in the access node's final step.
struct datum {
  int32_t type = 705; ///< PostgreSQL type OID
  bool null = true;
  int64_t i = 0;      ///< integers, booleans, timestamptz
  double f = 0;       ///< float8; numeric's value for comparisons
  std::string s;      ///< text; numeric's exact text
  interval iv;        ///< interval
};

/// An expression bound to a query: over the rows of a table, or over the
/// groups of an aggregate (keys and aggregate results).
struct bexpr {
  enum class kind : uint8_t {
    constant, column, key, agg, op, func, and_, or_, not_, is_null, is_not_null, in_list,
    window, ///< a window function's value for the row: select_plan::windows[index]
  };
  kind k = kind::constant;
  int32_t type = 705;
  datum value;
  int index = -1;       ///< column: table column; key/agg: index into the fragment's
  std::string name;     ///< operator or function name
  std::vector<bexpr> args;
  /// An IN list of many constants: its non-NULL values sorted, for a binary
  /// search per row (a sub-query's list may hold a million).
  std::shared_ptr<const std::vector<datum>> in_sorted;
  bool in_has_null = false;
};

/// An aggregate only the access node computes: percentile_cont(fraction) /
/// percentile_disc(fraction) WITHIN GROUP (ORDER BY x [DESC]), or
/// bool_and / bool_or (every) -- in the fragment a placeholder aggregate
/// over x (min/max of x as 0/1 for the boolean ones).
struct node_aggregate {
  enum class what : uint8_t { percentile, bool_and, bool_or };
  what kind = what::percentile;
  bool continuous = true;         ///< percentile_cont
  std::optional<double> fraction; ///< nullopt: NULL, whose answer is NULL
  bool descending = false;
  friend bool operator==(const node_aggregate&, const node_aggregate&) = default;
};

/// GROUP BY expressions and aggregate arguments that are neither columns
/// nor time_bucket() of one (`GROUP BY v * 2`, `sum(a - b)`, FILTER's
/// CASE), and aggregates over distinct values: the chunks do not compute
/// them, so the plan's fragment only filters and fetches the columns they
/// read, and the access node computes each expression as an extra column
/// of those rows, then groups and aggregates them.
struct computed_columns {
  std::vector<bexpr> exprs;          ///< over the fetched columns
  chunkstore::table_schema schema;   ///< the fetched columns, then one per expression
  chunkstore::fragment fragment;     ///< keys and aggregates over `schema`
  /// Per aggregate of `fragment`: over the distinct values of its argument
  /// in each group.
  std::vector<bool> distinct;
  /// Per aggregate of `fragment`: a percentile, whose aggregate there is a
  /// placeholder.
  std::vector<std::optional<node_aggregate>> node_aggregates;
  /// The plan's fragment groups instead of fetching rows (its keys, then
  /// the argument of the DISTINCT aggregates): `schema` is its key columns,
  /// and the groups are the rows aggregated here.
  bool pregrouped = false;
};

/// An ORDER BY key: of the query, or of a window.
struct sort_spec {
  bexpr e;
  bool descending = false;
  bool nulls_first = false;
};

/// A window function call (`lag(v) OVER (PARTITION BY host ORDER BY time)`),
/// computed on the access node over the rows the query has before its ORDER
/// BY and LIMIT (after GROUP BY and HAVING), with PostgreSQL's default frame:
/// the partition's rows up to the current row's last peer.
struct window_call {
  std::string name;          ///< row_number, rank, dense_rank, lag, lead,
                             ///< first_value, last_value, count, sum, avg, min, max
  std::vector<bexpr> args;   ///< lag/lead: value, offset (a constant), default
  bool star = false;         ///< count(*)
  std::vector<bexpr> partition;
  std::vector<sort_spec> order;
  int32_t type = 20;         ///< the result's type OID
};

/// A SELECT over one table, split into the fragment that runs next to the
/// data and the access node's final step (HAVING, projection, ORDER BY,
/// OFFSET/LIMIT).
struct select_plan {
  chunkstore::fragment fragment;
  bool aggregate = false;
  std::vector<std::string> names;      ///< output column names
  std::vector<bexpr> outputs;
  std::optional<bexpr> having;
  using sort_key = sort_spec;
  std::vector<sort_key> order;
  int64_t offset = 0;
  int64_t limit = -1;
  /// Raw queries: table column of each projected slot.
  std::vector<int> slot_columns;
  /// DISTINCT ON over raw rows: after sorting, the first row of each value.
  std::vector<bexpr> distinct_on;
  /// Set when the aggregation runs on the access node over fetched rows.
  std::shared_ptr<const computed_columns> computed;
  /// Window functions of the select list and ORDER BY (kind::window).
  std::vector<window_call> windows;
};

/// The columns of a join's rows: the relation (alias) each comes from, and
/// which ones `*` and unqualified names skip (the copies USING merges).
struct join_columns {
  std::vector<std::string> qualifiers;
  std::vector<bool> hidden;
};

/// Binds a SelectStmt (libpg_query's PgQuery__SelectStmt, passed as void
/// to keep its header out of this one) over a table with `schema`.
/// `now` is the statement's timestamp for now(). With `joined` the rows
/// are a join's (its FROM clause and WHERE already applied).
std::variant<select_plan, positioned_error>
plan_select(const void* select_stmt, const chunkstore::table_schema& schema,
            chunkstore::timestamp now, const join_columns* joined = nullptr);

/// Looks a setting up (current_setting()); nullopt when unknown.
using setting_lookup = std::function<std::optional<std::string>(std::string_view)>;

/// A SELECT without FROM: each output a constant expression, evaluated now.
std::variant<statement_result, positioned_error>
constant_select(const void* select_stmt, chunkstore::timestamp now, const setting_lookup& setting);

/// Evaluates a constant expression node (libpg_query's PgQuery__Node).
std::variant<datum, positioned_error> evaluate_constant(const void* node,
                                                        chunkstore::timestamp now);

/// What a SelectStmt reads: a table (or `schema.view`) by name, or a
/// sub-select (its SelectStmt); an error for joins and set operations.
struct select_source {
  std::string name;            ///< `t`, or `timescaledb_information.chunks`
  const void* subselect = nullptr;
  std::vector<std::string> column_aliases; ///< `(...) AS s(a, b)`: a, b
};
std::variant<select_source, positioned_error> source_of(const void* select_stmt);

/// Every relation a SelectStmt names (FROM items, joins, sub-selects, WITH
/// queries, set operations' sides), WITH names included.
std::vector<std::string> relations_read(const void* select_stmt);

/// True when a SelectStmt reads several FROM items or a JOIN.
bool is_join(const void* select_stmt);

/// True when a SelectStmt has a FROM clause.
bool has_from(const void* select_stmt);

/// True for UNION, INTERSECT and EXCEPT (and VALUES lists joined by them).
bool is_set_operation(const void* select_stmt);

/// How deep set operations nest in a SelectStmt (0: none).
size_t set_operation_depth(const void* select_stmt);

/// A set operation's two sides (SelectStmts).
std::pair<const void*, const void*> set_operation_sides(const void* select_stmt);

/// The WITH queries of a SelectStmt: (name, SelectStmt) in order.
std::vector<std::pair<std::string, const void*>> with_queries(const void* select_stmt);

/// `SELECT columns FROM table` (all columns when `columns` is empty).
std::variant<select_plan, positioned_error>
plan_table_scan(const chunkstore::table_schema& schema, const std::string& table,
                const std::vector<std::string>& columns);

/// Runs the final step over the merged partial result of the fragment;
/// with `plan.computed`, first computes its columns over the fetched rows
/// and groups and aggregates them.
std::variant<statement_result, positioned_error>
finish_select(const select_plan& plan, chunkstore::partial_result r);

/// True when the final step of `plan` only picks columns of the raw rows
/// (no aggregate, ORDER BY, DISTINCT ON or computed output): its result
/// can stay in the rows' own columns (plain_rows_result).
bool is_plain_rows(const select_plan& plan);

/// The result of such a plan over raw rows in pieces read in place, which
/// `owner` keeps alive: OFFSET and LIMIT applied, nothing copied.
statement_result plain_rows_result(const select_plan& plan,
                                   std::vector<chunkstore::batch_view> pieces,
                                   std::shared_ptr<const void> owner);

/// A result of columns `names` (types `oids`) that are columns `columns`
/// of the rows in `pieces` (which `owner` keeps alive), from row `offset`
/// on, at most `limit` rows: written from the columns, not copied.
statement_result column_result(const std::vector<std::string>& names, std::vector<int32_t> oids,
                               std::vector<int> columns,
                               std::vector<chunkstore::batch_view> pieces,
                               std::shared_ptr<const void> owner, size_t offset, size_t limit);

/// Text output of a datum as psql shows it (nullopt for NULL).
std::optional<std::string> to_text(const datum& d);

} // namespace hypertide::planner

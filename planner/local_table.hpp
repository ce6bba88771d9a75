#pragma once

#include <optional>
#include <string>
#include <variant>

#include "chunkstore/column_batch.hpp"
#include "chunkstore/fragment.hpp"
#include "chunkstore/types.hpp"
#include "messages/codec.hpp"
#include "planner/insert_builder.hpp"
#include "planner/select_planner.hpp"

namespace hypertide::planner {

struct statement_result;

/// Rows the access node holds itself -- a timescaledb_information view, a
/// WITH query, a sub-select -- that a SELECT reads as if they were a table.
struct local_table {
  std::string name;
  chunkstore::table_schema schema;
  chunkstore::column_batch rows;
  /// A join's rows: the relation of each column (its FROM clause and WHERE
  /// already applied).
  std::optional<join_columns> joined;
};

/// Runs a SelectStmt over `t` with the same planner and kernels as a
/// hypertable: the fragment runs on a temporary chunk of `t`'s rows, then
/// the final step.
std::variant<statement_result, positioned_error> run_local(const void* select_stmt,
                                                           const local_table& t,
                                                           chunkstore::timestamp now);

/// The rows of a statement's result as a local table (text read back by
/// the columns' types; numeric becomes double precision).
std::variant<local_table, positioned_error> local_from_result(std::string name,
                                                              const statement_result& r);

/// UNION, INTERSECT or EXCEPT [ALL] (a SelectStmt's op) of its two sides'
/// results, then its ORDER BY (result column names or ordinals), OFFSET
/// and LIMIT.
std::variant<statement_result, positioned_error>
set_operation(const void* select_stmt, statement_result left, statement_result right);

/// A relation a join reads: a table (or WITH query) by name, or a
/// sub-select; `alias` is what its columns are qualified by.
struct join_leaf {
  std::string name;
  std::string alias;
  const void* subselect = nullptr;
  std::vector<std::string> column_aliases; ///< `(...) AS s(a, b)`: a, b
};

/// A sub-select's result under its alias's column names (`AS s(a, b)`):
/// 42P10 when there are more names than columns.
std::optional<positioned_error> rename_columns(statement_result& r, const std::string& alias,
                                               const std::vector<std::string>& names);

/// The relations of a SELECT's FROM clause with joins, left to right.
std::variant<std::vector<join_leaf>, positioned_error> join_leaves(const void* select_stmt);

/// The columns of table leaf `alias` (with `schema`) a join statement
/// reads, in order of first mention; nullopt when it reads them all
/// (`*`, NATURAL, sub-queries).
std::optional<std::vector<std::string>>
join_leaf_columns(const void* select_stmt, const std::string& alias,
                  const chunkstore::table_schema& schema);

/// The part of a join statement's WHERE that table leaf `alias` (`table`,
/// with `schema`) can filter its own rows by in the chunks: the conjuncts
/// over it alone that compare a column with a constant; nullopt when
/// none, or when an outer join is in the FROM clause.
std::optional<chunkstore::predicate>
join_leaf_filter(const void* select_stmt, const std::string& alias, const std::string& table,
                 const chunkstore::table_schema& schema, chunkstore::timestamp now);

/// True when a SELECT over one table has a WHERE that binds but that the
/// chunks cannot evaluate (columns against columns, functions): the
/// session then reads the rows the pushable part of it selects and runs
/// the statement as a join of one relation (run_join).
bool where_needs_rows(const void* select_stmt, const chunkstore::table_schema& schema,
                      chunkstore::timestamp now);

/// Joins `leaves` (the rows of join_leaves(), in order) as the FROM clause
/// says -- [INNER], LEFT, RIGHT, FULL [OUTER], CROSS JOIN, ON, USING,
/// NATURAL, and FROM lists -- with a hash join on the equalities between
/// the two sides, applies WHERE, then runs the rest of the SELECT.
std::variant<statement_result, positioned_error>
run_join(const void* select_stmt, std::vector<local_table> leaves, chunkstore::timestamp now);

/// timescaledb_information.hypertables, .chunks and .dimensions over a
/// catalog snapshot; nullopt for another name.
std::optional<local_table> information_view(const std::string& view,
                                            const messages::catalog_snapshot& snap);

} // namespace hypertide::planner

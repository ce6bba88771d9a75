#pragma once

#include <string>
#include <variant>

#include "messages/codec.hpp"
#include "planner/insert_builder.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::planner {

/// Whether a SELECT reads a `pg_catalog` relation (`pg_class`,
/// `pg_catalog.pg_type`, ...) in its FROM or in a set operation's branches.
bool reads_pg_catalog(const void* select_stmt);

/// Runs a SELECT over the `pg_catalog` relations of a node (pg_namespace,
/// pg_class, pg_attribute, pg_type, pg_inherits, pg_roles, pg_am, ... built
/// from `snap`; chunks are children of their hypertable as in TimescaleDB).
///
/// A small row-at-a-time executor for the catalog queries clients send --
/// psql's `\dt` and `\d`, drivers' type look-ups: inner, left and cross
/// joins, correlated scalar and EXISTS sub-queries, UNION [ALL], CASE,
/// COALESCE, regular expressions, casts to regclass/regtype/text and the
/// catalog functions (pg_table_is_visible, format_type, pg_get_userbyid,
/// ...). An expression is evaluated only for rows that reach it, so a query
/// over an empty relation succeeds whatever its select list uses; what is
/// reached and not supported fails with 0A000. Column types of the result
/// come from its values (text when there are no rows).
std::variant<statement_result, positioned_error>
run_catalog_query(const void* select_stmt, const messages::catalog_snapshot& snap);

} // namespace hypertide::planner

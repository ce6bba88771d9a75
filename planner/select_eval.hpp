#pragma once

// Values and expressions of a SELECT at plan time and in the access node's
// final step: coercions, comparisons, operators, evaluation. Internal to
// planner/ (select_planner.cpp binds, datum_cast.cpp casts,
// select_eval.cpp evaluates).

#include <optional>
#include <string>
#include <vector>

#include "chunkstore/column_batch.hpp"
#include "planner/insert_builder.hpp"
#include "planner/select_planner.hpp"

namespace hypertide::planner::detail {

/// Thrown inside the planner, caught at its entry points.
struct bind_failure {
  positioned_error err;
};

[[noreturn]] void fail(std::string sqlstate, std::string message, int32_t location = -1);

const char* type_name(int32_t t);
bool is_int(int32_t t);
/// timestamptz or timestamp.
bool is_time(int32_t t);
bool is_number(int32_t t);
/// float8 or real.
bool is_float(int32_t t);
/// `d` as type `t` of the same storage: real rounds to float4, smallint
/// checks its range (22003), varchar is text.
datum narrowed(datum d, int32_t t, int32_t location);
datum make_int(int32_t type, int64_t x);
datum make_float(double x);
datum make_text(std::string s);
datum null_of(int32_t type);
/// A number's value as a double (integers converted; float, real and
/// numeric hold theirs in `f`).
double as_double(const datum& d);

/// Reads a literal as type `t` (an unknown-typed string parsed by `t`, a
/// number converted), or fails with PostgreSQL's error.
datum coerce(const datum& d, int32_t t, int32_t location);

/// True when PostgreSQL has a cast (explicit or not) from `from` to `to`
/// among the types hypertide knows.
bool castable(int32_t from, int32_t to);

/// An explicit cast (`x::t`, `CAST(x AS t)`): text output or input,
/// numeric conversions (rounding to integers, range checks), boolean and
/// integer; 42846 when PostgreSQL has no such cast.
datum cast_datum(const datum& d, int32_t t, int32_t location);

/// An explicit cast to varchar(n) cuts text to `n` characters (-1: no
/// limit), as PostgreSQL's does without an error.
datum cut_varchar(datum d, int32_t n);

/// The type of a column whose values have types `a` and `b` (UNION's,
/// VALUES' resolution); 42804 naming `op` when there is none.
int32_t common_type(int32_t a, int32_t b, const char* op, int32_t location);

/// -1, 0, 1 for non-NULL datums of comparable types (NaN sorts last).
int compare(const datum& a, const datum& b);

/// Microseconds of an interval without months.
int64_t interval_micros(const interval& iv, int32_t location);

/// True when `e` draws a new value each time (random()): never folded.
bool is_volatile(const bexpr& e);

/// The result type of scalar function `name` over arguments of `args`
/// types, as PostgreSQL resolves it; nullopt for a function hypertide does
/// not have; 42883 for wrong arguments.
std::optional<int32_t> scalar_type(const std::string& name, const std::vector<int32_t>& args,
                                   int32_t location);

/// Scalar function `name` (result type `type`) over evaluated arguments.
datum apply_scalar(std::string_view name, int32_t type, const std::vector<datum>& args);

/// True when `e` reads a column, key or aggregate.
bool has_columns(const bexpr& e);

/// Structural equality of bound expressions (GROUP BY matching).
bool same(const bexpr& a, const bexpr& b);

/// SQL text of a bound expression over the columns of `schema` (for
/// EXPLAIN).
std::string describe(const bexpr& e, const chunkstore::table_schema& schema);

/// The scale (digits after the point) of a numeric datum's text; -1 for
/// other types and numerics without one (from a double).
int numeric_scale(const datum& v);

/// A numeric of value `x` printed with `scale` digits after the point.
datum numeric_at_scale(double x, int scale);

/// A chunk value as a datum of its storage type.
datum from_value(const chunkstore::value& v);

/// Aggregate `a` of group `g` as a datum (sum(int8) and avg of integers
/// numeric, as in PostgreSQL).
datum from_agg(const chunkstore::partial_result& r, size_t a, size_t g);

/// finish_select's fast paths (planner/column_result.cpp): raw rows that
/// stay in their columns, and groups whose outputs and ORDER BY keys are
/// their own keys and aggregates; none when the plan is not of that shape.
std::optional<statement_result> finish_plain_rows(const select_plan& plan,
                                                  chunkstore::partial_result& r);
std::optional<statement_result> finish_plain_groups(const select_plan& plan,
                                                    const chunkstore::partial_result& r);

/// Adds the columns `e` reads to `out` (each once).
void columns_of(const bexpr& e, std::vector<int>& out);

/// Evaluates a bound expression over one row of slots.
datum eval(const bexpr& e, const std::vector<datum>& slots);

/// The storage of a column holding values of type OID `t` (smallint and
/// real keep their SQL type; numeric is stored as double precision).
chunkstore::column_def column_of_type(const std::string& name, int32_t t);

/// Row `r` of column `c` of `b` as a datum of type OID `type`.
datum datum_at(const chunkstore::column_batch& b, size_t r, size_t c, int32_t type);

/// Runs `f` over rows the access node holds (with the chunk kernels, on a
/// temporary chunk of them): the fragment's merged result.
chunkstore::partial_result execute_over(const chunkstore::fragment& f,
                                        const chunkstore::table_schema& schema,
                                        const chunkstore::batch_view& rows);

/// Appends `d` to column `c` of `b` (of the storage column_of_type() gives
/// `d`'s type).
void append_datum(chunkstore::column_batch& b, size_t c, const datum& d);

} // namespace hypertide::planner::detail

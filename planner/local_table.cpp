#include "planner/local_table.hpp"

#include <tuple>

#include "chunkstore/chunk.hpp"
#include "chunkstore/hypertable.hpp"
#include "planner/copy_format.hpp"
#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"
#include "planner/select_eval.hpp"
#include "planner/select_planner.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;

std::variant<statement_result, positioned_error>
run_local(const void* stmt, const local_table& t, cs::timestamp now) {
  auto planned = plan_select(stmt, t.schema, now, t.joined ? &*t.joined : nullptr);
  if (auto* e = std::get_if<positioned_error>(&planned)) {
    // A WHERE the kernels cannot evaluate: evaluated row by row, as a join
    // of this one relation does.
    if (!t.joined && where_needs_rows(stmt, t.schema, now))
      return run_join(stmt, std::vector<local_table>{t}, now);
    return *e;
  }
  const auto& plan = std::get<select_plan>(planned);
  return finish_select(plan, detail::execute_over(plan.fragment, t.schema, t.rows.view()));
}

std::optional<positioned_error> rename_columns(statement_result& r, const std::string& alias,
                                               const std::vector<std::string>& names) {
  if (names.size() > r.columns.size())
    return positioned_error{{"42P10", "table \"" + alias + "\" has "
                                        + std::to_string(r.columns.size())
                                        + " columns available but "
                                        + std::to_string(names.size()) + " columns specified",
                             {}},
                            0};
  for (size_t i = 0; i < names.size(); ++i)
    r.columns[i].name = names[i];
  return std::nullopt;
}

std::variant<local_table, positioned_error> local_from_result(std::string name,
                                                              const statement_result& r) {
  local_table t;
  t.name = std::move(name);
  for (const auto& c : r.columns) {
    cs::column_type type = cs::column_type::text;
    int32_t sql_oid = 0;
    switch (c.type_oid) {
      case oid::int2: type = cs::column_type::int4; sql_oid = oid::int2; break;
      case oid::float4: type = cs::column_type::float8; sql_oid = oid::float4; break;
      case oid::varchar: sql_oid = oid::varchar; break;
      case oid::int4: type = cs::column_type::int4; break;
      case oid::int8: type = cs::column_type::int8; break;
      case oid::float8:
      case oid::numeric: type = cs::column_type::float8; break;
      case oid::bool_: type = cs::column_type::boolean; break;
      case oid::timestamptz: type = cs::column_type::timestamptz; break;
      case oid::timestamp: type = cs::column_type::timestamp; break;
      default: break;
    }
    t.schema.columns.push_back(cs::column_def{c.name, type, false, sql_oid});
  }
  if (r.plain) {
    // Columns of the rows taken whole, in order, with the storage types the
    // schema above gives them: the rows themselves, pieces appended.
    const auto& p = *r.plain;
    size_t total = 0;
    for (const auto& piece : p.pieces)
      total += piece.rows;
    bool whole = p.begin == 0 && p.end == total && p.columns.size() == t.schema.columns.size();
    for (const auto& piece : p.pieces) {
      whole = whole && piece.columns.size() == p.columns.size();
      for (size_t c = 0; whole && c < p.columns.size(); ++c)
        whole = p.columns[c] == static_cast<int>(c)
                && piece.columns[c].type == t.schema.columns[c].type;
    }
    if (whole) {
      t.rows = cs::column_batch{t.schema};
      for (const auto& piece : p.pieces)
        t.rows.append_view(piece);
      return t;
    }
    statement_result text = r;
    materialize(text);
    return local_from_result(std::move(name), text);
  }
  // The same readers as COPY's text format.
  std::vector<int> fields;
  for (size_t i = 0; i < t.schema.columns.size(); ++i)
    fields.push_back(static_cast<int>(i));
  copy_options o;
  copy_parser parser{t.schema, fields, o, t.name};
  for (const auto& row : r.rows)
    if (auto e = parser.feed(copy_out_row(row, o)))
      return *e;
  if (auto e = parser.finish())
    return *e;
  t.rows = std::move(parser.batch());
  return t;
}

namespace {

bool is_int_oid(int32_t o) {
  return o == oid::int2 || o == oid::int4 || o == oid::int8;
}

cs::table_schema columns(std::initializer_list<std::pair<const char*, cs::column_type>> cols) {
  cs::table_schema s;
  for (const auto& [n, t] : cols)
    s.columns.push_back(cs::column_def{n, t, false});
  return s;
}

std::string interval_text(int64_t us) {
  datum d;
  d.type = oid::interval;
  d.null = false;
  d.iv.days = static_cast<int32_t>(us / cs::usecs_per_day);
  d.iv.micros = us % cs::usecs_per_day;
  return *to_text(d);
}

} // namespace

namespace {

/// information_schema.tables, .columns and .schemata: the node's tables
/// (public) and chunks (_timescaledb_internal), as PostgreSQL lists them.
std::optional<local_table> information_schema_view(const std::string& view,
                                                   const messages::catalog_snapshot& snap) {
  using T = cs::column_type;
  local_table t;
  t.name = view;
  // Every relation: (schema, name, columns).
  std::vector<std::tuple<std::string, std::string, const cs::table_schema*>> rels;
  for (const auto& ct : snap.tables)
    rels.emplace_back("public", ct.name, &ct.schema);
  for (const auto& c : snap.chunks)
    for (const auto& ct : snap.tables)
      if (ct.name == c.hypertable && c.schema_name != "public")
        rels.emplace_back(c.schema_name, c.table_name, &ct.schema);
  if (view == "tables") {
    t.schema = columns({{"table_catalog", T::text}, {"table_schema", T::text},
                        {"table_name", T::text}, {"table_type", T::text},
                        {"is_insertable_into", T::text}, {"is_typed", T::text}});
    t.rows = cs::column_batch{t.schema};
    for (const auto& [schema, name, cols] : rels) {
      auto& b = t.rows;
      b.append_text(0, "postgres");
      b.append_text(1, schema);
      b.append_text(2, name);
      b.append_text(3, "BASE TABLE");
      b.append_text(4, "YES");
      b.append_text(5, "NO");
      b.finish_row();
    }
    return t;
  }
  if (view == "columns") {
    t.schema = columns({{"table_catalog", T::text}, {"table_schema", T::text},
                        {"table_name", T::text}, {"column_name", T::text},
                        {"ordinal_position", T::int4}, {"column_default", T::text},
                        {"is_nullable", T::text}, {"data_type", T::text},
                        {"character_maximum_length", T::int4}, {"numeric_precision", T::int4},
                        {"numeric_scale", T::int4}, {"datetime_precision", T::int4},
                        {"udt_name", T::text}});
    t.rows = cs::column_batch{t.schema};
    for (const auto& [schema, name, cols] : rels) {
      for (size_t i = 0; i < cols->columns.size(); ++i) {
        const auto& c = cols->columns[i];
        int32_t o = oid_of(c);
        const char* type = o == oid::bool_ ? "boolean" : o == oid::int8 ? "bigint"
                           : o == oid::int2 ? "smallint" : o == oid::int4 ? "integer"
                           : o == oid::float4 ? "real" : o == oid::float8 ? "double precision"
                           : o == oid::varchar ? "character varying"
                           : o == oid::timestamp ? "timestamp without time zone"
                           : o == oid::timestamptz ? "timestamp with time zone" : "text";
        const char* udt = o == oid::bool_ ? "bool" : o == oid::int8 ? "int8"
                          : o == oid::int2 ? "int2" : o == oid::int4 ? "int4"
                          : o == oid::float4 ? "float4" : o == oid::float8 ? "float8"
                          : o == oid::varchar ? "varchar" : o == oid::timestamp ? "timestamp"
                          : o == oid::timestamptz ? "timestamptz" : "text";
        int precision = o == oid::int8 ? 64 : o == oid::int4 ? 32 : o == oid::int2 ? 16
                        : o == oid::float8 ? 53 : o == oid::float4 ? 24 : 0;
        auto& b = t.rows;
        b.append_text(0, "postgres");
        b.append_text(1, schema);
        b.append_text(2, name);
        b.append_text(3, c.name);
        b.append_int(4, static_cast<int64_t>(i + 1));
        b.append_null(5);
        b.append_text(6, c.not_null ? "NO" : "YES");
        b.append_text(7, type);
        if (o == oid::varchar && c.typmod > 0)
          b.append_int(8, c.typmod);
        else
          b.append_null(8);
        if (precision > 0)
          b.append_int(9, precision);
        else
          b.append_null(9);
        if (is_int_oid(o))
          b.append_int(10, 0);
        else
          b.append_null(10);
        if (o == oid::timestamp || o == oid::timestamptz)
          b.append_int(11, 6);
        else
          b.append_null(11);
        b.append_text(12, udt);
        b.finish_row();
      }
    }
    return t;
  }
  if (view == "schemata") {
    t.schema = columns({{"catalog_name", T::text}, {"schema_name", T::text},
                        {"schema_owner", T::text}});
    t.rows = cs::column_batch{t.schema};
    for (const char* s : {"pg_catalog", "information_schema", "public", "_timescaledb_internal",
                          "timescaledb_information"}) {
      t.rows.append_text(0, "postgres");
      t.rows.append_text(1, s);
      t.rows.append_text(2, "postgres");
      t.rows.finish_row();
    }
    return t;
  }
  return std::nullopt;
}

} // namespace

std::optional<local_table> information_view(const std::string& view,
                                            const messages::catalog_snapshot& snap) {
  using T = cs::column_type;
  constexpr std::string_view info_schema = "information_schema.";
  if (view.rfind(info_schema, 0) == 0)
    return information_schema_view(view.substr(info_schema.size()), snap);
  local_table t;
  t.name = view;
  if (view == "hypertables") {
    t.schema = columns({{"hypertable_schema", T::text}, {"hypertable_name", T::text},
                        {"owner", T::text}, {"num_dimensions", T::int4}, {"num_chunks", T::int8},
                        {"compression_enabled", T::boolean}, {"is_distributed", T::boolean},
                        {"replication_factor", T::int4}, {"data_nodes", T::text},
                        {"tablespaces", T::text}});
    t.rows = cs::column_batch{t.schema};
    for (const auto& h : snap.hypertables) {
      auto& b = t.rows;
      b.append_text(0, "public");
      b.append_text(1, h.name);
      b.append_text(2, "postgres");
      b.append_int(3, h.space_column.empty() ? 1 : 2);
      b.append_int(4, h.num_chunks);
      b.append_int(5, 0);
      b.append_int(6, 0);
      b.append_null(7);
      b.append_null(8);
      b.append_null(9);
      b.finish_row();
    }
    return t;
  }
  if (view == "chunks") {
    t.schema = columns({{"hypertable_schema", T::text}, {"hypertable_name", T::text},
                        {"chunk_schema", T::text}, {"chunk_name", T::text},
                        {"primary_dimension", T::text}, {"primary_dimension_type", T::text},
                        {"range_start", T::timestamptz}, {"range_end", T::timestamptz},
                        {"range_start_integer", T::int8}, {"range_end_integer", T::int8},
                        {"is_compressed", T::boolean}, {"chunk_tablespace", T::text},
                        {"data_nodes", T::text}});
    t.rows = cs::column_batch{t.schema};
    for (const auto& c : snap.chunks) {
      const messages::hypertable_info* h = nullptr;
      for (const auto& x : snap.hypertables)
        if (x.name == c.hypertable)
          h = &x;
      if (h == nullptr)
        continue;
      bool time = cs::is_time_type(h->time_type);
      auto& b = t.rows;
      b.append_text(0, "public");
      b.append_text(1, h->name);
      b.append_text(2, c.schema_name);
      b.append_text(3, c.table_name);
      b.append_text(4, h->time_column);
      b.append_text(5, cs::pg_type_name(h->time_type));
      if (time) {
        b.append_int(6, c.range_start);
        b.append_int(7, c.range_end);
        b.append_null(8);
        b.append_null(9);
      } else {
        b.append_null(6);
        b.append_null(7);
        b.append_int(8, c.range_start);
        b.append_int(9, c.range_end);
      }
      b.append_int(10, 0);
      b.append_null(11);
      b.append_null(12);
      b.finish_row();
    }
    return t;
  }
  if (view == "dimensions") {
    t.schema = columns({{"hypertable_schema", T::text}, {"hypertable_name", T::text},
                        {"dimension_number", T::int8}, {"column_name", T::text},
                        {"column_type", T::text}, {"dimension_type", T::text},
                        {"time_interval", T::text}, {"integer_interval", T::int8},
                        {"integer_now_func", T::text}, {"num_partitions", T::int4}});
    t.rows = cs::column_batch{t.schema};
    for (const auto& h : snap.hypertables) {
      auto& b = t.rows;
      bool time = cs::is_time_type(h.time_type);
      b.append_text(0, "public");
      b.append_text(1, h.name);
      b.append_int(2, 1);
      b.append_text(3, h.time_column);
      b.append_text(4, cs::pg_type_name(h.time_type));
      b.append_text(5, "Time");
      if (time) {
        b.append_text(6, interval_text(h.chunk_interval));
        b.append_null(7);
      } else {
        b.append_null(6);
        b.append_int(7, h.chunk_interval);
      }
      b.append_null(8);
      b.append_null(9);
      b.finish_row();
      if (!h.space_column.empty()) {
        b.append_text(0, "public");
        b.append_text(1, h.name);
        b.append_int(2, 2);
        b.append_text(3, h.space_column);
        b.append_text(4, cs::pg_type_name(h.space_type));
        b.append_text(5, "Space");
        b.append_null(6);
        b.append_null(7);
        b.append_null(8);
        b.append_int(9, h.partitions);
        b.finish_row();
      }
    }
    return t;
  }
  return std::nullopt;
}

} // namespace hypertide::planner

#include "planner/sql_session.hpp"
#include "planner/parsed_query_internal.hpp"
#include "planner/pg_format.hpp"
#include "planner/sublinks.hpp"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <chrono>
#include <cctype>
#include <memory>
#include <set>

#include "planner/catalog_query.hpp"
#include "planner/datetime.hpp"
#include "planner/interval.hpp"
#include "planner/pg_nodes.hpp"
#include "planner/select_planner.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;

namespace {

/// The statement's timestamp: now() for all of it.
int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

namespace {

using namespace pg_nodes;

/// A failure while planning one statement.
struct plan_failure {
  statement_error err;
};

[[noreturn]] void fail(std::string sqlstate, std::string message, int32_t location = -1,
                       std::string detail = {}) {
  throw plan_failure{{pg_error{std::move(sqlstate), std::move(message), std::move(detail)},
                      location >= 0 ? location + 1 : 0}};
}

// -- constants ------------------------------------------------------------------

/// A constant with its PostgreSQL type and text output.
struct constant {
  int32_t type_oid = 705; // unknown
  std::optional<std::string> text;
};

constant const_of(const PgQuery__AConst* c) {
  if (c->isnull)
    return constant{705, std::nullopt};
  switch (c->val_case) {
    case PG_QUERY__A__CONST__VAL_IVAL:
      return constant{23, std::to_string(c->ival->ival)};
    case PG_QUERY__A__CONST__VAL_FVAL: {
      // Integers too large for int4 arrive as "float" strings, as in
      // PostgreSQL's grammar: int8 when they fit, else numeric.
      std::string s = c->fval->fval;
      bool integral = std::all_of(s.begin() + (s[0] == '-' ? 1 : 0), s.end(),
                                  [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
      if (integral && s.size() < 19 + (s[0] == '-' ? 1 : 0))
        return constant{20, s};
      return constant{1700, s};
    }
    case PG_QUERY__A__CONST__VAL_BOOLVAL:
      return constant{16, std::string{c->boolval->boolval ? "t" : "f"}};
    case PG_QUERY__A__CONST__VAL_SVAL:
      return constant{705, std::string{c->sval->sval}};
    default:
      fail("0A000", "this kind of constant is not supported", c->location);
  }
}

/// Evaluates a constant expression of a SELECT without FROM.
constant eval_constant(const node* n, const sql_session& session) {
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_A_CONST:
      return const_of(n->a_const);
    case PG_QUERY__NODE__NODE_TYPE_CAST: {
      constant c = eval_constant(n->type_cast->arg, session);
      auto t = last_name(n->type_cast->type_name->n_names, n->type_cast->type_name->names);
      if (!c.text)
        return constant{t == "int4" ? 23 : t == "int8" ? 20 : t == "float8" ? 701 : t == "bool" ? 16 : 25,
                        std::nullopt};
      if (t == "text" || t == "varchar")
        return constant{25, c.text};
      if (t == "int4" || t == "int8") {
        try {
          size_t used = 0;
          long long x = std::stoll(*c.text, &used);
          if (used != c.text->size())
            throw std::invalid_argument{""};
          if (t == "int4" && (x > INT32_MAX || x < INT32_MIN))
            fail("22003", "integer out of range", n->type_cast->location);
          return constant{t == "int4" ? 23 : 20, std::to_string(x)};
        } catch (const std::logic_error&) {
          fail("22P02", "invalid input syntax for type " + std::string{t == "int4" ? "integer" : "bigint"}
                          + ": \"" + *c.text + "\"",
               n->type_cast->location);
        }
      }
      if (t == "bool") {
        std::string v = lower(*c.text);
        if (v == "t" || v == "true" || v == "yes" || v == "on" || v == "1")
          return constant{16, std::string{"t"}};
        if (v == "f" || v == "false" || v == "no" || v == "off" || v == "0")
          return constant{16, std::string{"f"}};
        fail("22P02", "invalid input syntax for type boolean: \"" + *c.text + "\"",
             n->type_cast->location);
      }
      fail("0A000", "casts to type " + t + " are not supported yet", n->type_cast->location);
    }
    case PG_QUERY__NODE__NODE_FUNC_CALL: {
      const auto* f = n->func_call;
      auto name = last_name(f->n_funcname, f->funcname);
      if (name == "version" && f->n_args == 0)
        return constant{25, std::string{"PostgreSQL "} + sql_session::server_version
                              + " on x86_64-pc-linux-gnu, an in-memory time-series database"};
      if ((name == "current_setting") && f->n_args == 1) {
        constant arg = eval_constant(f->args[0], session);
        if (!arg.text)
          return constant{25, std::nullopt};
        auto v = session.setting(*arg.text);
        if (!v)
          fail("42704", "unrecognized configuration parameter \"" + *arg.text + "\"", f->location);
        return constant{25, *v};
      }
      fail("0A000", "function " + name + "() is not supported yet", f->location);
    }
    case PG_QUERY__NODE__NODE_COLUMN_REF:
      fail("42703", "column \"" + last_name(n->column_ref->n_fields, n->column_ref->fields)
                      + "\" does not exist", n->column_ref->location);
    default:
      fail("0A000", "this expression is not supported yet");
  }
}

// -- CREATE TABLE ---------------------------------------------------------------

/// The storage and SQL type of a column declared as `t` (name and type
/// fields of a column_def).
cs::column_def column_type_of(const PgQuery__TypeName* t) {
  if (t->n_array_bounds > 0)
    fail("0A000", "array types are not supported", t->location);
  auto name = last_name(t->n_names, t->names);
  cs::column_def d;
  if (name == "timestamptz")
    d.type = cs::column_type::timestamptz;
  else if (name == "timestamp")
    d.type = cs::column_type::timestamp;
  else if (name == "int4" || name == "int" || name == "integer")
    d.type = cs::column_type::int4;
  else if (name == "int8" || name == "bigint")
    d.type = cs::column_type::int8;
  else if (name == "float8")
    d.type = cs::column_type::float8;
  else if (name == "bool" || name == "boolean")
    d.type = cs::column_type::boolean;
  else if (name == "text")
    d.type = cs::column_type::text;
  else if (name == "float4") { // real: float8 values rounded to float4
    d.type = cs::column_type::float8;
    d.sql_oid = 700;
  } else if (name == "int2") { // smallint: int4 values in range
    d.type = cs::column_type::int4;
    d.sql_oid = 21;
  } else if (name == "varchar") {
    d.type = cs::column_type::text;
    d.sql_oid = 1043;
    if (t->n_typmods > 0) {
      const node* m = t->typmods[0];
      if (t->n_typmods > 1 || m->node_case != PG_QUERY__NODE__NODE_A_CONST
          || m->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL)
        fail("42601", "invalid type modifier", t->location);
      int32_t n = m->a_const->ival->ival;
      if (n < 1)
        fail("22023", "length for type varchar must be at least 1", t->location);
      if (n > 10485760)
        fail("22023", "length for type varchar cannot exceed 10485760", t->location);
      d.typmod = n;
    }
  } else {
    // PostgreSQL's own names for the internal ones.
    std::string shown = name == "bpchar" ? "character" : name;
    fail("0A000", "type " + shown + " is not supported", t->location);
  }
  return d;
}

catalog_request plan_create(const PgQuery__CreateStmt* c) {
  messages::create_table out;
  out.name = c->relation->relname;
  if (has(c->relation->schemaname) && std::string_view{c->relation->schemaname} != "public")
    fail("3F000", "schema \"" + std::string{c->relation->schemaname} + "\" does not exist",
         c->relation->location);
  out.if_not_exists = c->if_not_exists;
  if (c->n_inh_relations > 0 || c->partspec || c->of_typename)
    fail("0A000", "inheritance, partitioning and typed tables are not supported");
  for (size_t i = 0; i < c->n_table_elts; ++i) {
    const node* e = c->table_elts[i];
    if (e->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF)
      fail("0A000", "table constraints are not supported");
    const auto* d = e->column_def;
    cs::column_def col = column_type_of(d->type_name);
    col.name = d->colname;
    col.not_null = d->is_not_null;
    for (size_t k = 0; k < d->n_constraints; ++k) {
      const node* cn = d->constraints[k];
      if (cn->node_case != PG_QUERY__NODE__NODE_CONSTRAINT)
        continue;
      switch (cn->constraint->contype) {
        case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
          col.not_null = true;
          break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
          break;
        default:
          fail("0A000", "column constraints other than NOT NULL are not supported",
               cn->constraint->location);
      }
    }
    out.schema.columns.push_back(std::move(col));
  }
  return out;
}

// -- create_hypertable ------------------------------------------------------------

std::string text_arg(const node* n, const sql_session& s, const char* what) {
  constant c = eval_constant(n, s);
  if (!c.text)
    fail("22004", std::string{what} + " cannot be NULL");
  return *c.text;
}

/// chunk_time_interval: an interval, or an integer (microseconds for a
/// timestamp column, as TimescaleDB reads it).
int64_t chunk_interval_arg(const node* n, const sql_session& s) {
  if (n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST
      && last_name(n->type_cast->type_name->n_names, n->type_cast->type_name->names) == "interval") {
    constant c = eval_constant(n->type_cast->arg, s);
    if (!c.text)
      fail("22004", "chunk_time_interval cannot be NULL");
    auto iv = parse_interval(*c.text);
    if (!iv)
      fail("22007", "invalid input syntax for type interval: \"" + *c.text + "\"",
           n->type_cast->location);
    auto us = iv->fixed_micros();
    if (!us)
      fail("22023", "invalid interval: must not have a month component");
    return *us;
  }
  constant c = eval_constant(n, s);
  if (!c.text || (c.type_oid != 23 && c.type_oid != 20))
    fail("22023", "invalid chunk_time_interval: expected an interval or an integer");
  return std::stoll(*c.text);
}

catalog_request plan_create_hypertable(const PgQuery__FuncCall* f, const sql_session& s) {
  messages::create_hypertable out;
  static const char* positional[] = {"relation",          "time_column_name",
                                     "partitioning_column", "number_partitions",
                                     "associated_schema_name", "associated_table_prefix",
                                     "chunk_time_interval", "create_default_indexes",
                                     "if_not_exists"};
  bool have_relation = false, have_time = false;
  for (size_t i = 0; i < f->n_args; ++i) {
    const node* a = f->args[i];
    std::string name;
    if (a->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR) {
      name = a->named_arg_expr->name;
      a = a->named_arg_expr->arg;
    } else if (i < std::size(positional)) {
      name = positional[i];
    } else {
      fail("42883", "function create_hypertable() with " + std::to_string(f->n_args)
                      + " arguments does not exist", f->location);
    }
    if (name == "relation") {
      out.table = text_arg(a, s, "relation");
      have_relation = true;
    } else if (name == "time_column_name") {
      out.time_column = text_arg(a, s, "time_column_name");
      have_time = true;
    } else if (name == "partitioning_column") {
      if (eval_constant(a, s).text)
        out.partitioning_column = text_arg(a, s, "partitioning_column");
    } else if (name == "number_partitions") {
      constant c = eval_constant(a, s);
      if (c.text)
        out.number_partitions = static_cast<int32_t>(std::stol(*c.text));
    } else if (name == "chunk_time_interval") {
      out.chunk_interval = chunk_interval_arg(a, s);
    } else if (name == "if_not_exists") {
      constant c = eval_constant(a, s);
      out.if_not_exists = c.text && (*c.text == "t" || lower(*c.text) == "true");
    } else if (name == "create_default_indexes" || name == "migrate_data"
               || name == "associated_schema_name" || name == "associated_table_prefix") {
      // Accepted; hypertide keeps no indexes and always names chunks
      // _timescaledb_internal._hyper_<id>_<n>_chunk.
      if (name == "migrate_data") {
        constant c = eval_constant(a, s);
        if (c.text && *c.text == "t")
          fail("0A000", "migrate_data is not supported");
      }
    } else {
      fail("42883", "create_hypertable() has no parameter named \"" + name + "\"", f->location);
    }
  }
  if (!have_relation || !have_time)
    fail("42883", "function create_hypertable() needs relation and time_column_name",
         f->location);
  // A qualified name 'public.t' names table t.
  if (auto dot = out.table.find('.'); dot != std::string::npos) {
    if (out.table.substr(0, dot) != "public")
      fail("3F000", "schema \"" + out.table.substr(0, dot) + "\" does not exist");
    out.table = out.table.substr(dot + 1);
  }
  return out;
}

// -- INSERT ... VALUES -------------------------------------------------------------

int32_t cast_oid(const std::string& t) {
  if (t == "int4") return 23;
  if (t == "int8") return 20;
  if (t == "float8") return 701;
  if (t == "float4") return 700;
  if (t == "int2") return 21;
  if (t == "numeric") return 1700;
  if (t == "bool") return 16;
  if (t == "text") return 25;
  if (t == "varchar") return 1043;
  if (t == "timestamptz") return 1184;
  if (t == "timestamp") return 1114;
  return 0;
}

literal literal_of(const node* n, cs::timestamp now) {
  switch (n->node_case) {
    case PG_QUERY__NODE__NODE_A_CONST: {
      constant c = const_of(n->a_const);
      return literal{!c.text.has_value(), c.type_oid, c.text.value_or(""), n->a_const->location};
    }
    case PG_QUERY__NODE__NODE_TYPE_CAST: {
      const auto* tc = n->type_cast;
      if (tc->arg->node_case != PG_QUERY__NODE__NODE_A_CONST)
        break;
      literal l = literal_of(tc->arg, now);
      auto t = last_name(tc->type_name->n_names, tc->type_name->names);
      int32_t oid = cast_oid(t);
      if (oid == 0)
        fail("0A000", "casts to type " + t + " are not supported yet", tc->location);
      l.type_oid = oid;
      l.location = tc->location;
      return l;
    }
    case PG_QUERY__NODE__NODE_SET_TO_DEFAULT:
      return literal{true, 705, {}, -1}; // no column defaults: DEFAULT is NULL
    default:
      break;
  }
  // An expression without columns: now(), 1 + 1, '2024-01-01'::timestamptz
  // + interval '1 hour', ... evaluated once, as PostgreSQL folds them.
  auto v = evaluate_constant(n, now);
  if (auto* e = std::get_if<positioned_error>(&v))
    throw plan_failure{{e->error, e->position}};
  const datum& d = std::get<datum>(v);
  auto text = to_text(d);
  return literal{!text.has_value(), d.type, text.value_or(""), -1};
}

catalog_request plan_insert(const PgQuery__InsertStmt* ins, cs::timestamp now) {
  insert_values out;
  out.table = ins->relation->relname;
  if (has(ins->relation->schemaname) && std::string_view{ins->relation->schemaname} != "public")
    fail("3F000", "schema \"" + std::string{ins->relation->schemaname} + "\" does not exist",
         ins->relation->location);
  if (ins->n_returning_list > 0 || ins->on_conflict_clause || ins->with_clause)
    fail("0A000", "RETURNING, ON CONFLICT and WITH are not supported in INSERT yet");
  for (size_t i = 0; i < ins->n_cols; ++i)
    out.columns.push_back(ins->cols[i]->res_target->name);
  const node* sel = ins->select_stmt;
  if (sel == nullptr || sel->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
    fail("0A000", "INSERT ... DEFAULT VALUES is not supported yet");
  const auto* s = sel->select_stmt;
  out.now = now;
  if (s->n_values_lists == 0 || is_set_operation(s)) {
    out.select = s;
    if (planner::has_from(s) && !is_join(s)) {
      auto source = source_of(s);
      if (auto* e = std::get_if<positioned_error>(&source))
        throw plan_failure{{e->error, e->position}};
      out.select_table = std::get<select_source>(source).name;
    }
    return out;
  }
  out.rows.reserve(s->n_values_lists);
  for (size_t r = 0; r < s->n_values_lists; ++r) {
    const auto* list = s->values_lists[r]->list;
    std::vector<literal> row;
    row.reserve(list->n_items);
    for (size_t c = 0; c < list->n_items; ++c)
      row.push_back(literal_of(list->items[c], now));
    out.rows.push_back(std::move(row));
  }
  return out;
}

// -- show_chunks / drop_chunks ---------------------------------------------------------

/// older_than / newer_than: an interval before now(), a point in time, or an
/// integer for an integer time column.
chunkstore::timestamp time_bound(const node* n, cs::timestamp now, const char* what) {
  auto v = evaluate_constant(n, now);
  if (auto* e = std::get_if<positioned_error>(&v))
    throw plan_failure{{e->error, e->position}};
  const datum& d = std::get<datum>(v);
  if (d.null)
    fail("22004", std::string{what} + " cannot be NULL");
  switch (d.type) {
    case 1186: { // interval
      auto us = d.iv.fixed_micros();
      if (!us)
        return now - (static_cast<int64_t>(d.iv.months) * 30 * cs::usecs_per_day);
      return now - *us;
    }
    case 1184:
    case 1114:
    case 23:
    case 20:
      return d.i;
    default: {
      auto t = parse_timestamptz(d.s);
      if (!t)
        fail("22007", "invalid input syntax for type timestamp with time zone: \"" + d.s + "\"");
      return *t;
    }
  }
}

catalog_request plan_chunk_function(const PgQuery__FuncCall* f, bool drop) {
  chunk_function out;
  out.drop = drop;
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  static const char* positional[] = {"relation", "older_than", "newer_than", "verbose"};
  for (size_t i = 0; i < f->n_args; ++i) {
    const node* a = f->args[i];
    std::string name = i < 4 ? positional[i] : "";
    if (a->node_case == PG_QUERY__NODE__NODE_NAMED_ARG_EXPR) {
      name = a->named_arg_expr->name;
      a = a->named_arg_expr->arg;
    }
    if (name == "relation") {
      auto v = evaluate_constant(a, now);
      if (auto* e = std::get_if<positioned_error>(&v))
        throw plan_failure{{e->error, e->position}};
      out.table = std::get<datum>(v).s;
      if (auto dot = out.table.find('.'); dot != std::string::npos)
        out.table = out.table.substr(dot + 1);
    } else if (name == "older_than") {
      out.older_than = time_bound(a, now, "older_than");
    } else if (name == "newer_than") {
      out.newer_than = time_bound(a, now, "newer_than");
    } else if (name != "verbose") {
      fail("42883", std::string{drop ? "drop_chunks" : "show_chunks"}
                      + "() has no parameter named \"" + name + "\"", f->location);
    }
  }
  if (out.table.empty())
    fail("42883", std::string{drop ? "drop_chunks" : "show_chunks"} + "() needs a relation",
         f->location);
  return out;
}

// -- COPY ---------------------------------------------------------------------------

catalog_request plan_copy(const PgQuery__CopyStmt* c) {
  copy_request out;
  out.from = c->is_from;
  out.now = std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  if (c->is_program || has(c->filename))
    fail("0A000", "COPY to or from a file or program is not supported; use STDIN or STDOUT");
  if (c->where_clause)
    fail("0A000", "COPY FROM ... WHERE is not supported yet");
  if (c->query) {
    if (c->query->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
      fail("0A000", "COPY of this statement is not supported");
    auto t = source_of(c->query->select_stmt);
    if (auto* e = std::get_if<positioned_error>(&t))
      throw plan_failure{{e->error, e->position}};
    out.table = std::get<select_source>(t).name;
    if (std::get<select_source>(t).subselect || c->query->select_stmt->with_clause
        || out.table.find('.') != std::string::npos)
      fail("0A000", "COPY of a query over views, WITH or sub-selects is not supported yet");
    out.query = c->query->select_stmt;
  } else {
    out.table = c->relation->relname;
    if (has(c->relation->schemaname) && std::string_view{c->relation->schemaname} != "public")
      fail("3F000", "schema \"" + std::string{c->relation->schemaname} + "\" does not exist");
  }
  for (size_t i = 0; i < c->n_attlist; ++i)
    out.columns.push_back(string_of(c->attlist[i]) ? string_of(c->attlist[i]) : "");
  for (size_t i = 0; i < c->n_options; ++i) {
    const node* o = c->options[i];
    if (o->node_case != PG_QUERY__NODE__NODE_DEF_ELEM)
      continue;
    const auto* d = o->def_elem;
    std::string value;
    if (d->arg) {
      if (const char* sv = string_of(d->arg))
        value = sv;
      else if (d->arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN)
        value = d->arg->boolean->boolval ? "true" : "false";
      else if (d->arg->node_case == PG_QUERY__NODE__NODE_INTEGER)
        value = std::to_string(d->arg->integer->ival);
      else if (d->arg->node_case == PG_QUERY__NODE__NODE_A_CONST)
        value = const_of(d->arg->a_const).text.value_or("");
    }
    if (auto e = set_copy_option(out.options, lower(d->defname), value))
      throw plan_failure{{e->error, d->location + 1}};
  }
  return out;
}

// -- SET / SHOW -----------------------------------------------------------------

std::string canonical_setting(std::string_view name) {
  return lower(name);
}

} // namespace

sql_session::sql_session() {
  defaults_ = {
    {"application_name", ""},
    {"client_encoding", "UTF8"},
    {"client_min_messages", "notice"},
    {"datestyle", "ISO, MDY"},
    {"default_transaction_isolation", "read committed"},
    {"extra_float_digits", "1"},
    {"integer_datetimes", "on"},
    {"intervalstyle", "postgres"},
    {"is_superuser", "on"},
    {"search_path", "\"$user\", public"},
    {"server_encoding", "UTF8"},
    {"server_version", server_version},
    {"server_version_num", "150000"},
    {"session_authorization", "postgres"},
    {"standard_conforming_strings", "on"},
    {"statement_timeout", "0"},
    {"synchronous_commit", "on"},
    {"timezone", "UTC"},
    {"transaction_isolation", "read committed"},
  };
  settings_ = defaults_;
}

std::variant<std::string, pg_error> sql_session::client_encoding(std::string_view value) {
  // PostgreSQL's names (pg_enc2name_tbl) and its aliases, compared as it
  // compares them: case and punctuation aside.
  std::string key;
  for (char c : value)
    if (std::isalnum(static_cast<unsigned char>(c)))
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (key == "utf8" || key == "unicode")
    return std::string{"UTF8"};
  if (key == "sqlascii")
    return std::string{"SQL_ASCII"};
  static const std::set<std::string> others = {
    "big5", "euccn", "eucjis2004", "eucjp", "euckr", "euctw", "gb18030", "gbk", "iso88595",
    "iso88596", "iso88597", "iso88598", "johab", "koi8", "koi8r", "koi8u", "latin1", "latin2",
    "latin3", "latin4", "latin5", "latin6", "latin7", "latin8", "latin9", "latin10",
    "muleinternal", "shiftjis2004", "sjis", "uhc", "win", "win866", "win874", "win1250",
    "win1251", "win1252", "win1253", "win1254", "win1255", "win1256", "win1257", "win1258",
    "windows866", "windows874", "windows1250", "windows1251", "windows1252", "windows1253",
    "windows1254", "windows1255", "windows1256", "windows1257", "windows1258", "iso885915",
    "iso88591", "iso88592", "iso88593", "iso88594", "iso88599", "iso885910", "iso885913",
    "iso885914", "iso885916", "mskanji", "shiftjis", "tcvn", "tcvn5712", "vscii", "abc",
    "alt", "cp866", "cp874", "cp936", "cp949", "cp950", "cp1250", "cp1251", "cp1252", "cp1253",
    "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "koi8ru"};
  std::string shown{value};
  if (others.count(key) > 0)
    return pg_error{"0A000", "client_encoding \"" + shown
                               + "\" is not supported yet: the server converts no encodings "
                                 "(use UTF8)", {}};
  return pg_error{"22023", "invalid value for parameter \"client_encoding\": \"" + shown + "\"",
                  {}};
}

const std::vector<std::string>& sql_session::reported_settings() {
  static const std::vector<std::string> names = {
    "application_name", "client_encoding", "DateStyle", "integer_datetimes",
    "IntervalStyle", "is_superuser", "server_encoding", "server_version",
    "session_authorization", "standard_conforming_strings", "TimeZone"};
  return names;
}

bool sql_session::is_default(std::string_view name) const {
  return changed_.count(canonical_setting(name)) == 0;
}

std::optional<std::string> sql_session::setting(std::string_view name) const {
  auto it = settings_.find(canonical_setting(name));
  if (it == settings_.end())
    return std::nullopt;
  return it->second;
}

void sql_session::set_setting(std::string_view name, std::string value) {
  auto key = canonical_setting(name);
  if (key == "timezone" || key == "datestyle" || key == "server_version"
      || key == "server_encoding" || key == "integer_datetimes")
    return; // fixed until other values are supported
  auto it = settings_.find(key);
  if (it != settings_.end())
    it->second = std::move(value);
}

std::string sql_session::hypertable_record(int32_t id, std::string_view table, bool created) {
  return "(" + std::to_string(id) + ",public," + std::string{table} + "," + (created ? "t" : "f")
         + ")";
}

parsed_query::parsed_query() : impl_(std::make_unique<impl>()) {}

parsed_query::parsed_query(std::string_view sql) : impl_(std::make_unique<impl>()) {
  impl_->text = std::string{sql};
  if (auto deep = too_deep_for_parser(sql)) {
    error_ = statement_error{*deep, 0};
    return;
  }
  impl_->parsed = pg_query_parse_protobuf(impl_->text.c_str());
  if (impl_->parsed.error) {
    error_ = statement_error{pg_error{"42601", impl_->parsed.error->message, {}},
                             impl_->parsed.error->cursorpos};
    return;
  }
  impl_->tree = pg_query__parse_result__unpack(
    nullptr, impl_->parsed.parse_tree.len,
    reinterpret_cast<const uint8_t*>(impl_->parsed.parse_tree.data));
  if (impl_->tree == nullptr)
    error_ = statement_error{pg_error{"XX000", "could not read the parse tree", {}}, 0};
}

parsed_query::~parsed_query() = default;
parsed_query::parsed_query(parsed_query&&) noexcept = default;
parsed_query& parsed_query::operator=(parsed_query&&) noexcept = default;

size_t parsed_query::size() const noexcept {
  return impl_->tree ? impl_->tree->n_stmts : 0;
}

int32_t parsed_query::position(int32_t pos) const noexcept {
  if (pos <= 0 || impl_->shifts.empty())
    return pos;
  // Literals of the cached text before the position moved it by the
  // difference in their lengths.
  const auto x = static_cast<uint32_t>(pos - 1);
  int64_t moved = 0;
  for (const auto& sh : impl_->shifts) {
    if (x < sh.cached_start)
      break;
    if (x < sh.cached_start + sh.cached_length)
      return static_cast<int32_t>(sh.start + std::min(x - sh.cached_start, sh.length)) + 1;
    moved = static_cast<int64_t>(sh.start + sh.length) - (sh.cached_start + sh.cached_length);
  }
  return static_cast<int32_t>(x + moved) + 1;
}

std::vector<planned_statement> sql_session::plan(std::string_view sql) {
  std::vector<planned_statement> out;
  parsed_query q{sql};
  if (q.error()) {
    out.emplace_back(*q.error());
    return out;
  }
  for (size_t i = 0; i < q.size(); ++i) {
    out.push_back(plan(q, i));
    if (std::holds_alternative<statement_error>(out.back()))
      break; // PostgreSQL runs no statement after a failed one
  }
  if (q.size() == 0)
    out.emplace_back(statement_result{}); // an empty query
  return out;
}

planned_statement sql_session::plan(const parsed_query& q, size_t i) {
  const node* st = q.impl_->tree->stmts[i]->stmt;
  try {
    return plan_node(st);
  } catch (const plan_failure& f) {
    return f.err;
  }
}

planned_statement sql_session::plan_node(const void* raw) {
  const node* st = static_cast<const node*>(raw);
  std::vector<planned_statement> out;
  switch (st->node_case) {
    case PG_QUERY__NODE__NODE_SELECT_STMT: {
      const auto* s = st->select_stmt;
      if (reads_pg_catalog(s)) {
        // The session runs it over a catalog snapshot (catalog_query.hpp).
        out.emplace_back(select_request{s, std::string{"pg_catalog"}, now_micros()});
        break;
      }
      if (s->with_clause && s->with_clause->recursive)
        fail("0A000", "WITH RECURSIVE is not supported yet");
      if (is_set_operation(s) || is_join(s) || (s->n_from_clause == 0 && sublink_rewrite::any(s))) {
        // The session evaluates the sides, the relations or the sub-queries
        // and combines them.
        out.emplace_back(select_request{s, std::string{}, now_micros()});
        break;
      }
      if (s->n_from_clause > 0 || s->with_clause) {
        auto source = source_of(s);
        if (auto* e = std::get_if<positioned_error>(&source))
          throw plan_failure{{e->error, e->position}};
        auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
        out.emplace_back(select_request{s, std::get<select_source>(source).name, now});
        break;
      }
      if (s->where_clause || s->n_group_clause > 0)
        fail("0A000", "WHERE and GROUP BY without FROM are not supported yet");
      // SELECT create_hypertable(...) goes to the catalog.
      if (s->n_target_list == 1) {
        const node* v = s->target_list[0]->res_target->val;
        std::string fname = v->node_case == PG_QUERY__NODE__NODE_FUNC_CALL
                              ? last_name(v->func_call->n_funcname, v->func_call->funcname)
                              : std::string{};
        if (fname == "create_hypertable") {
          out.emplace_back(plan_create_hypertable(v->func_call, *this));
          break;
        }
        if (fname == "show_chunks" || fname == "drop_chunks") {
          out.emplace_back(plan_chunk_function(v->func_call, fname == "drop_chunks"));
          break;
        }
        // pg_current_wal_lsn() and pg_walfile_name(pg_current_wal_lsn()).
        const auto* rt = s->target_list[0]->res_target;
        if (fname == "pg_current_wal_lsn" && v->func_call->n_args == 0) {
          out.emplace_back(wal_position{has(rt->name) ? rt->name : fname, false});
          break;
        }
        if (fname == "pg_walfile_name" && v->func_call->n_args == 1
            && v->func_call->args[0]->node_case == PG_QUERY__NODE__NODE_FUNC_CALL
            && last_name(v->func_call->args[0]->func_call->n_funcname,
                         v->func_call->args[0]->func_call->funcname)
                 == "pg_current_wal_lsn") {
          out.emplace_back(wal_position{has(rt->name) ? rt->name : fname, true});
          break;
        }
      }
      auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
      setting_lookup lookup = [this](std::string_view name) { return setting(name); };
      auto r = constant_select(s, now, lookup);
      if (auto* e = std::get_if<positioned_error>(&r))
        throw plan_failure{{e->error, e->position}};
      out.emplace_back(std::get<statement_result>(std::move(r)));
      break;
    }
    case PG_QUERY__NODE__NODE_TRANSACTION_STMT: {
      const auto* t = st->transaction_stmt;
      using A = transaction_control::action;
      switch (t->kind) {
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
          out.emplace_back(transaction_control{A::begin, {}});
          break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
          if (t->chain)
            fail("0A000", "COMMIT AND CHAIN is not supported yet");
          out.emplace_back(transaction_control{A::commit, {}});
          break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
          if (t->chain)
            fail("0A000", "ROLLBACK AND CHAIN is not supported yet");
          out.emplace_back(transaction_control{A::rollback, {}});
          break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
          out.emplace_back(transaction_control{A::savepoint, t->savepoint_name});
          break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
          out.emplace_back(transaction_control{A::release, t->savepoint_name});
          break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
          out.emplace_back(transaction_control{A::rollback_to, t->savepoint_name});
          break;
        default:
          fail("0A000", "two-phase commit is not supported");
      }
      break;
    }
    case PG_QUERY__NODE__NODE_CHECK_POINT_STMT:
      out.emplace_back(checkpoint_request{});
      break;
    case PG_QUERY__NODE__NODE_EXPLAIN_STMT: {
      const auto* x = st->explain_stmt;
      explain_request r;
      for (size_t i = 0; i < x->n_options; ++i)
        if (x->options[i]->node_case == PG_QUERY__NODE__NODE_DEF_ELEM) {
          std::string opt = lower(x->options[i]->def_elem->defname);
          if (opt == "analyze")
            r.analyze = true;
          else if (opt != "verbose" && opt != "costs" && opt != "buffers" && opt != "timing"
                   && opt != "summary" && opt != "format")
            fail("42601", "unrecognized EXPLAIN option \"" + opt + "\"");
        }
      if (x->query->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
        fail("0A000", "EXPLAIN of statements other than SELECT is not supported yet");
      auto source = source_of(x->query->select_stmt);
      if (auto* e = std::get_if<positioned_error>(&source))
        throw plan_failure{{e->error, e->position}};
      const auto& src = std::get<select_source>(source);
      if (src.subselect || x->query->select_stmt->with_clause
          || src.name.find('.') != std::string::npos)
        fail("0A000", "EXPLAIN of queries over views, WITH or sub-selects is not supported yet");
      r.stmt = x->query->select_stmt;
      r.table = src.name;
      r.now = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
      out.emplace_back(r);
      break;
    }
    case PG_QUERY__NODE__NODE_COPY_STMT:
      out.emplace_back(plan_copy(st->copy_stmt));
      break;
    case PG_QUERY__NODE__NODE_INSERT_STMT:
      out.emplace_back(plan_insert(
        st->insert_stmt, std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count()));
      break;
    case PG_QUERY__NODE__NODE_CREATE_STMT:
      out.emplace_back(plan_create(st->create_stmt));
      break;
    case PG_QUERY__NODE__NODE_DROP_STMT: {
      const auto* d = st->drop_stmt;
      if (d->remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE)
        fail("0A000", "only DROP TABLE is supported");
      if (d->n_objects != 1)
        fail("0A000", "DROP TABLE of several tables is not supported yet");
      const node* obj = d->objects[0];
      std::string name = obj->node_case == PG_QUERY__NODE__NODE_LIST
                           ? last_name(obj->list->n_items, obj->list->items)
                           : std::string{};
      out.emplace_back(messages::drop_table{name, static_cast<bool>(d->missing_ok)});
      break;
    }
    case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT: {
      const auto* v = st->variable_set_stmt;
      statement_result r;
      if (v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL) {
        settings_ = defaults_;
        changed_.clear();
        r.tag = "RESET";
        out.emplace_back(std::move(r));
        break;
      }
      std::string name = canonical_setting(v->name ? v->name : "");
      if (name == "transaction" || name == "session characteristics") {
        r.tag = "SET";
        out.emplace_back(std::move(r));
        break;
      }
      auto it = settings_.find(name);
      if (it == settings_.end())
        fail("42704", "unrecognized configuration parameter \"" + std::string{v->name} + "\"");
      if (name == "server_version" || name == "server_version_num"
          || name == "server_encoding" || name == "integer_datetimes")
        fail("55P02", "parameter \"" + name + "\" cannot be changed");
      if (v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE) {
        std::string value;
        for (size_t a = 0; a < v->n_args; ++a) {
          constant c = eval_constant(v->args[a], *this);
          if (!c.text)
            fail("22023", "parameter \"" + name + "\" requires a value");
          value += (a > 0 ? ", " : "") + *c.text;
        }
        if (name == "timezone" && lower(value) != "utc" && lower(value) != "gmt"
            && value != "0" && lower(value) != "etc/utc")
          fail("0A000", "only TimeZone UTC is supported yet");
        if (name == "timezone")
          value = "UTC";
        if (name == "client_encoding") {
          auto enc = client_encoding(value);
          if (auto* e = std::get_if<pg_error>(&enc))
            fail(e->sqlstate, e->message);
          value = std::get<std::string>(enc);
        }
        if (name == "synchronous_commit") {
          static const std::map<std::string, std::string> accepted = {
            {"on", "on"},     {"true", "on"},   {"yes", "on"},   {"1", "on"},
            {"off", "off"},   {"false", "off"}, {"no", "off"},   {"0", "off"},
            {"local", "local"}, {"remote_write", "remote_write"},
            {"remote_apply", "remote_apply"}};
          auto a = accepted.find(lower(value));
          if (a == accepted.end())
            fail("22023", "invalid value for parameter \"synchronous_commit\": \"" + value + "\"");
          value = a->second;
        }
        it->second = value;
        changed_.insert(name);
      } else {
        it->second = defaults_[name];
        changed_.erase(name);
      }
      r.tag = v->kind == PG_QUERY__VARIABLE_SET_KIND__VAR_RESET ? "RESET" : "SET";
      out.emplace_back(std::move(r));
      break;
    }
    case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT: {
      std::string name = canonical_setting(st->variable_show_stmt->name);
      statement_result r;
      if (name == "all") {
        r.columns = {{"name", 25}, {"setting", 25}, {"description", 25}};
        for (const auto& [k, v] : settings_)
          r.rows.push_back({k, v, std::string{}});
      } else {
        auto v = setting(name);
        if (!v)
          fail("42704", "unrecognized configuration parameter \"" + name + "\"");
        // SHOW names its column after the parameter, as spelled by PostgreSQL.
        std::string col = st->variable_show_stmt->name;
        if (name == "timezone")
          col = "TimeZone";
        else if (name == "datestyle")
          col = "DateStyle";
        r.columns = {{col, 25}};
        r.rows.push_back({*v});
      }
      r.tag = "SHOW";
      out.emplace_back(std::move(r));
      break;
    }
    default: {
      // The statement's name, as PostgreSQL's command tags spell it.
      const ProtobufCFieldDescriptor* fd = protobuf_c_message_descriptor_get_field(
        &pg_query__node__descriptor, static_cast<unsigned>(st->node_case));
      std::string what = fd ? fd->name : "this statement";
      fail("0A000", what + " is not supported yet");
    }
  }
  return std::move(out.back());
}

} // namespace hypertide::planner

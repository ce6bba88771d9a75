#include "planner/select_eval.hpp"
#include "planner/access_stage.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>
#include <unordered_map>

#include "chunkstore/chunk.hpp"
#include "chunkstore/time_bucket.hpp"
#include "planner/datetime.hpp"
#include "planner/pg_format.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;

namespace detail {

/// Evaluates an operator or function over evaluated arguments.
datum apply_op(const bexpr& e, const std::vector<datum>& a) {
  const std::string_view op = e.name; // compares by length first: no memcmp per name
  if (e.k == bexpr::kind::func) {
    if (op == "::")
      return cut_varchar(cast_datum(a[0], e.type, -1), e.index);
    if (op == "raise") // an error folding found, raised when the branch is taken
      fail(e.value.s.substr(0, 5), e.value.s.substr(5));
    if (op == "greatest" || op == "least") {
      // NULLs are skipped; all NULL is NULL.
      std::optional<datum> best;
      for (const auto& x : a)
        if (!x.null && (!best || (op == "greatest" ? compare(x, *best) > 0 : compare(x, *best) < 0)))
          best = x;
      return best ? (best->type == e.type ? *best : cast_datum(*best, e.type, -1)) : null_of(e.type);
    }
    if (op == "like" || op == "ilike") {
      if (a[0].null || a[1].null)
        return null_of(oid::bool_);
      // A pattern ending in a lone escape is an error once matching reaches
      // it: when text is left after what precedes it, as PostgreSQL finds.
      size_t trailing = 0;
      for (size_t i = a[1].s.size(); i > 0 && a[1].s[i - 1] == '\\'; --i)
        ++trailing;
      if (trailing % 2 == 1) {
        std::string before = a[1].s.substr(0, a[1].s.size() - 1);
        std::string s = a[0].s, b = before;
        if (op == "ilike")
          for (auto* x : {&s, &b})
            for (auto& c : *x)
              c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (like_match(s, b + "_%"))
          fail("22025", "LIKE pattern must not end with escape character");
        return make_int(oid::bool_, 0);
      }
      if (op == "like")
        return make_int(oid::bool_, like_match(a[0].s, a[1].s) ? 1 : 0);
      std::string s = a[0].s, p = a[1].s;
      for (auto* x : {&s, &p})
        for (auto& c : *x)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return make_int(oid::bool_, like_match(s, p) ? 1 : 0);
    }
    if (op == "nullif") {
      if (!a[0].null && !a[1].null && compare(a[0], a[1]) == 0)
        return null_of(e.type);
      return a[0];
    }
    if (op != "time_bucket")
      return apply_scalar(op, e.type, a);
    if (op == "time_bucket") {
      if (a[0].null || a[1].null)
        return null_of(a[1].type);
      if (is_time(a[1].type)) {
        cs::bucket_spec spec;
        spec.width = a[0].iv.days * cs::usecs_per_day + a[0].iv.micros;
        spec.months = a[0].iv.months;
        if (a.size() > 2 && !a[2].null) {
          if (a[2].type == oid::interval)
            spec.offset = interval_micros(a[2].iv, -1);
          else
            spec.origin = a[2].i;
        }
        if (auto err = cs::validate(spec))
          fail(err->sqlstate, err->message);
        return make_int(a[1].type, cs::time_bucket(spec, a[1].i)); // infinity stays
      }
      int64_t w = a[0].i;
      if (w <= 0)
        fail("22023", "period must be greater than 0");
      return make_int(a[1].type, cs::int_bucket(w, a[1].i, a.size() > 2 ? a[2].i : 0));
    }
    fail("0A000", "function " + e.name + "() is not supported yet");
  }
  // Operators: NULL in, NULL out.
  for (const auto& x : a)
    if (x.null)
      return null_of(e.type);
  if (a.size() == 1) {
    if (op == "-" && a[0].type == oid::interval) {
      datum r = a[0];
      r.iv.months = -r.iv.months;
      r.iv.days = -r.iv.days;
      r.iv.micros = -r.iv.micros;
      return r;
    }
    if (op == "-") {
      if (is_float(a[0].type) || a[0].type == oid::numeric) {
        datum r = make_float(-a[0].f);
        r.type = a[0].type;
        if (a[0].type == oid::numeric && !a[0].s.empty()) // keep its digits
          r.s = a[0].s[0] == '-' ? a[0].s.substr(1)
                : a[0].s.find_first_not_of("0.") == std::string::npos ? a[0].s
                                                                      : "-" + a[0].s;
        return r;
      }
      if (a[0].i == INT64_MIN)
        fail("22003", "bigint out of range");
      return narrowed(make_int(a[0].type, -a[0].i), a[0].type, -1);
    }
    return a[0];
  }
  const datum& x = a[0];
  const datum& y = a[1];
  if (op == "||") {
    datum r;
    r.type = oid::text;
    r.null = false;
    r.s = to_text(x).value_or("") + to_text(y).value_or("");
    return r;
  }
  if (op == "=" || op == "<>" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=") {
    int c = compare(x, y);
    bool r = op == "=" ? c == 0 : (op == "<>" || op == "!=") ? c != 0 : op == "<" ? c < 0
             : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
    return make_int(oid::bool_, r ? 1 : 0);
  }
  // Timestamps and intervals: infinite timestamps stay infinite; a finite
  // one leaving the range is 22008, as in PostgreSQL.
  auto shifted = [](int32_t type, int64_t t, int64_t us) {
    if (is_infinite(t))
      return make_int(type, t);
    int64_t r = 0;
    if (__builtin_add_overflow(t, us, &r) || is_infinite(r))
      fail("22008", "timestamp out of range");
    return make_int(type, r);
  };
  if (is_time(x.type) && y.type == oid::interval && (op == "+" || op == "-")) {
    int64_t us = interval_micros(y.iv, -1);
    return shifted(x.type, x.i, op == "+" ? us : -us);
  }
  if (x.type == oid::interval && is_time(y.type) && op == "+")
    return shifted(y.type, y.i, interval_micros(x.iv, -1));
  if (x.type == oid::interval && y.type == oid::interval && (op == "+" || op == "-")) {
    datum r;
    r.type = oid::interval;
    r.null = false;
    int sign = op == "+" ? 1 : -1;
    r.iv.months = x.iv.months + sign * y.iv.months;
    r.iv.days = x.iv.days + sign * y.iv.days;
    r.iv.micros = x.iv.micros + sign * y.iv.micros;
    return r;
  }
  if (is_time(x.type) && is_time(y.type) && op == "-") {
    datum r;
    r.type = oid::interval;
    r.null = false;
    int64_t d = 0;
    if (is_infinite(x.i) || is_infinite(y.i))
      fail("22008", "cannot subtract infinite timestamps");
    if (__builtin_sub_overflow(x.i, y.i, &d))
      fail("22008", "interval out of range");
    r.iv.days = static_cast<int32_t>(d / cs::usecs_per_day);
    r.iv.micros = d % cs::usecs_per_day;
    return r;
  }
  if (is_number(x.type) && is_number(y.type)) {
    if (is_int(x.type) && is_int(y.type)) {
      int64_t r = 0;
      bool overflow = false;
      if (op == "+")
        overflow = __builtin_add_overflow(x.i, y.i, &r);
      else if (op == "-")
        overflow = __builtin_sub_overflow(x.i, y.i, &r);
      else if (op == "*")
        overflow = __builtin_mul_overflow(x.i, y.i, &r);
      else if (op == "/" || op == "%") {
        if (y.i == 0)
          fail("22012", "division by zero");
        r = op == "/" ? x.i / y.i : x.i % y.i;
      } else
        fail("0A000", "operator " + e.name + " is not supported yet");
      if (overflow || (e.type == oid::int4 && (r > INT32_MAX || r < INT32_MIN)))
        fail("22003", std::string{type_name(e.type)} + " out of range");
      return narrowed(make_int(e.type, r), e.type, -1);
    }
    double p = as_double(x), q = as_double(y), r = 0;
    if (op == "+")
      r = p + q;
    else if (op == "-")
      r = p - q;
    else if (op == "*")
      r = p * q;
    else if (op == "/" || op == "%") {
      if (q == 0)
        fail("22012", "division by zero");
      r = op == "/" ? p / q : std::fmod(p, q); // numeric % keeps the dividend's sign
    } else
      fail("0A000", "operator " + e.name + " is not supported yet");
    datum d = make_float(r);
    d.type = e.type;
    if (e.type == oid::numeric) {
      // numeric keeps its scale: a sum's is the larger one, a product's the
      // sum of both (2.5 * 2 is 5.0, 0.1 * 3 is 0.3), as PostgreSQL's;
      // printed at that scale, the double's last-bit noise goes too.
      // Division keeps the double's shortest text (PostgreSQL picks at
      // least 16 significant digits).
      bool exact = (x.type == oid::numeric || is_int(x.type))
                   && (y.type == oid::numeric || is_int(y.type)) && std::isfinite(r);
      if (exact && (op == "+" || op == "-" || op == "*" || op == "%")) {
        int sx = std::max(numeric_scale(x), 0), sy = std::max(numeric_scale(y), 0);
        d = numeric_at_scale(r, op == "*" ? sx + sy : std::max(sx, sy));
      } else {
        d.s = format_float8(r);
      }
    }
    return e.type == oid::float4 ? narrowed(d, e.type, -1) : d;
  }
  fail("42883", "operator does not exist: " + std::string{type_name(x.type)} + " " + e.name + " "
                  + type_name(y.type));
}

/// Evaluates a bound expression over one row of slots.
datum eval(const bexpr& e, const std::vector<datum>& slots) {
  switch (e.k) {
    case bexpr::kind::constant:
      return e.value;
    case bexpr::kind::column:
    case bexpr::kind::key:
    case bexpr::kind::agg: {
      // Columns of real, smallint and varchar arrive as their storage
      // types: a slot takes the expression's type (sum(real) is real).
      const datum& d = slots[static_cast<size_t>(e.index)];
      if (d.type == e.type || (e.type != oid::float4 && e.type != oid::int2
                               && e.type != oid::varchar))
        return d;
      return narrowed(d, e.type, -1);
    }
    case bexpr::kind::window: // finish_select turns these into slots first
      fail("XX000", "a window function's value was read before it was computed");
    case bexpr::kind::and_:
    case bexpr::kind::or_: {
      bool is_and = e.k == bexpr::kind::and_;
      bool any_null = false;
      for (const auto& c : e.args) {
        datum v = eval(c, slots);
        if (v.null)
          any_null = true;
        else if ((v.i != 0) != is_and)
          return make_int(oid::bool_, is_and ? 0 : 1);
      }
      return any_null ? null_of(oid::bool_) : make_int(oid::bool_, is_and ? 1 : 0);
    }
    case bexpr::kind::not_: {
      datum v = eval(e.args[0], slots);
      return v.null ? v : make_int(oid::bool_, v.i == 0 ? 1 : 0);
    }
    case bexpr::kind::is_null:
    case bexpr::kind::is_not_null: {
      bool n = eval(e.args[0], slots).null;
      return make_int(oid::bool_, (e.k == bexpr::kind::is_null) == n ? 1 : 0);
    }
    case bexpr::kind::in_list: {
      datum v = eval(e.args[0], slots);
      if (v.null)
        return null_of(oid::bool_);
      if (e.in_sorted) {
        bool found = std::binary_search(
          e.in_sorted->begin(), e.in_sorted->end(), v,
          [](const datum& a, const datum& b) { return compare(a, b) < 0; });
        return found ? make_int(oid::bool_, 1)
                     : e.in_has_null ? null_of(oid::bool_) : make_int(oid::bool_, 0);
      }
      bool saw_null = false;
      for (size_t i = 1; i < e.args.size(); ++i) {
        datum x = eval(e.args[i], slots);
        if (x.null)
          saw_null = true;
        else if (compare(v, x) == 0)
          return make_int(oid::bool_, 1);
      }
      return saw_null ? null_of(oid::bool_) : make_int(oid::bool_, 0);
    }
    case bexpr::kind::op:
    case bexpr::kind::func: {
      const std::string_view name = e.name;
      if (e.k == bexpr::kind::func && (name == "case" || name == "coalesce")) {
        // Lazy: a branch not taken is not evaluated (CASE WHEN x = 0 THEN 0
        // ELSE 1 / x END).
        auto as_result = [&](datum d) { return d.type == e.type ? d : cast_datum(d, e.type, -1); };
        if (name == "coalesce") {
          for (const auto& c : e.args) {
            datum v = eval(c, slots);
            if (!v.null)
              return as_result(std::move(v));
          }
          return null_of(e.type);
        }
        size_t i = 0;
        for (; i + 1 < e.args.size(); i += 2) {
          datum c = eval(e.args[i], slots);
          if (!c.null && c.i != 0)
            return as_result(eval(e.args[i + 1], slots));
        }
        return i < e.args.size() ? as_result(eval(e.args[i], slots)) : null_of(e.type);
      }
      std::vector<datum> a;
      a.reserve(e.args.size());
      for (const auto& c : e.args)
        a.push_back(eval(c, slots));
      return apply_op(e, a);
    }
  }
  return null_of(e.type);
}

bool is_volatile(const bexpr& e) {
  if (e.k == bexpr::kind::func && e.name == "random")
    return true;
  return std::any_of(e.args.begin(), e.args.end(), is_volatile);
}

bool has_columns(const bexpr& e) {
  if (e.k == bexpr::kind::column || e.k == bexpr::kind::key || e.k == bexpr::kind::agg
      || e.k == bexpr::kind::window)
    return true;
  return std::any_of(e.args.begin(), e.args.end(), has_columns);
}

bool same(const bexpr& a, const bexpr& b) {
  if (a.k != b.k || a.type != b.type || a.index != b.index || a.name != b.name
      || a.args.size() != b.args.size() || !a.in_sorted != !b.in_sorted
      || a.in_has_null != b.in_has_null)
    return false;
  if (a.in_sorted && a.in_sorted != b.in_sorted
      && (a.in_sorted->size() != b.in_sorted->size()
          || !std::equal(a.in_sorted->begin(), a.in_sorted->end(), b.in_sorted->begin(),
                         [](const datum& x, const datum& y) { return compare(x, y) == 0; })))
    return false;
  if (a.k == bexpr::kind::constant
      && (a.value.null != b.value.null || (!a.value.null && compare(a.value, b.value) != 0)))
    return false;
  for (size_t i = 0; i < a.args.size(); ++i)
    if (!same(a.args[i], b.args[i]))
      return false;
  return true;
}

cs::column_def column_of_type(const std::string& name, int32_t t) {
  cs::column_def d;
  d.name = name;
  switch (t) {
    case oid::int2: d.type = cs::column_type::int4; d.sql_oid = oid::int2; break;
    case oid::int4: d.type = cs::column_type::int4; break;
    case oid::int8: d.type = cs::column_type::int8; break;
    case oid::float4: d.type = cs::column_type::float8; d.sql_oid = oid::float4; break;
    case oid::timestamptz: d.type = cs::column_type::timestamptz; break;
    case oid::timestamp: d.type = cs::column_type::timestamp; break;
    case oid::bool_: d.type = cs::column_type::boolean; break;
    case oid::text:
    case oid::varchar: d.type = cs::column_type::text; break;
    case oid::numeric: d.type = cs::column_type::float8; d.sql_oid = oid::numeric; break;
    default: d.type = cs::column_type::float8; break;
  }
  return d;
}

datum datum_at(const cs::column_batch& b, size_t r, size_t c, int32_t type) {
  cs::value v = b.at(r, c);
  datum d;
  if (v.is_null)
    d = null_of(type);
  else if (v.type == cs::column_type::float8)
    d = make_float(v.f);
  else if (v.type == cs::column_type::text)
    d = make_text(std::move(v.s));
  else
    d = make_int(type, v.i);
  d.type = type;
  return d;
}

void append_datum(cs::column_batch& b, size_t c, const datum& d) {
  if (d.null) {
    b.append_null(c);
    return;
  }
  switch (b.col(c).type) {
    case cs::column_type::float8:
      b.append_float(c, is_int(d.type) ? static_cast<double>(d.i) : d.f);
      break;
    case cs::column_type::text:
      b.append_text(c, d.s);
      break;
    default:
      b.append_int(c, d.i);
  }
}

std::string describe(const bexpr& e, const cs::table_schema& schema) {
  auto arg = [&](size_t i) { return describe(e.args[i], schema); };
  auto list = [&](size_t from) {
    std::string out;
    for (size_t i = from; i < e.args.size(); ++i)
      out += (i > from ? ", " : "") + arg(i);
    return out;
  };
  switch (e.k) {
    case bexpr::kind::constant: {
      auto t = to_text(e.value);
      if (!t)
        return "NULL";
      if (is_number(e.type) || e.type == oid::bool_)
        return e.type == oid::bool_ ? (e.value.i ? "true" : "false") : *t;
      std::string q = "'";
      for (char c : *t)
        q += c == '\'' ? std::string{"''"} : std::string(1, c);
      return q + "'";
    }
    case bexpr::kind::column:
      return e.index >= 0 && static_cast<size_t>(e.index) < schema.columns.size()
               ? schema.columns[static_cast<size_t>(e.index)].name
               : "?";
    case bexpr::kind::op:
      return e.args.size() == 1 ? "(" + e.name + " " + arg(0) + ")"
                                : "(" + arg(0) + " " + e.name + " " + arg(1) + ")";
    case bexpr::kind::func:
      if (e.name == "::")
        return "(" + arg(0) + ")::" + type_name(e.type);
      if (e.name == "case") {
        std::string out = "CASE";
        size_t i = 0;
        for (; i + 1 < e.args.size(); i += 2)
          out += " WHEN " + arg(i) + " THEN " + arg(i + 1);
        if (i < e.args.size())
          out += " ELSE " + arg(i);
        return out + " END";
      }
      return e.name + "(" + list(0) + ")";
    case bexpr::kind::and_:
    case bexpr::kind::or_: {
      std::string out = "(";
      for (size_t i = 0; i < e.args.size(); ++i)
        out += (i > 0 ? (e.k == bexpr::kind::and_ ? " AND " : " OR ") : "") + arg(i);
      return out + ")";
    }
    case bexpr::kind::not_:
      return "(NOT " + arg(0) + ")";
    case bexpr::kind::is_null:
      return "(" + arg(0) + " IS NULL)";
    case bexpr::kind::is_not_null:
      return "(" + arg(0) + " IS NOT NULL)";
    case bexpr::kind::in_list:
      return "(" + arg(0) + " IN (" + (e.in_sorted ? std::to_string(e.in_sorted->size()) + " values" : list(1)) + "))";
    case bexpr::kind::key:
    case bexpr::kind::agg:
    case bexpr::kind::window:
      break;
  }
  return "?";
}

void columns_of(const bexpr& e, std::vector<int>& out) {
  if (e.k == bexpr::kind::column && std::find(out.begin(), out.end(), e.index) == out.end())
    out.push_back(e.index);
  for (const auto& a : e.args)
    columns_of(a, out);
}

cs::partial_result execute_over(const cs::fragment& f, const cs::table_schema& schema,
                                const cs::batch_view& rows) {
  cs::chunk tmp{schema, -1, -1};
  if (rows.rows > 0)
    tmp.append(rows, {}, 1, 1);
  cs::result_merger merger{f, schema};
  merger.add(tmp.execute(f, 1));
  return merger.finish();
}

} // namespace detail

using namespace detail;

datum detail::from_value(const cs::value& v) {
  if (v.is_null)
    return null_of(oid_of(v.type));
  switch (v.type) {
    case cs::column_type::float8:
      return make_float(v.f);
    case cs::column_type::text:
      return make_text(v.s);
    default:
      return make_int(oid_of(v.type), v.i);
  }
}

datum detail::from_agg(const cs::partial_result& r, size_t a, size_t g) {
  const auto& st = r.states[a][g];
  auto kind = r.kinds[a];
  auto type = r.input_types[a];
  bool int_input = type == cs::column_type::int4 || type == cs::column_type::int8;
  if ((kind == cs::agg_kind::sum && type == cs::column_type::int8)
      || (kind == cs::agg_kind::avg && int_input)) {
    datum d;
    d.type = oid::numeric;
    if (st.count == 0)
      return d;
    d.null = false;
    if (kind == cs::agg_kind::sum) {
      d.s = format_int128(st.i);
      d.f = static_cast<double>(st.i);
    } else {
      d.s = format_numeric_avg(st.i, st.count);
      d.f = static_cast<double>(st.i) / static_cast<double>(st.count);
    }
    return d;
  }
  return from_value(r.final_value(a, g));
}


std::optional<std::string> to_text(const datum& d) {
  if (d.null)
    return std::nullopt;
  switch (d.type) {
    case oid::bool_:
      return std::string{d.i ? "t" : "f"};
    case oid::int2:
    case oid::int4:
    case oid::int8:
      return std::to_string(d.i);
    case oid::float4:
      return format_float4(d.f);
    case oid::float8:
      return format_float8(d.f);
    case oid::numeric:
      return d.s.empty() ? format_float8(d.f) : d.s;
    case oid::timestamptz:
      return format_timestamptz(d.i);
    case oid::timestamp:
      return format_timestamp(d.i);
    case oid::interval: {
      std::string out;
      if (d.iv.months)
        out += std::to_string(d.iv.months) + " mons ";
      if (d.iv.days)
        out += std::to_string(d.iv.days) + (d.iv.days == 1 ? " day " : " days ");
      int64_t us = d.iv.micros;
      if (us != 0 || out.empty()) {
        bool neg = us < 0;
        if (neg)
          us = -us;
        char buf[64];
        std::snprintf(buf, sizeof buf, "%s%02lld:%02lld:%02lld", neg ? "-" : "",
                      static_cast<long long>(us / cs::usecs_per_hour),
                      static_cast<long long>(us / cs::usecs_per_minute % 60),
                      static_cast<long long>(us / cs::usecs_per_second % 60));
        out += buf;
        if (us % cs::usecs_per_second) {
          std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(us % cs::usecs_per_second));
          std::string f = buf;
          while (f.back() == '0')
            f.pop_back();
          out += f;
        }
      } else {
        out.pop_back();
      }
      return out;
    }
    default:
      return d.s;
  }
}



std::variant<statement_result, positioned_error>
finish_select(const select_plan& plan, cs::partial_result r) {
  if (auto fast = detail::finish_plain_rows(plan, r))
    return std::move(*fast);
  try {
    if (auto fast = detail::finish_plain_groups(plan, r))
      return std::move(*fast);
    computed_result computed;
    if (plan.computed) {
      computed = aggregate_computed(*plan.computed, std::move(r));
      r = std::move(computed.r);
    }
    const cs::fragment& fragment = plan.computed ? plan.computed->fragment : plan.fragment;
    // A numeric key or aggregate of a computed expression: at its scale in
    // the group.
    auto scaled = [](datum d, const std::vector<std::vector<int>>& scales, size_t i, size_t g) {
      if (i >= scales.size() || scales[i].empty() || d.null || scales[i][g] < 0)
        return d;
      return numeric_at_scale(d.type == oid::numeric || is_float(d.type) ? d.f
                                                                         : static_cast<double>(d.i),
                              scales[i][g]);
    };
    // Slots of each input row.
    std::vector<std::vector<datum>> rows;
    if (plan.aggregate) {
      size_t nk = fragment.keys.size();
      rows.reserve(r.groups());
      for (size_t g = 0; g < r.groups(); ++g) {
        std::vector<datum> slots;
        slots.reserve(nk + r.states.size());
        for (size_t k = 0; k < nk; ++k)
          slots.push_back(scaled(from_value(r.keys.at(g, k)), computed.key_scales, k, g));
        rows.push_back(std::move(slots));
      }
      // Keys first, then aggregates: agg refs index past the keys.
      for (size_t g = 0; g < rows.size(); ++g)
        for (size_t a = 0; a < r.states.size(); ++a)
          rows[g].push_back(a < computed.agg_values.size() && !computed.agg_values[a].empty()
                              ? computed.agg_values[a][g]
                              : scaled(from_agg(r, a, g), computed.agg_scales, a, g));
    } else {
      for (size_t i = 0; i < r.rows.rows(); ++i) {
        std::vector<datum> slots;
        for (size_t c = 0; c < r.rows.num_columns(); ++c)
          slots.push_back(from_value(r.rows.at(i, c)));
        rows.push_back(std::move(slots));
      }
    }
    // Agg refs were bound with indexes into the aggregates; shift them.
    auto shift = [&](const bexpr& e) {
      bexpr c = e;
      std::function<void(bexpr&)> go = [&](bexpr& x) {
        if (x.k == bexpr::kind::agg)
          x.index += static_cast<int>(fragment.keys.size());
        for (auto& a : x.args)
          go(a);
      };
      go(c);
      return c;
    };
    std::optional<bexpr> having;
    if (plan.having)
      having = shift(*plan.having);
    if (having) {
      std::vector<std::vector<datum>> kept;
      for (auto& slots : rows) {
        datum h = eval(*having, slots);
        if (!h.null && h.i != 0)
          kept.push_back(std::move(slots));
      }
      rows = std::move(kept);
    }
    // Window functions over the rows HAVING kept: each row gets their values
    // as slots after its own, and window refs read those slots.
    const size_t width = plan.aggregate ? fragment.keys.size() + r.states.size()
                                        : r.rows.num_columns();
    if (!plan.windows.empty()) {
      std::vector<std::vector<datum>> values;
      std::vector<std::shared_ptr<window_order>> orders(plan.windows.size());
      for (size_t i = 0; i < plan.windows.size(); ++i) {
        const auto& w = plan.windows[i];
        window_call shifted = w;
        for (auto& a : shifted.args)
          a = shift(a);
        for (auto& p : shifted.partition)
          p = shift(p);
        for (auto& o : shifted.order)
          o.e = shift(o.e);
        // Windows partitioned and ordered alike share one sort.
        size_t like = i;
        for (size_t j = 0; j < i && like == i; ++j)
          if (same_window(plan.windows[j], w))
            like = j;
        orders[i] = like != i ? orders[like] : std::make_shared<window_order>();
        values.push_back(window_values(shifted, rows, *orders[i]));
      }
      for (size_t i = 0; i < rows.size(); ++i)
        for (const auto& v : values)
          rows[i].push_back(v[i]);
    }
    auto with_windows = [&](const bexpr& e) {
      bexpr c = shift(e);
      std::function<void(bexpr&)> go = [&](bexpr& x) {
        if (x.k == bexpr::kind::window) {
          x.k = bexpr::kind::key;
          x.index += static_cast<int>(width);
        }
        for (auto& a : x.args)
          go(a);
      };
      go(c);
      return c;
    };
    std::vector<bexpr> outputs;
    for (const auto& o : plan.outputs)
      outputs.push_back(with_windows(o));
    std::vector<bexpr> sort_exprs;
    for (const auto& k : plan.order)
      sort_exprs.push_back(with_windows(k.e));

    struct out_row {
      std::vector<datum> cells;
      std::vector<datum> sort;
      std::vector<datum> distinct;
      size_t pos = 0; ///< the row's place before sorting
    };
    std::vector<out_row> out;
    out.reserve(rows.size());
    for (const auto& slots : rows) {
      out_row o;
      o.pos = out.size();
      o.cells.reserve(outputs.size());
      o.sort.reserve(sort_exprs.size());
      for (const auto& e : outputs)
        o.cells.push_back(eval(e, slots));
      for (const auto& e : sort_exprs)
        o.sort.push_back(eval(e, slots));
      for (const auto& e : plan.distinct_on)
        o.distinct.push_back(eval(e, slots));
      out.push_back(std::move(o));
    }
    if (!plan.order.empty()) {
      // Ties keep the rows' order (`pos`), as a stable sort would: with a
      // LIMIT, only the first rows are sorted.
      auto before = [&](const out_row& a, const out_row& b) {
        for (size_t k = 0; k < plan.order.size(); ++k) {
          const datum& x = a.sort[k];
          const datum& y = b.sort[k];
          if (x.null || y.null) {
            if (x.null && y.null)
              continue;
            return x.null == plan.order[k].nulls_first;
          }
          int c = compare(x, y);
          if (c != 0)
            return plan.order[k].descending ? c > 0 : c < 0;
        }
        return a.pos < b.pos;
      };
      const size_t wanted = plan.limit < 0 || !plan.distinct_on.empty()
                              ? out.size()
                              : static_cast<size_t>(plan.offset) + static_cast<size_t>(plan.limit);
      if (wanted < out.size() / 2)
        std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(wanted), out.end(),
                          before);
      else
        std::sort(out.begin(), out.end(), before);
    }
    if (!plan.distinct_on.empty()) {
      // The first row (in ORDER BY order) of each DISTINCT ON value.
      std::set<std::string> seen;
      std::vector<out_row> kept;
      for (auto& r : out) {
        std::string key;
        for (const auto& d : r.distinct) {
          auto t = to_text(d);
          key += t ? "v" + *t : std::string{"n"};
          key += '\x1f';
        }
        if (seen.insert(std::move(key)).second)
          kept.push_back(std::move(r));
      }
      out = std::move(kept);
    }
    statement_result res;
    for (size_t i = 0; i < plan.names.size(); ++i)
      res.columns.push_back(result_column{plan.names[i], outputs[i].type == oid::unknown
                                                           ? oid::text
                                                           : outputs[i].type});
    size_t begin = std::min(out.size(), static_cast<size_t>(plan.offset));
    size_t end = plan.limit < 0 ? out.size()
                                : std::min(out.size(), begin + static_cast<size_t>(plan.limit));
    res.rows.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      std::vector<std::optional<std::string>> cells;
      cells.reserve(out[i].cells.size());
      for (const auto& c : out[i].cells)
        cells.push_back(to_text(c));
      res.rows.push_back(std::move(cells));
    }
    res.tag = "SELECT " + std::to_string(res.rows.size());
    return res;
  } catch (const bind_failure& f) {
    return f.err;
  }
}

} // namespace hypertide::planner

#include "planner/insert_builder.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "planner/datetime.hpp"

namespace hypertide::planner {

namespace cs = chunkstore;

namespace {

struct convert_failure {
  positioned_error err;
};

[[noreturn]] void fail(std::string sqlstate, std::string message, const literal& l) {
  throw convert_failure{{cs::pg_error{std::move(sqlstate), std::move(message), {}},
                         l.location >= 0 ? l.location + 1 : 0}};
}

const char* literal_type_name(int32_t oid) {
  switch (oid) {
    case 21: return "smallint";
    case 23: return "integer";
    case 20: return "bigint";
    case 700: return "real";
    case 1043: return "character varying";
    case 1700: return "numeric";
    case 16: return "boolean";
    case 25: return "text";
    case 701: return "double precision";
    case 1184: return "timestamp with time zone";
    case 1114: return "timestamp without time zone";
    default: return "unknown";
  }
}

bool parse_int(const std::string& s, int64_t& out) {
  errno = 0;
  char* end = nullptr;
  long long x = std::strtoll(s.c_str(), &end, 10);
  while (end && *end == ' ')
    ++end;
  if (s.empty() || end == s.c_str() || *end != '\0' || errno == ERANGE)
    return false;
  out = x;
  return true;
}

bool parse_double(const std::string& s, double& out) {
  std::string v;
  for (char c : s)
    if (c != ' ')
      v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "nan") {
    out = std::nan("");
    return true;
  }
  if (v == "infinity" || v == "inf" || v == "+infinity") {
    out = HUGE_VAL;
    return true;
  }
  if (v == "-infinity" || v == "-inf") {
    out = -HUGE_VAL;
    return true;
  }
  char* end = nullptr;
  out = std::strtod(v.c_str(), &end);
  return !v.empty() && end != v.c_str() && *end == '\0';
}

void put(cs::column_batch& b, size_t c, const cs::column_def& col, const literal& l) {
  if (l.is_null) {
    b.append_null(c);
    return;
  }
  // A quoted literal (unknown) reads as any type; text or varchar values
  // go only into text columns, as PostgreSQL has no assignment cast from
  // text to numbers, booleans or timestamps (the other way round it has).
  const bool from_string = l.type_oid == 705;
  auto mismatch = [&] {
    fail("42804", "column \"" + col.name + "\" is of type " + cs::pg_type_name(col)
                    + " but expression is of type " + literal_type_name(l.type_oid),
         l);
  };
  switch (col.type) {
    case cs::column_type::int4:
    case cs::column_type::int8: {
      int64_t x = 0;
      const char* tname = col.type == cs::column_type::int4 ? "integer" : "bigint";
      if (l.type_oid == 23 || l.type_oid == 20 || l.type_oid == 21 || from_string) {
        if (!parse_int(l.text, x)) {
          if (from_string)
            fail("22P02", std::string{"invalid input syntax for type "} + tname + ": \""
                            + l.text + "\"", l);
          fail("22003", std::string{tname} + " out of range", l);
        }
      } else if (l.type_oid == 1700 || l.type_oid == 701 || l.type_oid == 700) {
        double d = std::strtod(l.text.c_str(), nullptr);
        d = std::round(d); // numeric to integer rounds half away from zero
        if (!(d >= -9.2233720368547758e18 && d < 9.2233720368547758e18))
          fail("22003", std::string{tname} + " out of range", l);
        x = static_cast<int64_t>(d);
      } else {
        mismatch();
      }
      if (col.type == cs::column_type::int4 && (x > INT32_MAX || x < INT32_MIN))
        fail("22003", from_string ? "value \"" + l.text + "\" is out of range for type integer"
                                  : std::string{"integer out of range"},
             l);
      b.append_int(c, x);
      return;
    }
    case cs::column_type::float8: {
      double d = 0;
      if (l.type_oid == 23 || l.type_oid == 20 || l.type_oid == 21 || l.type_oid == 1700
          || l.type_oid == 701 || l.type_oid == 700 || from_string) {
        if (!parse_double(l.text, d))
          fail("22P02", "invalid input syntax for type double precision: \"" + l.text + "\"", l);
        if (std::isinf(d) && from_string == false && l.type_oid == 1700)
          fail("22003", "value out of range for type double precision", l);
      } else {
        mismatch();
      }
      b.append_float(c, d);
      return;
    }
    case cs::column_type::boolean: {
      if (l.type_oid != 16 && !from_string)
        mismatch();
      std::string v;
      for (char ch : l.text)
        if (ch != ' ')
          v += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (v == "t" || v == "true" || v == "yes" || v == "y" || v == "on" || v == "1")
        b.append_int(c, 1);
      else if (v == "f" || v == "false" || v == "no" || v == "n" || v == "off" || v == "0")
        b.append_int(c, 0);
      else
        fail("22P02", "invalid input syntax for type boolean: \"" + l.text + "\"", l);
      return;
    }
    case cs::column_type::text:
      // Every type goes into text, as its output (PostgreSQL's assignment
      // I/O cast): INSERT ... VALUES (1) into a text column stores '1'.
      b.append_text(c, l.text);
      return;
    case cs::column_type::timestamptz:
    case cs::column_type::timestamp: {
      if (!from_string && l.type_oid != 1184 && l.type_oid != 1114)
        mismatch();
      // A timestamp reads its text as written, ignoring any zone (as
      // PostgreSQL does); a timestamptz value into it is shown in the
      // session's zone, UTC, which is the same instant.
      bool as_written = col.type == cs::column_type::timestamp && l.type_oid != 1184;
      auto t = as_written ? parse_timestamp(l.text) : parse_timestamptz(l.text);
      if (!t)
        fail("22007", std::string{"invalid input syntax for type "}
                        + (as_written ? "timestamp" : "timestamp with time zone") + ": \""
                        + l.text + "\"", l);
      b.append_int(c, *t);
      return;
    }
  }
}

} // namespace

std::variant<cs::column_batch, positioned_error>
build_insert(const cs::table_schema& schema, const insert_values& x) {
  // Which table column each VALUES position fills.
  std::vector<size_t> target;
  if (x.columns.empty()) {
    size_t width = x.rows.empty() ? 0 : x.rows.front().size();
    if (width > schema.columns.size())
      return positioned_error{{"42601", "INSERT has more expressions than target columns", {}},
                              0};
    for (size_t i = 0; i < width; ++i)
      target.push_back(i);
  } else {
    for (const auto& name : x.columns) {
      int c = schema.find(name);
      if (c < 0)
        return positioned_error{{"42703", "column \"" + name + "\" of relation \"" + x.table
                                            + "\" does not exist", {}},
                                0};
      for (size_t t : target)
        if (t == static_cast<size_t>(c))
          return positioned_error{{"42701", "column \"" + name + "\" specified more than once",
                                   {}},
                                  0};
      target.push_back(static_cast<size_t>(c));
    }
  }
  std::vector<int> source(schema.columns.size(), -1);
  for (size_t i = 0; i < target.size(); ++i)
    source[target[i]] = static_cast<int>(i);
  cs::column_batch b{schema};
  b.reserve(x.rows.size());
  try {
    for (const auto& row : x.rows) {
      if (row.size() > target.size())
        return positioned_error{{"42601", "INSERT has more expressions than target columns", {}},
                                row[target.size()].location + 1};
      if (row.size() < target.size())
        return positioned_error{{"42601", "INSERT has more target columns than expressions", {}},
                                0};
      for (size_t c = 0; c < schema.columns.size(); ++c) {
        const auto& col = schema.columns[c];
        // NOT NULL fails the statement here, as in PostgreSQL, not only when
        // the rows reach the catalog (a transaction's at COMMIT).
        if (col.not_null && (source[c] < 0 || row[static_cast<size_t>(source[c])].is_null))
          return positioned_error{{"23502", "null value in column \"" + col.name
                                              + "\" of relation \"" + x.table
                                              + "\" violates not-null constraint", {}},
                                  0};
        if (source[c] < 0)
          b.append_null(c);
        else
          put(b, c, col, row[static_cast<size_t>(source[c])]);
      }
      b.finish_row();
    }
  } catch (const convert_failure& f) {
    return f.err;
  }
  return b;
}

} // namespace hypertide::planner

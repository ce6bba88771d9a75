#pragma once

// Internal to planner/: the values and the pg_catalog relations of the
// catalog query executor (catalog_query.cpp runs queries over them,
// catalog_relations.cpp builds them from a catalog snapshot).

#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "messages/codec.hpp"
#include "planner/catalog.hpp"
#include "planner/insert_builder.hpp"
#include "planner/pg_format.hpp"

namespace hypertide::planner::catalog_detail {

namespace cs = chunkstore;

// -- values -----------------------------------------------------------------------

/// A value of the catalog executor: NULL, a boolean, an integer (int2/4/8,
/// oid), a double, or text (text, name, "char", or a quoted literal whose
/// type is still unknown).
struct cval {
  enum class k : uint8_t { null, boolean, integer, real, text, array };
  k kind = k::null;
  int64_t i = 0;
  double f = 0;
  std::string s;
  int32_t type = oid::unknown; ///< PostgreSQL type OID
  std::shared_ptr<const std::vector<cval>> elems; ///< an array's elements

  bool null() const noexcept { return kind == k::null; }
  static cval of_bool(bool b) { return cval{k::boolean, b ? 1 : 0, 0, {}, oid::bool_, {}}; }
  static cval of_int(int64_t x, int32_t type = oid::int4) {
    return cval{k::integer, x, 0, {}, type, {}};
  }
  static cval of_real(double x) { return cval{k::real, 0, x, {}, oid::float8, {}}; }
  static cval of_text(std::string x, int32_t type = oid::text) {
    return cval{k::text, 0, 0, std::move(x), type, {}};
  }
};

constexpr int32_t oid_type = 26;  ///< oid
constexpr int32_t name_type = 19; ///< name
constexpr int32_t char_type = 18; ///< "char"
constexpr int32_t int2_type = 21;

[[noreturn]] inline void fail(std::string code, std::string message, int32_t location = -1) {
  throw positioned_error{{std::move(code), std::move(message), {}}, location + 1};
}

inline std::string text_of(const cval& v) {
  switch (v.kind) {
    case cval::k::null:
      return {};
    case cval::k::boolean:
      return v.i ? "t" : "f";
    case cval::k::integer:
      // regclass, regtype, regnamespace: an OID that prints as its name.
      return v.s.empty() ? std::to_string(v.i) : v.s;
    case cval::k::real:
      return format_float8(v.f);
    case cval::k::text:
      return v.s;
    case cval::k::array: {
      std::string out = "{";
      for (size_t i = 0; i < v.elems->size(); ++i) {
        if (i > 0)
          out += ',';
        out += (*v.elems)[i].null() ? "NULL" : text_of((*v.elems)[i]);
      }
      return out + "}";
    }
  }
  return {};
}

inline cval array_of(std::vector<cval> xs) {
  cval v;
  v.kind = cval::k::array;
  v.type = 1009; // text[]
  v.elems = std::make_shared<const std::vector<cval>>(std::move(xs));
  return v;
}

inline bool is_text(const cval& v) {
  return v.kind == cval::k::text;
}

/// `v` read as `like`'s kind, as PostgreSQL resolves a quoted literal
/// against the other operand.
inline cval coerce_like(const cval& v, const cval& like) {
  if (v.null() || v.kind != cval::k::text || v.type != oid::unknown || like.null())
    return v;
  switch (like.kind) {
    case cval::k::integer: {
      int64_t x = 0;
      auto r = std::from_chars(v.s.data(), v.s.data() + v.s.size(), x);
      if (r.ec != std::errc{} || r.ptr != v.s.data() + v.s.size())
        fail("22P02", "invalid input syntax for type " + std::string{like.type == oid_type ? "oid" : "integer"}
                        + ": \"" + v.s + "\"");
      return cval::of_int(x, like.type);
    }
    case cval::k::real:
      return cval::of_real(std::strtod(v.s.c_str(), nullptr));
    case cval::k::boolean: {
      std::string l = v.s;
      for (auto& ch : l)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (l == "t" || l == "true" || l == "on" || l == "yes" || l == "1")
        return cval::of_bool(true);
      if (l == "f" || l == "false" || l == "off" || l == "no" || l == "0")
        return cval::of_bool(false);
      fail("22P02", "invalid input syntax for type boolean: \"" + v.s + "\"");
    }
    default:
      return cval::of_text(v.s, like.type);
  }
}

/// -1, 0, 1; both not NULL.
inline int compare(cval a, cval b) {
  a = coerce_like(a, b);
  b = coerce_like(b, a);
  if ((a.kind == cval::k::integer || a.kind == cval::k::real)
      && (b.kind == cval::k::integer || b.kind == cval::k::real)) {
    if (a.kind == cval::k::integer && b.kind == cval::k::integer)
      return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
    double x = a.kind == cval::k::real ? a.f : static_cast<double>(a.i);
    double y = b.kind == cval::k::real ? b.f : static_cast<double>(b.i);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.kind == cval::k::boolean && b.kind == cval::k::boolean)
    return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  if (a.kind == cval::k::array || b.kind == cval::k::array)
    fail("0A000", "comparing arrays is not supported in catalog queries yet");
  if (a.kind != b.kind && !(is_text(a) && is_text(b)))
    fail("42883", "operator does not exist for these types in a catalog query");
  int c = text_of(a).compare(text_of(b));
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

inline bool equal_rows(const std::vector<cval>& a, const std::vector<cval>& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].null() != b[i].null())
      return false;
    if (!a[i].null() && compare(a[i], b[i]) != 0)
      return false;
  }
  return true;
}

// -- the relations ----------------------------------------------------------------

struct relation {
  std::vector<std::string> columns;
  std::vector<int32_t> types;
  std::vector<std::vector<cval>> rows;

  int find(std::string_view c) const {
    for (size_t i = 0; i < columns.size(); ++i)
      if (columns[i] == c)
        return static_cast<int>(i);
    return -1;
  }
};

constexpr int64_t pg_catalog_ns = 11;
constexpr int64_t public_ns = 2200;
constexpr int64_t information_schema_ns = 13000;
constexpr int64_t internal_ns = 13001;
constexpr int64_t information_ns = 13002;
constexpr int64_t superuser = 10;
constexpr int64_t heap_am = 2;
constexpr int64_t default_collation = 100;

struct type_row {
  int32_t oid;
  const char* name;
  int16_t len;
  char category;
  int32_t collation;
  const char* sql_name; ///< format_type()'s name
};

const std::vector<type_row>& types();
const type_row* type_by_oid(int64_t o);

class catalog_relations {
public:
  explicit catalog_relations(const messages::catalog_snapshot& snap) : snap_(snap) {
    for (const auto& t : snap.tables)
      classes_.push_back({t.oid, t.name, public_ns, &t, nullptr});
    for (const auto& c : snap.chunks) {
      const messages::create_table* parent = nullptr;
      for (const auto& t : snap.tables)
        if (t.name == c.hypertable)
          parent = &t;
      if (parent != nullptr && c.oid != 0)
        classes_.push_back({c.oid, c.table_name, internal_ns, parent, &c});
    }
  }

  /// Whether `name` is a pg_catalog relation this executor provides.
  /// (build() is the one list of them: asked of an empty catalog.)
  static bool known(const std::string& name) {
    if (name.rfind("pg_", 0) != 0)
      return false;
    static const messages::catalog_snapshot none;
    return catalog_relations{none}.build(name).has_value();
  }

  const relation* get(const std::string& name) {
    if (auto it = built_.find(name); it != built_.end())
      return &it->second;
    auto r = build(name);
    if (!r)
      return nullptr;
    return &built_.emplace(name, std::move(*r)).first->second;
  }

  /// regclass output: the name, schema-qualified when not on the search path.
  std::string regclass(int64_t o) const {
    for (const auto& c : classes_)
      if (c.oid == o)
        return c.ns == public_ns ? c.name : std::string{internal_schema} + "." + c.name;
    return std::to_string(o);
  }

  std::optional<int64_t> oid_of_class(std::string_view name) const {
    std::string_view n = name;
    int64_t ns = public_ns;
    if (auto dot = n.find('.'); dot != std::string_view::npos) {
      auto schema = n.substr(0, dot);
      n = n.substr(dot + 1);
      ns = schema == "public" ? public_ns : schema == internal_schema ? internal_ns : -1;
    }
    for (const auto& c : classes_)
      if (c.name == n && c.ns == ns)
        return c.oid;
    return std::nullopt;
  }

  bool visible(int64_t o) const {
    for (const auto& c : classes_)
      if (c.oid == o)
        return c.ns == public_ns;
    return false;
  }

private:
  struct class_row {
    int64_t oid;
    std::string name;
    int64_t ns;
    const messages::create_table* table; ///< the table, or a chunk's hypertable
    const messages::chunk_info* chunk;   ///< set for chunks
  };

  static relation shape(std::initializer_list<std::pair<const char*, int32_t>> cols) {
    relation r;
    for (const auto& [n, t] : cols) {
      r.columns.emplace_back(n);
      r.types.push_back(t);
    }
    return r;
  }

  std::optional<relation> build(const std::string& name) const;


  const messages::catalog_snapshot& snap_;
  std::vector<class_row> classes_;
  std::map<std::string, relation> built_;
};

/// A binary operator of a catalog query (catalog_operators.cpp).
cval apply_operator(const std::string& name, const cval& l, const cval& r, int32_t location);

/// LIKE: % any run, _ one character, \ escapes the next.
using planner::like_match;

} // namespace hypertide::planner::catalog_detail

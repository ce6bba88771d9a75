#pragma once

// Small readers of libpg_query's protobuf parse tree, shared by the
// statement planners. Internal to planner/.

#include <pg_query/pg_query.pb-c.h>

#include <cctype>
#include <string>
#include <string_view>

namespace hypertide::planner::pg_nodes {

using node = PgQuery__Node;

/// protobuf-c gives "" for an absent string field.
inline bool has(const char* s) {
  return s != nullptr && *s != '\0';
}

inline const char* string_of(const node* n) {
  return n != nullptr && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : nullptr;
}

/// `s` in lower case (ASCII), as PostgreSQL folds unquoted identifiers.
inline std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The last name of a qualified name list ("pg_catalog"."int4" -> "int4").
inline std::string last_name(size_t n, node** names) {
  if (n == 0)
    return {};
  const char* s = string_of(names[n - 1]);
  return s ? s : "";
}

} // namespace hypertide::planner::pg_nodes

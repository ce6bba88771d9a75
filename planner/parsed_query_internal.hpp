#pragma once

// parsed_query's insides, shared by sql_session.cpp (which plans from the
// tree) and parse_cache.cpp (which hands out cached trees). Internal to
// planner/.

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <memory>
#include <string>
#include <vector>

#include "planner/sql_session.hpp"

namespace hypertide::planner {

/// A parse tree that the parse cache keeps for its query shape.
struct cached_tree {
  PgQuery__ParseResult* tree = nullptr;
  /// The string constants (text and non-integer numbers) a later query's
  /// literals were written into: the tree's field, the string libpg_query
  /// allocated there (put back before the tree is freed), and the text the
  /// field points to now.
  struct rewritten {
    char** slot = nullptr;
    char* original = nullptr;
    std::string text;
  };
  std::vector<rewritten> strings;
  cached_tree() = default;
  cached_tree(const cached_tree&) = delete;
  cached_tree& operator=(const cached_tree&) = delete;
  ~cached_tree() {
    for (auto& r : strings)
      *r.slot = r.original;
    if (tree)
      pg_query__parse_result__free_unpacked(tree, nullptr);
  }
};

/// Where a literal of the text sits, and where it sat in the text the
/// cached tree was parsed from (error positions are the latter's).
struct literal_shift {
  uint32_t start = 0, length = 0;
  uint32_t cached_start = 0, cached_length = 0;
};

struct parsed_query::impl {
  std::string text;
  PgQueryProtobufParseResult parsed{};
  PgQuery__ParseResult* tree = nullptr;
  /// Set when `tree` is a cached one (not freed here).
  std::shared_ptr<cached_tree> shared;
  std::vector<literal_shift> shifts;
  ~impl() {
    if (tree && !shared)
      pg_query__parse_result__free_unpacked(tree, nullptr);
    pg_query_free_protobuf_parse_result(parsed);
  }
};

} // namespace hypertide::planner

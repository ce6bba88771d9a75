#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "planner/sql_session.hpp"

namespace hypertide::planner {

struct cached_tree;

/// Parse trees by query shape, for one session: the text of a query with
/// its literals ('text', 12, 1.5) taken out. libpg_query costs 50-90 µs for
/// a TSBS query (PostgreSQL's parser, then a protobuf pack and unpack), a
/// third of a small query's time on the node; a query of a shape seen
/// before instead gets the cached tree with its own literals written into
/// the tree's constants.
///
/// Only texts the literal scanner follows completely are cached (no
/// comments, dollar quotes, E'' strings or $n parameters), only single
/// SELECT and INSERT statements, and only when every literal of the text
/// is exactly one constant of the tree with the literal's value (checked
/// when the shape is first parsed). A cached tree in use by a running
/// query is not handed out again: that query parses afresh.
class parse_cache {
public:
  explicit parse_cache(size_t capacity = 32);
  ~parse_cache();
  parse_cache(const parse_cache&) = delete;
  parse_cache& operator=(const parse_cache&) = delete;

  /// The parsed query of `sql`.
  std::unique_ptr<parsed_query> parse(std::string_view sql);

  /// Shapes cached, and queries served from the cache (for tests).
  size_t size() const noexcept { return entries_.size(); }
  size_t hits() const noexcept { return hits_; }

  /// A literal of a query text: its bytes and what the lexer makes of it.
  struct literal {
    uint32_t start = 0, length = 0;
    char kind = 'S'; ///< 'S' string, 'I' integer that fits int4, 'F' other number
  };

  /// Scans `sql` for its literals and builds its shape `key` (the text with
  /// each literal replaced by a marker of its kind); false for a text the
  /// scanner does not follow completely.
  static bool scan(std::string_view sql, std::string& key, std::vector<literal>& literals);

private:
  struct constant;
  struct entry;
  std::unique_ptr<entry> learn(parsed_query& q, std::string_view sql,
                               const std::vector<literal>& literals);
  size_t capacity_;
  size_t hits_ = 0;
  std::unordered_map<std::string, std::unique_ptr<entry>> entries_;
};

} // namespace hypertide::planner

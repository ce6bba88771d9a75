#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chunkstore/time_bucket.hpp"
#include "chunkstore/types.hpp"

namespace hypertide::chunkstore {

/// Comparison operators of a predicate leaf.
enum class cmp_op : uint8_t { eq, ne, lt, le, gt, ge };

/// A filter as a tree with SQL's three-valued logic: a row passes when the
/// tree is TRUE (not FALSE, not NULL).
struct predicate {
  enum class kind : uint8_t {
    and_,        ///< all children
    or_,         ///< any child
    not_,        ///< the one child, negated
    compare,     ///< column op constant
    in_list,     ///< column IN (list)
    is_null,     ///< column IS NULL
    is_not_null, ///< column IS NOT NULL
    constant,    ///< TRUE, FALSE or NULL (`constant.is_null`)
  };

  kind k = kind::constant;
  int column = -1;
  cmp_op op = cmp_op::eq;
  value constant = value::of_int(column_type::boolean, 1);
  std::vector<value> list;
  std::vector<predicate> children;

  static predicate compare(int col, cmp_op op, value v) {
    predicate p;
    p.k = kind::compare;
    p.column = col;
    p.op = op;
    p.constant = std::move(v);
    return p;
  }
  static predicate in(int col, std::vector<value> vs) {
    predicate p;
    p.k = kind::in_list;
    p.column = col;
    p.list = std::move(vs);
    return p;
  }
  static predicate null_test(int col, bool is_null) {
    predicate p;
    p.k = is_null ? kind::is_null : kind::is_not_null;
    p.column = col;
    return p;
  }
  static predicate all_of(std::vector<predicate> ps) {
    predicate p;
    p.k = kind::and_;
    p.children = std::move(ps);
    return p;
  }
  static predicate any_of(std::vector<predicate> ps) {
    predicate p;
    p.k = kind::or_;
    p.children = std::move(ps);
    return p;
  }
  static predicate negate(predicate c) {
    predicate p;
    p.k = kind::not_;
    p.children.push_back(std::move(c));
    return p;
  }
};

/// A GROUP BY key: a column, or `time_bucket(...)` of a time column (for an
/// integer column, `bucket.width` and `bucket.offset` are plain integers).
struct group_key {
  enum class kind : uint8_t { column, time_bucket };
  kind k = kind::column;
  int column = -1;
  bucket_spec bucket;
};

/// The aggregate functions a chunk computes as mergeable partial states.
enum class agg_kind : uint8_t { count_star, count, sum, min, max, avg, first, last };

/// One aggregate: `kind(column)`, or `first/last(column, time_column)`.
struct aggregate {
  agg_kind kind = agg_kind::count_star;
  int column = -1;
  int time_column = -1;
};

/// A sort key of a raw scan: an index into the projection.
struct order_key {
  int index = 0;
  bool descending = false;
  bool nulls_first = false;
};

/// The part of a query that runs next to the data: filter, then either
/// grouped aggregation (`keys`/`aggregates`) or a projection of raw rows with
/// an optional top-N (`order` + `limit`).
struct fragment {
  std::string table;
  std::optional<predicate> filter;
  std::vector<group_key> keys;
  std::vector<aggregate> aggregates;
  std::vector<int> projection;
  std::vector<order_key> order;
  int64_t limit = -1;

  bool is_aggregate() const noexcept {
    return !keys.empty() || !aggregates.empty();
  }
};

/// Whether the result of one chunk still needs the merger to be the whole
/// query's: the one row of an aggregate without GROUP BY over no rows, or
/// the sort of an ORDER BY without LIMIT.
inline bool needs_merge(const fragment& f) noexcept {
  return f.is_aggregate() ? f.keys.empty() : !f.order.empty();
}

/// The type of group key `k` over a table with `schema`.
column_type key_type(const table_schema& schema, const group_key& k);

/// Checks column indexes and types of `f` against `schema`.
std::optional<pg_error> validate(const fragment& f, const table_schema& schema);

} // namespace hypertide::chunkstore

#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "planner/insert_builder.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::planner {

/// The sub-queries in a SELECT's own expressions -- `(SELECT ...)` as a
/// value, `EXISTS (...)`, `x IN (SELECT ...)` / `x = ANY (...)` -- and a
/// private copy of the statement in which each is replaced by its result
/// once it has run on its own (so a prepared statement stays as parsed).
class sublink_rewrite {
public:
  /// Nullptr when the SELECT's select list, WHERE, GROUP BY, HAVING and
  /// ORDER BY hold no sub-query (sub-selects in FROM run as they are).
  static std::shared_ptr<sublink_rewrite> of(const void* select_stmt);
  /// True when of() would find sub-queries (without copying anything).
  static bool any(const void* select_stmt);
  ~sublink_rewrite();
  sublink_rewrite(const sublink_rewrite&) = delete;
  sublink_rewrite& operator=(const sublink_rewrite&) = delete;

  /// The copy to run once every sub-query has its result.
  const void* statement() const noexcept { return copy_; }
  size_t count() const noexcept { return links_.size(); }
  /// Sub-query `i`'s SelectStmt (nullptr if it is not a SELECT).
  const void* subquery(size_t i) const;
  /// Puts sub-query `i`'s rows in its place: a typed constant (NULL for no
  /// row; 21000 for several), true or false, `x IN (constants)`.
  std::optional<positioned_error> set_result(size_t i, statement_result r);

private:
  sublink_rewrite() = default;
  void* copy_ = nullptr;
  std::vector<void*> links_;
};

} // namespace hypertide::planner

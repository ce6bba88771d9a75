#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chunkstore/partial_result.hpp"
#include "chunkstore/types.hpp"
#include "messages/codec.hpp"
#include "planner/select_planner.hpp"

namespace hypertide::planner {

/// What EXPLAIN ANALYZE measured.
struct explain_analysis {
  chunkstore::scan_stats stats;
  uint64_t rows_out = 0;
  double milliseconds = 0;
};

/// EXPLAIN's lines for a SELECT over `table`: the chunks kept and excluded,
/// what was pushed down to them, and the node's final step; with ANALYZE,
/// rows and time.
std::vector<std::string> explain_lines(const select_plan& plan,
                                       const chunkstore::table_schema& schema,
                                       const std::string& table,
                                       const std::vector<messages::chunk_info>& kept,
                                       uint64_t total_chunks,
                                       const std::optional<explain_analysis>& analysis);

} // namespace hypertide::planner

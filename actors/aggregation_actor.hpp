#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "actors/interfaces.hpp"
#include "chunkstore/partial_result.hpp"

namespace hypertide::actors {

/// State of one query on one node.
struct aggregation_state {
  static inline const char* name = "aggregation";
  std::optional<chunkstore::result_merger> merger;
  size_t pending = 0;
  bool failed = false;
  caf::typed_response_promise<std::vector<buffer>> promise;
  /// Raw rows without ORDER BY or LIMIT: the chunks' pieces, passed on as
  /// they are.
  std::vector<buffer> parts;
};

/// Fans `fragment` out to `chunks` at `snapshot`, merges their partial
/// results as they arrive and replies once; then quits.
aggregation_actor::behavior_type
aggregation_behavior(aggregation_actor::stateful_pointer<aggregation_state> self,
                     buffer fragment, chunkstore::fragment decoded,
                     chunkstore::table_schema schema, uint64_t snapshot,
                     std::vector<chunk_actor> chunks);

} // namespace hypertide::actors

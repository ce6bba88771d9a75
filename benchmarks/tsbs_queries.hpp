#pragma once

#include <string>
#include <vector>

#include "benchmarks/tsbs_data.hpp"
#include "chunkstore/fragment.hpp"

namespace hypertide::benchmarks {

/// TSBS devops queries over the cpu table (columns as in
/// tsbs_cpu_generator::schema()) as plan fragments, for benchmarks that
/// run below SQL.
namespace tsbs_query {

/// double-groupby-N: avg of the first `fields` usage fields per hour per
/// host over [start, end).
chunkstore::fragment double_groupby(int fields, chunkstore::timestamp start,
                                    chunkstore::timestamp end);

/// single-groupby-M-H-*: max of the first `fields` usage fields per minute
/// for `hosts` over [start, end).
chunkstore::fragment single_groupby(int fields, const std::vector<std::string>& hosts,
                                    chunkstore::timestamp start, chunkstore::timestamp end);

/// lastpoint: the last row of every host (last(field, time) per hostname).
chunkstore::fragment lastpoint();

} // namespace tsbs_query

} // namespace hypertide::benchmarks

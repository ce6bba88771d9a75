#pragma once

// DataRow messages written straight from raw rows in pieces
// (planner::column_rows): the session's hot path for large results, in
// plain C++ (no CAF).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "messages/buffer.hpp"
#include "planner/sql_session.hpp"

namespace hypertide::actors {

/// Appends DataRows of rows [from, to) of `p` to `out`, each column in the
/// format `formats` asks for (as Bind gives them: none = text, one for all,
/// or one per column; 1 = binary). Rows are written in place into memory
/// handed on without a copy: every ~256 KiB goes to `send` (after what
/// `out` held, which is sent first); the last rows stay in `out`, ahead
/// of what the caller appends next.
void write_data_rows(std::vector<char>& out, const planner::column_rows& p, size_t from,
                     size_t to, const std::vector<int16_t>& formats,
                     const std::function<void(messages::buffer)>& send);

} // namespace hypertide::actors

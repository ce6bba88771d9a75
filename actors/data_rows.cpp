// DataRow messages written straight from the chunks' column pieces (see
// data_rows.hpp): plain C++, kept out of the session actor's CAF unit.

#include "actors/data_rows.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
#include <string>

#include "planner/datetime.hpp"
#include "planner/extended_query.hpp"
#include "planner/pg_format.hpp"

namespace hypertide::actors {

namespace {

/// Bytes of rows gathered before they go to the connection: large results
/// stream rather than being built whole.
constexpr size_t send_batch_bytes = 256 << 10;

char* put_be32(char* p, uint32_t x) {
  p[0] = static_cast<char>(x >> 24);
  p[1] = static_cast<char>(x >> 16);
  p[2] = static_cast<char>(x >> 8);
  p[3] = static_cast<char>(x);
  return p + 4;
}

/// DataRows written in place into memory handed to the connection as it is
/// (a std::vector<char> would zero every byte it grows by first).
class row_chunk {
public:
  char* data() noexcept { return bytes_.get(); }
  size_t capacity() const noexcept { return cap_; }

  /// Makes room for `n` bytes past `used`, keeping [0, used).
  void reserve(size_t used, size_t n) {
    if (used + n <= cap_)
      return;
    size_t cap = std::max(used + n, send_batch_bytes + (64 << 10));
    std::shared_ptr<char[]> bytes{new char[cap]};
    if (used > 0)
      std::memcpy(bytes.get(), bytes_.get(), used);
    bytes_ = std::move(bytes);
    cap_ = cap;
  }

  /// The first `used` bytes as a buffer; the chunk starts over empty.
  messages::buffer take(size_t used) {
    auto data = reinterpret_cast<const uint8_t*>(bytes_.get());
    cap_ = 0;
    return messages::buffer::adopt(std::shared_ptr<const void>{std::move(bytes_), data},
                                   data, used);
  }

private:
  std::shared_ptr<char[]> bytes_;
  size_t cap_ = 0;
};


/// How a column's cells are written, chosen once per piece: the common
/// text forms inline, the rest through text_cell / binary_cell.
enum class cell_kind : uint8_t { other_text, binary, float8, int4, int8, timestamptz, timestamp, dict };

cell_kind kind_of(const chunkstore::column_view& c, int32_t oid, bool binary) {
  using chunkstore::column_type;
  if (binary)
    return cell_kind::binary;
  switch (c.type) {
    case column_type::float8: return oid == planner::oid::float4 ? cell_kind::other_text : cell_kind::float8;
    case column_type::int4: return cell_kind::int4;
    case column_type::int8: return cell_kind::int8;
    case column_type::timestamptz: return cell_kind::timestamptz;
    case column_type::timestamp: return cell_kind::timestamp;
    case column_type::text: return cell_kind::dict;
    default: return cell_kind::other_text;
  }
}

} // namespace

void write_data_rows(std::vector<char>& out, const planner::column_rows& p, size_t from,
                     size_t to, const std::vector<int16_t>& formats,
                     const std::function<void(messages::buffer)>& send) {
  using chunkstore::column_view;
  std::vector<bool> binary;
  for (size_t j = 0; j < p.columns.size(); ++j)
    binary.push_back(!formats.empty() && formats[formats.size() == 1 ? 0 : j] == 1);
  const int32_t* oids = p.oids.data();
  const size_t ncols = p.columns.size();
  row_chunk chunk;
  size_t used = 0;
  std::string spill;
  std::vector<const column_view*> cols(ncols);
  std::vector<cell_kind> kinds(ncols);
  p.for_each_range(from, to, [&](const chunkstore::batch_view& piece, size_t a, size_t b) {
    bool any_text = false;
    for (size_t j = 0; j < ncols; ++j) {
      cols[j] = &piece.columns[static_cast<size_t>(p.columns[j])];
      kinds[j] = kind_of(*cols[j], oids[j], binary[j]);
      any_text |= cols[j]->type == chunkstore::column_type::text;
    }
    for (size_t row = a; row < b; ++row) {
      // Room for the row: a cell is written in place, its length before it.
      size_t need = 7 + ncols * 68;
      if (any_text)
        for (const auto* c : cols)
          if (c->type == chunkstore::column_type::text)
            need += c->dict[c->codes[row]].size();
      chunk.reserve(used, need);
      size_t start = used;
      char* w = chunk.data() + used;
      *w++ = 'D';
      w += 4; // length, below
      *w++ = static_cast<char>(ncols >> 8);
      *w++ = static_cast<char>(ncols);
      for (size_t j = 0; j < ncols; ++j) {
        const auto* c = cols[j];
        if (!c->valid(row)) {
          w = put_be32(w, 0xffffffffu);
          continue;
        }
        char* cell = w + 4;
        char* end = nullptr;
        switch (kinds[j]) {
          case cell_kind::float8: end = planner::put_float8_text(cell, c->f64[row]); break;
          case cell_kind::int4: end = std::to_chars(cell, cell + 24, c->i32[row]).ptr; break;
          case cell_kind::int8: end = std::to_chars(cell, cell + 24, c->i64[row]).ptr; break;
          case cell_kind::timestamptz: end = planner::format_timestamp_to(cell, c->i64[row], true); break;
          case cell_kind::timestamp: end = planner::format_timestamp_to(cell, c->i64[row], false); break;
          case cell_kind::dict: {
            std::string_view v = c->dict[c->codes[row]];
            std::memcpy(cell, v.data(), v.size());
            end = cell + v.size();
            break;
          }
          default: {
            // Formatted into the message, or a view of a dictionary, a
            // literal or `spill` copied in.
            auto v = kinds[j] == cell_kind::binary
                       ? planner::binary_cell(*c, row, oids[j], cell, spill)
                       : planner::text_cell(*c, row, cell, oids[j]);
            if (v.data() != cell) {
              if (v.size() > 64 && c->type != chunkstore::column_type::text) {
                // A cell through `spill` (numeric's binary form of a long
                // value): more than the row's estimate allowed for.
                size_t at = static_cast<size_t>(w - chunk.data());
                chunk.reserve(at, 4 + v.size() + (ncols - j) * 68);
                w = chunk.data() + at;
                cell = w + 4;
              }
              std::memcpy(cell, v.data(), v.size());
            }
            end = cell + v.size();
          }
        }
        put_be32(w, static_cast<uint32_t>(end - cell));
        w = end;
      }
      put_be32(chunk.data() + start + 1, static_cast<uint32_t>(w - chunk.data() - start - 1));
      used = static_cast<size_t>(w - chunk.data());
      if (used >= send_batch_bytes) {
        // What `out` holds goes first.
        if (!out.empty()) {
          send(messages::buffer{std::move(out)});
          out = {};
        }
        send(chunk.take(used));
        used = 0;
      }
    }
  });
  // The last rows stay in `out`, ahead of what follows them.
  if (used > 0)
    out.insert(out.end(), chunk.data(), chunk.data() + used);
}

} // namespace hypertide::actors

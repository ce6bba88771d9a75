#include "actors/chunk_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <algorithm>

#include "messages/codec.hpp"

namespace hypertide::actors {

chunk_actor::behavior_type
chunk_behavior(chunk_actor::stateful_pointer<chunk_state> self, int32_t id,
               chunkstore::table_schema schema, int time_column, int series_column) {
  self->state.id = id;
  self->state.store = std::make_unique<chunkstore::chunk>(std::move(schema),
                                                          time_column, series_column);
  return {
    [=](append_atom, const buffer& part_buf, const buffer& batch_buf)
      -> caf::result<uint64_t> {
      // Buffers come from the catalog of this process: no verification.
      auto part = messages::decode_insert_part(part_buf, false);
      if (auto* e = std::get_if<chunkstore::pg_error>(&part))
        return make_pg_error(*e);
      auto batch = messages::decode_insert(batch_buf, false);
      if (auto* e = std::get_if<chunkstore::pg_error>(&batch))
        return make_pg_error(*e);
      const auto& p = std::get<messages::insert_part>(part);
      self->state.store->append(std::get<messages::insert_view>(batch).batch, p.rows,
                                p.at, p.horizon);
      return p.at;
    },
    [=](scan_atom, const buffer& fragment_buf, uint64_t snapshot)
      -> caf::result<std::vector<buffer>> {
      auto f = messages::decode_fragment(fragment_buf, false);
      if (auto* e = std::get_if<chunkstore::pg_error>(&f))
        return make_pg_error(*e);
      // Raw rows leave in pieces, each encoded while it is in cache; the
      // last piece carries the scan's stats.
      std::vector<buffer> pieces;
      auto r = self->state.store->execute(
        std::get<chunkstore::fragment>(f), snapshot, [&](const chunkstore::column_batch& rows) {
          pieces.push_back(messages::encode_rows(rows));
        });
      pieces.push_back(messages::encode_result(r));
      return pieces;
    },
    [=](stats_atom, uint64_t snapshot) -> caf::result<uint64_t, uint64_t> {
      const auto& c = *self->state.store;
      return {static_cast<uint64_t>(c.rows(snapshot)),
              static_cast<uint64_t>(c.memory_usage())};
    },
    [=](dump_atom, uint64_t snapshot, const std::string& table, uint64_t series,
        uint64_t row) -> caf::result<buffer, uint64_t, uint64_t, bool> {
      const auto& c = *self->state.store;
      // About 32 MiB of values a piece: a snapshot entry the size of a
      // large COPY slice.
      const size_t max_rows
        = std::max<size_t>(1024, (size_t{32} << 20) / (8 * c.schema().columns.size() + 1));
      chunkstore::chunk::dump_cursor cur{series, static_cast<uint32_t>(row)};
      chunkstore::column_batch out;
      bool more = c.dump(snapshot, cur, max_rows, out);
      return {out.rows() == 0 ? buffer{} : messages::encode_insert(table, out), cur.series,
              uint64_t{cur.row}, more};
    },
  };
}

} // namespace hypertide::actors

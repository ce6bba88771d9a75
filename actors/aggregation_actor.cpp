#include "actors/aggregation_actor.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "messages/codec.hpp"

namespace hypertide::actors {

aggregation_actor::behavior_type
aggregation_behavior(aggregation_actor::stateful_pointer<aggregation_state> self,
                     buffer fragment, chunkstore::fragment decoded,
                     chunkstore::table_schema schema, uint64_t snapshot,
                     std::vector<chunk_actor> chunks) {
  self->state.merger.emplace(decoded, schema);
  return {
    [=](run_atom) -> caf::result<std::vector<buffer>> {
      auto& st = self->state;
      st.promise = self->make_response_promise<std::vector<buffer>>();
      auto finish = [self] {
        auto& s = self->state;
        s.promise.deliver(std::vector<buffer>{messages::encode_result(s.merger->finish())});
        self->quit();
      };
      if (chunks.empty()) {
        finish();
        return st.promise;
      }
      // One chunk's result is already the node's: its bytes pass on as
      // they are.
      if (chunks.size() == 1 && !chunkstore::needs_merge(decoded)) {
        self->request(chunks.front(), caf::infinite, scan_atom_v, fragment, snapshot)
          .then(
            [self](std::vector<buffer>& pieces) {
              self->state.promise.deliver(std::move(pieces));
              self->quit();
            },
            [self](caf::error& err) {
              self->state.promise.deliver(std::move(err));
              self->quit();
            });
        return st.promise;
      }
      st.pending = chunks.size();
      // The first failure answers the query; the other replies are dropped.
      auto on_error = [self](caf::error& err) {
        auto& s = self->state;
        if (s.failed)
          return;
        s.failed = true;
        s.promise.deliver(std::move(err));
        self->quit();
      };
      if (!decoded.is_aggregate() && decoded.order.empty() && decoded.limit < 0) {
        // Raw rows, unordered, unlimited: the answer is the chunks' rows one
        // after the other, their pieces passed on uncopied.
        for (const auto& c : chunks) {
          self->request(c, caf::infinite, scan_atom_v, fragment, snapshot)
            .then(
              [self](std::vector<buffer>& pieces) {
                auto& s = self->state;
                if (s.failed)
                  return;
                for (auto& p : pieces)
                  s.parts.push_back(std::move(p));
                if (--s.pending == 0) {
                  s.promise.deliver(std::move(s.parts));
                  self->quit();
                }
              },
              on_error);
        }
        return st.promise;
      }
      for (const auto& c : chunks) {
        self->request(c, caf::infinite, scan_atom_v, fragment, snapshot)
          .then(
            [self, finish](const std::vector<buffer>& pieces) {
              auto& s = self->state;
              if (s.failed)
                return;
              auto r = messages::decode_result(messages::join_pieces(pieces), false);
              if (auto* p = std::get_if<chunkstore::partial_result>(&r);
                  p != nullptr && !s.merger->accepts(*p))
                r = chunkstore::pg_error{"XX000", "partial result does not fit the query", {}};
              if (auto* e = std::get_if<chunkstore::pg_error>(&r)) {
                s.failed = true;
                s.promise.deliver(make_pg_error(*e));
                self->quit();
                return;
              }
              s.merger->add(std::move(std::get<chunkstore::partial_result>(r)));
              if (--s.pending == 0)
                finish();
            },
            on_error);
      }
      return st.promise;
    },
  };
}

} // namespace hypertide::actors

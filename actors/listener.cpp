#include "actors/listener.hpp"

#include <memory>

#include <caf/io/receive_policy.hpp>
#include <caf/io/system_messages.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/session_actor.hpp"

namespace hypertide::actors {

namespace {

using caf::io::connection_handle;
using caf::io::receive_policy;

/// Reads of at most this many bytes go to the session as they come.
///
/// No flow control yet: CAF 0.17.6's ways of pausing a connection's reads
/// (trigger(hdl, n) activity tokens, and halt()/trigger()) both left
/// connections paused for good under two concurrent binary COPY clients
/// (the socket's receive queue full, nothing reading it; reproduced with
/// hypertide-bench load --workers 2 at 4,000 hosts x 14 h, three of four
/// runs). Bytes a session has not framed yet wait in its mailbox; a client
/// that sends faster than its session parses grows that mailbox, as it
/// grows the COPY batch the session builds anyway.
constexpr size_t bulk_read = 64 * 1024;

/// Reads start at this size. CAF's stream sizes its buffer to the read
/// size before every read, zero-filling what the last read left unused: a
/// 64 KiB buffer costs a 64 KiB memset for every 300-byte query (~12 % of
/// a light query's instructions). A read that fills the small buffer
/// (COPY data) moves the connection to bulk reads; a short read moves it
/// back.
constexpr size_t small_read = 4 * 1024;

caf::behavior connection_behavior(caf::io::broker* self, connection_handle hdl,
                                  catalog_actor catalog, int32_t pid) {
  auto session = self->spawn(session_behavior, caf::actor_cast<caf::actor>(self),
                             std::move(catalog), pid);
  // Linked both ways: a shutdown of the acceptor stops connection and session.
  self->link_to(session);
  auto read_size = std::make_shared<size_t>(small_read);
  self->configure_read(hdl, receive_policy::at_most(small_read));
  return {
    [=](const caf::io::new_data_msg& msg) {
      size_t n = msg.buf.size();
      if (*read_size == small_read ? n == small_read : n < small_read) {
        *read_size = *read_size == small_read ? bulk_read : small_read;
        self->configure_read(hdl, receive_policy::at_most(*read_size));
      }
      self->send(session, wire_atom_v, messages::buffer{msg.buf});
    },
    [=](wire_atom, const messages::buffer& bytes) {
      self->write(hdl, bytes.size(), bytes.data());
      self->flush(hdl);
    },
    [=](close_atom) {
      self->close(hdl);
      self->unlink_from(session);
      self->quit();
    },
    [=](const caf::io::connection_closed_msg&) {
      self->unlink_from(session);
      self->send(session, close_atom_v);
      self->quit();
    },
  };
}

} // namespace

caf::behavior acceptor_behavior(caf::io::broker* self, catalog_actor catalog) {
  auto next_pid = std::make_shared<int32_t>(1000);
  return {
    [=](listen_atom, const std::string& address, uint16_t port) -> caf::result<uint16_t> {
      auto r = self->add_tcp_doorman(port, address.c_str(), true);
      if (!r)
        return std::move(r.error());
      return r->second;
    },
    [=](const caf::io::new_connection_msg& msg) {
      // Linked: when the acceptor stops (shutdown), its connections stop too.
      auto conn = self->fork(connection_behavior, msg.handle, catalog, (*next_pid)++);
      self->link_to(conn);
    },
    [=](const caf::io::acceptor_closed_msg&) { self->quit(); },
  };
}

} // namespace hypertide::actors

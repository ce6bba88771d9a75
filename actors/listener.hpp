#pragma once

#include <caf/io/broker.hpp>

#include "actors/interfaces.hpp"

namespace hypertide::actors {

/// Accepts PostgreSQL connections on one address and port. Bound with
/// (listen_atom, address, port) -> the actual port. Each connection gets a
/// broker that moves bytes between its socket and a session actor
/// (actors/session_actor.hpp) running on the scheduler, so sessions parse,
/// plan and format in parallel rather than on the I/O thread.
caf::behavior acceptor_behavior(caf::io::broker* self, catalog_actor catalog);

} // namespace hypertide::actors

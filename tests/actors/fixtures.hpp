#pragma once

// The two fixtures of the actor tests: a real actor system with a node in
// it, and CAF's deterministic test scheduler for step-by-step runs.

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/node.hpp"
#include "chunkstore/column_batch.hpp"

namespace hypertide::test {

/// A real (threaded) actor system with one node.
struct real_node_fixture {
  struct config : caf::actor_system_config {
    config() { set("scheduler.max-threads", 2); }
  };
  config cfg;
  caf::actor_system sys{cfg};
  actors::node node{sys};
};

/// An actor system on CAF's deterministic scheduler: nothing runs until a
/// test runs jobs, in an order the test chooses.
struct deterministic_fixture {
  struct config : caf::actor_system_config {
    config() { set("scheduler.policy", caf::atom("testing")); }
  };
  config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
};

/// Unwraps a result, failing the test with the PostgreSQL error.
template <class T>
T expect_ok(messages::result<T> r) {
  if (auto* e = std::get_if<chunkstore::pg_error>(&r))
    BOOST_FAIL("unexpected error " << e->sqlstate << ": " << e->message);
  return std::get<T>(std::move(r));
}

/// The SQLSTATE of a failed result ("" when it succeeded).
template <class T>
std::string sqlstate_of(const messages::result<T>& r) {
  auto* e = std::get_if<chunkstore::pg_error>(&r);
  return e ? e->sqlstate : std::string{};
}

} // namespace hypertide::test

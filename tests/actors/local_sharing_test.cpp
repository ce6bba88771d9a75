// The node's scheduler (actors/local_sharing.hpp): a message that is the
// only waiting job stays on the worker that sent it, but a fan-out must
// still reach the other worker, or a query's chunks would scan one after
// the other.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/local_sharing.hpp"

namespace {

struct sharing_config : caf::actor_system_config {
  sharing_config() {
    set("scheduler.max-threads", 2);
    set("scheduler.policy", caf::atom("sharing"));
    module_factories.push_back(hypertide::actors::make_scheduler);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_fan_out_runs_on_both_workers) {
  sharing_config cfg;
  caf::actor_system sys{cfg};
  // Two actors that each wait (at most 10 s) for the other to start: both
  // meet only if they run at the same time, one on each worker.
  std::atomic<int> started{0};
  std::atomic<int> met{0};
  std::atomic<int> done{0};
  auto waiter = [&](caf::event_based_actor* self) -> caf::behavior {
    return {
      [&, self](int) {
        ++started;
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (started.load() < 2 && std::chrono::steady_clock::now() < give_up)
          std::this_thread::yield();
        if (started.load() >= 2)
          ++met;
        ++done;
        self->quit();
      },
    };
  };
  for (int round = 0; round < 3; ++round) {
    started = 0;
    met = 0;
    done = 0;
    auto b = sys.spawn(waiter);
    auto c = sys.spawn(waiter);
    // Both messages sent by an actor on a worker: the second finds the
    // first still waiting.
    sys.spawn([b, c](caf::event_based_actor* self) {
      self->send(b, 1);
      self->send(c, 2);
    });
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (done.load() < 2 && std::chrono::steady_clock::now() < give_up)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    BOOST_REQUIRE_EQUAL(done.load(), 2);
    BOOST_CHECK_EQUAL(met.load(), 2);
  }
}

BOOST_AUTO_TEST_CASE(the_policy_follows_the_setting) {
  // 'sharing' gets local_sharing; anything else CAF's work stealing, as
  // without the factory.
  sharing_config cfg;
  caf::actor_system sys{cfg};
  BOOST_CHECK(dynamic_cast<caf::scheduler::coordinator<hypertide::actors::local_sharing>*>(
                &sys.scheduler())
              != nullptr);
}

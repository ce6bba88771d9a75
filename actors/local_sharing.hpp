#pragma once

// CAF's work-sharing scheduler, keeping a message's work on the thread that
// sent it when nothing else waits.

#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/settings.hpp>
#include <caf/scheduler/coordinator.hpp>

namespace hypertide::actors {

/// work_sharing, except for one case: an actor running on a worker that
/// makes a single actor runnable (a request to the catalog, a chunk's
/// reply to a session) does not wake a sleeping worker for it. The
/// sending worker takes it as soon as its own message is done, with the
/// caches warm. A query is a chain of such hops; CAF's policy woke the
/// other worker for each, so the chain bounced between two threads, a
/// futex wake-up and a context switch a hop. When more than one job waits
/// (an aggregation actor's fan-out to its chunks, a second session) the
/// other worker is woken as before, so work still spreads over both cores.
class local_sharing : public caf::policy::work_sharing {
public:
  template <class Worker>
  void internal_enqueue(Worker* self, caf::resumable* job) {
    auto& data = d(self->parent());
    std::unique_lock<std::mutex> guard(data.lock);
    data.queue.push_back(job);
    if (data.queue.size() > 1)
      data.cv.notify_one();
  }
};

/// A module factory for actor_system_config::module_factories: the
/// scheduler `scheduler.policy` names, with local_sharing for 'sharing'.
inline caf::actor_system::module* make_scheduler(caf::actor_system& sys) {
  auto policy = caf::get_or(sys.config(), "scheduler.policy", caf::atom("stealing"));
  if (policy == caf::atom("sharing"))
    return new caf::scheduler::coordinator<local_sharing>(sys);
  return new caf::scheduler::coordinator<caf::policy::work_stealing>(sys);
}

} // namespace hypertide::actors

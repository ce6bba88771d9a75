// The hypertide node binary: `hypertide [--config-file=FILE] [--hypertide.port=N ...]`.
// With no file it runs a stand-alone node on 127.0.0.1:5433.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <mimalloc.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exec_main.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/node.hpp"
#include "chunkstore/block_arena.hpp"
#include "actors/node_options.hpp"
#include "actors/listener.hpp"
#include "wal/lsn.hpp"
#include "actors/local_sharing.hpp"

namespace {

using namespace hypertide;

struct config : caf::actor_system_config {
  actors::node_options opts;
  config() {
    opt_group{custom_options_, "hypertide"}
      .add(opts.node_name, "node-name", "name of this node (default hypertide)")
      .add(opts.listen_address, "listen-address",
           "address the PostgreSQL listener binds (default 127.0.0.1)")
      .add(opts.port, "port", "PostgreSQL wire protocol port (default 5433)")
      .add(opts.cluster_port, "cluster-port", "node-to-node port, 0 = off (default 0)")
      .add(opts.data_dir, "data-dir", "data directory: the write-ahead log (default none)")
      .add(opts.synchronous_commit, "synchronous-commit",
           "on|local|off: acknowledge commits once flushed, or at once (default on)")
      .add(opts.wal_writer_delay_ms, "wal-writer-delay",
           "milliseconds before an unsynchronous commit is flushed (default 200)")
      .add(opts.max_wal_size_mb, "max-wal-size",
           "megabytes of WAL that trigger a checkpoint at half of them (default 1024)")
      .add(opts.checkpoint_timeout_s, "checkpoint-timeout",
           "seconds between automatic checkpoints, 30-86400 (default 300)")
      .add(opts.wal_segment_size_mb, "wal-segment-size",
           "megabytes per WAL segment of a new log, a power of two 1-1024 (default 64)")
      .add(opts.wal_init_zero, "wal-init-zero",
           "fill new WAL segments with zeros before use (default true)")
      .add(opts.huge_pages, "huge-pages",
           "try|on|off: transparent huge pages for the rows' memory (default try)")
      .add(opts.truncate_corrupt_wal, "truncate-corrupt-wal",
           "start even if the WAL is damaged before its end, losing what follows (default "
           "false)");
    // Two workers on this 2-core machine and no polling: CAF's defaults
    // (4 work-stealing workers) cost 3-5x in request latency here.
    set("scheduler.max-threads", 2);
    set("scheduler.policy", caf::atom("sharing"));
    set("middleman.workers", 0);
    module_factories.push_back(actors::make_scheduler);
  }
};

std::atomic<int> stop_signal{0};

extern "C" void on_signal(int sig) {
  stop_signal = sig;
}

int run(caf::actor_system& sys, const config& cfg) {
  // CAF drops ill-typed values of a config file without a word: read the
  // file again and refuse to start on anything wrong.
  std::vector<std::string> errors;
  if (!cfg.config_file_path.empty()) {
    std::ifstream in{cfg.config_file_path};
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      actors::node_options from_file;
      for (auto& e : actors::check_config_text(text.str(), from_file))
        errors.push_back(cfg.config_file_path + ": " + e);
    }
  }
  for (auto& e : actors::check_options(cfg.opts))
    errors.push_back(e);
  if (!errors.empty()) {
    for (const auto& e : errors)
      std::fprintf(stderr, "hypertide: invalid configuration: %s\n", e.c_str());
    return 1;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  chunkstore::block_arena::use_huge_pages(cfg.opts.huge_pages != "off");

  actors::node node{sys, actors::node::durability{
                           cfg.opts.data_dir, cfg.opts.synchronous_commit != "off",
                           static_cast<int>(cfg.opts.wal_writer_delay_ms),
                           uint64_t{cfg.opts.max_wal_size_mb} << 20,
                           uint64_t{cfg.opts.checkpoint_timeout_s} * 1000,
                           cfg.opts.truncate_corrupt_wal, cfg.opts.wal_init_zero,
                           uint64_t{cfg.opts.wal_segment_size_mb} << 20}};
  if (const auto& e = node.startup_error()) {
    std::fprintf(stderr, "hypertide: %s (SQLSTATE %s)\n", e->message.c_str(), e->sqlstate.c_str());
    return 1;
  }
  if (!cfg.opts.data_dir.empty()) {
    std::printf("hypertide: replayed %llu records from %s (checkpoint at %s)%s%s\n",
                static_cast<unsigned long long>(node.replayed_records()),
                cfg.opts.data_dir.c_str(),
                node.recovered_checkpoint() == 0
                  ? "none"
                  : wal::format_lsn(node.recovered_checkpoint()).c_str(),
                node.torn_tail().empty() ? "" : "; cut a torn tail: ", node.torn_tail().c_str());
    std::fflush(stdout);
  }
  auto acceptor = sys.middleman().spawn_broker(actors::acceptor_behavior, node.catalog());
  uint16_t port = 0;
  caf::error bind_error;
  {
    caf::scoped_actor self{sys};
    self->request(acceptor, std::chrono::seconds(10), actors::listen_atom_v,
                  cfg.opts.listen_address, cfg.opts.port)
      .receive([&](uint16_t p) { port = p; }, [&](caf::error& e) { bind_error = e; });
  }
  if (bind_error) {
    std::fprintf(stderr, "hypertide: could not listen on %s:%u: %s\n",
                 cfg.opts.listen_address.c_str(), cfg.opts.port,
                 sys.render(bind_error).c_str());
    caf::anon_send_exit(acceptor, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::printf("hypertide: node \"%s\" accepting PostgreSQL connections on %s:%u\n",
              cfg.opts.node_name.c_str(), cfg.opts.listen_address.c_str(), port);
  std::fflush(stdout);
  while (stop_signal == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::printf("hypertide: received %s, shutting down\n",
              stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);
  caf::anon_send_exit(acceptor, caf::exit_reason::user_shutdown);
  node.stop();
  return 0;
}

} // namespace

namespace {

int exit_code = 0;

void caf_main(caf::actor_system& sys, const config& cfg) {
  exit_code = run(sys, cfg);
}

} // namespace

/// `--help`: the node's own options with their defaults (CAF's --help
/// shows only its global group; --long-help shows everything).
bool print_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "-?" || a == "--help") {
      actors::node_options d;
      std::printf(
        "usage: hypertide [--config-file=FILE] [--hypertide.<option>=VALUE ...]\n"
        "\n"
        "Starts a hypertide node. With no config file: a stand-alone node on\n"
        "127.0.0.1:5433. Options go in the [hypertide] section of the file or on\n"
        "the command line:\n"
        "  --config-file=FILE              config file (default: caf-application.ini)\n"
        "  --hypertide.node-name=NAME      name of this node (default: %s)\n"
        "  --hypertide.listen-address=ADDR address the PostgreSQL listener binds\n"
        "                                  (default: %s)\n"
        "  --hypertide.port=N              PostgreSQL wire protocol port (default: %u)\n"
        "  --hypertide.cluster-port=N      node-to-node port, 0 = off (default: %u)\n"
        "  --hypertide.data-dir=DIR        data directory: every change is logged;\n"
        "                                  a start loads the last checkpoint and\n"
        "                                  replays the log (default: none, in memory)\n"
        "  --hypertide.synchronous-commit=on|local|off\n"
        "                                  acknowledge a commit once it is on disk,\n"
        "                                  or at once (default: on)\n"
        "  --hypertide.wal-writer-delay=MS flush delay with synchronous-commit=off\n"
        "                                  (default: 200)\n"
        "  --hypertide.max-wal-size=MB     a checkpoint once the log has grown by\n"
        "                                  half of this (default: 1024)\n"
        "  --hypertide.checkpoint-timeout=S\n"
        "                                  seconds between checkpoints, 30-86400,\n"
        "                                  when anything was logged (default: 300)\n"
        "  --hypertide.wal-segment-size=MB megabytes per WAL segment, a power of two\n"
        "                                  1-1024, when the log is created (default: 64)\n"
        "  wal-init-zero=false             (config file only) new WAL segments are\n"
        "                                  not zero-filled first: faster bulk loads,\n"
        "                                  slower small commits (default: true)\n"
        "  --hypertide.huge-pages=try|on|off\n"
        "                                  transparent huge pages for the rows: off\n"
        "                                  loads faster, scans slower (default: try)\n"
        "  --hypertide.truncate-corrupt-wal\n"
        "                                  start even if the log is damaged before\n"
        "                                  its end, cutting it there (default: off)\n"
        "  --scheduler.max-threads=N       actor worker threads (default: 2)\n"
        "  --scheduler.policy=sharing      'sharing' (a central queue; a message's work\n"
        "                                  stays on the thread that sent it when nothing\n"
        "                                  else waits) or 'stealing' (default: sharing)\n"
        "  --long-help                     every option, CAF's own included\n",
        d.node_name.c_str(), d.listen_address.c_str(), d.port, d.cluster_port);
      return true;
    }
  }
  return false;
}

int main(int argc, char** argv) {
  if (print_help(argc, argv))
    return 0;
  // Keep freed pages 10 s before giving them back to the OS (mimalloc's
  // default: 25 ms). A query that returns a million rows allocates
  // hundreds of MB of short-lived buffers; faulting them in afresh, zeroed
  // by the kernel, cost a quarter of high-cpu-all's server CPU
  // (benchmarks/RESULTS.md). Memory goes back once the node is quiet.
  mi_option_set(mi_option_decommit_delay, 10'000);
  int rc = caf::exec_main<caf::io::middleman>(caf_main, argc, argv);
  return rc != 0 ? rc : exit_code;
}

// The write-ahead log against the disk it writes to: WAL append throughput
// (log_writer with the node's settings: 64 MiB segments, zero-filled when
// created, and without zero fill) beside the raw sequential write speed of
// the same directory, at the same flush cadence, in the same run. Records
// are real insert records: TSBS cpu rows encoded as InsertBatch FlatBuffers,
// so rows/s is what the log can take.
//
// Environment: HT_WAL_DIR (/tmp/hypertide-wal-bench: put it on the disk a
// node's data-dir would use), HT_WAL_MB (1024 MiB written per iteration).

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "benchmarks/bench_util.hpp"
#include "benchmarks/tsbs_data.hpp"
#include "messages/codec.hpp"
#include "wal/control_file.hpp"
#include "wal/log_writer.hpp"
#include "wal/posix_file_system.hpp"
#include "wal/segments.hpp"

namespace {

using namespace hypertide;
namespace fs = std::filesystem;

std::string bench_dir() {
  const char* d = std::getenv("HT_WAL_DIR");
  return d != nullptr && *d != '\0' ? d : "/tmp/hypertide-wal-bench";
}

uint64_t total_bytes() {
  return static_cast<uint64_t>(benchmarks::env_or("HT_WAL_MB", 1024)) << 20;
}

/// One insert record: 10,000 TSBS cpu rows as the catalog logs them.
struct record {
  messages::buffer bytes;
  size_t rows = 0;
};

const record& insert_record() {
  static const record r = [] {
    benchmarks::tsbs_options o;
    o.hosts = 1000;
    benchmarks::tsbs_cpu_generator gen{o};
    chunkstore::column_batch b;
    record out;
    out.rows = gen.next(b, 10'000);
    out.bytes = messages::encode_insert("cpu", b);
    return out;
  }();
  return r;
}

/// A fresh, empty directory.
std::string fresh_dir(const std::string& name) {
  std::string d = bench_dir() + "/" + name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

/// Raw: 1 MiB pwrites to a new file, fdatasync every `flush_mib` MiB.
void BM_raw_sequential_write(benchmark::State& state) {
  const auto flush_bytes = static_cast<uint64_t>(state.range(0)) << 20;
  const uint64_t total = total_bytes();
  std::vector<char> buf(size_t{1} << 20, 'x');
  for (auto _ : state) {
    std::string dir = fresh_dir("raw");
    int fd = ::open((dir + "/file").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) {
      state.SkipWithError("cannot create the file");
      return;
    }
    uint64_t since_sync = 0;
    for (uint64_t off = 0; off < total; off += buf.size()) {
      if (::pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(off)) < 0)
        state.SkipWithError("pwrite failed");
      since_sync += buf.size();
      if (since_sync >= flush_bytes) {
        ::fdatasync(fd);
        since_sync = 0;
      }
    }
    ::fdatasync(fd);
    ::close(fd);
    state.PauseTiming();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * total));
}

/// The log: insert records appended, flushed (write + fdatasync) every
/// `flush_mib` MiB; arg 1: zero-filled segments (the node's setting).
void BM_wal_append(benchmark::State& state) {
  const auto flush_bytes = static_cast<uint64_t>(state.range(0)) << 20;
  const bool zero_fill = state.range(1) != 0;
  const uint64_t total = total_bytes();
  const record& rec = insert_record();
  uint64_t rows = 0, payload = 0;
  for (auto _ : state) {
    std::string dir = fresh_dir("wal");
    {
      auto wfs = wal::posix_file_system::open_dir(dir);
      auto ctl = wal::init_control(*wfs, wal::default_segment_size);
      wal::writer_options wo;
      wo.zero_fill = zero_fill;
      auto w = wal::log_writer::open(*wfs, *ctl,
                                     wal::first_record_lsn(1, wal::default_segment_size), wo);
      if (!w) {
        state.SkipWithError(w.err().message.c_str());
        return;
      }
      uint64_t since_flush = 0;
      for (uint64_t written = 0; written < total; written += rec.bytes.size()) {
        if (!w->append(wal::record_kind::insert, {rec.bytes.data(), rec.bytes.size()}))
          state.SkipWithError("append failed");
        rows += rec.rows;
        payload += rec.bytes.size();
        since_flush += rec.bytes.size();
        if (since_flush >= flush_bytes) {
          if (!w->flush())
            state.SkipWithError("flush failed");
          since_flush = 0;
        }
      }
      if (!w->flush())
        state.SkipWithError("flush failed");
    }
    state.PauseTiming();
    fs::remove_all(dir);
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(payload));
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(rows),
                                                benchmark::Counter::kIsRate);
  state.counters["bytes/row"] = static_cast<double>(rec.bytes.size())
                                / static_cast<double>(rec.rows);
}

// Flush cadences: every 1 MiB (a COPY statement of ~10,000 rows a commit)
// and every 32 MiB (the node's COPY slices).
BENCHMARK(BM_raw_sequential_write)->Arg(1)->Arg(32)->Unit(benchmark::kMillisecond)
  ->Iterations(3)->UseRealTime();
BENCHMARK(BM_wal_append)->Args({1, 1})->Args({32, 1})->Args({1, 0})->Args({32, 0})
  ->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

} // namespace

BENCHMARK_MAIN();

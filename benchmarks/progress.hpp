#pragma once

// Progress of a load: a bar redrawn in place on a terminal (rows/s,
// elapsed, ETA), plain lines every few seconds otherwise.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace hypertide::benchmarks {

/// Counts rows done by any thread and shows them from a thread of its own
/// until stop().
class progress {
public:
  /// `total` rows expected; output goes to `out`, as a bar when `out` is a
  /// terminal. `every` is the seconds between plain lines (0: 10 s, or
  /// 0.2 s redraws of the bar).
  progress(uint64_t total, FILE* out, double every);
  ~progress();
  progress(const progress&) = delete;
  progress& operator=(const progress&) = delete;

  /// Counts `n` more rows done.
  void add(uint64_t n) noexcept { done_.fetch_add(n, std::memory_order_relaxed); }

  /// Stops the thread and ends the bar's line.
  void stop();

  /// Rows counted so far.
  uint64_t done() const noexcept { return done_.load(std::memory_order_relaxed); }
  /// Seconds since construction.
  double elapsed() const;

private:
  void show(bool last);
  void loop();

  uint64_t total_;
  FILE* out_;
  bool tty_;
  std::chrono::duration<double> every_;
  std::chrono::steady_clock::time_point t0_;
  std::atomic<uint64_t> done_{0};
  std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

/// `1.23 M`, `456.7 k`, `89`: a rate or count for people.
std::string human(double x);

} // namespace hypertide::benchmarks

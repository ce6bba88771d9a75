#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include <benchmark/benchmark.h>

namespace hypertide::benchmarks {

/// Resident set size of this process in bytes.
inline uint64_t resident_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr)
    return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

/// An integer from the environment, or `fallback`.
inline long env_or(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtol(v, nullptr, 10) : fallback;
}

/// Doubles one core sums per second, reading sequentially from memory: the
/// read rate the aggregation kernels are compared with. Sums `n` doubles
/// with eight accumulators, as the kernels do.
inline double sequential_sum(const std::vector<double>& v) {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0, n = v.size();
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l)
      a[l] += v[i + static_cast<size_t>(l)];
  for (; i < n; ++i)
    a[0] += v[i];
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/// Sums 512 MiB of doubles (far past every cache) on one core per
/// iteration: the memory read rate the aggregation kernels compare with.
template <class State>
void memory_read(State& state) {
  std::vector<double> v(64u << 20);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<double>(i & 1023);
  for (auto _ : state)
    benchmark::DoNotOptimize(sequential_sum(v));
  state.counters["doubles_per_s"] = benchmark::Counter(
    static_cast<double>(v.size()), benchmark::Counter::kIsIterationInvariantRate);
}

} // namespace hypertide::benchmarks

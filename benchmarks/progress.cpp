#include "benchmarks/progress.hpp"

#include <algorithm>
#include <string>

#include <unistd.h>

namespace hypertide::benchmarks {

std::string human(double x) {
  char b[32];
  if (x >= 1e9)
    std::snprintf(b, sizeof b, "%.2f G", x / 1e9);
  else if (x >= 1e6)
    std::snprintf(b, sizeof b, "%.2f M", x / 1e6);
  else if (x >= 1e3)
    std::snprintf(b, sizeof b, "%.1f k", x / 1e3);
  else
    std::snprintf(b, sizeof b, "%.0f", x);
  return b;
}

namespace {

std::string clock_text(double secs) {
  auto s = static_cast<long long>(secs + 0.5);
  char b[32];
  if (s >= 3600)
    std::snprintf(b, sizeof b, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(b, sizeof b, "%lld:%02lld", s / 60, s % 60);
  return b;
}

} // namespace

progress::progress(uint64_t total, FILE* out, double every)
  : total_(total),
    out_(out),
    tty_(isatty(fileno(out)) != 0),
    t0_(std::chrono::steady_clock::now()) {
  every_ = std::chrono::duration<double>(every > 0 ? every : tty_ ? 0.2 : 10.0);
  thread_ = std::thread([this] { loop(); });
}

progress::~progress() {
  stop();
}

double progress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
}

void progress::loop() {
  std::unique_lock lock{m_};
  while (!cv_.wait_for(lock, every_, [this] { return stopping_; }))
    show(false);
}

void progress::stop() {
  {
    std::lock_guard lock{m_};
    if (stopping_)
      return;
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  show(true);
}

void progress::show(bool last) {
  uint64_t done = this->done();
  double secs = elapsed();
  double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  double share = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1;
  double left = static_cast<double>(total_ - std::min(done, total_));
  std::string eta = rate > 0 ? clock_text(left / rate) : "?";
  if (tty_) {
    constexpr int width = 30;
    int filled = static_cast<int>(share * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(width, '.');
    std::fprintf(out_, "\r[%s] %5.1f%%  %s rows  %s rows/s  elapsed %s  ETA %s \033[K",
                 bar.c_str(), 100 * share, human(static_cast<double>(done)).c_str(),
                 human(rate).c_str(), clock_text(secs).c_str(), eta.c_str());
    if (last)
      std::fputc('\n', out_);
  } else if (!last) {
    std::fprintf(out_, "progress: %llu of %llu rows (%.1f%%), %s rows/s, elapsed %s, ETA %s\n",
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 100 * share, human(rate).c_str(), clock_text(secs).c_str(), eta.c_str());
  }
  std::fflush(out_);
}

} // namespace hypertide::benchmarks

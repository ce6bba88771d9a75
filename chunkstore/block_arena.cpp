#include "chunkstore/block_arena.hpp"

#include <algorithm>
#include <new>

#include <sys/mman.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace hypertide::chunkstore {

namespace {

constexpr size_t min_slab = size_t{64} << 10;
constexpr size_t max_slab = size_t{8} << 20;
constexpr size_t huge_page = size_t{2} << 20;

} // namespace

namespace {
std::atomic<bool> huge_pages_on{true};
} // namespace

void block_arena::use_huge_pages(bool on) noexcept {
  huge_pages_on.store(on, std::memory_order_relaxed);
}

bool block_arena::huge_pages() noexcept {
  return huge_pages_on.load(std::memory_order_relaxed);
}

block_arena::~block_arena() {
  for (const auto& s : slabs_)
    munmap(s.base, s.size);
}

namespace {

/// Maps `size` bytes of memory for rows (advised huge pages when `huge`).
void* map_slab(size_t size, bool huge) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return nullptr;
  if (size >= 2 * huge_page && huge)
    madvise(p, size, MADV_HUGEPAGE); // advice only: fine if refused
  return p;
}

/// Slabs of the largest size mapped and faulted in ahead by a thread of
/// their own. The kernel zeroes every fresh page on its first write; in a
/// bulk load that was a quarter of the node's CPU, all of it on the thread
/// of the chunk being filled (one chunk takes every row of its time
/// range). A chunk that needs a slab takes a ready one; the thread, woken,
/// prepares the next while the chunk fills it. At most `ready_max` wait:
/// 32 MiB faulted ahead, from the first time a chunk grew that large.
class slab_pool {
public:
  static slab_pool& instance() {
    static slab_pool pool;
    return pool;
  }

  /// A faulted-in slab of max_slab bytes, or nullptr when none is ready
  /// (the caller maps its own; the pool starts preparing).
  void* take() {
    std::lock_guard lock{m_};
    if (!thread_.joinable())
      thread_ = std::thread{[this] { run(); }};
    void* p = nullptr;
    while (p == nullptr && !ready_.empty()) {
      auto [q, huge] = ready_.back();
      ready_.pop_back();
      if (huge == block_arena::huge_pages())
        p = q;
      else
        munmap(q, max_slab); // prepared before huge_pages changed
    }
    cv_.notify_one();
    return p;
  }

  ~slab_pool() {
    {
      std::lock_guard lock{m_};
      stop_ = true;
      cv_.notify_one();
    }
    if (thread_.joinable())
      thread_.join();
    for (auto [p, huge] : ready_)
      munmap(p, max_slab);
  }

private:
  static constexpr size_t ready_max = 4;

  void run() {
    std::unique_lock lock{m_};
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || ready_.size() < ready_max; });
      if (stop_)
        return;
      lock.unlock();
      bool huge = block_arena::huge_pages();
      void* p = map_slab(max_slab, huge);
      if (p != nullptr) {
        // Fault every page in now (MADV_POPULATE_WRITE, Linux 5.14; else a
        // write per page).
        if (madvise(p, max_slab, 23 /* MADV_POPULATE_WRITE */) != 0)
          for (size_t at = 0; at < max_slab; at += 4096)
            static_cast<volatile std::byte*>(p)[at] = std::byte{0};
      }
      lock.lock();
      if (p == nullptr)
        return; // out of memory: chunks map their own (and fail there)
      ready_.emplace_back(p, huge);
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::pair<void*, bool>> ready_; ///< slab, advised huge
  bool stop_ = false;
  std::thread thread_;
};

} // namespace

std::byte* block_arena::allocate(size_t bytes) {
  if (bytes > left_) {
    size_t size = slabs_.empty() ? min_slab : std::min(slabs_.back().size * 2, max_slab);
    size = std::max(size, (bytes + huge_page - 1) / huge_page * huge_page);
    void* p = size == max_slab ? slab_pool::instance().take() : nullptr;
    if (p == nullptr)
      p = map_slab(size, huge_pages());
    if (p == nullptr)
      throw std::bad_alloc{};
    slabs_.push_back(slab{static_cast<std::byte*>(p), size});
    next_ = static_cast<std::byte*>(p);
    left_ = size;
    reserved_ += size;
  }
  std::byte* out = next_;
  next_ += bytes;
  left_ -= bytes;
  return out;
}

} // namespace hypertide::chunkstore

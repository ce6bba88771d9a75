#include "chunkstore/block_arena.hpp"

#include <algorithm>
#include <new>

#include <sys/mman.h>

#include <atomic>

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

std::byte* block_arena::allocate(size_t bytes) {
  if (bytes > left_) {
    size_t size = slabs_.empty() ? min_slab : std::min(slabs_.back().size * 2, max_slab);
    size = std::max(size, (bytes + huge_page - 1) / huge_page * huge_page);
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      throw std::bad_alloc{};
    if (size >= 2 * huge_page && huge_pages())
      madvise(p, size, MADV_HUGEPAGE); // advice only: fine if refused
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

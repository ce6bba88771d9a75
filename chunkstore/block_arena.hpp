#pragma once

#include <cstddef>
#include <vector>

namespace hypertide::chunkstore {

/// Memory for a chunk's blocks: slabs from the OS that grow from 64 KiB to
/// 8 MiB, carved front to back and released together with the chunk. Large
/// slabs are marked for transparent huge pages: a scan jumps from block to
/// block (a series' blocks are far apart), and with 4 KiB pages every jump
/// costs a TLB miss and a page walk; a fresh 2 MiB page also costs one page
/// fault where 4 KiB pages cost 512.
class block_arena {
public:
  /// Whether new large slabs ask for transparent huge pages (PostgreSQL's
  /// huge_pages, for the node's whole memory of rows): faster scans, but a
  /// fresh huge page costs a 2 MiB zeroing on first touch (slabs of the
  /// largest size are faulted in ahead by a thread of their own, see
  /// block_arena.cpp). On by default; process-wide.
  static void use_huge_pages(bool on) noexcept;
  static bool huge_pages() noexcept;

  block_arena() = default;
  ~block_arena();
  block_arena(const block_arena&) = delete;
  block_arena& operator=(const block_arena&) = delete;

  /// `bytes` (a multiple of 64) of uninitialized memory aligned to 64.
  std::byte* allocate(size_t bytes);

  /// Bytes taken from the OS.
  size_t reserved() const noexcept { return reserved_; }

private:
  struct slab {
    std::byte* base;
    size_t size;
  };
  std::vector<slab> slabs_;
  std::byte* next_ = nullptr;
  size_t left_ = 0;
  size_t reserved_ = 0;
};

} // namespace hypertide::chunkstore

// The arena's huge-page advice, read back from the kernel's view of the
// mapping (/proc/self/smaps: VmFlags "hg" is MADV_HUGEPAGE).

#include <boost/test/unit_test.hpp>

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chunkstore/block_arena.hpp"

using hypertide::chunkstore::block_arena;

namespace {

/// The VmFlags line of the mapping holding `p`, or "" when none does.
std::string vm_flags_of(const void* p) {
  auto at = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps{"/proc/self/smaps"};
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream range{line};
    if (range >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = at >= lo && at < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0)
      return line;
  }
  return {};
}

bool advised_huge(const void* p) {
  return vm_flags_of(p).find(" hg") != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(large_slabs_ask_for_huge_pages_unless_switched_off) {
  BOOST_REQUIRE(block_arena::huge_pages()); // the default
  {
    block_arena a;
    auto* big = a.allocate(8 << 20); // a slab of at least 2 huge pages
    BOOST_REQUIRE(!vm_flags_of(big).empty());
    BOOST_CHECK(advised_huge(big));
  }
  block_arena::use_huge_pages(false); // huge-pages = off
  {
    block_arena a;
    auto* big = a.allocate(8 << 20);
    BOOST_REQUIRE(!vm_flags_of(big).empty());
    BOOST_CHECK(!advised_huge(big));
  }
  block_arena::use_huge_pages(true);
}

BOOST_AUTO_TEST_CASE(full_size_slabs_come_faulted_in_ahead) {
  // After the first slab of the largest size, the pool's thread prepares
  // the next ones: a slab handed out is already resident (mincore), so the
  // chunk filling it does not wait for the kernel to zero its pages. The
  // pool works beside the caller: ask a bounded number of times.
  block_arena a;
  constexpr size_t slab = 8 << 20;
  constexpr size_t page = 4096;
  bool resident = false;
  for (int i = 0; i < 250 && !resident; ++i) {
    std::byte* p = a.allocate(slab);
    std::vector<unsigned char> in(slab / page);
    BOOST_REQUIRE(mincore(p, slab, in.data()) == 0);
    resident = std::all_of(in.begin(), in.end(), [](unsigned char c) { return (c & 1) != 0; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_CHECK(resident);
}

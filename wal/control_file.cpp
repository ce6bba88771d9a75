#include "wal/control_file.hpp"

#include <chrono>
#include <random>

#include "wal/crc32c.hpp"
#include "wal/log_format.hpp"

namespace hypertide::wal {

namespace {

constexpr uint32_t control_magic = 0x46435448u; // "HTCF"
constexpr uint16_t control_version = 1;
constexpr size_t control_size = 48;
constexpr const char* control_temp_name = "hypertide_control.tmp";

} // namespace

uint64_t new_system_identifier() {
  std::random_device rd;
  uint64_t x = uint64_t{rd()} << 32 | rd();
  // Mixed with the clock as PostgreSQL builds its identifier, in case the
  // random device is weak.
  x ^= static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
  return x == 0 ? 1 : x;
}

result<control> read_control(file_system& fs) {
  auto f = fs.open(control_file_name);
  if (!f)
    return std::move(f).err();
  uint8_t buf[control_size];
  auto n = (*f)->read_at(0, buf);
  if (!n)
    return std::move(n).err();
  auto where = "control file \"" + fs.describe(control_file_name) + "\"";
  if (*n != control_size || get_u32(buf) != control_magic
      || crc32c::unmask(get_u32(buf + 44)) != crc32c::value(buf, 44))
    return error{errc::corruption, "incorrect checksum in " + where};
  if (get_u16(buf + 4) != control_version)
    return error{errc::mismatch, where + " has format version "
                                   + std::to_string(get_u16(buf + 4)) + ", this build reads "
                                   + std::to_string(control_version)};
  control c;
  c.system_identifier = get_u64(buf + 8);
  c.segment_size = get_u64(buf + 16);
  c.checkpoint = get_u64(buf + 24);
  if (!valid_segment_size(c.segment_size))
    return error{errc::corruption, where + " holds an invalid segment size "
                                     + std::to_string(c.segment_size)};
  return c;
}

result<void> write_control(file_system& fs, const control& c) {
  if (!valid_segment_size(c.segment_size))
    return error{errc::invalid_argument,
                 "invalid WAL segment size " + std::to_string(c.segment_size)};
  uint8_t buf[control_size] = {};
  put_u32(buf, control_magic);
  put_u16(buf + 4, control_version);
  put_u16(buf + 6, static_cast<uint16_t>(control_size));
  put_u64(buf + 8, c.system_identifier);
  put_u64(buf + 16, c.segment_size);
  put_u64(buf + 24, c.checkpoint);
  put_u32(buf + 32, static_cast<uint32_t>(block_size));
  put_u32(buf + 44, crc32c::mask(crc32c::value(buf, 44)));
  auto f = fs.create(control_temp_name);
  if (!f)
    return std::move(f).err();
  if (auto r = (*f)->write_at(0, buf); !r)
    return r;
  if (auto r = (*f)->sync(); !r)
    return r;
  if (auto r = fs.rename(control_temp_name, control_file_name); !r)
    return r;
  return fs.sync_dir();
}

result<control> init_control(file_system& fs, uint64_t segment_size) {
  if (!valid_segment_size(segment_size))
    return error{errc::invalid_argument,
                 "invalid WAL segment size " + std::to_string(segment_size)
                   + ": a power of two from 64 KiB to 1 GiB"};
  if (auto existing = read_control(fs); existing || existing.err().code != errc::not_found)
    return error{errc::invalid_argument, "control file \"" + fs.describe(control_file_name)
                                           + "\" exists already"};
  control c{new_system_identifier(), segment_size, invalid_lsn};
  if (auto r = write_control(fs, c); !r)
    return std::move(r).err();
  return c;
}

} // namespace hypertide::wal

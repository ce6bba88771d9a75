#include "wal/segments.hpp"

#include <algorithm>

#include "wal/log_format.hpp"

namespace hypertide::wal {

lsn first_record_lsn(uint64_t segno, uint64_t segment_size) noexcept {
  return make_lsn(segno, segment_header_size, segment_size);
}

lsn normalize(lsn x, uint64_t segment_size) noexcept {
  return offset_in_segment(x, segment_size) == 0 ? x + segment_header_size : x;
}

result<std::vector<uint64_t>> list_segments(file_system& fs, uint64_t segment_size) {
  auto names = fs.list();
  if (!names)
    return std::move(names).err();
  std::vector<uint64_t> out;
  for (const auto& name : *names)
    if (auto segno = parse_segment_file_name(name, segment_size))
      out.push_back(*segno);
  std::sort(out.begin(), out.end());
  return out;
}

result<header_state> check_segment_header(file& f, const std::string& described,
                                          uint64_t segno, const control& ctl) {
  uint8_t buf[segment_header_size];
  auto n = f.read_at(0, buf);
  if (!n)
    return std::move(n).err();
  auto h = decode_segment_header(std::span<const uint8_t>{buf, *n});
  if (!h)
    return header_state::torn;
  auto mismatch = [&](std::string what) {
    return error{errc::mismatch, "WAL segment file \"" + described + "\": " + std::move(what)};
  };
  if (h->version != format_version)
    return mismatch("format version " + std::to_string(h->version) + ", this build reads "
                    + std::to_string(format_version));
  if (h->block_size != block_size)
    return mismatch("block size " + std::to_string(h->block_size) + ", expected "
                    + std::to_string(block_size));
  if (h->segment_size != ctl.segment_size)
    return mismatch("segment size " + std::to_string(h->segment_size)
                    + ", the control file says " + std::to_string(ctl.segment_size));
  if (h->segno != segno)
    return mismatch("holds segment " + std::to_string(h->segno) + ", its name says "
                    + std::to_string(segno));
  if (h->timeline != timeline)
    return mismatch("timeline " + std::to_string(h->timeline) + ", expected "
                    + std::to_string(timeline));
  if (h->system_identifier != ctl.system_identifier)
    return mismatch("WAL file is from different database system: WAL file database "
                    "system identifier is "
                    + std::to_string(h->system_identifier)
                    + ", control file database system identifier is "
                    + std::to_string(ctl.system_identifier));
  return header_state::valid;
}

result<void> zero_fill_from(file& f, uint64_t from, uint64_t segment_size) {
  static const std::vector<uint8_t> zeros(uint64_t{1} << 20);
  for (uint64_t at = from; at < segment_size;) {
    auto n = std::min<uint64_t>(zeros.size(), segment_size - at);
    if (auto r = f.write_at(at, std::span{zeros.data(), n}); !r)
      return r;
    at += n;
  }
  return {};
}

result<std::unique_ptr<file>> create_segment(file_system& fs, const control& ctl,
                                             uint64_t segno, bool zero_fill) {
  auto f = fs.create(segment_file_name(segno, ctl.segment_size));
  if (!f)
    return f;
  segment_header h;
  h.segment_size = static_cast<uint32_t>(ctl.segment_size);
  h.segno = segno;
  h.system_identifier = ctl.system_identifier;
  h.timeline = timeline;
  uint8_t buf[segment_header_size];
  encode(h, buf);
  if (auto r = (*f)->write_at(0, buf); !r)
    return std::move(r).err();
  if (zero_fill)
    if (auto r = zero_fill_from(**f, segment_header_size, ctl.segment_size); !r)
      return std::move(r).err();
  if (auto r = (*f)->sync(); !r)
    return std::move(r).err();
  if (auto r = fs.sync_dir(); !r)
    return std::move(r).err();
  return f;
}

result<size_t> remove_segments_before(file_system& fs, const control& ctl, lsn x) {
  auto segs = list_segments(fs, ctl.segment_size);
  if (!segs)
    return std::move(segs).err();
  auto keep_from = segment_of(x, ctl.segment_size);
  std::vector<std::string> names;
  for (auto segno : *segs) // oldest first
    if (segno < keep_from)
      names.push_back(segment_file_name(segno, ctl.segment_size));
  return remove_files(fs, names);
}

} // namespace hypertide::wal

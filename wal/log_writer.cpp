#include "wal/log_writer.hpp"

#include <algorithm>

#include "wal/crc32c.hpp"
#include "wal/segments.hpp"

namespace hypertide::wal {

namespace {

/// Appends one fragment (header and payload) to `out`.
void put_fragment(std::vector<uint8_t>& out, uint8_t type, record_kind kind,
                  const uint8_t* data, size_t n) {
  uint8_t h[fragment_header_size];
  put_u16(h + 4, static_cast<uint16_t>(n));
  h[6] = type;
  h[7] = static_cast<uint8_t>(kind);
  put_u32(h, crc32c::mask(crc32c::extend(crc32c::value(h + 4, 4), data, n)));
  out.insert(out.end(), h, h + fragment_header_size);
  out.insert(out.end(), data, data + n);
}

} // namespace

log_writer::log_writer(file_system& fs, const control& ctl, writer_options opts)
  : fs_(&fs), ctl_(ctl), opts_(opts) {
}

log_writer::log_writer(log_writer&&) noexcept = default;
log_writer& log_writer::operator=(log_writer&&) noexcept = default;
log_writer::~log_writer() = default;

result<log_writer> log_writer::open(file_system& fs, const control& ctl, lsn end,
                                    writer_options opts) {
  if (!valid_segment_size(ctl.segment_size))
    return error{errc::invalid_argument,
                 "invalid WAL segment size " + std::to_string(ctl.segment_size)};
  end = normalize(end, ctl.segment_size);
  auto segno = segment_of(end, ctl.segment_size);
  auto offset = offset_in_segment(end, ctl.segment_size);
  if (segno == 0 || offset < segment_header_size)
    return error{errc::invalid_argument,
                 "no record can start at WAL location " + format_lsn(end)};
  auto name = segment_file_name(segno, ctl.segment_size);
  auto f = fs.open(name);
  if (!f && f.err().code != errc::not_found)
    return std::move(f).err();
  auto state = f ? check_segment_header(**f, fs.describe(name), segno, ctl)
                 : result<header_state>{header_state::torn};
  if (!state)
    return std::move(state).err();
  bool fresh = *state == header_state::torn; // no valid header: no record either
  if (fresh && offset != segment_header_size)
    return error{f ? errc::corruption : errc::not_found,
                 "cannot continue the log at " + format_lsn(end) + ": WAL segment file \""
                   + fs.describe(name) + "\" is " + (f ? "damaged" : "missing")};
  if (!fresh) {
    auto size = (*f)->size();
    if (!size)
      return std::move(size).err();
    if (offset > *size)
      return error{errc::invalid_argument,
                   "cannot continue the log at " + format_lsn(end) + ": WAL segment file \""
                     + fs.describe(name) + "\" ends at offset " + std::to_string(*size)};
  }
  // Whatever lies after the end holds no record the reader accepted: segment
  // files a crash left half-made, or the rest of a log cut at a corruption.
  auto segs = list_segments(fs, ctl.segment_size);
  if (!segs)
    return std::move(segs).err();
  bool removed = false;
  for (auto s : *segs)
    if (s > segno) {
      if (auto r = fs.remove(segment_file_name(s, ctl.segment_size)); !r)
        return std::move(r).err();
      removed = true;
    }
  if (removed)
    if (auto r = fs.sync_dir(); !r)
      return std::move(r).err();
  log_writer w{fs, ctl, opts};
  if (fresh) {
    auto created = create_segment(fs, ctl, segno, opts.zero_fill);
    if (!created)
      return std::move(created).err();
    w.file_ = std::move(*created);
  } else {
    // Cut the torn tail, so that no stale fragment can follow new records,
    // and sync: everything before `end` is durable before anything new is
    // written after it (the reader's sync-flag rule counts on it).
    if (auto r = (*f)->truncate(offset); !r)
      return std::move(r).err();
    if (opts.zero_fill)
      if (auto r = zero_fill_from(**f, offset, ctl.segment_size); !r)
        return std::move(r).err();
    if (auto r = (*f)->sync(); !r)
      return std::move(r).err();
    w.file_ = std::move(*f);
  }
  w.file_segno_ = segno;
  w.insert_lsn_ = w.write_lsn_ = w.flush_lsn_ = end;
  return w;
}

size_t log_writer::buffered_bytes() const noexcept {
  size_t n = 0;
  for (const auto& r : runs_)
    n += r.bytes.size();
  return n;
}

uint64_t log_writer::max_record_size() const noexcept {
  return wal::max_record_size(ctl_.segment_size);
}

result<void> log_writer::fail(error e) {
  failed_ = e;
  return e;
}

result<void> log_writer::closed() const {
  if (!failed_)
    return {};
  return error{errc::closed,
               "the WAL writer stopped after an earlier failure: " + failed_->message};
}

result<lsn> log_writer::append(record_kind kind, std::span<const uint8_t> payload) {
  if (auto c = closed(); !c)
    return std::move(c).err();
  if (static_cast<uint8_t>(kind) == 0)
    return error{errc::invalid_argument, "record kind 0 is reserved"};
  if (payload.size() > max_record_size())
    return error{errc::too_large, "WAL record of " + std::to_string(payload.size())
                                    + " bytes exceeds the maximum of "
                                    + std::to_string(max_record_size())
                                    + " bytes for segments of "
                                    + std::to_string(ctl_.segment_size) + " bytes"};
  auto pos = normalize(insert_lsn_, ctl_.segment_size); // past a full segment's end
  auto segno = segment_of(pos, ctl_.segment_size);
  auto offset = offset_in_segment(pos, ctl_.segment_size);
  if (record_end_offset(offset, payload.size()) > ctl_.segment_size) {
    // Records never span segments: the rest of this one stays unwritten.
    ++segno;
    offset = segment_header_size;
  }
  if (runs_.empty() || runs_.back().segno != segno)
    runs_.push_back(run{segno, offset, std::move(spare_)});
  auto& out = runs_.back().bytes;
  const uint8_t* p = payload.data();
  size_t left = payload.size();
  bool first = true;
  for (;;) {
    size_t in_block = block_size - offset % block_size;
    if (in_block < fragment_header_size) {
      out.insert(out.end(), in_block, uint8_t{0}); // trailer
      offset += in_block;
      continue;
    }
    size_t n = std::min(left, in_block - fragment_header_size);
    bool last = n == left;
    auto type = static_cast<uint8_t>(first ? (last ? fragment_type::full : fragment_type::first)
                                           : (last ? fragment_type::last : fragment_type::middle));
    if (first && after_sync_)
      type |= sync_flag;
    put_fragment(out, type, kind, p, n);
    offset += fragment_header_size + n;
    p += n;
    left -= n;
    first = false;
    if (opts_.write_behind_bytes > 0 && out.size() >= opts_.write_behind_bytes)
      if (auto w = write_runs(); !w)
        return fail(std::move(w).err()).err();
    if (last)
      break;
  }
  after_sync_ = false;
  insert_lsn_ = make_lsn(segno, offset, ctl_.segment_size);
  return insert_lsn_;
}

result<void> log_writer::switch_to(uint64_t segno) {
  // The segment before is made durable before the next one gets a byte: a
  // reader may then take any damage in an older segment for corruption.
  if (file_dirty_) {
    if (auto r = file_->sync(); !r)
      return r;
    file_dirty_ = false;
    flush_lsn_ = write_lsn_;
  }
  auto f = create_segment(*fs_, ctl_, segno, opts_.zero_fill);
  if (!f)
    return std::move(f).err();
  file_ = std::move(*f);
  file_segno_ = segno;
  return {};
}

result<void> log_writer::write_runs() {
  for (auto& r : runs_) {
    if (r.bytes.empty())
      continue;
    if (r.segno != file_segno_)
      if (auto s = switch_to(r.segno); !s)
        return s;
    if (auto w = file_->write_at(r.offset, r.bytes); !w)
      return w;
    file_dirty_ = true;
    r.offset += r.bytes.size();
    write_lsn_ = make_lsn(r.segno, r.offset, ctl_.segment_size);
    r.bytes.clear();
  }
  if (runs_.size() > 1)
    runs_.erase(runs_.begin(), runs_.end() - 1);
  return {};
}

result<lsn> log_writer::write() {
  if (auto c = closed(); !c)
    return std::move(c).err();
  if (auto w = write_runs(); !w)
    return fail(std::move(w).err()).err();
  // Keep one buffer's capacity for the next group of records.
  if (!runs_.empty()) {
    spare_ = std::move(runs_.back().bytes);
    spare_.clear();
    runs_.clear();
  }
  return write_lsn_;
}

result<lsn> log_writer::flush() {
  auto w = write();
  if (!w)
    return w;
  if (file_dirty_) {
    if (auto s = file_->sync(); !s)
      return fail(std::move(s).err()).err();
    file_dirty_ = false;
  }
  flush_lsn_ = write_lsn_;
  after_sync_ = true;
  return flush_lsn_;
}

} // namespace hypertide::wal

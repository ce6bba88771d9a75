#include "wal/log_reader.hpp"

#include <algorithm>
#include <cstring>

#include "wal/crc32c.hpp"
#include "wal/segments.hpp"

namespace hypertide::wal {

namespace {

/// What lies at a fragment position.
enum class status : uint8_t {
  ok,
  end_of_data,   ///< the file ends exactly here
  zeros,         ///< an all-zero header: preallocated space or lost data
  short_header,  ///< the file ends inside the header
  short_payload, ///< the file ends inside the payload
  bad_length,    ///< the payload would run past the block
  bad_checksum,
  bad_type, ///< a type or kind this format does not have
};

struct header_fields {
  uint16_t len = 0;
  uint8_t type = 0;
  uint8_t kind = 0;
};

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

/// Judges the fragment at `off` of `block` (the bytes of one block that
/// exist: fewer than block_size at the end of a file).
status check_fragment(std::span<const uint8_t> block, size_t off, header_fields& h) {
  size_t avail = block.size() - off;
  const uint8_t* p = block.data() + off;
  if (avail < fragment_header_size)
    return all_zero(p, avail) ? status::zeros : status::short_header;
  h.len = get_u16(p + 4);
  h.type = p[6];
  h.kind = p[7];
  uint32_t stored = get_u32(p);
  if (stored == 0 && h.len == 0 && h.type == 0 && h.kind == 0)
    return status::zeros;
  if (off + fragment_header_size + h.len > block_size)
    return status::bad_length;
  if (fragment_header_size + h.len > avail)
    return status::short_payload;
  // The cheap test first: the scan for valid data after damage tries every
  // byte position, and most fail here without a checksum.
  auto ft = h.type & fragment_type_mask;
  if (ft == 0 || ft > static_cast<int>(fragment_type::last)
      || (h.type & ~(fragment_type_mask | sync_flag)) != 0 || h.kind == 0)
    return status::bad_type;
  if (crc32c::unmask(stored) != crc32c::value(p + 4, 4 + size_t{h.len}))
    return status::bad_checksum;
  return status::ok;
}

std::string describe(status s, const header_fields& h) {
  switch (s) {
    case status::zeros:
      return "zeros where a record header belongs";
    case status::short_header:
      return "incomplete record header at the end of the file";
    case status::short_payload:
      return "incomplete record of length " + std::to_string(h.len)
             + " at the end of the file";
    case status::bad_length:
      return "record length " + std::to_string(h.len) + " runs past the end of its block";
    case status::bad_checksum:
      return "incorrect record checksum";
    case status::bad_type:
      return "invalid record type " + std::to_string(h.type) + " or kind "
             + std::to_string(h.kind) + " (a damaged header)";
    case status::ok:
    case status::end_of_data:
      break;
  }
  return "no record";
}

/// Read-ahead: 32 blocks.
constexpr size_t window_size = 32 * block_size;

} // namespace

struct log_reader::fragment {
  status what = status::end_of_data;
  uint64_t offset = 0; ///< where it starts, past a block trailer
  header_fields h;
  std::span<const uint8_t> payload;
};

struct log_reader::scan_result {
  /// The first acceptable fragment after the damage.
  std::optional<uint64_t> valid_at;
  /// Whether any byte from the damage to the end of the file is not zero.
  bool nonzero = false;
};

log_reader::log_reader(file_system& fs, const control& ctl, reader_options opts)
  : fs_(&fs), ctl_(ctl), opts_(std::move(opts)) {
}

log_reader::log_reader(log_reader&&) noexcept = default;
log_reader& log_reader::operator=(log_reader&&) noexcept = default;
log_reader::~log_reader() = default;

lsn log_reader::here(uint64_t offset) const noexcept {
  return make_lsn(segno_, offset, ctl_.segment_size);
}

result<log_reader> log_reader::open(file_system& fs, const control& ctl,
                                    reader_options opts) {
  if (!valid_segment_size(ctl.segment_size))
    return error{errc::invalid_argument,
                 "invalid WAL segment size " + std::to_string(ctl.segment_size)};
  auto size = ctl.segment_size;
  lsn start = opts.start == invalid_lsn ? invalid_lsn : normalize(opts.start, size);
  if (start != invalid_lsn && offset_in_segment(start, size) < segment_header_size)
    return error{errc::invalid_argument,
                 "no record starts at WAL location " + format_lsn(opts.start)};
  log_reader r{fs, ctl, std::move(opts)};
  auto segs = list_segments(fs, size);
  if (!segs)
    return std::move(segs).err();
  auto first = start != invalid_lsn ? segment_of(start, size)
                                    : (segs->empty() ? 1 : segs->front());
  auto first_lsn = start != invalid_lsn ? start : first_record_lsn(first, size);
  bool at_segment_start = offset_in_segment(first_lsn, size) == segment_header_size;
  if (!segs->empty() && first < segs->front())
    return error{errc::not_found, "requested WAL segment " + segment_file_name(first, size)
                                    + " has already been removed"};
  if (segs->empty() || first > segs->back()) {
    // Nothing to read: a new log, or one whose last record filled its
    // segment exactly.
    bool next_one = segs->empty() || first == segs->back() + 1;
    if (!(next_one && at_segment_start))
      return error{errc::not_found, "WAL segment file \""
                                      + fs.describe(segment_file_name(first, size))
                                      + "\" holding WAL location " + format_lsn(first_lsn)
                                      + " does not exist"};
    r.done_ = true;
    r.end_ = first_lsn;
    return r;
  }
  for (auto s : *segs)
    if (s >= first) {
      if (!r.segments_.empty() && s != r.segments_.back() + 1)
        return error{errc::not_found,
                     "WAL segment file \""
                       + fs.describe(segment_file_name(r.segments_.back() + 1, size))
                       + "\" is missing"};
      r.segments_.push_back(s);
    }
  auto opened = r.open_segment(0);
  if (!opened)
    return std::move(opened).err();
  if (!*opened) {
    r.done_ = true;
    r.end_ = first_lsn;
    return r;
  }
  r.pos_ = offset_in_segment(first_lsn, size);
  if (r.pos_ > r.file_size_)
    return error{errc::invalid_argument,
                 "WAL location " + format_lsn(first_lsn)
                   + " is beyond the end of WAL segment file \"" + r.file_name_ + "\" ("
                   + std::to_string(r.file_size_) + " bytes)"};
  return r;
}

result<bool> log_reader::open_segment(size_t index) {
  auto segno = segments_[index];
  auto name = segment_file_name(segno, ctl_.segment_size);
  auto described = fs_->describe(name);
  auto f = fs_->open(name);
  if (!f)
    return std::move(f).err();
  auto size = (*f)->size();
  if (!size)
    return std::move(size).err();
  if (*size > ctl_.segment_size)
    return error{errc::corruption, "WAL segment file \"" + described + "\" is "
                                     + std::to_string(*size) + " bytes, more than the segment size "
                                     + std::to_string(ctl_.segment_size)};
  auto state = check_segment_header(**f, described, segno, ctl_);
  if (!state)
    return std::move(state).err();
  file_ = std::move(*f);
  file_name_ = described;
  file_size_ = *size;
  segno_ = segno;
  index_ = index;
  window_len_ = 0;
  if (*state == header_state::valid)
    return true;
  // The writer syncs a new segment's header before any record goes in, so a
  // bad header is a creation cut short only in the newest segment, and only
  // when no record follows it.
  if (newest()) {
    auto s = scan(segment_header_size, false, false);
    if (!s)
      return std::move(s).err();
    if (!s->valid_at) {
      report(0, "incomplete segment header: the creation of the segment was cut short",
             true);
      return false;
    }
  }
  return error{errc::corruption, "invalid segment header in WAL segment file \"" + described
                                   + "\""};
}

result<std::span<const uint8_t>> log_reader::block_at(uint64_t block_start) {
  auto window_end = window_start_ + window_len_;
  bool inside = window_len_ > 0 && block_start >= window_start_ && block_start < window_end
                && (block_start + block_size <= window_end || window_end == file_size_);
  if (!inside) {
    window_.resize(std::min<uint64_t>(window_size, ctl_.segment_size));
    auto want = std::min<uint64_t>(window_.size(), file_size_ - block_start);
    auto n = file_->read_at(block_start, std::span{window_.data(), want});
    if (!n)
      return std::move(n).err();
    window_start_ = block_start;
    window_len_ = *n;
    if (*n < want) // the file shrank under us: take what is there
      file_size_ = block_start + *n;
  }
  auto at = block_start - window_start_;
  auto n = std::min<uint64_t>(block_size, window_len_ - at);
  return std::span<const uint8_t>{window_.data() + at, n};
}

result<log_reader::fragment> log_reader::parse(uint64_t offset) {
  fragment f;
  f.offset = offset;
  uint64_t in_block = block_size - offset % block_size;
  auto start = in_block < fragment_header_size ? offset + in_block : offset; // trailer
  if (start >= file_size_)
    return f; // end_of_data at `offset`: a trailer holds nothing
  f.offset = start;
  auto block = block_at(start - start % block_size);
  if (!block)
    return std::move(block).err();
  auto off = start % block_size;
  f.what = check_fragment(*block, off, f.h);
  if (f.what == status::ok)
    f.payload = block->subspan(off + fragment_header_size, f.h.len);
  return f;
}

result<log_reader::scan_result> log_reader::scan(uint64_t from, bool skip_first,
                                                  bool need_sync_flag) {
  scan_result out;
  auto first_block = from - from % block_size;
  for (auto b = first_block; b < file_size_; b += block_size) {
    auto block = block_at(b);
    if (!block)
      return std::move(block).err();
    size_t off = b == first_block ? from - b : 0;
    if (off >= block->size() || all_zero(block->data() + off, block->size() - off))
      continue;
    out.nonzero = true;
    bool skip = b == first_block && skip_first;
    // Fragments are walked; where none parses (the damage itself, or a
    // length that cannot be trusted) every byte position is tried, so a
    // corrupt length cannot hide what follows it in the block.
    while (off + fragment_header_size <= block->size()) {
      header_fields h;
      if (check_fragment(*block, off, h) != status::ok) {
        ++off;
        skip = false;
        continue;
      }
      if (!skip && (!need_sync_flag || (h.type & sync_flag) != 0)) {
        out.valid_at = b + off;
        return out;
      }
      skip = false;
      off += fragment_header_size + h.len;
    }
  }
  return out;
}

void log_reader::report(uint64_t offset, std::string reason, bool torn_tail) {
  if (!opts_.reporter)
    return;
  corruption_report r;
  r.file = file_name_;
  r.offset = offset;
  r.at = here(offset);
  r.bytes_dropped = file_size_ > offset ? file_size_ - offset : 0;
  r.reason = std::move(reason);
  r.torn_tail = torn_tail;
  opts_.reporter(r);
}

bool log_reader::finish(uint64_t offset) {
  in_record_ = false;
  done_ = true;
  end_ = here(offset);
  return false;
}

result<bool> log_reader::end_of_segment(uint64_t offset) {
  if (newest())
    return finish(offset);
  auto end = here(offset);
  auto opened = open_segment(index_ + 1);
  if (!opened)
    return std::move(opened).err();
  if (!*opened) {
    done_ = true;
    end_ = end;
    return false;
  }
  pos_ = segment_header_size;
  return true;
}

result<bool> log_reader::damaged(uint64_t offset, std::string reason, bool zeros) {
  // A record cut by damage goes whole.
  auto begin = in_record_ ? record_start_ : offset;
  // In the newest segment only data written after a later sync proves the
  // damage was durable once (see README); in an older one every byte was
  // synced before the next segment got any.
  auto s = scan(offset, !zeros, newest());
  if (!s)
    return std::move(s).err();
  if (newest() && !s->valid_at) {
    if (!zeros || s->nonzero || in_record_)
      report(begin, "torn tail: " + reason, true);
    return finish(begin);
  }
  if (!newest() && zeros && !in_record_ && !s->valid_at && !s->nonzero)
    return end_of_segment(offset); // a zero-filled segment's unused rest
  auto msg = "invalid record at offset " + std::to_string(offset) + " (WAL location "
             + format_lsn(here(offset)) + ") of WAL segment file \"" + file_name_
             + "\": " + reason;
  if (s->valid_at)
    msg += "; valid records written later follow at offset " + std::to_string(*s->valid_at);
  else
    msg += "; a newer segment follows, so this one was complete";
  if (!opts_.truncate_on_corruption)
    return error{errc::corruption, msg};
  auto later = segments_.size() - index_ - 1;
  if (later > 0)
    msg += "; " + std::to_string(later) + " later segment file(s) will be discarded";
  report(begin, msg, false);
  return finish(begin);
}

void log_reader::append_payload(std::span<const uint8_t> data) {
  auto need = (scratch_len_ + data.size() + 7) / 8;
  if (scratch_.size() < need)
    scratch_.resize(std::max(need, scratch_.size() * 2));
  if (!data.empty())
    std::memcpy(reinterpret_cast<uint8_t*>(scratch_.data()) + scratch_len_, data.data(),
                data.size());
  scratch_len_ += data.size();
}

record log_reader::emit(uint64_t end_offset) {
  in_record_ = false;
  return record{kind_, here(record_start_), here(end_offset),
                {reinterpret_cast<const uint8_t*>(scratch_.data()), scratch_len_}};
}

result<std::optional<record>> log_reader::next() {
  while (!done_) {
    auto f = parse(pos_);
    if (!f)
      return std::move(f).err();
    result<bool> more = true;
    if (f->what == status::end_of_data) {
      more = in_record_ ? damaged(f->offset, "the record is cut off at the end of the file", false)
                        : end_of_segment(f->offset);
    } else if (f->what != status::ok) {
      more = damaged(f->offset, describe(f->what, f->h), f->what == status::zeros);
    } else {
      auto type = static_cast<fragment_type>(f->h.type & fragment_type_mask);
      auto kind = static_cast<record_kind>(f->h.kind);
      bool starts = type == fragment_type::full || type == fragment_type::first;
      if (at_start_ && !starts && opts_.start != invalid_lsn)
        return error{errc::invalid_argument,
                     "no record starts at WAL location " + format_lsn(here(f->offset))};
      at_start_ = false;
      if (starts == in_record_ || (!starts && kind != kind_)) {
        more = damaged(f->offset,
                       starts        ? "a record starts before the one before it ended"
                       : !in_record_ ? "the continuation of a record that never started"
                                     : "the record kind changes within a record",
                       false);
      } else {
        if (starts) {
          in_record_ = true;
          record_start_ = f->offset;
          kind_ = kind;
          scratch_len_ = 0;
        }
        append_payload(f->payload);
        pos_ = f->offset + fragment_header_size + f->h.len;
        if (type == fragment_type::full || type == fragment_type::last)
          return std::optional<record>{emit(pos_)};
      }
    }
    if (!more)
      return std::move(more).err();
  }
  return std::optional<record>{};
}

} // namespace hypertide::wal

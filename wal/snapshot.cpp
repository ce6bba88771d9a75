#include "wal/snapshot.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "wal/crc32c.hpp"
#include "wal/log_format.hpp"

namespace hypertide::wal {

namespace {

constexpr std::string_view name_prefix = "snapshot_";
constexpr std::string_view temp_suffix = ".tmp";

/// What the reader asks of the file at least per read.
constexpr size_t read_size = size_t{1} << 20;

/// `n` rounded up to a multiple of 8: entries start 8-byte aligned.
constexpr uint64_t padded(uint64_t n) noexcept {
  return (n + 7) & ~uint64_t{7};
}

/// The stored checksum of an entry: its header bytes 0-11, then its payload.
uint32_t entry_checksum(const uint8_t* header, const uint8_t* payload, size_t n) noexcept {
  return crc32c::mask(crc32c::extend(crc32c::value(header, 12), payload, n));
}

/// Fills an entry header (the checksum last, over the filled bytes).
void encode_entry_header(uint8_t* h, uint8_t kind, std::span<const uint8_t> payload) {
  std::memset(h, 0, snapshot_entry_header_size);
  put_u64(h, payload.size());
  h[8] = kind;
  put_u32(h + 12, entry_checksum(h, payload.data(), payload.size()));
}

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

} // namespace

std::string snapshot_file_name(lsn redo) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "snapshot_%016llX", static_cast<unsigned long long>(redo));
  return buf;
}

std::optional<lsn> parse_snapshot_file_name(std::string_view name) noexcept {
  if (name.size() != name_prefix.size() + 16 || !name.starts_with(name_prefix))
    return std::nullopt;
  lsn x = 0;
  // Upper case only, as written, so that one LSN has one name.
  for (char c : name.substr(name_prefix.size())) {
    if (c >= '0' && c <= '9')
      x = x << 4 | static_cast<lsn>(c - '0');
    else if (c >= 'A' && c <= 'F')
      x = x << 4 | static_cast<lsn>(c - 'A' + 10);
    else
      return std::nullopt;
  }
  return x;
}

// -- writer ---------------------------------------------------------------------

snapshot_writer::snapshot_writer(file_system& fs, std::unique_ptr<file> f, lsn redo)
  : fs_(&fs), file_(std::move(f)), redo_(redo) {
}

snapshot_writer::snapshot_writer(snapshot_writer&&) noexcept = default;
snapshot_writer& snapshot_writer::operator=(snapshot_writer&&) noexcept = default;
snapshot_writer::~snapshot_writer() = default;

result<snapshot_writer> snapshot_writer::create(file_system& fs, uint64_t system_identifier,
                                                lsn redo) {
  if (redo == invalid_lsn)
    return error{errc::invalid_argument, "a snapshot needs a redo LSN"};
  auto f = fs.create(snapshot_file_name(redo) + std::string{temp_suffix});
  if (!f)
    return std::move(f).err();
  snapshot_writer w{fs, std::move(*f), redo};
  w.buffer_.reserve(snapshot_write_size);
  // The header goes out with the first write.
  uint8_t h[snapshot_header_size] = {};
  put_u32(h, snapshot_magic);
  put_u16(h + 4, snapshot_version);
  put_u16(h + 6, static_cast<uint16_t>(snapshot_header_size));
  put_u64(h + 8, system_identifier);
  put_u64(h + 16, redo);
  put_u32(h + 36, crc32c::mask(crc32c::value(h, 36)));
  w.buffer_.insert(w.buffer_.end(), h, h + snapshot_header_size);
  return w;
}

result<void> snapshot_writer::check_open() const {
  if (failed_)
    return error{errc::closed,
                 "the snapshot writer stopped after an earlier failure: " + failed_->message};
  if (finished_)
    return error{errc::invalid_argument, "snapshot file \""
                                           + fs_->describe(snapshot_file_name(redo_))
                                           + "\" is finished already"};
  return {};
}

result<void> snapshot_writer::fail(error e) {
  failed_ = e;
  return e;
}

result<void> snapshot_writer::write_buffer() {
  if (buffer_.empty())
    return {};
  if (auto r = file_->write_at(buffer_offset_, buffer_); !r)
    return fail(std::move(r).err());
  buffer_offset_ += buffer_.size();
  buffer_.clear();
  return {};
}

result<void> snapshot_writer::put(std::span<const uint8_t> data) {
  while (!data.empty()) {
    auto n = std::min(data.size(), snapshot_write_size - buffer_.size());
    buffer_.insert(buffer_.end(), data.begin(), data.begin() + static_cast<ptrdiff_t>(n));
    data = data.subspan(n);
    if (buffer_.size() == snapshot_write_size)
      if (auto r = write_buffer(); !r)
        return r;
  }
  return {};
}

result<void> snapshot_writer::add(uint8_t kind, std::span<const uint8_t> payload) {
  if (auto r = check_open(); !r)
    return r;
  if (kind == 0 || kind == snapshot_end_kind)
    return error{errc::invalid_argument,
                 "snapshot entry kind " + std::to_string(kind) + " is reserved"};
  uint8_t h[snapshot_entry_header_size];
  encode_entry_header(h, kind, payload);
  if (auto r = put(h); !r)
    return r;
  if (payload.size() < snapshot_write_size) {
    if (auto r = put(payload); !r)
      return r;
  } else {
    // Copying a large payload would only cost time: the header goes with
    // the gathered bytes, the payload straight from the caller's memory.
    if (auto r = write_buffer(); !r)
      return r;
    if (auto r = file_->write_at(buffer_offset_, payload); !r)
      return fail(std::move(r).err());
    buffer_offset_ += payload.size();
  }
  static constexpr uint8_t zeros[8] = {};
  if (auto r = put(std::span{zeros, padded(payload.size()) - payload.size()}); !r)
    return r;
  ++entries_;
  return {};
}

result<void> snapshot_writer::finish() {
  if (auto r = check_open(); !r)
    return r;
  uint8_t end[snapshot_entry_header_size + 16];
  put_u64(end + snapshot_entry_header_size, entries_);
  put_u64(end + snapshot_entry_header_size + 8, bytes_written());
  encode_entry_header(end, snapshot_end_kind,
                      std::span<const uint8_t>{end + snapshot_entry_header_size, 16});
  if (auto r = put(end); !r)
    return r;
  if (auto r = write_buffer(); !r)
    return r;
  // The contents are durable before the name appears, and the name before
  // the caller lets the control file point at it.
  if (auto r = file_->sync(); !r)
    return fail(std::move(r).err());
  auto name = snapshot_file_name(redo_);
  if (auto r = fs_->rename(name + std::string{temp_suffix}, name); !r)
    return fail(std::move(r).err());
  if (auto r = fs_->sync_dir(); !r)
    return fail(std::move(r).err());
  finished_ = true;
  return {};
}

// -- reader ---------------------------------------------------------------------

snapshot_reader::snapshot_reader(std::unique_ptr<file> f, std::string described,
                                 uint64_t size, lsn redo)
  : file_(std::move(f)), described_(std::move(described)), size_(size), redo_(redo) {
}

snapshot_reader::snapshot_reader(snapshot_reader&&) noexcept = default;
snapshot_reader& snapshot_reader::operator=(snapshot_reader&&) noexcept = default;
snapshot_reader::~snapshot_reader() = default;

result<snapshot_reader> snapshot_reader::open(file_system& fs, lsn redo,
                                              uint64_t system_identifier) {
  auto name = snapshot_file_name(redo);
  auto f = fs.open(name);
  if (!f)
    return std::move(f).err();
  auto size = (*f)->size();
  if (!size)
    return std::move(size).err();
  uint8_t h[snapshot_header_size];
  auto n = (*f)->read_at(0, h);
  if (!n)
    return std::move(n).err();
  auto where = "snapshot file \"" + fs.describe(name) + "\"";
  if (*n < snapshot_header_size)
    return error{errc::corruption, "incomplete header in " + where + ": the file has "
                                     + std::to_string(*n) + " bytes"};
  // Magic and version before the checksum: another format may put its
  // checksum elsewhere (PostgreSQL checks pg_control's version first too).
  if (get_u32(h) != snapshot_magic)
    return error{errc::mismatch, where + " is not a snapshot file (invalid magic number)"};
  if (get_u16(h + 4) != snapshot_version)
    return error{errc::mismatch, where + " has format version " + std::to_string(get_u16(h + 4))
                                   + ", this build reads " + std::to_string(snapshot_version)};
  if (crc32c::unmask(get_u32(h + 36)) != crc32c::value(h, 36))
    return error{errc::corruption, "incorrect header checksum in " + where + " at offset 0"};
  if (get_u16(h + 6) != snapshot_header_size || !all_zero(h + 24, 12))
    return error{errc::corruption, "invalid header in " + where + " at offset 0: header size "
                                     + std::to_string(get_u16(h + 6))
                                     + " or non-zero reserved bytes"};
  if (get_u64(h + 8) != system_identifier)
    return error{errc::mismatch, where + " is from different database system: its database "
                                   "system identifier is "
                                   + std::to_string(get_u64(h + 8))
                                   + ", control file database system identifier is "
                                   + std::to_string(system_identifier)};
  if (get_u64(h + 16) != redo)
    return error{errc::mismatch, where + " holds a snapshot at " + format_lsn(get_u64(h + 16))
                                   + ", its name says " + format_lsn(redo)};
  return snapshot_reader{std::move(*f), fs.describe(name), *size, redo};
}

error snapshot_reader::corrupt(uint64_t offset, const std::string& what) const {
  return error{errc::corruption, "invalid snapshot entry at offset " + std::to_string(offset)
                                   + " of snapshot file \"" + described_ + "\": " + what};
}

result<const uint8_t*> snapshot_reader::fetch(uint64_t n) {
  // The caller made sure that [pos_, pos_ + n) lies within the file.
  auto* base = reinterpret_cast<uint8_t*>(buffer_.data());
  auto buffer_end = buffer_offset_ + buffer_len_;
  if (pos_ >= buffer_offset_ && pos_ + n <= buffer_end)
    return base + (pos_ - buffer_offset_);
  // Keep what was read from pos_ on, at the start of the buffer (pos_ is a
  // multiple of 8, so payloads stay aligned), and read the rest in one go.
  size_t keep = 0;
  if (pos_ >= buffer_offset_ && pos_ < buffer_end) {
    keep = static_cast<size_t>(buffer_end - pos_);
    std::memmove(base, base + (pos_ - buffer_offset_), keep);
  }
  // Never more than the rest of the file: a damaged length cannot make the
  // reader allocate more than the file holds.
  auto want = static_cast<size_t>(std::min<uint64_t>(std::max<uint64_t>(n, read_size),
                                                      size_ - pos_));
  if (buffer_.size() * 8 < want) {
    buffer_.resize((want + 7) / 8);
    base = reinterpret_cast<uint8_t*>(buffer_.data());
  }
  auto got = file_->read_at(pos_ + keep, std::span{base + keep, want - keep});
  if (!got)
    return std::move(got).err();
  buffer_offset_ = pos_;
  buffer_len_ = keep + *got;
  if (buffer_len_ < n)
    return corrupt(pos_ + buffer_len_, "the file shrank to " + std::to_string(pos_ + buffer_len_)
                                          + " bytes while it was read");
  return base;
}

result<std::optional<snapshot_entry>> snapshot_reader::next() {
  if (done_)
    return std::optional<snapshot_entry>{};
  auto at = pos_;
  auto left = size_ - at;
  if (left < snapshot_entry_header_size)
    return corrupt(at, left == 0 ? std::string{"the file ends without an end entry"}
                                 : "incomplete entry header (" + std::to_string(left)
                                     + " bytes) at the end of the file");
  auto h = fetch(snapshot_entry_header_size);
  if (!h)
    return std::move(h).err();
  auto len = get_u64(*h);
  auto room = left - snapshot_entry_header_size;
  if (len > room || padded(len) > room)
    return corrupt(at, "entry length " + std::to_string(len)
                         + " runs past the end of the file (" + std::to_string(size_)
                         + " bytes)");
  auto p = fetch(snapshot_entry_header_size + padded(len));
  if (!p)
    return std::move(p).err();
  const uint8_t* header = *p;
  const uint8_t* payload = header + snapshot_entry_header_size;
  uint8_t kind = header[8];
  if (get_u32(header + 12) != entry_checksum(header, payload, len))
    return corrupt(at, "incorrect entry checksum");
  if (kind == 0 || !all_zero(header + 9, 3))
    return corrupt(at, "invalid entry kind 0 or non-zero reserved header bytes");
  // Padding is covered by no checksum: it must be zero, so that no bit of
  // the file can change unnoticed.
  if (!all_zero(payload + len, padded(len) - len))
    return corrupt(at + snapshot_entry_header_size + len, "non-zero padding after an entry");
  pos_ = at + snapshot_entry_header_size + padded(len);
  if (kind != snapshot_end_kind) {
    ++entries_;
    return std::optional<snapshot_entry>{snapshot_entry{kind, {payload, len}}};
  }
  if (len != 16)
    return corrupt(at, "end entry of length " + std::to_string(len) + ", expected 16");
  if (get_u64(payload + 8) != at)
    return corrupt(at, "the end entry says it is at offset "
                         + std::to_string(get_u64(payload + 8)));
  if (get_u64(payload) != entries_)
    return corrupt(at, "the end entry counts " + std::to_string(get_u64(payload))
                         + " entries, the file holds " + std::to_string(entries_));
  if (pos_ != size_)
    return corrupt(pos_, std::to_string(size_ - pos_) + " bytes after the end entry");
  done_ = true;
  return std::optional<snapshot_entry>{};
}

// -- the directory --------------------------------------------------------------

result<std::vector<lsn>> list_snapshots(file_system& fs) {
  auto names = fs.list();
  if (!names)
    return std::move(names).err();
  std::vector<lsn> out;
  for (const auto& name : *names)
    if (auto redo = parse_snapshot_file_name(name))
      out.push_back(*redo);
  std::sort(out.begin(), out.end());
  return out;
}

result<size_t> remove_snapshots_except(file_system& fs, lsn keep) {
  auto names = fs.list();
  if (!names)
    return std::move(names).err();
  std::vector<std::string> doomed;
  for (auto& name : *names) {
    std::string_view base = name;
    bool temp = base.ends_with(temp_suffix);
    if (temp)
      base.remove_suffix(temp_suffix.size());
    auto redo = parse_snapshot_file_name(base);
    if (redo && (*redo != keep || temp))
      doomed.push_back(std::move(name));
  }
  return remove_files(fs, doomed);
}

} // namespace hypertide::wal

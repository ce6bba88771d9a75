#pragma once

// A log on a memory_file_system, with helpers to write, read back and damage
// it, in the manner of LevelDB's log_test.

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "wal/control_file.hpp"
#include "wal/log_reader.hpp"
#include "wal/log_writer.hpp"
#include "wal/memory_file_system.hpp"
#include "wal/segments.hpp"

namespace wal_test {

namespace wal = hypertide::wal;

/// `partial` repeated to `n` bytes.
inline std::string big_string(const std::string& partial, size_t n) {
  std::string out;
  while (out.size() < n)
    out += partial;
  out.resize(n);
  return out;
}

/// `n` bytes from a seeded generator.
inline std::string random_string(std::mt19937_64& rng, size_t n) {
  std::string out(n, '\0');
  for (auto& c : out)
    c = static_cast<char>(rng());
  return out;
}

inline std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

/// A record read back.
struct read_record {
  wal::record_kind kind{};
  wal::lsn start = 0;
  wal::lsn end = 0;
  std::string payload;
};

/// What reading the whole log gave.
struct read_outcome {
  std::vector<read_record> records;
  wal::lsn end = 0;
  std::optional<wal::error> error;
  std::vector<wal::corruption_report> reports;

  std::vector<std::string> payloads() const {
    std::vector<std::string> out;
    for (const auto& r : records)
      out.push_back(r.payload);
    return out;
  }
};

inline bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

/// The names of the files in `fs`, sorted.
inline std::vector<std::string> sorted_names(wal::file_system& fs) {
  auto names = fs.list();
  BOOST_REQUIRE(names);
  std::sort(names->begin(), names->end());
  return *names;
}

/// A message for a failed result.
template <class T>
std::string what(const wal::result<T>& r) {
  return r ? std::string{"ok"}
           : std::string{wal::to_string(r.err().code)} + ": " + r.err().message;
}

struct log_fixture {
  wal::memory_file_system mem;
  wal::control ctl;
  std::optional<wal::log_writer> writer;

  explicit log_fixture(uint64_t segment_size = wal::min_segment_size) {
    auto c = wal::init_control(mem, segment_size);
    BOOST_REQUIRE_MESSAGE(c, what(c));
    ctl = *c;
  }

  /// Opens the writer at `end` (default: a new log) on `fs` (default: mem).
  void open_writer(wal::lsn end = 0, wal::writer_options opts = {},
                   wal::file_system* fs = nullptr) {
    if (end == 0)
      end = wal::first_record_lsn(1, ctl.segment_size);
    writer.reset();
    auto w = wal::log_writer::open(fs ? *fs : mem, ctl, end, opts);
    BOOST_REQUIRE_MESSAGE(w, what(w));
    writer.emplace(std::move(*w));
  }

  wal::lsn append(const std::string& payload,
                  wal::record_kind kind = wal::record_kind::insert) {
    if (!writer)
      open_writer();
    auto r = writer->append(kind, bytes_of(payload));
    BOOST_REQUIRE_MESSAGE(r, what(r));
    return *r;
  }

  wal::lsn flush() {
    auto r = writer->flush();
    BOOST_REQUIRE_MESSAGE(r, what(r));
    return *r;
  }

  /// Reads the log to its end (or to an error).
  read_outcome read(wal::reader_options opts = {}) {
    read_outcome out;
    auto outer = opts.reporter;
    opts.reporter = [&](const wal::corruption_report& r) {
      out.reports.push_back(r);
      if (outer)
        outer(r);
    };
    auto reader = wal::log_reader::open(mem, ctl, opts);
    if (!reader) {
      out.error = reader.err();
      return out;
    }
    for (;;) {
      auto rec = reader->next();
      if (!rec) {
        out.error = rec.err();
        return out;
      }
      if (!*rec)
        break;
      const auto& r = **rec;
      BOOST_CHECK_EQUAL(reinterpret_cast<uintptr_t>(r.payload.data()) % 8, 0u);
      out.records.push_back(read_record{
        r.kind, r.start, r.end,
        std::string{reinterpret_cast<const char*>(r.payload.data()), r.payload.size()}});
    }
    out.end = reader->end();
    return out;
  }

  /// Appends records of `size` bytes ("0000...", "1111...", ...) until the
  /// next one goes into segment `segno`, flushing each when `flush_each`
  /// and all at the end otherwise; returns their payloads.
  std::vector<std::string> fill_until_segment(uint64_t segno, size_t size,
                                              bool flush_each = true) {
    if (!writer)
      open_writer();
    std::vector<std::string> out;
    while (wal::segment_of(writer->insert_lsn(), ctl.segment_size) < segno) {
      out.push_back(big_string(std::to_string(out.size()), size));
      append(out.back());
      if (flush_each)
        flush();
    }
    flush();
    return out;
  }

  /// Reads from `start`.
  read_outcome read_from(wal::lsn start) {
    wal::reader_options opts;
    opts.start = start;
    return read(opts);
  }

  /// Reads with truncation on corruption.
  read_outcome read_truncating() {
    wal::reader_options opts;
    opts.truncate_on_corruption = true;
    return read(opts);
  }

  /// Checks that the log goes on after recovery: a writer at `end` (what
  /// the reader found after `payloads`) appends one more record.
  void expect_continues(std::vector<std::string> payloads, wal::lsn end) {
    open_writer(end);
    append("after");
    flush();
    payloads.push_back("after");
    auto got = read();
    BOOST_REQUIRE_MESSAGE(!got.error, got.error->message);
    BOOST_CHECK(got.payloads() == payloads);
    BOOST_CHECK(got.reports.empty());
  }

  std::string name(uint64_t segno) const {
    return wal::segment_file_name(segno, ctl.segment_size);
  }

  /// The bytes of segment `segno`.
  std::vector<uint8_t>& segment(uint64_t segno) {
    auto* c = mem.contents(name(segno));
    BOOST_REQUIRE_MESSAGE(c != nullptr, "no segment file " << name(segno));
    return *c;
  }

  /// The bytes at `x` (in whichever segment holds it).
  uint8_t& at(wal::lsn x) {
    auto& s = segment(wal::segment_of(x, ctl.segment_size));
    auto off = wal::offset_in_segment(x, ctl.segment_size);
    BOOST_REQUIRE_LT(off, s.size());
    return s[off];
  }

  /// Flips bit `bit` of the byte at `x`.
  void flip(wal::lsn x, int bit = 0) { at(x) ^= static_cast<uint8_t>(1u << bit); }

  /// Cuts segment `segno` to `size` bytes.
  void cut(uint64_t segno, size_t size) { segment(segno).resize(size); }
};

} // namespace wal_test

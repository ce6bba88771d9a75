#include "actors/wal_actor.hpp"

#include <chrono>
#include <filesystem>
#include <span>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/interfaces.hpp"
#include "wal/control_file.hpp"
#include "wal/log_reader.hpp"
#include "wal/log_writer.hpp"
#include "wal/posix_file_system.hpp"

namespace hypertide::actors {

namespace {

/// The log's files: the file system the writer points into, and the writer.
struct wal_files {
  wal::posix_file_system fs;
  wal::control ctl;
  std::optional<wal::log_writer> writer;
};

chunkstore::pg_error io_error(const std::string& what, const wal::error& e) {
  // PostgreSQL: 58030 io_error; XX001 data_corrupted.
  return chunkstore::pg_error{e.code == wal::errc::corruption ? "XX001" : "58030",
                              what + ": " + e.message, {}};
}

struct wal_state {
  static inline const char* name = "wal_writer";
  std::shared_ptr<wal_files> files;
  bool sync = true;
  int delay_ms = 200;
  bool flush_queued = false;
  /// Appends waiting for the flush that covers them: (end LSN, promise).
  std::vector<std::pair<uint64_t, caf::typed_response_promise<uint64_t>>> waiting;
  std::optional<chunkstore::pg_error> failed;
};

using wal_self = caf::stateful_actor<wal_state>*;

/// One write and one fdatasync for everything appended so far.
void flush(wal_self self) {
  auto& st = self->state;
  st.flush_queued = false;
  if (!st.failed) {
    auto r = st.files->writer->flush();
    if (!r)
      st.failed = io_error("could not flush the write-ahead log", r.err());
  }
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& [lsn, promise] : waiting) {
    if (st.failed)
      promise.deliver(make_pg_error(*st.failed));
    else
      promise.deliver(lsn);
  }
}

caf::behavior wal_behavior(wal_self self, std::shared_ptr<wal_files> files, bool sync,
                           int delay_ms) {
  self->state.files = std::move(files);
  self->state.sync = sync;
  self->state.delay_ms = delay_ms;
  return {
    [=](append_atom, const std::vector<messages::buffer>& payloads,
        const std::vector<uint8_t>& kinds, uint8_t mode) -> caf::result<uint64_t> {
      auto& st = self->state;
      if (st.failed)
        return make_pg_error(*st.failed);
      if (payloads.size() != kinds.size())
        return make_pg_error({"XX000", "WAL append: payloads and kinds differ in number", {}});
      uint64_t end = 0;
      for (size_t i = 0; i < payloads.size(); ++i) {
        const auto& p = payloads[i];
        if (p.size() > st.files->writer->max_record_size())
          return make_pg_error({"54000", "a change of " + std::to_string(p.size())
                                           + " bytes is larger than a WAL record can be ("
                                           + std::to_string(st.files->writer->max_record_size())
                                           + " bytes): split the COPY",
                                {}});
        auto r = st.files->writer->append(static_cast<wal::record_kind>(kinds[i]),
                                          std::span<const uint8_t>{p.data(), p.size()});
        if (!r) {
          st.failed = io_error("could not write to the write-ahead log", r.err());
          return make_pg_error(*st.failed);
        }
        end = *r;
      }
      bool sync = mode == commit_default ? st.sync : mode == commit_sync;
      if (!sync) {
        // synchronous_commit = off: acknowledged now, on disk within the
        // writer delay.
        if (!st.flush_queued) {
          st.flush_queued = true;
          self->delayed_send(self, std::chrono::milliseconds(st.delay_ms), done_atom_v);
        }
        return end;
      }
      auto promise = self->make_response_promise<uint64_t>();
      st.waiting.emplace_back(end, promise);
      if (!st.flush_queued) {
        // Behind every append already in the mailbox: they share the flush.
        st.flush_queued = true;
        self->send(self, done_atom_v);
      }
      return promise;
    },
    [=](done_atom) { flush(self); },
    [=](wal_atom) -> caf::result<uint64_t, uint64_t> {
      const auto& w = *self->state.files->writer;
      return {w.insert_lsn(), w.ctl().segment_size};
    },
  };
}

} // namespace

std::variant<wal_recovery, chunkstore::pg_error> recover_wal(const std::string& data_dir) {
  std::error_code ec;
  std::string dir = data_dir + "/pg_wal";
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return chunkstore::pg_error{"58030", "could not create directory \"" + dir + "\": "
                                           + ec.message(), {}};
  auto fs = wal::posix_file_system::open_dir(dir);
  if (!fs)
    return io_error("could not open \"" + dir + "\"", fs.err());
  auto files = std::make_shared<wal_files>(wal_files{std::move(*fs), {}, std::nullopt});
  auto ctl = wal::read_control(files->fs);
  if (!ctl && ctl.err().code == wal::errc::not_found)
    ctl = wal::init_control(files->fs, wal::default_segment_size);
  if (!ctl)
    return io_error("could not read the control file in \"" + dir + "\"", ctl.err());
  files->ctl = *ctl;
  wal_recovery out;
  wal::reader_options ro;
  ro.reporter = [&](const wal::corruption_report& r) {
    out.torn_tail = r.file + " at offset " + std::to_string(r.offset) + ": " + r.reason;
  };
  auto reader = wal::log_reader::open(files->fs, files->ctl, ro);
  if (!reader)
    return io_error("could not read the write-ahead log", reader.err());
  for (;;) {
    auto rec = reader->next();
    if (!rec)
      return io_error("could not read the write-ahead log", rec.err());
    if (!rec->has_value())
      break;
    const auto& r = **rec;
    out.records.emplace_back(static_cast<uint8_t>(r.kind),
                             messages::buffer::copy_of(r.payload.data(), r.payload.size()));
  }
  out.end = reader->end();
  // Segments are filled with zeros when created, as PostgreSQL does
  // (wal_init_zero): a commit's fdatasync then never changes the file's
  // size, which on ext4 would cost a journal commit per flush.
  wal::writer_options wo;
  wo.zero_fill = true;
  auto writer = wal::log_writer::open(files->fs, files->ctl, out.end, wo);
  if (!writer)
    return io_error("could not open the write-ahead log for writing", writer.err());
  files->writer.emplace(std::move(*writer));
  out.max_record = files->writer->max_record_size();
  out.files = files;
  return out;
}

caf::actor spawn_wal_writer(caf::actor_system& sys, wal_recovery& log, bool synchronous_commit,
                            int writer_delay_ms) {
  return sys.spawn<caf::detached>(wal_behavior, std::static_pointer_cast<wal_files>(log.files),
                                  synchronous_commit, writer_delay_ms);
}

} // namespace hypertide::actors

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
#include "wal/segments.hpp"
#include "wal/snapshot.hpp"

namespace hypertide::actors {

namespace {

/// The log's files: the file system the writer points into, and the writer;
/// where snapshots go.
struct wal_files {
  wal::posix_file_system fs;
  wal::control ctl;
  std::optional<wal::log_writer> writer;
  std::string snapshot_dir;
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
  /// Checkpoints: who makes them, when to ask, the last one's redo LSN.
  catalog_actor catalog;
  uint64_t max_wal_bytes = 0;
  uint64_t redo = 0;
  bool checkpoint_asked = false;
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

/// Queues one flush behind every append already in the mailbox.
void queue_flush(wal_self self) {
  if (!self->state.flush_queued) {
    self->state.flush_queued = true;
    self->send(self, done_atom_v);
  }
}

/// Asks for a checkpoint once the log has grown by half of max_wal_size
/// since the last one: PostgreSQL spreads a checkpoint so that the log
/// stays under max_wal_size; ours write at once, so half leaves room.
void maybe_ask_checkpoint(wal_self self) {
  auto& st = self->state;
  if (!st.catalog || st.checkpoint_asked || st.max_wal_bytes == 0
      || st.files->writer->insert_lsn() - st.redo < st.max_wal_bytes / 2)
    return;
  st.checkpoint_asked = true;
  // After a failure (a full disk, say) ask again only a minute later, not
  // at the next append: a checkpoint copies every chunk.
  self->request(st.catalog, caf::infinite, checkpoint_atom_v)
    .then([](uint64_t) {},
          [self](caf::error&) {
            self->delayed_send(self, std::chrono::minutes(1), checkpoint_atom_v, true);
          });
}

caf::behavior wal_behavior(wal_self self, std::shared_ptr<wal_files> files, bool sync,
                           int delay_ms, catalog_actor catalog, uint64_t max_wal_bytes) {
  self->state.files = std::move(files);
  self->state.sync = sync;
  self->state.delay_ms = delay_ms;
  self->state.catalog = std::move(catalog);
  self->state.max_wal_bytes = max_wal_bytes;
  // Growth counts from the last checkpoint, or from the oldest segment of
  // a log that never had one.
  const auto& ctl = self->state.files->ctl;
  self->state.redo = ctl.checkpoint;
  if (ctl.checkpoint == wal::invalid_lsn) {
    auto segs = wal::list_segments(self->state.files->fs, ctl.segment_size);
    self->state.redo = segs && !segs->empty()
                         ? wal::first_record_lsn(segs->front(), ctl.segment_size)
                         : self->state.files->writer->insert_lsn();
  }
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
      maybe_ask_checkpoint(self);
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
      queue_flush(self); // behind every append in the mailbox: they share it
      return promise;
    },
    [=](done_atom) { flush(self); },
    [=](checkpoint_atom, bool) { self->state.checkpoint_asked = false; },
    [=](checkpoint_atom) -> caf::result<uint64_t> {
      // A redo point: everything the catalog sent before asking, on disk.
      auto& st = self->state;
      if (st.failed)
        return make_pg_error(*st.failed);
      auto promise = self->make_response_promise<uint64_t>();
      st.waiting.emplace_back(st.files->writer->insert_lsn(), promise);
      queue_flush(self);
      return promise;
    },
    [=](checkpoint_atom, uint64_t redo) -> caf::result<uint64_t> {
      // The snapshot at `redo` is durable: recovery starts there from now
      // on, and the segments before it can go.
      auto& st = self->state;
      wal::control ctl = st.files->ctl;
      ctl.checkpoint = redo;
      if (auto r = wal::write_control(st.files->fs, ctl); !r)
        return make_pg_error(io_error("could not write the control file", r.err()));
      st.files->ctl = ctl;
      st.redo = redo;
      st.checkpoint_asked = false;
      // The checkpoint is done; segments that cannot go now go after the
      // next one (remove_segments_before removes everything before it).
      auto removed = wal::remove_segments_before(st.files->fs, ctl, redo);
      return static_cast<uint64_t>(removed ? *removed : 0);
    },
    [=](wal_atom) -> caf::result<uint64_t, uint64_t> {
      const auto& w = *self->state.files->writer;
      return {w.insert_lsn(), w.ctl().segment_size};
    },
  };
}

} // namespace

namespace {

/// Opens `dir` (creating it) as a file system.
std::variant<wal::posix_file_system, chunkstore::pg_error> open_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return chunkstore::pg_error{"58030", "could not create directory \"" + dir + "\": "
                                           + ec.message(), {}};
  auto fs = wal::posix_file_system::open_dir(dir);
  if (!fs)
    return io_error("could not open \"" + dir + "\"", fs.err());
  return std::move(*fs);
}

/// Loads the snapshot of the checkpoint at `ctl.checkpoint` into `sink`.
std::optional<chunkstore::pg_error> load_snapshot(const std::string& dir, const wal::control& ctl,
                                                  const recovery_sink& sink, wal_recovery& out) {
  auto fs = open_dir(dir);
  if (auto* e = std::get_if<chunkstore::pg_error>(&fs))
    return *e;
  auto& sfs = std::get<wal::posix_file_system>(fs);
  // Unfinished snapshots of a checkpoint a crash cut short, and older ones.
  if (auto r = wal::remove_snapshots_except(sfs, ctl.checkpoint); !r)
    return io_error("could not clean \"" + dir + "\"", r.err());
  if (ctl.checkpoint == wal::invalid_lsn)
    return std::nullopt;
  auto reader = wal::snapshot_reader::open(sfs, ctl.checkpoint, ctl.system_identifier);
  if (!reader)
    return io_error("could not read the snapshot of the checkpoint at "
                      + wal::format_lsn(ctl.checkpoint),
                    reader.err());
  for (;;) {
    auto e = reader->next();
    if (!e)
      return io_error("could not read the snapshot of the checkpoint at "
                        + wal::format_lsn(ctl.checkpoint),
                      e.err());
    if (!e->has_value())
      break;
    const auto& entry = **e;
    if (auto err = sink(true, entry.kind,
                        messages::buffer::copy_of(entry.payload.data(), entry.payload.size())))
      return err;
    ++out.snapshot_entries;
  }
  out.checkpoint = ctl.checkpoint;
  return std::nullopt;
}

} // namespace

std::variant<wal_recovery, chunkstore::pg_error>
recover_wal(const std::string& data_dir, const recovery_options& opts, const recovery_sink& sink) {
  std::string dir = data_dir + "/pg_wal";
  auto opened = open_dir(dir);
  if (auto* e = std::get_if<chunkstore::pg_error>(&opened))
    return *e;
  auto files = std::make_shared<wal_files>(wal_files{
    std::move(std::get<wal::posix_file_system>(opened)), {}, std::nullopt,
    data_dir + "/snapshots"});
  auto ctl = wal::read_control(files->fs);
  if (!ctl && ctl.err().code == wal::errc::not_found)
    ctl = wal::init_control(files->fs, opts.segment_size);
  if (!ctl)
    return io_error("could not read the control file in \"" + dir + "\"", ctl.err());
  files->ctl = *ctl;
  wal_recovery out;
  if (auto e = load_snapshot(files->snapshot_dir, files->ctl, sink, out))
    return *e;
  wal::reader_options ro;
  ro.start = files->ctl.checkpoint;
  ro.truncate_on_corruption = opts.truncate_on_corruption;
  ro.reporter = [&](const wal::corruption_report& r) {
    out.torn_tail = r.file + " at offset " + std::to_string(r.offset) + ": " + r.reason;
  };
  auto reader = wal::log_reader::open(files->fs, files->ctl, ro);
  if (!reader)
    return io_error("could not read the write-ahead log", reader.err());
  // Where the last whole change ends: a transaction's chunk creations and
  // inserts count only with their commit record.
  wal::lsn complete_end = wal::invalid_lsn, first_start = wal::invalid_lsn;
  bool open_tail = false;
  for (;;) {
    auto rec = reader->next();
    if (!rec)
      return io_error("could not read the write-ahead log", rec.err());
    if (!rec->has_value())
      break;
    const auto& r = **rec;
    if (auto e = sink(false, static_cast<uint8_t>(r.kind),
                      messages::buffer::copy_of(r.payload.data(), r.payload.size())))
      return *e;
    ++out.records;
    if (first_start == wal::invalid_lsn)
      first_start = r.start;
    auto kind = static_cast<uint8_t>(r.kind);
    open_tail = kind == wal_insert || kind == wal_create_chunk || kind == wal_txn_ddl;
    if (!open_tail)
      complete_end = r.end;
  }
  out.end = reader->end();
  if (open_tail) {
    // A transaction cut short by the crash (its records reached the disk
    // but its commit did not): it was never acknowledged, and replay left
    // it out. The log goes on after the last whole change, so that a later
    // commit record never picks these records up.
    out.end = complete_end != wal::invalid_lsn ? complete_end : first_start;
    out.torn_tail += std::string{out.torn_tail.empty() ? "" : "; "}
                     + "the records of a transaction without its commit, from "
                     + wal::format_lsn(out.end);
  }
  // Segments are filled with zeros when created, as PostgreSQL does
  // (wal_init_zero, on by default): a commit's fdatasync then never changes
  // the file's size, which on ext4 would cost a journal commit per flush.
  wal::writer_options wo;
  wo.zero_fill = opts.zero_fill;
  auto writer = wal::log_writer::open(files->fs, files->ctl, out.end, wo);
  if (!writer)
    return io_error("could not open the write-ahead log for writing", writer.err());
  files->writer.emplace(std::move(*writer));
  out.max_record = files->writer->max_record_size();
  out.files = files;
  return out;
}

caf::actor spawn_wal_writer(caf::actor_system& sys, wal_recovery& log, bool synchronous_commit,
                            int writer_delay_ms, catalog_actor catalog, uint64_t max_wal_bytes) {
  return sys.spawn<caf::detached>(wal_behavior, std::static_pointer_cast<wal_files>(log.files),
                                  synchronous_commit, writer_delay_ms, std::move(catalog),
                                  max_wal_bytes);
}

namespace {

struct checkpointer_state {
  static inline const char* name = "checkpointer";
  std::optional<wal::posix_file_system> fs;
  uint64_t system_identifier = 0;
  std::optional<wal::snapshot_writer> writer;
};

using checkpointer_self = caf::stateful_actor<checkpointer_state>*;

caf::behavior checkpointer_behavior(checkpointer_self self, std::string dir,
                                    uint64_t system_identifier) {
  self->state.system_identifier = system_identifier;
  auto failed = [](const std::string& what, const wal::error& e) {
    return make_pg_error(io_error(what, e));
  };
  auto fs = [self, dir]() -> std::variant<wal::posix_file_system*, chunkstore::pg_error> {
    auto& st = self->state;
    if (!st.fs) {
      auto opened = open_dir(dir);
      if (auto* e = std::get_if<chunkstore::pg_error>(&opened))
        return *e;
      st.fs.emplace(std::move(std::get<wal::posix_file_system>(opened)));
    }
    return &*st.fs;
  };
  return {
    [=](checkpoint_atom, uint64_t redo, const messages::buffer& catalog) -> caf::result<bool> {
      auto& st = self->state;
      auto f = fs();
      if (auto* e = std::get_if<chunkstore::pg_error>(&f))
        return make_pg_error(*e);
      st.writer.reset();
      auto w = wal::snapshot_writer::create(*std::get<wal::posix_file_system*>(f),
                                            st.system_identifier, redo);
      if (!w)
        return failed("could not create a checkpoint snapshot", w.err());
      st.writer.emplace(std::move(*w));
      if (auto r = st.writer->add(wal_catalog, {catalog.data(), catalog.size()}); !r)
        return failed("could not write a checkpoint snapshot", r.err());
      return true;
    },
    [=](append_atom, const messages::buffer& rows) -> caf::result<bool> {
      auto& st = self->state;
      if (!st.writer)
        return make_pg_error({"XX000", "checkpoint snapshot rows without a snapshot", {}});
      if (auto r = st.writer->add(wal_insert, {rows.data(), rows.size()}); !r)
        return failed("could not write a checkpoint snapshot", r.err());
      return true;
    },
    [=](done_atom, uint64_t) -> caf::result<uint64_t, uint64_t> {
      auto& st = self->state;
      if (!st.writer)
        return make_pg_error({"XX000", "checkpoint finished without a snapshot", {}});
      auto r = st.writer->finish();
      uint64_t bytes = st.writer->bytes_written(), entries = st.writer->entries();
      st.writer.reset();
      if (!r)
        return failed("could not write a checkpoint snapshot", r.err());
      return {bytes, entries};
    },
    [=](close_atom) -> caf::result<uint64_t> {
      // After a failed checkpoint: only unfinished snapshots go.
      auto& st = self->state;
      st.writer.reset();
      auto f = fs();
      if (auto* e = std::get_if<chunkstore::pg_error>(&f))
        return make_pg_error(*e);
      auto& sfs = *std::get<wal::posix_file_system*>(f);
      auto names = sfs.list();
      if (!names)
        return failed("could not list checkpoint snapshots", names.err());
      std::vector<std::string> tmp;
      for (const auto& n : *names)
        if (n.rfind("snapshot_", 0) == 0 && n.size() > 4 && n.ends_with(".tmp"))
          tmp.push_back(n);
      if (auto r = wal::remove_files(sfs, tmp); !r)
        return failed("could not remove an unfinished checkpoint snapshot", r.err());
      return static_cast<uint64_t>(tmp.size());
    },
    [=](close_atom, uint64_t keep) -> caf::result<uint64_t> {
      auto& st = self->state;
      st.writer.reset();
      auto f = fs();
      if (auto* e = std::get_if<chunkstore::pg_error>(&f))
        return make_pg_error(*e);
      auto r = wal::remove_snapshots_except(*std::get<wal::posix_file_system*>(f), keep);
      if (!r)
        return failed("could not remove old checkpoint snapshots", r.err());
      return static_cast<uint64_t>(*r);
    },
  };
}

} // namespace

caf::actor spawn_checkpointer(caf::actor_system& sys, const std::string& data_dir,
                              wal_recovery& log) {
  auto files = std::static_pointer_cast<wal_files>(log.files);
  return sys.spawn<caf::detached>(checkpointer_behavior, data_dir + "/snapshots",
                                  files->ctl.system_identifier);
}

} // namespace hypertide::actors

#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "chunkstore/types.hpp"
#include "messages/buffer.hpp"

namespace hypertide::actors {

/// What recovery read from a node's write-ahead log: every record in log
/// order (kind as in wal/log_format.hpp, payload a FlatBuffer), and where
/// the log ends (the writer continues there). `files` keeps the log open.
struct wal_recovery {
  std::vector<std::pair<uint8_t, messages::buffer>> records;
  uint64_t end = 0;
  uint64_t max_record = 0; ///< the largest payload one record can hold
  std::string torn_tail; ///< what was cut off the end, if anything
  std::shared_ptr<void> files;
};

/// Opens the log under `data_dir`/pg_wal (creating the directory and a new
/// control file on first start) and reads every record. A checksum failure
/// before the tail is an error naming segment and offset.
std::variant<wal_recovery, chunkstore::pg_error> recover_wal(const std::string& data_dir);

/// The WAL writer: (append_atom, payloads, kinds, commit_mode) appends the
/// records in order and answers with the LSN of the last one's end -- once
/// it is on disk (fdatasync) when the commit is synchronous (the mode, or
/// for commit_default `synchronous_commit`), at once otherwise (then a
/// flush follows within `writer_delay_ms`). Appends that arrive while a
/// flush runs share the next one (group commit). Runs on its own thread:
/// its fdatasync never blocks the scheduler. After an I/O error it refuses
/// every append, as PostgreSQL PANICs.
caf::actor spawn_wal_writer(caf::actor_system& sys, wal_recovery& log, bool synchronous_commit,
                            int writer_delay_ms);

} // namespace hypertide::actors

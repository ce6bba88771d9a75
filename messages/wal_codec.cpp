#include "messages/wal_codec.hpp"

#include <flatbuffers/flatbuffers.h>

#include "wal_generated.h"

namespace hypertide::messages {

namespace {

using flatbuffers::FlatBufferBuilder;

/// The root table of `buf`, verified when `verify`; nullptr when empty or
/// failing verification.
template <class T>
const T* root_of(const buffer& buf, bool verify, const char* identifier) {
  if (buf.empty()
      || (verify && !flatbuffers::Verifier{buf.data(), buf.size()}.VerifyBuffer<T>(identifier)))
    return nullptr;
  return flatbuffers::GetRoot<T>(buf.data());
}

pg_error invalid_wal_record(const char* what) {
  return pg_error{"XX001", std::string{"invalid WAL record: "} + what + " fails verification",
                  {}};
}

} // namespace

buffer encode(const create_chunk& x) {
  FlatBufferBuilder fbb{128};
  fbb.Finish(fb::CreateCreateChunk(fbb, 1, fbb.CreateString(x.hypertable), x.id,
                                   x.range.start, x.range.end, x.range.partition, x.oid));
  return buffer::copy_of(fbb.GetBufferPointer(), fbb.GetSize());
}

result<create_chunk> decode_create_chunk(const buffer& buf, bool verify) {
  const auto* c = root_of<fb::CreateChunk>(buf, verify, nullptr);
  if (c == nullptr)
    return invalid_wal_record("CreateChunk");
  return create_chunk{c->hypertable() ? c->hypertable()->str() : "", c->id(),
                      chunkstore::chunk_range{c->range_start(), c->range_end(), c->partition()},
                      c->oid()};
}

buffer encode(const commit_record& x) {
  FlatBufferBuilder fbb{64};
  fbb.Finish(fb::CreateCommit(fbb, 1, x.time, x.first_lsn), fb::CommitIdentifier());
  return buffer::copy_of(fbb.GetBufferPointer(), fbb.GetSize());
}

result<commit_record> decode_commit(const buffer& buf, bool verify) {
  const auto* c = root_of<fb::Commit>(buf, verify, fb::CommitIdentifier());
  if (c == nullptr)
    return invalid_wal_record("Commit");
  return commit_record{c->time(), c->first_lsn()};
}

} // namespace hypertide::messages

// FlatBuffer payloads through the log: the bytes the actors exchange go in
// unchanged and come back verifiable in place; the wal.fbs records round
// trip.

#include <boost/test/unit_test.hpp>

#include "log_fixture.hpp"
#include "messages/codec.hpp"
#include "messages/wal_codec.hpp"

using namespace wal_test;
namespace msg = hypertide::messages;
namespace cs = hypertide::chunkstore;

namespace {

template <class T>
const T& ok(const msg::result<T>& r) {
  if (auto* e = std::get_if<cs::pg_error>(&r))
    BOOST_FAIL(e->sqlstate << " " << e->message);
  return std::get<T>(r);
}

std::span<const uint8_t> bytes_of(const msg::buffer& b) {
  return {b.data(), b.size()};
}

msg::buffer buffer_of(const wal_test::read_record& r) {
  return msg::buffer{std::vector<char>(r.payload.begin(), r.payload.end())};
}

} // namespace

BOOST_AUTO_TEST_SUITE(payloads)

BOOST_AUTO_TEST_CASE(wal_records_round_trip) {
  msg::create_chunk chunk{"cpu", 7, cs::chunk_range{1000, 2000, 3}};
  BOOST_CHECK(ok(msg::decode_create_chunk(msg::encode(chunk), true)) == chunk);
  msg::commit_record commit{1'700'000'000'000'000, 123456};
  BOOST_CHECK(ok(msg::decode_commit(msg::encode(commit), true)) == commit);
  // Damage is refused with a PostgreSQL error, not a crash.
  auto bytes = msg::encode(commit).to_vector();
  bytes.resize(bytes.size() / 2);
  auto bad = msg::decode_commit(msg::buffer{bytes}, true);
  BOOST_REQUIRE(std::holds_alternative<cs::pg_error>(bad));
  BOOST_CHECK_EQUAL(std::get<cs::pg_error>(bad).sqlstate, "XX001");
  BOOST_CHECK(std::holds_alternative<cs::pg_error>(msg::decode_create_chunk({}, true)));
}

BOOST_AUTO_TEST_CASE(a_transaction_through_the_log) {
  log_fixture f;
  msg::create_table table;
  table.name = "cpu";
  table.schema.columns = {{"time", cs::column_type::timestamptz, true},
                          {"usage", cs::column_type::float8, false}};
  std::vector<cs::column_type> types{cs::column_type::timestamptz, cs::column_type::float8};
  cs::column_batch batch{types};
  for (int i = 0; i < 100; ++i) {
    batch.append_int(0, int64_t{i} * 1'000'000);
    batch.append_float(1, i * 0.5);
    batch.finish_row();
  }
  auto insert = msg::encode_insert("cpu", batch);
  f.open_writer();
  BOOST_REQUIRE(f.writer->append(wal::record_kind::create_table, bytes_of(msg::encode(table))));
  auto first = f.writer->insert_lsn();
  BOOST_REQUIRE(f.writer->append(wal::record_kind::create_chunk,
                                 bytes_of(msg::encode(msg::create_chunk{"cpu", 1, {}}))));
  BOOST_REQUIRE(f.writer->append(wal::record_kind::insert, bytes_of(insert)));
  BOOST_REQUIRE(f.writer->append(wal::record_kind::commit,
                                 bytes_of(msg::encode(msg::commit_record{42, first}))));
  f.flush();
  auto got = f.read();
  BOOST_REQUIRE_EQUAL(got.records.size(), 4u);
  BOOST_CHECK(got.records[0].kind == wal::record_kind::create_table);
  BOOST_CHECK_EQUAL(ok(msg::decode_create_table(buffer_of(got.records[0]), true)).name, "cpu");
  BOOST_CHECK_EQUAL(got.records[1].start, first);
  BOOST_CHECK_EQUAL(ok(msg::decode_create_chunk(buffer_of(got.records[1]), true)).id, 1);
  // The insert's bytes are the very bytes the chunk actors get.
  BOOST_CHECK(got.records[2].payload
              == std::string(reinterpret_cast<const char*>(insert.data()), insert.size()));
  auto insert_buf = buffer_of(got.records[2]);
  auto decoded = msg::decode_insert(insert_buf, true); // a view into insert_buf
  BOOST_CHECK_EQUAL(ok(decoded).batch.rows, 100u);
  auto c = ok(msg::decode_commit(buffer_of(got.records[3]), true));
  BOOST_CHECK_EQUAL(c.first_lsn, first);
  BOOST_CHECK_EQUAL(c.time, 42);
}

BOOST_AUTO_TEST_CASE(payloads_are_aligned) {
  // A record at an odd offset still comes back 8-byte aligned, so a
  // FlatBuffer with 8-byte fields passes the Verifier's alignment checks.
  log_fixture f;
  f.append("odd");
  f.append("aligned");
  f.flush();
  auto reader = wal::log_reader::open(f.mem, f.ctl);
  BOOST_REQUIRE(reader);
  BOOST_REQUIRE(*reader->next());
  auto rec = reader->next();
  BOOST_REQUIRE(rec && *rec);
  BOOST_CHECK_EQUAL(wal::offset_in_segment((*rec)->start, f.ctl.segment_size) % 8, 3u);
  BOOST_CHECK_EQUAL(reinterpret_cast<uintptr_t>((*rec)->payload.data()) % 8, 0u);
}

BOOST_AUTO_TEST_SUITE_END()

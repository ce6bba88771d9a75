// The harness's parts without a server: the command line, COPY encoding,
// the --check comparison and latency statistics.

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <variant>

#include "benchmarks/bench_options.hpp"
#include "benchmarks/copy_encoder.hpp"
#include "benchmarks/report.hpp"
#include "benchmarks/result_compare.hpp"

namespace {

using namespace hypertide;
using namespace hypertide::benchmarks;
namespace cs = hypertide::chunkstore;

std::variant<bench_options, std::string> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "hypertide-bench");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return parse_options(static_cast<int>(argv.size()), argv.data());
}

std::string error_of(std::vector<std::string> args) {
  auto r = parse(std::move(args));
  auto* e = std::get_if<std::string>(&r);
  return e != nullptr ? *e : std::string{};
}

result_set rows(std::vector<std::vector<std::optional<std::string>>> r) {
  return result_set{{"a", "b"}, std::move(r)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(parts)

BOOST_AUTO_TEST_CASE(flags_fill_the_options) {
  auto r = parse({"load", "--port=6000", "--workers", "3", "--format", "csv", "--scale", "12",
                  "--start", "2016-01-02T00:00:00Z", "--end", "2016-01-02T06:00:00Z",
                  "--interval", "1m", "--chunk-interval", "2 hours", "--partitions", "4",
                  "--drop", "--no-tags"});
  BOOST_REQUIRE(std::holds_alternative<bench_options>(r));
  const auto& o = std::get<bench_options>(r);
  BOOST_TEST(o.server.port == 6000);
  BOOST_TEST(o.workers == 3);
  BOOST_TEST((o.format == copy_format::csv));
  BOOST_TEST(o.data.hosts == 12u);
  BOOST_TEST(o.data.end - o.data.start == 6 * cs::usecs_per_hour);
  BOOST_TEST(o.data.interval == cs::usecs_per_minute);
  BOOST_TEST(o.chunk_interval == 2 * cs::usecs_per_hour);
  BOOST_TEST(o.partitions == 4);
  BOOST_TEST(o.drop);
  BOOST_TEST(!o.tags_table);

  auto q = parse({"run", "--type", "lastpoint,high-cpu-1", "--check", "--port2", "7",
                  "--dialect", "postgres"});
  BOOST_REQUIRE(std::holds_alternative<bench_options>(q));
  const auto& p = std::get<bench_options>(q);
  BOOST_TEST(p.types.size() == 2u);
  BOOST_TEST(p.types[1]->name == std::string{"high-cpu-1"});
  BOOST_TEST((p.dialect2 == sql_dialect::postgres)); // follows --dialect
  BOOST_TEST(std::get<bench_options>(parse({"queries"})).types.size() == 15u);
  BOOST_TEST(std::get<bench_options>(parse({"run", "--help"})).help);
}

BOOST_AUTO_TEST_CASE(bad_flags_say_what_is_wrong) {
  auto has = [](const std::string& msg, const char* part) {
    BOOST_TEST(msg.find(part) != std::string::npos, msg);
  };
  has(error_of({"explode"}), "unknown command 'explode'");
  has(error_of({"load", "--nope"}), "unknown option '--nope'");
  has(error_of({"generate", "--workers", "2"}), "unknown option '--workers'");
  has(error_of({"load", "--start", "yesterday-ish"}), "RFC 3339");
  has(error_of({"load", "--port", "70000"}), "--port: expected an integer from 1 to 65535");
  has(error_of({"load", "--workers"}), "--workers needs a value");
  has(error_of({"load", "--format", "xml"}), "expected binary or text or csv");
  has(error_of({"run", "--type", "single-groupby-9"}), "unknown query type 'single-groupby-9'");
  has(error_of({"run", "--check"}), "--port2");
  has(error_of({"load", "--scale", "2", "--workers", "3"}), "more than --scale");
  has(error_of({"load", "--end", "2015-01-01T00:00:00Z"}), "--end must be after --start");
  has(error_of({"queries", "--end", "2016-01-01T01:00:00Z"}), "longer than its 1 h window");
  has(error_of({"load", "--in-process", "--indexes"}), "not --in-process");
  has(error_of({"load", "--interval", "0"}), "positive duration");
  has(error_of({"run", "--partitions", "2"}), "only for run --in-process");
  has(error_of({"run", "--in-process", "--protocol", "extended"}), "simple query protocol only");
  has(error_of({"run", "--client", "odbc"}), "expected stream or libpq");
  has(error_of({"run", "--result-format", "binary"}), "needs --protocol extended");
  has(error_of({"run", "--protocol", "extended", "--result-format", "binary", "--client", "libpq"}),
      "--client stream");
}

BOOST_AUTO_TEST_CASE(copy_text_and_csv_escape_what_they_must) {
  cs::table_schema s;
  s.columns = {{"t", cs::column_type::timestamptz, false},
               {"s", cs::column_type::text, false},
               {"f", cs::column_type::float8, false}};
  cs::column_batch b{s};
  b.append_int(0, 1'451'606'400LL * cs::usecs_per_second + 500'000);
  b.append_text(1, "a\tb,\"c\"\\");
  b.append_float(2, 91);
  b.finish_row();
  b.append_int(0, 0);
  b.append_text(1, "");
  b.append_null(2);
  b.finish_row();
  std::string text, csv;
  copy_encoder{copy_format::text}.append(b, text);
  copy_encoder{copy_format::csv}.append(b, csv);
  BOOST_TEST(text == "2016-01-01 00:00:00.5+00\ta\\tb,\"c\"\\\\\t91\n"
                     "1970-01-01 00:00:00+00\t\t\\N\n");
  BOOST_TEST(csv == "2016-01-01 00:00:00.5+00,\"a\tb,\"\"c\"\"\\\",91\n"
                    "1970-01-01 00:00:00+00,\"\",\n");
  BOOST_TEST(copy_statement("cpu", s, copy_format::binary) ==
             "COPY cpu (t, s, f) FROM STDIN WITH (FORMAT binary)");
  BOOST_TEST(copy_statement("cpu", s, copy_format::text) == "COPY cpu (t, s, f) FROM STDIN");
}

BOOST_AUTO_TEST_CASE(copy_binary_is_postgresql_s_layout) {
  cs::table_schema s;
  s.columns = {{"t", cs::column_type::timestamptz, false},
               {"f", cs::column_type::float8, false}};
  cs::column_batch b{s};
  b.append_int(0, 946'684'800LL * cs::usecs_per_second + 1); // 2000-01-01 + 1 us
  b.append_float(1, 1.0);
  b.finish_row();
  std::string out;
  copy_encoder::binary_header(out);
  copy_encoder{copy_format::binary}.append(b, out);
  copy_encoder::binary_trailer(out);
  std::string expected("PGCOPY\n\377\r\n\0", 11);
  expected += std::string(8, '\0');                       // flags, extension length
  expected += std::string("\0\2", 2);                     // two fields
  expected += std::string("\0\0\0\10", 4) + std::string(7, '\0') + '\1';
  expected += std::string("\0\0\0\10", 4) + std::string("\x3f\xf0", 2) + std::string(6, '\0');
  expected += "\xff\xff";
  BOOST_TEST(out == expected);
}

BOOST_AUTO_TEST_CASE(check_compares_rows_with_a_float_tolerance) {
  compare_options o;
  auto a = rows({{"x", "1"}, {"y", "0.30000000000000004"}});
  BOOST_TEST(compare_results(a, rows({{"x", "1"}, {"y", "0.3"}}), o).empty());
  BOOST_TEST(!compare_results(a, rows({{"x", "1"}, {"y", "0.3001"}}), o).empty());
  // Order counts only when the query orders.
  auto swapped = rows({{"y", "0.3"}, {"x", "1"}});
  BOOST_TEST(!compare_results(a, swapped, o).empty());
  o.ordered = false;
  BOOST_TEST(compare_results(a, swapped, o).empty());
  // NULL is only equal to NULL; text is not numeric.
  BOOST_TEST(!compare_results(rows({{"x", std::nullopt}}), rows({{"x", "0"}}), o).empty());
  BOOST_TEST(!compare_results(rows({{"x", "1"}}), rows({{"X", "1"}}), o).empty());
  // Row counts and column names.
  auto d = compare_results(a, rows({{"x", "1"}}), o);
  BOOST_TEST(d.find("row counts differ: 2 vs 1") != std::string::npos, d);
  result_set named{{"a", "c"}, a.rows};
  d = compare_results(a, named, o);
  BOOST_TEST(d.find("columns differ: (a,b) vs (a,c)") != std::string::npos, d);
}

BOOST_AUTO_TEST_CASE(latency_statistics) {
  std::vector<double> ms;
  for (int i = 100; i >= 1; --i)
    ms.push_back(i);
  auto s = compute_stats(ms);
  BOOST_TEST(s.count == 100u);
  BOOST_TEST(s.min == 1);
  BOOST_TEST(s.max == 100);
  BOOST_TEST(s.median == 50.5);
  BOOST_TEST(s.mean == 50.5);
  BOOST_TEST(s.p99 == 99);
  std::vector<double> one{4};
  s = compute_stats(one);
  BOOST_TEST((s.min == 4 && s.median == 4 && s.p99 == 4 && s.max == 4));
  BOOST_TEST(json_string("a\"b\\\n") == "\"a\\\"b\\\\\\n\"");
}

BOOST_AUTO_TEST_SUITE_END()

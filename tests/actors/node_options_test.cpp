// Config files as CAF reads them are checked again: CAF drops ill-typed
// values silently, and ignores atoms in double quotes.

#include <boost/test/unit_test.hpp>

#include "actors/node_options.hpp"

using hypertide::actors::check_config_text;
using hypertide::actors::node_options;

BOOST_AUTO_TEST_CASE(a_good_file_is_read) {
  node_options o;
  auto errs = check_config_text(R"([hypertide]
node-name="n1"   ; a comment
listen-address="127.0.0.1"
port=6543
cluster-port=7001
data-dir="data/n1"
synchronous-commit="off"
wal-writer-delay=50

[scheduler]
max-threads=2
policy='sharing'
)", o);
  BOOST_CHECK(errs.empty());
  BOOST_CHECK_EQUAL(o.node_name, "n1");
  BOOST_CHECK_EQUAL(o.port, 6543);
  BOOST_CHECK_EQUAL(o.cluster_port, 7001);
  BOOST_CHECK_EQUAL(o.data_dir, "data/n1");
  BOOST_CHECK_EQUAL(o.synchronous_commit, "off");
  BOOST_CHECK_EQUAL(o.wal_writer_delay_ms, 50u);
}

BOOST_AUTO_TEST_CASE(durability_options_are_checked) {
  node_options o;
  auto errs = check_config_text(R"([hypertide]
synchronous-commit="sometimes"
wal-writer-delay=0
)", o);
  // Line errors first; the value checks run once every line reads.
  BOOST_REQUIRE_EQUAL(errs.size(), 1u);
  BOOST_CHECK_NE(errs[0].find("line 3: hypertide.wal-writer-delay"), std::string::npos);
  node_options c;
  errs = check_config_text(R"([hypertide]
max-wal-size=64
checkpoint-timeout=600
truncate-corrupt-wal=true
wal-init-zero=false
wal-segment-size=16
)", c);
  BOOST_CHECK(errs.empty());
  BOOST_CHECK_EQUAL(c.wal_segment_size_mb, 16u);
  BOOST_CHECK(!c.wal_init_zero);
  BOOST_CHECK_EQUAL(c.max_wal_size_mb, 64u);
  BOOST_CHECK_EQUAL(c.checkpoint_timeout_s, 600u);
  BOOST_CHECK(c.truncate_corrupt_wal);
  errs = check_config_text(R"([hypertide]
max-wal-size=1
checkpoint-timeout=10
truncate-corrupt-wal=yes
)", c);
  BOOST_REQUIRE_EQUAL(errs.size(), 3u);
  BOOST_CHECK_NE(errs[0].find("line 2: hypertide.max-wal-size"), std::string::npos);
  BOOST_CHECK_NE(errs[1].find("line 3: hypertide.checkpoint-timeout: expected seconds between 30"),
                 std::string::npos);
  BOOST_CHECK_NE(errs[2].find("line 4: hypertide.truncate-corrupt-wal"), std::string::npos);
  node_options q;
  errs = check_config_text("[hypertide]\nwal-segment-size=48\n", q);
  BOOST_REQUIRE_EQUAL(errs.size(), 1u);
  BOOST_CHECK_NE(errs[0].find("hypertide.wal-segment-size: must be a power of two"),
                 std::string::npos);
  node_options h;
  errs = check_config_text("[hypertide]\nhuge-pages=\"off\"\n", h);
  BOOST_CHECK(errs.empty());
  BOOST_CHECK_EQUAL(h.huge_pages, "off");
  errs = check_config_text("[hypertide]\nhuge-pages=\"always\"\n", h);
  BOOST_REQUIRE_EQUAL(errs.size(), 1u);
  BOOST_CHECK_NE(errs[0].find("hypertide.huge-pages: \"always\" is not one of try, on, off"),
                 std::string::npos);
  node_options p;
  p.synchronous_commit = "sometimes";
  auto more = hypertide::actors::check_options(p);
  BOOST_REQUIRE_EQUAL(more.size(), 1u);
  BOOST_CHECK_NE(more[0].find("hypertide.synchronous-commit"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_bad_value_is_named) {
  node_options o;
  auto errs = check_config_text(R"([hypertide]
port="abc"
cluster-port=70000
listen-address=127.0.0.1
colour="blue"
[scheduler]
policy="sharing"
)", o);
  BOOST_REQUIRE_EQUAL(errs.size(), 5u);
  BOOST_CHECK_NE(errs[0].find("line 2: hypertide.port"), std::string::npos);
  BOOST_CHECK_NE(errs[1].find("hypertide.cluster-port"), std::string::npos);
  BOOST_CHECK_NE(errs[2].find("hypertide.listen-address"), std::string::npos);
  BOOST_CHECK_NE(errs[3].find("hypertide.colour: unknown option"), std::string::npos);
  BOOST_CHECK_NE(errs[4].find("scheduler.policy"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(values_are_checked_however_given) {
  node_options o;
  o.listen_address = "not-an-address";
  BOOST_CHECK_EQUAL(hypertide::actors::check_options(o).size(), 1u);
  o.listen_address = "::1";
  o.port = 0;
  BOOST_CHECK_EQUAL(hypertide::actors::check_options(o).size(), 1u);
}

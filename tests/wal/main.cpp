#define BOOST_TEST_MODULE wal
#include <boost/test/unit_test.hpp>

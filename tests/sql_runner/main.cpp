#define BOOST_TEST_MODULE sql
#include <boost/test/unit_test.hpp>

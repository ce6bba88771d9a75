#define BOOST_TEST_MODULE chunkstore
#include <boost/test/unit_test.hpp>

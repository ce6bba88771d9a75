# Every dependency comes from a Debian package (scripts/setup installs them).
find_package(Threads REQUIRED)

# libcaf-dev ships neither a CMake config nor a .pc file.
find_path(CAF_INCLUDE_DIR caf/actor_system.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
find_library(CAF_IO_LIBRARY caf_io REQUIRED)
if(NOT TARGET CAF::core)
  add_library(CAF::core SHARED IMPORTED)
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_library(CAF::io SHARED IMPORTED)
  set_target_properties(CAF::io PROPERTIES
    IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
    INTERFACE_LINK_LIBRARIES CAF::core)
endif()

find_package(FlatBuffers CONFIG REQUIRED)
find_package(mimalloc CONFIG REQUIRED)

# libpg-query-dev: no CMake config either.
find_path(PG_QUERY_INCLUDE_DIR pg_query.h REQUIRED)
find_library(PG_QUERY_LIBRARY pg_query REQUIRED)
if(NOT TARGET pg_query::pg_query)
  add_library(pg_query::pg_query UNKNOWN IMPORTED)
  set_target_properties(pg_query::pg_query PROPERTIES
    IMPORTED_LOCATION "${PG_QUERY_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${PG_QUERY_INCLUDE_DIR}")
endif()

if(HYPERTIDE_BUILD_TESTS)
  find_package(Boost 1.74 CONFIG REQUIRED COMPONENTS unit_test_framework)
endif()
if(HYPERTIDE_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()

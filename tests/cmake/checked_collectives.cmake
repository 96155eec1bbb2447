# tests/cmake/checked_collectives.cmake - checked mode on every blocking collective (issue #12 item 1):
# built with MPIXX_CHECKED=1 whatever the build type.
mpixx_unit_test(test_checked_collectives test_checked_collectives.cpp)
target_compile_definitions(test_checked_collectives PRIVATE MPIXX_CHECKED=1)

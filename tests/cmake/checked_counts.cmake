# tests/cmake/checked_counts.cmake - checked mode on the v-collectives (issue #15 item 5): built with
# MPIXX_CHECKED=1 whatever the build type.
mpixx_unit_test(test_checked_counts test_checked_counts.cpp)
target_compile_definitions(test_checked_counts PRIVATE MPIXX_CHECKED=1)

# tests/cmake/checked_p2p.cmake - checked mode for point-to-point messages (issue #12 item 1): built with
# MPIXX_CHECKED=1 whatever the build type.
mpixx_unit_test(test_checked_p2p test_checked_p2p.cpp)
target_compile_definitions(test_checked_p2p PRIVATE MPIXX_CHECKED=1)

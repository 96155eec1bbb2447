# The futures executor (include/mpixx/executor.hpp): its unit test at 1..4 ranks. The example
# examples/futures.cpp is checked by tests/cmake/examples_futures.cmake. Included by tests/CMakeLists.txt.
mpixx_unit_test(test_executor test_executor.cpp)

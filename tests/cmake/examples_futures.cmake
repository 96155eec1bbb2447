# examples/futures.cpp (mpixx::executor: futures gathered as completed, a failing task, a map) at 1..4
# ranks, its output checked by tests/examples/checks/futures.sh. Included by tests/CMakeLists.txt after
# examples.cmake, which defines mpixx_example_test.
if(NOT MPIXX_BUILD_EXAMPLES)
  return()
endif()

mpixx_example_test(futures)

# Issue 11 item 4: examples/heat2d_output.cpp (the heat2d solver writing its field to one file with a
# subarray file view and one collective write; rank 0 re-reads and checks it) at 1-4 ranks and at 6 (a
# 3 x 2 process grid), its output checked by tests/examples/checks/io.sh. Included by
# tests/CMakeLists.txt after examples.cmake (which defines mpixx_example_test).
if(NOT MPIXX_BUILD_EXAMPLES)
  return()
endif()

mpixx_example_test(heat2d_output RANKS 1 2 3 4 6)

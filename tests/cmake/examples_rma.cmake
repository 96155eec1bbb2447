# examples/shared_memory.cpp (a node-shared lookup table) and examples/rma_counter.cpp (dynamic work
# distribution with a fetch-and-op counter) at 1..4 ranks, their output checked by
# tests/examples/checks/rma.sh. Included by tests/CMakeLists.txt after examples.cmake.
if(NOT MPIXX_BUILD_EXAMPLES)
  return()
endif()

mpixx_example_test(shared_memory)
mpixx_example_test(rma_counter)

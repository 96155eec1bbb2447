# Issue 10 item 7: the stencil examples (heat2d, stencil3d, transpose) at 1-4 ranks and at 6 (non-square
# process grids: 3 x 2, 3 x 2 x 1), their output checked by tests/examples/checks/stencil.sh. Included by
# tests/CMakeLists.txt, after examples.cmake (which defines mpixx_example_test).
if(NOT MPIXX_BUILD_EXAMPLES)
  return()
endif()

foreach(example IN ITEMS heat2d stencil3d transpose)
  mpixx_example_test(${example} RANKS 1 2 3 4 6)
endforeach()

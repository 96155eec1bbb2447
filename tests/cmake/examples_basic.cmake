# The "basic" examples (the guide's point-to-point and collective snippets, and reduction_ops) at 1..4
# ranks, their output checked by tests/examples/checks/basic.sh. send_recv_object, send_recv_buffer and
# nonblocking need 2 ranks: at 1 rank the checker expects them to refuse (message on stderr, non-zero
# exit). Included by tests/CMakeLists.txt, after examples.cmake (which defines mpixx_example_test).
if(NOT MPIXX_BUILD_EXAMPLES)
  return()
endif()

foreach(example IN ITEMS send_recv_object send_recv_buffer nonblocking broadcast scatter gather reduce allreduce
                         reduction_ops)
  mpixx_example_test(${example})
endforeach()

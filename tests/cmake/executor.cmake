# The futures executor (include/mpixx/executor.hpp): its unit test at 1..4 ranks. The example
# examples/futures.cpp is checked by tests/cmake/examples_futures.cmake. Included by tests/CMakeLists.txt.
mpixx_unit_test(test_executor test_executor.cpp)

# A worker killed by SIGKILL during a task ends the job within seconds, with the signal named (the
# launcher does it: the client, waiting for that task, never hangs). At 2 and 3 ranks.
add_executable(executor_worker_killed ${CMAKE_CURRENT_LIST_DIR}/../executor/worker_killed.cpp)
target_link_libraries(executor_worker_killed PRIVATE mpixx::mpixx mpixx_project_options)
foreach(n 2 3)
  add_test(NAME executor_worker_killed.np${n}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../executor/check_worker_killed.sh ${MPIEXEC_EXECUTABLE}
                   ${MPIEXEC_NUMPROC_FLAG} ${n} ${MPIEXEC_PREFLAGS} $<TARGET_FILE:executor_worker_killed>
                   ${MPIEXEC_POSTFLAGS})
  set_tests_properties(executor_worker_killed.np${n} PROPERTIES TIMEOUT 90 PROCESSORS ${n} LABELS "mpi;abort")
endforeach()

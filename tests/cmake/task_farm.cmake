# The task farm (include/mpixx/task_farm.hpp), its two examples (examples/master_worker.cpp with the
# guide's explicit loop, examples/task_farm.cpp with the component) and its benchmark's smoke run.
# Included by tests/CMakeLists.txt.
mpixx_unit_test(test_task_farm test_task_farm.cpp)

# Both examples at 1..4 ranks, output checked by tests/examples/check_farm_examples.sh (which computes the
# expected sum itself). At 1 rank master_worker must fail with its message; task_farm must work.
if(MPIXX_BUILD_EXAMPLES)
  foreach(example IN ITEMS master_worker task_farm)
    foreach(n IN ITEMS 1 2 3 4)
      add_test(NAME example.${example}.np${n}
               COMMAND bash ${PROJECT_SOURCE_DIR}/tests/examples/check_farm_examples.sh ${example} ${n}
                       ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${MPIEXEC_PREFLAGS}
                       $<TARGET_FILE:${example}> ${MPIEXEC_POSTFLAGS})
      set_tests_properties(example.${example}.np${n} PROPERTIES
        TIMEOUT 90 PROCESSORS ${n} LABELS "mpi;example" ENVIRONMENT "MPIXX_EXAMPLE_TIMEOUT=60")
    endforeach()
  endforeach()
endif()

# The benchmark's --smoke run at 2 ranks. Its file is benchmarks/task_farm_throughput.cpp (the example
# already owns the target name task_farm). tests/cmake/benchmarks.cmake registers a smoke run of every
# benchmarks/*.cpp; this only fills in when it did not.
if(MPIXX_BUILD_BENCHMARKS AND NOT TEST benchmark.task_farm_throughput.np2)
  mpixx_add_mpi_run(benchmark.task_farm_throughput TARGET task_farm_throughput RANKS 2 TIMEOUT 60
                    LABELS benchmark ARGS --smoke)
endif()

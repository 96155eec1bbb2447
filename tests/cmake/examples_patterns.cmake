# The "parallel patterns" examples (embarrassingly_parallel, array_ops, matvec, monte_carlo_pi, hybrid,
# debugging, pipeline) at 1..4 ranks, their output checked by tests/examples/checks/patterns.sh, and a
# syntax check of the SLURM job script examples/slurm/job.sh. Included by tests/CMakeLists.txt, after
# examples.cmake (which defines mpixx_example_test).
if(NOT MPIXX_BUILD_EXAMPLES)
  return()
endif()

foreach(example IN ITEMS embarrassingly_parallel array_ops matvec hybrid debugging pipeline)
  mpixx_example_test(${example})
endforeach()

# hybrid: two OpenMP threads per rank (1 when built without OpenMP, as examples/CMakeLists.txt does).
find_package(OpenMP QUIET)
set(mpixx_hybrid_threads 1)
if(OpenMP_CXX_FOUND)
  set(mpixx_hybrid_threads 2)
endif()
foreach(n IN ITEMS 1 2 3 4)
  set_property(TEST example.hybrid.np${n} APPEND PROPERTY ENVIRONMENT
               "OMP_NUM_THREADS=2;MPIXX_EXPECT_OMP_THREADS=${mpixx_hybrid_threads}")
endforeach()

# Runs check_example.sh for <name> with <exe> and arguments, at the given rank counts: for the cases
# that mpixx_example_test cannot express (program arguments, another name than the target's).
function(mpixx_patterns_example_run name target)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "RANKS;ARGS;ENVIRONMENT")
  foreach(n IN LISTS arg_RANKS)
    add_test(NAME example.${name}.np${n}
             COMMAND bash ${PROJECT_SOURCE_DIR}/tests/examples/check_example.sh ${name} ${n}
                     ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${MPIEXEC_PREFLAGS}
                     $<TARGET_FILE:${target}> ${MPIEXEC_POSTFLAGS} ${arg_ARGS})
    set_tests_properties(example.${name}.np${n} PROPERTIES
      TIMEOUT 90 PROCESSORS ${n} LABELS "mpi;example"
      ENVIRONMENT "MPIXX_EXAMPLE_TIMEOUT=60;${arg_ENVIRONMENT}")
  endforeach()
endfunction()

# monte_carlo_pi with N = 200000 (its default 10**7 is slow on 4 oversubscribed ranks).
mpixx_patterns_example_run(monte_carlo_pi monte_carlo_pi RANKS 1 2 3 4 ARGS 200000
                           ENVIRONMENT MPIXX_PI_SAMPLES=200000)

# debugging with MPIXX_DEBUG_RANK=0: rank 0 announces that it waits, times out after 0.3 s, goes on.
mpixx_patterns_example_run(debugging_attach debugging RANKS 1 3
                           ENVIRONMENT MPIXX_DEBUG_RANK=0 MPIXX_DEBUG_TIMEOUT=0.3)

# The job script is not run (no SLURM here), but it must parse.
add_test(NAME example.slurm_job.syntax COMMAND bash -n ${PROJECT_SOURCE_DIR}/examples/slurm/job.sh)
set_tests_properties(example.slurm_job.syntax PROPERTIES TIMEOUT 30 LABELS example)

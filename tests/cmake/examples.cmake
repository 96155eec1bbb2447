# The examples, run under mpiexec at 1..4 ranks, their output checked by tests/examples/check_example.sh
# (one check_<name> function per example there). Included by tests/CMakeLists.txt.
if(NOT MPIXX_BUILD_EXAMPLES)
  return()
endif()

# The MPI standard version the headers declare (FindMPI reads MPI_VERSION/MPI_SUBVERSION).
set(mpixx_expect_mpi_version "${MPI_CXX_VERSION_MAJOR}.${MPI_CXX_VERSION_MINOR}")
set(mpixx_check_example ${PROJECT_SOURCE_DIR}/tests/examples/check_example.sh)

# mpixx_example_test(<name> [RANKS 1 2 3 4]): entries example.<name>.np<N>, checked by the script.
function(mpixx_example_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "RANKS")
  if(NOT arg_RANKS)
    set(arg_RANKS 1 2 3 4)
  endif()
  foreach(n IN LISTS arg_RANKS)
    add_test(NAME example.${name}.np${n}
             COMMAND bash ${mpixx_check_example} ${name} ${n}
                     ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${MPIEXEC_PREFLAGS}
                     $<TARGET_FILE:${name}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(example.${name}.np${n} PROPERTIES
      TIMEOUT 90 PROCESSORS ${n} LABELS "mpi;example"
      ENVIRONMENT "MPIXX_EXPECT_MPI_VERSION=${mpixx_expect_mpi_version};MPIXX_EXAMPLE_TIMEOUT=60")
  endforeach()
endfunction()

mpixx_example_test(hello)
mpixx_example_test(mpi_info)

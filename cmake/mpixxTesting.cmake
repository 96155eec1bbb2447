# mpixx_add_mpi_test(<name> SOURCES <src>... [RANKS 1 2 3 4] [TIMEOUT <s>] [LIBRARIES <lib>...] [LABELS <l>...]
#                    [ARGS <arg>...])
#
# Builds one executable and registers one CTest entry per rank count, named <name>.np<N>, that runs it
# under mpiexec. Every entry gets a timeout, so that a deadlock fails the test instead of hanging it.
include_guard(GLOBAL)

if(NOT MPIEXEC_EXECUTABLE)
  set(MPI_CXX_SKIP_MPICXX ON CACHE BOOL "Skip the MPI C++ bindings")
  find_package(MPI REQUIRED COMPONENTS CXX)
endif()

set(MPIXX_TEST_TIMEOUT 120 CACHE STRING "Default CTest timeout (seconds) of each mpixx_add_mpi_test entry")

function(mpixx_add_mpi_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "SOURCES;RANKS;LIBRARIES;LABELS;ARGS")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "mpixx_add_mpi_test(${name}): SOURCES is required")
  endif()
  if(NOT arg_RANKS)
    set(arg_RANKS 1 2 3 4)
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT ${MPIXX_TEST_TIMEOUT})
  endif()
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE mpixx::mpixx ${arg_LIBRARIES})
  mpixx_add_mpi_run(${name} TARGET ${name} RANKS ${arg_RANKS} TIMEOUT ${arg_TIMEOUT} LABELS ${arg_LABELS}
                    ARGS ${arg_ARGS})
endfunction()

# mpixx_add_mpi_run(<name> TARGET <target> [RANKS ...] [TIMEOUT <s>] [LABELS ...] [ARGS ...])
# Registers <name>.np<N> entries that run an existing target under mpiexec.
function(mpixx_add_mpi_run name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TARGET;TIMEOUT" "RANKS;LABELS;ARGS")
  if(NOT arg_RANKS)
    set(arg_RANKS 1 2 3 4)
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT ${MPIXX_TEST_TIMEOUT})
  endif()
  foreach(n IN LISTS arg_RANKS)
    add_test(NAME ${name}.np${n}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${MPIEXEC_PREFLAGS}
                     $<TARGET_FILE:${arg_TARGET}> ${MPIEXEC_POSTFLAGS} ${arg_ARGS})
    set_tests_properties(${name}.np${n} PROPERTIES TIMEOUT ${arg_TIMEOUT} PROCESSORS ${n} LABELS "mpi;${arg_LABELS}")
  endforeach()
endfunction()

# The network path (MPICH only): with MPIR_CVAR_NOLOCAL=1 every message crosses the network module instead
# of shared memory. The CI's network stage runs the unit tests that way (2 and 3 ranks); this entry proves the
# variable is honoured (read back through the MPI tool interface on every rank).
if(NOT MPI_CXX_LIBRARY_VERSION_STRING MATCHES "MPICH")
  return()
endif()
add_executable(network_nolocal_honoured network/nolocal_honoured.cpp)
target_link_libraries(network_nolocal_honoured PRIVATE mpixx::mpixx mpixx_project_options)
foreach(n 2 3)
  add_test(NAME network.nolocal_honoured.np${n}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${MPIEXEC_PREFLAGS}
                   $<TARGET_FILE:network_nolocal_honoured> ${MPIEXEC_POSTFLAGS})
  set_tests_properties(network.nolocal_honoured.np${n} PROPERTIES TIMEOUT 60 PROCESSORS ${n} LABELS "mpi;network"
                       ENVIRONMENT "MPIR_CVAR_NOLOCAL=1" PASS_REGULAR_EXPRESSION "; honoured")
endforeach()

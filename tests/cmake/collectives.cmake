# tests/cmake/collectives.cmake - tests of ops.hpp and collectives.hpp (blocking and non-blocking).
# Included by tests/CMakeLists.txt. test_ops interposes PMPI (MPI_Op_create/free, MPI_Allreduce) in its
# own executable to count op handles and to see the MPI_Op that MPI receives.
mpixx_unit_test(test_ops test_ops.cpp)
mpixx_unit_test(test_collectives test_collectives.cpp)
mpixx_unit_test(test_nonblocking_collectives test_nonblocking_collectives.cpp)

# Counts above INT_MAX move 2 GiB per rank: run that case alone, at 2 ranks, with a longer timeout.
mpixx_add_mpi_run(test_collectives_large TARGET test_collectives RANKS 2 TIMEOUT 300 LABELS large ARGS "[large]")

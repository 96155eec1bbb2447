# tests/cmake/collective_defects.cmake - regression tests of the collective defects of issue #9 (owning
# views, the mpi4py bcast idiom, user ops that throw on one rank, bad roots, empty alltoallv/alltoallw,
# spellings that did not compile, intercommunicators). The executable interposes PMPI (MPI_Bcast,
# MPI_Allreduce) to count what each path costs.
mpixx_unit_test(test_collective_defects test_collective_defects.cpp)

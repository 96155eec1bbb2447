# Issue 9's core defects: intercommunicators, MPI_ERR_ROOT, handles freed when set-up throws (PMPI).
mpixx_unit_test(test_core_defects test_core_defects.cpp)

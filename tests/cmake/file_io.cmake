# Parallel file I/O (issue 11): mpixx::file and mpixx::info. Files are created in the test's working
# directory (the build tree) or $MPIXX_TEST_DIR, and removed by the tests.
mpixx_unit_test(test_file test_file.cpp)
mpixx_unit_test(test_info test_info.cpp)
# Counts above INT_MAX write a 2 GiB file: run that case alone, at 1 rank, with a longer timeout.
mpixx_add_mpi_run(test_file_large TARGET test_file RANKS 1 TIMEOUT 300 LABELS large ARGS "[large]")

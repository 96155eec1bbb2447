# Parallel file I/O (issue 11): mpixx::file and mpixx::info. Files are created in the test's working
# directory (the build tree) or $MPIXX_TEST_DIR, and removed by the tests.
mpixx_unit_test(test_file test_file.cpp)
mpixx_unit_test(test_info test_info.cpp)

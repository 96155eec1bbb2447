# The debugging helpers: block partition (partition.hpp), rank-prefixed and rank-ordered printing with
# fmt formatters (print.hpp, format.hpp) and wait-for-debugger (debug.hpp). Included by tests/CMakeLists.txt.
mpixx_unit_test(test_partition test_partition.cpp)
mpixx_unit_test(test_print test_print.cpp)
mpixx_unit_test(test_debug test_debug.cpp)

# The debug variables as a user gives them: in mpiexec's environment, forwarded to every rank.
mpixx_add_mpi_run(test_debug_env TARGET test_debug RANKS 2 3 TIMEOUT 60 LABELS unit ARGS "[from_env]")
set_tests_properties(test_debug_env.np2 test_debug_env.np3 PROPERTIES
                     ENVIRONMENT "MPIXX_DEBUG_RANK=1;MPIXX_DEBUG_TIMEOUT=0.3")

# The core's replacements for costly standard headers: smart pointers, std::invoke, unique_lock, atomics,
# tuples of MPI arguments (issue 13: the core avoids <memory>, <functional>, <chrono>, <atomic>).
mpixx_unit_test(test_owner test_owner.cpp)

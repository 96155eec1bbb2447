# The core's smart pointers and std::invoke replacement (issue 13: the core avoids <memory> and <functional>).
mpixx_unit_test(test_owner test_owner.cpp)

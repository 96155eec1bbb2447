# Issue 10 item 5: the halo exchange (halo.hpp) at 1-4 ranks, with PMPI counts of datatypes, persistent
# requests and communicators.
mpixx_unit_test(test_halo test_halo.cpp)

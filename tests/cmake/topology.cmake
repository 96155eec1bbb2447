# tests/cmake/topology.cmake - tests of topology.hpp (Cartesian, graph, distributed-graph communicators),
# the neighbourhood collectives and group.hpp. Each executable interposes PMPI
# (tests/support/pmpi_handle_counts.hpp) to count live communicators and groups.
mpixx_unit_test(test_topology test_topology.cpp)
mpixx_unit_test(test_neighbor test_neighbor.cpp)
mpixx_unit_test(test_group test_group.cpp)

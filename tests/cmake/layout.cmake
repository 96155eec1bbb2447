# tests/cmake/layout.cmake - layouts and layout views (mpixx/layout.hpp, mpixx/md_view.hpp): point-to-point,
# collectives, raw datatypes, bad input; test_layout interposes PMPI (MPI_Type_commit/free) to count
# datatype handles.
mpixx_unit_test(test_layout test_layout.cpp)

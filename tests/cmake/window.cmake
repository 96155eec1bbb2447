# tests/cmake/window.cmake - one-sided communication (issue 11 items 2 and 3): window.hpp and sync.hpp at
# 1-4 ranks (PMPI-counted windows, groups and datatypes), and a compile-fail check that a user-defined op
# in an RMA accumulate is refused with mpixx's static_assert message.
mpixx_unit_test(test_window test_window.cpp)
mpixx_unit_test(test_sync test_sync.cpp)

set(mpixx_rma_op_snippet ${CMAKE_CURRENT_BINARY_DIR}/compile_fail/rma_user_op.cpp)
file(WRITE ${mpixx_rma_op_snippet} [=[
#include <mpixx/window.hpp>
void accumulate_with(mpixx::window<int>& win, const int& x) {
#if MPIXX_RMA_OP_CASE == 0
    win.accumulate(x, 0, 0, mpixx::sum);
    win.accumulate(x, 0, 0, mpixx::replace);
    (void)win.fetch_and_op(x, 0, 0, mpixx::no_op);
#elif MPIXX_RMA_OP_CASE == 1
    win.accumulate(x, 0, 0, [](int a, int b) { return a + b; });
#elif MPIXX_RMA_OP_CASE == 2
    (void)win.fetch_and_op(x, 0, 0, mpixx::commutative([](int a, int b) { return a * b; }));
#endif
}
]=])
foreach(case 0 1 2)
  set(target mpixx_rma_user_op_case${case})
  if(case EQUAL 0)
    add_library(${target} OBJECT ${mpixx_rma_op_snippet})
  else()
    add_library(${target} OBJECT EXCLUDE_FROM_ALL ${mpixx_rma_op_snippet})
    add_test(NAME compile_fail.rma_user_op_case${case}
             COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
    set_tests_properties(compile_fail.rma_user_op_case${case} PROPERTIES
                         PASS_REGULAR_EXPRESSION "MPI forbids user-defined ops" LABELS compile-fail TIMEOUT 300
                         RESOURCE_LOCK mpixx_build_tree)
  endif()
  target_link_libraries(${target} PRIVATE mpixx::mpixx mpixx_project_options)
  target_compile_definitions(${target} PRIVATE MPIXX_RMA_OP_CASE=${case})
endforeach()

# Tests of request.hpp, request_pool.hpp, detail/progress.hpp and nonblocking.hpp (issue 4).
mpixx_unit_test(test_request test_request.cpp)
mpixx_unit_test(test_nonblocking test_nonblocking.cpp)

# compile-fail: discarding a request ([[nodiscard]]) must not compile under -Werror. One snippet, four
# cases selected by MPIXX_DISCARD_CASE; case 0 keeps every request and is built with everything, so a
# failure of the other cases can only be the discarded result (the test also looks for "nodiscard").
set(mpixx_discard_snippet ${CMAKE_CURRENT_BINARY_DIR}/compile_fail/request_discard.cpp)
file(WRITE ${mpixx_discard_snippet} [=[
#include <mpixx/communicator.hpp>
#include <string>
#include <utility>
#include <vector>
void discard(const mpixx::communicator& comm, std::vector<int>& buf) {
#if MPIXX_DISCARD_CASE == 0
    auto a = comm.isend(buf, 1);
    auto b = comm.isend(std::move(buf), 1);
    auto c = comm.irecv<std::string>(0);
    auto d = comm.send_init(buf, 1);
#elif MPIXX_DISCARD_CASE == 1
    comm.isend(buf, 1);
#elif MPIXX_DISCARD_CASE == 2
    comm.isend(std::move(buf), 1);
#elif MPIXX_DISCARD_CASE == 3
    comm.irecv<std::string>(0);
#elif MPIXX_DISCARD_CASE == 4
    comm.send_init(buf, 1);
#endif
}
]=])
foreach(case 0 1 2 3 4)
  set(target mpixx_request_discard_case${case})
  if(case EQUAL 0)
    add_library(${target} OBJECT ${mpixx_discard_snippet})
  else()
    add_library(${target} OBJECT EXCLUDE_FROM_ALL ${mpixx_discard_snippet})
    add_test(NAME compile_fail.request_discard_case${case}
             COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
    set_tests_properties(compile_fail.request_discard_case${case} PROPERTIES
                         PASS_REGULAR_EXPRESSION "nodiscard" LABELS compile-fail TIMEOUT 300
                         RESOURCE_LOCK mpixx_build_tree) # one build of the tree at a time
  endif()
  target_link_libraries(${target} PRIVATE mpixx::mpixx mpixx_project_options)
  target_compile_definitions(${target} PRIVATE MPIXX_DISCARD_CASE=${case})
  target_compile_options(${target} PRIVATE -Werror)
endforeach()

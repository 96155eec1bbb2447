# The light core header (issue 13 item 3): <mpixx/core.hpp> pulls in none of the serializer, object
# protocol, {fmt}, print, format, task farm or executor headers (checked from the compiler's -H list),
# and sending an object with only core.hpp stops at one static_assert naming the header to include.
add_test(NAME core_header.light
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/core/check_core_header.sh ${CMAKE_CXX_COMPILER}
                 "${PROJECT_SOURCE_DIR}/include:$<JOIN:$<TARGET_PROPERTY:MPI::MPI_CXX,INTERFACE_INCLUDE_DIRECTORIES>,:>"
                 ${CMAKE_CURRENT_BINARY_DIR}/core_header)
set_tests_properties(core_header.light PROPERTIES TIMEOUT 120 LABELS unit PASS_REGULAR_EXPRESSION "core header is light: PASS")

# compile-fail: case 1 sends a std::map with only core.hpp (needs object_messaging.hpp); case 3 broadcasts
# one (a member that returns a value); case 2 includes object_messaging.hpp and sends a type that is
# neither an MPI datatype nor serializable; case 0 (built with everything) sends and broadcasts the map
# with object_messaging.hpp, so the failures can only be the static_asserts. The static_assert must be
# the only error: no "no return statement" or overload-resolution error after it.
set(mpixx_core_snippet ${CMAKE_CURRENT_BINARY_DIR}/compile_fail/core_object.cpp)
file(WRITE ${mpixx_core_snippet} [=[
#include <mpixx/core.hpp>
#if MPIXX_CORE_CASE != 1 && MPIXX_CORE_CASE != 3
#include <mpixx/object_messaging.hpp>
#endif
#include <map>
#include <memory>

class opaque { // not an aggregate, no serialize hook, no datatype_traits
public:
    opaque() = default;
    int get() const { return p_ ? *p_ : 0; }

private:
    std::unique_ptr<int> p_;
};

int main() {
    mpixx::environment env;
    auto comm = mpixx::world();
#if MPIXX_CORE_CASE == 2
    comm.send(opaque{}, 0);
#else
    const std::map<int, int> m{{1, 2}};
#if MPIXX_CORE_CASE != 1
    if (comm.bcast(m, 0).size() != 1) return 1;
#endif
#if MPIXX_CORE_CASE != 3
    if (comm.size() > 1) comm.send(m, 0);
#endif
#endif
    return 0;
}
]=])
foreach(case 0 1 2 3)
  set(target mpixx_core_object_case${case})
  if(case EQUAL 0)
    add_executable(${target} ${mpixx_core_snippet})
  else()
    add_executable(${target} EXCLUDE_FROM_ALL ${mpixx_core_snippet})
    add_test(NAME compile_fail.core_object_case${case}
             COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
    if(case EQUAL 1 OR case EQUAL 3)
      set(expected "travels serialized, which needs #include <mpixx/object_messaging.hpp>")
    else()
      set(expected "neither an MPI datatype nor serializable")
    endif()
    set_tests_properties(compile_fail.core_object_case${case} PROPERTIES
                         PASS_REGULAR_EXPRESSION "${expected}"
                         FAIL_REGULAR_EXPRESSION "no return statement|does not return a value|no matching"
                         LABELS compile-fail TIMEOUT 300
                         RESOURCE_LOCK mpixx_build_tree)
  endif()
  target_link_libraries(${target} PRIVATE mpixx::mpixx mpixx_project_options)
  target_compile_definitions(${target} PRIVATE MPIXX_CORE_CASE=${case})
endforeach()

# Warning-free headers: a unit that includes the umbrella with -I (as mpicxx users do, where the compiler
# does not silence system headers) and makes the common typed calls compiles under -Wconversion
# -Wsign-conversion -Werror (clang's -Wconversion includes the sign conversions; our own build leaves them
# out). Syntax only: the instantiations are checked, nothing is generated.
set(mpixx_warning_free_includes -I${PROJECT_SOURCE_DIR}/include)
foreach(dep MPI::MPI_CXX fmt::fmt)
  get_target_property(dirs ${dep} INTERFACE_INCLUDE_DIRECTORIES)
  foreach(dir IN LISTS dirs)
    if(dir AND NOT dir STREQUAL "/usr/include") # -I/usr/include would reorder the C library's headers
      list(APPEND mpixx_warning_free_includes -I${dir})
    endif()
  endforeach()
endforeach()
add_test(NAME headers.warning_free
         COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                 -Wsign-conversion -Werror ${mpixx_warning_free_includes}
                 ${CMAKE_CURRENT_SOURCE_DIR}/core/warning_free.cpp)
set_tests_properties(headers.warning_free PROPERTIES TIMEOUT 120 LABELS unit)

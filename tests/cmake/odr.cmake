# The ODR test (issue 9.10): two units with different configurations linked together, in both orders,
# and a program that passes an mpixx type between differently built units, which must fail to link.
# (Source properties are per directory: odr_tu.cpp is always unit a, odr_tu_b.cpp always unit b.)
set_source_files_properties(odr/odr_tu.cpp PROPERTIES
                            COMPILE_DEFINITIONS "ODR_TU=a;ODR_WITH_COMM;MPIXX_TYPE_CHECK=1;MPIXX_OOB_THRESHOLD=1024")
set_source_files_properties(odr/odr_tu_b.cpp PROPERTIES
                            COMPILE_DEFINITIONS "ODR_TU=b;MPIXX_TYPE_CHECK=0;MPIXX_OOB_THRESHOLD=65536")
set_source_files_properties(odr/odr_link_fail.cpp PROPERTIES COMPILE_DEFINITIONS "MPIXX_TYPE_CHECK=0")

add_executable(test_odr_ab odr/odr_main.cpp odr/odr_tu.cpp odr/odr_tu_b.cpp)
add_executable(test_odr_ba odr/odr_tu_b.cpp odr/odr_main.cpp odr/odr_tu.cpp)
foreach(target test_odr_ab test_odr_ba)
  target_link_libraries(${target} PRIVATE mpixx::mpixx mpixx_project_options)
  add_test(NAME ${target} COMMAND ${target})
  set_tests_properties(${target} PROPERTIES TIMEOUT 60 LABELS unit PASS_REGULAR_EXPRESSION "1 passed, 0 failed")
endforeach()

add_executable(mpixx_odr_link_fail EXCLUDE_FROM_ALL odr/odr_link_fail.cpp odr/odr_tu.cpp)
target_link_libraries(mpixx_odr_link_fail PRIVATE mpixx::mpixx mpixx_project_options)
add_test(NAME compile_fail.odr_link COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target mpixx_odr_link_fail)
set_tests_properties(compile_fail.odr_link PROPERTIES PASS_REGULAR_EXPRESSION "undefined reference.*rank_of_a"
                     LABELS compile-fail TIMEOUT 300 RESOURCE_LOCK mpixx_build_tree)

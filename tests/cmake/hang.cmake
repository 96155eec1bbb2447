# tests/cmake/hang.cmake - the hang report (MPIXX_HANG_TIMEOUT, mpixx/detail/hang_watchdog.hpp): jobs that
# hang (partial collective, receive nobody sends, wait on it, fence, halo exchange, collective file write)
# end within the timeout plus a few seconds, each rank naming what it is blocked in (and, for p2p and
# collective, showing its call stack); jobs whose calls complete get no report (with the variable set
# or not). Run by tests/hang/check_hang.sh, which sets the variable on every rank.
add_executable(hang_cases ${CMAKE_CURRENT_LIST_DIR}/../hang/hang_cases.cpp
                          ${CMAKE_CURRENT_LIST_DIR}/../hang/hang_other_abi.cpp)
target_link_libraries(hang_cases PRIVATE mpixx::mpixx mpixx_project_options)
# Checked mode would catch the partial collective (a signature mismatch) before it could hang; the other
# file turns it on, so that the report is shown to span configurations (another ABI namespace).
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/../hang/hang_cases.cpp PROPERTIES COMPILE_DEFINITIONS
                            MPIXX_CHECKED=0)
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/../hang/hang_other_abi.cpp PROPERTIES COMPILE_DEFINITIONS
                            MPIXX_CHECKED=1)
# fence, halo, file: waits outside point-to-point and collectives (a window fence, a halo exchange, a
# collective file write) that one rank never joins.
foreach(spec "collective;2 3 4" "p2p;1 2 3 4" "wait;2 3" "dup;1 3" "other_abi;2" "no_hang;1 2 3 4" "late;2"
             "off;2" "fence;2 3" "halo;2" "file;2")
  list(GET spec 0 case)
  list(GET spec 1 rank_list)
  separate_arguments(rank_list)
  foreach(n IN LISTS rank_list)
    add_test(NAME hang_${case}.np${n}
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../hang/check_hang.sh ${MPIEXEC_EXECUTABLE} ${n}
                     $<TARGET_FILE:hang_cases> ${case})
    set_tests_properties(hang_${case}.np${n} PROPERTIES TIMEOUT 90 PROCESSORS ${n} LABELS "mpi;hang")
  endforeach()
endforeach()

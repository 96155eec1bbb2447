# Blocking calls drive detail::progress: a peer's send to a pending probe-sized receive completes while
# this process waits in recv, probe, mprobe, sendrecv, ... . The same tests built with
# MPIXX_COLLECTIVE_PROGRESS add the blocking collectives (which drive progress only in that mode).
mpixx_unit_test(test_progress test_progress.cpp)
mpixx_unit_test(test_progress_collective test_progress.cpp)
target_compile_definitions(test_progress_collective PRIVATE MPIXX_COLLECTIVE_PROGRESS=1)

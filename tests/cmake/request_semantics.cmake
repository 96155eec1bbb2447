# Request rules of issue #9 (request.hpp, request_pool.hpp, nonblocking.hpp, detail/progress.hpp):
# owning views owned, null/completed requests as in MPI, "none pending" results, the empty status, error
# class names, and test() that never waits for another thread's matched receive (MPI_THREAD_MULTIPLE).
mpixx_unit_test(test_request_semantics test_request_semantics.cpp)

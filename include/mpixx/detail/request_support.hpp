// mpixx/detail/request_support.hpp - the small helpers request<T> and persistent_request share (see
// request.hpp): their cold misuse errors, the report of an error a destructor cannot throw, the status
// of a receive from proc_null, and whether MPI is usable.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/error.hpp>

#include <cstdio>

namespace mpixx::inline MPIXX_ABI::detail {

/// Throws MPI_ERR_REQUEST for an operation on a request that is not pending (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_not_pending(const char* routine) {
    throw_usage(routine, MPI_ERR_REQUEST, "the request is not pending (it is null, moved from, or already completed)");
}

/// Throws MPI_ERR_REQUEST for a wait/test of a request<T> with no T left to hand out (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_result_taken(const char* routine) {
    throw_usage(routine, MPI_ERR_REQUEST,
                "the request has no result to hand out (it is null, moved from, or its result was already "
                "taken by wait() or test())");
}

/// Prints an error that a destructor cannot throw (with the rank), so that it is not lost.
inline void report_destructor_error(const char* what) noexcept {
    int initialized = 0, finalized = 0, rank = -1;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    std::fprintf(stderr, "mpixx: rank %d: error while completing a pending request in its destructor: %s\n", rank,
                 what);
    std::fflush(stderr);
}

/// Makes `st` the status of a receive from proc_null: source proc_null, tag any_tag, count 0 (MPI-4.1
/// 3.10), whatever the MPI library left in it.
inline void set_proc_null_status(MPI_Status& st) noexcept {
    st.MPI_SOURCE = MPI_PROC_NULL;
    st.MPI_TAG = MPI_ANY_TAG;
    MPI_Status_set_elements(&st, MPI_BYTE, 0);
    MPI_Status_set_cancelled(&st, 0);
}

/// Whether MPI can still be called (a request outliving MPI_Finalize is not waited for).
inline bool mpi_usable() noexcept {
    int finalized = 0;
    MPI_Finalized(&finalized);
    return !finalized;
}

} // namespace mpixx::detail

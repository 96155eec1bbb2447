// mpixx/detail/hang_watch.hpp - the hang report (MPIXX_HANG_TIMEOUT): what each blocking call waits in.
//
// Interface only for now (the watchdog comes with the hang report): hang_watch_on() is one relaxed load;
// a blocking mpixx call that may wait on peers builds its hang_site only when it returns true.
#pragma once

#include <mpixx/config.hpp>

#include <cstddef>

namespace mpixx::inline MPIXX_ABI::detail {

/// What a blocking call waits in: routine, communicator, peer or root (-1: none), tag (-1: none),
/// element count and datatype (MPI_DATATYPE_NULL: none).
struct hang_site {
    const char* routine;
    MPI_Comm comm;
    int peer = -1;
    int tag = -1;
    std::size_t count = 0;
    MPI_Datatype type = MPI_DATATYPE_NULL;
};

/// Whether the hang report is on (MPIXX_HANG_TIMEOUT set): one relaxed load.
inline bool hang_watch_on() noexcept { return false; }

/// Marks the calling thread as blocked in `site` for its lifetime.
class hang_scope {
public:
    explicit hang_scope(const hang_site&) noexcept {}
    hang_scope(const hang_scope&) = delete;
    hang_scope& operator=(const hang_scope&) = delete;
};

} // namespace mpixx::detail

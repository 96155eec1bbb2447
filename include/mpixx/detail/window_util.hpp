// mpixx/detail/window_util.hpp - window<T>'s helpers that do not depend on T: communicator checks at
// creation, sizes and counts, a layout's reach, and group-to-rank translation for post/start.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/communicator.hpp>
#include <mpixx/detail/comm_base.hpp>
#include <mpixx/error.hpp>
#include <mpixx/group.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// A window needs a non-null intracommunicator.
inline void check_window_comm(const communicator& comm, const char* routine) {
    if (comm.is_null()) [[unlikely]]
        throw_usage(routine, MPI_ERR_COMM, "the communicator is null");
    if (comm.is_inter()) [[unlikely]]
        throw_intercomm(routine);
}

/// How many processes of comm share memory with this one (collective: MPI_Comm_split_type).
inline int node_size(const communicator& comm) {
    MPI_Comm node = MPI_COMM_NULL;
    MPIXX_CALL(MPI_Comm_split_type, comm.native(), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int n = 0;
    const int rc = MPI_Comm_size(node, &n);
    MPI_Comm_free(&node);
    check(rc, "MPI_Comm_size");
    return n;
}

/// MPI_Win_allocate_shared on a communicator spanning nodes fails inside MPI; say why first.
inline void check_shared_comm(const communicator& comm) {
    const int n = node_size(comm);
    if (n != comm.size()) [[unlikely]]
        throw_usage("mpixx::window::allocate_shared", MPI_ERR_COMM,
                    "the communicator's " + std::to_string(comm.size()) +
                        " processes do not all share memory (this one shares it with " + std::to_string(n) +
                        "): pass comm.split_shared()");
}

/// n elements of `elem` bytes as MPI_Aint bytes (room left for padding), or -1 when they do not fit.
inline MPI_Aint window_bytes_or_none(std::size_t n, std::size_t elem) noexcept {
    return n > static_cast<std::size_t>(PTRDIFF_MAX - 64) / elem ? MPI_Aint(-1) : static_cast<MPI_Aint>(n * elem);
}

[[noreturn, MPIXX_COLD]] inline void throw_window_size(const char* routine, std::size_t n) {
    throw_usage(routine, MPI_ERR_SIZE, std::to_string(n) + " elements do not fit in MPI_Aint bytes");
}

/// n elements of `elem` bytes as MPI_Aint bytes (room left for padding); MPI_ERR_SIZE when they do not fit.
inline MPI_Aint window_bytes(std::size_t n, std::size_t elem, const char* routine) {
    const MPI_Aint b = window_bytes_or_none(n, elem);
    if (b < 0) [[unlikely]]
        throw_window_size(routine, n);
    return b;
}

/// A count for an RMA call: MPI-3's int (one-sided large-count calls are not used).
inline int rma_icount(std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) [[unlikely]]
        throw_large_count("mpixx::window", n);
    return static_cast<int>(n);
}

[[noreturn, MPIXX_COLD]] inline void throw_rma_bytes(const char* routine, std::size_t count) {
    throw_usage(routine, MPI_ERR_COUNT, std::to_string(count) + " items of the datatype exceed MPI_Aint bytes");
}

/// The bytes of data in `count` items of `type` (MPI_Type_size_x): what the two sides of a one-sided
/// operation must agree on. MPI_ERR_COUNT past MPI_Aint.
inline MPI_Aint rma_bytes(MPI_Datatype type, std::size_t count, const char* routine) {
    MPI_Count size = 0;
    MPIXX_CALL(MPI_Type_size_x, type, &size);
    MPI_Aint total = 0;
    if (size < 0 || size > static_cast<MPI_Count>(PTRDIFF_MAX) || count > static_cast<std::size_t>(PTRDIFF_MAX) ||
        __builtin_mul_overflow(static_cast<MPI_Aint>(size), static_cast<MPI_Aint>(count), &total)) [[unlikely]]
        throw_rma_bytes(routine, count);
    return total;
}

/// What a target datatype touches from its displacement (true lower bound and true extent, bytes; the
/// lower bound may be negative) and the bytes of data it holds.
struct rma_reach {
    MPI_Aint lb = 0, extent = 0, bytes = 0;
};
inline rma_reach layout_reach(MPI_Datatype lt, const char* routine) {
    rma_reach r;
    MPIXX_CALL(MPI_Type_get_true_extent, lt, &r.lb, &r.extent);
    r.bytes = rma_bytes(lt, 1, routine);
    return r;
}

/// The ranks in the window's group of the members of `g` (MPI_ERR_GROUP for a process outside it).
inline std::vector<int> window_ranks(MPI_Win win, const group& g, const char* routine) {
    int n = 0;
    MPIXX_CALL(MPI_Group_size, g.native(), &n);
    std::vector<int> from(static_cast<std::size_t>(n)), to(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) from[static_cast<std::size_t>(i)] = i;
    MPI_Group wg = MPI_GROUP_NULL;
    MPIXX_CALL(MPI_Win_get_group, win, &wg);
    const int rc = MPI_Group_translate_ranks(g.native(), n, from.data(), wg, to.data());
    MPI_Group_free(&wg);
    check(rc, "MPI_Group_translate_ranks");
    for (int r : to)
        if (r == MPI_UNDEFINED) [[unlikely]]
            throw_usage(routine, MPI_ERR_GROUP, "the group has a process outside the window's group");
    return to;
}

} // namespace mpixx::detail

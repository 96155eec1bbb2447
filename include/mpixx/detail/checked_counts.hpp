// mpixx/detail/checked_counts.hpp - checked mode (MPIXX_CHECKED, config.hpp) for the v-collectives:
// the counts a rank passes are compared with what its peers really send, before MPI runs the collective.
//
// MPI cannot see a gatherv whose root expects more from a rank than that rank sends: the last slot is
// simply never written (a silent wrong result). Checked mode spends two small collectives per
// v-collective (an exchange of the byte counts each side claims, then one that makes every rank reach
// the same verdict) and throws on EVERY rank, naming both sides, when any pair disagrees. Off (the
// default under NDEBUG) it costs nothing: the calls below are not compiled in.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/collectives_common.hpp>
#include <mpixx/error.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// Bytes of data (the type signature's size) in `count` elements of `type`.
inline std::uint64_t signature_bytes(std::size_t count, MPI_Datatype type) {
    int size = 0;
    MPIXX_CALL(MPI_Type_size, type, &size);
    return static_cast<std::uint64_t>(count) * static_cast<std::uint64_t>(size);
}

/// Byte counts of `counts[i]` elements of `type`, one per rank (`n` entries; missing counts are 0).
inline std::vector<std::uint64_t> signature_bytes(std::span<const int> counts, MPI_Datatype type, int n) {
    int size = 0;
    MPIXX_CALL(MPI_Type_size, type, &size);
    std::vector<std::uint64_t> out(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < counts.size() && i < out.size(); ++i)
        out[i] = static_cast<std::uint64_t>(counts[i] < 0 ? 0 : counts[i]) * static_cast<std::uint64_t>(size);
    return out;
}

[[noreturn, MPIXX_COLD]] inline void throw_checked_counts(const char* routine, std::string what) {
    throw_usage(routine, MPI_ERR_COUNT,
                "checked mode: the counts do not match what is sent: " + what +
                    " (MPI would leave the missing elements unwritten, or truncate)");
}

/// Every rank agrees: throws on all ranks when `local` (this rank's finding, empty if none) is non-empty
/// anywhere; ranks that found nothing name the lowest rank that did.
inline void agree_on_counts(const char* routine, MPI_Comm comm, int rank, std::string local) {
    int first = local.empty() ? INT_MAX : rank;
    int lowest = INT_MAX;
    MPIXX_COLL_CALL(MPI_Allreduce, MPI_Iallreduce, &first, &lowest, 1, MPI_INT, MPI_MIN, comm);
    if (lowest == INT_MAX) return;
    if (local.empty()) local = "rank " + std::to_string(lowest) + " found a mismatch (see its error)";
    throw_checked_counts(routine, std::move(local));
}

/// Rooted v-collectives. gatherv: `root_side[i]` = bytes the root expects from rank i, `mine` = bytes this
/// rank sends; scatterv: `root_side[i]` = bytes the root sends to rank i, `mine` = bytes this rank
/// receives. `root_side` is read at the root only. Two collectives (a scatter and an allgather).
/// Called after the local argument checks passed (those still throw on the calling rank alone, as
/// without checked mode), but before the check of this rank's own block, which it reports on every rank. `root_side` may be empty off the root.
inline void check_rooted_counts(const char* routine, MPI_Comm comm, int rank, int size, int root,
                                const std::vector<std::uint64_t>& root_side, std::uint64_t mine, bool gather) {
    std::uint64_t from_root = 0;
    const std::uint64_t* table = rank == root ? root_side.data() : nullptr;
    MPIXX_COLL_CALL(MPI_Scatter, MPI_Iscatter, table, 1, MPI_UINT64_T, &from_root, 1, MPI_UINT64_T, root, comm);
    const std::uint64_t pair[2] = {mine, from_root};
    std::vector<std::uint64_t> all(2 * static_cast<std::size_t>(size));
    MPIXX_COLL_CALL(MPI_Allgather, MPI_Iallgather, pair, 2, MPI_UINT64_T, all.data(), 2, MPI_UINT64_T, comm);
    std::string what;
    for (int i = 0; i < size; ++i) {
        const std::uint64_t rank_side = all[2 * static_cast<std::size_t>(i)];
        const std::uint64_t root_says = all[2 * static_cast<std::size_t>(i) + 1];
        if (rank_side == root_says) continue;
        if (!what.empty()) what += "; ";
        what += gather ? "rank " + std::to_string(i) + " sends " + std::to_string(rank_side) + " bytes, the root (rank " +
                             std::to_string(root) + ") expects " + std::to_string(root_says) + " bytes from it"
                       : "the root (rank " + std::to_string(root) + ") sends " + std::to_string(root_says) +
                             " bytes to rank " + std::to_string(i) + ", which expects " + std::to_string(rank_side);
    }
    if (!what.empty()) throw_checked_counts(routine, std::move(what)); // every rank saw the same table
}

/// allgatherv: `mine` = bytes this rank sends, `expected[j]` = bytes this rank expects from rank j (`size`
/// entries, as signature_bytes gives).
/// Two collectives (an allgather and an allreduce).
inline void check_allgather_counts(const char* routine, MPI_Comm comm, int rank, int size, std::uint64_t mine,
                                   const std::vector<std::uint64_t>& expected) {
    std::string local;
    std::vector<std::uint64_t> sent(static_cast<std::size_t>(size));
    MPIXX_COLL_CALL(MPI_Allgather, MPI_Iallgather, &mine, 1, MPI_UINT64_T, sent.data(), 1, MPI_UINT64_T, comm);
    for (int j = 0; j < size; ++j) {
        const auto uj = static_cast<std::size_t>(j);
        if (sent[uj] == expected[uj]) continue;
        if (!local.empty()) local += "; ";
        local += "rank " + std::to_string(j) + " sends " + std::to_string(sent[uj]) + " bytes, rank " +
                 std::to_string(rank) + " expects " + std::to_string(expected[uj]);
    }
    agree_on_counts(routine, comm, rank, std::move(local));
}

/// alltoallv: `to[j]` = bytes this rank sends to rank j, `expected[j]` = bytes it expects from rank j (`size`
/// entries each).
/// Two collectives (an alltoall and an allreduce).
inline void check_alltoall_counts(const char* routine, MPI_Comm comm, int rank, int size,
                                  const std::vector<std::uint64_t>& to, const std::vector<std::uint64_t>& expected) {
    std::string local;
    std::vector<std::uint64_t> from(static_cast<std::size_t>(size));
    MPIXX_COLL_CALL(MPI_Alltoall, MPI_Ialltoall, to.data(), 1, MPI_UINT64_T, from.data(), 1, MPI_UINT64_T, comm);
    for (int j = 0; j < size; ++j) {
        const auto uj = static_cast<std::size_t>(j);
        if (from[uj] == expected[uj]) continue;
        if (!local.empty()) local += "; ";
        local += "rank " + std::to_string(j) + " sends " + std::to_string(from[uj]) + " bytes to rank " +
                 std::to_string(rank) + ", which expects " + std::to_string(expected[uj]);
    }
    agree_on_counts(routine, comm, rank, std::move(local));
}

} // namespace mpixx::detail

// mpixx/detail/v_layout_check.hpp - the size checks of collective arguments and their (cold) errors:
// buffer sizes, per-peer counts and displacements (check_v_layout: lengths, signs, every block inside
// its buffer, receive blocks disjoint) and alltoallw's per-peer blocks of datatypes (check_w_layout).
// Used by the collectives (collectives_common.hpp includes it) and the neighbourhood collectives.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/error.hpp>
#include <mpixx/detail/layout_state.hpp>
#include <mpixx/detail/owner.hpp>
#include <mpixx/detail/std_light.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// Up to 64 ints inline, more on the heap: per-rank displacements without allocating at usual sizes.
class int_scratch {
public:
    explicit int_scratch(std::size_t n) {
        if (n > inline_size) {
            heap_ = detail::make_array_for_overwrite<int>(n);
            p_ = heap_.get();
        }
    }
    int_scratch(const int_scratch&) = delete;
    int_scratch& operator=(const int_scratch&) = delete;
    [[nodiscard]] int* data() noexcept { return p_; }

private:
    static constexpr std::size_t inline_size = 64;
    int local_[inline_size];
    detail::box<int[]> heap_;
    int* p_ = local_;
};

// ---- errors (cold: the success path builds no string) ----------------------------------------------

/// A receive buffer too small for what the collective delivers: MPI_ERR_TRUNCATE naming both sizes.
[[noreturn, MPIXX_COLD]] inline void throw_coll_truncate(const char* routine, std::size_t needed,
                                                         std::size_t capacity, MPI_Datatype type) {
    throw error(routine, MPI_ERR_TRUNCATE,
                "the receive buffer holds " + describe_count(capacity, type) + " but the collective delivers " +
                    describe_count(needed, type));
}

/// A buffer whose size does not fit the collective: MPI_ERR_COUNT naming both sizes.
[[noreturn, MPIXX_COLD]] inline void throw_coll_count(const char* routine, const char* what,
                                                      std::size_t have, std::size_t needed,
                                                      MPI_Datatype type) {
    throw error(routine, MPI_ERR_COUNT,
                std::string(what) + " holds " + describe_count(have, type) + " but " + describe_count(needed, type) +
                    " are needed");
}

/// A buffer that must split into one equal block per rank but does not: MPI_ERR_COUNT.
[[noreturn, MPIXX_COLD]] inline void throw_not_divisible(const char* routine, const char* what,
                                                         std::size_t have, int size, MPI_Datatype type) {
    throw error(routine, MPI_ERR_COUNT,
                std::string(what) + " holds " + describe_count(have, type) +
                    ", which does not split into equal blocks for a communicator of size " + std::to_string(size));
}

/// A per-rank count or displacement array of the wrong length: MPI_ERR_COUNT.
[[noreturn, MPIXX_COLD]] inline void throw_counts_size(const char* routine, const char* what,
                                                       std::size_t have, int size) {
    throw error(routine, MPI_ERR_COUNT,
                std::string(what) + " has " + std::to_string(have) + " entries but the communicator has " +
                    std::to_string(size) + " ranks");
}

/// A negative count or displacement: MPI_ERR_COUNT.
[[noreturn, MPIXX_COLD]] inline void throw_negative(const char* routine, const char* what, int rank,
                                                    int value) {
    throw error(routine, MPI_ERR_COUNT,
                std::string(what) + "[" + std::to_string(rank) + "] is negative (" + std::to_string(value) + ")");
}

/// A v-collective whose int counts/displacements cannot describe a buffer above INT_MAX elements.
[[noreturn, MPIXX_COLD]] inline void throw_v_large(const char* routine, std::size_t n) {
    throw error(routine, MPI_ERR_COUNT,
                "a buffer of " + std::to_string(n) +
                    " elements exceeds the int counts/displacements of this form; use the value-returning form, "
                    "which switches to the MPI-4 large-count call");
}

/// Throws MPI_ERR_COUNT when a count given as int counts/displacements would not fit.
inline void check_int_count(const char* routine, std::size_t n) {
    if (n > static_cast<std::size_t>(INT_MAX)) [[unlikely]]
        throw_v_large(routine, n);
}

/// Sorts `ix[0, n)` by `key[ix[k]]`, ascending (heap sort: O(n log n), in place, no <algorithm>).
inline void sort_by_key(int* ix, std::size_t n, std::span<const int> key) noexcept {
    const auto less = [&](std::size_t a, std::size_t b) {
        return key[static_cast<std::size_t>(ix[a])] < key[static_cast<std::size_t>(ix[b])];
    };
    const auto sift = [&](std::size_t root, std::size_t end) {
        for (std::size_t child = 2 * root + 1; child < end; root = child, child = 2 * root + 1) {
            if (child + 1 < end && less(child, child + 1)) ++child;
            if (!less(root, child)) return;
            std::swap(ix[root], ix[child]);
        }
    };
    for (std::size_t i = n / 2; i-- > 0;) sift(i, n);
    for (std::size_t end = n; end-- > 1;) {
        std::swap(ix[0], ix[end]);
        sift(0, end);
    }
}

/// Two receive blocks that overlap (cold path): MPI_ERR_ARG naming both peers and the items they cover.
[[noreturn, MPIXX_COLD]] inline void throw_overlap(const char* routine, const char* peer, std::size_t a,
                                                   std::size_t b, std::span<const int> counts,
                                                   std::span<const int> displs) {
    if (a > b) std::swap(a, b);
    const auto block = [&](std::size_t i) {
        return std::string(peer) + " " + std::to_string(i) + " (items [" + std::to_string(displs[i]) + ", " +
               std::to_string(static_cast<long long>(displs[i]) + counts[i]) + "))";
    };
    throw error(routine, MPI_ERR_ARG,
                "the receive blocks of " + block(a) + " and " + block(b) +
                    " overlap: MPI forbids overlapping receive locations (the result would be undefined)");
}

/// Whether in-neighbour i of Cartesian communicator `comm` is MPI_PROC_NULL (an open boundary, whose block
/// MPI never writes). In-neighbours come per dimension, the negative direction first.
inline bool cart_in_neighbor_null(MPI_Comm comm, std::size_t i) {
    int source = MPI_PROC_NULL, dest = MPI_PROC_NULL;
    MPIXX_CALL(MPI_Cart_shift, comm, static_cast<int>(i / 2), 1, &source, &dest);
    return (i % 2 == 0 ? source : dest) == MPI_PROC_NULL;
}

/// Refuses two non-empty receive blocks that share an item of the receive type (check_v_layout calls it
/// only when the blocks are not already in ascending order): the blocks are sorted by displacement
/// (O(p log p); no allocation up to 64 peers) and swept. Comparing item indices never refuses a valid
/// layout: a shared index is the same bytes. Overlaps between different indices of a resized type with
/// an extent smaller than its data are not seen. `topo`, a neighbourhood collective's communicator: the
/// blocks of a Cartesian grid's MPI_PROC_NULL in-neighbours are left out (MPI writes nothing there).
inline void check_disjoint(const char* routine, std::span<const int> counts, std::span<const int> displs,
                           MPI_Datatype type, const char* peer, MPI_Comm topo) {
    int kind = MPI_UNDEFINED;
    if (topo != MPI_COMM_NULL) MPIXX_CALL(MPI_Topo_test, topo, &kind);
    int_scratch scratch(counts.size());
    int* ix = scratch.data();
    std::size_t n = 0;
    for (std::size_t i = 0; i < counts.size(); ++i)
        if (counts[i] != 0 && !(kind == MPI_CART && cart_in_neighbor_null(topo, i))) ix[n++] = static_cast<int>(i);
    sort_by_key(ix, n, displs);
    long long reach = 0;  // the furthest end of the blocks swept so far
    std::size_t last = 0; // the block that reaches there
    for (std::size_t k = 0; k < n; ++k) {
        const auto i = static_cast<std::size_t>(ix[k]);
        if (k > 0 && displs[i] < reach) [[unlikely]] {
            int bytes = 0;
            MPIXX_CALL(MPI_Type_size, type, &bytes);
            if (bytes == 0) return; // items of an empty datatype touch no memory
            throw_overlap(routine, peer, last, i, counts, displs);
        }
        const long long end = static_cast<long long>(displs[i]) + counts[i];
        if (end > reach) {
            reach = end;
            last = i;
        }
    }
}

/// Checks per-peer counts/displacements against the buffer they address (length `size`, no negative
/// entry, every block inside `capacity`); a receive buffer that is too small is MPI_ERR_TRUNCATE, a
/// send buffer MPI_ERR_COUNT. Receive blocks must not overlap (MPI_ERR_ARG; send blocks may): one O(p)
/// pass confirms the common case, non-empty blocks in ascending order, and only other layouts are
/// sorted (check_disjoint). Displacements count items of `type`; `peer` names what an index is; `topo` is
/// a neighbourhood collective's communicator (blocks of MPI_PROC_NULL in-neighbours may overlap).
inline void check_v_layout(const char* routine, std::span<const int> counts, std::span<const int> displs, int size,
                           std::size_t capacity, MPI_Datatype type, bool receive, const char* peer = "rank",
                           MPI_Comm topo = MPI_COMM_NULL) {
    if (counts.size() != static_cast<std::size_t>(size)) [[unlikely]]
        throw_counts_size(routine, "counts", counts.size(), size);
    if (displs.size() != static_cast<std::size_t>(size)) [[unlikely]]
        throw_counts_size(routine, "displs", displs.size(), size);
    std::size_t extent = 0, prev_end = 0;
    bool ascending = true;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] < 0) [[unlikely]]
            throw_negative(routine, "counts", static_cast<int>(i), counts[i]);
        if (displs[i] < 0) [[unlikely]]
            throw_negative(routine, "displs", static_cast<int>(i), displs[i]);
        const auto start = static_cast<std::size_t>(displs[i]);
        const std::size_t end = start + static_cast<std::size_t>(counts[i]);
        extent = std::max(extent, end);
        if (counts[i] != 0) {
            ascending = ascending && start >= prev_end;
            prev_end = end;
        }
    }
    if (extent > capacity) [[unlikely]] {
        if (receive) throw_coll_truncate(routine, extent, capacity, type);
        throw_coll_count(routine, "the send buffer", capacity, extent, type);
    }
    if (receive && !ascending) check_disjoint(routine, counts, displs, type, peer, topo);
}

/// Checks that `counts` has one non-negative entry per rank.
inline void check_counts(const char* routine, std::span<const int> counts, int size) {
    if (counts.size() != static_cast<std::size_t>(size)) [[unlikely]]
        throw_counts_size(routine, "counts", counts.size(), size);
    for (std::size_t i = 0; i < counts.size(); ++i)
        if (counts[i] < 0) [[unlikely]]
            throw_negative(routine, "counts", static_cast<int>(i), counts[i]);
}

/// Block i of an MPI-style (neighbor_)alltoallw does not lie inside its buffer (cold path): a receive
/// block is MPI_ERR_TRUNCATE, a send block MPI_ERR_COUNT.
[[noreturn, MPIXX_COLD]] inline void throw_w_block(const char* routine, std::size_t i, bool overflow,
                                                          const byte_range& r, std::size_t bytes, bool receive) {
    const std::string where = overflow ? std::string("whose byte range overflows")
                                       : "touching bytes [" + std::to_string(r.lo) + ", " + std::to_string(r.hi) + ")";
    const std::string k = "[" + std::to_string(i) + "]";
    throw error(routine, receive ? MPI_ERR_TRUNCATE : MPI_ERR_COUNT,
                std::string(receive ? "receive" : "send") + " block " + std::to_string(i) + " (counts" + k +
                    " items of types" + k + " at byte displs" + k + ", " + where + ") does not lie inside the " +
                    (receive ? "receive" : "send") + " buffer of " + std::to_string(bytes) + " bytes");
}

#if defined(OPEN_MPI) && OMPI_MAJOR_VERSION <= 4
/// Whether `t` has a negative extent (check_w_layout: a defect of Open MPI 4.1).
inline bool neg_extent(MPI_Datatype t) {
    MPI_Aint lb = 0, extent = 0;
    MPIXX_CALL(MPI_Type_get_extent, t, &lb, &extent);
    return extent < 0;
}
#endif

/// Checks alltoallw's per-peer counts, byte displacements and datatypes against a buffer of `bytes`
/// bytes: one entry per rank, none negative, every non-empty block inside the buffer (its range from the
/// datatype's true bounds and extent: datatype_range, where a negative extent reaches below).
inline void check_w_layout(const char* routine, std::span<const int> counts, std::span<const int> displs,
                           std::span<const MPI_Datatype> types, int size, std::size_t bytes, bool receive) {
    // lengths and signs only (as a send side: byte displacements are no item indices to compare)
    check_v_layout(routine, counts, displs, size, SIZE_MAX, MPI_BYTE, false);
    if (types.size() != static_cast<std::size_t>(size)) [[unlikely]]
        throw_counts_size(routine, "types", types.size(), size);
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] == 0) continue;
        byte_range r;
        const bool ok = datatype_range(displs[i], static_cast<std::size_t>(counts[i]), types[i], r);
        if (!ok || r.lo < 0 || static_cast<unsigned long long>(r.hi) > bytes) [[unlikely]]
            throw_w_block(routine, i, !ok, r, bytes, receive);
#if defined(OPEN_MPI) && OMPI_MAJOR_VERSION <= 4
        // Open MPI 4.1 mishandles datatypes of negative extent (two items or more) in alltoallw: on one
        // process (coll/self) the block is written elsewhere (heap corruption), in MPI_Ialltoallw
        // (libnbc) receive blocks from other ranks never arrive and send blocks hang the call (seen with
        // raw MPI; MPICH, and Open MPI's blocking call on 2+ processes, are right). Refused there.
        if (r.hi - r.lo > 0 && counts[i] > 1 && neg_extent(types[i])) [[unlikely]]
            throw_usage(routine, MPI_ERR_TYPE,
                        "types[" + std::to_string(i) + "] has a negative extent, which Open MPI 4.1's alltoallw "
                        "mishandles (memory corruption, lost blocks or a hang)");
#endif
    }
}

} // namespace mpixx::detail

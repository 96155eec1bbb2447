// mpixx/detail/collectives_vector.hpp - the blocking v-collectives (gatherv, scatterv, allgatherv,
// alltoallv; alltoallw with per-peer datatypes and byte displacements): per-rank counts and
// displacements given by the caller (std::span<const int>, checked against the buffers before MPI is
// called), packed displacements computed from the counts (no allocation up to 64 ranks), or, in the
// value-returning forms, counts exchanged by one extra collective and a result vector sized to fit
// (switching to the MPI-4 large-count call when the total exceeds INT_MAX; each rank picks the int or
// large-count call from what it knows). Intracommunicators only (MPI_ERR_COMM otherwise).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/checked_counts.hpp>
#include <mpixx/detail/collectives_blocking.hpp>

namespace mpixx::inline MPIXX_ABI::detail {

/// Blocking v-collectives; the next layer (collectives.hpp) adds the non-blocking collectives.
class vector_collective_layer : public blocking_collective_layer {
public:
    // ---- gatherv -----------------------------------------------------------------------------------

    /// Gathers rank i's `sendbuf` (counts[i] elements) to recvbuf + displs[i] at the root (MPI_Gatherv);
    /// `recvbuf`, `counts` and `displs` are used at the root only.
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void gatherv(const S& sendbuf, R&& recvbuf, std::span<const int> counts, std::span<const int> displs,
                 int root) const {
        check_intra("mpixx::gatherv");
        check_root(root, "mpixx::gatherv");
        auto s = view(sendbuf);
        check_int_count("mpixx::gatherv", s.count);
        if (rank_ == root) {
            auto r = view(recvbuf);
            check_v_layout("mpixx::gatherv", counts, displs, size_, r.count, r.type, true);
#if MPIXX_CHECKED
            // First: a root's block that disagrees with its count then throws on every rank, not here alone.
            check_rooted_counts("mpixx::gatherv", comm_, rank_, size_, root, signature_bytes(counts, r.type, size_),
                                signature_bytes(s.count, s.type), true);
#endif
            check_own_block("mpixx::gatherv", "the root's own block", counts, s, r);
            MPIXX_COLL_CALL(MPI_Gatherv, MPI_Igatherv, s.ptr, static_cast<int>(s.count), s.type, r.ptr, counts.data(),
                            displs.data(), r.type, root, comm_);
        } else {
#if MPIXX_CHECKED
            check_rooted_counts("mpixx::gatherv", comm_, rank_, size_, root, {}, signature_bytes(s.count, s.type), true);
#endif
            MPIXX_COLL_CALL(MPI_Gatherv, MPI_Igatherv, s.ptr, static_cast<int>(s.count), s.type, nullptr, nullptr,
                            nullptr, s.type, root, comm_);
        }
    }
    /// gatherv with the blocks packed in rank order (displacements computed from `counts`).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void gatherv(const S& sendbuf, R&& recvbuf, std::span<const int> counts, int root) const {
        check_intra("mpixx::gatherv");
        check_root(root, "mpixx::gatherv");
        if (rank_ != root) return gatherv(sendbuf, recvbuf, counts, counts, root);
        check_counts("mpixx::gatherv", counts, size_);
        int_scratch d(counts.size());
        gatherv(sendbuf, recvbuf, counts, packed_displs("mpixx::gatherv", counts, d), root);
    }
    /// Returns every rank's `sendbuf` (any sizes) concatenated in rank order at the root, an empty
    /// vector elsewhere. Costs one extra collective: an MPI_Gather of the counts.
    template <send_buffer S>
        requires(!is_layout_v<S>)
    [[nodiscard]] std::vector<elem_t<S>> gatherv(const S& sendbuf, int root) const {
        check_intra("mpixx::gatherv");
        check_root(root, "mpixx::gatherv");
        auto s = view(sendbuf);
        const long long mine = static_cast<long long>(s.count);
        std::vector<long long> counts(rank_ == root ? static_cast<std::size_t>(size_) : 0);
        MPIXX_COLL_CALL(MPI_Gather, MPI_Igather, &mine, 1, MPI_LONG_LONG, counts.data(), 1, MPI_LONG_LONG, root, comm_);
        result_buffer<elem_t<S>> out;
        if (rank_ != root) {
            MPIXX_COLL_BLOCKING(s.count, MPI_Gatherv, MPI_Igatherv, s.ptr, count_t(s.count), s.type, nullptr, nullptr,
                                nullptr, s.type, root, comm_);
            return out.take();
        }
        v_layout l("mpixx::gatherv", counts);
        out.resize(l.total);
        if (!l.large) {
            MPIXX_COLL_CALL(MPI_Gatherv, MPI_Igatherv, s.ptr, static_cast<int>(s.count), s.type, out.data(),
                            l.counts.data(), l.displs.data(), s.type, root, comm_);
        } else {
#if MPI_VERSION >= 4
            MPIXX_COLL_CALL(MPI_Gatherv_c, MPI_Igatherv_c, s.ptr, static_cast<MPI_Count>(s.count), s.type, out.data(),
                            l.lcounts.data(), l.ldispls.data(), s.type, root, comm_);
#endif
        }
        return out.take();
    }

    // ---- scatterv ----------------------------------------------------------------------------------

    /// Sends counts[i] elements at sendbuf + displs[i] from the root to rank i (MPI_Scatterv); `sendbuf`,
    /// `counts` and `displs` are used at the root only.
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void scatterv(const S& sendbuf, std::span<const int> counts, std::span<const int> displs, R&& recvbuf,
                  int root) const {
        check_intra("mpixx::scatterv");
        check_root(root, "mpixx::scatterv");
        auto r = view(recvbuf);
        if (rank_ == root) {
            auto s = view(sendbuf);
            check_v_layout("mpixx::scatterv", counts, displs, size_, s.count, s.type, false);
            const int rcount = root_recv_count("mpixx::scatterv", counts, s, r);
#if MPIXX_CHECKED
            check_rooted_counts("mpixx::scatterv", comm_, rank_, size_, root, signature_bytes(counts, s.type, size_),
                                signature_bytes(static_cast<std::size_t>(rcount), r.type), false);
#endif
            MPIXX_COLL_CALL(MPI_Scatterv, MPI_Iscatterv, s.ptr, counts.data(), displs.data(), s.type, r.ptr, rcount,
                            r.type, root, comm_);
        } else {
            check_int_count("mpixx::scatterv", r.count);
#if MPIXX_CHECKED
            check_rooted_counts("mpixx::scatterv", comm_, rank_, size_, root, {}, signature_bytes(r.count, r.type),
                                false);
#endif
            MPIXX_COLL_CALL(MPI_Scatterv, MPI_Iscatterv, nullptr, nullptr, nullptr, r.type, r.ptr,
                            static_cast<int>(r.count), r.type, root, comm_);
        }
    }
    /// scatterv of blocks packed in rank order (displacements computed from `counts`).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void scatterv(const S& sendbuf, std::span<const int> counts, R&& recvbuf, int root) const {
        check_intra("mpixx::scatterv");
        check_root(root, "mpixx::scatterv");
        if (rank_ != root) return scatterv(sendbuf, counts, counts, recvbuf, root);
        check_counts("mpixx::scatterv", counts, size_);
        int_scratch d(counts.size());
        scatterv(sendbuf, counts, packed_displs("mpixx::scatterv", counts, d), recvbuf, root);
    }
    /// Returns this rank's counts[rank()] elements of the root's `sendbuf`, split in rank order.
    /// `counts` must be given on every rank (no extra communication); `sendbuf` is read at the root only.
    template <send_buffer S>
        requires(!is_layout_v<S>)
    [[nodiscard]] std::vector<elem_t<S>> scatterv(const S& sendbuf, std::span<const int> counts, int root) const {
        check_intra("mpixx::scatterv");
        check_root(root, "mpixx::scatterv");
        check_counts("mpixx::scatterv", counts, size_);
        result_buffer<elem_t<S>> out(own_size(counts));
        scatterv(sendbuf, counts, out.span(), root);
        return out.take();
    }

    // ---- allgatherv --------------------------------------------------------------------------------

    /// Every rank receives rank i's `sendbuf` (counts[i] elements) at recvbuf + displs[i] (MPI_Allgatherv).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void allgatherv(const S& sendbuf, R&& recvbuf, std::span<const int> counts, std::span<const int> displs) const {
        check_intra("mpixx::allgatherv");
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        check_v_layout("mpixx::allgatherv", counts, displs, size_, r.count, r.type, true);
        check_int_count("mpixx::allgatherv", s.count);
#if MPIXX_CHECKED
        // First: a send buffer that disagrees with its count then throws on every rank, not here alone.
        check_allgather_counts("mpixx::allgatherv", comm_, rank_, size_, signature_bytes(s.count, s.type),
                               signature_bytes(counts, r.type, size_));
#endif
        check_own_block("mpixx::allgatherv", "this rank's send buffer", counts, s, r);
        // s.count items of the send buffer's own datatype: counts[rank()] are items of the receive buffer's
        MPIXX_COLL_CALL(MPI_Allgatherv, MPI_Iallgatherv, s.ptr, static_cast<int>(s.count), s.type, r.ptr,
                        counts.data(), displs.data(), r.type, comm_);
    }
    /// allgatherv with the blocks packed in rank order (displacements computed from `counts`).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void allgatherv(const S& sendbuf, R&& recvbuf, std::span<const int> counts) const {
        check_intra("mpixx::allgatherv");
        check_counts("mpixx::allgatherv", counts, size_);
        int_scratch d(counts.size());
        allgatherv(sendbuf, recvbuf, counts, packed_displs("mpixx::allgatherv", counts, d));
    }
    /// In-place allgatherv: this rank's block is already at buf + displs[rank()].
    template <class R>
        requires recv_target<R&&>
    void allgatherv(in_place_t, R&& buf, std::span<const int> counts, std::span<const int> displs) const {
        check_intra("mpixx::allgatherv");
        auto b = view(buf);
        check_v_layout("mpixx::allgatherv", counts, displs, size_, b.count, b.type, true);
        MPIXX_COLL_CALL(MPI_Allgatherv, MPI_Iallgatherv, MPI_IN_PLACE, 0, b.type, b.ptr, counts.data(), displs.data(),
                        b.type, comm_);
    }
    /// In-place allgatherv with the blocks packed in rank order.
    template <class R>
        requires recv_target<R&&>
    void allgatherv(in_place_t, R&& buf, std::span<const int> counts) const {
        check_intra("mpixx::allgatherv");
        check_counts("mpixx::allgatherv", counts, size_);
        int_scratch d(counts.size());
        allgatherv(in_place, buf, counts, packed_displs("mpixx::allgatherv", counts, d));
    }
    /// Returns every rank's `sendbuf` (any sizes) concatenated in rank order, on every rank. Costs one
    /// extra collective: an MPI_Allgather of the counts.
    template <send_buffer S>
        requires(!is_layout_v<S>)
    [[nodiscard]] std::vector<elem_t<S>> allgatherv(const S& sendbuf) const {
        check_intra("mpixx::allgatherv");
        auto s = view(sendbuf);
        const long long mine = static_cast<long long>(s.count);
        std::vector<long long> counts(static_cast<std::size_t>(size_));
        MPIXX_COLL_CALL(MPI_Allgather, MPI_Iallgather, &mine, 1, MPI_LONG_LONG, counts.data(), 1, MPI_LONG_LONG, comm_);
        v_layout l("mpixx::allgatherv", counts);
        result_buffer<elem_t<S>> out(l.total);
        if (!l.large) {
            MPIXX_COLL_CALL(MPI_Allgatherv, MPI_Iallgatherv, s.ptr, static_cast<int>(s.count), s.type, out.data(),
                            l.counts.data(), l.displs.data(), s.type, comm_);
        } else {
#if MPI_VERSION >= 4
            MPIXX_COLL_CALL(MPI_Allgatherv_c, MPI_Iallgatherv_c, s.ptr, static_cast<MPI_Count>(s.count), s.type,
                            out.data(), l.lcounts.data(), l.ldispls.data(), s.type, comm_);
#endif
        }
        return out.take();
    }

    // ---- alltoallv ---------------------------------------------------------------------------------

    /// Rank i's sendcounts[j] elements at sendbuf + sdispls[j] go to rank j, arriving at recvbuf +
    /// rdispls[i] there (MPI_Alltoallv).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void alltoallv(const S& sendbuf, std::span<const int> sendcounts, std::span<const int> sdispls, R&& recvbuf,
                   std::span<const int> recvcounts, std::span<const int> rdispls) const {
        check_intra("mpixx::alltoallv");
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        check_v_layout("mpixx::alltoallv", sendcounts, sdispls, size_, s.count, s.type, false);
        check_v_layout("mpixx::alltoallv", recvcounts, rdispls, size_, r.count, r.type, true);
#if MPIXX_CHECKED
        check_alltoall_counts("mpixx::alltoallv", comm_, rank_, size_, signature_bytes(sendcounts, s.type, size_),
                              signature_bytes(recvcounts, r.type, size_));
#endif
        MPIXX_COLL_CALL(MPI_Alltoallv, MPI_Ialltoallv, nonnull_send(s.ptr), sendcounts.data(), sdispls.data(), s.type,
                        nonnull_recv(r.ptr), recvcounts.data(), rdispls.data(), r.type, comm_);
    }
    /// alltoallv with both sides packed in rank order (displacements computed from the counts).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void alltoallv(const S& sendbuf, std::span<const int> sendcounts, R&& recvbuf,
                   std::span<const int> recvcounts) const {
        check_intra("mpixx::alltoallv");
        check_counts("mpixx::alltoallv", sendcounts, size_);
        check_counts("mpixx::alltoallv", recvcounts, size_);
        int_scratch sd(sendcounts.size()), rd(recvcounts.size());
        alltoallv(sendbuf, sendcounts, packed_displs("mpixx::alltoallv", sendcounts, sd), recvbuf, recvcounts,
                  packed_displs("mpixx::alltoallv", recvcounts, rd));
    }
    /// Sends sendcounts[j] elements (packed in rank order) to rank j and returns what every rank sent
    /// here, in rank order. Costs one extra collective: an MPI_Alltoall of the counts.
    template <send_buffer S>
        requires(!is_layout_v<S>)
    [[nodiscard]] std::vector<elem_t<S>> alltoallv(const S& sendbuf, std::span<const int> sendcounts) const {
        check_intra("mpixx::alltoallv");
        check_counts("mpixx::alltoallv", sendcounts, size_);
        std::vector<int> recvcounts(static_cast<std::size_t>(size_));
        MPIXX_COLL_CALL(MPI_Alltoall, MPI_Ialltoall, sendcounts.data(), 1, MPI_INT, recvcounts.data(), 1, MPI_INT,
                        comm_);
        std::size_t total = 0;
        for (int c : recvcounts) total += static_cast<std::size_t>(c);
        check_int_count("mpixx::alltoallv", total);
        result_buffer<elem_t<S>> out(total);
        alltoallv(sendbuf, sendcounts, out.span(), recvcounts);
        return out.take();
    }

    /// In-place alltoallv: counts[j] elements at buf + displs[j] go to rank j and are replaced by the
    /// counts[j] elements rank j sends here (so the count matrix must be symmetric, as MPI requires).
    template <class R>
        requires recv_target<R&&>
    void alltoallv(in_place_t, R&& buf, std::span<const int> counts, std::span<const int> displs) const {
        check_intra("mpixx::alltoallv");
        auto b = view(buf);
        check_v_layout("mpixx::alltoallv", counts, displs, size_, b.count, b.type, true);
        MPIXX_COLL_CALL(MPI_Alltoallv, MPI_Ialltoallv, MPI_IN_PLACE, counts.data(), displs.data(), b.type,
                        nonnull_recv(b.ptr), counts.data(), displs.data(), b.type, comm_);
    }
    /// In-place alltoallv with the blocks packed in rank order.
    template <class R>
        requires recv_target<R&&>
    void alltoallv(in_place_t, R&& buf, std::span<const int> counts) const {
        check_intra("mpixx::alltoallv");
        check_counts("mpixx::alltoallv", counts, size_);
        int_scratch d(counts.size());
        alltoallv(in_place, buf, counts, packed_displs("mpixx::alltoallv", counts, d));
    }

    // ---- alltoallw ---------------------------------------------------------------------------------

    /// The most general exchange (MPI_Alltoallw): sendcounts[j] items of sendtypes[j] at byte offset
    /// sdispls[j] of `sendbuf` go to rank j, arriving at byte offset rdispls[i] of its `recvbuf` as
    /// recvcounts[i] items of recvtypes[i]. The buffers are memory of any typed buffer (their element
    /// types need not match); every block is checked to lie inside its buffer.
    template <send_buffer S, class R>
        requires recv_target<R&&> && (!is_layout_v<S>) && (!is_layout_v<R>)
    void alltoallw(const S& sendbuf, std::span<const int> sendcounts, std::span<const int> sdispls,
                   std::span<const MPI_Datatype> sendtypes, R&& recvbuf, std::span<const int> recvcounts,
                   std::span<const int> rdispls, std::span<const MPI_Datatype> recvtypes) const {
        check_intra("mpixx::alltoallw");
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        check_w_layout("mpixx::alltoallw", sendcounts, sdispls, sendtypes, size_, s.count * sizeof(elem_t<S>), false);
        check_w_layout("mpixx::alltoallw", recvcounts, rdispls, recvtypes, size_, r.count * sizeof(elem_t<R>), true);
        MPIXX_COLL_CALL(MPI_Alltoallw, MPI_Ialltoallw, nonnull_send(s.ptr), sendcounts.data(), sdispls.data(),
                        sendtypes.data(), nonnull_recv(r.ptr), recvcounts.data(), rdispls.data(), recvtypes.data(),
                        comm_);
    }

    /// alltoallw with one buffer per peer (MPI_Alltoallw): sends[j] goes to rank j and recvs[i] receives
    /// what rank i sends here. Each entry is any buffer, typically a layout view (the transpose of a
    /// distributed matrix: a column layout per peer, no packing); its pointer, count and datatype become
    /// that peer's displacement (from the lowest address), count and type. Sizes are checked by MPI.
    template <class SV, class RV>
        requires peer_buffers<const SV&, false> && peer_buffers<RV&, true>
    void alltoallw(const SV& sends, RV&& recvs) const {
        check_intra("mpixx::alltoallw");
        const w_side s("mpixx::alltoallw", "sends", sends, size_);
        const w_side r("mpixx::alltoallw", "recvs", recvs, size_);
        MPIXX_COLL_CALL(MPI_Alltoallw, MPI_Ialltoallw, nonnull_send(s.base), s.counts.data(), s.displs.data(),
                        s.types.data(), nonnull_recv(const_cast<char*>(r.base)), r.counts.data(), r.displs.data(),
                        r.types.data(), comm_);
    }

protected:
    using blocking_collective_layer::blocking_collective_layer;

    /// Checks this rank's send block `s` against its entry of `counts`, which counts items of the receive
    /// buffer `r`'s datatype (its layout), as in MPI: equal counts for plain buffers, the same type
    /// signature when either side is a layout view. Shared with the non-blocking v-collectives.
    template <class SV, class RV>
    void check_own_block(const char* routine, const char* what, std::span<const int> counts, const SV& s,
                         const RV& r) const {
        if (s.layout || r.layout) check_block_signature(routine, what, own_size(counts), r, s, true);
        else check_own_count(routine, counts, s.count, s.type);
    }

    /// The root's receive count in a scatterv whose `counts` are items of the send buffer `s`'s datatype:
    /// counts[rank()] for plain buffers (checked to fit `r`), else r.count items of r's own datatype,
    /// checked to carry what the root's block does. Shared with iscatterv.
    template <class SV, class RV>
    int root_recv_count(const char* routine, std::span<const int> counts, const SV& s, const RV& r) const {
        const auto mine = own_size(counts);
        if (!s.layout && !r.layout) {
            if (r.count < mine) [[unlikely]]
                throw_coll_truncate(routine, mine, r.count, r.type);
            return own_count(counts);
        }
        const buffer_view<const void> own{s.ptr, mine, s.type, s.unit, s.layout};
        check_int_count(routine, r.count);
        check_block_signature(routine, "this rank's receive buffer", r.count, r, own, true);
        return static_cast<int>(r.count);
    }
};

} // namespace mpixx::detail

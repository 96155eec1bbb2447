// mpixx/detail/collectives_nonblocking_vector.hpp - the non-blocking v-collectives (igatherv,
// iscatterv, iallgatherv, ialltoallv, ialltoallw) and the blocking layer below them.
//
// Their buffers and per-rank arrays (counts, displacements, datatypes) are the caller's: lvalues or
// borrowed ranges (std::span), which must stay alive and untouched until the request completes, as in
// MPI; a temporary container or an owning view does not compile (it would die while MPI reads it).
// Intracommunicators only (MPI_ERR_COMM otherwise).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/collectives_vector.hpp>
#include <mpixx/request.hpp>

#include <mpixx/detail/owner.hpp>
#include <mpixx/detail/std_light.hpp> // range_value_t, range_reference_t (light, as the core must be)
#include <span>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// What a per-peer ialltoallw owns: its count, displacement and datatype arrays.
struct w_payload final : request_payload<void> {
    w_side s, r;
    w_payload(w_side a, w_side b) : s(std::move(a)), r(std::move(b)) {}
    void finish(const MPI_Status&) override {}
};

/// A range of per-peer buffers whose memory outlives the call: an lvalue range or a range of borrowed
/// buffers (spans, borrowed views), whose elements are not temporaries either (a range yielding
/// containers by value would hand MPI the addresses of destroyed copies).
template <class V>
concept peer_targets = (borrowable<V> || borrowable<std::ranges::range_value_t<V>>) &&
                       borrowable<std::ranges::range_reference_t<V>>;

/// Non-blocking v-collectives; the next layer (collectives.hpp) adds the other non-blocking collectives.
class nonblocking_vector_layer : public vector_collective_layer {
public:
    /// Starts a gatherv (MPI_Igatherv); `recvbuf`, `counts`, `displs` are used at the root only.
    template <class S, class R, class C, class D>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && count_target<C&&> && count_target<D&&>
    [[nodiscard]] request<> igatherv(S&& sendbuf, R&& recvbuf, C&& counts_, D&& displs_, int root) const {
        check_intra("mpixx::igatherv");
        const std::span<const int> counts(counts_), displs(displs_);
        check_root(root, "mpixx::igatherv");
        auto s = send_view(sendbuf);
        check_int_count("mpixx::igatherv", s.count);
        coll_post q;
        if (rank_ == root) {
            auto r = view(recvbuf);
            check_v_layout("mpixx::igatherv", counts, displs, size_, r.count, r.type, true);
            check_own_block("mpixx::igatherv", "the root's own block", counts, s, r);
            MPIXX_ICOLL(MPI_Igatherv, s.ptr, static_cast<int>(s.count), s.type, r.ptr, counts.data(), displs.data(),
                       r.type, root, comm_, &q);
        } else {
            MPIXX_ICOLL(MPI_Igatherv, s.ptr, static_cast<int>(s.count), s.type, nullptr, nullptr, nullptr, s.type, root,
                       comm_, &q);
        }
        return request<>(q);
    }

    /// Starts a scatterv (MPI_Iscatterv); `sendbuf`, `counts`, `displs` are used at the root only.
    template <class S, class C, class D, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && count_target<C&&> && count_target<D&&>
    [[nodiscard]] request<> iscatterv(S&& sendbuf, C&& counts_, D&& displs_, R&& recvbuf, int root) const {
        check_intra("mpixx::iscatterv");
        const std::span<const int> counts(counts_), displs(displs_);
        check_root(root, "mpixx::iscatterv");
        auto r = view(recvbuf);
        coll_post q;
        if (rank_ == root) {
            auto s = send_view(sendbuf);
            check_v_layout("mpixx::iscatterv", counts, displs, size_, s.count, s.type, false);
            const int rcount = root_recv_count("mpixx::iscatterv", counts, s, r);
            MPIXX_ICOLL(MPI_Iscatterv, s.ptr, counts.data(), displs.data(), s.type, r.ptr, rcount, r.type, root, comm_,
                        &q);
        } else {
            check_int_count("mpixx::iscatterv", r.count);
            MPIXX_ICOLL(MPI_Iscatterv, nullptr, nullptr, nullptr, r.type, r.ptr, static_cast<int>(r.count), r.type, root,
                       comm_, &q);
        }
        return request<>(q);
    }

    /// Starts an allgatherv (MPI_Iallgatherv).
    template <class S, class R, class C, class D>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && count_target<C&&> && count_target<D&&>
    [[nodiscard]] request<> iallgatherv(S&& sendbuf, R&& recvbuf, C&& counts_, D&& displs_) const {
        check_intra("mpixx::iallgatherv");
        const std::span<const int> counts(counts_), displs(displs_);
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_v_layout("mpixx::iallgatherv", counts, displs, size_, r.count, r.type, true);
        check_int_count("mpixx::iallgatherv", s.count);
        check_own_block("mpixx::iallgatherv", "this rank's send buffer", counts, s, r);
        coll_post q;
        MPIXX_ICOLL(MPI_Iallgatherv, s.ptr, static_cast<int>(s.count), s.type, r.ptr, counts.data(), displs.data(),
                    r.type, comm_, &q);
        return request<>(q);
    }

    /// Starts an alltoallv (MPI_Ialltoallv).
    template <class S, class SC, class SD, class R, class RC, class RD>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && count_target<SC&&> &&
                 count_target<SD&&> && count_target<RC&&> && count_target<RD&&>
    [[nodiscard]] request<> ialltoallv(S&& sendbuf, SC&& sendcounts_, SD&& sdispls_, R&& recvbuf, RC&& recvcounts_,
                                       RD&& rdispls_) const {
        check_intra("mpixx::ialltoallv");
        const std::span<const int> sendcounts(sendcounts_), sdispls(sdispls_), recvcounts(recvcounts_),
            rdispls(rdispls_);
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_v_layout("mpixx::ialltoallv", sendcounts, sdispls, size_, s.count, s.type, false);
        check_v_layout("mpixx::ialltoallv", recvcounts, rdispls, size_, r.count, r.type, true);
        coll_post q;
        MPIXX_ICOLL(MPI_Ialltoallv, nonnull_send(s.ptr), sendcounts.data(), sdispls.data(), s.type, nonnull_recv(r.ptr),
                   recvcounts.data(), rdispls.data(), r.type, comm_, &q);
        return request<>(q);
    }
    /// Starts an in-place alltoallv (symmetric counts, see alltoallv(in_place, ...)).
    template <class R, class C, class D>
        requires recv_target<R&&> && count_target<C&&> && count_target<D&&>
    [[nodiscard]] request<> ialltoallv(in_place_t, R&& buf, C&& counts_, D&& displs_) const {
        check_intra("mpixx::ialltoallv");
        const std::span<const int> counts(counts_), displs(displs_);
        auto b = view(buf);
        check_v_layout("mpixx::ialltoallv", counts, displs, size_, b.count, b.type, true);
        coll_post q;
        MPIXX_ICOLL(MPI_Ialltoallv, MPI_IN_PLACE, counts.data(), displs.data(), b.type, nonnull_recv(b.ptr),
                   counts.data(), displs.data(), b.type, comm_, &q);
        return request<>(q);
    }

    /// Starts an alltoallw (MPI_Ialltoallw; see alltoallw): counts, byte displacements and datatypes
    /// per peer, all of which must stay alive until the request completes.
    template <class S, class SC, class SD, class ST, class R, class RC, class RD, class RT>
        requires send_target<S&&> && recv_target<R&&> && count_target<SC&&> && count_target<SD&&> &&
                 array_target<ST&&, MPI_Datatype> && count_target<RC&&> && count_target<RD&&> &&
                 array_target<RT&&, MPI_Datatype> && (!is_layout_v<S>) && (!is_layout_v<R>)
    [[nodiscard]] request<> ialltoallw(S&& sendbuf, SC&& sendcounts_, SD&& sdispls_, ST&& sendtypes_, R&& recvbuf,
                                       RC&& recvcounts_, RD&& rdispls_, RT&& recvtypes_) const {
        check_intra("mpixx::ialltoallw");
        const std::span<const int> sendcounts(sendcounts_), sdispls(sdispls_), recvcounts(recvcounts_),
            rdispls(rdispls_);
        const std::span<const MPI_Datatype> sendtypes(sendtypes_), recvtypes(recvtypes_);
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_w_layout("mpixx::ialltoallw", sendcounts, sdispls, sendtypes, size_, s.count * sizeof(elem_t<S>), false);
        check_w_layout("mpixx::ialltoallw", recvcounts, rdispls, recvtypes, size_, r.count * sizeof(elem_t<R>), true);
        coll_post q;
        MPIXX_ICOLL(MPI_Ialltoallw, nonnull_send(s.ptr), sendcounts.data(), sdispls.data(), sendtypes.data(),
                   nonnull_recv(r.ptr), recvcounts.data(), rdispls.data(), recvtypes.data(), comm_, &q);
        return request<>(q);
    }

    /// Starts an alltoallw with one buffer per peer (MPI_Ialltoallw; see alltoallw(sends, recvs)); the
    /// request owns the per-peer arrays, the buffers (views) must stay alive until it completes: a
    /// temporary range of containers does not compile (their memory would be freed while MPI uses it).
    template <class SV, class RV>
        requires peer_buffers<const std::remove_reference_t<SV>&, false> && peer_buffers<RV&, true> &&
                 peer_targets<SV&&> && peer_targets<RV&&>
    [[nodiscard]] request<> ialltoallw(SV&& sends, RV&& recvs) const {
        check_intra("mpixx::ialltoallw");
        auto p = detail::make_box<w_payload>(w_side("mpixx::ialltoallw", "sends", std::as_const(sends), size_),
                                             w_side("mpixx::ialltoallw", "recvs", recvs, size_));
        coll_post q;
        MPIXX_ICOLL(MPI_Ialltoallw, nonnull_send(p->s.base), p->s.counts.data(), p->s.displs.data(), p->s.types.data(),
                   nonnull_recv(const_cast<char*>(p->r.base)), p->r.counts.data(), p->r.displs.data(),
                   p->r.types.data(), comm_, &q);
        return request<>(q, std::move(p));
    }

protected:
    using vector_collective_layer::vector_collective_layer;
};

} // namespace mpixx::detail

// mpixx/detail/neighbor_vector.hpp - the neighbourhood v and w collectives of the topology
// communicators: neighbor_allgatherv, neighbor_alltoallv, neighbor_alltoallw; blocking, non-blocking
// and (MPI-4) persistent.
//
// Per-neighbour counts and displacements (in elements of the buffer) have one entry per in-neighbour
// (receive side) or out-neighbour (send side), checked against the buffers before MPI is called.
// neighbor_alltoallw comes in two spellings:
//   - one buffer per neighbour: `neighbor_alltoallw(sends, recvs)` with ranges of buffers (layout views,
//     spans, containers; each its own memory, count and datatype), e.g. the faces of a 3D block: the
//     blocks are addressed from MPI_BOTTOM, nothing is copied;
//   - MPI's: one send and one receive buffer with per-neighbour counts, byte displacements (MPI_Aint)
//     and datatypes.
// Non-blocking forms borrow the caller's buffers and arrays (lvalues or borrowed ranges) until the
// request completes, except that the one-buffer-per-neighbour form copies its (address, count,
// datatype) table into the request; persistent forms borrow everything until the request is freed.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/checked_counts.hpp>
#include <mpixx/detail/layout_state.hpp>
#include <mpixx/detail/neighbor_collectives.hpp>
#include <mpixx/detail/owner.hpp>
#include <mpixx/detail/std_light.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// A per-neighbour array of the wrong length (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_neighbor_array(const char* routine, const char* what,
                                                          std::size_t have, int degree,
                                                          const char* kind) {
    throw error(routine, MPI_ERR_COUNT,
                std::string(what) + " has " + std::to_string(have) + " entries but this process has " +
                    std::to_string(degree) + " " + kind);
}

/// Checks per-neighbour counts/displacements (in elements) against a buffer of `capacity` elements;
/// receive blocks must not overlap (check_v_layout), except those of MPI_PROC_NULL in-neighbours of the
/// topology communicator `comm` (never written).
inline void check_neighbor_v(const char* routine, std::span<const int> counts, std::span<const int> displs,
                             int degree, const char* kind, std::size_t capacity, MPI_Datatype type, bool receive,
                             MPI_Comm comm = MPI_COMM_NULL) {
    if (counts.size() != static_cast<std::size_t>(degree)) [[unlikely]]
        throw_neighbor_array(routine, "counts", counts.size(), degree, kind);
    if (displs.size() != static_cast<std::size_t>(degree)) [[unlikely]]
        throw_neighbor_array(routine, "displs", displs.size(), degree, kind);
    check_v_layout(routine, counts, displs, degree, capacity, type, receive,
                   receive ? "in-neighbour" : "out-neighbour", comm);
}

/// Checks per-neighbour counts, byte displacements and datatypes against a buffer of `bytes` bytes
/// (SIZE_MAX: a buffer whose extent mpixx cannot tell, such as a layout view). Each block's range
/// comes from its datatype's true bounds and extent (datatype_range: a negative extent reaches below).
inline void check_neighbor_w(const char* routine, std::span<const int> counts, std::span<const MPI_Aint> displs,
                             std::span<const MPI_Datatype> types, int degree, const char* kind, std::size_t bytes,
                             bool receive) {
    const auto n = static_cast<std::size_t>(degree);
    if (counts.size() != n) [[unlikely]]
        throw_neighbor_array(routine, "counts", counts.size(), degree, kind);
    if (displs.size() != n) [[unlikely]]
        throw_neighbor_array(routine, "displs", displs.size(), degree, kind);
    if (types.size() != n) [[unlikely]]
        throw_neighbor_array(routine, "types", types.size(), degree, kind);
    for (std::size_t i = 0; i < n; ++i) {
        if (counts[i] < 0) [[unlikely]]
            throw_negative(routine, "counts", static_cast<int>(i), counts[i]);
        if (counts[i] == 0 || bytes == SIZE_MAX) continue;
        byte_range r;
        const bool ok = datatype_range(static_cast<long long>(displs[i]), static_cast<std::size_t>(counts[i]), types[i], r);
        if (!ok || r.lo < 0 || static_cast<unsigned long long>(r.hi) > bytes) [[unlikely]]
            throw_w_block(routine, i, !ok, r, bytes, receive);
    }
}

/// The size in bytes of a buffer when mpixx can tell (plain buffers), SIZE_MAX otherwise.
template <class B>
std::size_t buffer_bytes(const B& b) {
    if constexpr (plain_buffer<B>) return view(b).count * sizeof(elem_t<B>);
    else return SIZE_MAX;
}

/// `s.data()`, or a distinct non-null address for an empty array (MPI reads none of it).
template <class T>
const T* nonnull_array(std::span<const T> s) noexcept {
    static constexpr T dummy{};
    return s.empty() ? &dummy : s.data();
}

/// Up to N values inline, more on the heap: a per-neighbour table without allocating at usual degrees.
template <class T, std::size_t N = 32>
class small_array {
public:
    small_array() = default;
    small_array(const small_array&) = delete;
    small_array& operator=(const small_array&) = delete;
    void resize(std::size_t n) {
        if (n > N) {
            heap_ = detail::make_array_for_overwrite<T>(n);
            p_ = heap_.get();
        }
        n_ = n;
    }
    [[nodiscard]] T& operator[](std::size_t i) noexcept { return p_[i]; }
    [[nodiscard]] std::span<const T> span() const noexcept { return {p_, n_}; }

private:
    T local_[N];
    detail::box<T[]> heap_;
    T* p_ = local_;
    std::size_t n_ = 0;
};

/// The (address, count, datatype) table of a one-buffer-per-neighbour alltoallw, addressed from
/// MPI_BOTTOM; on the stack for a blocking call, owned by the request of a non-blocking one.
struct w_table final : request_payload<void> {
    small_array<int> scounts, rcounts;
    small_array<MPI_Aint> sdispls, rdispls;
    small_array<MPI_Datatype> stypes, rtypes;
    void finish(const MPI_Status&) override {}

    /// Fills one side from a range of buffers (one per neighbour).
    template <class Range>
    static void fill(const char* routine, Range&& bufs, int degree, const char* what, const char* kind,
                     small_array<int>& counts, small_array<MPI_Aint>& displs, small_array<MPI_Datatype>& types) {
        const auto n = static_cast<std::size_t>(std::ranges::size(bufs));
        if (n != static_cast<std::size_t>(degree)) [[unlikely]]
            throw_neighbor_array(routine, what, n, degree, kind);
        counts.resize(n);
        displs.resize(n);
        types.resize(n);
        std::size_t i = 0;
        for (auto&& b : bufs) {
            auto v = view(b);
            check_int_count(routine, v.count);
            counts[i] = static_cast<int>(v.count);
            types[i] = v.type;
            displs[i] = 0;
            if (v.count > 0) MPIXX_CALL(MPI_Get_address, v.ptr, &displs[i]);
            ++i;
        }
    }
};

/// A range of send buffers, one per neighbour. Its elements must not be temporaries (a range yielding
/// containers by value would hand MPI the addresses of copies destroyed before the call).
template <class R>
concept send_buffer_range = std::ranges::sized_range<R> && std::ranges::input_range<R> &&
                            send_buffer<std::ranges::range_reference_t<R>> &&
                            borrowable<std::ranges::range_reference_t<R>>;
/// A range of receive buffers, one per neighbour (each writable).
template <class R>
concept recv_buffer_range = std::ranges::sized_range<R> && std::ranges::input_range<R> &&
                            recv_buffer<std::ranges::range_reference_t<R>> &&
                            borrowable<std::ranges::range_reference_t<R>>;
/// A range of buffers whose memory outlives a temporary range: an lvalue range, or a range of borrowed
/// ranges (spans, views of the caller's memory).
template <class R>
concept borrowed_buffers = borrowable<R> || std::ranges::borrowed_range<std::ranges::range_value_t<R>>;

/// The neighbourhood collectives with per-neighbour counts; topology communicators derive from it.
class neighbor_layer : public neighbor_base {
public:
    // ---- neighbor_allgatherv -----------------------------------------------------------------------

    /// Sends `sendbuf` to every out-neighbour; receives counts[i] elements from in-neighbour i at
    /// recvbuf + displs[i] (MPI_Neighbor_allgatherv).
    template <send_buffer S, class R>
        requires recv_target<R&&> && neighbor_pair<S, R>
    void neighbor_allgatherv(const S& sendbuf, R&& recvbuf, std::span<const int> counts,
                             std::span<const int> displs) const {
        constexpr const char* routine = "mpixx::neighbor_allgatherv";
        check_live(routine); // null communicator, asymmetric graph
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        check_int_count(routine, s.count);
        check_neighbor_v(routine, counts, displs, indeg_, "in-neighbours", r.count, r.type, true, comm_);
#if MPIXX_CHECKED
        check_neighbor_counts(routine, true, signature_bytes(s.count, s.type), {}, signature_bytes(counts, r.type, indeg_));
#endif
        MPIXX_COLL_CALL(MPI_Neighbor_allgatherv, MPI_Ineighbor_allgatherv, nonnull_send(s.ptr), static_cast<int>(s.count), s.type,
                        nonnull_recv(r.ptr), nonnull_array(counts), nonnull_array(displs), r.type, comm_);
    }
    /// neighbor_allgatherv with the blocks packed in neighbour order (displacements from `counts`).
    template <send_buffer S, class R>
        requires recv_target<R&&> && neighbor_pair<S, R>
    void neighbor_allgatherv(const S& sendbuf, R&& recvbuf, std::span<const int> counts) const {
        int_scratch d(counts.size());
        neighbor_allgatherv(sendbuf, recvbuf, counts, packed_displs("mpixx::neighbor_allgatherv", counts, d));
    }
    /// neighbor_allgatherv learning the sizes: returns every in-neighbour's buffer, concatenated in
    /// neighbour order (one extra neighbor_allgather of the counts).
    template <send_buffer S>
        requires plain_buffer<S>
    [[nodiscard]] std::vector<elem_t<S>> neighbor_allgatherv(const S& sendbuf) const {
        const std::size_t n = view(sendbuf).count;
        check_int_count("mpixx::neighbor_allgatherv", n);
        const std::vector<int> counts = neighbor_allgather(static_cast<int>(n));
        int_scratch d(counts.size());
        const auto displs = packed_displs("mpixx::neighbor_allgatherv", counts, d);
        std::size_t total = 0;
        for (int c : counts) total += static_cast<std::size_t>(c);
        check_int_count("mpixx::neighbor_allgatherv", total);
        result_buffer<elem_t<S>> out(total);
        neighbor_allgatherv(sendbuf, out.span(), counts, displs);
        return out.take();
    }
    /// Starts a neighbor_allgatherv (MPI_Ineighbor_allgatherv); buffers and arrays must stay alive until
    /// the request completes.
    template <class S, class R, class C, class D>
        requires send_target<S&&> && recv_target<R&&> && neighbor_pair<S, R> && count_target<C&&> && count_target<D&&>
    [[nodiscard]] request<> ineighbor_allgatherv(S&& sendbuf, R&& recvbuf, C&& counts_, D&& displs_) const {
        constexpr const char* routine = "mpixx::ineighbor_allgatherv";
        check_live(routine); // null communicator, asymmetric graph
        const std::span<const int> counts(counts_), displs(displs_);
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_int_count(routine, s.count);
        check_neighbor_v(routine, counts, displs, indeg_, "in-neighbours", r.count, r.type, true, comm_);
        coll_post q;
        MPIXX_ICOLL(MPI_Ineighbor_allgatherv, nonnull_send(s.ptr), static_cast<int>(s.count), s.type, nonnull_recv(r.ptr),
                   nonnull_array(counts), nonnull_array(displs), r.type, comm_, &q);
        return request<>(q);
    }

    // ---- neighbor_alltoallv ------------------------------------------------------------------------

    /// Sends sendcounts[j] elements at sendbuf + sdispls[j] to out-neighbour j and receives
    /// recvcounts[i] elements at recvbuf + rdispls[i] from in-neighbour i (MPI_Neighbor_alltoallv).
    template <send_buffer S, class R>
        requires recv_target<R&&> && neighbor_pair<S, R>
    void neighbor_alltoallv(const S& sendbuf, std::span<const int> sendcounts, std::span<const int> sdispls,
                            R&& recvbuf, std::span<const int> recvcounts, std::span<const int> rdispls) const {
        constexpr const char* routine = "mpixx::neighbor_alltoallv";
        check_blocks_unambiguous(routine);
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        check_neighbor_v(routine, sendcounts, sdispls, outdeg_, "out-neighbours", s.count, s.type, false);
        check_neighbor_v(routine, recvcounts, rdispls, indeg_, "in-neighbours", r.count, r.type, true, comm_);
#if MPIXX_CHECKED
        check_neighbor_counts(routine, false, 0, signature_bytes(sendcounts, s.type, outdeg_),
                              signature_bytes(recvcounts, r.type, indeg_));
#endif
        MPIXX_COLL_CALL(MPI_Neighbor_alltoallv, MPI_Ineighbor_alltoallv, nonnull_send(s.ptr), nonnull_array(sendcounts),
                        nonnull_array(sdispls), s.type, nonnull_recv(r.ptr), nonnull_array(recvcounts),
                        nonnull_array(rdispls), r.type, comm_);
    }
    /// Starts a neighbor_alltoallv (MPI_Ineighbor_alltoallv); buffers and arrays must stay alive until
    /// the request completes.
    template <class S, class SC, class SD, class R, class RC, class RD>
        requires send_target<S&&> && recv_target<R&&> && neighbor_pair<S, R> && count_target<SC&&> &&
                 count_target<SD&&> && count_target<RC&&> && count_target<RD&&>
    [[nodiscard]] request<> ineighbor_alltoallv(S&& sendbuf, SC&& sendcounts_, SD&& sdispls_, R&& recvbuf,
                                                RC&& recvcounts_, RD&& rdispls_) const {
        constexpr const char* routine = "mpixx::ineighbor_alltoallv";
        check_blocks_unambiguous(routine);
        const std::span<const int> sendcounts(sendcounts_), sdispls(sdispls_), recvcounts(recvcounts_),
            rdispls(rdispls_);
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_neighbor_v(routine, sendcounts, sdispls, outdeg_, "out-neighbours", s.count, s.type, false);
        check_neighbor_v(routine, recvcounts, rdispls, indeg_, "in-neighbours", r.count, r.type, true, comm_);
        coll_post q;
        MPIXX_ICOLL(MPI_Ineighbor_alltoallv, nonnull_send(s.ptr), nonnull_array(sendcounts), nonnull_array(sdispls),
                   s.type, nonnull_recv(r.ptr), nonnull_array(recvcounts), nonnull_array(rdispls), r.type, comm_, &q);
        return request<>(q);
    }

    // ---- neighbor_alltoallw ------------------------------------------------------------------------

    /// Sends buffer j of `sends` to out-neighbour j and receives buffer i of `recvs` from in-neighbour i
    /// (MPI_Neighbor_alltoallw from MPI_BOTTOM): each buffer is any buffer kind, layout views included,
    /// with its own memory, count and datatype (the type signatures of matching blocks must agree).
    template <class SB, class RB>
        requires send_buffer_range<const SB&> && recv_buffer_range<RB&>
    void neighbor_alltoallw(const SB& sends, RB&& recvs) const {
        w_table t;
        fill_table("mpixx::neighbor_alltoallw", sends, recvs, t);
#if MPIXX_CHECKED
        check_neighbor_counts("mpixx::neighbor_alltoallw", false, 0, w_bytes(t.scounts.span(), t.stypes.span()),
                              w_bytes(t.rcounts.span(), t.rtypes.span()));
#endif
        MPIXX_COLL_CALL(MPI_Neighbor_alltoallw, MPI_Ineighbor_alltoallw, MPI_BOTTOM, nonnull_array(t.scounts.span()),
                        nonnull_array(t.sdispls.span()), nonnull_array(t.stypes.span()), MPI_BOTTOM,
                        nonnull_array(t.rcounts.span()), nonnull_array(t.rdispls.span()),
                        nonnull_array(t.rtypes.span()), comm_);
    }
    /// MPI's neighbor_alltoallw: sendcounts[j] items of sendtypes[j] at byte offset sdispls[j] of
    /// `sendbuf` go to out-neighbour j; recvcounts[i] items of recvtypes[i] arrive at byte offset
    /// rdispls[i] of `recvbuf` from in-neighbour i. Blocks of plain buffers are checked to lie inside them.
    template <send_buffer S, class R>
        requires recv_target<R&&>
    void neighbor_alltoallw(const S& sendbuf, std::span<const int> sendcounts, std::span<const MPI_Aint> sdispls,
                            std::span<const MPI_Datatype> sendtypes, R&& recvbuf, std::span<const int> recvcounts,
                            std::span<const MPI_Aint> rdispls, std::span<const MPI_Datatype> recvtypes) const {
        constexpr const char* routine = "mpixx::neighbor_alltoallw";
        check_blocks_unambiguous(routine);
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        check_neighbor_w(routine, sendcounts, sdispls, sendtypes, outdeg_, "out-neighbours", buffer_bytes(sendbuf), false);
        check_neighbor_w(routine, recvcounts, rdispls, recvtypes, indeg_, "in-neighbours", buffer_bytes(recvbuf), true);
#if MPIXX_CHECKED
        check_neighbor_counts(routine, false, 0, w_bytes(sendcounts, sendtypes), w_bytes(recvcounts, recvtypes));
#endif
        MPIXX_COLL_CALL(MPI_Neighbor_alltoallw, MPI_Ineighbor_alltoallw, nonnull_send(s.ptr), nonnull_array(sendcounts),
                        nonnull_array(sdispls), nonnull_array(sendtypes), nonnull_recv(r.ptr), nonnull_array(recvcounts),
                        nonnull_array(rdispls), nonnull_array(recvtypes), comm_);
    }
    /// Starts a one-buffer-per-neighbour neighbor_alltoallw (MPI_Ineighbor_alltoallw): the request owns
    /// the (address, count, datatype) table; the buffers' memory must stay alive until it completes.
    template <class SB, class RB>
        requires send_buffer_range<const SB&> && recv_buffer_range<RB&> && borrowed_buffers<SB&&> &&
                 borrowed_buffers<RB&&>
    [[nodiscard]] request<> ineighbor_alltoallw(SB&& sends, RB&& recvs) const {
        auto t = detail::make_box<w_table>();
        fill_table("mpixx::ineighbor_alltoallw", std::as_const(sends), recvs, *t);
        coll_post q;
        MPIXX_ICOLL(MPI_Ineighbor_alltoallw, MPI_BOTTOM, nonnull_array(t->scounts.span()),
                   nonnull_array(t->sdispls.span()), nonnull_array(t->stypes.span()), MPI_BOTTOM,
                   nonnull_array(t->rcounts.span()), nonnull_array(t->rdispls.span()),
                   nonnull_array(t->rtypes.span()), comm_, &q);
        return request<>(q, std::move(t));
    }

#if MPI_VERSION >= 4
    // ---- persistent (MPI-4): buffers and arrays stay borrowed until the request is freed ------------

    /// A persistent neighbor_allgatherv (MPI_Neighbor_allgatherv_init).
    template <int&..., class S, class R, class C, class D>
        requires send_target<S&&> && recv_target<R&&> && neighbor_pair<S, R> && count_target<C&&> && count_target<D&&>
    [[nodiscard]] persistent_request neighbor_allgatherv_init(S&& sendbuf, R&& recvbuf, C&& counts_, D&& displs_) const {
        constexpr const char* routine = "mpixx::neighbor_allgatherv_init";
        check_live(routine); // null communicator, asymmetric graph
        const std::span<const int> counts(counts_), displs(displs_);
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_int_count(routine, s.count);
        check_neighbor_v(routine, counts, displs, indeg_, "in-neighbours", r.count, r.type, true, comm_);
        persistent_post q;
        MPIXX_ICOLL(MPI_Neighbor_allgatherv_init, nonnull_send(s.ptr), static_cast<int>(s.count), s.type, nonnull_recv(r.ptr),
                   nonnull_array(counts), nonnull_array(displs), r.type, comm_, MPI_INFO_NULL, &q);
        return persistent_request(q);
    }
    /// A persistent neighbor_alltoallv (MPI_Neighbor_alltoallv_init).
    template <int&..., class S, class SC, class SD, class R, class RC, class RD>
        requires send_target<S&&> && recv_target<R&&> && neighbor_pair<S, R> && count_target<SC&&> &&
                 count_target<SD&&> && count_target<RC&&> && count_target<RD&&>
    [[nodiscard]] persistent_request neighbor_alltoallv_init(S&& sendbuf, SC&& sendcounts_, SD&& sdispls_, R&& recvbuf,
                                                             RC&& recvcounts_, RD&& rdispls_) const {
        constexpr const char* routine = "mpixx::neighbor_alltoallv_init";
        check_blocks_unambiguous(routine);
        const std::span<const int> sendcounts(sendcounts_), sdispls(sdispls_), recvcounts(recvcounts_),
            rdispls(rdispls_);
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_neighbor_v(routine, sendcounts, sdispls, outdeg_, "out-neighbours", s.count, s.type, false);
        check_neighbor_v(routine, recvcounts, rdispls, indeg_, "in-neighbours", r.count, r.type, true, comm_);
        persistent_post q;
        MPIXX_ICOLL(MPI_Neighbor_alltoallv_init, nonnull_send(s.ptr), nonnull_array(sendcounts), nonnull_array(sdispls),
                   s.type, nonnull_recv(r.ptr), nonnull_array(recvcounts), nonnull_array(rdispls), r.type, comm_,
                   MPI_INFO_NULL, &q);
        return persistent_request(q);
    }
    /// A persistent MPI-style neighbor_alltoallw (MPI_Neighbor_alltoallw_init): per-neighbour counts,
    /// byte displacements and datatypes (borrowed, as the buffers, until the request is freed).
    template <int&..., class S, class SC, class SD, class ST, class R, class RC, class RD, class RT>
        requires send_target<S&&> && recv_target<R&&> && count_target<SC&&> && array_target<SD&&, MPI_Aint> &&
                 array_target<ST&&, MPI_Datatype> && count_target<RC&&> && array_target<RD&&, MPI_Aint> &&
                 array_target<RT&&, MPI_Datatype>
    [[nodiscard]] persistent_request neighbor_alltoallw_init(S&& sendbuf, SC&& sendcounts_, SD&& sdispls_,
                                                             ST&& sendtypes_, R&& recvbuf, RC&& recvcounts_,
                                                             RD&& rdispls_, RT&& recvtypes_) const {
        constexpr const char* routine = "mpixx::neighbor_alltoallw_init";
        check_blocks_unambiguous(routine);
        const std::span<const int> sendcounts(sendcounts_), recvcounts(recvcounts_);
        const std::span<const MPI_Aint> sdispls(sdispls_), rdispls(rdispls_);
        const std::span<const MPI_Datatype> sendtypes(sendtypes_), recvtypes(recvtypes_);
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_neighbor_w(routine, sendcounts, sdispls, sendtypes, outdeg_, "out-neighbours", buffer_bytes(sendbuf), false);
        check_neighbor_w(routine, recvcounts, rdispls, recvtypes, indeg_, "in-neighbours", buffer_bytes(recvbuf), true);
        persistent_post q;
        MPIXX_ICOLL(MPI_Neighbor_alltoallw_init, nonnull_send(s.ptr), nonnull_array(sendcounts), nonnull_array(sdispls),
                   nonnull_array(sendtypes), nonnull_recv(r.ptr), nonnull_array(recvcounts), nonnull_array(rdispls),
                   nonnull_array(recvtypes), comm_, MPI_INFO_NULL, &q);
        return persistent_request(q);
    }
#endif

protected:
    using neighbor_base::neighbor_base;

private:
#if MPIXX_CHECKED
    /// Bytes of data in counts[i] items of types[i], per neighbour (checked mode).
    static std::vector<std::uint64_t> w_bytes(std::span<const int> counts, std::span<const MPI_Datatype> types) {
        std::vector<std::uint64_t> out(counts.size());
        for (std::size_t i = 0; i < counts.size() && i < types.size(); ++i)
            out[i] = counts[i] <= 0 ? 0 : signature_bytes(static_cast<std::size_t>(counts[i]), types[i]);
        return out;
    }

    /// Checked mode (as checked_counts.hpp for the v-collectives): each in-neighbour tells what it sends
    /// this process (`mine` to every out-neighbour for allgatherv, else `to[j]` to out-neighbour j) and
    /// this process compares it with `expected[i]`; every rank of the communicator reaches the same
    /// verdict, so a mismatch throws everywhere instead of leaving elements unwritten. Allgatherv uses
    /// an allgather, whose block order is portable even where one process is two neighbours.
    void check_neighbor_counts(const char* routine, bool allgather, std::uint64_t mine,
                               const std::vector<std::uint64_t>& to, const std::vector<std::uint64_t>& expected) const {
        std::vector<std::uint64_t> from(static_cast<std::size_t>(indeg_), unsent); // proc_null: stays unsent
        if (allgather)
            MPIXX_COLL_CALL(MPI_Neighbor_allgather, MPI_Ineighbor_allgather, &mine, 1, MPI_UINT64_T,
                            nonnull_recv(from.data()), 1, MPI_UINT64_T, comm_);
        else
            MPIXX_COLL_CALL(MPI_Neighbor_alltoall, MPI_Ineighbor_alltoall, nonnull_send(to.data()), 1, MPI_UINT64_T,
                            nonnull_recv(from.data()), 1, MPI_UINT64_T, comm_);
        bool differ = false;
        for (std::size_t i = 0; i < from.size() && i < expected.size(); ++i)
            differ = differ || (from[i] != unsent && from[i] != expected[i]);
        agree_on_counts(routine, comm_, rank_, differ ? describe_counts(from, expected) : std::string());
    }

    static constexpr std::uint64_t unsent = ~std::uint64_t{0};

    /// The mismatches (cold path). Where one process is several in-neighbours (repeated graph edges), MPI
    /// libraries differ in which of its blocks lands in which slot, so those slots are compared as a set.
    [[MPIXX_COLD]] std::string describe_counts(const std::vector<std::uint64_t>& from,
                                               const std::vector<std::uint64_t>& expected) const {
        const std::vector<int> src = in_neighbor_ranks();
        std::string out;
        for (std::size_t i = 0; i < from.size() && i < expected.size(); ++i) {
            if (from[i] == unsent || from[i] == expected[i]) continue;
            if (src.size() == from.size()) { // slots of the same process: equal as multisets is fine
                std::vector<std::uint64_t> b; // what this process expects from that process, matched off
                std::size_t slots = 0;
                for (std::size_t k = 0; k < src.size(); ++k)
                    if (src[k] == src[i]) b.push_back(expected[k]), ++slots;
                bool same = slots > 1;
                for (std::size_t k = 0; k < src.size() && same; ++k) {
                    if (src[k] != src[i]) continue;
                    std::size_t j = 0;
                    while (j < b.size() && b[j] != from[k]) ++j;
                    if (j == b.size()) same = false;
                    else b.erase(b.begin() + static_cast<std::ptrdiff_t>(j));
                }
                if (same) continue;
            }
            if (!out.empty()) out += "; ";
            out += "in-neighbour " + std::to_string(i) + " sends " + std::to_string(from[i]) + " bytes to rank " +
                   std::to_string(rank_) + ", which expects " + std::to_string(expected[i]);
        }
        return out;
    }

    /// The ranks of the in-neighbours in slot order (empty if the topology cannot tell; cold path).
    [[MPIXX_COLD]] std::vector<int> in_neighbor_ranks() const {
        int topo = MPI_UNDEFINED, n = 0, out = 0, weighted = 0;
        MPIXX_CALL(MPI_Topo_test, comm_, &topo);
        std::vector<int> r;
        if (topo == MPI_DIST_GRAPH) {
            MPIXX_CALL(MPI_Dist_graph_neighbors_count, comm_, &n, &out, &weighted);
            r.resize(static_cast<std::size_t>(n) + 1);
            std::vector<int> dst(static_cast<std::size_t>(out) + 1);
            MPIXX_CALL(MPI_Dist_graph_neighbors, comm_, n, r.data(), MPI_UNWEIGHTED, out, dst.data(), MPI_UNWEIGHTED);
            r.resize(static_cast<std::size_t>(n));
        } else if (topo == MPI_GRAPH) {
            MPIXX_CALL(MPI_Graph_neighbors_count, comm_, rank_, &n);
            r.resize(static_cast<std::size_t>(n) + 1);
            MPIXX_CALL(MPI_Graph_neighbors, comm_, rank_, n, r.data());
            r.resize(static_cast<std::size_t>(n));
        } else if (topo == MPI_CART) {
            MPIXX_CALL(MPI_Cartdim_get, comm_, &n);
            for (int d = 0; d < n; ++d) {
                int lo = MPI_PROC_NULL, hi = MPI_PROC_NULL;
                MPIXX_CALL(MPI_Cart_shift, comm_, d, 1, &lo, &hi);
                r.push_back(lo);
                r.push_back(hi);
            }
        }
        return r;
    }
#endif

    template <class SB, class RB>
    void fill_table(const char* routine, const SB& sends, RB& recvs, w_table& t) const {
        check_blocks_unambiguous(routine);
        w_table::fill(routine, sends, outdeg_, "sends", "out-neighbours", t.scounts, t.sdispls, t.stypes);
        w_table::fill(routine, recvs, indeg_, "recvs", "in-neighbours", t.rcounts, t.rdispls, t.rtypes);
    }
};

} // namespace mpixx::detail

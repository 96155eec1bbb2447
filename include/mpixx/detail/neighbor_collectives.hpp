// mpixx/detail/neighbor_collectives.hpp - the base of the topology communicators (topology.hpp): their
// in/out degrees, and the neighbourhood collectives neighbor_allgather and neighbor_alltoall, blocking,
// non-blocking and (MPI-4) persistent. The v and w variants are in detail/neighbor_vector.hpp.
//
// A process receives one block from each in-neighbour and (alltoall) sends one block to each
// out-neighbour, in the order the topology defines (cart_communicator::neighbors(),
// graph_communicator::neighbors(), dist_graph_communicator::sources()/destinations()).
// Buffers go through detail::view(), so any buffer kind works, layout views included. When both sides
// are plain buffers (contiguous ranges or values) their element types must match at compile time; when
// one side is another kind (a layout view), its per-neighbour count is its share of the buffer and the
// sizes of both sides are compared at run time (MPI_ERR_TRUNCATE / MPI_ERR_COUNT before MPI sees them).
// Two blocks between the same pair of processes (a Cartesian periodic dimension of 1 or 2 processes,
// repeated edges of a graph): MPI libraries disagree on which block lands where (MPICH 4.0 and Open MPI
// 4.1 each swap them in some forms). On such a Cartesian grid the alltoall-type collectives throw
// MPI_ERR_TOPOLOGY instead; on graphs with repeated edges only allgather-type results are portable.
// A null topology communicator (a process left out of a partial grid) and a graph that is not
// symmetric (MPI allows neighbourhood collectives only on symmetric ones) throw before MPI is called. In
// checked mode (MPIXX_CHECKED) the blocking forms compare each in-neighbour's block size with this
// process's (one small neighbour allgather and an allreduce; every rank throws on a mismatch).
// Into-buffer forms borrow the caller's buffers (lvalues or borrowed ranges; a temporary does not
// compile for the non-blocking and persistent forms); value forms own them in the request.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/collectives.hpp>
#include <mpixx/communicator.hpp>
#include <mpixx/request.hpp>
#include <mpixx/detail/checked_counts.hpp>
#include <mpixx/detail/owner.hpp>
#include <mpixx/detail/topology_common.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// A buffer of the built-in kinds: a contiguous range of mpi_type elements, or one mpi_type value.
template <class B>
concept plain_buffer = contiguous_buffer<const std::remove_cvref_t<B>&> || mpi_type<std::remove_cvref_t<B>>;

/// Send and receive buffers of a neighbourhood collective: the same elements when both are plain
/// buffers; anything when one is another buffer kind (checked by size at run time).
template <class S, class R>
concept neighbor_pair = !plain_buffer<S> || !plain_buffer<R> || same_element<S, R>;

/// An alltoall-type neighbourhood collective on a grid where one process is both neighbours along a
/// periodic dimension (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_doubled_neighbor(const char* routine) {
    throw error(routine, MPI_ERR_TOPOLOGY,
                "the grid has a periodic dimension of 1 or 2 processes, where the lower and the upper neighbour "
                "are one process: MPI libraries disagree on which of its two blocks lands where (MPICH 4.0's "
                "alltoallv/alltoallw and Open MPI 4.1's non-blocking forms swap them), so mpixx refuses rather "
                "than give a silently wrong result (neighbor_allgather is unaffected; use 3 or more processes "
                "along periodic dimensions, point-to-point, or mpixx::halo_exchange)");
}

/// Per-neighbour counts of a neighbourhood collective: elements of the send and of the receive type.
struct neighbor_blocks {
    std::size_t send, recv;
};

/// A buffer that does not split into one block per neighbour (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_neighbor_split(const char* routine, const char* what,
                                                          std::size_t have, int degree,
                                                          const char* kind, MPI_Datatype type) {
    throw error(routine, MPI_ERR_COUNT,
                std::string(what) + " holds " + describe_count(have, type) + ", which does not split into " +
                    std::to_string(degree) + " equal blocks (one per " + kind + ")");
}

/// Blocks of different datatypes whose sizes differ, the receive block being the larger (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_neighbor_sizes(const char* routine, std::size_t scount,
                                                          MPI_Datatype stype, std::size_t rcount,
                                                          MPI_Datatype rtype) {
    throw error(routine, MPI_ERR_COUNT,
                "each neighbour sends " + describe_count(scount, stype) + " but each receive block is " +
                    describe_count(rcount, rtype) + " (the sizes must be equal)");
}

/// Checks that `scount` x `stype` and `rcount` x `rtype` have the same size (only called when the
/// datatypes differ: a layout on one side).
inline void check_neighbor_sizes(const char* routine, std::size_t scount, MPI_Datatype stype, std::size_t rcount,
                                 MPI_Datatype rtype) {
    int ss = 0, rs = 0;
    MPIXX_CALL(MPI_Type_size, stype, &ss);
    MPIXX_CALL(MPI_Type_size, rtype, &rs);
    if (scount * static_cast<std::size_t>(ss) != rcount * static_cast<std::size_t>(rs)) [[unlikely]] {
        if (rcount * static_cast<std::size_t>(rs) < scount * static_cast<std::size_t>(ss))
            throw error(routine, MPI_ERR_TRUNCATE,
                        "each neighbour sends " + describe_count(scount, stype) + " but each receive block holds " +
                            describe_count(rcount, rtype));
        throw_neighbor_sizes(routine, scount, stype, rcount, rtype);
    }
}

/// neighbor_allgather: the whole send buffer goes to every out-neighbour; one block per in-neighbour.
template <class SV, class RV>
neighbor_blocks allgather_blocks(const char* routine, const SV& s, const RV& r, int indeg) {
    const auto in = static_cast<std::size_t>(indeg);
    if (s.type == r.type) {
        if (r.count < s.count * in) [[unlikely]]
            throw_coll_truncate(routine, s.count * in, r.count, r.type);
        return {s.count, s.count};
    }
    if (in == 0) return {s.count, 0};
    if (r.count % in != 0) [[unlikely]]
        throw_neighbor_split(routine, "the receive buffer", r.count, indeg, "in-neighbour", r.type);
    const std::size_t rc = r.count / in;
    check_neighbor_sizes(routine, s.count, s.type, rc, r.type);
    return {s.count, rc};
}

/// neighbor_alltoall: one send block per out-neighbour, one receive block per in-neighbour. A process
/// with no out-neighbour takes its block size from the receive buffer (room to spare is left alone, as
/// elsewhere); whether it is the size the in-neighbours send cannot be told without communication:
/// checked mode compares the sizes. Refusing locally would leave the other processes waiting.
template <class SV, class RV>
neighbor_blocks alltoall_blocks(const char* routine, const SV& s, const RV& r, int indeg, int outdeg) {
    const auto in = static_cast<std::size_t>(indeg), out = static_cast<std::size_t>(outdeg);
    std::size_t sc = 0;
    if (out > 0) {
        if (s.count % out != 0) [[unlikely]]
            throw_neighbor_split(routine, "the send buffer", s.count, outdeg, "out-neighbour", s.type);
        sc = s.count / out;
    }
    if (s.type == r.type) {
        if (out == 0) sc = in > 0 ? r.count / in : 0;
        if (r.count < sc * in) [[unlikely]]
            throw_coll_truncate(routine, sc * in, r.count, r.type);
        return {sc, sc};
    }
    std::size_t rc = 0;
    if (in > 0) {
        if (r.count % in != 0) [[unlikely]]
            throw_neighbor_split(routine, "the receive buffer", r.count, indeg, "in-neighbour", r.type);
        rc = r.count / in;
    }
    if (in > 0 && out > 0) check_neighbor_sizes(routine, sc, s.type, rc, r.type);
    return {sc, rc};
}

/// The first layer of a topology communicator: degrees, neighbor_allgather and neighbor_alltoall.
class neighbor_base : public communicator {
public:
    /// Number of processes this one receives from in a neighbourhood collective.
    [[nodiscard]] int in_degree() const noexcept { return indeg_; }
    /// Number of processes this one sends to in a neighbourhood collective.
    [[nodiscard]] int out_degree() const noexcept { return outdeg_; }

    // ---- neighbor_allgather ------------------------------------------------------------------------

    /// Sends `sendbuf` to every out-neighbour and receives one block per in-neighbour into `recvbuf`,
    /// in neighbour order (MPI_Neighbor_allgather).
    template <send_buffer S, class R>
        requires recv_target<R&&> && neighbor_pair<S, R>
    void neighbor_allgather(const S& sendbuf, R&& recvbuf) const {
        check_live("mpixx::neighbor_allgather");
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        const auto b = allgather_blocks("mpixx::neighbor_allgather", s, r, indeg_);
#if MPIXX_CHECKED
        check_block_sizes("mpixx::neighbor_allgather", signature_bytes(b.send, s.type), signature_bytes(b.recv, r.type));
#endif
        MPIXX_COLL_BLOCKING(std::max(b.send, b.recv), MPI_Neighbor_allgather, MPI_Ineighbor_allgather, nonnull_send(s.ptr),
                            count_t(b.send), s.type, nonnull_recv(r.ptr), count_t(b.recv), r.type, comm_);
    }
    /// neighbor_allgather returning in_degree() blocks of sendbuf's size, in neighbour order.
    template <send_buffer S>
        requires plain_buffer<S>
    [[nodiscard]] std::vector<elem_t<S>> neighbor_allgather(const S& sendbuf) const {
        result_buffer<elem_t<S>> out(view(sendbuf).count * static_cast<std::size_t>(indeg_));
        neighbor_allgather(sendbuf, out.span());
        return out.take();
    }
    /// Starts a neighbor_allgather into the caller's `recvbuf` (MPI_Ineighbor_allgather).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && neighbor_pair<S, R>
    [[nodiscard]] request<> ineighbor_allgather(S&& sendbuf, R&& recvbuf) const {
        check_live("mpixx::ineighbor_allgather");
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        const auto b = allgather_blocks("mpixx::ineighbor_allgather", s, r, indeg_);
        coll_post q;
        MPIXX_COLL(std::max(b.send, b.recv), MPI_Ineighbor_allgather, nonnull_send(s.ptr), count_t(b.send), s.type, nonnull_recv(r.ptr),
                   count_t(b.recv), r.type, comm_, &q);
        return request<>(q);
    }
    /// Starts a neighbor_allgather of `sendbuf` (owned by the request); wait() returns the blocks.
    template <class S>
        requires send_buffer<S> && plain_buffer<S>
    [[nodiscard]] request<std::vector<elem_t<S>>> ineighbor_allgather(S&& sendbuf) const {
        check_live("mpixx::ineighbor_allgather");
        auto p = detail::make_box<vec_payload<elem_t<S>, owned_t<S>>>();
        p->send = own(std::forward<S>(sendbuf));
        auto s = view(p->send);
        p->result.resize(s.count * static_cast<std::size_t>(indeg_));
        coll_post q;
        MPIXX_COLL(s.count, MPI_Ineighbor_allgather, nonnull_send(s.ptr), count_t(s.count), s.type, nonnull_recv(p->result.data()),
                   count_t(s.count), s.type, comm_, &q);
        return request<std::vector<elem_t<S>>>(q, std::move(p));
    }

    // ---- neighbor_alltoall -------------------------------------------------------------------------

    /// Sends block j of `sendbuf` (out_degree() equal blocks) to out-neighbour j and receives block i of
    /// `recvbuf` from in-neighbour i (MPI_Neighbor_alltoall).
    template <send_buffer S, class R>
        requires recv_target<R&&> && neighbor_pair<S, R>
    void neighbor_alltoall(const S& sendbuf, R&& recvbuf) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        check_blocks_unambiguous("mpixx::neighbor_alltoall");
        const auto b = alltoall_blocks("mpixx::neighbor_alltoall", s, r, indeg_, outdeg_);
#if MPIXX_CHECKED
        check_block_sizes("mpixx::neighbor_alltoall", signature_bytes(b.send, s.type), signature_bytes(b.recv, r.type));
#endif
        MPIXX_COLL_BLOCKING(std::max(b.send, b.recv), MPI_Neighbor_alltoall, MPI_Ineighbor_alltoall,
                            nonnull_send(s.ptr), count_t(b.send), s.type, nonnull_recv(r.ptr), count_t(b.recv),
                            r.type, comm_);
    }
    /// neighbor_alltoall returning in_degree() blocks of the size of sendbuf's out_degree() blocks (a
    /// process with no out-neighbour receives blocks of 0 elements, right only when its in-neighbours
    /// send empty blocks, which checked mode verifies in the blocking form: use the into-buffer form there).
    template <send_buffer S>
        requires plain_buffer<S>
    [[nodiscard]] std::vector<elem_t<S>> neighbor_alltoall(const S& sendbuf) const {
        result_buffer<elem_t<S>> out(alltoall_result("mpixx::neighbor_alltoall", view(sendbuf)));
        neighbor_alltoall(sendbuf, out.span());
        return out.take();
    }
    /// Starts a neighbor_alltoall into the caller's `recvbuf` (MPI_Ineighbor_alltoall).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && neighbor_pair<S, R>
    [[nodiscard]] request<> ineighbor_alltoall(S&& sendbuf, R&& recvbuf) const {
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_blocks_unambiguous("mpixx::ineighbor_alltoall");
        const auto b = alltoall_blocks("mpixx::ineighbor_alltoall", s, r, indeg_, outdeg_);
        coll_post q;
        MPIXX_COLL(std::max(b.send, b.recv), MPI_Ineighbor_alltoall, nonnull_send(s.ptr), count_t(b.send), s.type,
                   nonnull_recv(r.ptr), count_t(b.recv), r.type, comm_, &q);
        return request<>(q);
    }
    /// Starts a neighbor_alltoall of `sendbuf` (owned by the request); wait() returns the blocks.
    template <class S>
        requires send_buffer<S> && plain_buffer<S>
    [[nodiscard]] request<std::vector<elem_t<S>>> ineighbor_alltoall(S&& sendbuf) const {
        check_blocks_unambiguous("mpixx::ineighbor_alltoall");
        auto p = detail::make_box<vec_payload<elem_t<S>, owned_t<S>>>();
        p->send = own(std::forward<S>(sendbuf));
        auto s = view(p->send);
        // the block size is the send buffer's share per OUT-neighbour (as in the blocking form); the
        // result holds one such block per in-neighbour
        const std::size_t n = neighbor_block("mpixx::ineighbor_alltoall", s);
        p->result.resize(n * static_cast<std::size_t>(indeg_));
        coll_post q;
        MPIXX_COLL(n, MPI_Ineighbor_alltoall, nonnull_send(s.ptr), count_t(n), s.type, nonnull_recv(p->result.data()),
                   count_t(n), s.type, comm_, &q);
        return request<std::vector<elem_t<S>>>(q, std::move(p));
    }

#if MPI_VERSION >= 4
    // ---- persistent (MPI-4) ------------------------------------------------------------------------

    /// A persistent neighbor_allgather of borrowed buffers (MPI_Neighbor_allgather_init): each start()
    /// sends the current contents of `sendbuf`.
    template <int&..., class S, class R>
        requires send_target<S&&> && recv_target<R&&> && neighbor_pair<S, R>
    [[nodiscard]] persistent_request neighbor_allgather_init(S&& sendbuf, R&& recvbuf) const {
        check_live("mpixx::neighbor_allgather_init");
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        const auto b = allgather_blocks("mpixx::neighbor_allgather_init", s, r, indeg_);
        persistent_post q;
        MPIXX_COLL(std::max(b.send, b.recv), MPI_Neighbor_allgather_init, nonnull_send(s.ptr), count_t(b.send), s.type,
                   nonnull_recv(r.ptr),
                   count_t(b.recv), r.type, comm_, MPI_INFO_NULL, &q);
        return persistent_request(q);
    }
    /// A persistent neighbor_alltoall of borrowed buffers (MPI_Neighbor_alltoall_init).
    template <int&..., class S, class R>
        requires send_target<S&&> && recv_target<R&&> && neighbor_pair<S, R>
    [[nodiscard]] persistent_request neighbor_alltoall_init(S&& sendbuf, R&& recvbuf) const {
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        check_blocks_unambiguous("mpixx::neighbor_alltoall_init");
        const auto b = alltoall_blocks("mpixx::neighbor_alltoall_init", s, r, indeg_, outdeg_);
        persistent_post q;
        MPIXX_COLL(std::max(b.send, b.recv), MPI_Neighbor_alltoall_init, nonnull_send(s.ptr), count_t(b.send),
                   s.type, nonnull_recv(r.ptr), count_t(b.recv), r.type, comm_, MPI_INFO_NULL, &q);
        return persistent_request(q);
    }
#endif

protected:
    neighbor_base() = default;
    neighbor_base(communicator c, int indeg, int outdeg) : communicator(std::move(c)), indeg_(indeg), outdeg_(outdeg) {}

    /// The block size of a value-form alltoall: the send buffer split into out_degree() equal blocks (0
    /// without out-neighbours).
    template <class SV>
    std::size_t neighbor_block(const char* routine, const SV& s) const {
        if (outdeg_ == 0) return 0;
        const auto out = static_cast<std::size_t>(outdeg_);
        if (s.count % out != 0) [[unlikely]]
            throw_neighbor_split(routine, "the send buffer", s.count, outdeg_, "out-neighbour", s.type);
        return s.count / out;
    }
    /// Elements a value-form alltoall returns: in_degree() blocks of the send buffer's block size.
    template <class SV>
    std::size_t alltoall_result(const char* routine, const SV& s) const {
        return neighbor_block(routine, s) * static_cast<std::size_t>(indeg_);
    }

    /// Refuses a neighbourhood collective on a null topology communicator (a process left out of a
    /// partial grid or a graph, or a default-constructed one) with a clear error: MPI's own MPI_ERR_COMM
    /// names an internal routine (MPI_Comm_test_inter) instead. Also on a graph that is not symmetric.
    void check_live(const char* routine) const {
        if (comm_ == MPI_COMM_NULL || asymmetric_) [[unlikely]]
            throw_unusable(routine);
    }
    /// Refuses alltoall-type collectives on a null communicator, or where the block order is ambiguous
    /// (see throw_doubled_neighbor).
    void check_blocks_unambiguous(const char* routine) const {
        check_live(routine);
        if (doubled_) [[unlikely]]
            throw_doubled_neighbor(routine);
    }

#if MPIXX_CHECKED
    /// Checked mode (as checked_counts.hpp for the v-collectives; blocking forms): each in-neighbour's
    /// block must have the size this process receives per in-neighbour (one neighbour allgather of a byte
    /// count, then every rank reaches the same verdict). MPI does not see a receive block larger than
    /// what is sent: the blocks land at the wrong places with gaps between them (a process without
    /// out-neighbours takes its block size from its receive buffer, which may be too large).
    void check_block_sizes(const char* routine, std::uint64_t send_bytes, std::uint64_t recv_bytes) const {
        constexpr std::uint64_t none = ~std::uint64_t{0}; // a proc_null in-neighbour sends nothing
        std::vector<std::uint64_t> from(static_cast<std::size_t>(indeg_), none);
        MPIXX_COLL_CALL(MPI_Neighbor_allgather, MPI_Ineighbor_allgather, &send_bytes, 1, MPI_UINT64_T,
                        nonnull_recv(from.data()), 1, MPI_UINT64_T, comm_);
        std::string what;
        for (std::size_t i = 0; i < from.size(); ++i)
            if (from[i] != none && from[i] != recv_bytes) [[unlikely]]
                what += (what.empty() ? "" : "; ") + ("in-neighbour " + std::to_string(i) + " sends blocks of " +
                                                      std::to_string(from[i]) + " bytes, rank " +
                                                      std::to_string(rank_) + " receives blocks of " +
                                                      std::to_string(recv_bytes));
        agree_on_counts(routine, comm_, rank_, std::move(what));
    }
#endif

    int indeg_ = 0;
    int outdeg_ = 0;
    bool doubled_ = false;    // a Cartesian grid with a periodic dimension of 1 or 2 processes
    bool asymmetric_ = false; // a graph (MPI_Graph_create) with a one-way edge: no neighbourhood collective

private:
    [[noreturn, MPIXX_COLD]] void throw_unusable(const char* routine) const {
        if (comm_ == MPI_COMM_NULL) throw_null_topology(routine);
        throw error(routine, MPI_ERR_TOPOLOGY,
                    "the graph is not symmetric (some node lists a neighbour that does not list it back, as "
                    "often): MPI allows neighbourhood collectives on a graph only when it is, and the processes "
                    "would wait for blocks that never come (use dist_graph_create_adjacent for one-way edges)");
    }
};

} // namespace mpixx::detail

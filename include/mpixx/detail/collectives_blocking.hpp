// mpixx/detail/collectives_blocking.hpp - the blocking collectives of the communicator.
//
// Every operation has an into-buffer form (one MPI call on the caller's memory, no allocation) and,
// where it reads naturally, a value-returning form (auto total = comm.allreduce(x, mpixx::sum)).
// Buffers are checked before MPI is called: a bad root is MPI_ERR_RANK, a receive buffer too small for
// what arrives MPI_ERR_TRUNCATE, a send buffer that does not fit the layout MPI_ERR_COUNT, each naming
// both sizes. Counts above INT_MAX use the MPI-4 large-count calls. Only typed buffers (send_buffer,
// recv_target of mpi_type elements) are accepted, so the serialized-object layer can add overloads for
// other types. Every MPI call names its non-blocking twin (MPIXX_COLL_BLOCKING / MPIXX_COLL_CALL): the
// plain call by default, the twin waited for while matching probe-sized receives when the program is
// built with MPIXX_COLLECTIVE_PROGRESS (see collectives_common.hpp for why it cannot be per call).
//
// bcast of a resizable container (std::vector, std::string, ...) sizes it from the root, whatever the
// other ranks hold (mpi4py's `data = comm.bcast(data, 0)`): one MPI_Bcast of a 64-byte header with the
// count and, up to 56 bytes, the data itself; larger data is a second MPI_Bcast straight into the
// container. A buffer whose size every rank already knows (std::span, std::array, C array, value;
// `comm.bcast(std::span(v), 0)` for a pre-sized vector) is one MPI_Bcast.
//
// Layout views (mpixx::layout_view, mpixx::raw: layout.hpp) work in every into-buffer form except the
// reductions; layout.hpp says what a view means where per-rank counts are derived (split_blocks).
//
// Intercommunicators: barrier, bcast, and the into-buffer forms of scatter, gather, reduce and allreduce
// follow MPI (the root passes mpixx::intercomm_root, the rest of its group proc_null, the other group
// the root's rank; the root has nothing to send in gather/reduce and nothing to receive in scatter: its
// one buffer gives the count, divided by remote_size() for gather/scatter); every other collective
// throws MPI_ERR_COMM there (check_intra).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/collectives_common.hpp>
#include <mpixx/nonblocking.hpp>

#include <mpixx/detail/std_light.hpp>
#include <cstdint>
#include <cstring>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// Blocking collectives; the next layers add the v-variants (collectives_vector.hpp) and the non-blocking
/// collectives (collectives.hpp).
class blocking_collective_layer : public nonblocking_layer {
public:
    /// Blocks until every rank has entered the barrier (MPI_Barrier).
    void barrier() const { MPIXX_COLL_CALL(MPI_Barrier, MPI_Ibarrier, comm_); }

    // ---- bcast -------------------------------------------------------------------------------------

    /// Broadcasts the root's buffer into every rank's buffer (MPI_Bcast) and returns it, so that the
    /// mpi4py spelling `x = comm.bcast(x, root)` works too. A resizable container is sized from the
    /// root (whatever the others hold); any other buffer (std::span(v) for a pre-sized vector) must have
    /// the same size on every rank: one MPI_Bcast.
    template <class B>
        requires recv_target<B&&>
    B&& bcast(B&& buf, int root) const {
        check_root(root, "mpixx::bcast");
        if constexpr (resizable_buffer<std::remove_cvref_t<B>>) {
            if (!bcast_header(buf, root)) {
                auto v = view(buf);
                MPIXX_COLL_BLOCKING(v.count, MPI_Bcast, MPI_Ibcast, v.ptr, count_t(v.count), v.type, root, comm_);
            }
        } else {
            auto v = view(buf);
            try {
                MPIXX_COLL_BLOCKING(v.count, MPI_Bcast, MPI_Ibcast, v.ptr, count_t(v.count), v.type, root, comm_);
            } catch (const error& e) {
                throw_bcast_size(e, v.count, v.type);
            }
        }
        return std::forward<B>(buf);
    }

    /// Returns the root's value; a container is sized from the root (as the in-place form). Not for
    /// layout views (broadcast into the view itself).
    template <send_buffer S>
        requires(!is_layout_v<S>)
    [[nodiscard]] owned_t<S> bcast(const S& value, int root) const {
        check_intra("mpixx::bcast");
        check_root(root, "mpixx::bcast");
        owned_t<S> out{};
        if constexpr (resizable_buffer<owned_t<S>>) {
            if (rank_ == root) out = make_owned(value);
        } else {
            out = value;
        }
        bcast(out, root);
        return out;
    }

    // ---- scatter -----------------------------------------------------------------------------------

    /// Splits the root's `sendbuf` into size() blocks of recvbuf's size; rank i receives block i
    /// (MPI_Scatter). `sendbuf` is read at the root only (pass an empty range elsewhere). On an
    /// intercommunicator the root's `sendbuf` holds remote_size() blocks and its `recvbuf` is unused.
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void scatter(const S& sendbuf, R&& recvbuf, int root) const {
        check_root(root, "mpixx::scatter");
        if (inter_ && is_root(root)) [[unlikely]]
            return scatter_from_inter_root(sendbuf, root);
        auto r = view(recvbuf);
        const auto sb = scatter_block(sendbuf, r, root, "mpixx::scatter");
        MPIXX_COLL_BLOCKING(std::max(sb.count, r.count), MPI_Scatter, MPI_Iscatter, sb.ptr, count_t(sb.count), sb.type,
                            r.ptr, count_t(r.count), r.type, root, comm_);
    }

    /// In-place scatter: at the root `buf` is the whole send buffer (its own block stays in place);
    /// elsewhere it receives one block of its own size.
    template <class R>
        requires recv_target<R&&>
    void scatter(in_place_t, R&& buf, int root) const {
        check_intra("mpixx::scatter");
        check_root(root, "mpixx::scatter");
        auto b = view(buf);
        if (rank_ == root) {
            if (b.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
                throw_not_divisible("mpixx::scatter", "the root's buffer", b.count, size_, b.type);
            const std::size_t n = b.count / static_cast<std::size_t>(size_);
            MPIXX_COLL_BLOCKING(n, MPI_Scatter, MPI_Iscatter, b.ptr, count_t(n), b.type, MPI_IN_PLACE, count_t(n),
                                b.type, root, comm_);
        } else {
            MPIXX_COLL_BLOCKING(b.count, MPI_Scatter, MPI_Iscatter, nullptr, count_t(b.count), b.type, b.ptr,
                                count_t(b.count), b.type, root, comm_);
        }
    }

    /// The root's `sendbuf` holds one element per rank; returns this rank's element (MPI_Scatter).
    template <class S>
        requires contiguous_buffer<const S&>
    [[nodiscard]] elem_t<S> scatter(const S& sendbuf, int root) const {
        check_intra("mpixx::scatter");
        check_root(root, "mpixx::scatter");
        elem_t<S> out{};
        const MPI_Datatype type = datatype<elem_t<S>>();
        const void* sp = scatter_source(sendbuf, 1, root, "mpixx::scatter");
        MPIXX_COLL_CALL(MPI_Scatter, MPI_Iscatter, sp, 1, type, &out, 1, type, root, comm_);
        return out;
    }

    // ---- gather ------------------------------------------------------------------------------------

    /// Gathers every rank's `sendbuf`, in rank order, into the root's `recvbuf` (MPI_Gather); `recvbuf`
    /// is used at the root only, where it must hold size() x sendbuf's count. On an intercommunicator
    /// the root's `recvbuf` holds remote_size() blocks and its `sendbuf` is unused.
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void gather(const S& sendbuf, R&& recvbuf, int root) const {
        check_root(root, "mpixx::gather");
        if (inter_ && is_root(root)) [[unlikely]]
            return gather_to_inter_root(recvbuf, root);
        auto s = view(sendbuf);
        const auto rb = gather_block(recvbuf, s, root, "mpixx::gather");
        MPIXX_COLL_BLOCKING(std::max(s.count, rb.count), MPI_Gather, MPI_Igather, s.ptr, count_t(s.count), s.type, rb.ptr,
                            count_t(rb.count), rb.type, root, comm_);
    }

    /// In-place gather: at the root `buf` is the whole receive buffer with its own block already in
    /// place; elsewhere it is the block to send.
    template <class R>
        requires recv_target<R&&>
    void gather(in_place_t, R&& buf, int root) const {
        check_intra("mpixx::gather");
        check_root(root, "mpixx::gather");
        auto b = view(buf);
        if (rank_ == root) {
            if (b.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
                throw_not_divisible("mpixx::gather", "the root's buffer", b.count, size_, b.type);
            const std::size_t n = b.count / static_cast<std::size_t>(size_);
            MPIXX_COLL_BLOCKING(n, MPI_Gather, MPI_Igather, MPI_IN_PLACE, count_t(n), b.type, b.ptr, count_t(n), b.type,
                                root, comm_);
        } else {
            MPIXX_COLL_BLOCKING(b.count, MPI_Gather, MPI_Igather, b.ptr, count_t(b.count), b.type, nullptr,
                                count_t(b.count), b.type, root, comm_);
        }
    }

    /// Returns every rank's `sendbuf` concatenated in rank order on the root, an empty vector elsewhere
    /// (for bool elements a std::vector<bool>, received through a bool array).
    template <send_buffer S>
    [[nodiscard]] std::vector<elem_t<S>> gather(const S& sendbuf, int root) const {
        check_intra("mpixx::gather");
        check_root(root, "mpixx::gather");
        result_buffer<elem_t<S>> out(rank_ == root ? view_elements(view(sendbuf)) * static_cast<std::size_t>(size_) : 0);
        gather(sendbuf, out.span(), root);
        return out.take();
    }

    // ---- allgather ---------------------------------------------------------------------------------

    /// Every rank receives every rank's `sendbuf`, in rank order (MPI_Allgather).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void allgather(const S& sendbuf, R&& recvbuf) const {
        check_intra("mpixx::allgather");
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        const auto rb = split_blocks("mpixx::allgather", "the receive buffer", r, s, size_, true);
        MPIXX_COLL_BLOCKING(std::max(s.count, rb.count), MPI_Allgather, MPI_Iallgather, s.ptr, count_t(s.count), s.type,
                            r.ptr, count_t(rb.count), rb.type, comm_);
    }

    /// In-place allgather: `buf` holds size() blocks and this rank's block is already in place.
    template <class R>
        requires recv_target<R&&>
    void allgather(in_place_t, R&& buf) const {
        check_intra("mpixx::allgather");
        auto b = view(buf);
        if (b.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::allgather", "the buffer", b.count, size_, b.type);
        const std::size_t n = b.count / static_cast<std::size_t>(size_);
        MPIXX_COLL_BLOCKING(n, MPI_Allgather, MPI_Iallgather, MPI_IN_PLACE, count_t(n), b.type, b.ptr, count_t(n),
                            b.type, comm_);
    }

    /// Returns every rank's `sendbuf` concatenated in rank order.
    template <send_buffer S>
    [[nodiscard]] std::vector<elem_t<S>> allgather(const S& sendbuf) const {
        check_intra("mpixx::allgather");
        result_buffer<elem_t<S>> out(view_elements(view(sendbuf)) * static_cast<std::size_t>(size_));
        allgather(sendbuf, out.span());
        return out.take();
    }

    // ---- alltoall ----------------------------------------------------------------------------------

    /// `sendbuf` holds size() equal blocks; block i goes to rank i and block j of `recvbuf` comes from
    /// rank j (MPI_Alltoall).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void alltoall(const S& sendbuf, R&& recvbuf) const {
        check_intra("mpixx::alltoall");
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        if (s.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::alltoall", "the send buffer", s.count, size_, s.type);
        const std::size_t n = s.count / static_cast<std::size_t>(size_);
        const auto rb = alltoall_block("mpixx::alltoall", s, n, r);
        MPIXX_COLL_BLOCKING(std::max(n, rb.count), MPI_Alltoall, MPI_Ialltoall, s.ptr, count_t(n), s.type, r.ptr,
                            count_t(rb.count), rb.type, comm_);
    }

    /// In-place alltoall: `buf` holds size() blocks, replaced by the blocks received.
    template <class R>
        requires recv_target<R&&>
    void alltoall(in_place_t, R&& buf) const {
        check_intra("mpixx::alltoall");
        auto b = view(buf);
        if (b.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::alltoall", "the buffer", b.count, size_, b.type);
        const std::size_t n = b.count / static_cast<std::size_t>(size_);
        MPIXX_COLL_BLOCKING(n, MPI_Alltoall, MPI_Ialltoall, MPI_IN_PLACE, count_t(n), b.type, b.ptr, count_t(n), b.type,
                            comm_);
    }

    /// Returns the blocks received from every rank (block j from rank j).
    template <send_buffer S>
    [[nodiscard]] std::vector<elem_t<S>> alltoall(const S& sendbuf) const {
        check_intra("mpixx::alltoall");
        result_buffer<elem_t<S>> out(view_elements(view(sendbuf)));
        alltoall(sendbuf, out.span());
        return out.take();
    }

    // ---- reduce ------------------------------------------------------------------------------------

    /// Combines every rank's `sendbuf` element-wise with `op` into the root's `recvbuf` (MPI_Reduce);
    /// `recvbuf` is used at the root only. On an intercommunicator the root receives the reduction of
    /// the other group's buffers into `recvbuf` (whose size is the count) and its `sendbuf` is unused.
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> && view_reduction<S, Op> &&
                 view_reduction<R, Op>
    void reduce(const S& sendbuf, R&& recvbuf, Op&& op, int root) const {
        check_root(root, "mpixx::reduce");
        auto s = view(sendbuf);
        void* rp = nullptr;
        std::size_t n = s.count;
        if (is_root(root)) {
            auto r = view(recvbuf);
            if (inter_) [[unlikely]] {
                n = r.count; // the root has nothing to send: its receive buffer gives the count
                s.ptr = nonnull_send(nullptr); // never read, but MPICH rejects a null one
            } else if (r.count < s.count) [[unlikely]] {
                throw_coll_truncate("mpixx::reduce", s.count, r.count, r.type);
            }
            rp = r.ptr;
        }
        op_binding<std::remove_reference_t<Op>, elem_t<S>> o(op, n);
        MPIXX_COLL_BLOCKING(n, MPI_Reduce, MPI_Ireduce, s.ptr, rp, count_t(n), o.type(), o.op(), root, comm_);
        settle(o, "mpixx::reduce");
    }

    /// In-place reduce: at the root `buf` holds its contribution and receives the result; elsewhere it
    /// is the contribution.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    void reduce(in_place_t, R&& buf, Op&& op, int root) const {
        check_intra("mpixx::reduce");
        check_root(root, "mpixx::reduce");
        auto b = view(buf);
        op_binding<std::remove_reference_t<Op>, elem_t<R>> o(op, b.count);
        if (rank_ == root)
            MPIXX_COLL_BLOCKING(b.count, MPI_Reduce, MPI_Ireduce, MPI_IN_PLACE, b.ptr, count_t(b.count),
                                o.type(), o.op(), root, comm_);
        else
            MPIXX_COLL_BLOCKING(b.count, MPI_Reduce, MPI_Ireduce, b.ptr, nullptr, count_t(b.count), o.type(),
                                o.op(), root, comm_);
        settle(o, "mpixx::reduce");
    }

    /// Returns the reduction at the root; elsewhere a value-initialised value or an empty container.
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] owned_t<S> reduce(const S& value, Op&& op, int root) const {
        check_intra("mpixx::reduce");
        check_root(root, "mpixx::reduce");
        owned_t<S> out{};
        if (rank_ == root) {
            out = make_owned(value);
            reduce(in_place, out, op, root);
        } else {
            reduce(value, out, op, root);
        }
        return out;
    }

    // ---- allreduce, scan, exscan -------------------------------------------------------------------

    /// Every rank receives the element-wise reduction of all `sendbuf`s (MPI_Allreduce).
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> && view_reduction<S, Op> &&
                 view_reduction<R, Op>
    void allreduce(const S& sendbuf, R&& recvbuf, Op&& op) const {
        reduce_all<kind::allreduce>(sendbuf, recvbuf, op);
    }
    /// In-place allreduce: `buf` holds this rank's contribution and receives the result.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    void allreduce(in_place_t, R&& buf, Op&& op) const {
        check_intra("mpixx::allreduce");
        reduce_all_in_place<kind::allreduce>(buf, op);
    }
    /// Returns the element-wise reduction of every rank's value (auto total = comm.allreduce(x, sum)).
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] owned_t<S> allreduce(const S& value, Op&& op) const {
        check_intra("mpixx::allreduce");
        owned_t<S> out = make_owned(value);
        reduce_all_in_place<kind::allreduce>(out, op);
        return out;
    }

    /// Inclusive prefix reduction: rank i receives the reduction of ranks 0..i (MPI_Scan).
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> && view_reduction<S, Op> &&
                 view_reduction<R, Op>
    void scan(const S& sendbuf, R&& recvbuf, Op&& op) const {
        check_intra("mpixx::scan");
        reduce_all<kind::scan>(sendbuf, recvbuf, op);
    }
    /// In-place inclusive scan.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    void scan(in_place_t, R&& buf, Op&& op) const {
        check_intra("mpixx::scan");
        reduce_all_in_place<kind::scan>(buf, op);
    }
    /// Returns the reduction of the values of ranks 0..rank().
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] owned_t<S> scan(const S& value, Op&& op) const {
        check_intra("mpixx::scan");
        owned_t<S> out = make_owned(value);
        reduce_all_in_place<kind::scan>(out, op);
        return out;
    }

    /// Exclusive prefix reduction: rank i receives the reduction of ranks 0..i-1 (MPI_Exscan); rank 0's
    /// `recvbuf` is undefined afterwards, as in MPI.
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> && view_reduction<S, Op> &&
                 view_reduction<R, Op>
    void exscan(const S& sendbuf, R&& recvbuf, Op&& op) const {
        check_intra("mpixx::exscan");
        reduce_all<kind::exscan>(sendbuf, recvbuf, op);
    }
    /// In-place exclusive scan (rank 0's buffer is left undefined, as in MPI).
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    void exscan(in_place_t, R&& buf, Op&& op) const {
        check_intra("mpixx::exscan");
        reduce_all_in_place<kind::exscan>(buf, op);
    }
    /// Returns the reduction of the values of ranks 0..rank()-1; value-initialised on rank 0.
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] owned_t<S> exscan(const S& value, Op&& op) const {
        check_intra("mpixx::exscan");
        owned_t<S> out = make_owned(value);
        reduce_all_in_place<kind::exscan>(out, op);
        if (rank_ == 0) value_initialise(out);
        return out;
    }

    // ---- reduce_scatter ----------------------------------------------------------------------------

    /// Reduces size() equal blocks of `sendbuf` element-wise; rank i receives block i into `recvbuf`,
    /// whose size is the block size (MPI_Reduce_scatter_block).
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> && view_reduction<S, Op> &&
                 view_reduction<R, Op>
    void reduce_scatter_block(const S& sendbuf, R&& recvbuf, Op&& op) const {
        check_intra("mpixx::reduce_scatter_block");
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        if (s.count != r.count * static_cast<std::size_t>(size_)) [[unlikely]]
            throw_coll_count("mpixx::reduce_scatter_block", "the send buffer", s.count,
                             r.count * static_cast<std::size_t>(size_), s.type);
        op_binding<std::remove_reference_t<Op>, elem_t<S>> o(op, s.count);
        MPIXX_COLL_BLOCKING(r.count, MPI_Reduce_scatter_block, MPI_Ireduce_scatter_block, s.ptr, r.ptr,
                            count_t(r.count), o.type(), o.op(), comm_);
        settle(o, "mpixx::reduce_scatter_block");
    }
    /// In-place reduce_scatter_block: `buf` holds size() blocks; this rank's block lands at its front.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    void reduce_scatter_block(in_place_t, R&& buf, Op&& op) const {
        check_intra("mpixx::reduce_scatter_block");
        auto b = view(buf);
        if (b.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::reduce_scatter_block", "the buffer", b.count, size_, b.type);
        const std::size_t n = b.count / static_cast<std::size_t>(size_);
        op_binding<std::remove_reference_t<Op>, elem_t<R>> o(op, b.count);
        MPIXX_COLL_BLOCKING(n, MPI_Reduce_scatter_block, MPI_Ireduce_scatter_block, MPI_IN_PLACE, b.ptr, count_t(n),
                            o.type(), o.op(), comm_);
        settle(o, "mpixx::reduce_scatter_block");
    }
    /// Returns this rank's block of the element-wise reduction of every rank's `sendbuf`.
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] std::vector<elem_t<S>> reduce_scatter_block(const S& sendbuf, Op&& op) const {
        check_intra("mpixx::reduce_scatter_block");
        auto s = view(sendbuf);
        if (s.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::reduce_scatter_block", "the send buffer", s.count, size_, s.type);
        result_buffer<elem_t<S>> out(s.count / static_cast<std::size_t>(size_));
        reduce_scatter_block(sendbuf, out.span(), op);
        return out.take();
    }

    /// Reduces `sendbuf` element-wise and scatters it: rank i receives counts[i] elements, taken in rank
    /// order (MPI_Reduce_scatter). `counts` must be the same on every rank.
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> && view_reduction<S, Op> &&
                 view_reduction<R, Op>
    void reduce_scatter(const S& sendbuf, R&& recvbuf, std::span<const int> counts, Op&& op) const {
        check_intra("mpixx::reduce_scatter");
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        const std::size_t total = check_reduce_scatter_counts(counts, s.count, s.type);
        if (r.count < own_size(counts)) [[unlikely]]
            throw_coll_truncate("mpixx::reduce_scatter", own_size(counts), r.count, r.type);
        op_binding<std::remove_reference_t<Op>, elem_t<S>> o(op, total);
        MPIXX_COLL_CALL(MPI_Reduce_scatter, MPI_Ireduce_scatter, s.ptr, r.ptr, counts.data(), o.type(), o.op(),
                        comm_);
        settle(o, "mpixx::reduce_scatter");
    }
    /// In-place reduce_scatter: `buf` holds sum(counts) elements; this rank's part lands at its front.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    void reduce_scatter(in_place_t, R&& buf, std::span<const int> counts, Op&& op) const {
        check_intra("mpixx::reduce_scatter");
        auto b = view(buf);
        const std::size_t total = check_reduce_scatter_counts(counts, b.count, b.type);
        op_binding<std::remove_reference_t<Op>, elem_t<R>> o(op, total);
        MPIXX_COLL_CALL(MPI_Reduce_scatter, MPI_Ireduce_scatter, MPI_IN_PLACE, b.ptr, counts.data(), o.type(),
                        o.op(), comm_);
        settle(o, "mpixx::reduce_scatter");
    }
    /// Returns this rank's counts[rank()] elements of the element-wise reduction of every `sendbuf`.
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] std::vector<elem_t<S>> reduce_scatter(const S& sendbuf, std::span<const int> counts,
                                                           Op&& op) const {
        check_intra("mpixx::reduce_scatter");
        check_counts("mpixx::reduce_scatter", counts, size_);
        result_buffer<elem_t<S>> out(own_size(counts));
        reduce_scatter(sendbuf, out.span(), counts, op);
        return out.take();
    }

protected:
    using nonblocking_layer::nonblocking_layer;

    /// Ends a reduction with op binding `o` (settle_op: agreement on a user op that may throw).
    template <class Binding>
    void settle(Binding& o, const char* routine) const {
        settle_op(o, comm_, inter_, rank_, routine);
    }

    /// What bcast_header broadcasts: the root's count, and its data when that fits.
    struct bcast_header_t {
        std::uint64_t count;
        unsigned char bytes[56];
    };

    /// First step of a broadcast that sizes a resizable container from the root: one MPI_Bcast of a
    /// 64-byte header with the root's count and, when the data fits in it (trivially copyable elements,
    /// at most 56 bytes, intracommunicator), the data. Resizes `buf` on the receiving ranks; returns
    /// true when the data came too. The decision depends on the count only, so every rank takes it
    /// alike; on an intercommunicator the root's own group does not learn the count, so there the data
    /// always follows.
    template <class C>
    bool bcast_header(C& buf, int root) const {
        using E = elem_t<C>;
        bcast_header_t h{};
        const bool sender = is_root(root);
        if (sender) h.count = static_cast<std::uint64_t>(std::ranges::size(buf));
        const auto fits = [&](std::uint64_t n) {
            return std::is_trivially_copyable_v<E> && !inter_ && n <= sizeof h.bytes / sizeof(E);
        };
        if (sender && h.count > 0 && fits(h.count)) std::memcpy(h.bytes, std::ranges::data(buf), h.count * sizeof(E));
        MPIXX_COLL_CALL(MPI_Bcast, MPI_Ibcast, &h, static_cast<int>(sizeof h), MPI_BYTE, root, comm_);
        if (inter_ && root == MPI_PROC_NULL) return false; // nothing arrives; the data call still follows
        if (!sender) {
            buf.resize(static_cast<std::size_t>(h.count));
            if (h.count > 0 && fits(h.count)) std::memcpy(std::ranges::data(buf), h.bytes, h.count * sizeof(E));
        }
        return fits(h.count);
    }

    /// A fixed-size broadcast failed: when MPI saw the sizes differ (truncation, or MPICH's "message
    /// sizes do not match"), say so with this rank's size; other errors pass unchanged.
    [[noreturn, MPIXX_COLD]] static void throw_bcast_size(const error& e, std::size_t count,
                                                          MPI_Datatype type) {
        if (e.error_class() != MPI_ERR_TRUNCATE && e.error_class() != MPI_ERR_OTHER) throw e;
        throw error("mpixx::bcast", e.error_class(),
                    "this rank's buffer holds " + describe_count(count, type) +
                        " but the root broadcast a different size: a std::span, std::array, C array or value "
                        "must have the same size on every rank (broadcast the std::vector or std::string itself "
                        "to size it from the root). MPI said: " +
                        e.what());
    }

    /// Scatter from the root of an intercommunicator: its buffer holds one block per remote process.
    template <class S>
    void scatter_from_inter_root(const S& sendbuf, int root) const {
        auto s = view(sendbuf);
        const auto peers = static_cast<std::size_t>(peers_);
        if (s.count % peers != 0) [[unlikely]]
            throw_not_divisible("mpixx::scatter", "the root's send buffer", s.count, peers_, s.type);
        const std::size_t n = s.count / peers;
        MPIXX_COLL_BLOCKING(n, MPI_Scatter, MPI_Iscatter, s.ptr, count_t(n), s.type, nullptr, count_t(n), s.type, root,
                            comm_);
    }

    /// Gather to the root of an intercommunicator: its buffer receives one block per remote process.
    template <class R>
    void gather_to_inter_root(R& recvbuf, int root) const {
        auto r = view(recvbuf);
        const auto peers = static_cast<std::size_t>(peers_);
        if (r.count % peers != 0) [[unlikely]]
            throw_not_divisible("mpixx::gather", "the root's receive buffer", r.count, peers_, r.type);
        const std::size_t n = r.count / peers;
        MPIXX_COLL_BLOCKING(n, MPI_Gather, MPI_Igather, nullptr, count_t(n), r.type, r.ptr, count_t(n), r.type, root,
                            comm_);
    }

    /// The root's send buffer of a scatter of `block` elements per rank, checked to hold size() blocks;
    /// null on the other ranks (MPI reads it at the root only). Shared with iscatter.
    template <class S>
    const void* scatter_source(const S& sendbuf, std::size_t block, int root, const char* routine) const {
        if (!is_root(root)) return nullptr;
        auto s = view(sendbuf);
        const std::size_t need = block * static_cast<std::size_t>(size_);
        if (s.count != need) [[unlikely]]
            throw_coll_count(routine, "the root's send buffer", s.count, need, s.type);
        return s.ptr;
    }

    /// The root's receive buffer of a gather of `block` elements per rank, checked to hold size()
    /// blocks; null on the other ranks (MPI writes it at the root only). Shared with igather.
    template <class R>
    void* gather_target(R& recvbuf, std::size_t block, int root, const char* routine) const {
        if (!is_root(root)) return nullptr;
        auto r = view(recvbuf);
        const std::size_t need = block * static_cast<std::size_t>(size_);
        if (r.count < need) [[unlikely]]
            throw_coll_truncate(routine, need, r.count, r.type);
        return r.ptr;
    }

    /// A buffer's pointer with a per-rank (count, datatype).
    template <class P>
    struct placed_block {
        P* ptr;
        std::size_t count;
        MPI_Datatype type;
    };

    /// The root's send side of a scatter whose receive buffer on this rank is `r`: the plain-buffer
    /// check (scatter_source) or, with a layout view on either side, split_blocks; null off the root.
    template <class S, class RV>
    placed_block<const void> scatter_block(const S& sendbuf, const RV& r, int root, const char* routine) const {
        if constexpr (!is_layout_v<S>) {
            if (!r.layout) return {scatter_source(sendbuf, r.count, root, routine), r.count, r.type};
        }
        if (!is_root(root)) return {nullptr, r.count, r.type};
        auto s = view(sendbuf);
        const auto b = split_blocks(routine, "the root's send buffer", s, r, size_, false);
        return {s.ptr, b.count, b.type};
    }

    /// The root's receive side of a gather whose send buffer on this rank is `s` (gather_target, or
    /// split_blocks with a layout view on either side); null off the root.
    template <class R, class SV>
    placed_block<void> gather_block(R& recvbuf, const SV& s, int root, const char* routine) const {
        if constexpr (!is_layout_v<R>) {
            if (!s.layout) return {gather_target(recvbuf, s.count, root, routine), s.count, s.type};
        }
        if (!is_root(root)) return {nullptr, s.count, s.type};
        auto r = view(recvbuf);
        const auto b = split_blocks(routine, "the root's receive buffer", r, s, size_, true);
        return {r.ptr, b.count, b.type};
    }

    /// alltoall's receive block for send blocks of `n` items of s.type: the plain rule (the receive
    /// buffer holds at least what is sent) or split_blocks with a layout view on either side.
    template <class SV, class RV>
    rank_block alltoall_block(const char* routine, const SV& s, std::size_t n, const RV& r) const {
        if (!s.layout && !r.layout) {
            if (r.count < s.count) [[unlikely]]
                throw_coll_truncate(routine, s.count, r.count, r.type);
            return {n, r.type};
        }
        const buffer_view<const void> block{s.ptr, n, s.type, s.unit, s.layout};
        return split_blocks(routine, "the receive buffer", r, block, size_, true);
    }

    enum class kind { allreduce, scan, exscan };

    /// One MPI_Allreduce / MPI_Scan / MPI_Exscan (or its large-count twin).
    template <kind K>
    void call_reduce_all(const void* s, void* r, std::size_t n, MPI_Datatype t, MPI_Op op) const {
        if constexpr (K == kind::allreduce)
            MPIXX_COLL_BLOCKING(n, MPI_Allreduce, MPI_Iallreduce, s, r, count_t(n), t, op, comm_);
        else if constexpr (K == kind::scan)
            MPIXX_COLL_BLOCKING(n, MPI_Scan, MPI_Iscan, s, r, count_t(n), t, op, comm_);
        else
            MPIXX_COLL_BLOCKING(n, MPI_Exscan, MPI_Iexscan, s, r, count_t(n), t, op, comm_);
    }

    template <kind K>
    static constexpr const char* reduce_all_name() {
        if constexpr (K == kind::allreduce) return "mpixx::allreduce";
        else if constexpr (K == kind::scan) return "mpixx::scan";
        else return "mpixx::exscan";
    }

    template <kind K, class S, class R, class Op>
    void reduce_all(const S& sendbuf, R& recvbuf, Op& op) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        if (r.count < s.count) [[unlikely]]
            throw_coll_truncate(reduce_all_name<K>(), s.count, r.count, r.type);
        op_binding<Op, elem_t<S>> o(op, s.count);
        call_reduce_all<K>(s.ptr, r.ptr, s.count, o.type(), o.op());
        settle(o, reduce_all_name<K>());
    }

    template <kind K, class R, class Op>
    void reduce_all_in_place(R& buf, Op& op) const {
        auto b = view(buf);
        op_binding<Op, elem_t<R>> o(op, b.count);
        call_reduce_all<K>(MPI_IN_PLACE, b.ptr, b.count, o.type(), o.op());
        settle(o, reduce_all_name<K>());
    }

    /// Checks reduce_scatter's counts against the buffer and returns their sum.
    std::size_t check_reduce_scatter_counts(std::span<const int> counts, std::size_t have, MPI_Datatype type) const {
        check_counts("mpixx::reduce_scatter", counts, size_);
        std::size_t total = 0;
        for (int c : counts) total += static_cast<std::size_t>(c);
        if (have != total) [[unlikely]]
            throw_coll_count("mpixx::reduce_scatter", "the buffer", have, total, type);
        return total;
    }

    /// This rank's own entry in counts must match what it sends.
    void check_own_count(const char* routine, std::span<const int> counts, std::size_t sent, MPI_Datatype type) const {
        if (own_size(counts) != sent) [[unlikely]]
            throw_coll_count(routine, "this rank's send buffer", sent, own_size(counts), type);
    }
};

} // namespace mpixx::detail

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
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/collectives_common.hpp>
#include <mpixx/nonblocking.hpp>

#include <cstdint>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// Blocking collectives; the next layers add the v-variants (collectives_vector.hpp) and the non-blocking
/// collectives (collectives.hpp).
class blocking_collective_layer : public nonblocking_layer {
public:
    /// Blocks until every rank has entered the barrier (MPI_Barrier).
    void barrier() const { MPIXX_COLL_CALL(MPI_Barrier, MPI_Ibarrier, comm_); }

    // ---- bcast -------------------------------------------------------------------------------------

    /// Broadcasts the root's buffer into every rank's buffer, in place (MPI_Bcast); sizes must match.
    /// Returns `buf`, so that the mpi4py spelling `x = comm.bcast(x, root)` works too.
    template <class B>
        requires recv_target<B&&>
    B&& bcast(B&& buf, int root) const {
        check_root(root, "mpixx::bcast");
        auto v = view(buf);
        MPIXX_COLL_BLOCKING(v.count, MPI_Bcast, MPI_Ibcast, v.ptr, count_t(v.count), v.type, root, comm_);
        return std::forward<B>(buf);
    }

    /// Returns the root's value; a container is sized from the root first (one extra MPI_Bcast).
    template <send_buffer S>
    [[nodiscard]] owned_t<S> bcast(const S& value, int root) const {
        check_root(root, "mpixx::bcast");
        owned_t<S> out{};
        if constexpr (resizable_buffer<owned_t<S>>) {
            std::uint64_t n = rank_ == root ? view(value).count : 0;
            MPIXX_COLL_CALL(MPI_Bcast, MPI_Ibcast, &n, 1, MPI_UINT64_T, root, comm_);
            if (rank_ == root) out = make_owned(value);
            else out.resize(static_cast<std::size_t>(n));
        } else {
            out = value;
        }
        bcast(out, root);
        return out;
    }

    // ---- scatter -----------------------------------------------------------------------------------

    /// Splits the root's `sendbuf` into size() blocks of recvbuf's size; rank i receives block i
    /// (MPI_Scatter). `sendbuf` is read at the root only (pass an empty range elsewhere).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void scatter(const S& sendbuf, R&& recvbuf, int root) const {
        check_root(root, "mpixx::scatter");
        auto r = view(recvbuf);
        const void* sp = scatter_source(sendbuf, r.count, root, "mpixx::scatter");
        MPIXX_COLL_BLOCKING(r.count, MPI_Scatter, MPI_Iscatter, sp, count_t(r.count), r.type, r.ptr, count_t(r.count),
                            r.type, root, comm_);
    }

    /// In-place scatter: at the root `buf` is the whole send buffer (its own block stays in place);
    /// elsewhere it receives one block of its own size.
    template <class R>
        requires recv_target<R&&>
    void scatter(in_place_t, R&& buf, int root) const {
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
        check_root(root, "mpixx::scatter");
        elem_t<S> out{};
        const MPI_Datatype type = datatype<elem_t<S>>();
        const void* sp = scatter_source(sendbuf, 1, root, "mpixx::scatter");
        MPIXX_COLL_CALL(MPI_Scatter, MPI_Iscatter, sp, 1, type, &out, 1, type, root, comm_);
        return out;
    }

    // ---- gather ------------------------------------------------------------------------------------

    /// Gathers every rank's `sendbuf`, in rank order, into the root's `recvbuf` (MPI_Gather); `recvbuf`
    /// is used at the root only, where it must hold size() x sendbuf's count.
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void gather(const S& sendbuf, R&& recvbuf, int root) const {
        check_root(root, "mpixx::gather");
        auto s = view(sendbuf);
        void* rp = gather_target(recvbuf, s.count, root, "mpixx::gather");
        MPIXX_COLL_BLOCKING(s.count, MPI_Gather, MPI_Igather, s.ptr, count_t(s.count), s.type, rp, count_t(s.count),
                            s.type, root, comm_);
    }

    /// In-place gather: at the root `buf` is the whole receive buffer with its own block already in
    /// place; elsewhere it is the block to send.
    template <class R>
        requires recv_target<R&&>
    void gather(in_place_t, R&& buf, int root) const {
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

    /// Returns every rank's `sendbuf` concatenated in rank order on the root, an empty vector elsewhere.
    template <send_buffer S>
    [[nodiscard]] std::vector<elem_t<S>> gather(const S& sendbuf, int root) const {
        std::vector<elem_t<S>> out;
        if (rank_ == root) out.resize(view(sendbuf).count * static_cast<std::size_t>(size_));
        gather(sendbuf, out, root);
        return out;
    }

    // ---- allgather ---------------------------------------------------------------------------------

    /// Every rank receives every rank's `sendbuf`, in rank order (MPI_Allgather).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void allgather(const S& sendbuf, R&& recvbuf) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        const std::size_t need = s.count * static_cast<std::size_t>(size_);
        if (r.count < need) [[unlikely]]
            throw_coll_truncate("mpixx::allgather", need, r.count, r.type);
        MPIXX_COLL_BLOCKING(s.count, MPI_Allgather, MPI_Iallgather, s.ptr, count_t(s.count), s.type, r.ptr,
                            count_t(s.count), r.type, comm_);
    }

    /// In-place allgather: `buf` holds size() blocks and this rank's block is already in place.
    template <class R>
        requires recv_target<R&&>
    void allgather(in_place_t, R&& buf) const {
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
        std::vector<elem_t<S>> out(view(sendbuf).count * static_cast<std::size_t>(size_));
        allgather(sendbuf, out);
        return out;
    }

    // ---- alltoall ----------------------------------------------------------------------------------

    /// `sendbuf` holds size() equal blocks; block i goes to rank i and block j of `recvbuf` comes from
    /// rank j (MPI_Alltoall).
    template <send_buffer S, class R>
        requires recv_target<R&&> && same_element<S, R>
    void alltoall(const S& sendbuf, R&& recvbuf) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        if (s.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::alltoall", "the send buffer", s.count, size_, s.type);
        if (r.count < s.count) [[unlikely]]
            throw_coll_truncate("mpixx::alltoall", s.count, r.count, r.type);
        const std::size_t n = s.count / static_cast<std::size_t>(size_);
        MPIXX_COLL_BLOCKING(n, MPI_Alltoall, MPI_Ialltoall, s.ptr, count_t(n), s.type, r.ptr, count_t(n), r.type,
                            comm_);
    }

    /// In-place alltoall: `buf` holds size() blocks, replaced by the blocks received.
    template <class R>
        requires recv_target<R&&>
    void alltoall(in_place_t, R&& buf) const {
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
        std::vector<elem_t<S>> out(view(sendbuf).count);
        alltoall(sendbuf, out);
        return out;
    }

    // ---- reduce ------------------------------------------------------------------------------------

    /// Combines every rank's `sendbuf` element-wise with `op` into the root's `recvbuf` (MPI_Reduce);
    /// `recvbuf` is used at the root only.
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    void reduce(const S& sendbuf, R&& recvbuf, Op&& op, int root) const {
        check_root(root, "mpixx::reduce");
        auto s = view(sendbuf);
        void* rp = nullptr;
        if (rank_ == root) {
            auto r = view(recvbuf);
            if (r.count < s.count) [[unlikely]]
                throw_coll_truncate("mpixx::reduce", s.count, r.count, r.type);
            rp = r.ptr;
        }
        op_binding<std::remove_reference_t<Op>, elem_t<S>> o(op, s.count);
        MPIXX_COLL_BLOCKING(s.count, MPI_Reduce, MPI_Ireduce, s.ptr, rp, count_t(s.count), o.type(), o.op(), root,
                            comm_);
        o.rethrow();
    }

    /// In-place reduce: at the root `buf` holds its contribution and receives the result; elsewhere it
    /// is the contribution.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    void reduce(in_place_t, R&& buf, Op&& op, int root) const {
        check_root(root, "mpixx::reduce");
        auto b = view(buf);
        op_binding<std::remove_reference_t<Op>, elem_t<R>> o(op, b.count);
        if (rank_ == root)
            MPIXX_COLL_BLOCKING(b.count, MPI_Reduce, MPI_Ireduce, MPI_IN_PLACE, b.ptr, count_t(b.count), o.type(),
                                o.op(), root, comm_);
        else
            MPIXX_COLL_BLOCKING(b.count, MPI_Reduce, MPI_Ireduce, b.ptr, nullptr, count_t(b.count), o.type(), o.op(),
                                root, comm_);
        o.rethrow();
    }

    /// Returns the reduction at the root; elsewhere a value-initialised value or an empty container.
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>>
    [[nodiscard]] owned_t<S> reduce(const S& value, Op&& op, int root) const {
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
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    void allreduce(const S& sendbuf, R&& recvbuf, Op&& op) const {
        reduce_all<kind::allreduce>(sendbuf, recvbuf, op);
    }
    /// In-place allreduce: `buf` holds this rank's contribution and receives the result.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    void allreduce(in_place_t, R&& buf, Op&& op) const {
        reduce_all_in_place<kind::allreduce>(buf, op);
    }
    /// Returns the element-wise reduction of every rank's value (auto total = comm.allreduce(x, sum)).
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>>
    [[nodiscard]] owned_t<S> allreduce(const S& value, Op&& op) const {
        owned_t<S> out = make_owned(value);
        reduce_all_in_place<kind::allreduce>(out, op);
        return out;
    }

    /// Inclusive prefix reduction: rank i receives the reduction of ranks 0..i (MPI_Scan).
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    void scan(const S& sendbuf, R&& recvbuf, Op&& op) const {
        reduce_all<kind::scan>(sendbuf, recvbuf, op);
    }
    /// In-place inclusive scan.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    void scan(in_place_t, R&& buf, Op&& op) const {
        reduce_all_in_place<kind::scan>(buf, op);
    }
    /// Returns the reduction of the values of ranks 0..rank().
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>>
    [[nodiscard]] owned_t<S> scan(const S& value, Op&& op) const {
        owned_t<S> out = make_owned(value);
        reduce_all_in_place<kind::scan>(out, op);
        return out;
    }

    /// Exclusive prefix reduction: rank i receives the reduction of ranks 0..i-1 (MPI_Exscan); rank 0's
    /// `recvbuf` is undefined afterwards, as in MPI.
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    void exscan(const S& sendbuf, R&& recvbuf, Op&& op) const {
        reduce_all<kind::exscan>(sendbuf, recvbuf, op);
    }
    /// In-place exclusive scan (rank 0's buffer is left undefined, as in MPI).
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    void exscan(in_place_t, R&& buf, Op&& op) const {
        reduce_all_in_place<kind::exscan>(buf, op);
    }
    /// Returns the reduction of the values of ranks 0..rank()-1; value-initialised on rank 0.
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>>
    [[nodiscard]] owned_t<S> exscan(const S& value, Op&& op) const {
        owned_t<S> out = make_owned(value);
        reduce_all_in_place<kind::exscan>(out, op);
        if (rank_ == 0) value_initialise(out);
        return out;
    }

    // ---- reduce_scatter ----------------------------------------------------------------------------

    /// Reduces size() equal blocks of `sendbuf` element-wise; rank i receives block i into `recvbuf`,
    /// whose size is the block size (MPI_Reduce_scatter_block).
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    void reduce_scatter_block(const S& sendbuf, R&& recvbuf, Op&& op) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        if (s.count != r.count * static_cast<std::size_t>(size_)) [[unlikely]]
            throw_coll_count("mpixx::reduce_scatter_block", "the send buffer", s.count,
                             r.count * static_cast<std::size_t>(size_), s.type);
        op_binding<std::remove_reference_t<Op>, elem_t<S>> o(op, s.count);
        MPIXX_COLL_BLOCKING(r.count, MPI_Reduce_scatter_block, MPI_Ireduce_scatter_block, s.ptr, r.ptr,
                            count_t(r.count), o.type(), o.op(), comm_);
        o.rethrow();
    }
    /// In-place reduce_scatter_block: `buf` holds size() blocks; this rank's block lands at its front.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    void reduce_scatter_block(in_place_t, R&& buf, Op&& op) const {
        auto b = view(buf);
        if (b.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::reduce_scatter_block", "the buffer", b.count, size_, b.type);
        const std::size_t n = b.count / static_cast<std::size_t>(size_);
        op_binding<std::remove_reference_t<Op>, elem_t<R>> o(op, b.count);
        MPIXX_COLL_BLOCKING(n, MPI_Reduce_scatter_block, MPI_Ireduce_scatter_block, MPI_IN_PLACE, b.ptr, count_t(n),
                            o.type(), o.op(), comm_);
        o.rethrow();
    }
    /// Returns this rank's block of the element-wise reduction of every rank's `sendbuf`.
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>>
    [[nodiscard]] std::vector<elem_t<S>> reduce_scatter_block(const S& sendbuf, Op&& op) const {
        auto s = view(sendbuf);
        if (s.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::reduce_scatter_block", "the send buffer", s.count, size_, s.type);
        std::vector<elem_t<S>> out(s.count / static_cast<std::size_t>(size_));
        reduce_scatter_block(sendbuf, out, op);
        return out;
    }

    /// Reduces `sendbuf` element-wise and scatters it: rank i receives counts[i] elements, taken in rank
    /// order (MPI_Reduce_scatter). `counts` must be the same on every rank.
    template <send_buffer S, class R, class Op>
        requires recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    void reduce_scatter(const S& sendbuf, R&& recvbuf, std::span<const int> counts, Op&& op) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        const std::size_t total = check_reduce_scatter_counts(counts, s.count, s.type);
        if (r.count < static_cast<std::size_t>(counts[rank_])) [[unlikely]]
            throw_coll_truncate("mpixx::reduce_scatter", static_cast<std::size_t>(counts[rank_]), r.count, r.type);
        op_binding<std::remove_reference_t<Op>, elem_t<S>> o(op, total);
        MPIXX_COLL_CALL(MPI_Reduce_scatter, MPI_Ireduce_scatter, s.ptr, r.ptr, counts.data(), o.type(), o.op(), comm_);
        o.rethrow();
    }
    /// In-place reduce_scatter: `buf` holds sum(counts) elements; this rank's part lands at its front.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    void reduce_scatter(in_place_t, R&& buf, std::span<const int> counts, Op&& op) const {
        auto b = view(buf);
        const std::size_t total = check_reduce_scatter_counts(counts, b.count, b.type);
        op_binding<std::remove_reference_t<Op>, elem_t<R>> o(op, total);
        MPIXX_COLL_CALL(MPI_Reduce_scatter, MPI_Ireduce_scatter, MPI_IN_PLACE, b.ptr, counts.data(), o.type(), o.op(),
                        comm_);
        o.rethrow();
    }
    /// Returns this rank's counts[rank()] elements of the element-wise reduction of every `sendbuf`.
    template <send_buffer S, class Op>
        requires reduction_op<Op, elem_t<S>>
    [[nodiscard]] std::vector<elem_t<S>> reduce_scatter(const S& sendbuf, std::span<const int> counts,
                                                           Op&& op) const {
        check_counts("mpixx::reduce_scatter", counts, size_);
        std::vector<elem_t<S>> out(static_cast<std::size_t>(counts[rank_]));
        reduce_scatter(sendbuf, out, counts, op);
        return out;
    }

protected:
    using nonblocking_layer::nonblocking_layer;

    /// The root's send buffer of a scatter of `block` elements per rank, checked to hold size() blocks;
    /// null on the other ranks (MPI reads it at the root only). Shared with iscatter.
    template <class S>
    const void* scatter_source(const S& sendbuf, std::size_t block, int root, const char* routine) const {
        if (rank_ != root) return nullptr;
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
        if (rank_ != root) return nullptr;
        auto r = view(recvbuf);
        const std::size_t need = block * static_cast<std::size_t>(size_);
        if (r.count < need) [[unlikely]]
            throw_coll_truncate(routine, need, r.count, r.type);
        return r.ptr;
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
        o.rethrow();
    }

    template <kind K, class R, class Op>
    void reduce_all_in_place(R& buf, Op& op) const {
        auto b = view(buf);
        op_binding<Op, elem_t<R>> o(op, b.count);
        call_reduce_all<K>(MPI_IN_PLACE, b.ptr, b.count, o.type(), o.op());
        o.rethrow();
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
        if (static_cast<std::size_t>(counts[rank_]) != sent) [[unlikely]]
            throw_coll_count(routine, "this rank's send buffer", sent, static_cast<std::size_t>(counts[rank_]), type);
    }
};

} // namespace mpixx::detail

// mpixx/collectives.hpp - blocking and non-blocking collectives with op functors.
//
// The blocking collectives live in detail/collectives_blocking.hpp and detail/collectives_vector.hpp
// (v-variants), the non-blocking v-variants in detail/collectives_nonblocking_vector.hpp, what the
// requests own in detail/collectives_payloads.hpp, the ops in ops.hpp. This header adds the other
// non-blocking ones (ibarrier, ibcast, iscatter, igather, iallgather, ialltoall, ireduce, iallreduce,
// iscan, iexscan, ireduce_scatter_block, ireduce_scatter), each returning an mpixx::request that waits
// in its destructor:
//   - into-buffer forms work on the caller's buffers (and count arrays): lvalues or borrowed ranges
//     (std::span), which must stay alive and untouched until the request completes, as in MPI; a
//     temporary or an owning view does not compile; with a built-in op they allocate nothing;
//   - value forms (the caller passes values: an rvalue is moved in, an lvalue is copied) return a
//     request<T> that owns every buffer; wait() hands out the result.
// ibcast of a resizable container sizes it from the root like bcast: the count (and data of at most 56
// bytes) comes in a blocking 64-byte MPI_Bcast at the call, only the rest of the data moves in the
// background; ibcast(std::span(v), root) is the fully non-blocking fixed-size form.
// A user-defined op is copied into the request and its MPI_Op lives until the operation completes. An
// exception the op threw is rethrown by wait() on that rank. When the callable may throw (it is not
// noexcept), the reduction runs on flagged copies of the elements held by the request (ops.hpp:
// flagged<T>, a value and a failure mark that the op passes on), so a rank whose result depends on a
// combination that threw elsewhere learns it with no extra message or synchronisation, and its wait()
// throws MPI_ERR_OP naming that rank instead of returning a wrong result (cost: two copies of the data).
// Only ibarrier and ibcast work on intercommunicators (MPI_ERR_COMM elsewhere).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/collectives_nonblocking_vector.hpp>
#include <mpixx/detail/collectives_payloads.hpp>
#include <mpixx/ops.hpp>
#include <mpixx/request.hpp>

#include <mpixx/detail/std_light.hpp>
#include <mpixx/detail/owner.hpp>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// Layer of the communicator: blocking and non-blocking collectives with op functors.
class collective_layer : public nonblocking_vector_layer {
public:
    /// Starts a barrier (MPI_Ibarrier).
    [[nodiscard]] request<> ibarrier() const {
        coll_post r;
        MPIXX_ICOLL(MPI_Ibarrier, comm_, &r);
        return request<>(r);
    }

    // ---- ibcast ------------------------------------------------------------------------------------

    /// Starts a broadcast of the root's buffer into every rank's buffer (MPI_Ibcast). A resizable
    /// container is sized from the root first (blocking, at the call: see the header comment); any
    /// other buffer (std::span(v) for a pre-sized vector) must have the same size on every rank.
    template <class B>
        requires recv_target<B&&>
    [[nodiscard]] request<> ibcast(B&& buf, int root) const {
        check_root(root, "mpixx::ibcast");
        if constexpr (resizable_buffer<std::remove_cvref_t<B>>)
            if (bcast_header(buf, root)) return request<>(MPI_REQUEST_NULL, detail::make_box<done_payload>());
        auto v = view(buf);
        coll_post r;
        MPIXX_COLL(v.count, MPI_Ibcast, v.ptr, count_t(v.count), v.type, root, comm_, &r);
        return request<>(r);
    }
    /// Starts a broadcast into a buffer the request owns (moved in or copied; a container is sized from
    /// the root as above); wait() returns it holding the root's data.
    template <class S>
        requires send_buffer<S> && (!recv_target<S &&>) && (!is_layout_v<S>)
    [[nodiscard]] request<owned_t<S>> ibcast(S&& value, int root) const {
        check_intra("mpixx::ibcast");
        check_root(root, "mpixx::ibcast");
        auto p = detail::make_box<coll_payload<owned_t<S>>>();
        p->result = own(std::forward<S>(value));
        if constexpr (resizable_buffer<owned_t<S>>)
            if (bcast_header(p->result, root)) return request<owned_t<S>>(MPI_REQUEST_NULL, std::move(p));
        auto v = view(p->result);
        coll_post r;
        MPIXX_COLL(v.count, MPI_Ibcast, v.ptr, count_t(v.count), v.type, root, comm_, &r);
        return request<owned_t<S>>(r, std::move(p));
    }

    // ---- iscatter / igather ------------------------------------------------------------------------

    /// Starts a scatter of the root's `sendbuf` in blocks of recvbuf's size (MPI_Iscatter).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R>
    [[nodiscard]] request<> iscatter(S&& sendbuf, R&& recvbuf, int root) const {
        check_intra("mpixx::iscatter");
        check_root(root, "mpixx::iscatter");
        auto r = view(recvbuf);
        const auto sb = scatter_block(std::as_const(sendbuf), r, root, "mpixx::iscatter");
        coll_post q;
        MPIXX_COLL(std::max(sb.count, r.count), MPI_Iscatter, sb.ptr, count_t(sb.count), sb.type, r.ptr, count_t(r.count),
                   r.type, root, comm_, &q);
        return request<>(q);
    }
    /// Starts an in-place scatter: at the root `buf` is the whole send buffer (its own block stays in
    /// place); elsewhere it receives one block of its own size.
    template <class R>
        requires recv_target<R&&>
    [[nodiscard]] request<> iscatter(in_place_t, R&& buf, int root) const {
        check_intra("mpixx::iscatter");
        check_root(root, "mpixx::iscatter");
        auto b = view(buf);
        coll_post q;
        if (rank_ == root) {
            const std::size_t n = root_block("mpixx::iscatter", b.count, b.type);
            MPIXX_COLL(n, MPI_Iscatter, b.ptr, count_t(n), b.type, MPI_IN_PLACE, count_t(n), b.type, root, comm_, &q);
        } else {
            MPIXX_COLL(b.count, MPI_Iscatter, nullptr, count_t(b.count), b.type, b.ptr, count_t(b.count), b.type, root,
                       comm_, &q);
        }
        return request<>(q);
    }
    /// Starts a scatter of one element per rank from the root's `sendbuf` (owned by the request);
    /// wait() returns this rank's element.
    template <class S>
        requires contiguous_buffer<const std::remove_cvref_t<S>&>
    [[nodiscard]] request<elem_t<S>> iscatter(S&& sendbuf, int root) const {
        check_intra("mpixx::iscatter");
        check_root(root, "mpixx::iscatter");
        using E = elem_t<S>;
        auto p = detail::make_box<coll_payload<E, owned_t<S>>>();
        const MPI_Datatype type = datatype<E>();
        if (rank_ == root) p->send = own(std::forward<S>(sendbuf));
        const void* sp = scatter_source(p->send, 1, root, "mpixx::iscatter");
        coll_post q;
        MPIXX_ICOLL(MPI_Iscatter, sp, 1, type, &p->result, 1, type, root, comm_, &q);
        return request<E>(q, std::move(p));
    }

    /// Starts a gather of every rank's `sendbuf` into the root's `recvbuf` (MPI_Igather).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R>
    [[nodiscard]] request<> igather(S&& sendbuf, R&& recvbuf, int root) const {
        check_intra("mpixx::igather");
        check_root(root, "mpixx::igather");
        auto s = send_view(sendbuf);
        const auto rb = gather_block(recvbuf, s, root, "mpixx::igather");
        coll_post q;
        MPIXX_COLL(std::max(s.count, rb.count), MPI_Igather, s.ptr, count_t(s.count), s.type, rb.ptr, count_t(rb.count),
                   rb.type, root, comm_, &q);
        return request<>(q);
    }
    /// Starts an in-place gather: at the root `buf` is the whole receive buffer with its own block
    /// already in place; elsewhere it is the block to send.
    template <class R>
        requires recv_target<R&&>
    [[nodiscard]] request<> igather(in_place_t, R&& buf, int root) const {
        check_intra("mpixx::igather");
        check_root(root, "mpixx::igather");
        auto b = view(buf);
        coll_post q;
        if (rank_ == root) {
            const std::size_t n = root_block("mpixx::igather", b.count, b.type);
            MPIXX_COLL(n, MPI_Igather, MPI_IN_PLACE, count_t(n), b.type, b.ptr, count_t(n), b.type, root, comm_, &q);
        } else {
            MPIXX_COLL(b.count, MPI_Igather, b.ptr, count_t(b.count), b.type, nullptr, count_t(b.count), b.type, root,
                       comm_, &q);
        }
        return request<>(q);
    }
    /// Starts a gather of `sendbuf` (owned by the request); wait() returns the concatenation in rank
    /// order at the root and an empty vector elsewhere.
    template <class S>
        requires send_buffer<S> && (!is_layout_v<S>)
    [[nodiscard]] request<std::vector<elem_t<S>>> igather(S&& sendbuf, int root) const {
        check_intra("mpixx::igather");
        check_root(root, "mpixx::igather");
        auto p = detail::make_box<vec_payload<elem_t<S>, owned_t<S>>>();
        p->send = own(std::forward<S>(sendbuf));
        auto s = view(p->send);
        if (rank_ == root) p->result.resize(s.count * static_cast<std::size_t>(size_));
        coll_post q;
        MPIXX_COLL(s.count, MPI_Igather, s.ptr, count_t(s.count), s.type, p->result.data(), count_t(s.count), s.type,
                   root, comm_, &q);
        return request<std::vector<elem_t<S>>>(q, std::move(p));
    }

    // ---- iallgather / ialltoall --------------------------------------------------------------------

    /// Starts an allgather into the caller's `recvbuf` (MPI_Iallgather).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R>
    [[nodiscard]] request<> iallgather(S&& sendbuf, R&& recvbuf) const {
        check_intra("mpixx::iallgather");
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        const auto rb = split_blocks("mpixx::iallgather", "the receive buffer", r, s, size_, true);
        coll_post q;
        MPIXX_COLL(std::max(s.count, rb.count), MPI_Iallgather, s.ptr, count_t(s.count), s.type, r.ptr, count_t(rb.count),
                   rb.type, comm_, &q);
        return request<>(q);
    }
    /// Starts an in-place allgather: `buf` holds size() blocks, this rank's already in place.
    template <class R>
        requires recv_target<R&&>
    [[nodiscard]] request<> iallgather(in_place_t, R&& buf) const {
        check_intra("mpixx::iallgather");
        auto b = view(buf);
        const std::size_t n = root_block("mpixx::iallgather", b.count, b.type);
        coll_post q;
        MPIXX_COLL(n, MPI_Iallgather, MPI_IN_PLACE, count_t(n), b.type, b.ptr, count_t(n), b.type, comm_, &q);
        return request<>(q);
    }
    /// Starts an allgather of `sendbuf` (owned by the request); wait() returns the concatenation.
    template <class S>
        requires send_buffer<S> && (!is_layout_v<S>)
    [[nodiscard]] request<std::vector<elem_t<S>>> iallgather(S&& sendbuf) const {
        check_intra("mpixx::iallgather");
        auto p = detail::make_box<vec_payload<elem_t<S>, owned_t<S>>>();
        p->send = own(std::forward<S>(sendbuf));
        auto s = view(p->send);
        p->result.resize(s.count * static_cast<std::size_t>(size_));
        coll_post q;
        MPIXX_COLL(s.count, MPI_Iallgather, s.ptr, count_t(s.count), s.type, p->result.data(), count_t(s.count), s.type,
                   comm_, &q);
        return request<std::vector<elem_t<S>>>(q, std::move(p));
    }

    /// Starts an alltoall of size() equal blocks (MPI_Ialltoall).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R>
    [[nodiscard]] request<> ialltoall(S&& sendbuf, R&& recvbuf) const {
        check_intra("mpixx::ialltoall");
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        const std::size_t n = root_block("mpixx::ialltoall", s.count, s.type);
        const auto rb = alltoall_block("mpixx::ialltoall", s, n, r);
        coll_post q;
        MPIXX_COLL(std::max(n, rb.count), MPI_Ialltoall, s.ptr, count_t(n), s.type, r.ptr, count_t(rb.count), rb.type,
                   comm_, &q);
        return request<>(q);
    }
    /// Starts an alltoall of `sendbuf` (owned by the request); wait() returns the blocks received.
    template <class S>
        requires send_buffer<S> && (!is_layout_v<S>)
    [[nodiscard]] request<std::vector<elem_t<S>>> ialltoall(S&& sendbuf) const {
        check_intra("mpixx::ialltoall");
        auto p = detail::make_box<vec_payload<elem_t<S>, owned_t<S>>>();
        p->send = own(std::forward<S>(sendbuf));
        auto s = view(p->send);
        const std::size_t n = root_block("mpixx::ialltoall", s.count, s.type);
        p->result.resize(s.count);
        coll_post q;
        MPIXX_COLL(n, MPI_Ialltoall, s.ptr, count_t(n), s.type, p->result.data(), count_t(n), s.type, comm_, &q);
        return request<std::vector<elem_t<S>>>(q, std::move(p));
    }

    // ---- ireduce -----------------------------------------------------------------------------------

    /// Starts a reduction of every rank's `sendbuf` into the root's `recvbuf` (MPI_Ireduce).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> &&
                 view_reduction<S, Op> && view_reduction<R, Op>
    [[nodiscard]] request<> ireduce(S&& sendbuf, R&& recvbuf, Op&& op, int root) const {
        check_intra("mpixx::ireduce");
        check_root(root, "mpixx::ireduce");
        auto s = send_view(sendbuf);
        void* rp = nullptr;
        if (rank_ == root) {
            auto r = view(recvbuf);
            if (r.count < s.count) [[unlikely]]
                throw_coll_truncate("mpixx::ireduce", s.count, r.count, r.type);
            rp = r.ptr;
        }
        const std::size_t n = s.count, nr = rp ? n : 0;
        return start_reduction<elem_t<S>>(std::forward<Op>(op), s.ptr, n, rp, nr, nr, n, "mpixx::ireduce",
                                          [&](const void* sp, void* r, MPI_Op o, MPI_Datatype t, coll_post* q) {
                                              MPIXX_COLL(n, MPI_Ireduce, sp, r, count_t(n), t, o, root, comm_, q);
                                          });
    }
    /// Starts an in-place reduction: at the root `buf` is contribution and result, elsewhere contribution.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    [[nodiscard]] request<> ireduce(in_place_t, R&& buf, Op&& op, int root) const {
        check_intra("mpixx::ireduce");
        check_root(root, "mpixx::ireduce");
        auto b = view(buf);
        const std::size_t n = b.count;
        const auto post = [&](const void* sp, void* r, MPI_Op o, MPI_Datatype t, coll_post* q) {
            MPIXX_COLL(n, MPI_Ireduce, sp, r, count_t(n), t, o, root, comm_, q);
        };
        if (rank_ == root)
            return start_reduction<elem_t<R>>(std::forward<Op>(op), MPI_IN_PLACE, 0, b.ptr, n, n, n, "mpixx::ireduce",
                                              post);
        return start_reduction<elem_t<R>>(std::forward<Op>(op), b.ptr, n, nullptr, 0, 0, n, "mpixx::ireduce", post);
    }
    /// Starts a reduction of `value` (owned by the request); wait() returns the result at the root and
    /// a value-initialised value or an empty container elsewhere.
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] request<owned_t<S>> ireduce(S&& value, Op&& op, int root) const {
        check_intra("mpixx::ireduce");
        check_root(root, "mpixx::ireduce");
        using E = elem_t<S>;
        const bool at_root = rank_ == root;
        coll_post q;
        if constexpr (op_may_throw<Op, E>) {
            auto p = detail::make_box<flagged_payload<owned_t<S>, E, held_for<Op, E>>>();
            auto v = send_view(value);
            const std::size_t n = v.count;
            (at_root ? p->recv : p->send) = flag_copy<E>(v.ptr, n);
            p->nresult = at_root ? n : 0;
            p->routine = "mpixx::ireduce";
            auto [o, t] = bind_op<E>(std::forward<Op>(op), p->held, n, rank_ + 1);
            MPIXX_COLL(n, MPI_Ireduce, at_root ? MPI_IN_PLACE : p->send.data(), at_root ? p->recv.data() : nullptr,
                       count_t(n), t, o, root, comm_, &q);
            return request<owned_t<S>>(q, std::move(p));
        } else {
            auto p = detail::make_box<coll_payload<owned_t<S>, owned_t<S>, held_for<Op, E>>>();
            if (at_root) p->result = own(std::forward<S>(value));
            else p->send = own(std::forward<S>(value));
            auto b = view(at_root ? p->result : p->send);
            auto [o, t] = bind_op<E>(std::forward<Op>(op), p->held, b.count);
            MPIXX_COLL(b.count, MPI_Ireduce, at_root ? MPI_IN_PLACE : b.ptr, at_root ? b.ptr : nullptr,
                       count_t(b.count), t, o, root, comm_, &q);
            return request<owned_t<S>>(q, std::move(p));
        }
    }

    // ---- iallreduce, iscan, iexscan ----------------------------------------------------------------

    /// Starts an allreduce into the caller's `recvbuf` (MPI_Iallreduce).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> &&
                 view_reduction<S, Op> && view_reduction<R, Op>
    [[nodiscard]] request<> iallreduce(S&& sendbuf, R&& recvbuf, Op&& op) const {
        return ireduce_all<kind::allreduce>(std::as_const(sendbuf), recvbuf, std::forward<Op>(op));
    }
    /// Starts an in-place allreduce on `buf`.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    [[nodiscard]] request<> iallreduce(in_place_t, R&& buf, Op&& op) const {
        return ireduce_all<kind::allreduce>(in_place, buf, std::forward<Op>(op));
    }
    /// Starts an allreduce of `value` (moved in or copied); wait() returns the result.
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] request<owned_t<S>> iallreduce(S&& value, Op&& op) const {
        return ireduce_all_value<kind::allreduce>(std::forward<S>(value), std::forward<Op>(op));
    }

    /// Starts an inclusive prefix reduction into `recvbuf` (MPI_Iscan).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> &&
                 view_reduction<S, Op> && view_reduction<R, Op>
    [[nodiscard]] request<> iscan(S&& sendbuf, R&& recvbuf, Op&& op) const {
        return ireduce_all<kind::scan>(std::as_const(sendbuf), recvbuf, std::forward<Op>(op));
    }
    /// Starts an in-place inclusive scan on `buf`.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    [[nodiscard]] request<> iscan(in_place_t, R&& buf, Op&& op) const {
        return ireduce_all<kind::scan>(in_place, buf, std::forward<Op>(op));
    }
    /// Starts an inclusive scan of `value` (owned); wait() returns the reduction of ranks 0..rank().
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] request<owned_t<S>> iscan(S&& value, Op&& op) const {
        return ireduce_all_value<kind::scan>(std::forward<S>(value), std::forward<Op>(op));
    }

    /// Starts an exclusive prefix reduction into `recvbuf` (MPI_Iexscan; rank 0's is left undefined).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> &&
                 view_reduction<S, Op> && view_reduction<R, Op>
    [[nodiscard]] request<> iexscan(S&& sendbuf, R&& recvbuf, Op&& op) const {
        return ireduce_all<kind::exscan>(std::as_const(sendbuf), recvbuf, std::forward<Op>(op));
    }
    /// Starts an in-place exclusive scan on `buf` (rank 0's is left undefined).
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    [[nodiscard]] request<> iexscan(in_place_t, R&& buf, Op&& op) const {
        return ireduce_all<kind::exscan>(in_place, buf, std::forward<Op>(op));
    }
    /// Starts an exclusive scan of `value` (owned); wait() returns the reduction of ranks 0..rank()-1
    /// (value-initialised on rank 0).
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] request<owned_t<S>> iexscan(S&& value, Op&& op) const {
        return ireduce_all_value<kind::exscan>(std::forward<S>(value), std::forward<Op>(op));
    }

    // ---- ireduce_scatter ---------------------------------------------------------------------------

    /// Starts a reduce_scatter_block into `recvbuf` (MPI_Ireduce_scatter_block).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> &&
                 view_reduction<S, Op> && view_reduction<R, Op>
    [[nodiscard]] request<> ireduce_scatter_block(S&& sendbuf, R&& recvbuf, Op&& op) const {
        check_intra("mpixx::ireduce_scatter_block");
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        if (s.count != r.count * static_cast<std::size_t>(size_)) [[unlikely]]
            throw_coll_count("mpixx::ireduce_scatter_block", "the send buffer", s.count,
                             r.count * static_cast<std::size_t>(size_), s.type);
        const std::size_t n = r.count;
        return start_reduction<elem_t<S>>(std::forward<Op>(op), s.ptr, s.count, r.ptr, n, n, s.count,
                                          "mpixx::ireduce_scatter_block",
                                          [&](const void* sp, void* rp, MPI_Op o, MPI_Datatype t, coll_post* q) {
                                              MPIXX_COLL(n, MPI_Ireduce_scatter_block, sp, rp, count_t(n), t, o, comm_,
                                                         q);
                                          });
    }
    /// Starts an in-place reduce_scatter_block: `buf` holds size() blocks; this rank's lands at its front.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && view_reduction<R, Op>
    [[nodiscard]] request<> ireduce_scatter_block(in_place_t, R&& buf, Op&& op) const {
        check_intra("mpixx::ireduce_scatter_block");
        auto b = view(buf);
        const std::size_t n = root_block("mpixx::ireduce_scatter_block", b.count, b.type);
        return start_reduction<elem_t<R>>(std::forward<Op>(op), MPI_IN_PLACE, 0, b.ptr, b.count, n, b.count,
                                          "mpixx::ireduce_scatter_block",
                                          [&](const void* sp, void* rp, MPI_Op o, MPI_Datatype t, coll_post* q) {
                                              MPIXX_COLL(n, MPI_Ireduce_scatter_block, sp, rp, count_t(n), t, o, comm_,
                                                         q);
                                          });
    }
    /// Starts a reduce_scatter_block of `sendbuf` (owned); wait() returns this rank's block.
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>> && (!is_layout_v<S>)
    [[nodiscard]] request<std::vector<elem_t<S>>> ireduce_scatter_block(S&& sendbuf, Op&& op) const {
        check_intra("mpixx::ireduce_scatter_block");
        using E = elem_t<S>;
        coll_post q;
        if constexpr (op_may_throw<Op, E>) {
            auto p = detail::make_box<flagged_payload<std::vector<E>, E, held_for<Op, E>>>();
            auto s = send_view(sendbuf);
            const std::size_t n = root_block("mpixx::ireduce_scatter_block", s.count, s.type);
            p->send = flag_copy<E>(s.ptr, s.count);
            p->recv.resize(n);
            p->nresult = n;
            p->routine = "mpixx::ireduce_scatter_block";
            auto [o, t] = bind_op<E>(std::forward<Op>(op), p->held, s.count, rank_ + 1);
            MPIXX_COLL(n, MPI_Ireduce_scatter_block, p->send.data(), p->recv.data(), count_t(n), t, o, comm_, &q);
            return request<std::vector<E>>(q, std::move(p));
        } else {
            auto p = detail::make_box<vec_payload<E, owned_t<S>, held_for<Op, E>>>();
            p->send = own(std::forward<S>(sendbuf));
            auto s = view(p->send);
            const std::size_t n = root_block("mpixx::ireduce_scatter_block", s.count, s.type);
            p->result.resize(n);
            auto [o, t] = bind_op<E>(std::forward<Op>(op), p->held, s.count);
            MPIXX_COLL(n, MPI_Ireduce_scatter_block, s.ptr, p->result.data(), count_t(n), t, o, comm_, &q);
            return request<std::vector<E>>(q, std::move(p));
        }
    }
    /// Starts a reduce_scatter with counts[i] elements for rank i (MPI_Ireduce_scatter); `counts` must
    /// stay alive until the request completes.
    template <class S, class R, class C, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> &&
                 count_target<C&&> && view_reduction<S, Op> && view_reduction<R, Op>
    [[nodiscard]] request<> ireduce_scatter(S&& sendbuf, R&& recvbuf, C&& counts_, Op&& op) const {
        check_intra("mpixx::ireduce_scatter");
        const std::span<const int> counts(counts_);
        auto s = send_view(sendbuf);
        auto r = view(recvbuf);
        const std::size_t total = check_reduce_scatter_counts(counts, s.count, s.type);
        const auto mine = own_size(counts);
        if (r.count < mine) [[unlikely]]
            throw_coll_truncate("mpixx::ireduce_scatter", mine, r.count, r.type);
        return start_reduction<elem_t<S>>(std::forward<Op>(op), s.ptr, total, r.ptr, mine, mine, total,
                                          "mpixx::ireduce_scatter",
                                          [&](const void* sp, void* rp, MPI_Op o, MPI_Datatype t, coll_post* q) {
                                              MPIXX_ICOLL(MPI_Ireduce_scatter, sp, rp, counts.data(), t, o, comm_, q);
                                          });
    }
    /// Starts an in-place reduce_scatter: `buf` holds sum(counts) elements; this rank's part lands at
    /// its front. `counts` must stay alive until the request completes.
    template <class R, class C, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>> && count_target<C&&> && view_reduction<R, Op>
    [[nodiscard]] request<> ireduce_scatter(in_place_t, R&& buf, C&& counts_, Op&& op) const {
        check_intra("mpixx::ireduce_scatter");
        const std::span<const int> counts(counts_);
        auto b = view(buf);
        const std::size_t total = check_reduce_scatter_counts(counts, b.count, b.type);
        return start_reduction<elem_t<R>>(std::forward<Op>(op), MPI_IN_PLACE, 0, b.ptr, total,
                                          own_size(counts), total, "mpixx::ireduce_scatter",
                                          [&](const void* sp, void* rp, MPI_Op o, MPI_Datatype t, coll_post* q) {
                                              MPIXX_ICOLL(MPI_Ireduce_scatter, sp, rp, counts.data(), t, o, comm_, q);
                                          });
    }

protected:
    using nonblocking_vector_layer::nonblocking_vector_layer;

private:
    /// The block size of a buffer that holds size() equal blocks (MPI_ERR_COUNT when it does not split).
    std::size_t root_block(const char* routine, std::size_t count, MPI_Datatype type) const {
        if (count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible(routine, "the buffer", count, size_, type);
        return count / static_cast<std::size_t>(size_);
    }

    /// Starts a reduction on the caller's buffers: `post(send, recv, op, type, &request)` with `send`
    /// (nsend elements, or MPI_IN_PLACE) and `recv` (nrecv elements that MPI writes, and reads too in
    /// place; the first nresult are this rank's result); `count` sizes the op. A built-in op needs no
    /// payload (nothing allocated); a user op is copied into the request's payload and, when it may
    /// throw, reduces flagged copies of the buffers (flagged_payload), copied back on completion.
    template <class T, class Op, class Post>
    request<> start_reduction(Op&& op, const void* send, std::size_t nsend, void* recv, std::size_t nrecv,
                              std::size_t nresult, std::size_t count, const char* routine, Post&& post) const {
        coll_post q;
        if constexpr (builtin_reduction<Op, T>) {
            op_binding<std::remove_reference_t<Op>, T> b(op, count);
            post(send, recv, b.op(), b.type(), &q);
            return request<>(q);
        } else if constexpr (!op_may_throw<Op, T>) {
            auto p = detail::make_box<op_payload<held_for<Op, T>>>();
            auto [o, t] = bind_op<T>(std::forward<Op>(op), p->held, count);
            post(send, recv, o, t, &q);
            return request<>(q, std::move(p));
        } else {
            auto p = detail::make_box<flagged_payload<void, T, held_for<Op, T>>>();
            const bool in_place = send == MPI_IN_PLACE;
            if (!in_place) p->send = flag_copy<T>(send, nsend);
            p->recv = in_place ? flag_copy<T>(recv, nrecv) : std::vector<flagged<T>>(nrecv);
            p->out = static_cast<T*>(recv);
            p->nresult = nresult;
            p->routine = routine;
            auto [o, t] = bind_op<T>(std::forward<Op>(op), p->held, count, rank_ + 1);
            post(in_place ? MPI_IN_PLACE : p->send.data(), recv ? p->recv.data() : nullptr, o, t, &q);
            return request<>(q, std::move(p));
        }
    }

    template <kind K>
    void post_reduce_all(const void* s, void* r, std::size_t n, MPI_Datatype t, MPI_Op op, coll_post* q) const {
        if constexpr (K == kind::allreduce) MPIXX_COLL(n, MPI_Iallreduce, s, r, count_t(n), t, op, comm_, q);
        else if constexpr (K == kind::scan) MPIXX_COLL(n, MPI_Iscan, s, r, count_t(n), t, op, comm_, q);
        else MPIXX_COLL(n, MPI_Iexscan, s, r, count_t(n), t, op, comm_, q);
    }

    template <kind K>
    static constexpr const char* ireduce_all_name() {
        if constexpr (K == kind::allreduce) return "mpixx::iallreduce";
        else if constexpr (K == kind::scan) return "mpixx::iscan";
        else return "mpixx::iexscan";
    }

    template <kind K, class S, class R, class Op>
    request<> ireduce_all(const S& sendbuf, R& recvbuf, Op&& op) const {
        check_intra(ireduce_all_name<K>());
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        if (r.count < s.count) [[unlikely]]
            throw_coll_truncate(ireduce_all_name<K>(), s.count, r.count, r.type);
        const std::size_t n = s.count;
        // exscan leaves rank 0's result undefined: nothing there to check
        const std::size_t nresult = K == kind::exscan && rank_ == 0 ? 0 : n;
        return start_reduction<elem_t<S>>(std::forward<Op>(op), s.ptr, n, r.ptr, n, nresult, n, ireduce_all_name<K>(),
                                          [&](const void* sp, void* rp, MPI_Op o, MPI_Datatype t, coll_post* q) {
                                              post_reduce_all<K>(sp, rp, n, t, o, q);
                                          });
    }

    template <kind K, class R, class Op>
    request<> ireduce_all(in_place_t, R& buf, Op&& op) const {
        check_intra(ireduce_all_name<K>());
        auto b = view(buf);
        const std::size_t n = b.count;
        const std::size_t nresult = K == kind::exscan && rank_ == 0 ? 0 : n;
        return start_reduction<elem_t<R>>(std::forward<Op>(op), MPI_IN_PLACE, 0, b.ptr, n, nresult, n,
                                          ireduce_all_name<K>(),
                                          [&](const void* sp, void* rp, MPI_Op o, MPI_Datatype t, coll_post* q) {
                                              post_reduce_all<K>(sp, rp, n, t, o, q);
                                          });
    }

    /// Value form: the request owns the buffer (reduced in place) and the user op.
    template <kind K, class S, class Op>
    request<owned_t<S>> ireduce_all_value(S&& value, Op&& op) const {
        check_intra(ireduce_all_name<K>());
        using E = elem_t<S>;
        coll_post q;
        if constexpr (op_may_throw<Op, E>) {
            auto p = detail::make_box<flagged_payload<owned_t<S>, E, held_for<Op, E>>>();
            auto v = send_view(value);
            const std::size_t n = v.count;
            const bool clear = K == kind::exscan && rank_ == 0;
            p->recv = flag_copy<E>(v.ptr, n);
            p->result = own(std::forward<S>(value)); // its shape: exscan's rank 0 returns n zeros
            p->nresult = clear ? 0 : n;
            p->clear = clear;
            p->routine = ireduce_all_name<K>();
            auto [o, t] = bind_op<E>(std::forward<Op>(op), p->held, n, rank_ + 1);
            post_reduce_all<K>(MPI_IN_PLACE, p->recv.data(), n, t, o, &q);
            return request<owned_t<S>>(q, std::move(p));
        } else {
            auto p = detail::make_box<exscan_payload<owned_t<S>, held_for<Op, E>, K == kind::exscan>>();
            p->result = own(std::forward<S>(value));
            p->rank0 = rank_ == 0;
            auto b = view(p->result);
            auto [o, t] = bind_op<E>(std::forward<Op>(op), p->held, b.count);
            post_reduce_all<K>(MPI_IN_PLACE, b.ptr, b.count, t, o, &q);
            return request<owned_t<S>>(q, std::move(p));
        }
    }

    /// Payload of a value-form allreduce/scan/exscan; for exscan rank 0's undefined result is cleared.
    template <class Result, class Held, bool Exscan>
    struct exscan_payload final : request_payload<Result> {
        Result result{};
        std::optional<Held> held;
        bool rank0 = false;
        Result finish(const MPI_Status&) override {
            if constexpr (!std::is_same_v<Held, std::monostate>)
                if (held) held->binding.rethrow();
            if constexpr (Exscan)
                if (rank0) value_initialise(result);
            return std::move(result);
        }
    };
};

} // namespace mpixx::detail

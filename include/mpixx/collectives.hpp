// mpixx/collectives.hpp - blocking and non-blocking collectives with op functors.
//
// The blocking collectives live in detail/collectives_blocking.hpp and detail/collectives_vector.hpp
// (v-variants), the ops in ops.hpp. This header adds
// the non-blocking ones (ibarrier, ibcast, iscatter, igather, iallgather, ialltoall, ireduce,
// iallreduce, iscan, iexscan, ireduce_scatter_block and the explicit-count v-variants), each returning
// an mpixx::request that waits in its destructor:
//   - into-buffer forms work on the caller's buffers (and count arrays), which must stay alive and
//     untouched until the request completes, as in MPI; with a built-in op they allocate nothing;
//   - value forms (the caller passes values: an rvalue is moved in, an lvalue is copied) return a
//     request<T> that owns every buffer; wait() hands out the result.
// A user-defined op is copied into the request and its MPI_Op lives until the operation completes; an
// exception the op threw is rethrown by wait().
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/collectives_vector.hpp>
#include <mpixx/ops.hpp>
#include <mpixx/request.hpp>

#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// A copy of a user callable and its MPI_Op, kept until a non-blocking reduction completes.
template <class F, class T>
struct held_op {
    F fn;
    op_binding<F, T> binding;
    template <class G>
    held_op(G&& g, std::size_t n) : fn(std::forward<G>(g)), binding(fn, n) {}
};

/// What a non-blocking reduction must keep: nothing for a built-in op, the held_op otherwise.
template <class Op, class T>
using held_for = std::conditional_t<builtin_reduction<Op, T>, std::monostate, held_op<std::decay_t<Op>, T>>;

/// Owns a non-blocking collective's buffers (result, copy of the send buffer) and user op until it
/// completes; finish() rethrows what the op threw, then hands out the result.
template <class Result, class Send = std::monostate, class Held = std::monostate>
struct coll_payload final : request_payload<Result> {
    Result result{};
    Send send{};
    std::optional<Held> held;

    Result finish(const MPI_Status&) override {
        if constexpr (!std::is_same_v<Held, std::monostate>)
            if (held) held->binding.rethrow();
        return std::move(result);
    }
};

/// Keeps the user op of an into-buffer non-blocking reduction alive until it completes.
template <class Held>
struct op_payload final : request_payload<void> {
    std::optional<Held> held;
    void finish(const MPI_Status&) override { held->binding.rethrow(); }
};

/// The MPI_Op and datatype for reducing T with `op`; a user op is emplaced into `held` (which must live
/// until the operation completes).
template <class T, class Op, class Held>
std::pair<MPI_Op, MPI_Datatype> bind_op(Op&& op, std::optional<Held>& held, std::size_t n) {
    if constexpr (builtin_reduction<Op, T>) {
        op_binding<std::remove_reference_t<Op>, T> b(op, n);
        return {b.op(), b.type()};
    } else {
        held.emplace(std::forward<Op>(op), n);
        return {held->binding.op(), held->binding.type()};
    }
}

/// `s` as an owned_t<S>: moved when it is an rvalue of that type, copied otherwise.
template <class S>
owned_t<S> own(S&& s) {
    if constexpr (std::is_same_v<owned_t<S>, std::remove_cvref_t<S>> && !std::is_lvalue_reference_v<S>)
        return std::move(s);
    else return make_owned(s);
}

/// Layer of the communicator: blocking and non-blocking collectives with op functors.
class collective_layer : public vector_collective_layer {
public:
    /// Starts a barrier (MPI_Ibarrier).
    [[nodiscard]] request<> ibarrier() const {
        MPI_Request r = MPI_REQUEST_NULL;
        MPIXX_CALL(MPI_Ibarrier, comm_, &r);
        return request<>(r);
    }

    // ---- ibcast ------------------------------------------------------------------------------------

    /// Starts a broadcast of the root's buffer into every rank's buffer, in place (MPI_Ibcast).
    template <class B>
        requires recv_target<B&&>
    [[nodiscard]] request<> ibcast(B&& buf, int root) const {
        check_root(root, "mpixx::ibcast");
        auto v = view(buf);
        MPI_Request r = MPI_REQUEST_NULL;
        MPIXX_COLL(v.count, MPI_Ibcast, v.ptr, count_t(v.count), v.type, root, comm_, &r);
        return request<>(r);
    }
    /// Starts a broadcast into a buffer the request owns (moved in or copied; same size on every rank);
    /// wait() returns it holding the root's data.
    template <class S>
        requires send_buffer<S> && (!recv_target<S &&>)
    [[nodiscard]] request<owned_t<S>> ibcast(S&& value, int root) const {
        check_root(root, "mpixx::ibcast");
        auto p = std::make_unique<coll_payload<owned_t<S>>>();
        p->result = own(std::forward<S>(value));
        auto v = view(p->result);
        MPI_Request r = MPI_REQUEST_NULL;
        MPIXX_COLL(v.count, MPI_Ibcast, v.ptr, count_t(v.count), v.type, root, comm_, &r);
        return request<owned_t<S>>(r, std::move(p));
    }

    // ---- iscatter / igather ------------------------------------------------------------------------

    /// Starts a scatter of the root's `sendbuf` in blocks of recvbuf's size (MPI_Iscatter).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R>
    [[nodiscard]] request<> iscatter(S&& sendbuf, R&& recvbuf, int root) const {
        check_root(root, "mpixx::iscatter");
        auto r = view(recvbuf);
        const void* sp = scatter_source(sendbuf, r.count, root, "mpixx::iscatter");
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(r.count, MPI_Iscatter, sp, count_t(r.count), r.type, r.ptr, count_t(r.count), r.type, root, comm_, &q);
        return request<>(q);
    }
    /// Starts a scatter of one element per rank from the root's `sendbuf` (owned by the request);
    /// wait() returns this rank's element.
    template <class S>
        requires contiguous_buffer<const std::remove_cvref_t<S>&>
    [[nodiscard]] request<elem_t<S>> iscatter(S&& sendbuf, int root) const {
        check_root(root, "mpixx::iscatter");
        using E = elem_t<S>;
        auto p = std::make_unique<coll_payload<E, owned_t<S>>>();
        const MPI_Datatype type = datatype<E>();
        if (rank_ == root) p->send = own(std::forward<S>(sendbuf));
        const void* sp = scatter_source(p->send, 1, root, "mpixx::iscatter");
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_CALL(MPI_Iscatter, sp, 1, type, &p->result, 1, type, root, comm_, &q);
        return request<E>(q, std::move(p));
    }

    /// Starts a gather of every rank's `sendbuf` into the root's `recvbuf` (MPI_Igather).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R>
    [[nodiscard]] request<> igather(S&& sendbuf, R&& recvbuf, int root) const {
        check_root(root, "mpixx::igather");
        auto s = view(sendbuf);
        void* rp = gather_target(recvbuf, s.count, root, "mpixx::igather");
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(s.count, MPI_Igather, s.ptr, count_t(s.count), s.type, rp, count_t(s.count), s.type, root, comm_, &q);
        return request<>(q);
    }
    /// Starts a gather of `sendbuf` (owned by the request); wait() returns the concatenation in rank
    /// order at the root and an empty vector elsewhere.
    template <class S>
        requires send_buffer<S>
    [[nodiscard]] request<std::vector<elem_t<S>>> igather(S&& sendbuf, int root) const {
        check_root(root, "mpixx::igather");
        auto p = std::make_unique<coll_payload<std::vector<elem_t<S>>, owned_t<S>>>();
        p->send = own(std::forward<S>(sendbuf));
        auto s = view(p->send);
        if (rank_ == root) p->result.resize(s.count * static_cast<std::size_t>(size_));
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(s.count, MPI_Igather, s.ptr, count_t(s.count), s.type, p->result.data(), count_t(s.count), s.type,
                   root, comm_, &q);
        return request<std::vector<elem_t<S>>>(q, std::move(p));
    }

    // ---- iallgather / ialltoall --------------------------------------------------------------------

    /// Starts an allgather into the caller's `recvbuf` (MPI_Iallgather).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R>
    [[nodiscard]] request<> iallgather(S&& sendbuf, R&& recvbuf) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        const std::size_t need = s.count * static_cast<std::size_t>(size_);
        if (r.count < need) [[unlikely]]
            throw_coll_truncate("mpixx::iallgather", need, r.count, r.type);
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(s.count, MPI_Iallgather, s.ptr, count_t(s.count), s.type, r.ptr, count_t(s.count), r.type, comm_, &q);
        return request<>(q);
    }
    /// Starts an in-place allgather: `buf` holds size() blocks, this rank's already in place.
    template <class R>
        requires recv_target<R&&>
    [[nodiscard]] request<> iallgather(in_place_t, R&& buf) const {
        auto b = view(buf);
        if (b.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::iallgather", "the buffer", b.count, size_, b.type);
        const std::size_t n = b.count / static_cast<std::size_t>(size_);
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(n, MPI_Iallgather, MPI_IN_PLACE, count_t(n), b.type, b.ptr, count_t(n), b.type, comm_, &q);
        return request<>(q);
    }
    /// Starts an allgather of `sendbuf` (owned by the request); wait() returns the concatenation.
    template <class S>
        requires send_buffer<S>
    [[nodiscard]] request<std::vector<elem_t<S>>> iallgather(S&& sendbuf) const {
        auto p = std::make_unique<coll_payload<std::vector<elem_t<S>>, owned_t<S>>>();
        p->send = own(std::forward<S>(sendbuf));
        auto s = view(p->send);
        p->result.resize(s.count * static_cast<std::size_t>(size_));
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(s.count, MPI_Iallgather, s.ptr, count_t(s.count), s.type, p->result.data(), count_t(s.count), s.type,
                   comm_, &q);
        return request<std::vector<elem_t<S>>>(q, std::move(p));
    }

    /// Starts an alltoall of size() equal blocks (MPI_Ialltoall).
    template <class S, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R>
    [[nodiscard]] request<> ialltoall(S&& sendbuf, R&& recvbuf) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        if (s.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::ialltoall", "the send buffer", s.count, size_, s.type);
        if (r.count < s.count) [[unlikely]]
            throw_coll_truncate("mpixx::ialltoall", s.count, r.count, r.type);
        const std::size_t n = s.count / static_cast<std::size_t>(size_);
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(n, MPI_Ialltoall, s.ptr, count_t(n), s.type, r.ptr, count_t(n), r.type, comm_, &q);
        return request<>(q);
    }
    /// Starts an alltoall of `sendbuf` (owned by the request); wait() returns the blocks received.
    template <class S>
        requires send_buffer<S>
    [[nodiscard]] request<std::vector<elem_t<S>>> ialltoall(S&& sendbuf) const {
        auto p = std::make_unique<coll_payload<std::vector<elem_t<S>>, owned_t<S>>>();
        p->send = own(std::forward<S>(sendbuf));
        auto s = view(p->send);
        if (s.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::ialltoall", "the send buffer", s.count, size_, s.type);
        p->result.resize(s.count);
        const std::size_t n = s.count / static_cast<std::size_t>(size_);
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(n, MPI_Ialltoall, s.ptr, count_t(n), s.type, p->result.data(), count_t(n), s.type, comm_, &q);
        return request<std::vector<elem_t<S>>>(q, std::move(p));
    }

    // ---- ireduce -----------------------------------------------------------------------------------

    /// Starts a reduction of every rank's `sendbuf` into the root's `recvbuf` (MPI_Ireduce).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<> ireduce(S&& sendbuf, R&& recvbuf, Op&& op, int root) const {
        check_root(root, "mpixx::ireduce");
        auto s = view(sendbuf);
        void* rp = nullptr;
        if (rank_ == root) {
            auto r = view(recvbuf);
            if (r.count < s.count) [[unlikely]]
                throw_coll_truncate("mpixx::ireduce", s.count, r.count, r.type);
            rp = r.ptr;
        }
        return start_reduction<elem_t<S>>(std::forward<Op>(op), s.count, [&](MPI_Op o, MPI_Datatype t, MPI_Request* q) {
            MPIXX_COLL(s.count, MPI_Ireduce, s.ptr, rp, count_t(s.count), t, o, root, comm_, q);
        });
    }
    /// Starts an in-place reduction: at the root `buf` is contribution and result, elsewhere contribution.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    [[nodiscard]] request<> ireduce(in_place_t, R&& buf, Op&& op, int root) const {
        check_root(root, "mpixx::ireduce");
        auto b = view(buf);
        const bool at_root = rank_ == root;
        return start_reduction<elem_t<R>>(std::forward<Op>(op), b.count, [&](MPI_Op o, MPI_Datatype t, MPI_Request* q) {
            MPIXX_COLL(b.count, MPI_Ireduce, at_root ? MPI_IN_PLACE : b.ptr, at_root ? b.ptr : nullptr,
                       count_t(b.count), t, o, root, comm_, q);
        });
    }
    /// Starts a reduction of `value` (owned by the request); wait() returns the result at the root and
    /// a value-initialised value or an empty container elsewhere.
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<owned_t<S>> ireduce(S&& value, Op&& op, int root) const {
        check_root(root, "mpixx::ireduce");
        using E = elem_t<S>;
        auto p = std::make_unique<coll_payload<owned_t<S>, owned_t<S>, held_for<Op, E>>>();
        const bool at_root = rank_ == root;
        if (at_root) p->result = own(std::forward<S>(value));
        else p->send = own(std::forward<S>(value));
        auto b = view(at_root ? p->result : p->send);
        auto [o, t] = bind_op<E>(std::forward<Op>(op), p->held, b.count);
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(b.count, MPI_Ireduce, at_root ? MPI_IN_PLACE : b.ptr, at_root ? b.ptr : nullptr, count_t(b.count), t,
                   o, root, comm_, &q);
        return request<owned_t<S>>(q, std::move(p));
    }

    // ---- iallreduce, iscan, iexscan ----------------------------------------------------------------

    /// Starts an allreduce into the caller's `recvbuf` (MPI_Iallreduce).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<> iallreduce(S&& sendbuf, R&& recvbuf, Op&& op) const {
        return ireduce_all<kind::allreduce>(sendbuf, recvbuf, std::forward<Op>(op));
    }
    /// Starts an in-place allreduce on `buf`.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    [[nodiscard]] request<> iallreduce(in_place_t, R&& buf, Op&& op) const {
        return ireduce_all<kind::allreduce>(in_place, buf, std::forward<Op>(op));
    }
    /// Starts an allreduce of `value` (moved in or copied); wait() returns the result.
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<owned_t<S>> iallreduce(S&& value, Op&& op) const {
        return ireduce_all_value<kind::allreduce>(std::forward<S>(value), std::forward<Op>(op));
    }

    /// Starts an inclusive prefix reduction into `recvbuf` (MPI_Iscan).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<> iscan(S&& sendbuf, R&& recvbuf, Op&& op) const {
        return ireduce_all<kind::scan>(sendbuf, recvbuf, std::forward<Op>(op));
    }
    /// Starts an in-place inclusive scan on `buf`.
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    [[nodiscard]] request<> iscan(in_place_t, R&& buf, Op&& op) const {
        return ireduce_all<kind::scan>(in_place, buf, std::forward<Op>(op));
    }
    /// Starts an inclusive scan of `value` (owned); wait() returns the reduction of ranks 0..rank().
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<owned_t<S>> iscan(S&& value, Op&& op) const {
        return ireduce_all_value<kind::scan>(std::forward<S>(value), std::forward<Op>(op));
    }

    /// Starts an exclusive prefix reduction into `recvbuf` (MPI_Iexscan; rank 0's is left undefined).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<> iexscan(S&& sendbuf, R&& recvbuf, Op&& op) const {
        return ireduce_all<kind::exscan>(sendbuf, recvbuf, std::forward<Op>(op));
    }
    /// Starts an in-place exclusive scan on `buf` (rank 0's is left undefined).
    template <class R, class Op>
        requires recv_target<R&&> && reduction_op<Op, elem_t<R>>
    [[nodiscard]] request<> iexscan(in_place_t, R&& buf, Op&& op) const {
        return ireduce_all<kind::exscan>(in_place, buf, std::forward<Op>(op));
    }
    /// Starts an exclusive scan of `value` (owned); wait() returns the reduction of ranks 0..rank()-1
    /// (value-initialised on rank 0).
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<owned_t<S>> iexscan(S&& value, Op&& op) const {
        return ireduce_all_value<kind::exscan>(std::forward<S>(value), std::forward<Op>(op));
    }

    // ---- ireduce_scatter ---------------------------------------------------------------------------

    /// Starts a reduce_scatter_block into `recvbuf` (MPI_Ireduce_scatter_block).
    template <class S, class R, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<> ireduce_scatter_block(S&& sendbuf, R&& recvbuf, Op&& op) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        if (s.count != r.count * static_cast<std::size_t>(size_)) [[unlikely]]
            throw_coll_count("mpixx::ireduce_scatter_block", "the send buffer", s.count,
                             r.count * static_cast<std::size_t>(size_), s.type);
        return start_reduction<elem_t<S>>(std::forward<Op>(op), s.count, [&](MPI_Op o, MPI_Datatype t, MPI_Request* q) {
            MPIXX_COLL(r.count, MPI_Ireduce_scatter_block, s.ptr, r.ptr, count_t(r.count), t, o, comm_, q);
        });
    }
    /// Starts a reduce_scatter_block of `sendbuf` (owned); wait() returns this rank's block.
    template <class S, class Op>
        requires send_buffer<S> && reduction_op<Op, elem_t<S>>
    [[nodiscard]] request<std::vector<elem_t<S>>> ireduce_scatter_block(S&& sendbuf, Op&& op) const {
        using E = elem_t<S>;
        auto p = std::make_unique<coll_payload<std::vector<E>, owned_t<S>, held_for<Op, E>>>();
        p->send = own(std::forward<S>(sendbuf));
        auto s = view(p->send);
        if (s.count % static_cast<std::size_t>(size_) != 0) [[unlikely]]
            throw_not_divisible("mpixx::ireduce_scatter_block", "the send buffer", s.count, size_, s.type);
        const std::size_t n = s.count / static_cast<std::size_t>(size_);
        p->result.resize(n);
        auto [o, t] = bind_op<E>(std::forward<Op>(op), p->held, s.count);
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_COLL(n, MPI_Ireduce_scatter_block, s.ptr, p->result.data(), count_t(n), t, o, comm_, &q);
        return request<std::vector<E>>(q, std::move(p));
    }
    /// Starts a reduce_scatter with counts[i] elements for rank i (MPI_Ireduce_scatter); `counts` must
    /// stay alive until the request completes.
    template <class S, class R, class C, class Op>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && reduction_op<Op, elem_t<S>> &&
                 count_target<C&&>
    [[nodiscard]] request<> ireduce_scatter(S&& sendbuf, R&& recvbuf, C&& counts_, Op&& op) const {
        const std::span<const int> counts(counts_);
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        const std::size_t total = check_reduce_scatter_counts(counts, s.count, s.type);
        if (r.count < static_cast<std::size_t>(counts[rank_])) [[unlikely]]
            throw_coll_truncate("mpixx::ireduce_scatter", static_cast<std::size_t>(counts[rank_]), r.count, r.type);
        return start_reduction<elem_t<S>>(std::forward<Op>(op), total, [&](MPI_Op o, MPI_Datatype t, MPI_Request* q) {
            MPIXX_CALL(MPI_Ireduce_scatter, s.ptr, r.ptr, counts.data(), t, o, comm_, q);
        });
    }

    // ---- v-variants (explicit counts: lvalues or views, which must outlive the request) -------------

    /// Starts a gatherv (MPI_Igatherv); `recvbuf`, `counts`, `displs` are used at the root only.
    template <class S, class R, class C, class D>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && count_target<C&&> && count_target<D&&>
    [[nodiscard]] request<> igatherv(S&& sendbuf, R&& recvbuf, C&& counts_, D&& displs_, int root) const {
        const std::span<const int> counts(counts_), displs(displs_);
        check_root(root, "mpixx::igatherv");
        auto s = view(sendbuf);
        check_int_count("mpixx::igatherv", s.count);
        MPI_Request q = MPI_REQUEST_NULL;
        if (rank_ == root) {
            auto r = view(recvbuf);
            check_v_layout("mpixx::igatherv", counts, displs, size_, r.count, r.type, true);
            check_own_count("mpixx::igatherv", counts, s.count, s.type);
            MPIXX_CALL(MPI_Igatherv, s.ptr, static_cast<int>(s.count), s.type, r.ptr, counts.data(), displs.data(),
                       r.type, root, comm_, &q);
        } else {
            MPIXX_CALL(MPI_Igatherv, s.ptr, static_cast<int>(s.count), s.type, nullptr, nullptr, nullptr, s.type, root,
                       comm_, &q);
        }
        return request<>(q);
    }
    /// Starts a scatterv (MPI_Iscatterv); `sendbuf`, `counts`, `displs` are used at the root only.
    template <class S, class C, class D, class R>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && count_target<C&&> && count_target<D&&>
    [[nodiscard]] request<> iscatterv(S&& sendbuf, C&& counts_, D&& displs_, R&& recvbuf, int root) const {
        const std::span<const int> counts(counts_), displs(displs_);
        check_root(root, "mpixx::iscatterv");
        auto r = view(recvbuf);
        MPI_Request q = MPI_REQUEST_NULL;
        if (rank_ == root) {
            auto s = view(sendbuf);
            check_v_layout("mpixx::iscatterv", counts, displs, size_, s.count, s.type, false);
            const auto mine = static_cast<std::size_t>(counts[rank_]);
            if (r.count < mine) [[unlikely]]
                throw_coll_truncate("mpixx::iscatterv", mine, r.count, r.type);
            MPIXX_CALL(MPI_Iscatterv, s.ptr, counts.data(), displs.data(), s.type, r.ptr, counts[rank_], r.type, root,
                       comm_, &q);
        } else {
            check_int_count("mpixx::iscatterv", r.count);
            MPIXX_CALL(MPI_Iscatterv, nullptr, nullptr, nullptr, r.type, r.ptr, static_cast<int>(r.count), r.type, root,
                       comm_, &q);
        }
        return request<>(q);
    }
    /// Starts an allgatherv (MPI_Iallgatherv).
    template <class S, class R, class C, class D>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && count_target<C&&> && count_target<D&&>
    [[nodiscard]] request<> iallgatherv(S&& sendbuf, R&& recvbuf, C&& counts_, D&& displs_) const {
        const std::span<const int> counts(counts_), displs(displs_);
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        check_v_layout("mpixx::iallgatherv", counts, displs, size_, r.count, r.type, true);
        check_own_count("mpixx::iallgatherv", counts, s.count, s.type);
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_CALL(MPI_Iallgatherv, s.ptr, counts[rank_], s.type, r.ptr, counts.data(), displs.data(), r.type, comm_, &q);
        return request<>(q);
    }
    /// Starts an alltoallv (MPI_Ialltoallv).
    template <class S, class SC, class SD, class R, class RC, class RD>
        requires send_target<S&&> && recv_target<R&&> && same_element<S, R> && count_target<SC&&> &&
                 count_target<SD&&> && count_target<RC&&> && count_target<RD&&>
    [[nodiscard]] request<> ialltoallv(S&& sendbuf, SC&& sendcounts_, SD&& sdispls_, R&& recvbuf, RC&& recvcounts_,
                                       RD&& rdispls_) const {
        const std::span<const int> sendcounts(sendcounts_), sdispls(sdispls_), recvcounts(recvcounts_),
            rdispls(rdispls_);
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        check_v_layout("mpixx::ialltoallv", sendcounts, sdispls, size_, s.count, s.type, false);
        check_v_layout("mpixx::ialltoallv", recvcounts, rdispls, size_, r.count, r.type, true);
        MPI_Request q = MPI_REQUEST_NULL;
        MPIXX_CALL(MPI_Ialltoallv, s.ptr, sendcounts.data(), sdispls.data(), s.type, r.ptr, recvcounts.data(),
                   rdispls.data(), r.type, comm_, &q);
        return request<>(q);
    }

protected:
    using vector_collective_layer::vector_collective_layer;

private:
    /// Posts a reduction on the caller's buffers: `post(op, type, &request)`. A built-in op needs no
    /// payload (nothing allocated); a user op is copied into the request's payload.
    template <class T, class Op, class Post>
    request<> start_reduction(Op&& op, std::size_t n, Post&& post) const {
        MPI_Request q = MPI_REQUEST_NULL;
        if constexpr (builtin_reduction<Op, T>) {
            op_binding<std::remove_reference_t<Op>, T> b(op, n);
            post(b.op(), b.type(), &q);
            return request<>(q);
        } else {
            auto p = std::make_unique<op_payload<held_for<Op, T>>>();
            auto [o, t] = bind_op<T>(std::forward<Op>(op), p->held, n);
            post(o, t, &q);
            return request<>(q, std::move(p));
        }
    }

    template <kind K>
    void post_reduce_all(const void* s, void* r, std::size_t n, MPI_Datatype t, MPI_Op op, MPI_Request* q) const {
        if constexpr (K == kind::allreduce) MPIXX_COLL(n, MPI_Iallreduce, s, r, count_t(n), t, op, comm_, q);
        else if constexpr (K == kind::scan) MPIXX_COLL(n, MPI_Iscan, s, r, count_t(n), t, op, comm_, q);
        else MPIXX_COLL(n, MPI_Iexscan, s, r, count_t(n), t, op, comm_, q);
    }

    template <kind K, class S, class R, class Op>
    request<> ireduce_all(const S& sendbuf, R& recvbuf, Op&& op) const {
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        if (r.count < s.count) [[unlikely]]
            throw_coll_truncate(reduce_all_name<K>(), s.count, r.count, r.type);
        return start_reduction<elem_t<S>>(std::forward<Op>(op), s.count, [&](MPI_Op o, MPI_Datatype t, MPI_Request* q) {
            post_reduce_all<K>(s.ptr, r.ptr, s.count, t, o, q);
        });
    }

    template <kind K, class R, class Op>
    request<> ireduce_all(in_place_t, R& buf, Op&& op) const {
        auto b = view(buf);
        return start_reduction<elem_t<R>>(std::forward<Op>(op), b.count, [&](MPI_Op o, MPI_Datatype t, MPI_Request* q) {
            post_reduce_all<K>(MPI_IN_PLACE, b.ptr, b.count, t, o, q);
        });
    }

    /// Value form: the request owns the buffer (reduced in place) and the user op.
    template <kind K, class S, class Op>
    request<owned_t<S>> ireduce_all_value(S&& value, Op&& op) const {
        using E = elem_t<S>;
        auto p = std::make_unique<exscan_payload<owned_t<S>, held_for<Op, E>, K == kind::exscan>>();
        p->result = own(std::forward<S>(value));
        p->rank0 = rank_ == 0;
        auto b = view(p->result);
        auto [o, t] = bind_op<E>(std::forward<Op>(op), p->held, b.count);
        MPI_Request q = MPI_REQUEST_NULL;
        post_reduce_all<K>(MPI_IN_PLACE, b.ptr, b.count, t, o, &q);
        return request<owned_t<S>>(q, std::move(p));
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

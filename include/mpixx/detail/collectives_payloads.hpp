// mpixx/detail/collectives_payloads.hpp - what a non-blocking collective's request owns until it
// completes (request_payload<T>, request.hpp): copies of send buffers, results, the user op and its
// MPI_Op, and, for a user callable that may throw, the flagged<T> copies its reduction runs on.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/collectives_common.hpp>
#include <mpixx/ops.hpp>
#include <mpixx/request.hpp>

#include <mpixx/detail/std_light.hpp>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// A copy of a user callable and its MPI_Op, kept until a non-blocking reduction completes; a non-zero
/// `mark` binds it to flagged<T> elements.
template <class F, class T>
struct held_op {
    F fn;
    op_binding<F, T> binding;
    template <class G>
    held_op(G&& g, std::size_t n, int mark = 0) : fn(std::forward<G>(g)), binding(fn, n, mark) {}
};

/// What a non-blocking reduction must keep: nothing for a built-in op, the held_op otherwise.
template <class Op, class T>
using held_for = std::conditional_t<builtin_reduction<Op, T>, std::monostate, held_op<std::decay_t<Op>, T>>;

/// Whether reducing T with Op runs on flagged<T> copies: a user callable that may throw.
template <class Op, class T>
inline constexpr bool op_may_throw = op_binding<std::decay_t<Op>, T>::may_throw;

/// Owns a non-blocking collective's buffers (result, copy of the send buffer) and user op until it
/// completes; finish() rethrows what the op threw, then hands out the result (Storage: what holds it).
template <class Result, class Send = std::monostate, class Held = std::monostate, class Storage = Result>
struct coll_payload final : request_payload<Result> {
    Storage result{};
    Send send{};
    std::optional<Held> held;

    Result finish(const MPI_Status&) override {
        if constexpr (!std::is_same_v<Held, std::monostate>)
            if (held) held->binding.rethrow();
        if constexpr (std::is_same_v<Storage, Result>) return std::move(result);
        else return result.take();
    }
};

/// Payload of a value form returning std::vector<E> (through result_buffer: bool needs a bool array).
template <class E, class Send = std::monostate, class Held = std::monostate>
using vec_payload = coll_payload<std::vector<E>, Send, Held, result_buffer<E>>;

/// Payload of an operation that completed at the call (an ibcast whose data came with its header).
struct done_payload final : request_payload<void> {
    void finish(const MPI_Status&) override {}
};

/// Keeps the user op of an into-buffer non-blocking reduction alive until it completes.
template <class Held>
struct op_payload final : request_payload<void> {
    std::optional<Held> held;
    void finish(const MPI_Status&) override { held->binding.rethrow(); }
};

/// n elements at `p` as flagged<T> (unmarked): what a reduction with a callable that may throw reduces.
template <class T>
std::vector<flagged<T>> flag_copy(const void* p, std::size_t n) {
    std::vector<flagged<T>> v(n);
    const T* src = static_cast<const T*>(p);
    for (std::size_t i = 0; i < n; ++i) v[i].value = src[i];
    return v;
}

/// A reduction with a callable that may throw, on flagged copies (`send`, `recv`: what MPI reads and
/// writes). finish() rethrows this rank's exception; else, when a mark reached this rank's result
/// (recv[0, nresult)), throws MPI_ERR_OP naming the rank whose op threw; else copies the values back:
/// into the caller's buffer `out` (into-buffer forms) or into `result` (value forms).
template <class Result, class T, class Held>
struct flagged_payload final : request_payload<Result> {
    std::conditional_t<std::is_void_v<Result>, std::monostate, Result> result{};
    std::vector<flagged<T>> send, recv;
    std::optional<Held> held;
    T* out = nullptr;
    std::size_t nresult = 0;
    const char* routine = "";
    bool clear = false; // exscan's value form on rank 0: a value-initialised result

    Result finish(const MPI_Status&) override {
        held->binding.rethrow();
        int mark = 0;
        for (std::size_t i = 0; i < nresult; ++i) mark = std::max(mark, recv[i].mark);
        if (mark != 0) [[unlikely]]
            throw_op_failed_elsewhere(routine, mark - 1);
        if constexpr (std::is_void_v<Result>) {
            if (out)
                for (std::size_t i = 0; i < recv.size(); ++i) out[i] = recv[i].value;
        } else {
            if (clear) value_initialise(result);
            else if (nresult > 0) assign(result);
            return std::move(result);
        }
    }

private:
    template <class R>
    void assign(R& r) const {
        if constexpr (std::ranges::range<R>) {
            if constexpr (requires { r.resize(std::size_t{}); }) r.resize(nresult);
            for (std::size_t i = 0; i < nresult; ++i) r[i] = recv[i].value;
        } else {
            r = recv[0].value;
        }
    }
};

/// The MPI_Op and datatype for reducing T with `op`; a user op is emplaced into `held` (which must live
/// until the operation completes), bound to flagged<T> when `mark` is non-zero.
template <class T, class Op, class Held>
std::pair<MPI_Op, MPI_Datatype> bind_op(Op&& op, std::optional<Held>& held, std::size_t n, int mark = 0) {
    if constexpr (builtin_reduction<Op, T>) {
        op_binding<std::remove_reference_t<Op>, T> b(op, n);
        return {b.op(), b.type()};
    } else {
        held.emplace(std::forward<Op>(op), n, mark);
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

} // namespace mpixx::detail

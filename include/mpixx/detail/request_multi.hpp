// mpixx/detail/request_multi.hpp - the machinery of the multi-request waits of request_pool.hpp: MPI's
// empty status, the first error of a failed multi-completion, the stand-in result of a request that was
// not pending, and the waits over a pack of heterogeneous requests (pack_any, pack_some, wait_result).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/request.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mpixx::inline MPIXX_ABI {
namespace detail {

/// The status MPI gives a null request: what an operation that never reached MPI completes with.
inline MPI_Status empty_status() noexcept {
    MPI_Request none = MPI_REQUEST_NULL;
    MPI_Status st;
    MPI_Wait(&none, &st);
    return st;
}

/// Throws the first error among `n` statuses of a failed multi-completion call (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_multi_error(int rc, const MPI_Status* sts, std::size_t n,
                                                       const char* routine) {
    if (rc == MPI_ERR_IN_STATUS)
        for (std::size_t k = 0; k < n; ++k)
            if (sts[k].MPI_ERROR != MPI_SUCCESS && sts[k].MPI_ERROR != MPI_ERR_PENDING)
                throw_mpi_error(sts[k].MPI_ERROR, routine);
    throw_mpi_error(rc, routine);
}

/// The result of a request that was not pending in a wait_all/test_all: T{} (MPI has nothing for it),
/// or MPI's empty status for request<void> and persistent_request.
template <class Result>
Result not_pending_result(const char* routine) {
    if constexpr (std::default_initializable<Result>) {
        (void)routine;
        return Result{};
    } else {
        throw_usage(routine, MPI_ERR_REQUEST,
                    "a request<T> passed to it is not pending and T has no default value to stand for it");
    }
}

/// Throws MPI_ERR_REQUEST for a request passed twice to a multi-request wait (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_duplicate_request(const char* routine) {
    throw_usage(routine, MPI_ERR_REQUEST,
                "the same request is passed twice (MPI would complete its handle twice; MPICH aborts)");
}

/// Refuses a pack that names one pending request twice: a few pointer compares. Null, completed and
/// inactive requests may repeat, as MPI allows for null and inactive handles in an array.
template <class... R>
void check_distinct(const char* routine, const R&... rs) {
    if constexpr (sizeof...(R) > 1) {
        const void* const all[] = {request_access::pending(rs) ? static_cast<const void*>(&rs) : nullptr...};
        for (std::size_t i = 1; i < sizeof...(R); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (all[i] != nullptr && all[i] == all[j]) [[unlikely]]
                    throw_duplicate_request(routine);
    }
}

template <class F, std::size_t... I>
void for_each_index(F&& f, std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, I>{}), ...);
}

template <class... R>
using pack_variant_t = std::variant<completion_result_t<std::remove_cvref_t<R>>...>;

/// Waits for (or tests) any one of a pack of requests; the variant's index says which completed.
template <class... R>
std::optional<pack_variant_t<R...>> pack_any(bool block, R&... rs) {
    constexpr std::size_t n = sizeof...(R);
    using V = pack_variant_t<R...>;
    auto refs = std::tie(rs...);
    check_distinct(block ? "mpixx::wait_any" : "mpixx::test_any", rs...);
    if (!(request_access::pending(rs) || ...)) [[unlikely]]
        return std::nullopt; // MPI_UNDEFINED
    progress::backoff b;
    for (;;) {
        std::array<MPI_Request, n> h;
        bool all_posted = true;
        std::optional<V> out;
        for_each_index(
            [&](auto I) {
                auto& r = std::get<I()>(refs);
                h[I] = MPI_REQUEST_NULL;
                if (out || !request_access::pending(r)) return;
                if (!request_access::prepare(r)) {
                    all_posted = false;
                    return;
                }
                h[I] = request_access::handle(r);
                if (h[I] == MPI_REQUEST_NULL)
                    out.emplace(std::in_place_index<I()>, request_access::complete(r, empty_status()));
            },
            std::index_sequence_for<R...>{});
        if (out) return out;
        int idx = MPI_UNDEFINED, flag = 0;
        MPI_Status st;
        int rc;
        if (block && all_posted && !progress::active()) {
            rc = MPI_Waitany(static_cast<int>(n), h.data(), &idx, &st);
            flag = 1;
        } else {
            progress::poll();
            rc = MPI_Testany(static_cast<int>(n), h.data(), &idx, &flag, &st);
        }
        if (idx >= 0 && idx != MPI_UNDEFINED) {
            for_each_index(
                [&](auto I) {
                    if (static_cast<std::size_t>(idx) != I) return;
                    auto& r = std::get<I()>(refs);
                    request_access::handle(r) = h[I];
                    if (rc != MPI_SUCCESS) request_access::failed(r, &st);
                    else if (flag) out.emplace(std::in_place_index<I()>, request_access::complete(r, st));
                },
                std::index_sequence_for<R...>{});
        }
        if (rc != MPI_SUCCESS) [[unlikely]]
            throw_mpi_error(rc, block ? "MPI_Waitany" : "MPI_Testany");
        if (out || !block) return out;
        b.pause();
    }
}

/// Completes what is done in a pack (blocking: at least one); each variant's index says which.
template <class... R>
std::vector<pack_variant_t<R...>> pack_some(bool block, R&... rs) {
    constexpr std::size_t n = sizeof...(R);
    using V = pack_variant_t<R...>;
    auto refs = std::tie(rs...);
    std::vector<V> out;
    check_distinct(block ? "mpixx::wait_some" : "mpixx::test_some", rs...);
    if (!(request_access::pending(rs) || ...)) [[unlikely]]
        return out; // MPI_UNDEFINED
    progress::backoff b;
    for (;;) {
        std::array<MPI_Request, n> h;
        bool all_posted = true;
        for_each_index(
            [&](auto I) {
                auto& r = std::get<I()>(refs);
                h[I] = MPI_REQUEST_NULL;
                if (!request_access::pending(r)) return;
                if (!request_access::prepare(r)) {
                    all_posted = false;
                    return;
                }
                h[I] = request_access::handle(r);
                if (h[I] == MPI_REQUEST_NULL)
                    out.emplace_back(std::in_place_index<I()>, request_access::complete(r, empty_status()));
            },
            std::index_sequence_for<R...>{});
        if (!out.empty()) return out;
        std::array<int, n> idx;
        std::array<MPI_Status, n> sts;
        int outcount = 0;
        int rc;
        if (block && all_posted && !progress::active()) {
            rc = MPI_Waitsome(static_cast<int>(n), h.data(), &outcount, idx.data(), sts.data());
        } else {
            progress::poll();
            rc = MPI_Testsome(static_cast<int>(n), h.data(), &outcount, idx.data(), sts.data());
        }
        const std::size_t m = outcount == MPI_UNDEFINED ? 0 : static_cast<std::size_t>(outcount);
        // Bring every completed request in line with MPI before producing any result.
        for (std::size_t k = 0; k < m; ++k)
            for_each_index(
                [&](auto I) {
                    if (static_cast<std::size_t>(idx[k]) != I) return;
                    auto& r = std::get<I()>(refs);
                    request_access::handle(r) = h[I];
                    if (rc != MPI_SUCCESS) request_access::failed(r, rc == MPI_ERR_IN_STATUS ? &sts[k] : nullptr);
                },
                std::index_sequence_for<R...>{});
        if (rc != MPI_SUCCESS) [[unlikely]]
            throw_multi_error(rc, sts.data(), m, block ? "MPI_Waitsome" : "MPI_Testsome");
        std::exception_ptr first;
        for (std::size_t k = 0; k < m; ++k)
            for_each_index(
                [&](auto I) {
                    if (static_cast<std::size_t>(idx[k]) != I) return;
                    try {
                        out.emplace_back(std::in_place_index<I()>,
                                         request_access::complete(std::get<I()>(refs), sts[k]));
                    } catch (...) {
                        if (!first) first = std::current_exception();
                    }
                },
                std::index_sequence_for<R...>{});
        if (first) std::rethrow_exception(first);
        if (!out.empty() || !block) return out;
        b.pause();
    }
}

template <class R>
completion_result_t<R> wait_result(R& r) {
    if (!request_access::pending(r)) return not_pending_result<completion_result_t<R>>("mpixx::wait_all");
    if constexpr (std::same_as<R, persistent_request>) {
        r.wait();
        return r.status();
    } else if constexpr (std::is_void_v<typename R::value_type>) {
        r.wait();
        return r.status();
    } else {
        return r.wait();
    }
}

} // namespace detail
} // namespace mpixx

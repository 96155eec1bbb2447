// mpixx/request_pool.hpp - waiting for many requests at once: request_pool<T> (a growable set of
// same-typed requests whose handles sit contiguously, so each wait is one MPI_Wait{all,any,some} call) and
// the free functions wait_all / wait_any / wait_some / test_all / test_any / test_some over a pool or
// over a pack of heterogeneous requests:
//
//   auto [v, s] = mpixx::wait_all(comm.irecv<std::vector<int>>(0), comm.isend(x, 1)); // tuple of results
//   auto which  = mpixx::wait_any(r1, r2);      // optional<variant>: which->index() is the completed one
//
// Results: a request<T> yields its T; a request<void> or persistent_request yields its mpixx::status.
// A pool's wait_any/test_any return optional<completed<T>> {index, value} (request<void>: {index, status}).
//
// As in MPI, requests that are not pending (null, completed, inactive persistent) are allowed everywhere
// and skipped: wait_all/test_all give them T{} (or MPI's empty status); wait_any/test_any return an
// empty optional and wait_some/test_some an empty vector when nothing is pending (MPI_UNDEFINED), so a
// `while (auto c = pool.wait_any())` loop ends by itself. One pending request passed twice to a pack form
// is MPI_ERR_REQUEST (MPI would complete its handle twice); null and completed ones may repeat.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/request.hpp>
#include <mpixx/detail/request_multi.hpp>
#include <mpixx/detail/std_light.hpp>

#include <array>
#include <climits>
#include <concepts>
#include <cstddef>
#include <exception>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// One completed request of a set: its index and its result.
template <class T>
struct completed {
    std::size_t index; ///< Position of the request in its set.
    T value;           ///< Its result.
};
/// One completed request<void> of a set: its index and its status.
template <>
struct completed<void> {
    std::size_t index;    ///< Position of the request in its set.
    mpixx::status status; ///< Its status.
};

/// A growable set of same-typed requests, completed together or one by one. Move-only; the destructor
/// waits for the pending ones. Indices are the order of add(); a completed slot stays (inactive).
template <class T = void>
class request_pool {
public:
    using value_type = T;            ///< What each request's wait() returns.
    using completion = completed<T>; ///< One completed request: its index and result.

    request_pool() = default;
    /// Takes the other pool's requests; the other is left empty (counters too, or its waits would spin).
    request_pool(request_pool&& o) noexcept { take(o); }
    /// Waits for this pool's pending requests, then takes the other's (the other is left empty).
    request_pool& operator=(request_pool&& o) noexcept {
        if (this != &o) {
            clear();
            take(o);
        }
        return *this;
    }

    /// Adds a request (pending or not) and returns its index.
    std::size_t add(request<T>&& r) {
        const std::size_t i = entries_.size();
        if (i >= static_cast<std::size_t>(INT_MAX)) [[unlikely]] // MPI_Wait{any,some,all} take an int count
            throw_too_many();
        const bool is_pending = r.pending();
        const MPI_Request h = r.native();
        // Room first, so that nothing below throws once `r` is taken. Geometric growth: reserving exactly
        // i + 1 reallocated on every add, making n adds cost O(n^2).
        // Capped at INT_MAX, the most a pool holds (2 * i would pass it from 2^30 requests on).
        if (entries_.capacity() <= i || handles_.capacity() <= i || indices_.capacity() <= i ||
            statuses_.capacity() <= i)
            grow(i < 4 ? 8 : i < max_requests / 2 ? 2 * i : max_requests, "mpixx::request_pool::add");
        entries_.push_back(std::move(r));
        handles_.push_back(h);
        indices_.push_back(0);
        statuses_.push_back(MPI_Status{});
        if (is_pending) {
            ++pending_;
            if (h == MPI_REQUEST_NULL) ++nulls_;
        }
        return i;
    }
    /// Reserves room for n requests: more than INT_MAX (what add() allows) throws MPI_ERR_COUNT, no
    /// memory MPI_ERR_NO_MEM.
    void reserve(std::size_t n) { grow(n, "mpixx::request_pool::reserve"); }
    /// Waits for every pending request (results dropped) and empties the pool.
    void clear() noexcept {
        entries_.clear(); // each pending request waits in its destructor
        handles_.clear();
        indices_.clear();
        statuses_.clear();
        pending_ = nulls_ = 0;
    }

    /// Number of requests added.
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    /// Whether no request was added.
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
    /// Number of requests not yet completed.
    [[nodiscard]] std::size_t pending_count() const noexcept { return pending_; }
    /// Whether any request is pending.
    [[nodiscard]] bool pending() const noexcept { return pending_ != 0; }
    /// Whether request i is pending.
    [[nodiscard]] bool pending(std::size_t i) const { return at(i).pending(); }
    /// Status of completed request i (throws if it is pending).
    [[nodiscard]] mpixx::status status(std::size_t i) const { return at(i).status(); }
    /// Handle of request i.
    [[nodiscard]] MPI_Request native(std::size_t i) const { return at(i).native(); }
    /// Cancels request i (MPI_Cancel); it is completed by a later wait or test.
    void cancel(std::size_t i) {
        auto& r = at(i);
        r.cancel();
        handles_[i] = r.native();
    }

    /// Waits for every pending request (MPI_Waitall). Returns the results in index order (T{} for
    /// requests that had completed before); for request<void>, nothing (see status(i)).
    auto wait_all() {
        std::optional<detail::hang_scope> watched;
        if (detail::hang_watch_on()) [[unlikely]]
            watched.emplace(detail::hang_wait_site("MPI_Waitall", pending_));
        if constexpr (std::is_void_v<T>) {
            drain([](completion&&) {});
        } else {
            static_assert(std::default_initializable<T>, "wait_all needs T{} for slots completed earlier");
            std::vector<T> out(entries_.size());
            drain([&](completion&& c) { out[c.index] = std::move(c.value); });
            return out;
        }
    }

    /// Waits until one pending request completes (MPI_Waitany) and returns it with its index; nothing
    /// when none is pending (MPI_UNDEFINED).
    std::optional<completion> wait_any() {
        if (detail::hang_watch_on()) [[unlikely]] {
            const detail::hang_scope watched(detail::hang_wait_site("MPI_Waitany", pending_));
            return any(true);
        }
        return any(true);
    }
    /// Completes one pending request if one is done (MPI_Testany); nothing otherwise.
    [[nodiscard]] std::optional<completion> test_any() { return any(false); }

    /// Waits until at least one pending request completes and returns all that did (MPI_Waitsome);
    /// empty when none is pending.
    std::vector<completion> wait_some() {
        std::vector<completion> out;
        if (pending_ == 0) [[unlikely]]
            return out;
        std::optional<detail::hang_scope> watched;
        if (detail::hang_watch_on()) [[unlikely]]
            watched.emplace(detail::hang_wait_site("MPI_Waitsome", pending_));
        detail::progress::backoff b;
        while (some(true, [&](completion&& c) { out.push_back(std::move(c)); }) == 0) b.pause();
        return out;
    }
    /// Completes the pending requests that are done (MPI_Testsome); possibly none.
    [[nodiscard]] std::vector<completion> test_some() {
        std::vector<completion> out;
        if (pending_ == 0) [[unlikely]]
            return out;
        some(false, [&](completion&& c) { out.push_back(std::move(c)); });
        return out;
    }

    /// Completes every pending request if all are done, else none (MPI_Testall). Results as wait_all;
    /// for request<void>, whether they completed.
    [[nodiscard]] auto test_all() {
        if constexpr (std::is_void_v<T>) {
            return all_done([](completion&&) {});
        } else {
            static_assert(std::default_initializable<T>, "test_all needs T{} for slots completed earlier");
            std::vector<T> out(entries_.size());
            std::optional<std::vector<T>> result;
            if (all_done([&](completion&& c) { out[c.index] = std::move(c.value); })) result = std::move(out);
            return result;
        }
    }

private:
    using access = detail::request_access;

    void take(request_pool& o) noexcept { // `this` is empty: the swaps leave `o` empty
        entries_.swap(o.entries_);
        handles_.swap(o.handles_);
        indices_.swap(o.indices_);
        statuses_.swap(o.statuses_);
        std::swap(pending_, o.pending_);
        std::swap(nulls_, o.nulls_);
    }
    const request<T>& at(std::size_t i) const {
        if (i >= entries_.size()) [[unlikely]]
            throw_bad_index(i, entries_.size());
        return entries_[i];
    }
    request<T>& at(std::size_t i) { return const_cast<request<T>&>(std::as_const(*this).at(i)); }
    static constexpr std::size_t max_requests = INT_MAX; // the count of MPI_Waitany/Waitsome/Waitall

    /// reserve(): an mpixx::error rather than std::length_error / std::bad_alloc from the vectors.
    void grow(std::size_t n, const char* routine) {
        if (n > max_requests) [[unlikely]]
            throw_reserve_too_many(n, routine);
        try {
            entries_.reserve(n);
            handles_.reserve(n);
            indices_.reserve(n);
            statuses_.reserve(n);
        } catch (const std::bad_alloc&) {
            throw_no_mem(n, routine);
        } catch (const std::length_error&) { // only where max_size() < INT_MAX (32-bit)
            throw_no_mem(n, routine);
        }
    }
    [[noreturn, MPIXX_COLD]] static void throw_reserve_too_many(std::size_t n, const char* routine) {
        detail::throw_usage(routine, MPI_ERR_COUNT,
                            "room for " + std::to_string(n) +
                                " requests asked, but a pool holds at most INT_MAX (the count of "
                                "MPI_Waitany/Waitsome/Waitall)");
    }
    [[noreturn, MPIXX_COLD]] static void throw_no_mem(std::size_t n, const char* routine) {
        detail::throw_usage(routine, MPI_ERR_NO_MEM, "no memory for " + std::to_string(n) + " requests");
    }
    [[noreturn, MPIXX_COLD]] static void throw_too_many() {
        detail::throw_usage("mpixx::request_pool::add", MPI_ERR_COUNT,
                            "a pool holds at most INT_MAX requests (the count of MPI_Waitany/Waitsome/Waitall)");
    }
    [[noreturn, MPIXX_COLD]] static void throw_bad_index(std::size_t i, std::size_t n) {
        detail::throw_usage("mpixx::request_pool", MPI_ERR_ARG,
                            "index " + std::to_string(i) + " is out of range for a pool of " + std::to_string(n) +
                                " requests");
    }

    /// Posts late operations (probe-sized receives) that can be posted now; returns the indices of
    /// pending requests left with no handle (nothing for MPI to wait for: they complete at once).
    const std::vector<std::size_t>& prepare() {
        ready_.clear();
        if (nulls_ == 0) return ready_;
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            if (handles_[i] != MPI_REQUEST_NULL || !entries_[i].pending()) continue;
            bool posted = false;
            try {
                posted = access::prepare(entries_[i]);
            } catch (...) {
                --pending_; // the failed post completed the request
                --nulls_;
                throw;
            }
            if (!posted) continue;
            handles_[i] = access::handle(entries_[i]);
            if (handles_[i] != MPI_REQUEST_NULL) --nulls_;
            else ready_.push_back(i);
        }
        return ready_;
    }

    /// Completes request i, which had no handle.
    completion finish_ready(std::size_t i) {
        --pending_;
        --nulls_;
        return {i, access::complete(entries_[i], detail::empty_status())};
    }

    /// MPI completed the handles at `idx[0..n)`: bring the requests in line first (so that none is left
    /// holding a freed handle), then produce each result; a failing result is rethrown after the others.
    template <class Sink>
    void finish_mpi(const int* idx, const MPI_Status* sts, std::size_t n, Sink& sink) {
        for (std::size_t k = 0; k < n; ++k) {
            const auto i = static_cast<std::size_t>(idx[k]);
            access::handle(entries_[i]) = handles_[i];
            --pending_;
        }
        std::exception_ptr first;
        for (std::size_t k = 0; k < n; ++k) {
            const auto i = static_cast<std::size_t>(idx[k]);
            try {
                sink(completion{i, access::complete(entries_[i], sts[k])});
            } catch (...) {
                if (!first) first = std::current_exception();
            }
        }
        if (first) std::rethrow_exception(first);
    }

    /// After a failed multi-completion: requests MPI freed are complete; then throw.
    [[noreturn]] void fail(int rc, const int* idx, const MPI_Status* sts, std::size_t n, const char* routine) {
        for (std::size_t k = 0; k < n; ++k) {
            const auto i = idx ? static_cast<std::size_t>(idx[k]) : k;
            if (!entries_[i].pending()) continue;
            const bool had_none = access::handle(entries_[i]) == MPI_REQUEST_NULL;
            access::handle(entries_[i]) = handles_[i];
            access::failed(entries_[i], rc == MPI_ERR_IN_STATUS ? &sts[k] : nullptr);
            if (!entries_[i].pending()) {
                --pending_;
                if (had_none) --nulls_;
            }
        }
        detail::throw_multi_error(rc, sts, n, routine);
    }

    std::optional<completion> any(bool block) {
        if (pending_ == 0) [[unlikely]]
            return std::nullopt;
        detail::progress::backoff b;
        for (;;) {
            if (nulls_ != 0) [[unlikely]] {
                if (const auto& ready = prepare(); !ready.empty()) return finish_ready(ready.front());
            }
            int idx = MPI_UNDEFINED, flag = 0;
            MPI_Status st;
            int rc;
            if (block && nulls_ == 0 && !detail::progress::active()) [[likely]] {
                rc = MPI_Waitany(static_cast<int>(handles_.size()), handles_.data(), &idx, &st);
                flag = 1;
            } else {
                detail::progress::poll();
                rc = MPI_Testany(static_cast<int>(handles_.size()), handles_.data(), &idx, &flag, &st);
            }
            if (rc != MPI_SUCCESS) [[unlikely]] {
                if (idx >= 0) {
                    access::handle(entries_[static_cast<std::size_t>(idx)]) = handles_[static_cast<std::size_t>(idx)];
                    access::failed(entries_[static_cast<std::size_t>(idx)], &st);
                    if (!entries_[static_cast<std::size_t>(idx)].pending()) --pending_;
                }
                detail::throw_mpi_error(rc, block ? "MPI_Waitany" : "MPI_Testany");
            }
            if (flag && idx != MPI_UNDEFINED) {
                std::optional<completion> out;
                auto sink = [&](completion&& c) { out.emplace(std::move(c)); };
                finish_mpi(&idx, &st, 1, sink);
                return out;
            }
            if (!block) return std::nullopt;
            b.pause();
        }
    }

    /// Completes what is done now (blocking: at least one); returns how many it completed.
    template <class Sink>
    std::size_t some(bool block, Sink&& sink) {
        if (nulls_ != 0) [[unlikely]] {
            if (const auto& ready = prepare(); !ready.empty()) {
                const std::vector<std::size_t> now = ready;
                for (std::size_t i : now) sink(finish_ready(i));
                return now.size();
            }
        }
        if (pending_ == 0) return 0;
        int outcount = 0;
        int rc;
        const int n = static_cast<int>(handles_.size());
        if (block && nulls_ == 0 && !detail::progress::active()) [[likely]] {
            rc = MPI_Waitsome(n, handles_.data(), &outcount, indices_.data(), statuses_.data());
        } else {
            detail::progress::poll();
            rc = MPI_Testsome(n, handles_.data(), &outcount, indices_.data(), statuses_.data());
        }
        if (rc != MPI_SUCCESS) [[unlikely]]
            fail(rc, indices_.data(), statuses_.data(),
                 outcount == MPI_UNDEFINED ? 0 : static_cast<std::size_t>(outcount),
                 block ? "MPI_Waitsome" : "MPI_Testsome");
        if (outcount == MPI_UNDEFINED || outcount == 0) return 0;
        finish_mpi(indices_.data(), statuses_.data(), static_cast<std::size_t>(outcount), sink);
        return static_cast<std::size_t>(outcount);
    }

    /// Waits for every pending request: one MPI_Waitall unless late operations or progress need polling.
    template <class Sink>
    void drain(Sink&& sink) {
        detail::progress::backoff b;
        while (pending_ != 0) {
            if (nulls_ == 0 && !detail::progress::active()) [[likely]] {
                const int n = static_cast<int>(handles_.size());
                if (int rc = MPI_Waitall(n, handles_.data(), statuses_.data()); rc != MPI_SUCCESS) [[unlikely]]
                    fail(rc, nullptr, statuses_.data(), handles_.size(), "MPI_Waitall");
                std::size_t m = 0;
                for (std::size_t i = 0; i < entries_.size(); ++i) {
                    if (!entries_[i].pending()) continue;
                    indices_[m] = static_cast<int>(i);
                    statuses_[m] = statuses_[i]; // m <= i: compacting in place is safe
                    ++m;
                }
                finish_mpi(indices_.data(), statuses_.data(), m, sink);
                return;
            }
            if (some(false, sink) == 0) b.pause();
        }
    }

    template <class Sink>
    bool all_done(Sink&& sink) {
        if (pending_ == 0) return true;
        prepare();
        if (nulls_ != ready_.size()) return false; // a late operation is not posted yet
        detail::progress::poll();
        int flag = 0;
        const int n = static_cast<int>(handles_.size());
        if (int rc = MPI_Testall(n, handles_.data(), &flag, statuses_.data()); rc != MPI_SUCCESS) [[unlikely]]
            fail(rc, nullptr, statuses_.data(), handles_.size(), "MPI_Testall");
        if (!flag) return false;
        for (std::size_t i : std::vector<std::size_t>(ready_)) sink(finish_ready(i));
        std::size_t m = 0;
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            if (!entries_[i].pending()) continue;
            indices_[m] = static_cast<int>(i);
            statuses_[m] = statuses_[i];
            ++m;
        }
        finish_mpi(indices_.data(), statuses_.data(), m, sink);
        return true;
    }

    std::vector<request<T>> entries_;  // the requests (their handles mirror handles_)
    std::vector<MPI_Request> handles_; // contiguous, for the MPI multi-completion calls
    std::vector<int> indices_;         // scratch for MPI_Waitsome / MPI_Testsome
    std::vector<MPI_Status> statuses_; // scratch statuses
    std::vector<std::size_t> ready_;   // scratch: pending requests with no handle
    std::size_t pending_ = 0;          // requests not completed
    std::size_t nulls_ = 0;            // pending requests without a handle (not posted yet, or withdrawn)
};

namespace detail {

template <class R>
struct is_pool : std::false_type {};
template <class T>
struct is_pool<request_pool<T>> : std::true_type {};

} // namespace detail

/// Waits for every request of a pack and returns their results as a tuple (request<void>: its status);
/// one that was not pending gives T{} or MPI's empty status.
template <waitable... R>
    requires(sizeof...(R) > 0)
std::tuple<detail::completion_result_t<std::remove_cvref_t<R>>...> wait_all(R&&... rs) {
    detail::check_distinct("mpixx::wait_all", rs...);
    return {detail::wait_result(rs)...}; // braced: left to right
}

/// Waits until one request of a pack completes; the variant's index() says which, and holds its result.
/// Nothing when none is pending (MPI_UNDEFINED).
template <waitable... R>
    requires(sizeof...(R) > 0)
std::optional<detail::pack_variant_t<R...>> wait_any(R&&... rs) {
    if (detail::hang_watch_on()) [[unlikely]] {
        const detail::hang_scope watched(detail::hang_wait_site("MPI_Waitany", sizeof...(R)));
        return detail::pack_any(true, rs...);
    }
    return detail::pack_any(true, rs...);
}

/// Completes one request of a pack if one is done; nothing otherwise.
template <waitable... R>
    requires(sizeof...(R) > 0)
[[nodiscard]] std::optional<detail::pack_variant_t<R...>> test_any(R&&... rs) {
    return detail::pack_any(false, rs...);
}

/// Waits until at least one request of a pack completes; returns every one that did (empty when none
/// is pending).
template <waitable... R>
    requires(sizeof...(R) > 0)
std::vector<detail::pack_variant_t<R...>> wait_some(R&&... rs) {
    if (detail::hang_watch_on()) [[unlikely]] {
        const detail::hang_scope watched(detail::hang_wait_site("MPI_Waitsome", sizeof...(R)));
        return detail::pack_some(true, rs...);
    }
    return detail::pack_some(true, rs...);
}

/// Completes the requests of a pack that are done (possibly none).
template <waitable... R>
    requires(sizeof...(R) > 0)
[[nodiscard]] std::vector<detail::pack_variant_t<R...>> test_some(R&&... rs) {
    return detail::pack_some(false, rs...);
}

/// Completes every request of a pack if all are done (MPI_Testall), else none. One that was not pending
/// counts as done and gives T{} or MPI's empty status.
template <waitable... R>
    requires(sizeof...(R) > 0)
[[nodiscard]] std::optional<std::tuple<detail::completion_result_t<std::remove_cvref_t<R>>...>> test_all(R&&... rs) {
    using access = detail::request_access;
    constexpr std::size_t n = sizeof...(R);
    detail::check_distinct("mpixx::test_all", rs...);
    const std::array<bool, n> live{access::pending(rs)...};
    if (!(access::prepare(rs) && ...)) {
        detail::progress::poll();
        return std::nullopt;
    }
    detail::progress::poll();
    // Only pending requests go to MPI: an inactive persistent handle must stay untouched.
    std::array<MPI_Request, n> h{(access::pending(rs) ? access::handle(rs) : MPI_REQUEST_NULL)...};
    std::array<MPI_Status, n> sts;
    int flag = 0;
    const int rc = MPI_Testall(static_cast<int>(n), h.data(), &flag, sts.data());
    if (rc != MPI_SUCCESS) [[unlikely]] {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            // Statuses are filled in only with MPI_ERR_IN_STATUS; MPI_ERR_PENDING there: still pending.
            const bool in_status = rc == MPI_ERR_IN_STATUS;
            auto settle = [&](auto& r, std::size_t i) {
                if (!live[i]) return;
                access::handle(r) = h[i];
                if (!in_status || sts[i].MPI_ERROR != MPI_ERR_PENDING) access::failed(r, in_status ? &sts[i] : nullptr);
            };
            (settle(rs, I), ...);
        }(std::index_sequence_for<R...>{});
        detail::throw_multi_error(rc, sts.data(), n, "MPI_Testall");
    }
    if (!flag) return std::nullopt;
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((live[I] ? void(access::handle(rs) = h[I]) : void()), ...);
        auto result = [&](auto& r, std::size_t i) -> detail::completion_result_t<std::remove_cvref_t<decltype(r)>> {
            if (!live[i]) return detail::not_pending_result<detail::completion_result_t<std::remove_cvref_t<decltype(r)>>>(
                "mpixx::test_all");
            return access::complete(r, sts[i]);
        };
        return std::tuple<detail::completion_result_t<std::remove_cvref_t<R>>...>{result(rs, I)...};
    }(std::index_sequence_for<R...>{});
}

/// Waits for every pending request of a pool (see request_pool::wait_all).
template <class T>
auto wait_all(request_pool<T>& pool) {
    return pool.wait_all();
}
/// Waits until one request of a pool completes (see request_pool::wait_any).
template <class T>
std::optional<completed<T>> wait_any(request_pool<T>& pool) {
    return pool.wait_any();
}
/// Waits until some requests of a pool complete (see request_pool::wait_some).
template <class T>
std::vector<completed<T>> wait_some(request_pool<T>& pool) {
    return pool.wait_some();
}
/// Completes every request of a pool if all are done (see request_pool::test_all).
template <class T>
[[nodiscard]] auto test_all(request_pool<T>& pool) {
    return pool.test_all();
}
/// Completes one request of a pool if one is done (see request_pool::test_any).
template <class T>
[[nodiscard]] std::optional<completed<T>> test_any(request_pool<T>& pool) {
    return pool.test_any();
}
/// Completes the requests of a pool that are done (see request_pool::test_some).
template <class T>
[[nodiscard]] std::vector<completed<T>> test_some(request_pool<T>& pool) {
    return pool.test_some();
}

/// Waits for every pending request of a range of request<T> (e.g. a std::vector); returns their results
/// in order (T{} for ones not pending), or nothing for request<void>.
template <std::ranges::forward_range Rg>
    requires detail::is_request<std::ranges::range_value_t<Rg>>::value &&
             (!detail::is_pool<std::remove_cvref_t<Rg>>::value)
auto wait_all(Rg&& range) {
    using T = typename std::ranges::range_value_t<Rg>::value_type;
    if constexpr (std::is_void_v<T>) {
        for (auto& r : range)
            if (r.pending()) r.wait();
    } else {
        std::vector<T> out;
        for (auto& r : range) out.push_back(r.pending() ? r.wait() : T{});
        return out;
    }
}

} // namespace mpixx

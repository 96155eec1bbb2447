// mpixx/detail/request_access.hpp - what the multi-request waits (request_pool.hpp, request_multi.hpp)
// and MPI_Startall need from request<T> and persistent_request: detail::request_access (their handles,
// completion and failure bookkeeping), the `waitable` concept, and mpixx::start_all. Included by
// request.hpp after both classes are complete; not meant to be included alone.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/request.hpp>

#include <concepts>
#include <cstddef>
#include <exception>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI {
namespace detail {

/// Internal access to requests for the multi-request waits (request_pool.hpp).
struct request_access {
    template <class T>
    static bool pending(const request<T>& r) noexcept {
        return r.pending();
    }
    static bool pending(const persistent_request& p) noexcept { return p.active_; }

    /// Makes sure a pending request's operation exists in MPI; false while it is not posted yet.
    template <class T>
    static bool prepare(request<T>& r) {
        return r.req_ != MPI_REQUEST_NULL || !r.payload_ || r.try_post();
    }
    static bool prepare([[maybe_unused]] persistent_request& p) {
#if MPIXX_CHECKED
        if (p.pending_) return p.try_post();
#endif
        return true;
    }

    template <class T>
    static MPI_Request& handle(request<T>& r) noexcept {
        return r.req_;
    }
    static MPI_Request& handle(persistent_request& p) noexcept { return p.req_; }

    /// Records completion with status `st` (MPI already completed the handle) and yields the result.
    template <class T>
    static request_result_t<T> complete(request<T>& r, const MPI_Status& st) {
        MPI_Status copy = st;
        return r.complete(copy);
    }
    static mpixx::status complete(persistent_request& p, const MPI_Status& st) { return p.complete(st); }

    /// After MPI reported an error for this request: it is complete when MPI freed it (or inactive),
    /// keeping the status `st` MPI gave it (null: MPI filled none in).
    template <class T>
    static void failed(request<T>& r, const MPI_Status* st) noexcept {
        if (r.req_ == MPI_REQUEST_NULL) r.failed(st);
    }
    static void failed(persistent_request& p, const MPI_Status* st) noexcept { p.failed(st); }

    /// Marks a receive from proc_null: its completion reports source proc_null, tag any_tag, count 0
    /// whatever the MPI library says (MPICH 4.0's MPI_Irecv and MPI_Recv_init do not).
    template <class T>
    static void from_proc_null(request<T>& r) noexcept {
        r.fix_ |= request<T>::fix_proc_null;
    }
    static void from_proc_null(persistent_request& p) noexcept { p.proc_null_ = true; }
    /// Marks a persistent receive: a started one is cancelled, not waited for, when its destructor runs
    /// during stack unwinding (as request's receives).
    static void as_receive(persistent_request& p) noexcept {
        p.receive_ = true;
        p.unwinding_ = std::uncaught_exceptions();
    }

    static void set_active(persistent_request& p) noexcept { p.active_ = true; }
    static void check_startable(const persistent_request& p, const char* routine) { p.check_startable(routine); }
#if MPIXX_CHECKED
    /// Checked mode: whether starting `p` is deferred (a persistent collective).
    static bool deferred(const persistent_request& p) noexcept { return p.coll_ != nullptr; }
#endif
    /// Checked mode: a persistent send's signature goes out before it starts.
    static void announce([[maybe_unused]] const persistent_request& p) {
#if MPIXX_CHECKED
        p.check_.on_start();
#endif
    }
};

/// The result of completing R (a request<T> or persistent_request) in the multi-request waits.
template <class R>
using completion_result_t =
    decltype(request_access::complete(std::declval<R&>(), std::declval<const MPI_Status&>()));

template <class R>
struct is_request : std::false_type {};
template <class T>
struct is_request<request<T>> : std::true_type {};

} // namespace detail

/// A request<T> or a persistent_request: what the multi-request waits accept.
template <class R>
concept waitable =
    detail::is_request<std::remove_cvref_t<R>>::value || std::same_as<std::remove_cvref_t<R>, persistent_request>;

/// Starts several persistent requests in one call (MPI_Startall).
template <class... P>
    requires(sizeof...(P) > 0 && (std::same_as<std::remove_cvref_t<P>, persistent_request> && ...))
void start_all(P&&... ps) {
    (detail::request_access::check_startable(ps, "mpixx::start_all"), ...);
    if constexpr (sizeof...(P) > 1) { // MPI_Startall would start a request passed twice twice (two sends)
        const persistent_request* const all[] = {&ps...};
        for (std::size_t i = 1; i < sizeof...(P); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (all[i] == all[j]) [[unlikely]]
                    detail::throw_usage("mpixx::start_all", MPI_ERR_REQUEST,
                                        "the same persistent request is passed twice (it can be active once)");
    }
#if MPIXX_CHECKED
    if ((detail::request_access::deferred(ps) || ...)) { // a persistent collective waits for its check
        (ps.start(), ...);
        return;
    }
#endif
    (detail::request_access::announce(ps), ...);
    MPI_Request handles[sizeof...(P)] = {detail::request_access::handle(ps)...};
    MPIXX_CALL(MPI_Startall, static_cast<int>(sizeof...(P)), handles);
    (detail::request_access::set_active(ps), ...);
}

} // namespace mpixx

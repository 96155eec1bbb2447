// mpixx/nonblocking.hpp - non-blocking and persistent point-to-point returning RAII requests.
//
//   auto r = comm.isend(buf, 1);               // borrowed lvalue: request<>, no allocation; keep buf alive
//   auto r = comm.isend(std::move(vec), 1);    // moved in: request<std::vector<int>>, wait() hands it back
//   auto r = comm.irecv(buf, 0);               // into the caller's buffer: request<>
//   auto r = comm.irecv<std::string>(0);       // size from a matched probe: wait() returns the string
//   auto p = comm.send_init(buf, 1); p.start(); p.wait(); p.start(); ...
//
// Borrowed or owned is decided by mpixx::borrowable (buffer.hpp), the same rule for every call: an
// lvalue or a std::ranges::borrowed_range (std::span, std::string_view, views of lvalues) is borrowed
// and must outlive the request; anything else (a temporary container, an owning view such as
// std::views::all(make_vector()), a scalar rvalue) is moved into the request - isend, issend and irecv
// own it and wait() hands it back - or, where a request cannot own it (isendrecv's send buffer and the
// persistent send_init / ssend_init / recv_init, whose every start() reuses the buffer), the call does
// not compile. Every request is [[nodiscard]] and waits in its destructor, so a buffer is never freed
// (or reused) while MPI may still touch it. Probe-sized receives are matched through detail::progress,
// so a peer's large send to them completes even while this process blocks elsewhere in mpixx.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/progress.hpp>
#include <mpixx/point_to_point.hpp>
#include <mpixx/request.hpp>
#include <mpixx/request_pool.hpp>
#include <mpixx/detail/owner.hpp>
#include <mpixx/detail/std_light.hpp>

#include <concepts>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI {

namespace detail {

/// What a non-blocking send accepts (B as forwarded): a borrowable buffer, or one it can move (or
/// copy) into the request it returns.
template <class B>
concept nonblocking_send_buffer =
    send_buffer<B> && (borrowable<B&&> || std::constructible_from<std::remove_cvref_t<B>, B&&>);

/// A non-borrowable container moved into a receive (a temporary vector, an owning view): received into
/// at its current size, handed back by wait().
template <class B>
concept owned_recv_buffer = !std::is_reference_v<B> && !std::is_const_v<B> && !borrowable<B&&> &&
                            std::move_constructible<B> && contiguous_buffer<B&> && recv_buffer<B&>;

/// Owns a buffer (or value) for the duration of an operation and hands it back from wait().
template <class B>
struct owned_payload final : request_payload<B> {
    B buf{};
    owned_payload() = default;
    template <class U>
    explicit owned_payload(U&& u) : buf(std::forward<U>(u)) {}
    B finish(const MPI_Status&) override { return std::move(buf); }
};

/// Checked mode (detail/p2p_signature.hpp): a receive's payload that compares its message's signature
/// with the receive's datatype when it completes, then lets the inner payload (if any) finish. It keeps
/// the datatype's class, not the handle: a layout's derived datatype may be freed before wait().
template <class T>
struct checked_recv_payload final : request_payload<T> {
    checked_recv_payload(detail::box<request_payload<T>> in, MPI_Comm c, MPI_Datatype t)
        : inner(std::move(in)), comm(c), type(t) {}
    T finish(const MPI_Status& st) override {
        int cancelled = 0;
        MPI_Test_cancelled(&st, &cancelled);
        if (!cancelled) {
            if (sendrecv) check_sendrecv(st);
            else check_typed_receive(comm, st, type, "mpixx::irecv");
        }
        if constexpr (std::is_void_v<T>) {
            if (inner) inner->finish(st);
        } else {
            return inner->finish(st);
        }
    }
    bool post(MPI_Request& r) override { return inner ? inner->post(r) : true; }
    bool cancel() override { return inner ? inner->cancel() : false; }

    /// The receive half of an isendrecv. Its message comes from the source and tag asked for, so those
    /// name its signature (the oldest from there: MPI keeps their order). MPICH 4.0 leaves the status of
    /// MPI_Isendrecv unset (source, tag and size are garbage): a wildcard receive there is not checked.
    void check_sendrecv(const MPI_Status& st) {
        if (source >= 0 && tag >= 0) {
            MPI_Status asked = st;
            asked.MPI_SOURCE = source;
            asked.MPI_TAG = tag;
            return check_typed_receive(comm, asked, type, "mpixx::isendrecv", true);
        }
#if defined(MPICH_NUMVERSION) && MPICH_NUMVERSION < 40100000
        (void)st;
#else
        check_typed_receive(comm, st, type, "mpixx::isendrecv");
#endif
    }

    detail::box<request_payload<T>> inner;
    MPI_Comm comm;
    receive_type type;
    bool sendrecv = false;     ///< the receive half of an isendrecv
    int source = MPI_ANY_SOURCE; ///< isendrecv: the source asked for
    int tag = MPI_ANY_TAG;       ///< isendrecv: the tag asked for
};

/// The payload of an isendrecv's receive of `type` from (source, tag): `p`, or in checked mode `p`
/// wrapped to check it (checked_recv_payload::check_sendrecv).
template <class T>
detail::box<request_payload<T>> sendrecv_payload(detail::box<request_payload<T>> p, MPI_Comm comm,
                                                     MPI_Datatype type, int source, int tag) {
    if constexpr (checked_p2p) {
        auto c = detail::make_box<checked_recv_payload<T>>(std::move(p), comm, type);
        c->sendrecv = true;
        c->source = source;
        c->tag = tag;
        return c;
    } else {
        return p;
    }
}

/// The payload of a receive of `type` on `comm`: `p` itself, or in checked mode `p` wrapped to check.
template <class T>
detail::box<request_payload<T>> recv_payload(detail::box<request_payload<T>> p, MPI_Comm comm,
                                                 MPI_Datatype type) {
    if constexpr (checked_p2p) return detail::make_box<checked_recv_payload<T>>(std::move(p), comm, type);
    else return p;
}

/// A receive of unknown size: the matched probe's size resizes the container, then MPI_Imrecv.
template <resizable_buffer C>
class probed_recv final : public deferred_recv<C> {
public:
    using deferred_recv<C>::deferred_recv;
    ~probed_recv() override { this->settle(); }
    C finish(const MPI_Status&) override { return std::move(out_); }

private:
    void on_match(message& m, MPI_Request& r) override {
        using E = std::remove_cv_t<std::ranges::range_value_t<C&>>;
        const MPI_Datatype type = datatype<E>();
        m.check_signature(type, "mpixx::irecv");
        detail::resize_for_message(out_, m.status().count(type), type, "mpixx::irecv");
        MPIXX_CALL_COUNT(MPI_Imrecv, std::ranges::data(out_), std::ranges::size(out_), type, &m.native(), &r);
    }
    C out_;
};

/// Layer of the communicator: non-blocking and persistent point-to-point returning RAII requests.
/// (Template heads start with `int&...` so that explicit template arguments, as in irecv<int>(0, 1),
/// can only name the value-returning overloads.)
class nonblocking_layer : public p2p_layer {
public:
    /// Starts a standard-mode send (MPI_Isend). A borrowable buffer (lvalue, borrowed range) must outlive
    /// the request<>; anything else (a temporary, an owning view) is moved into the request<B>, and
    /// wait() hands it back.
    template <int&..., class B>
        requires nonblocking_send_buffer<B>
    auto isend(B&& buf, int dest, int tag = 0) const {
        return start_send<false>(std::forward<B>(buf), dest, tag, "mpixx::isend");
    }

    /// Starts a synchronous send (MPI_Issend): completes once the receive has started. Buffers as isend.
    template <int&..., class B>
        requires nonblocking_send_buffer<B>
    auto issend(B&& buf, int dest, int tag = 0) const {
        return start_send<true>(std::forward<B>(buf), dest, tag, "mpixx::issend");
    }

    /// Starts a receive into the caller's borrowable buffer (MPI_Irecv); it must outlive the request.
    template <int&..., class B>
        requires recv_target<B&&>
    request<> irecv(B&& buf, int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::irecv");
        check_recv_tag(tag, "mpixx::irecv");
        auto v = view(buf);
        MPI_Request r = MPI_REQUEST_NULL;
        MPIXX_CALL_COUNT(MPI_Irecv, v.ptr, v.count, v.type, source, tag, comm_, &r);
        // cancelled, not waited for, if unwinding destroys it
        request<> out(detail::receive_request, r, recv_payload<void>(nullptr, comm_, v.type));
        mark_proc_null(out, source);
        return out;
    }

    /// Starts a receive into a non-borrowable container moved in (a temporary, an owning view): received
    /// at its current size (a larger message raises MPI_ERR_TRUNCATE at wait()); wait() hands it back.
    template <int&..., class B>
        requires owned_recv_buffer<B>
    request<B> irecv(B&& buf, int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::irecv");
        check_recv_tag(tag, "mpixx::irecv");
        auto payload = detail::make_box<owned_payload<B>>(std::move(buf));
        auto v = view(payload->buf);
        MPI_Request r = MPI_REQUEST_NULL;
        MPIXX_CALL_COUNT(MPI_Irecv, v.ptr, v.count, v.type, source, tag, comm_, &r);
        request<B> out(detail::receive_request, r, recv_payload<B>(std::move(payload), comm_, v.type));
        mark_proc_null(out, source);
        return out;
    }

    /// Starts a receive whose wait() returns a T: one value, or a container sized to the message by a
    /// matched probe (MPI_Improbe, then MPI_Imrecv; matched as soon as the message is there).
    template <typed_recv_value T>
    request<T> irecv(int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::irecv");
        check_recv_tag(tag, "mpixx::irecv");
        if constexpr (resizable_buffer<T>) {
            return start_deferred<T>(detail::make_box<probed_recv<T>>(comm_, source, tag, owner_));
        } else {
            auto payload = detail::make_box<owned_payload<T>>();
            auto v = view(payload->buf);
            MPI_Request r = MPI_REQUEST_NULL;
            MPIXX_CALL_COUNT(MPI_Irecv, v.ptr, v.count, v.type, source, tag, comm_, &r);
            request<T> out(detail::receive_request, r, recv_payload<T>(std::move(payload), comm_, v.type));
            mark_proc_null(out, source);
            return out;
        }
    }

#if MPI_VERSION >= 4
    /// Starts a send and a receive in one deadlock-free operation (MPI-4 MPI_Isendrecv); both buffers
    /// are borrowed (borrowable: a temporary does not compile) and must outlive the request. (MPICH 4.0
    /// leaves its status unset.)
    template <int&..., class S, class R>
        requires send_buffer<S> && borrowable<S&&> && recv_target<R&&>
    request<> isendrecv(S&& sendbuf, int dest, int sendtag, R&& recvbuf, int source = any_source,
                        int recvtag = any_tag) const {
        check_dest(dest, "mpixx::isendrecv");
        check_send_tag(sendtag, "mpixx::isendrecv");
        check_source(source, "mpixx::isendrecv");
        check_recv_tag(recvtag, "mpixx::isendrecv");
        auto s = view(std::as_const(sendbuf));
        auto v = view(recvbuf);
        MPI_Request r = MPI_REQUEST_NULL;
        post_sendrecv(s.ptr, s.count, s.type, dest, sendtag, v.ptr, v.count, v.type, source, recvtag, &r);
        request<> out(r, sendrecv_payload<void>(nullptr, comm_, v.type, source, recvtag));
        mark_proc_null(out, source);
        return out;
    }

    /// Starts a send of a borrowed (borrowable) buffer and the receive of one value (MPI_Isendrecv);
    /// wait() returns the value.
    template <mpi_type R, int&..., class S>
        requires send_buffer<S> && borrowable<S&&>
    request<R> isendrecv(S&& sendbuf, int dest, int sendtag = 0, int source = any_source, int recvtag = any_tag) const {
        check_dest(dest, "mpixx::isendrecv");
        check_send_tag(sendtag, "mpixx::isendrecv");
        check_source(source, "mpixx::isendrecv");
        check_recv_tag(recvtag, "mpixx::isendrecv");
        auto payload = detail::make_box<owned_payload<R>>();
        auto s = view(std::as_const(sendbuf));
        auto v = view(payload->buf);
        MPI_Request r = MPI_REQUEST_NULL;
        post_sendrecv(s.ptr, s.count, s.type, dest, sendtag, v.ptr, v.count, v.type, source, recvtag, &r);
        request<R> out(r, sendrecv_payload<R>(std::move(payload), comm_, v.type, source, recvtag));
        mark_proc_null(out, source);
        return out;
    }

    /// Starts sending the buffer's contents and replacing them with what arrives (MPI_Isendrecv_replace).
    template <int&..., class B>
        requires recv_target<B&&>
    request<> isendrecv_replace(B&& buf, int dest, int sendtag, int source = any_source, int recvtag = any_tag) const {
        check_dest(dest, "mpixx::isendrecv_replace");
        check_send_tag(sendtag, "mpixx::isendrecv_replace");
        check_source(source, "mpixx::isendrecv_replace");
        check_recv_tag(recvtag, "mpixx::isendrecv_replace");
        auto v = view(buf);
        if constexpr (checked_p2p) send_signature(comm_, dest, sendtag, v.count, v.type);
        MPI_Request r = MPI_REQUEST_NULL;
#if defined(MPICH_NUMVERSION) && MPICH_NUMVERSION < 40100000
        if (dest == MPI_PROC_NULL || source == MPI_PROC_NULL) [[unlikely]] // MPICH 4.0 never completes it
            post_one_half(v.ptr, v.count, v.type, dest, sendtag, v.ptr, v.count, v.type, source, recvtag, &r);
        else
#endif
            MPIXX_CALL_COUNT(MPI_Isendrecv_replace, v.ptr, v.count, v.type, dest, sendtag, source, recvtag, comm_, &r);
        request<> out(r, sendrecv_payload<void>(nullptr, comm_, v.type, source, recvtag));
        mark_proc_null(out, source);
        return out;
    }
#endif

    /// A persistent standard-mode send of a borrowed buffer (MPI_Send_init): start() sends its current
    /// contents, as many times as needed. Only borrowable buffers: a temporary does not compile.
    template <int&..., class B>
        requires send_buffer<B> && borrowable<B&&>
    persistent_request send_init(B&& buf, int dest, int tag = 0) const {
        check_dest(dest, "mpixx::send_init");
        check_send_tag(tag, "mpixx::send_init");
        auto v = view(std::as_const(buf));
        MPI_Request r = MPI_REQUEST_NULL;
        MPIXX_CALL_COUNT(MPI_Send_init, v.ptr, v.count, v.type, dest, tag, comm_, &r);
#if MPIXX_CHECKED
        return persistent_request(r, persistent_check::of_send(comm_, dest, tag, v.count, v.type));
#else
        return persistent_request(r);
#endif
    }

    /// A persistent synchronous send of a borrowed buffer (MPI_Ssend_init).
    template <int&..., class B>
        requires send_buffer<B> && borrowable<B&&>
    persistent_request ssend_init(B&& buf, int dest, int tag = 0) const {
        check_dest(dest, "mpixx::ssend_init");
        check_send_tag(tag, "mpixx::ssend_init");
        auto v = view(std::as_const(buf));
        MPI_Request r = MPI_REQUEST_NULL;
        MPIXX_CALL_COUNT(MPI_Ssend_init, v.ptr, v.count, v.type, dest, tag, comm_, &r);
#if MPIXX_CHECKED
        return persistent_request(r, persistent_check::of_send(comm_, dest, tag, v.count, v.type));
#else
        return persistent_request(r);
#endif
    }

    /// A persistent receive into a borrowed (borrowable) buffer (MPI_Recv_init).
    template <int&..., class B>
        requires recv_target<B&&>
    persistent_request recv_init(B&& buf, int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::recv_init");
        check_recv_tag(tag, "mpixx::recv_init");
        auto v = view(buf);
        MPI_Request r = MPI_REQUEST_NULL;
        MPIXX_CALL_COUNT(MPI_Recv_init, v.ptr, v.count, v.type, source, tag, comm_, &r);
#if MPIXX_CHECKED
        persistent_request out(r, persistent_check::of_recv(comm_, v.type));
#else
        persistent_request out(r);
#endif
        request_access::as_receive(out); // cancelled, not waited for, if unwinding destroys it started
        mark_proc_null(out, source);
        return out;
    }

protected:
    using p2p_layer::p2p_layer;

private:
    template <bool Sync>
    void post_send(const void* p, std::size_t n, MPI_Datatype t, int dest, int tag, MPI_Request* r) const {
        if constexpr (checked_p2p) send_signature(comm_, dest, tag, n, t);
        if constexpr (Sync) MPIXX_CALL_COUNT(MPI_Issend, p, n, t, dest, tag, comm_, r);
        else MPIXX_CALL_COUNT(MPI_Isend, p, n, t, dest, tag, comm_, r);
    }

    template <bool Sync, class B>
    auto start_send(B&& buf, int dest, int tag, const char* routine) const {
        check_dest(dest, routine);
        check_send_tag(tag, routine);
        if constexpr (borrowable<B&&>) {
            auto v = view(std::as_const(buf));
            MPI_Request r = MPI_REQUEST_NULL;
            post_send<Sync>(v.ptr, v.count, v.type, dest, tag, &r);
            return request<>(r);
        } else {
            using O = std::remove_cvref_t<B>;
            auto payload = detail::make_box<owned_payload<O>>(std::forward<B>(buf));
            auto v = view(std::as_const(payload->buf));
            MPI_Request r = MPI_REQUEST_NULL;
            post_send<Sync>(v.ptr, v.count, v.type, dest, tag, &r);
            return request<O>(r, std::move(payload));
        }
    }

#if MPI_VERSION >= 4
    void post_sendrecv(const void* sp, std::size_t sn, MPI_Datatype stype, int dest, int sendtag, void* rp,
                       std::size_t rn, MPI_Datatype rtype, int source, int recvtag, MPI_Request* r) const {
        if constexpr (checked_p2p) send_signature(comm_, dest, sendtag, sn, stype);
#if defined(MPICH_NUMVERSION) && MPICH_NUMVERSION < 40100000
        if (dest == MPI_PROC_NULL || source == MPI_PROC_NULL) [[unlikely]] // MPICH 4.0 never completes it
            return post_one_half(sp, sn, stype, dest, sendtag, rp, rn, rtype, source, recvtag, r);
#endif
        if (sn <= static_cast<std::size_t>(INT_MAX) && rn <= static_cast<std::size_t>(INT_MAX)) [[likely]]
            MPIXX_CALL(MPI_Isendrecv, sp, static_cast<int>(sn), stype, dest, sendtag, rp, static_cast<int>(rn), rtype,
                       source, recvtag, comm_, r);
        else
            MPIXX_CALL(MPI_Isendrecv_c, sp, static_cast<MPI_Count>(sn), stype, dest, sendtag, rp,
                       static_cast<MPI_Count>(rn), rtype, source, recvtag, comm_, r);
    }

#if defined(MPICH_NUMVERSION) && MPICH_NUMVERSION < 40100000
    /// MPICH 4.0's MPI_Isendrecv(_replace) with a proc_null peer never completes: post only the half that
    /// does something (a send to proc_null and a receive from it are no-ops), the receive when both are
    /// proc_null (it completes at once; its request reports the proc_null status: mark_proc_null).
    [[MPIXX_COLD]] void post_one_half(const void* sp, std::size_t sn, MPI_Datatype stype, int dest, int sendtag,
                                      void* rp, std::size_t rn, MPI_Datatype rtype, int source, int recvtag,
                                      MPI_Request* r) const {
        if (dest == MPI_PROC_NULL) MPIXX_CALL_COUNT(MPI_Irecv, rp, rn, rtype, source, recvtag, comm_, r);
        else MPIXX_CALL_COUNT(MPI_Isend, sp, sn, stype, dest, sendtag, comm_, r);
    }
#endif
#endif

    /// A receive from proc_null reports MPI's proc_null status whatever the MPI library gives (MPICH 4.0:
    /// source 0, tag 0 from MPI_Irecv, any_source from MPI_Recv_init).
    template <class R>
    static void mark_proc_null(R& req, int source) noexcept {
        if (source == MPI_PROC_NULL) [[unlikely]]
            request_access::from_proc_null(req);
    }
};

} // namespace detail
} // namespace mpixx

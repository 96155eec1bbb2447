// mpixx/point_to_point.hpp - blocking typed send/recv on the caller's memory (the uppercase mpi4py API).
//
// Every call is one MPI call on the user's buffer: no copy, no allocation, nothing built on success.
// Receives of resizable containers (recv<std::vector<T>>) size themselves with a matched probe.
// Every call that may wait on a peer (send, ssend, recv, sendrecv, sendrecv_replace, probe, mprobe)
// keeps probe-sized receives matching while it waits (detail/progress.hpp), and iprobe/improbe match
// them before they look, so a peer's send to a pending irecv<std::string> never deadlocks here.
// The same calls are marked for the hang report (MPIXX_HANG_TIMEOUT, detail/hang_watch.hpp) while they
// block: one relaxed load when it is off, then the unchanged call.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/arg_pack.hpp>
#include <mpixx/buffer.hpp>
#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/hang_watch.hpp>
#include <mpixx/detail/p2p_signature.hpp>
#include <mpixx/detail/progress.hpp>
#include <mpixx/message.hpp>
#include <mpixx/status.hpp>
#include <mpixx/detail/std_light.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

namespace detail {

// ---- blocking point-to-point that keeps probe-sized receives matching (detail/progress.hpp) ---------
//
// A blocking call that may wait on a peer checks progress::active() (one relaxed load) and is the plain
// MPI call when nothing is registered. Otherwise it waits for its non-blocking twin while matching the
// registered receives, so that a peer's send to one of them cannot deadlock it: blocking_call for
// recv, progress_send / progress_sendrecv / progress_probe below. (Point-to-point only: blocking and
// non-blocking point-to-point operations match each other, collectives do not; see
// collectives_common.hpp.)

/// The cold path of blocking_call: matches what has arrived (earlier receives come first, as in MPI),
/// posts the twin `IFn` and waits for it while matching. `args` are the blocking call's, the last its
/// MPI_Status*; IFn takes the others, then the request. Returns the MPI return code.
template <auto IFn, class... A>
[[MPIXX_COLD]] int progress_call(A... args) {
    constexpr std::size_t n = sizeof...(A) - 1;
    const arg_pack<A...> all(args...);
    progress::poll();
    MPI_Request r = MPI_REQUEST_NULL;
    const int rc = [&]<std::size_t... I>(std::index_sequence<I...>) {
        return IFn(detail::arg<I>(all)..., &r);
    }(std::make_index_sequence<n>{});
    if (rc != MPI_SUCCESS) return rc;
    return progress::wait(r, detail::arg<n>(all));
}

/// `Fn(args...)`, a blocking MPI call whose last argument is its MPI_Status* (MPI_Recv); while
/// probe-sized receives are registered, its non-blocking twin (same arguments, the request in place of
/// the status) waited for by progress_call. Both take the same arguments in the same registers, so the
/// common path is the plain call after one load and branch. Returns the MPI return code.
template <auto Fn, auto IFn, class... A>
[[gnu::always_inline]] inline int blocking_call(A... args) {
    if (progress::active()) [[unlikely]]
        return progress_call<IFn>(args...);
    return Fn(args...);
}

/// Blocking typed point-to-point on top of the handle; the next layers add requests and collectives.
/// send/ssend/recv are always_inline: clang 14 otherwise keeps them out of line (+1.5 ns per call).
class p2p_layer : public comm_base {
public:
    /// Standard-mode send of a value or contiguous buffer (MPI_Send).
    template <send_buffer B>
    [[gnu::always_inline]] void send(const B& buf, int dest, int tag = 0) const {
        check_dest(dest, "mpixx::send");
        check_send_tag(tag, "mpixx::send");
        auto v = view(buf);
        if constexpr (checked_p2p) send_signature(comm_, dest, tag, v.count, v.type);
        if (hang_watch_on()) [[unlikely]]
            return watched_send<false>(v.ptr, v.count, v.type, dest, tag);
        if (progress::active()) [[unlikely]]
            return progress_send<false>(v.ptr, v.count, v.type, dest, tag);
        MPIXX_CALL_COUNT(MPI_Send, v.ptr, v.count, v.type, dest, tag, comm_);
    }

    /// Synchronous send: returns once the receive has started (MPI_Ssend).
    template <send_buffer B>
    [[gnu::always_inline]] void ssend(const B& buf, int dest, int tag = 0) const {
        check_dest(dest, "mpixx::ssend");
        check_send_tag(tag, "mpixx::ssend");
        auto v = view(buf);
        if constexpr (checked_p2p) send_signature(comm_, dest, tag, v.count, v.type);
        if (hang_watch_on()) [[unlikely]]
            return watched_send<true>(v.ptr, v.count, v.type, dest, tag);
        if (progress::active()) [[unlikely]]
            return progress_send<true>(v.ptr, v.count, v.type, dest, tag);
        MPIXX_CALL_COUNT(MPI_Ssend, v.ptr, v.count, v.type, dest, tag, comm_);
    }

    /// Receives into the caller's buffer (MPI_Recv); a message larger than the buffer throws.
    template <class B>
        requires recv_target<B&&>
    [[gnu::always_inline]] status recv(B&& buf, int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::recv");
        check_recv_tag(tag, "mpixx::recv");
        auto v = view(buf);
        MPI_Status st;
        int rc;
        if (hang_watch_on()) [[unlikely]]
            rc = watched_recv(v.ptr, v.count, v.type, source, tag, &st);
        else if (v.count <= static_cast<std::size_t>(INT_MAX)) [[likely]]
            rc = blocking_call<MPI_Recv, MPI_Irecv>(v.ptr, static_cast<int>(v.count), v.type, source, tag, comm_, &st);
        else
            rc = large_recv(v.ptr, v.count, v.type, source, tag, &st);
        if (rc != MPI_SUCCESS) [[unlikely]]
            throw_recv_error(rc, "MPI_Recv", v.count, v.type);
        if constexpr (checked_p2p) check_typed_receive(comm_, st, v.type, "mpixx::recv");
        return status(st);
    }

    /// Receives and returns a T: one value, or a container sized to the message by a matched probe
    /// (T{} from proc_null).
    template <typed_recv_value T>
    [[nodiscard]] T recv(int source = any_source, int tag = any_tag) const {
        // Value-initialised: a receive from proc_null writes nothing and must return T{}, not garbage.
        T out{};
        if constexpr (resizable_buffer<T>) mprobe(source, tag).recv_resize(out);
        else recv(out, source, tag);
        return out;
    }

    /// Sends one buffer and receives into another in one deadlock-free call (MPI_Sendrecv).
    template <send_buffer S, class R>
        requires recv_target<R&&>
    status sendrecv(const S& sendbuf, int dest, int sendtag, R&& recvbuf, int source = any_source,
                    int recvtag = any_tag) const {
        check_dest(dest, "mpixx::sendrecv");
        check_send_tag(sendtag, "mpixx::sendrecv");
        check_source(source, "mpixx::sendrecv");
        check_recv_tag(recvtag, "mpixx::sendrecv");
        auto s = view(sendbuf);
        auto r = view(recvbuf);
        constexpr auto int_max = static_cast<std::size_t>(INT_MAX);
        if constexpr (checked_p2p) send_signature(comm_, dest, sendtag, s.count, s.type);
        MPI_Status st;
        auto call = [&] {
            if (progress::active()) [[unlikely]]
                return progress_sendrecv(comm_, s.ptr, s.count, s.type, dest, sendtag, r.ptr, r.count, r.type, source,
                                         recvtag, &st);
            if (s.count <= int_max && r.count <= int_max) [[likely]]
                return MPI_Sendrecv(s.ptr, static_cast<int>(s.count), s.type, dest, sendtag, r.ptr,
                                    static_cast<int>(r.count), r.type, source, recvtag, comm_, &st);
            return large_sendrecv(s.ptr, s.count, s.type, dest, sendtag, r.ptr, r.count, r.type, source, recvtag,
                                  &st);
        };
        int rc;
        if (hang_watch_on()) [[unlikely]] {
            // What blocks is the receive side (the send side is named by the peer's own line).
            const hang_scope watched(
                {"MPI_Sendrecv", comm_, source, recvtag, r.count, r.type, hang_kind::point_to_point});
            rc = call();
        } else {
            rc = call();
        }
        if (rc != MPI_SUCCESS) [[unlikely]]
            throw_recv_error(rc, "MPI_Sendrecv", r.count, r.type);
        if constexpr (checked_p2p) check_typed_receive(comm_, st, r.type, "mpixx::sendrecv");
        return status(st);
    }

    /// Sends a buffer and returns what arrives: a value, or a container sized by a matched probe (R{}
    /// from a proc_null source).
    template <typed_recv_value R, send_buffer S>
    [[nodiscard]] R sendrecv(const S& sendbuf, int dest, int sendtag = 0, int source = any_source,
                             int recvtag = any_tag) const {
        if constexpr (resizable_buffer<R>) {
            // Post the send first so that two ranks exchanging this way cannot deadlock; every argument
            // is checked before it (a bad source or tag must not leave a message sent by a call that threw).
            check_dest(dest, "mpixx::sendrecv");
            check_send_tag(sendtag, "mpixx::sendrecv");
            check_source(source, "mpixx::sendrecv");
            check_recv_tag(recvtag, "mpixx::sendrecv");
            auto s = view(sendbuf);
            MPI_Request req = MPI_REQUEST_NULL;
            if constexpr (checked_p2p) send_signature(comm_, dest, sendtag, s.count, s.type);
            MPIXX_CALL_COUNT(MPI_Isend, s.ptr, s.count, s.type, dest, sendtag, comm_, &req);
            R out{};
            try {
                mprobe(source, recvtag).recv_resize(out);
            } catch (...) {
                MPI_Cancel(&req);
                MPI_Wait(&req, MPI_STATUS_IGNORE);
                throw;
            }
            // The peer may be sending to a registered receive of ours before it receives this.
            check(progress::wait(req, MPI_STATUS_IGNORE), "MPI_Wait");
            return out;
        } else {
            R out{}; // a proc_null source receives nothing: R{}, not garbage
            sendrecv(sendbuf, dest, sendtag, out, source, recvtag);
            return out;
        }
    }

    /// Sends the buffer's contents and replaces them with what arrives (MPI_Sendrecv_replace).
    template <class B>
        requires recv_target<B&&>
    status sendrecv_replace(B&& buf, int dest, int sendtag, int source = any_source, int recvtag = any_tag) const {
        check_dest(dest, "mpixx::sendrecv_replace");
        check_send_tag(sendtag, "mpixx::sendrecv_replace");
        check_source(source, "mpixx::sendrecv_replace");
        check_recv_tag(recvtag, "mpixx::sendrecv_replace");
        auto v = view(buf);
        if constexpr (checked_p2p) send_signature(comm_, dest, sendtag, v.count, v.type);
        MPI_Status st;
        auto call = [&] {
            if (progress::active()) [[unlikely]]
                check(progress_sendrecv_replace(comm_, v.ptr, v.count, v.type, dest, sendtag, source, recvtag, &st),
                      "MPI_Sendrecv_replace");
            else
                MPIXX_CALL_COUNT(MPI_Sendrecv_replace, v.ptr, v.count, v.type, dest, sendtag, source, recvtag, comm_,
                                 &st);
        };
        if (hang_watch_on()) [[unlikely]] {
            const hang_scope watched(
                {"MPI_Sendrecv_replace", comm_, source, recvtag, v.count, v.type, hang_kind::point_to_point});
            call();
        } else {
            call();
        }
        if constexpr (checked_p2p) check_typed_receive(comm_, st, v.type, "mpixx::sendrecv_replace");
        return status(st);
    }

    /// Blocks until a matching message is available and returns its status (MPI_Probe).
    status probe(int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::probe");
        check_recv_tag(tag, "mpixx::probe");
        MPI_Status st;
        auto call = [&] {
            if (progress::active()) [[unlikely]]
                check(progress_probe(comm_, source, tag, &st, nullptr), "MPI_Probe");
            else
                MPIXX_CALL(MPI_Probe, source, tag, comm_, &st);
        };
        if (hang_watch_on()) [[unlikely]] {
            const hang_scope watched(
                {"MPI_Probe", comm_, source, tag, 0, MPI_DATATYPE_NULL, hang_kind::point_to_point});
            call();
        } else {
            call();
        }
        return status(st);
    }

    /// The status of a matching message if one is available now (MPI_Iprobe).
    [[nodiscard]] std::optional<status> iprobe(int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::iprobe");
        check_recv_tag(tag, "mpixx::iprobe");
        MPI_Status st;
        int flag = 0;
        if (progress::active()) [[unlikely]]
            progress::poll(); // a polling loop of iprobe must not starve the registered receives
        MPIXX_CALL(MPI_Iprobe, source, tag, comm_, &flag, &st);
        if (!flag) return std::nullopt;
        return status(st);
    }

    /// Matches a message and removes it from the queue so no other receive can take it (MPI_Mprobe).
    [[nodiscard]] message mprobe(int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::mprobe");
        check_recv_tag(tag, "mpixx::mprobe");
        MPI_Message m = MPI_MESSAGE_NULL;
        MPI_Status st;
        auto call = [&] {
            if (progress::active()) [[unlikely]]
                check(progress_probe(comm_, source, tag, &st, &m), "MPI_Mprobe");
            else
                MPIXX_CALL(MPI_Mprobe, source, tag, comm_, &m, &st);
        };
        if (hang_watch_on()) [[unlikely]] {
            const hang_scope watched(
                {"MPI_Mprobe", comm_, source, tag, 0, MPI_DATATYPE_NULL, hang_kind::point_to_point});
            call();
        } else {
            call();
        }
        return message(m, st, comm_);
    }

    /// Like mprobe, but returns at once with nothing when no message matches (MPI_Improbe).
    [[nodiscard]] std::optional<message> improbe(int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::improbe");
        check_recv_tag(tag, "mpixx::improbe");
        MPI_Message m = MPI_MESSAGE_NULL;
        MPI_Status st;
        int flag = 0;
        if (progress::active()) [[unlikely]]
            progress::poll();
        MPIXX_CALL(MPI_Improbe, source, tag, comm_, &flag, &m, &st);
        if (!flag) return std::nullopt;
        return message(m, st, comm_);
    }

protected:
    using comm_base::comm_base;

private:
    /// send/ssend while the hang report is on: the same call, marked while it blocks (cold path).
    template <bool Sync>
    [[MPIXX_COLD]] void watched_send(const void* p, std::size_t n, MPI_Datatype t, int dest,
                                     int tag) const {
        const hang_scope watched({Sync ? "MPI_Ssend" : "MPI_Send", comm_, dest, tag, n, t, hang_kind::point_to_point});
        if (progress::active()) return progress_send<Sync>(p, n, t, dest, tag);
        if constexpr (Sync) MPIXX_CALL_COUNT(MPI_Ssend, p, n, t, dest, tag, comm_);
        else MPIXX_CALL_COUNT(MPI_Send, p, n, t, dest, tag, comm_);
    }

    /// recv while the hang report is on: the same call, marked while it blocks (cold path). Returns the
    /// MPI return code.
    [[MPIXX_COLD]] int watched_recv(void* p, std::size_t n, MPI_Datatype t, int source, int tag,
                                    MPI_Status* st) const {
        const hang_scope watched({"MPI_Recv", comm_, source, tag, n, t, hang_kind::point_to_point});
        if (n <= static_cast<std::size_t>(INT_MAX))
            return blocking_call<MPI_Recv, MPI_Irecv>(p, static_cast<int>(n), t, source, tag, comm_, st);
        return large_recv(p, n, t, source, tag, st);
    }

    /// A blocking send while probe-sized receives wait to be matched (detail/progress.hpp): posted
    /// non-blocking, then waited for while matching them, so that a peer's send to them can complete.
    template <bool Sync>
    [[MPIXX_COLD]] void progress_send(const void* p, std::size_t n, MPI_Datatype t, int dest,
                                      int tag) const {
        MPI_Request r = MPI_REQUEST_NULL;
        if constexpr (Sync) MPIXX_CALL_COUNT(MPI_Issend, p, n, t, dest, tag, comm_, &r);
        else MPIXX_CALL_COUNT(MPI_Isend, p, n, t, dest, tag, comm_, &r);
        check(progress::wait(r, MPI_STATUS_IGNORE), Sync ? "MPI_Ssend" : "MPI_Send");
    }

    /// probe (m null) or mprobe while probe-sized receives are registered: polls MPI_Iprobe/MPI_Improbe,
    /// matching the registered receives before each try, until a message is found or none is left
    /// registered (then the blocking call). Returns the MPI return code.
    [[MPIXX_COLD]] static int progress_probe(MPI_Comm comm, int source, int tag, MPI_Status* st,
                                             MPI_Message* m) {
        progress::backoff b;
        for (;;) {
            progress::poll();
            int flag = 0;
            int rc = m ? MPI_Improbe(source, tag, comm, &flag, m, st) : MPI_Iprobe(source, tag, comm, &flag, st);
            if (rc != MPI_SUCCESS || flag) return rc;
            if (!progress::active())
                return m ? MPI_Mprobe(source, tag, comm, m, st) : MPI_Probe(source, tag, comm, st);
            b.pause();
        }
    }

    int large_recv(void* p, std::size_t n, MPI_Datatype t, int source, int tag, MPI_Status* st) const {
#if MPI_VERSION >= 4
        return blocking_call<MPI_Recv_c, MPI_Irecv_c>(p, static_cast<MPI_Count>(n), t, source, tag, comm_, st);
#else
        (void)p, (void)t, (void)source, (void)tag, (void)st;
        throw_large_count("MPI_Recv", n);
#endif
    }

    int large_sendrecv(const void* sp, std::size_t sn, MPI_Datatype st_, int dest, int sendtag, void* rp,
                       std::size_t rn, MPI_Datatype rt, int source, int recvtag, MPI_Status* st) const {
#if MPI_VERSION >= 4
        return MPI_Sendrecv_c(sp, static_cast<MPI_Count>(sn), st_, dest, sendtag, rp, static_cast<MPI_Count>(rn), rt,
                              source, recvtag, comm_, st);
#else
        (void)sp, (void)st_, (void)dest, (void)sendtag, (void)rp, (void)rt, (void)source, (void)recvtag, (void)st;
        throw_large_count("MPI_Sendrecv", sn > rn ? sn : rn);
#endif
    }

    /// sendrecv while probe-sized receives are registered: the receive and the send as two requests,
    /// waited for while matching them. (Not MPI_Isendrecv: MPICH 4.0 leaves its status's source and tag
    /// empty, and MPI-3 lacks it.) Returns the MPI return code.
    [[MPIXX_COLD]] static int progress_sendrecv(MPI_Comm comm, const void* sp, std::size_t sn,
                                                MPI_Datatype stype, int dest, int sendtag, void* rp,
                                                std::size_t rn, MPI_Datatype rtype, int source,
                                                int recvtag, MPI_Status* st) {
        constexpr auto int_max = static_cast<std::size_t>(INT_MAX);
#if MPI_VERSION < 4
        if (sn > int_max || rn > int_max) throw_large_count("MPI_Sendrecv", sn > rn ? sn : rn);
#endif
        progress::poll();
        MPI_Request r[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
        int rc = rn <= int_max ? MPI_Irecv(rp, static_cast<int>(rn), rtype, source, recvtag, comm, &r[0])
#if MPI_VERSION >= 4
                               : MPI_Irecv_c(rp, static_cast<MPI_Count>(rn), rtype, source, recvtag, comm, &r[0]);
#else
                               : MPI_ERR_COUNT;
#endif
        if (rc != MPI_SUCCESS) return rc;
        rc = sn <= int_max ? MPI_Isend(sp, static_cast<int>(sn), stype, dest, sendtag, comm, &r[1])
#if MPI_VERSION >= 4
                           : MPI_Isend_c(sp, static_cast<MPI_Count>(sn), stype, dest, sendtag, comm, &r[1]);
#else
                           : MPI_ERR_COUNT;
#endif
        if (rc != MPI_SUCCESS) {
            MPI_Cancel(&r[0]);
            MPI_Wait(&r[0], MPI_STATUS_IGNORE);
            return rc;
        }
        rc = progress::wait(r[0], st);
        const int rc_send = progress::wait(r[1], MPI_STATUS_IGNORE);
        return rc != MPI_SUCCESS ? rc : rc_send;
    }

    /// sendrecv_replace while probe-sized receives are registered: sends a copy of the buffer and
    /// receives in place (progress_sendrecv). The copy spans every byte the `n` items touch, from the
    /// datatype's true lower bound (a layout may start after `p`, or reach past n * extent: a resized
    /// column), and is sent from the address that puts each item where it was. Returns the MPI code.
    [[MPIXX_COLD]] static int progress_sendrecv_replace(MPI_Comm comm, void* p, std::size_t n,
                                                        MPI_Datatype t, int dest, int sendtag,
                                                        int source, int recvtag, MPI_Status* st) {
        MPI_Aint lb = 0, extent = 0, true_lb = 0, true_extent = 0;
        if (int rc = MPI_Type_get_extent(t, &lb, &extent); rc != MPI_SUCCESS) return rc;
        if (int rc = MPI_Type_get_true_extent(t, &true_lb, &true_extent); rc != MPI_SUCCESS) return rc;
        // Items are `extent` apart (a negative extent places them before the first).
        const MPI_Aint step = n == 0 ? 0 : static_cast<MPI_Aint>(n - 1) * extent;
        const MPI_Aint low = n == 0 ? 0 : true_lb + (step < 0 ? step : 0);
        const MPI_Aint high = n == 0 ? 0 : true_lb + true_extent + (step > 0 ? step : 0);
        std::vector<std::byte> copy(static_cast<std::size_t>(high - low));
        if (!copy.empty()) std::memcpy(copy.data(), static_cast<const std::byte*>(p) + low, copy.size());
        // The send's base lies `low` bytes before the copy: MPI address arithmetic, not a C++ pointer.
        MPI_Aint at = 0;
        if (int rc = MPI_Get_address(copy.data(), &at); rc != MPI_SUCCESS) return rc;
        const auto from = reinterpret_cast<const void*>(static_cast<std::intptr_t>(MPI_Aint_add(at, -low)));
        return progress_sendrecv(comm, from, n, t, dest, sendtag, p, n, t, source, recvtag, st);
    }
};

} // namespace detail
} // namespace mpixx

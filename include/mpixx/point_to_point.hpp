// mpixx/point_to_point.hpp - blocking typed send/recv on the caller's memory (the uppercase mpi4py API).
//
// Every call is one MPI call on the user's buffer: no copy, no allocation, nothing built on success.
// Receives of resizable containers (recv<std::vector<T>>) size themselves with a matched probe.
#pragma once

#include <mpixx/buffer.hpp>
#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/progress.hpp>
#include <mpixx/message.hpp>
#include <mpixx/status.hpp>

#include <optional>
#include <ranges>
#include <type_traits>

namespace mpixx {

namespace detail {

/// Blocking typed point-to-point on top of the handle; the next layers add requests and collectives.
class p2p_layer : public comm_base {
public:
    /// Standard-mode send of a value or contiguous buffer (MPI_Send).
    template <send_buffer B>
    void send(const B& buf, int dest, int tag = 0) const {
        check_dest(dest, "mpixx::send");
        check_send_tag(tag, "mpixx::send");
        auto v = view(buf);
        if (progress::active()) [[unlikely]]
            return progress_send<false>(v.ptr, v.count, v.type, dest, tag);
        MPIXX_CALL_COUNT(MPI_Send, v.ptr, v.count, v.type, dest, tag, comm_);
    }

    /// Synchronous send: returns once the receive has started (MPI_Ssend).
    template <send_buffer B>
    void ssend(const B& buf, int dest, int tag = 0) const {
        check_dest(dest, "mpixx::ssend");
        check_send_tag(tag, "mpixx::ssend");
        auto v = view(buf);
        if (progress::active()) [[unlikely]]
            return progress_send<true>(v.ptr, v.count, v.type, dest, tag);
        MPIXX_CALL_COUNT(MPI_Ssend, v.ptr, v.count, v.type, dest, tag, comm_);
    }

    /// Receives into the caller's buffer (MPI_Recv); a message larger than the buffer throws.
    template <class B>
        requires recv_target<B&&>
    status recv(B&& buf, int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::recv");
        check_recv_tag(tag, "mpixx::recv");
        auto v = view(buf);
        MPI_Status st;
        int rc;
        if (v.count <= static_cast<std::size_t>(INT_MAX)) [[likely]]
            rc = MPI_Recv(v.ptr, static_cast<int>(v.count), v.type, source, tag, comm_, &st);
        else
            rc = large_recv(v.ptr, v.count, v.type, source, tag, &st);
        if (rc != MPI_SUCCESS) [[unlikely]]
            throw_recv_error(rc, "MPI_Recv", v.count, v.type);
        return status(st);
    }

    /// Receives and returns a T: one value, or a container sized to the message by a matched probe.
    template <typed_recv_value T>
    [[nodiscard]] T recv(int source = any_source, int tag = any_tag) const {
        if constexpr (resizable_buffer<T>) {
            T out;
            mprobe(source, tag).recv_resize(out);
            return out;
        } else {
            T out;
            recv(out, source, tag);
            return out;
        }
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
        MPI_Status st;
        int rc;
        if (s.count <= static_cast<std::size_t>(INT_MAX) && r.count <= static_cast<std::size_t>(INT_MAX)) [[likely]]
            rc = MPI_Sendrecv(s.ptr, static_cast<int>(s.count), s.type, dest, sendtag, r.ptr,
                              static_cast<int>(r.count), r.type, source, recvtag, comm_, &st);
        else
            rc = large_sendrecv(s.ptr, s.count, s.type, dest, sendtag, r.ptr, r.count, r.type, source, recvtag, &st);
        if (rc != MPI_SUCCESS) [[unlikely]]
            throw_recv_error(rc, "MPI_Sendrecv", r.count, r.type);
        return status(st);
    }

    /// Sends a buffer and returns what arrives: a value, or a container sized by a matched probe.
    template <typed_recv_value R, send_buffer S>
    [[nodiscard]] R sendrecv(const S& sendbuf, int dest, int sendtag = 0, int source = any_source,
                             int recvtag = any_tag) const {
        if constexpr (resizable_buffer<R>) {
            // Post the send first so that two ranks exchanging this way cannot deadlock.
            check_dest(dest, "mpixx::sendrecv");
            check_send_tag(sendtag, "mpixx::sendrecv");
            auto s = view(sendbuf);
            MPI_Request req = MPI_REQUEST_NULL;
            MPIXX_CALL_COUNT(MPI_Isend, s.ptr, s.count, s.type, dest, sendtag, comm_, &req);
            R out;
            try {
                mprobe(source, recvtag).recv_resize(out);
            } catch (...) {
                MPI_Cancel(&req);
                MPI_Wait(&req, MPI_STATUS_IGNORE);
                throw;
            }
            MPIXX_CALL(MPI_Wait, &req, MPI_STATUS_IGNORE);
            return out;
        } else {
            R out;
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
        MPI_Status st;
        MPIXX_CALL_COUNT(MPI_Sendrecv_replace, v.ptr, v.count, v.type, dest, sendtag, source, recvtag, comm_, &st);
        return status(st);
    }

    /// Blocks until a matching message is available and returns its status (MPI_Probe).
    status probe(int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::probe");
        check_recv_tag(tag, "mpixx::probe");
        MPI_Status st;
        MPIXX_CALL(MPI_Probe, source, tag, comm_, &st);
        return status(st);
    }

    /// The status of a matching message if one is available now (MPI_Iprobe).
    [[nodiscard]] std::optional<status> iprobe(int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::iprobe");
        check_recv_tag(tag, "mpixx::iprobe");
        MPI_Status st;
        int flag = 0;
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
        MPIXX_CALL(MPI_Mprobe, source, tag, comm_, &m, &st);
        return message(m, st);
    }

    /// Like mprobe, but returns at once with nothing when no message matches (MPI_Improbe).
    [[nodiscard]] std::optional<message> improbe(int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::improbe");
        check_recv_tag(tag, "mpixx::improbe");
        MPI_Message m = MPI_MESSAGE_NULL;
        MPI_Status st;
        int flag = 0;
        MPIXX_CALL(MPI_Improbe, source, tag, comm_, &flag, &m, &st);
        if (!flag) return std::nullopt;
        return message(m, st);
    }

protected:
    using comm_base::comm_base;

private:
    /// A blocking send while probe-sized receives wait to be matched (detail/progress.hpp): posted
    /// non-blocking, then waited for while matching them, so that a peer's send to them can complete.
    template <bool Sync>
    [[gnu::noinline, gnu::cold]] void progress_send(const void* p, std::size_t n, MPI_Datatype t, int dest, int tag) const {
        MPI_Request r = MPI_REQUEST_NULL;
        if constexpr (Sync) MPIXX_CALL_COUNT(MPI_Issend, p, n, t, dest, tag, comm_, &r);
        else MPIXX_CALL_COUNT(MPI_Isend, p, n, t, dest, tag, comm_, &r);
        check(progress::wait(r, MPI_STATUS_IGNORE), Sync ? "MPI_Ssend" : "MPI_Send");
    }

    int large_recv(void* p, std::size_t n, MPI_Datatype t, int source, int tag, MPI_Status* st) const {
#if MPI_VERSION >= 4
        return MPI_Recv_c(p, static_cast<MPI_Count>(n), t, source, tag, comm_, st);
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
};

} // namespace detail
} // namespace mpixx

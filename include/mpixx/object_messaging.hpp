// mpixx/object_messaging.hpp - messaging of any serializable C++ object (mpi4py's lowercase API):
// send/ssend/recv/sendrecv/isend/issend/irecv, matched messages (message::recv<Object>()), and the
// object collectives of detail/object_collectives.hpp (bcast, scatter, gather, allgather, alltoall,
// reduce, allreduce, scan, exscan with any binary callable).
//
// Dispatch is decided at compile time: a value that is a typed buffer (mpi_type or contiguous range of
// them) takes the typed path of the lower layers; everything else serializable comes here. Wrap a value
// in mpixx::serialized(x) to force this path (recv_object<T> is the receiving side); serialized() of a
// temporary owns it, serialized() of an lvalue borrows it.
//
// Wire protocol (detail/object_protocol.hpp): one message with the encoded stream (received with a
// matched probe, so no size is agreed beforehand) and, when the object has bulk runs of >= 8 KiB (e.g.
// a large std::vector inside it), a table of their sizes; then one message per run straight from/into
// the object's own memory: no copy. A receive whose decode fails (wrong type, corrupt bytes) still takes
// that object's runs off the wire, so its sender completes and the next message arrives intact.
// Receiving from proc_null gives a value-initialised object (mpi4py returns None).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/collectives.hpp>
#include <mpixx/communicator.hpp>
#include <mpixx/detail/object_collectives.hpp>
#include <mpixx/detail/object_protocol.hpp>
#include <mpixx/serialize.hpp>

#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI::detail {

/// The receive of an object of unknown size. When its stream message is matched (at once, or later by
/// detail::progress while this process waits elsewhere), the stream is received and decoded and the
/// receives of its out-of-band runs are posted right away: the sender never waits for this process to
/// call wait(), so "both ranks irecv, then a blocking send, then wait" cannot deadlock.
template <class T>
class object_recv final : public deferred_recv<T> {
public:
    object_recv(MPI_Comm comm, int source, int tag, detail::rc<void> keep_alive)
        : deferred_recv<T>(comm, source, tag, std::move(keep_alive)), comm_(comm) {}
    ~object_recv() override { this->settle(); } // then inbox_ completes its runs (and dropped ones)
    T finish(const MPI_Status&) override { return inbox_.finish(); }

private:
    void on_match(message& m, MPI_Request& r) override { inbox_.start(m, comm_, r); }

    MPI_Comm comm_;
    object_inbox<T> inbox_;
};

/// The send of an object: owns the encoded stream (and the object itself when it was moved in); the
/// stream's request is the request's handle, the out-of-band runs' requests are finished here.
template <class T>
class object_send final : public request_payload<T> {
public:
    object_send() = default;
    ~object_send() override { wait_each_noexcept(runs_); }
    T finish(const MPI_Status&) override {
        wait_each(runs_, "MPI_Wait");
        if constexpr (!std::is_void_v<T>) return std::move(*owned_);
    }

    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> owned_;
    std::vector<std::byte> bytes;
    std::vector<oob_out> out;
    std::vector<MPI_Request> runs_;
};

// ---- the object messaging helpers, declared in detail/object_api.hpp ----
/// \cond INTERNAL (out-of-line members of a detail class: not part of the reference)

/// Encodes `value` (moved into the payload first when it is an rvalue) and posts the sends.
template <class V>
auto object_layer::start_object_send(V&& value, int dest, int tag, bool sync, const char* routine,
                                     std::size_t limit) const {
    check_dest(dest, routine);
    check_send_tag(tag, routine);
    using U = std::remove_cvref_t<V>;
    // Owned: a moved object, or a moved serialized(temporary); a serialized(lvalue) stays borrowed.
    constexpr bool owned = !std::is_lvalue_reference_v<V> && !std::is_same_v<U, serialized_ref<unwrapped_t<U>>>;
    using R = std::conditional_t<owned, unwrapped_t<U>, void>;
    auto p = detail::make_box<object_send<R>>();
    std::span<const std::byte> msg;
    if constexpr (owned) {
        if constexpr (serialized_wrapper<U>) p->owned_.emplace(std::move(value.value));
        else p->owned_.emplace(std::move(value));
        msg = encode_message(p->bytes, p->out, *p->owned_, limit, routine);
    } else {
        msg = encode_message(p->bytes, p->out, unwrap(value), limit, routine);
    }
    post_message(msg, p->out, comm_, dest, tag, sync, p->runs_, object_signature_name<unwrapped_t<U>>());
    const MPI_Request stream = p->runs_.front(); // the request's own handle; the runs stay here
    p->runs_.erase(p->runs_.begin());
    return request<R>(stream, std::move(p));
}

/// Encodes into this thread's scratch buffers and sends the stream. An object with out-of-band runs
/// posts the stream and every run at once, then waits: the receiver matches all runs (and checks
/// their sizes) before it receives any. Every size is checked first: a refused object sends nothing.
template <class T>
void object_layer::send_object(const T& value, int dest, int tag, bool synchronous, std::size_t limit) const {
    const char* routine = synchronous ? "mpixx::ssend" : "mpixx::send";
    check_dest(dest, routine);
    check_send_tag(tag, routine);
    auto& s = scratch();
    const std::span<const std::byte> msg = encode_message(s.bytes, s.out, value, limit, routine);
    if (s.out.empty() && !checked_p2p) { // checked mode: post_message sends the object's signature
        if (synchronous) p2p_layer::ssend(msg, dest, tag);
        else p2p_layer::send(msg, dest, tag);
        return;
    }
    std::vector<MPI_Request> reqs;
    post_message(msg, s.out, comm_, dest, tag, synchronous, reqs, object_signature_name<T>());
    wait_each(reqs, synchronous ? "MPI_Wait (mpixx::ssend)" : "MPI_Wait (mpixx::send)");
}

/// Matches the stream message and receives it into `out` (recv_matched).
template <class T>
status object_layer::recv_object_into(T& out, int source, int tag) const {
    message m = p2p_layer::mprobe(source, tag);
    const status st = m.status();
    recv_matched(m, comm_, out);
    return st;
}

/// Sends `value` and receives an R (sendrecv of objects).
template <class R, class S>
R object_layer::sendrecv_object(const S& value, int dest, int sendtag, int source, int recvtag) const {
    // Encode first, then post the stream non-blocking so that both sides can reach their receive.
    check_dest(dest, "mpixx::sendrecv");
    check_send_tag(sendtag, "mpixx::sendrecv");
    std::vector<std::byte> bytes;
    std::vector<oob_out> runs;
    const auto msg = encode_message(bytes, runs, value, count_limit, "mpixx::sendrecv");
    std::vector<MPI_Request> reqs;
    post_message(msg, runs, comm_, dest, sendtag, false, reqs, object_signature_name<S>());
    R out{};
    try {
        recv_object_into(out, source, recvtag);
    } catch (...) {
        for (auto& r : reqs) MPI_Cancel(&r);
        wait_each_noexcept(reqs); // never free `bytes` in flight
        throw;
    }
    // Every send completes before `bytes` goes (an error is reported after), and probe-sized receives
    // keep matching meanwhile (detail/progress.hpp).
    wait_each(reqs, "MPI_Wait");
    return out;
}

/// Starts the receive of an object of unknown size (object_recv).
template <class T>
request<T> object_layer::start_object_recv(int source, int tag) const {
    check_source(source, "mpixx::irecv");
    check_recv_tag(tag, "mpixx::irecv");
    return start_deferred<T>(detail::make_box<object_recv<T>>(comm_, source, tag, owner_));
}

/// \endcond
} // namespace mpixx::detail

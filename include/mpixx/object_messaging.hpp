// mpixx/object_messaging.hpp - messaging of any serializable C++ object (mpi4py's lowercase API):
// send/recv/sendrecv/probe, and bcast, scatter, gather, allgather, alltoall, reduce, allreduce, scan,
// exscan with any binary callable.
//
// Dispatch is decided at compile time: a value that is a typed buffer (mpi_type or contiguous range of
// them) takes the typed path of the lower layers; everything else serializable comes here. Wrap a value
// in mpixx::serialized(x) to force this path (recv_object<T> is the receiving side).
//
// Wire protocol (point-to-point): one message with the encoded stream (received with a matched probe,
// so no size is agreed beforehand), then, for each bulk run of >= 64 KiB (e.g. a large std::vector
// inside the object), one message straight from/into the object's own memory: no copy.
#pragma once

#include <mpixx/collectives.hpp>
#include <mpixx/serialize.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx {

/// A value marked to travel serialized even though it is a typed buffer (see serialized()).
template <class T>
struct serialized_ref {
    const T& value;
};

/// Forces the serialized path for `value` (the guide's "slow: pickle" side of the comparison).
template <serializable T>
[[nodiscard]] serialized_ref<T> serialized(const T& value) noexcept {
    return {value};
}

/// Types that travel serialized by default: serializable, and not a typed buffer.
template <class T>
concept object = serializable<std::remove_cvref_t<T>> && !send_buffer<std::remove_cvref_t<T>>;

namespace detail {

template <class T>
struct is_serialized_ref : std::false_type {};
template <class T>
struct is_serialized_ref<serialized_ref<T>> : std::true_type {};

/// Anything the object layer sends: an object, or a value wrapped by serialized().
template <class T>
concept object_or_wrapped = object<T> || is_serialized_ref<std::remove_cvref_t<T>>::value;

template <class T>
const auto& unwrap(const T& v) noexcept {
    if constexpr (is_serialized_ref<T>::value) return v.value;
    else return v;
}

/// Buffers reused by every blocking object message of this thread: after warm-up, sending small
/// objects allocates nothing.
struct object_scratch {
    std::vector<std::byte> bytes;
    std::vector<oob_out> out;
    std::vector<oob_in> in;
};
inline object_scratch& scratch() {
    thread_local object_scratch s;
    return s;
}

/// Sizes exchanged by the collectives: 64-bit, whatever MPI's count type.
using wire_size = std::uint64_t;
inline MPI_Datatype wire_size_type() noexcept { return MPI_UINT64_T; }

/// Counts and displacements (in bytes) from per-rank sizes; MPI-4 takes them as MPI_Count/MPI_Aint.
struct byte_layout {
    std::vector<wire_size> sizes;
    std::vector<wire_size> displs;
    wire_size total = 0;
    explicit byte_layout(std::vector<wire_size> s) : sizes(std::move(s)), displs(sizes.size()) {
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            displs[i] = total;
            total += sizes[i];
        }
    }
};

/// Splits a concatenation of streams and decodes each into a T.
template <class T>
std::vector<T> decode_all(const std::vector<std::byte>& bytes, const byte_layout& layout) {
    std::vector<T> out(layout.sizes.size());
    for (std::size_t i = 0; i < out.size(); ++i)
        deserialize_into(std::span<const std::byte>(bytes).subspan(layout.displs[i], layout.sizes[i]), out[i]);
    return out;
}

#if MPI_VERSION >= 4
using vcount = MPI_Count;
using vdispl = MPI_Aint;
#define MPIXX_V(fn) fn##_c
#else
using vcount = int;
using vdispl = int;
#define MPIXX_V(fn) fn
#endif

/// Narrows byte sizes to the v-collective argument types, refusing (not wrapping) what does not fit.
inline std::pair<std::vector<vcount>, std::vector<vdispl>> v_args(const byte_layout& l, const char* routine) {
    std::vector<vcount> c(l.sizes.size());
    std::vector<vdispl> d(l.sizes.size());
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (l.sizes[i] > static_cast<wire_size>(std::numeric_limits<vcount>::max()) ||
            l.displs[i] > static_cast<wire_size>(std::numeric_limits<vdispl>::max())) [[unlikely]]
            throw_large_count(routine, static_cast<std::size_t>(l.total));
        c[i] = static_cast<vcount>(l.sizes[i]);
        d[i] = static_cast<vdispl>(l.displs[i]);
    }
    return {std::move(c), std::move(d)};
}

/// A trailing defaulted parameter of the object overloads. clang 14 lets a member template hide a
/// base-class one brought in by a using-declaration when only their constraints differ; a different
/// parameter list keeps both visible. Callers never pass it.
struct object_overload {};

/// Messaging of serialized objects, the top layer of the communicator.
class object_layer : public collective_layer {
public:
    using collective_layer::recv;
    using collective_layer::send;
    using collective_layer::sendrecv;
    using collective_layer::ssend;

    /// Sends any serializable object (one stream message, plus one zero-copy message per large bulk run).
    template <object_or_wrapped T>
    void send(const T& value, int dest, int tag = 0, object_overload = {}) const {
        send_object(unwrap(value), dest, tag, false);
    }

    /// Like send, but returns only once the receiver has started receiving the stream (MPI_Ssend).
    template <object_or_wrapped T>
    void ssend(const T& value, int dest, int tag = 0, object_overload = {}) const {
        send_object(unwrap(value), dest, tag, true);
    }

    /// Receives an object of any size (matched probe; works with any_source/any_tag).
    template <object T>
    [[nodiscard]] T recv(int source = any_source, int tag = any_tag, object_overload = {}) const {
        T out{};
        recv_object_into(out, source, tag);
        return out;
    }

    /// Receives an object into `out`, reusing its storage (e.g. a large vector member of the same size).
    template <object T>
    status recv(T& out, int source = any_source, int tag = any_tag, object_overload = {}) const {
        return recv_object_into(out, source, tag);
    }

    /// Receives a value sent with serialized(...) (any serializable type, typed buffers included).
    template <serializable T>
    [[nodiscard]] T recv_object(int source = any_source, int tag = any_tag) const {
        T out{};
        recv_object_into(out, source, tag);
        return out;
    }

    /// Sends an object and receives one, without deadlock when two ranks exchange (mpi4py's sendrecv).
    template <object R, object_or_wrapped S>
    [[nodiscard]] R sendrecv(const S& value, int dest, int sendtag = 0, int source = any_source,
                             int recvtag = any_tag, object_overload = {}) const {
        // Encode first, then post the stream non-blocking so that both sides can reach their receive.
        check_dest(dest, "mpixx::sendrecv");
        check_send_tag(sendtag, "mpixx::sendrecv");
        std::vector<std::byte> bytes;
        std::vector<oob_out> segments;
        encode_into(bytes, segments, unwrap(value));
        std::vector<MPI_Request> reqs;
        reqs.reserve(1 + segments.size());
        post_sends(bytes, segments, dest, sendtag, reqs);
        R out{};
        try {
            recv_object_into(out, source, recvtag);
        } catch (...) {
            for (auto& r : reqs) {
                MPI_Cancel(&r);
                MPI_Wait(&r, MPI_STATUS_IGNORE);
            }
            throw;
        }
        MPIXX_CALL(MPI_Waitall, static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE);
        return out;
    }

protected:
    using collective_layer::collective_layer;

    /// Encodes into this thread's scratch buffers and sends the stream, then each out-of-band run.
    template <class T>
    void send_object(const T& value, int dest, int tag, bool synchronous) const {
        check_dest(dest, synchronous ? "mpixx::ssend" : "mpixx::send");
        check_send_tag(tag, synchronous ? "mpixx::ssend" : "mpixx::send");
        auto& s = scratch();
        encode_into(s.bytes, s.out, value);
        const std::span<const std::byte> stream(s.bytes);
        if (synchronous) p2p_layer::ssend(stream, dest, tag);
        else p2p_layer::send(stream, dest, tag);
        for (const auto& seg : s.out) p2p_layer::send(std::span<const std::byte>(seg.data, seg.bytes), dest, tag);
    }

    /// Posts the stream and the out-of-band runs as non-blocking sends (appended to `reqs`).
    void post_sends(const std::vector<std::byte>& bytes, const std::vector<oob_out>& segments, int dest, int tag,
                    std::vector<MPI_Request>& reqs) const {
        reqs.push_back(MPI_REQUEST_NULL);
        MPIXX_CALL_COUNT(MPI_Isend, bytes.data(), bytes.size(), MPI_BYTE, dest, tag, comm_, &reqs.back());
        for (const auto& seg : segments) {
            reqs.push_back(MPI_REQUEST_NULL);
            MPIXX_CALL_COUNT(MPI_Isend, seg.data, seg.bytes, MPI_BYTE, dest, tag, comm_, &reqs.back());
        }
    }

    /// Matches the stream message, decodes it into `out`, then receives each out-of-band run in place.
    template <class T>
    status recv_object_into(T& out, int source, int tag) const {
        message m = mprobe(source, tag);
        const status st = m.status();
        auto& s = scratch();
        s.bytes.resize(st.count(MPI_BYTE));
        m.recv(std::span<std::byte>(s.bytes));
        decode_into(std::span<const std::byte>(s.bytes), out, s.in);
        receive_segments(s.in, st.source(), st.tag());
        return st;
    }

    /// Receives each out-of-band run from the sender of the stream; sizes must match exactly.
    void receive_segments(const std::vector<oob_in>& segments, int source, int tag) const {
        for (const auto& seg : segments) {
            const status got = p2p_layer::recv(std::span<std::byte>(seg.data, seg.bytes), source, tag);
            if (got.count(MPI_BYTE) != seg.bytes) [[unlikely]]
                throw_usage("mpixx::recv", MPI_ERR_TRUNCATE,
                            "out-of-band run of " + std::to_string(got.count(MPI_BYTE)) + " bytes, expected " +
                                std::to_string(seg.bytes));
        }
    }

};

} // namespace detail
} // namespace mpixx

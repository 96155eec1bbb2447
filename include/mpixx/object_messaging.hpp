// mpixx/object_messaging.hpp - messaging of any serializable C++ object (mpi4py's lowercase API):
// send/recv/sendrecv/probe, and bcast, scatter, gather, allgather, alltoall, reduce, allreduce, scan,
// exscan with any binary callable.
//
// Dispatch is decided at compile time: a value that is a typed buffer (mpi_type or contiguous range of
// them) takes the typed path of the lower layers; everything else serializable comes here. Wrap a value
// in mpixx::serialized(x) to force this path (recv_object<T> is the receiving side).
//
// Wire protocol (point-to-point): one message with the encoded stream (received with a matched probe,
// so no size is agreed beforehand), then, for each bulk run of >= 8 KiB (e.g. a large std::vector
// inside the object), one message straight from/into the object's own memory: no copy.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/collectives.hpp>
#include <mpixx/serialize.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

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

template <class T, class Op>
constexpr bool typed_reduction() {
    if constexpr (send_buffer<T>) return reduction_op<Op, elem_t<T>>;
    else return false;
}

/// A reduction of whole objects: `op` combines two T's into a T, and the typed (element-wise) path
/// does not apply. So std::string with a concatenating lambda is reduced as a whole, while
/// std::string with mpixx::max is reduced element-wise like any buffer.
template <class T, class Op>
concept object_reduction = serializable<std::remove_cvref_t<T>> &&
                           std::is_invocable_r_v<std::remove_cvref_t<T>, Op&, const std::remove_cvref_t<T>&,
                                                 const std::remove_cvref_t<T>&> &&
                           !typed_reduction<std::remove_cvref_t<T>, std::remove_cvref_t<Op>>();

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

/// The receive of an object of unknown size. When its stream message is matched (at once, or later by
/// detail::progress while this process waits elsewhere), the stream is received and decoded and the
/// receives of its out-of-band runs are posted right away: the sender never waits for this process to
/// call wait(), so "both ranks irecv, then a blocking send, then wait" cannot deadlock.
template <class T>
class object_recv final : public deferred_recv<T> {
public:
    object_recv(MPI_Comm comm, int source, int tag, std::shared_ptr<void> keep_alive)
        : deferred_recv<T>(comm, source, tag, std::move(keep_alive)), comm_(comm) {}
    ~object_recv() override {
        this->settle();
        wait_segments_noexcept();
    }
    T finish(const MPI_Status&) override {
        for (auto& r : segments_) check(progress::wait(r, MPI_STATUS_IGNORE), "MPI_Wait");
        segments_.clear();
        return std::move(out_);
    }

private:
    void on_match(message& m, MPI_Request& r) override {
        const status st = m.status();
        std::vector<std::byte> bytes;
        m.recv_resize(bytes); // matched: the sender is already sending it
        std::vector<oob_in> in;
        decode_into(std::span<const std::byte>(bytes), out_, in);
        for (const auto& seg : in) {
            segments_.push_back(MPI_REQUEST_NULL);
            MPIXX_CALL_COUNT(MPI_Irecv, seg.data, seg.bytes, MPI_BYTE, st.source(), st.tag(), comm_,
                             &segments_.back());
        }
        if (!segments_.empty()) { // the last run completes last: it is the request's own handle
            r = segments_.back();
            segments_.pop_back();
        }
    }
    void wait_segments_noexcept() noexcept {
        for (auto& r : segments_)
            if (r != MPI_REQUEST_NULL) MPI_Wait(&r, MPI_STATUS_IGNORE);
        segments_.clear();
    }

    MPI_Comm comm_;
    T out_{};
    std::vector<MPI_Request> segments_;
};

/// The send of an object: owns the encoded stream (and the object itself when it was moved in); the
/// stream's request is the request's handle, the out-of-band runs' requests are finished here.
template <class T>
class object_send final : public request_payload<T> {
public:
    object_send() = default;
    ~object_send() override {
        for (auto& r : segments_)
            if (r != MPI_REQUEST_NULL) MPI_Wait(&r, MPI_STATUS_IGNORE);
    }
    T finish(const MPI_Status&) override {
        for (auto& r : segments_) check(progress::wait(r, MPI_STATUS_IGNORE), "MPI_Wait");
        segments_.clear();
        if constexpr (!std::is_void_v<T>) return std::move(*owned_);
    }

    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> owned_;
    std::vector<std::byte> bytes;
    std::vector<oob_out> out;
    std::vector<MPI_Request> segments_;
};

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
    using collective_layer::irecv;
    using collective_layer::isend;
    using collective_layer::allgather;
    using collective_layer::allreduce;
    using collective_layer::alltoall;
    using collective_layer::bcast;
    using collective_layer::exscan;
    using collective_layer::gather;
    using collective_layer::reduce;
    using collective_layer::scan;
    using collective_layer::scatter;

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
        // Every send completes before `bytes` goes (an error is reported after), and probe-sized receives
        // keep matching meanwhile (detail/progress.hpp).
        int rc = MPI_SUCCESS;
        for (auto& r : reqs)
            if (const int e = progress::wait(r, MPI_STATUS_IGNORE); rc == MPI_SUCCESS) rc = e;
        check(rc, "MPI_Wait");
        return out;
    }

    /// Starts the send of an object. An lvalue is borrowed (keep it alive and unchanged until wait());
    /// an rvalue is moved into the request and handed back by wait(). The stream is encoded at once.
    template <class T>
        requires object_or_wrapped<T>
    auto isend(T&& value, int dest, int tag = 0, object_overload = {}) const {
        return start_object_send(std::forward<T>(value), dest, tag, "mpixx::isend");
    }

    /// Starts the receive of an object of unknown size; wait() returns it. Matched through
    /// detail::progress, so a peer's send to it completes while this process blocks elsewhere in mpixx.
    template <object T>
    [[nodiscard]] request<T> irecv(int source = any_source, int tag = any_tag, object_overload = {}) const {
        return irecv_object<T>(source, tag);
    }

    /// Starts the receive of a value sent with serialized(...) (any serializable type).
    template <serializable T>
    [[nodiscard]] request<T> irecv_object(int source = any_source, int tag = any_tag) const {
        check_source(source, "mpixx::irecv");
        check_recv_tag(tag, "mpixx::irecv");
        return start_deferred<T>(std::make_unique<object_recv<T>>(comm_, source, tag, owner_));
    }

    // ---- collectives of objects ----

    /// Broadcasts root's object and returns it on every rank (mpi4py: data = comm.bcast(data, root)).
    template <object T>
    [[nodiscard]] std::remove_cvref_t<T> bcast(const T& value, int root = 0, object_overload = {}) const {
        check_root(root, "mpixx::bcast");
        std::remove_cvref_t<T> out{};
        if (rank_ == root) {
            bcast_object_root(value, root);
            out = value;
        } else {
            bcast_object_into(out, root);
        }
        return out;
    }

    /// Broadcasts root's object into `value` on every other rank, reusing its storage.
    template <object T>
        requires(!std::is_const_v<T>)
    T& bcast(T& value, int root = 0, object_overload = {}) const {
        check_root(root, "mpixx::bcast");
        if (rank_ == root) bcast_object_root(value, root);
        else bcast_object_into(value, root);
        return value;
    }

    /// Gathers one object per rank on root, in rank order; other ranks get an empty vector.
    template <object T>
    [[nodiscard]] std::vector<std::remove_cvref_t<T>> gather(const T& value, int root = 0, object_overload = {}) const {
        return gather_objects(value, root);
    }

    /// Gathers one object per rank on every rank, in rank order.
    template <object T>
    [[nodiscard]] std::vector<std::remove_cvref_t<T>> allgather(const T& value, object_overload = {}) const {
        return allgather_objects(value);
    }

    /// Root hands element i of `values` (size() == comm size) to rank i; other ranks' `values` are ignored.
    template <object T>
    [[nodiscard]] T scatter(const std::vector<T>& values, int root = 0, object_overload = {}) const {
        check_root(root, "mpixx::scatter");
        std::vector<std::byte> all;
        std::vector<wire_size> sizes;
        if (rank_ == root) {
            if (values.size() != static_cast<std::size_t>(size_)) [[unlikely]]
                throw_usage("mpixx::scatter", MPI_ERR_COUNT,
                            "root has " + std::to_string(values.size()) + " objects for " + std::to_string(size_) +
                                " ranks");
            for (const auto& v : values) {
                auto b = serialize(v);
                sizes.push_back(b.size());
                all.insert(all.end(), b.begin(), b.end());
            }
        }
        wire_size n = 0;
        MPIXX_COLL_CALL(MPI_Scatter, MPI_Iscatter, sizes.data(), 1, wire_size_type(), &n, 1, wire_size_type(), root,
                        comm_);
        std::vector<std::byte> mine(n);
        if (rank_ == root) {
            byte_layout layout(std::move(sizes));
            auto [counts, displs] = v_args(layout, "MPI_Scatterv");
            MPIXX_COLL_CALL(MPIXX_V(MPI_Scatterv), MPIXX_V(MPI_Iscatterv), all.data(), counts.data(), displs.data(),
                            MPI_BYTE, mine.data(), static_cast<vcount>(n), MPI_BYTE, root, comm_);
        } else {
            MPIXX_COLL_CALL(MPIXX_V(MPI_Scatterv), MPIXX_V(MPI_Iscatterv), nullptr, nullptr, nullptr, MPI_BYTE,
                            mine.data(), static_cast<vcount>(n), MPI_BYTE, root, comm_);
        }
        return deserialize<T>(mine);
    }

    /// Every rank sends values[i] to rank i and returns what each rank sent it, in rank order.
    template <object T>
    [[nodiscard]] std::vector<T> alltoall(const std::vector<T>& values, object_overload = {}) const {
        if (values.size() != static_cast<std::size_t>(size_)) [[unlikely]]
            throw_usage("mpixx::alltoall", MPI_ERR_COUNT,
                        "got " + std::to_string(values.size()) + " objects for " + std::to_string(size_) + " ranks");
        std::vector<std::byte> out_bytes;
        std::vector<wire_size> out_sizes;
        for (const auto& v : values) {
            auto b = serialize(v);
            out_sizes.push_back(b.size());
            out_bytes.insert(out_bytes.end(), b.begin(), b.end());
        }
        std::vector<wire_size> in_sizes(values.size());
        MPIXX_COLL_CALL(MPI_Alltoall, MPI_Ialltoall, out_sizes.data(), 1, wire_size_type(), in_sizes.data(), 1,
                        wire_size_type(), comm_);
        byte_layout out_layout(std::move(out_sizes)), in_layout(std::move(in_sizes));
        auto [sc, sd] = v_args(out_layout, "MPI_Alltoallv");
        auto [rc, rd] = v_args(in_layout, "MPI_Alltoallv");
        std::vector<std::byte> in_bytes(in_layout.total);
        MPIXX_COLL_CALL(MPIXX_V(MPI_Alltoallv), MPIXX_V(MPI_Ialltoallv), out_bytes.data(), sc.data(), sd.data(),
                        MPI_BYTE, in_bytes.data(), rc.data(), rd.data(), MPI_BYTE, comm_);
        return decode_all<T>(in_bytes, in_layout);
    }

    /// Combines every rank's object with `op` in rank order ((x0 op x1) op x2 ...): the result on root,
    /// a value-initialised T elsewhere (as the typed reduce). `op` may be any binary callable, also
    /// non-commutative or stateful (it is called on root only, with its current state).
    template <class T, class Op>
        requires object_reduction<T, Op>
    [[nodiscard]] std::remove_cvref_t<T> reduce(const T& value, Op op, int root = 0, object_overload = {}) const {
        auto all = gather_objects(value, root);
        if (rank_ != root) return {};
        return fold(all, op, all.size());
    }

    /// Like reduce, with the result on every rank.
    template <class T, class Op>
        requires object_reduction<T, Op>
    [[nodiscard]] std::remove_cvref_t<T> allreduce(const T& value, Op op, object_overload = {}) const {
        auto out = reduce(value, op, 0);
        if (rank_ == 0) bcast_object_root(out, 0);
        else bcast_object_into(out, 0);
        return out;
    }

    /// Inclusive prefix: rank r gets x0 op x1 op ... op xr.
    template <class T, class Op>
        requires object_reduction<T, Op>
    [[nodiscard]] std::remove_cvref_t<T> scan(const T& value, Op op, object_overload = {}) const {
        auto all = allgather_objects(value);
        return fold(all, op, static_cast<std::size_t>(rank_) + 1);
    }

    /// Exclusive prefix: rank r > 0 gets x0 op ... op x(r-1); rank 0 gets a value-initialised T.
    template <class T, class Op>
        requires object_reduction<T, Op>
    [[nodiscard]] std::remove_cvref_t<T> exscan(const T& value, Op op, object_overload = {}) const {
        auto all = allgather_objects(value);
        if (rank_ == 0) return {};
        return fold(all, op, static_cast<std::size_t>(rank_));
    }

protected:
    using collective_layer::collective_layer;

    /// Gathers the serialized form of every rank's value on root (any serializable T).
    template <class T>
    std::vector<std::remove_cvref_t<T>> gather_objects(const T& value, int root) const {
        check_root(root, "mpixx::gather");
        const auto mine = serialize(value);
        wire_size n = mine.size();
        std::vector<wire_size> sizes(rank_ == root ? static_cast<std::size_t>(size_) : 0);
        MPIXX_COLL_CALL(MPI_Gather, MPI_Igather, &n, 1, wire_size_type(), sizes.data(), 1, wire_size_type(), root,
                        comm_);
        if (rank_ != root) {
            MPIXX_COLL_CALL(MPIXX_V(MPI_Gatherv), MPIXX_V(MPI_Igatherv), mine.data(), static_cast<vcount>(n), MPI_BYTE,
                            nullptr, nullptr, nullptr, MPI_BYTE, root, comm_);
            return {};
        }
        byte_layout layout(std::move(sizes));
        auto [counts, displs] = v_args(layout, "MPI_Gatherv");
        std::vector<std::byte> all(layout.total);
        MPIXX_COLL_CALL(MPIXX_V(MPI_Gatherv), MPIXX_V(MPI_Igatherv), mine.data(), static_cast<vcount>(n), MPI_BYTE,
                        all.data(), counts.data(), displs.data(), MPI_BYTE, root, comm_);
        return decode_all<std::remove_cvref_t<T>>(all, layout);
    }

    /// Gathers the serialized form of every rank's value on every rank (any serializable T).
    template <class T>
    std::vector<std::remove_cvref_t<T>> allgather_objects(const T& value) const {
        const auto mine = serialize(value);
        wire_size n = mine.size();
        std::vector<wire_size> sizes(static_cast<std::size_t>(size_));
        MPIXX_COLL_CALL(MPI_Allgather, MPI_Iallgather, &n, 1, wire_size_type(), sizes.data(), 1, wire_size_type(),
                        comm_);
        byte_layout layout(std::move(sizes));
        auto [counts, displs] = v_args(layout, "MPI_Allgatherv");
        std::vector<std::byte> all(layout.total);
        MPIXX_COLL_CALL(MPIXX_V(MPI_Allgatherv), MPIXX_V(MPI_Iallgatherv), mine.data(), static_cast<vcount>(n),
                        MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, comm_);
        return decode_all<std::remove_cvref_t<T>>(all, layout);
    }

    /// Encodes `value` (moved into the payload first when it is an rvalue) and posts the sends.
    template <class V>
    auto start_object_send(V&& value, int dest, int tag, const char* routine) const {
        check_dest(dest, routine);
        check_send_tag(tag, routine);
        using U = std::remove_cvref_t<V>;
        constexpr bool owned = !std::is_lvalue_reference_v<V> && !is_serialized_ref<U>::value;
        using R = std::conditional_t<owned, U, void>;
        auto p = std::make_unique<object_send<R>>();
        if constexpr (owned) {
            p->owned_.emplace(std::move(value));
            encode_into(p->bytes, p->out, *p->owned_);
        } else {
            encode_into(p->bytes, p->out, unwrap(value));
        }
        std::vector<MPI_Request> reqs;
        reqs.reserve(1 + p->out.size());
        post_sends(p->bytes, p->out, dest, tag, reqs);
        MPI_Request main = reqs.front();
        p->segments_.assign(reqs.begin() + 1, reqs.end());
        return request<R>(main, std::move(p));
    }

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
        m.recv_resize(s.bytes); // one MPI_Get_count, one MPI_Mrecv
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

    /// Root side of an object broadcast: stream size, stream, then each out-of-band run in place.
    template <class T>
    void bcast_object_root(const T& value, int root) const {
        std::vector<std::byte> bytes;
        std::vector<oob_out> segments;
        encode_into(bytes, segments, value);
        wire_size header[2] = {bytes.size(), segments.size()};
        MPIXX_COLL_CALL(MPI_Bcast, MPI_Ibcast, header, 2, wire_size_type(), root, comm_);
        MPIXX_COLL_BLOCKING(bytes.size(), MPI_Bcast, MPI_Ibcast, bytes.data(), count_t(bytes.size()), MPI_BYTE, root,
                            comm_);
        for (const auto& seg : segments)
            MPIXX_COLL_BLOCKING(seg.bytes, MPI_Bcast, MPI_Ibcast, const_cast<std::byte*>(seg.data), count_t(seg.bytes),
                                MPI_BYTE, root, comm_);
    }

    /// Receiving side of an object broadcast.
    template <class T>
    void bcast_object_into(T& out, int root) const {
        wire_size header[2] = {0, 0};
        MPIXX_COLL_CALL(MPI_Bcast, MPI_Ibcast, header, 2, wire_size_type(), root, comm_);
        std::vector<std::byte> bytes(header[0]);
        MPIXX_COLL_BLOCKING(bytes.size(), MPI_Bcast, MPI_Ibcast, bytes.data(), count_t(bytes.size()), MPI_BYTE, root,
                            comm_);
        std::vector<oob_in> segments;
        decode_into(std::span<const std::byte>(bytes), out, segments);
        // A mismatch here means root and this rank broadcast different types: MPI cannot recover from a
        // collective with diverging calls, so stop loudly rather than hang.
        if (segments.size() != header[1]) [[unlikely]]
            throw_usage("mpixx::bcast", MPI_ERR_TYPE, "root and this rank disagree on the broadcast type");
        for (const auto& seg : segments)
            MPIXX_COLL_BLOCKING(seg.bytes, MPI_Bcast, MPI_Ibcast, seg.data, count_t(seg.bytes), MPI_BYTE, root, comm_);
    }

    /// (v0 op v1) op v2 ... over the first n values.
    template <class T, class Op>
    static T fold(std::vector<T>& values, Op& op, std::size_t n) {
        T acc = std::move(values[0]);
        for (std::size_t i = 1; i < n; ++i) acc = op(std::as_const(acc), std::as_const(values[i]));
        return acc;
    }
};

} // namespace detail
} // namespace mpixx

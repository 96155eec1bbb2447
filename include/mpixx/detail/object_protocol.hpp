// mpixx/detail/object_protocol.hpp - how a serialized object travels over MPI (point-to-point, matched
// messages and broadcast), shared by object_messaging.hpp and message::recv<Object>().
//
// An object is one message - the stream (serialize.hpp format) and, when its header flags out-of-band
// runs, a frame before it and a table of their sizes after it (native byte order):
//     [u32 "MPXF", u32 n][stream][u64 size of run 0] ... [u64 size of run n-1][u64 check][u64 "MPXR" << 32 | n]
// then one message per run, straight from the object's memory, in order, with the same (source, tag);
// the sender posts them all at once. (A broadcast sends the same three parts as broadcasts.)
//
// Hostile or mismatched input (issue #15): a receiver takes no length on trust. It matches every run
// message (MPI_Mprobe) and compares its real size with the table before the decoder allocates
// anything, and the decoder's out-of-band budget is those checked sizes; container lengths are bounded
// by the bytes left (serialize.hpp). One function, start_object, receives for recv, irecv, matched
// messages and sendrecv, so they reach the same verdict. Whatever it rejects (wrong type, corrupt
// stream, a run whose size disagrees, a damaged table), it still takes exactly that object's runs off
// the wire - the frame and the checked table each say how many there are, so one damaged byte leaves
// the count known - so the sender completes and the next message on that (source, tag) arrives
// intact; only mpixx::error leaves (std::bad_alloc becomes MPI_ERR_NO_MEM). Streams without runs carry
// neither frame nor table, and every stream says what it holds, so ranks built with different
// MPIXX_TYPE_CHECK or MPIXX_OOB_THRESHOLD understand each other.
//
// Counts: without the MPI-4 large-count (_c) calls one message holds at most INT_MAX bytes. Every
// size is checked against that limit before anything is sent (MPI_ERR_COUNT, never a wrapped count),
// and collectives agree on the verdict first so that no rank is left waiting for a peer that refused.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/object_api.hpp>
#include <mpixx/detail/p2p_signature.hpp>
#include <mpixx/detail/progress.hpp>
#include <mpixx/message.hpp>
#include <mpixx/request.hpp>
#include <mpixx/serialize.hpp>
#include <mpixx/detail/std_light.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// Forces the serialized path for `value` (the guide's "slow: pickle" side of the comparison); an
/// lvalue is borrowed.
template <serializable T>
[[nodiscard]] serialized_ref<T> serialized(const T& value) noexcept {
    return {value};
}

/// Forces the serialized path for a temporary, which the returned wrapper owns (moved in).
template <class T>
    requires(!std::is_lvalue_reference_v<T> && serializable<std::remove_cv_t<T>>)
[[nodiscard]] serialized_value<std::remove_cv_t<T>> serialized(T&& value) {
    return {std::move(value)};
}

/// Types that travel serialized by default: serializable, not a typed buffer, not a serialized() wrapper.
template <class T>
concept object = serializable<std::remove_cvref_t<T>> && !send_buffer<std::remove_cvref_t<T>> &&
                 !detail::serialized_wrapper<T>;

} // namespace mpixx

namespace mpixx::inline MPIXX_ABI::detail {

/// Anything the object layer sends: an object, or a value wrapped by serialized().
template <class T>
concept object_or_wrapped = object<T> || serialized_wrapper<T>;

/// Tells the light object members (detail/object_api.hpp) that the serializer is here, and whether T
/// is serializable.
template <class T>
struct object_codec {
    static constexpr bool value = serializable<T>;
};

/// Whether a message of `bytes` plus runs of `runs` fits under `limit`.
inline bool message_fits(std::size_t bytes, const std::vector<oob_out>& runs, std::size_t limit) noexcept {
    if (bytes > limit) return false;
    for (const auto& r : runs)
        if (r.bytes > limit) return false;
    return true;
}

/// Throws MPI_ERR_COUNT for data some rank refused to send: one message would exceed `limit` bytes.
[[noreturn, MPIXX_COLD]] inline void throw_too_large(const char* routine, std::size_t limit) {
    throw_usage(routine, MPI_ERR_COUNT,
                "a message would exceed " + std::to_string(limit) +
                    " bytes, the most one MPI call can carry without MPI-4 large-count calls; nothing was sent");
}

// ---- the run table ----

/// First bytes of a message with runs: a frame word ("MPXF") and the number of runs. A stream never
/// starts with it (its first byte is format_version), and it survives a damaged table: a receiver
/// then still knows how many run messages to take off the wire.
inline constexpr std::uint32_t frame_magic = 0x4658504d;
inline constexpr std::size_t frame_bytes = 8;
inline constexpr std::uint64_t run_table_magic = 0x4d505852; // "MPXR"

/// The check word of a table: FNV-1a over its sizes and count (any damage to them shows).
inline std::uint64_t table_check(const std::byte* sizes, std::size_t count) noexcept {
    std::uint64_t h = 0xcbf29ce484222325u ^ count;
    for (std::size_t i = 0; i < 8 * count; ++i) h = (h ^ static_cast<std::uint8_t>(sizes[i])) * 0x100000001b3u;
    return h;
}

/// Frames an encoded message (`bytes` starts with frame_bytes left by encode_into): without runs the
/// stream alone is sent; with runs the frame is filled and the table appended:
///     [frame: magic, n][stream][u64 size of run 0] ... [u64 size of run n-1][u64 check][u64 magic << 32 | n]
inline std::span<const std::byte> frame_message(std::vector<std::byte>& bytes, const std::vector<oob_out>& runs) {
    if (runs.empty()) return std::span<const std::byte>(bytes).subspan(frame_bytes);
    if (runs.size() >= (std::uint64_t{1} << 32)) [[unlikely]]
        throw_usage("mpixx::serialize", MPI_ERR_COUNT, "more than 2^32 out-of-band runs in one object");
    const auto n32 = static_cast<std::uint32_t>(runs.size());
    std::memcpy(bytes.data(), &frame_magic, 4);
    std::memcpy(bytes.data() + 4, &n32, 4);
    const std::size_t at = bytes.size();
    bytes.resize(at + 8 * (runs.size() + 2));
    std::byte* p = bytes.data() + at;
    for (const auto& r : runs) {
        const std::uint64_t n = r.bytes;
        std::memcpy(p, &n, 8);
        p += 8;
    }
    const std::uint64_t check = table_check(bytes.data() + at, runs.size());
    std::memcpy(p, &check, 8);
    const std::uint64_t last = (run_table_magic << 32) | runs.size();
    std::memcpy(p + 8, &last, 8);
    return bytes;
}

/// A received message split into its stream and its table of runs.
struct run_table {
    std::span<const std::byte> stream;
    const std::byte* sizes = nullptr; // `count` unaligned u64 (null when `bad`)
    std::size_t count = 0;            // run messages that follow (also when `bad`: from the frame)
    std::size_t total = 0;
    const char* bad = nullptr; // why the frame or table cannot be trusted

    [[nodiscard]] std::size_t size(std::size_t i) const noexcept {
        std::uint64_t n = 0;
        std::memcpy(&n, sizes + 8 * i, 8);
        return static_cast<std::size_t>(n);
    }
    /// Whether the decoder asks for exactly the runs the sender announced.
    [[nodiscard]] bool matches(const std::vector<oob_in>& in) const noexcept {
        if (in.size() != count) return false;
        for (std::size_t i = 0; i < count; ++i)
            if (in[i].bytes != size(i)) return false;
        return true;
    }
};

/// Splits a message. A frame and a table that disagree, or a table whose check fails, leave the
/// table `bad`, with `count` the runs to take off the wire anyway (the table's when its check holds,
/// else the frame's): one damaged byte never makes a receiver wait for runs that were not sent.
inline run_table split_message(std::span<const std::byte> msg) noexcept {
    run_table t{msg};
    std::uint32_t magic = 0, front = 0;
    const bool framed = msg.size() >= frame_bytes && (std::memcpy(&magic, msg.data(), 4), magic == frame_magic);
    if (framed) std::memcpy(&front, msg.data() + 4, 4);
    std::uint64_t back = 0;
    if (msg.size() >= frame_bytes + 24) {
        std::uint64_t last = 0, check = 0;
        std::memcpy(&last, msg.data() + msg.size() - 8, 8);
        const std::uint64_t n = last & 0xffffffffu;
        if ((last >> 32) == run_table_magic && n != 0 && n <= (msg.size() - frame_bytes - 16) / 8) {
            const std::byte* sizes = msg.data() + msg.size() - 8 * (n + 2);
            std::memcpy(&check, msg.data() + msg.size() - 16, 8);
            if (check == table_check(sizes, static_cast<std::size_t>(n))) {
                back = n;
                t.sizes = sizes;
            }
        }
    }
    // A frame alone counts only as many runs as a message of this size could have a table for (a
    // forged 2^32 - 1 never makes a receiver reserve or wait for that many).
    if (back == 0 && front > std::max<std::size_t>(msg.size() / 8, 64)) front = 0;
    if (back == 0 && front == 0) return t; // a stream without runs (or not a stream: the decoder says so)
    t.count = static_cast<std::size_t>(back != 0 ? back : front);
    if (!framed || back == 0 || front != back) [[unlikely]] {
        t.bad = "damaged frame or table of out-of-band runs";
        t.sizes = nullptr;
        return t;
    }
    for (std::size_t i = 0; i < t.count; ++i) {
        const std::size_t s = t.size(i);
        if (s == 0 || s > count_limit || s > no_count_limit - t.total) [[unlikely]] {
            t.bad = "bad size in the table of out-of-band runs";
            t.sizes = nullptr;
            return t;
        }
        t.total += s;
    }
    t.stream = msg.subspan(frame_bytes, msg.size() - frame_bytes - 8 * (t.count + 2));
    return t;
}

// ---- receiving ----

/// Throws the error of a message the decoder cannot take (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_run_size(std::size_t i, std::size_t real, std::size_t told) {
    throw_usage(decode_routine, MPI_ERR_TRUNCATE,
                "corrupt stream: out-of-band run " + std::to_string(i) + " is " + std::to_string(real) +
                    " bytes, its object's table says " + std::to_string(told) + " (nothing was allocated for it)");
}
[[noreturn, MPIXX_COLD]] inline void throw_no_memory() {
    throw_usage(decode_routine, MPI_ERR_NO_MEM, "out of memory while decoding a received object");
}

/// A received object of another type than the receiver's: names both ranks and both types (the sender's
/// from the stream's header, which the decoder has just read).
[[noreturn, MPIXX_COLD]] inline void throw_object_type_mismatch(std::span<const std::byte> stream,
                                                                std::string_view mine, int source,
                                                                MPI_Comm comm) {
    std::string sent = "another type";
    if (stream.size() > 3 && (static_cast<std::uint8_t>(stream[1]) & flag_type_name) != 0) {
        const auto n = static_cast<std::size_t>(stream[2]); // names under 128 bytes: a one-byte varint
        if (n < 128 && 3 + n <= stream.size()) sent.assign(reinterpret_cast<const char*>(stream.data() + 3), n);
    }
    int me = -1;
    if (comm != MPI_COMM_NULL) MPI_Comm_rank(comm, &me);
    throw_usage(decode_routine, MPI_ERR_TYPE,
                "rank " + std::to_string(source) + " sent " + sent + ", rank " +
                    (me < 0 ? std::string("?") : std::to_string(me)) + " expected " + std::string(mine));
}

/// decode_into of a received stream: never lets std::bad_alloc (or a length error) out, only mpixx::error.
template <class T>
void decode_received(std::span<const std::byte> stream, T& out, std::vector<oob_in>& in, std::size_t oob_total) {
    try {
        decode_into(stream, out, in, oob_total);
    } catch (const std::bad_alloc&) {
        throw_no_memory();
    } catch (const std::length_error&) {
        throw_corrupt("a length exceeds what a container can hold");
    }
}

/// deserialize_into of a received stream (collectives): only mpixx::error gets out.
template <class T>
void deserialize_received(std::span<const std::byte> stream, T& out) {
    try {
        deserialize_into(stream, out);
    } catch (const std::bad_alloc&) {
        throw_no_memory();
    } catch (const std::length_error&) {
        throw_corrupt("a length exceeds what a container can hold");
    }
}

/// The run messages of one object, matched (MPI_Mprobe) from its sender and tag before anything is
/// allocated for them: their real sizes are known, and no other receive can take them. Whatever is
/// still matched when this goes (a failed decode, a damaged table, an exception) is received and
/// dropped, so the sender completes and the next message on that (source, tag) arrives intact.
class matched_runs {
public:
    explicit matched_runs(MPI_Comm comm) noexcept : comm_(comm) {}
    matched_runs(const matched_runs&) = delete;
    matched_runs& operator=(const matched_runs&) = delete;
    ~matched_runs() { drop(); }

    /// Matches `count` run messages from (source, tag), in order (MPI's non-overtaking rule).
    void match(std::size_t count, int source, int tag) {
        msgs_.reserve(count);
        sizes_.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            MPI_Message m = MPI_MESSAGE_NULL;
            MPI_Status st;
            if (const int rc = MPI_Mprobe(source, tag, comm_, &m, &st); rc != MPI_SUCCESS) [[unlikely]]
                throw_mpi_error(rc, "MPI_Mprobe");
            MPI_Count n = 0;
            MPI_Get_elements_x(&st, MPI_BYTE, &n);
            msgs_.push_back(m);
            sizes_.push_back({static_cast<std::size_t>(n), st});
        }
    }
    /// Throws (before anything is allocated) when a run's real size is not the table's.
    void check(const run_table& t) const {
        for (std::size_t i = 0; i < msgs_.size(); ++i)
            if (sizes_[i].bytes != t.size(i)) [[unlikely]]
                throw_run_size(i, sizes_[i].bytes, t.size(i));
    }
    /// Posts the receive of each run into the place the decoder prepared (sizes already checked).
    void receive(const std::vector<oob_in>& in, std::vector<MPI_Request>& reqs) {
        reqs.reserve(reqs.size() + in.size());
        for (std::size_t i = 0; i < in.size(); ++i) {
            MPI_Request r = MPI_REQUEST_NULL;
            int rc = MPI_ERR_COUNT;
            if (in[i].bytes <= static_cast<std::size_t>(INT_MAX))
                rc = MPI_Imrecv(in[i].data, static_cast<int>(in[i].bytes), MPI_BYTE, &msgs_[i], &r);
#if MPI_VERSION >= 4
            else
                rc = MPI_Imrecv_c(in[i].data, static_cast<MPI_Count>(in[i].bytes), MPI_BYTE, &msgs_[i], &r);
#endif
            if (rc != MPI_SUCCESS) [[unlikely]]
                throw_mpi_error(rc, "MPI_Imrecv"); // the runs not posted are dropped by the destructor
            msgs_[i] = MPI_MESSAGE_NULL;
            reqs.push_back(r);
        }
        msgs_.clear();
    }

private:
    void drop() noexcept {
        for (std::size_t i = 0; i < msgs_.size(); ++i)
            if (msgs_[i] != MPI_MESSAGE_NULL) drop_message(msgs_[i], sizes_[i].st, comm_);
        msgs_.clear();
    }
    struct probed {
        std::size_t bytes;
        MPI_Status st;
    };
    MPI_Comm comm_;
    std::vector<MPI_Message> msgs_;
    std::vector<probed> sizes_;
};

/// Waits for every request (all of them, also after an error), then reports the first error.
inline void wait_each(std::vector<MPI_Request>& reqs, const char* routine) {
    int rc = MPI_SUCCESS;
    for (auto& r : reqs)
        if (const int e = progress::wait(r, MPI_STATUS_IGNORE); rc == MPI_SUCCESS) rc = e;
    reqs.clear();
    check(rc, routine);
}

/// Waits for every request without throwing (destructors, unwinding).
inline void wait_each_noexcept(std::vector<MPI_Request>& reqs) noexcept {
    for (auto& r : reqs)
        if (r != MPI_REQUEST_NULL) MPI_Wait(&r, MPI_STATUS_IGNORE);
    reqs.clear();
}

[[noreturn, MPIXX_COLD]] inline void throw_no_comm() {
    throw_usage("mpixx::message::recv", MPI_ERR_COMM,
                "the object has out-of-band runs but the message does not know its communicator "
                "(match it with comm.mprobe/improbe)");
}

/// Buffers of one object receive (reused by every blocking receive of a thread).
struct inbound {
    std::vector<std::byte> bytes;
    std::vector<oob_in> in;
};

/// Buffers reused by every blocking object message of this thread: after warm-up, sending and receiving
/// small objects allocates nothing.
struct object_scratch {
    std::vector<std::byte> bytes;
    std::vector<oob_out> out;
    inbound in;
    std::vector<MPI_Request> reqs;
};
inline object_scratch& scratch() {
    thread_local object_scratch s;
    return s;
}

/// THE receive of an object (recv, irecv, matched messages, sendrecv: one validation path). Receives
/// the stream of the matched message `m` (its size from the matched probe), matches every run message
/// and checks its real size against the table, decodes into `out` (out-of-band runs budgeted by the
/// checked sizes), checks that the decoder asks for exactly those runs, then posts their receives
/// (appended to `reqs`). Any failure takes the object's runs off the wire before the error leaves. A
/// message from proc_null leaves `out` as it is.
template <class T>
void start_object(message& m, MPI_Comm comm, T& out, inbound& b, std::vector<MPI_Request>& reqs) {
    const status st = m.status();
    if (st.source() == MPI_PROC_NULL) {
        m.recv(std::span<std::byte>{});
        return;
    }
    if constexpr (checked_p2p)
        if (m.claim_signature()) check_object_receive(comm, st.native(), type_fingerprint<T>(), "mpixx::recv");
    m.recv_resize(b.bytes); // one MPI_Get_count, one MPI_Mrecv
    const run_table t = split_message(b.bytes);
    if (t.count != 0 && comm == MPI_COMM_NULL) [[unlikely]]
        throw_no_comm();
    matched_runs runs(comm); // drops what it still holds when an error leaves
    if (t.count != 0) runs.match(t.count, st.source(), st.tag());
    if (t.bad != nullptr) [[unlikely]]
        throw_corrupt(t.bad);
    if (t.count != 0) runs.check(t);
    try {
        decode_received(t.stream, out, b.in, t.total);
    } catch (const error& e) {
        if (e.error_class() == MPI_ERR_TYPE) throw_object_type_mismatch(t.stream, type_fingerprint<T>(), st.source(), comm);
        throw;
    }
    if (!t.matches(b.in)) [[unlikely]]
        throw_corrupt("the out-of-band runs differ from the sender's table");
    if (t.count != 0) runs.receive(b.in, reqs);
}

/// Receives the matched message `m` (sent by an object send on `comm`) into `out` (start_object, then
/// waits for the runs).
template <class T>
void recv_matched(message& m, MPI_Comm comm, T& out) {
    auto& s = scratch();
    s.reqs.clear();
    try {
        start_object(m, comm, out, s.in, s.reqs);
    } catch (...) {
        wait_each_noexcept(s.reqs);
        throw;
    }
    if (!s.reqs.empty()) wait_each(s.reqs, "MPI_Wait");
}

/// An object receive in flight: start_object at once, the last run's request is the caller's, and
/// finish() hands the object over.
template <class T>
class object_inbox {
public:
    object_inbox() = default;
    object_inbox(const object_inbox&) = delete;
    object_inbox& operator=(const object_inbox&) = delete;
    ~object_inbox() { wait_each_noexcept(runs_); }

    /// Receives, checks and decodes the stream of `m` and posts its runs; `r` gets the last run's
    /// request (null without runs). A failure takes the runs off the wire and rethrows.
    void start(message& m, MPI_Comm comm, MPI_Request& r) {
        inbound b;
        start_object(m, comm, out_, b, runs_);
        if (!runs_.empty()) { // the last run completes last: it is the request's own handle
            r = runs_.back();
            runs_.pop_back();
        }
    }
    /// Waits for the other runs and hands the object over.
    T finish() {
        wait_each(runs_, "MPI_Wait");
        return std::move(out_);
    }

private:
    T out_{};
    std::vector<MPI_Request> runs_;
};
/// The payload of message::irecv<T>() for an object.
template <class T>
struct matched_object_recv final : request_payload<T> {
    object_inbox<T> inbox;
    T finish(const MPI_Status&) override { return inbox.finish(); }
};

/// message::recv<Object>() and irecv<Object>(): the object protocol on a matched message.
template <class T>
struct matched_object {
    static_assert(serializable<T>, "message::recv<T>()/irecv<T>(): T must be mpixx::serializable");
    static T recv(message& m) {
        T out{};
        recv_matched(m, m.comm(), out);
        return out;
    }
    static request<T> irecv(message& m) {
        auto p = detail::make_box<matched_object_recv<T>>();
        MPI_Request r = MPI_REQUEST_NULL;
        p->inbox.start(m, m.comm(), r);
        return request<T>(r, std::move(p));
    }
};

// ---- sending ----

/// What an object send announces in checked mode (its type's fingerprint); nothing otherwise.
template <class T>
std::string_view object_signature_name() {
    if constexpr (checked_p2p) return type_fingerprint<T>();
    else return {};
}

/// Encodes `value` for the wire (stream, then the table of its runs) and refuses, before anything is
/// sent, a message or run that one MPI call of `limit` bytes cannot carry.
template <class T>
std::span<const std::byte> encode_message(std::vector<std::byte>& bytes, std::vector<oob_out>& runs, const T& value,
                                          std::size_t limit, const char* routine) {
    encode_into(bytes, runs, value, default_oob_threshold, type_check_enabled, frame_bytes);
    const std::span<const std::byte> msg = frame_message(bytes, runs);
    if (!message_fits(msg.size(), runs, limit)) [[unlikely]]
        throw_too_large(routine, limit);
    return msg;
}

/// MPI_Isend/MPI_Issend of `n` bytes (the _c twin above INT_MAX). Returns the MPI code.
inline int isend_bytes(const void* p, std::size_t n, bool sync, MPI_Comm comm, int dest, int tag,
                       MPI_Request* r) noexcept {
    if (n <= static_cast<std::size_t>(INT_MAX)) {
        const int c = static_cast<int>(n);
        return sync ? MPI_Issend(p, c, MPI_BYTE, dest, tag, comm, r) : MPI_Isend(p, c, MPI_BYTE, dest, tag, comm, r);
    }
#if MPI_VERSION >= 4
    const auto c = static_cast<MPI_Count>(n);
    return sync ? MPI_Issend_c(p, c, MPI_BYTE, dest, tag, comm, r) : MPI_Isend_c(p, c, MPI_BYTE, dest, tag, comm, r);
#else
    return MPI_ERR_COUNT;
#endif
}

/// Posts the stream (MPI_Issend when `sync`) and then each run as non-blocking sends, appended to
/// `reqs`. On a throw nothing stays in flight: what this call posted is cancelled and waited for (a
/// send MPI cannot cancel completes once the receiver takes it) before the error propagates.
/// `type` (checked mode: the object's fingerprint) goes ahead in a signature (detail/p2p_signature.hpp).
inline void post_message(std::span<const std::byte> bytes, const std::vector<oob_out>& runs, MPI_Comm comm,
                         int dest, int tag, bool sync, std::vector<MPI_Request>& reqs, std::string_view type = {}) {
    if constexpr (checked_p2p)
        if (!type.empty()) send_signature(comm, dest, tag, bytes.size(), MPI_BYTE, type);
    reqs.reserve(reqs.size() + 1 + runs.size()); // no allocation once the first send is posted
    const std::size_t first = reqs.size();
    for (std::size_t i = 0; i <= runs.size(); ++i) {
        const void* p = i == 0 ? static_cast<const void*>(bytes.data()) : runs[i - 1].data;
        const std::size_t n = i == 0 ? bytes.size() : runs[i - 1].bytes;
        MPI_Request r = MPI_REQUEST_NULL;
        if (const int rc = isend_bytes(p, n, sync && i == 0, comm, dest, tag, &r); rc != MPI_SUCCESS) [[unlikely]] {
            for (std::size_t k = first; k < reqs.size(); ++k) {
                MPI_Cancel(&reqs[k]);
                MPI_Wait(&reqs[k], MPI_STATUS_IGNORE);
            }
            reqs.resize(first);
            throw_mpi_error(rc, sync && i == 0 ? "MPI_Issend" : "MPI_Isend");
        }
        reqs.push_back(r);
    }
}

} // namespace mpixx::detail

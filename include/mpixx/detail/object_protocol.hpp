// mpixx/detail/object_protocol.hpp - how a serialized object travels over MPI (point-to-point, matched
// messages and broadcast), shared by object_messaging.hpp and message::recv<Object>().
//
// An object is one message - the stream (serialize.hpp format) and, when its header flags out-of-band
// runs, a table of their sizes:
//     [stream][u64 size of run 0] ... [u64 size of run n-1][u64 (magic << 32) | n]   (native byte order)
// then one message per run, straight from the object's memory, in order, with the same (source, tag).
// (A broadcast sends the same three parts as broadcasts.) The table lets a receiver whose decode fails
// (wrong type, corrupt stream) still take exactly that message's runs off the wire, so its sender
// completes and the next message on that (source, tag) arrives intact. Streams without runs carry no
// table, and every stream says what it holds, so ranks built with different MPIXX_TYPE_CHECK or
// MPIXX_OOB_THRESHOLD understand each other.
//
// Counts: without the MPI-4 large-count (_c) calls one message holds at most INT_MAX bytes. Every
// size is checked against that limit before anything is sent (MPI_ERR_COUNT, never a wrapped count),
// and collectives agree on the verdict first so that no rank is left waiting for a peer that refused.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/progress.hpp>
#include <mpixx/message.hpp>
#include <mpixx/request.hpp>
#include <mpixx/serialize.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// A value marked to travel serialized even though it is a typed buffer (see serialized()); borrowed.
template <class T>
struct serialized_ref {
    using value_type = T;
    const T& value;
};

/// serialized() of an rvalue: the wrapper owns the value, so `comm.isend(serialized(make()), 1)` never
/// sends memory that is freed before the send completes (wait() hands the value back).
template <class T>
struct serialized_value {
    using value_type = T;
    T value;
};

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

namespace detail {

template <class T>
struct wrapper_of : std::false_type {
    using type = T;
};
template <class T>
struct wrapper_of<serialized_ref<T>> : std::true_type {
    using type = T;
};
template <class T>
struct wrapper_of<serialized_value<T>> : std::true_type {
    using type = T;
};

/// serialized_ref or serialized_value (any cv/ref).
template <class W>
concept serialized_wrapper = wrapper_of<std::remove_cvref_t<W>>::value;
/// The value type of a wrapper; T itself (without cv/ref) for anything else.
template <class W>
using unwrapped_t = typename wrapper_of<std::remove_cvref_t<W>>::type;

} // namespace detail

/// Types that travel serialized by default: serializable, not a typed buffer, not a serialized() wrapper.
template <class T>
concept object = serializable<std::remove_cvref_t<T>> && !send_buffer<std::remove_cvref_t<T>> &&
                 !detail::serialized_wrapper<T>;

} // namespace mpixx

namespace mpixx::inline MPIXX_ABI::detail {

/// Anything the object layer sends: an object, or a value wrapped by serialized().
template <class T>
concept object_or_wrapped = object<T> || serialized_wrapper<T>;

/// The value to encode: the wrapped one, or `v` itself.
template <class T>
const auto& unwrap(const T& v) noexcept {
    if constexpr (serialized_wrapper<T>) return v.value;
    else return v;
}

/// A trailing defaulted parameter of the object overloads. clang 14 lets a member template hide a
/// base-class one brought in by a using-declaration when only their constraints differ; a different
/// parameter list keeps both visible. Callers never pass it.
struct object_overload {};

// ---- counts ----

/// No limit on a message's bytes (the large-count calls take any size_t that fits in memory).
inline constexpr std::size_t no_count_limit = std::numeric_limits<std::size_t>::max();
/// The most bytes one message of this library may carry: INT_MAX without MPI-4's large-count calls.
inline constexpr std::size_t count_limit = MPI_VERSION >= 4 ? no_count_limit : static_cast<std::size_t>(INT_MAX);

/// Whether a message of `bytes` plus runs of `runs` fits under `limit`.
inline bool message_fits(std::size_t bytes, const std::vector<oob_out>& runs, std::size_t limit) noexcept {
    if (bytes > limit) return false;
    for (const auto& r : runs)
        if (r.bytes > limit) return false;
    return true;
}

/// Throws MPI_ERR_COUNT for data some rank refused to send: one message would exceed `limit` bytes.
[[noreturn, gnu::noinline, gnu::cold]] inline void throw_too_large(const char* routine, std::size_t limit) {
    throw_usage(routine, MPI_ERR_COUNT,
                "a message would exceed " + std::to_string(limit) +
                    " bytes, the most one MPI call can carry without MPI-4 large-count calls; nothing was sent");
}

// ---- the run table ----

inline constexpr std::uint64_t run_table_magic = 0x4d505852; // "MPXR"

/// Appends the table of the runs' sizes to an encoded stream (only streams with runs get one).
inline void append_run_table(std::vector<std::byte>& bytes, const std::vector<oob_out>& runs) {
    if (runs.empty()) return;
    if (runs.size() >= (std::uint64_t{1} << 32)) [[unlikely]]
        throw_usage("mpixx::serialize", MPI_ERR_COUNT, "more than 2^32 out-of-band runs in one object");
    const std::size_t at = bytes.size();
    bytes.resize(at + 8 * (runs.size() + 1));
    std::byte* p = bytes.data() + at;
    for (const auto& r : runs) {
        const std::uint64_t n = r.bytes;
        std::memcpy(p, &n, 8);
        p += 8;
    }
    const std::uint64_t last = (run_table_magic << 32) | runs.size();
    std::memcpy(p, &last, 8);
}

/// A received message split into its stream and its table of runs.
struct run_table {
    std::span<const std::byte> stream;
    const std::byte* sizes = nullptr; // `count` unaligned u64
    std::size_t count = 0;
    std::size_t total = 0;

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

/// Splits a message; throws (corrupt) when its header flags runs but the table is not valid.
inline run_table split_message(std::span<const std::byte> msg) {
    run_table t{msg};
    if (msg.size() < 2 || msg[0] != std::byte{format_version} || (msg[1] & std::byte{flag_oob}) == std::byte{0})
        return t; // no runs (or not a stream at all: the decoder says so)
    std::uint64_t last = 0;
    if (msg.size() >= 2 + 8) std::memcpy(&last, msg.data() + msg.size() - 8, 8);
    const std::uint64_t n = last & 0xffffffffu;
    if ((last >> 32) != run_table_magic || n == 0 || n > (msg.size() - 2 - 8) / 8) [[unlikely]]
        throw_corrupt("missing or bad table of out-of-band runs");
    t.count = static_cast<std::size_t>(n);
    t.sizes = msg.data() + msg.size() - 8 * (t.count + 1);
    for (std::size_t i = 0; i < t.count; ++i) {
        const std::size_t s = t.size(i);
        if (s == 0 || s > no_count_limit - t.total) [[unlikely]]
            throw_corrupt("bad size in the table of out-of-band runs");
        t.total += s;
    }
    t.stream = msg.first(msg.size() - 8 * (t.count + 1));
    return t;
}

// ---- receiving runs ----

/// MPI_Irecv of `n` bytes, MPI_Irecv_c above INT_MAX (MPI_ERR_COUNT without it). Returns the MPI code.
inline int irecv_bytes(void* p, std::size_t n, MPI_Comm comm, int source, int tag, MPI_Request* r) noexcept {
    if (n <= static_cast<std::size_t>(INT_MAX)) return MPI_Irecv(p, static_cast<int>(n), MPI_BYTE, source, tag, comm, r);
#if MPI_VERSION >= 4
    return MPI_Irecv_c(p, static_cast<MPI_Count>(n), MPI_BYTE, source, tag, comm, r);
#else
    return MPI_ERR_COUNT;
#endif
}

/// Takes the out-of-band runs of a message whose decode failed off the wire: receives of count 0, which
/// MPI completes with MPI_ERR_TRUNCATE once it has consumed each run (see drop_message), or receives
/// into scratch memory where that is unsafe (Open MPI) or the communicator would not return that error.
/// The destructor waits.
class run_drain {
public:
    run_drain() = default;
    run_drain(const run_drain&) = delete;
    run_drain& operator=(const run_drain&) = delete;
    ~run_drain() { wait(); }

    /// Posts the drops of runs [first, t.count) from (source, tag) of `comm`.
    void post(const run_table& t, std::size_t first, MPI_Comm comm, int source, int tag) noexcept {
        static std::byte nowhere;
        try {
            const bool truncate = truncating_drop_is_safe && returns_errors(comm);
            reqs_.reserve(reqs_.size() + t.count - first);
            for (std::size_t i = first; i < t.count; ++i) {
                MPI_Request r = MPI_REQUEST_NULL;
                void* to = &nowhere;
                std::size_t n = 0;
                if (!truncate) {
                    n = t.size(i);
                    to = scratch_.emplace_back(n).data();
                }
                if (irecv_bytes(to, n, comm, source, tag, &r) == MPI_SUCCESS) reqs_.push_back(r);
            }
        } catch (...) { // out of memory: the runs not posted stay on the wire
        }
    }
    /// Waits until every posted drop completed (their truncation errors are expected and ignored).
    void wait() noexcept {
        for (auto& r : reqs_)
            if (r != MPI_REQUEST_NULL) MPI_Wait(&r, MPI_STATUS_IGNORE);
        reqs_.clear();
        scratch_.clear();
    }

private:
    std::vector<MPI_Request> reqs_;
    std::vector<std::vector<std::byte>> scratch_;
};

/// Decodes the stream of `t` into `out`; `in` then lists where each run goes. On failure (or when the
/// decoder and the sender's table disagree) the runs are dropped through `drain` and the error rethrown.
template <class T>
void decode_message(const run_table& t, T& out, std::vector<oob_in>& in, MPI_Comm comm, int source, int tag,
                    run_drain& drain) {
    try {
        decode_into(t.stream, out, in, t.total);
        if (!t.matches(in)) [[unlikely]]
            throw_corrupt("the out-of-band runs differ from the sender's table");
    } catch (...) {
        drain.post(t, 0, comm, source, tag);
        throw;
    }
}

/// Posts the receive of each run into the place the decoder prepared (appended to `reqs`). When MPI
/// fails, the runs not posted are dropped through `drain`, so the sender still completes.
inline void post_runs(const std::vector<oob_in>& in, const run_table& t, MPI_Comm comm, int source, int tag,
                      std::vector<MPI_Request>& reqs, run_drain& drain) {
    reqs.reserve(reqs.size() + in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        MPI_Request r = MPI_REQUEST_NULL;
        if (const int rc = irecv_bytes(in[i].data, in[i].bytes, comm, source, tag, &r); rc != MPI_SUCCESS) [[unlikely]] {
            drain.post(t, i, comm, source, tag);
            throw_mpi_error(rc, "MPI_Irecv");
        }
        reqs.push_back(r);
    }
}

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

[[noreturn, gnu::noinline, gnu::cold]] inline void throw_no_comm() {
    throw_usage("mpixx::message::recv", MPI_ERR_COMM,
                "the object has out-of-band runs but the message does not know its communicator "
                "(match it with comm.mprobe/improbe)");
}

/// Buffers reused by every blocking object message of this thread: after warm-up, sending and receiving
/// small objects allocates nothing.
struct object_scratch {
    std::vector<std::byte> bytes;
    std::vector<oob_out> out;
    std::vector<oob_in> in;
};
inline object_scratch& scratch() {
    thread_local object_scratch s;
    return s;
}

/// Receives the matched message `m` (sent by an object send on `comm`) into `out`: the stream, then
/// each run in place. A message from proc_null leaves `out` as it is.
template <class T>
void recv_matched(message& m, MPI_Comm comm, T& out) {
    const status st = m.status();
    if (st.source() == MPI_PROC_NULL) {
        m.recv(std::span<std::byte>{});
        return;
    }
    auto& s = scratch();
    m.recv_resize(s.bytes); // one MPI_Get_count, one MPI_Mrecv
    const run_table t = split_message(s.bytes);
    if (t.count != 0 && comm == MPI_COMM_NULL) [[unlikely]]
        throw_no_comm();
    run_drain drain; // waits for dropped runs before an error leaves this function
    decode_message(t, out, s.in, comm, st.source(), st.tag(), drain);
    if (t.count == 0) return;
    std::vector<MPI_Request> reqs;
    try {
        post_runs(s.in, t, comm, st.source(), st.tag(), reqs, drain);
    } catch (...) {
        wait_each_noexcept(reqs);
        throw;
    }
    wait_each(reqs, "MPI_Wait");
}

/// An object receive in flight: the stream is received and decoded at once, the receives of its runs
/// are posted (the last one's request is the caller's), and finish() hands the object over.
template <class T>
class object_inbox {
public:
    object_inbox() = default;
    object_inbox(const object_inbox&) = delete;
    object_inbox& operator=(const object_inbox&) = delete;
    ~object_inbox() { wait_each_noexcept(runs_); } // then drain_ waits for dropped runs

    /// Receives and decodes the stream of `m` and posts its runs; `r` gets the last run's request
    /// (null without runs). A failed decode drops the runs and rethrows.
    void start(message& m, MPI_Comm comm, MPI_Request& r) {
        const status st = m.status();
        if (st.source() == MPI_PROC_NULL) {
            m.recv(std::span<std::byte>{});
            return;
        }
        std::vector<std::byte> bytes;
        m.recv_resize(bytes); // matched: the sender is already sending it
        const run_table t = split_message(bytes);
        if (t.count != 0 && comm == MPI_COMM_NULL) [[unlikely]]
            throw_no_comm();
        std::vector<oob_in> in;
        decode_message(t, out_, in, comm, st.source(), st.tag(), drain_);
        post_runs(in, t, comm, st.source(), st.tag(), runs_, drain_);
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
    run_drain drain_;
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
        auto p = std::make_unique<matched_object_recv<T>>();
        MPI_Request r = MPI_REQUEST_NULL;
        p->inbox.start(m, m.comm(), r);
        return request<T>(r, std::move(p));
    }
};

// ---- sending ----

/// Encodes `value` for the wire (stream, then the table of its runs) and refuses, before anything is
/// sent, a message or run that one MPI call of `limit` bytes cannot carry.
template <class T>
void encode_message(std::vector<std::byte>& bytes, std::vector<oob_out>& runs, const T& value, std::size_t limit,
                    const char* routine) {
    encode_into(bytes, runs, value);
    append_run_table(bytes, runs);
    if (!message_fits(bytes.size(), runs, limit)) [[unlikely]]
        throw_too_large(routine, limit);
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
inline void post_message(const std::vector<std::byte>& bytes, const std::vector<oob_out>& runs, MPI_Comm comm,
                         int dest, int tag, bool sync, std::vector<MPI_Request>& reqs) {
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

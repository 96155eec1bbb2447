// mpixx/message.hpp - a message matched by mprobe: its size is known before it is received, and no
// other receive can take it (the race-free way to size a receive; what mpi4py's recv() does).
//
// Typed receives (recv, recv_resize, recv<T>, irecv) need only this header (and request.hpp for irecv).
// Receiving the message as a serialized object (recv<Object>(), irecv<Object>(), recv_object<T>())
// needs <mpixx/object_messaging.hpp> (or <mpixx/mpixx.hpp>): the decoder is not pulled in here.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/buffer.hpp>
#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/p2p_signature.hpp>
#include <mpixx/status.hpp>
#include <mpixx/detail/owner.hpp>

#include <climits>
#include <cstddef>
#include <exception>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

template <class T>
class request;

namespace detail {

template <class T>
struct request_payload;

/// Receiving a matched message as an object: defined by <mpixx/object_messaging.hpp>.
template <class T>
struct matched_object;

/// Names T in a template only once `Dep` is known, so that message.hpp can use request<T> (defined in
/// request.hpp, which includes this header) in member templates.
template <class T, class Dep>
struct after {
    using type = T;
};

/// Whether `comm` returns error codes (MPI_ERRORS_RETURN) rather than aborting or calling a user handler.
inline bool returns_errors(MPI_Comm comm) noexcept {
    MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
    if (MPI_Comm_get_errhandler(comm, &eh) != MPI_SUCCESS) return false;
    const bool r = eh == MPI_ERRORS_RETURN;
    MPI_Errhandler_free(&eh);
    return r;
}

/// Whether a receive of count 0 consumes a larger message without writing to its buffer (it completes
/// with MPI_ERR_TRUNCATE; MPI-4.1 3.2.5). MPICH does (checked with 4.0, messages above INT_MAX bytes
/// too); Open MPI 4.1 writes the whole message past such a buffer (seen over self and shared memory),
/// so there, and with any other MPI, a dropped message goes into scratch memory of its size.
#ifdef MPICH_VERSION
inline constexpr bool truncating_drop_is_safe = true;
#else
inline constexpr bool truncating_drop_is_safe = false;
#endif

/// Receives and drops the matched message `m`: small ones into a stack buffer; larger ones by a receive
/// of count 0 where that is safe (truncating_drop_is_safe) and `comm` returns the error (not
/// MPI_ERRORS_ARE_FATAL on a wrapped communicator), else into scratch memory of the message's size
/// (in 1 MiB elements above INT_MAX bytes).
inline void drop_message(MPI_Message& m, MPI_Status st, MPI_Comm comm) noexcept {
    int n = MPI_UNDEFINED; // MPI_UNDEFINED above INT_MAX bytes
    MPI_Get_count(&st, MPI_BYTE, &n);
    std::byte small[256];
    if (n != MPI_UNDEFINED && n <= static_cast<int>(sizeof small)) {
        MPI_Mrecv(small, n, MPI_BYTE, &m, MPI_STATUS_IGNORE);
    } else if (!truncating_drop_is_safe) {
        MPI_Count bytes = 0;
        MPI_Get_elements_x(&st, MPI_BYTE, &bytes);
        constexpr MPI_Count chunk = MPI_Count{1} << 20;
        MPI_Datatype mib = MPI_DATATYPE_NULL;
        const bool large = bytes > INT_MAX;
        if (large) {
            MPI_Type_contiguous(static_cast<int>(chunk), MPI_BYTE, &mib);
            MPI_Type_commit(&mib);
        }
        const MPI_Count count = large ? (bytes + chunk - 1) / chunk : bytes;
        try {
            std::vector<std::byte> scratch(static_cast<std::size_t>(large ? count * chunk : bytes));
            MPI_Mrecv(scratch.data(), static_cast<int>(count), large ? mib : MPI_BYTE, &m, MPI_STATUS_IGNORE);
        } catch (const std::bad_alloc&) { // no memory for it: left matched, never written past a buffer
        }
        if (large) MPI_Type_free(&mib);
    } else if (comm != MPI_COMM_NULL && !returns_errors(comm) && n != MPI_UNDEFINED) {
        try {
            std::vector<std::byte> scratch(static_cast<std::size_t>(n));
            MPI_Mrecv(scratch.data(), n, MPI_BYTE, &m, MPI_STATUS_IGNORE);
        } catch (const std::bad_alloc&) {
            MPI_Mrecv(small, 0, MPI_BYTE, &m, MPI_STATUS_IGNORE);
        }
    } else {
        MPI_Mrecv(small, 0, MPI_BYTE, &m, MPI_STATUS_IGNORE); // MPI_ERR_TRUNCATE: expected, consumed
    }
    m = MPI_MESSAGE_NULL; // MPICH leaves the handle set after an error, although the message is gone
}

/// Rethrows a container's failure to grow to the `n` items of `type` of a matched message as an
/// mpixx::error (call in a catch block; cold): std::bad_alloc is MPI_ERR_NO_MEM, std::length_error (more
/// than the container can hold) MPI_ERR_TRUNCATE. Anything else leaves unchanged.
[[noreturn, MPIXX_COLD]] inline void throw_resize_failed(const char* routine, std::size_t n, MPI_Datatype type) {
    try {
        throw;
    } catch (const std::bad_alloc&) {
        throw_usage(routine, MPI_ERR_NO_MEM, "out of memory for the incoming message of " + describe_count(n, type));
    } catch (const std::length_error&) {
        throw_usage(routine, MPI_ERR_TRUNCATE,
                    "the container cannot hold the incoming message of " + describe_count(n, type));
    }
}

/// Resizes `c` to the `n` items of `type` of a matched message; a container that cannot grow throws
/// throw_resize_failed's mpixx::error, and the message stays pending.
template <class C>
void resize_for_message(C& c, std::size_t n, MPI_Datatype type, const char* routine) {
    try {
        c.resize(n);
    } catch (...) {
        throw_resize_failed(routine, n, type);
    }
}

/// Payload of a typed irecv<T>() of a matched message: owns the value received into.
template <class T>
struct owned_mrecv final : request_payload<T> {
    T value{};
    T finish(const MPI_Status&) override { return std::move(value); }
};

} // namespace detail

/// A matched, not yet received message (MPI_Message). Move-only; one that is never received is
/// received and dropped by the destructor (without allocating its size), so that neither it nor its
/// sender is left waiting.
class message {
public:
    /// Takes a matched message; `comm` (where it was matched) is needed to receive it as an object.
    message(MPI_Message m, const MPI_Status& st, MPI_Comm comm = MPI_COMM_NULL) noexcept
        : m_(m), st_(st), comm_(comm) {}
    /// Takes the other's matched message (the other becomes empty).
    message(message&& o) noexcept
        : m_(std::exchange(o.m_, MPI_MESSAGE_NULL)), st_(o.st_), comm_(o.comm_), sig_taken_(o.sig_taken_) {}
    /// Takes the other's matched message (the other becomes empty).
    message& operator=(message&& o) noexcept {
        if (this != &o) {
            discard();
            m_ = std::exchange(o.m_, MPI_MESSAGE_NULL);
            st_ = o.st_;
            comm_ = o.comm_;
            sig_taken_ = o.sig_taken_;
        }
        return *this;
    }
    message(const message&) = delete;
    message& operator=(const message&) = delete;
    ~message() { discard(); }

    /// Source, tag and size of the message.
    [[nodiscard]] const mpixx::status& status() const noexcept { return st_; }
    /// Number of T elements in the message.
    template <mpi_type T>
    [[nodiscard]] std::size_t count() const {
        return st_.count<T>();
    }
    /// Whether the message is still waiting to be received.
    [[nodiscard]] bool pending() const noexcept { return m_ != MPI_MESSAGE_NULL; }
    /// The communicator the message was matched on (MPI_COMM_NULL when it was built without one).
    [[nodiscard]] MPI_Comm comm() const noexcept { return comm_; }

    /// Checked mode (detail/p2p_signature.hpp): true once, for the receive that takes the message's
    /// signature; a message dropped unreceived takes it off in its destructor.
    [[nodiscard]] bool claim_signature() noexcept { return !std::exchange(sig_taken_, true); }

    /// Checked mode: compares the sender's signature with a receive of `type` (once per message);
    /// MPI_ERR_TYPE from `routine` when they disagree. Nothing otherwise.
    void check_signature(MPI_Datatype type, const char* routine) {
        if constexpr (detail::checked_p2p)
            if (claim_signature()) detail::check_typed_receive(comm_, st_.native(), type, routine);
    }

    /// Receives into the caller's buffer; a message larger than the buffer throws naming both sizes
    /// and stays pending.
    template <class B>
        requires recv_target<B&&>
    mpixx::status recv(B&& buf) {
        auto v = detail::view(buf);
        const std::size_t incoming = fitting_count(v.count, v.type, "mpixx::message::recv");
        return receive(v.ptr, incoming, v.type);
    }

    /// Resizes the container to the message and receives into it.
    template <resizable_buffer C>
    mpixx::status recv_resize(C& c) {
        using E = std::remove_cv_t<std::ranges::range_value_t<C&>>;
        const MPI_Datatype type = datatype<E>();
        check_pending("mpixx::message::recv"); // before resize: a received message leaves `c` untouched
        check_signature(type, "mpixx::message::recv");
        detail::resize_for_message(c, st_.count(type), type, "mpixx::message::recv"); // pending if it throws
        return receive(std::ranges::data(c), std::ranges::size(c), type);
    }

    /// Receives and returns a value or a container sized to the message; a message with no data
    /// (zero-length, or from proc_null) gives a value-initialised T.
    template <typed_recv_value T>
    [[nodiscard]] T recv() {
        T out{};
        if constexpr (resizable_buffer<T>) recv_resize(out);
        else recv(out);
        return out;
    }

    /// Receives a message sent as an object (comm.send(obj, ...)) and returns it; a message from
    /// proc_null gives a value-initialised T. Needs <mpixx/object_messaging.hpp>.
    template <class T>
        requires(!typed_recv_value<T>)
    [[nodiscard]] T recv() {
        return detail::matched_object<T>::recv(*this);
    }

    /// Receives a value sent with mpixx::serialized(...) (any serializable T, typed ones included).
    template <class T>
    [[nodiscard]] T recv_object() {
        return detail::matched_object<T>::recv(*this);
    }

    /// Starts receiving into the caller's buffer (MPI_Imrecv); keep it alive until wait(). A message
    /// larger than the buffer throws naming both sizes and stays pending.
    template <class B>
        requires recv_target<B&&>
    [[nodiscard]] auto irecv(B&& buf) {
        using R = typename detail::after<request<void>, B>::type;
        auto v = detail::view(buf);
        const std::size_t incoming = fitting_count(v.count, v.type, "mpixx::message::irecv");
        MPI_Request r = MPI_REQUEST_NULL;
        start(v.ptr, incoming, v.type, r);
        return R(r);
    }

    /// Starts receiving a value or a container sized to the message (MPI_Imrecv); wait() returns it.
    template <typed_recv_value T>
    [[nodiscard]] auto irecv() {
        using R = typename detail::after<request<T>, T>::type;
        auto p = detail::make_box<detail::owned_mrecv<T>>();
        auto v = detail::view(p->value);
        std::size_t n = v.count;
        if constexpr (resizable_buffer<T>) {
            check_signature(v.type, "mpixx::message::irecv");
            detail::resize_for_message(p->value, st_.count(v.type), v.type, "mpixx::message::irecv");
            v = detail::view(p->value);
            n = v.count;
        } else {
            n = fitting_count(v.count, v.type, "mpixx::message::irecv");
        }
        MPI_Request r = MPI_REQUEST_NULL;
        start(v.ptr, n, v.type, r);
        return R(r, std::move(p));
    }

    /// Starts receiving a message sent as an object; wait() returns it. The stream is received at once
    /// (it is matched: its sender is already sending it) and the receives of its out-of-band runs are
    /// posted, so the sender never waits for this process to call wait(). Needs <mpixx/object_messaging.hpp>.
    template <class T>
        requires(!typed_recv_value<T>)
    [[nodiscard]] auto irecv() {
        return detail::matched_object<T>::irecv(*this);
    }

    /// The underlying MPI_Message handle.
    [[nodiscard]] MPI_Message& native() noexcept { return m_; }

private:
    /// The message's count of `type`, which must fit in `capacity` (throws naming both sizes otherwise).
    /// A message that ends inside an item (6 ints into a layout of 4 per item) counts that item: MPI
    /// receives it as a plain receive would (MPI-4.1 3.2.5), the last item partly filled.
    std::size_t fitting_count(std::size_t capacity, MPI_Datatype type, const char* routine) const {
        std::size_t incoming;
#if MPI_VERSION >= 4
        MPI_Count n = 0;
        MPIXX_CALL(MPI_Get_count_c, &st_.native(), type, &n);
        if (n == MPI_UNDEFINED) [[unlikely]]
            incoming = items_touched(type);
        else
            incoming = static_cast<std::size_t>(n);
#else
        int n = 0;
        MPIXX_CALL(MPI_Get_count, &st_.native(), type, &n);
        incoming = n == MPI_UNDEFINED ? items_touched(type) : static_cast<std::size_t>(n);
#endif
        if (incoming > capacity) [[unlikely]]
            detail::throw_truncated(routine, incoming, capacity, type);
        return incoming;
    }

    /// Items of `type` the message fills or starts (cold: its size is not a whole number of them, or,
    /// without MPI-4, above INT_MAX of them). A message that ends inside a basic element of `type` (6
    /// chars as ints) matches no receive of it: MPI_ERR_TYPE, as status::count says.
    [[MPIXX_COLD]] std::size_t items_touched(MPI_Datatype type) const {
        MPI_Count bytes = 0, size = 0, elements = 0;
        MPIXX_CALL(MPI_Get_elements_x, &st_.native(), MPI_BYTE, &bytes);
        MPIXX_CALL(MPI_Get_elements_x, &st_.native(), type, &elements);
        MPIXX_CALL(MPI_Type_size_x, type, &size);
        if (size <= 0 || bytes < 0 || elements == MPI_UNDEFINED) [[unlikely]]
            detail::throw_usage("mpixx::status::count", MPI_ERR_TYPE,
                                "message size is not a whole number of elements of the requested type");
        return static_cast<std::size_t>((bytes + size - 1) / size);
    }

    void check_pending(const char* routine) const {
        if (!pending()) [[unlikely]]
            detail::throw_usage(routine, MPI_ERR_REQUEST, "the message was already received");
    }

    mpixx::status receive(void* p, std::size_t n, MPI_Datatype type) {
        check_pending("mpixx::message::recv");
        check_signature(type, "mpixx::message::recv");
        // The matched probe's status already says source, tag and size: the receive's would repeat it.
        MPIXX_CALL_COUNT(MPI_Mrecv, p, n, type, &m_, MPI_STATUS_IGNORE);
        return st_;
    }

    void start(void* p, std::size_t n, MPI_Datatype type, MPI_Request& r) {
        check_pending("mpixx::message::irecv");
        check_signature(type, "mpixx::message::irecv");
        MPIXX_CALL_COUNT(MPI_Imrecv, p, n, type, &m_, &r);
    }

    void discard() noexcept {
        if (!pending()) return;
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) {
            if constexpr (detail::checked_p2p)
                if (claim_signature()) detail::skip_signature(comm_, st_.native());
            detail::drop_message(m_, st_.native(), comm_);
        }
        m_ = MPI_MESSAGE_NULL;
    }

    MPI_Message m_;
    mpixx::status st_;
    MPI_Comm comm_;
    bool sig_taken_ = false;
};

} // namespace mpixx

// request<T> for irecv: request.hpp includes this header, so it comes last (when request.hpp is the
// one included first, it is complete before any code can call irecv).
#include <mpixx/request.hpp>

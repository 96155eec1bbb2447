// mpixx/detail/object_api.hpp - the object members of the communicator (send/recv/... and the
// collectives of any serializable C++ object), declared without the serializer.
//
// A class must be the same in every translation unit, so the communicator always has these members,
// with the same signatures and light constraints (not a typed buffer, or a serialized() wrapper). Their
// bodies call helpers that are only declared here and defined by <mpixx/object_messaging.hpp> and
// detail/object_collectives.hpp. A program that includes only <mpixx/core.hpp> and sends an object gets
// a one-line static_assert naming the header to include; with it, a type that is neither an MPI datatype
// nor serializable gets a one-line static_assert saying how to fix it. Typed calls never touch this path.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/collectives.hpp>
#include <mpixx/message.hpp>
#include <mpixx/request.hpp>

#include <climits>
#include <cstddef>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// A value marked to travel serialized even though it is a typed buffer (see serialized()); borrowed.
template <class T>
struct serialized_ref {
    using value_type = T; ///< The wrapped type.
    const T& value;       ///< The borrowed value.
};

/// serialized() of an rvalue: the wrapper owns the value, so `comm.isend(serialized(make()), 1)` never
/// sends memory that is freed before the send completes (wait() hands the value back).
template <class T>
struct serialized_value {
    using value_type = T; ///< The wrapped type.
    T value;              ///< The owned value.
};

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
} // namespace mpixx

namespace mpixx::inline MPIXX_ABI::detail {

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

/// No limit on a message's bytes (the large-count calls take any size_t that fits in memory).
inline constexpr std::size_t no_count_limit = std::numeric_limits<std::size_t>::max();
/// The most bytes one message of this library may carry: INT_MAX without MPI-4's large-count calls.
inline constexpr std::size_t count_limit = MPI_VERSION >= 4 ? no_count_limit : static_cast<std::size_t>(INT_MAX);

template <class T>
inline constexpr bool is_std_vector = false;
template <class E, class A>
inline constexpr bool is_std_vector<std::vector<E, A>> = true;

/// What the object overloads take, decided without the serializer: not a typed buffer, not a wrapper.
/// (Whether the type is serializable is checked in the body: a one-line static_assert.)
template <class T>
concept object_shape = !send_buffer<std::remove_cvref_t<T>> && !serialized_wrapper<T>;
/// An object, or a value wrapped by serialized().
template <class T>
concept object_or_wrapped_shape = object_shape<T> || serialized_wrapper<T>;

template <class T, class Op>
constexpr bool typed_reduction() {
    if constexpr (send_buffer<T>) return reduction_op<Op, elem_t<T>>;
    else return false;
}

/// A reduction of whole objects: `op` combines two T's into a T, and the typed (element-wise) path
/// does not apply. So std::string with a concatenating lambda is reduced as a whole, while
/// std::string with mpixx::max is reduced element-wise like any buffer.
template <class T, class Op>
concept object_reduction_shape = !serialized_wrapper<T> && std::default_initializable<std::remove_cvref_t<T>> &&
                                 std::is_invocable_r_v<std::remove_cvref_t<T>, Op&, const std::remove_cvref_t<T>&,
                                                       const std::remove_cvref_t<T>&> &&
                                 !typed_reduction<std::remove_cvref_t<T>, std::remove_cvref_t<Op>>();

/// A wrapped value whose wrapped type `op` can combine (serialized(x) always reduces whole objects).
template <class W, class Op>
concept wrapped_reduction = serialized_wrapper<W> &&
                            std::is_invocable_r_v<unwrapped_t<W>, Op&, const unwrapped_t<W>&, const unwrapped_t<W>&>;

/// A std::vector handed out one element per rank (scatter, alltoall), not a typed buffer (a
/// std::vector<int> is scattered in blocks by the typed path; wrap it to get one int each).
template <class V>
concept object_list_shape = is_std_vector<std::remove_cvref_t<V>> && !send_buffer<std::remove_cvref_t<V>>;

/// serialized(std::vector<E>): one E per rank.
template <class W>
concept wrapped_list = serialized_wrapper<W> && is_std_vector<unwrapped_t<W>>;

/// Defined by <mpixx/object_messaging.hpp>: `value` says whether T is serializable.
template <class T>
struct object_codec;

/// Whether objects of types T... can travel: the serializer is included and each T is serializable.
/// Otherwise one static_assert says which of the two is missing (evaluated only when an object call is
/// made).
template <class... T>
consteval bool object_ready() {
    constexpr bool included = (requires { object_codec<T>::value; } && ...);
    static_assert(included, "mpixx: this type is not an MPI datatype, so it travels serialized, which needs "
                            "#include <mpixx/object_messaging.hpp> (or <mpixx/mpixx.hpp>)");
    if constexpr (included) {
        constexpr bool serializable = (object_codec<T>::value && ...);
        static_assert(serializable, "mpixx: this type is neither an MPI datatype nor serializable: give it a "
                                    "serialize hook (see mpixx/serialize.hpp) or a mpixx::datatype_traits "
                                    "specialization");
        return serializable;
    } else {
        return false;
    }
}

/// The result of an object call whose object_ready() static_assert has already stopped compilation;
/// never defined. Returning it keeps the compiler from adding a "no return statement" error after the
/// static_assert.
template <class R>
R object_unavailable() noexcept;

/// Collectives of serialized objects, on top of the typed collectives (detail/object_collectives.hpp).
class object_collective_layer : public collective_layer {
public:
    using collective_layer::allgather;
    using collective_layer::allreduce;
    using collective_layer::alltoall;
    using collective_layer::bcast;
    using collective_layer::exscan;
    using collective_layer::gather;
    using collective_layer::reduce;
    using collective_layer::scan;
    using collective_layer::scatter;

    /// Broadcasts root's object and returns it on every rank (mpi4py: data = comm.bcast(data, root)).
    template <object_shape T>
    [[nodiscard]] std::remove_cvref_t<T> bcast(const T& value, int root = 0, object_overload = {}) const {
        if constexpr (object_ready<std::remove_cvref_t<T>>()) return bcast_value(value, root);
        else return object_unavailable<std::remove_cvref_t<T>>();
    }

    /// Broadcasts root's object into `value` on every other rank, reusing its storage.
    template <object_shape T>
        requires(!std::is_const_v<T>)
    T& bcast(T& value, int root = 0, object_overload = {}) const {
        if constexpr (object_ready<T>()) bcast_into(value, root);
        return value;
    }

    /// Broadcasts root's wrapped value (serialized(x)) and returns it on every rank.
    template <serialized_wrapper W>
    [[nodiscard]] unwrapped_t<W> bcast(const W& value, int root = 0, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<W>>()) return bcast_value(value.value, root);
        else return object_unavailable<unwrapped_t<W>>();
    }

    /// Gathers one object per rank on root, in rank order; other ranks get an empty vector.
    template <object_shape T>
    [[nodiscard]] std::vector<std::remove_cvref_t<T>> gather(const T& value, int root = 0, object_overload = {}) const {
        if constexpr (object_ready<std::remove_cvref_t<T>>()) return gather_objects(value, root);
        else return object_unavailable<std::vector<std::remove_cvref_t<T>>>();
    }
    /// Gathers one wrapped value per rank on root: gather(serialized(s), 0) is a std::vector<std::string>.
    template <serialized_wrapper W>
    [[nodiscard]] std::vector<unwrapped_t<W>> gather(const W& value, int root = 0, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<W>>()) return gather_objects(value.value, root);
        else return object_unavailable<std::vector<unwrapped_t<W>>>();
    }

    /// Gathers one object per rank on every rank, in rank order.
    template <object_shape T>
    [[nodiscard]] std::vector<std::remove_cvref_t<T>> allgather(const T& value, object_overload = {}) const {
        if constexpr (object_ready<std::remove_cvref_t<T>>()) return allgather_objects(value);
        else return object_unavailable<std::vector<std::remove_cvref_t<T>>>();
    }
    /// Gathers one wrapped value per rank on every rank.
    template <serialized_wrapper W>
    [[nodiscard]] std::vector<unwrapped_t<W>> allgather(const W& value, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<W>>()) return allgather_objects(value.value);
        else return object_unavailable<std::vector<unwrapped_t<W>>>();
    }

    /// Root hands element i of `values` (size() == comm size) to rank i; other ranks' `values` are ignored.
    template <object_list_shape V>
    [[nodiscard]] typename V::value_type scatter(const V& values, int root = 0, object_overload = {}) const {
        if constexpr (object_ready<V>()) return scatter_objects(values, root);
        else return object_unavailable<typename V::value_type>();
    }
    /// scatter of serialized(std::vector<E>): one E per rank, E typed or not.
    template <wrapped_list W>
    [[nodiscard]] typename unwrapped_t<W>::value_type scatter(const W& values, int root = 0,
                                                              object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<W>>()) return scatter_objects(values.value, root);
        else return object_unavailable<typename unwrapped_t<W>::value_type>();
    }

    /// Every rank sends values[i] to rank i and returns what each rank sent it, in rank order.
    template <object_list_shape V>
    [[nodiscard]] V alltoall(const V& values, object_overload = {}) const {
        if constexpr (object_ready<V>()) return alltoall_objects(values);
        else return object_unavailable<V>();
    }
    /// alltoall of serialized(std::vector<E>): one E to each rank, E typed or not.
    template <wrapped_list W>
    [[nodiscard]] unwrapped_t<W> alltoall(const W& values, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<W>>()) return alltoall_objects(values.value);
        else return object_unavailable<unwrapped_t<W>>();
    }

    /// Combines every rank's object with `op` in rank order ((x0 op x1) op x2 ...): the result on root,
    /// a value-initialised T elsewhere (as the typed reduce). `op` may be any binary callable, also
    /// non-commutative or stateful (it is called on root only, with its current state).
    template <class T, class Op>
        requires object_reduction_shape<T, Op> || wrapped_reduction<T, Op>
    [[nodiscard]] unwrapped_t<T> reduce(const T& value, Op op, int root = 0, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<T>>()) {
            check_intra("mpixx::reduce");
            auto all = gather_objects(unwrap(value), root);
            if (rank_ != root) return {};
            return fold(all, op, all.size());
        } else {
            return object_unavailable<unwrapped_t<T>>();
        }
    }

    /// Like reduce, with the result on every rank.
    template <class T, class Op>
        requires object_reduction_shape<T, Op> || wrapped_reduction<T, Op>
    [[nodiscard]] unwrapped_t<T> allreduce(const T& value, Op op, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<T>>()) {
            check_intra("mpixx::allreduce");
            auto out = reduce(value, op, 0);
            if (rank_ == 0) bcast_object_root(out, 0);
            else bcast_object_into(out, 0);
            return out;
        } else {
            return object_unavailable<unwrapped_t<T>>();
        }
    }

    /// Inclusive prefix: rank r gets x0 op x1 op ... op xr.
    template <class T, class Op>
        requires object_reduction_shape<T, Op> || wrapped_reduction<T, Op>
    [[nodiscard]] unwrapped_t<T> scan(const T& value, Op op, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<T>>()) {
            check_intra("mpixx::scan");
            auto all = allgather_objects(unwrap(value));
            return fold(all, op, static_cast<std::size_t>(rank_) + 1);
        } else {
            return object_unavailable<unwrapped_t<T>>();
        }
    }

    /// Exclusive prefix: rank r > 0 gets x0 op ... op x(r-1); rank 0 gets a value-initialised T.
    template <class T, class Op>
        requires object_reduction_shape<T, Op> || wrapped_reduction<T, Op>
    [[nodiscard]] unwrapped_t<T> exscan(const T& value, Op op, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<T>>()) {
            check_intra("mpixx::exscan");
            auto all = allgather_objects(unwrap(value));
            if (rank_ == 0) return {};
            return fold(all, op, static_cast<std::size_t>(rank_));
        } else {
            return object_unavailable<unwrapped_t<T>>();
        }
    }

protected:
    using collective_layer::collective_layer;

    // Defined in detail/object_collectives.hpp (they need the serializer).
    template <class T>
    std::remove_cvref_t<T> bcast_value(const T& value, int root) const;
    template <class T>
    void bcast_into(T& value, int root) const;
    template <class T>
    std::vector<T> gather_objects(const T& value, int root, std::size_t limit = count_limit) const;
    template <class T>
    std::vector<T> allgather_objects(const T& value, std::size_t limit = count_limit) const;
    template <class E>
    E scatter_objects(const std::vector<E>& values, int root, std::size_t limit = count_limit) const;
    template <class E>
    std::vector<E> alltoall_objects(const std::vector<E>& values, std::size_t limit = count_limit) const;
    template <class T>
    void bcast_object_root(const T& value, int root, std::size_t limit = count_limit) const;
    template <class T>
    void bcast_object_into(T& out, int root, std::size_t limit = count_limit) const;

    /// (v0 op v1) op v2 ... over the first n values.
    template <class T, class Op>
    static T fold(std::vector<T>& values, Op& op, std::size_t n) {
        T acc = std::move(values[0]);
        for (std::size_t i = 1; i < n; ++i) acc = op(std::as_const(acc), std::as_const(values[i]));
        return acc;
    }
};

/// Messaging of serialized objects, the top layer of the communicator (object_messaging.hpp).
class object_layer : public object_collective_layer {
public:
    using object_collective_layer::irecv;
    using object_collective_layer::isend;
    using object_collective_layer::issend;
    using object_collective_layer::recv;
    using object_collective_layer::send;
    using object_collective_layer::sendrecv;
    using object_collective_layer::ssend;

    /// Sends any serializable object (one stream message, plus one zero-copy message per large bulk run).
    template <object_or_wrapped_shape T>
    void send(const T& value, int dest, int tag = 0, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<T>>()) send_object(unwrap(value), dest, tag, false);
    }

    /// Like send, but returns only once the receiver has started receiving the stream (MPI_Ssend).
    template <object_or_wrapped_shape T>
    void ssend(const T& value, int dest, int tag = 0, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<T>>()) send_object(unwrap(value), dest, tag, true);
    }

    /// Receives an object of any size (matched probe; works with any_source/any_tag); from proc_null, T{}.
    template <object_shape T>
    [[nodiscard]] T recv(int source = any_source, int tag = any_tag, object_overload = {}) const {
        T out{};
        if constexpr (object_ready<T>()) recv_object_into(out, source, tag);
        return out;
    }

    /// Receives an object into `out`, reusing its storage (e.g. a large vector member of the same size);
    /// from proc_null, `out` is left as it is.
    template <object_shape T>
    status recv(T& out, int source = any_source, int tag = any_tag, object_overload = {}) const {
        if constexpr (object_ready<T>()) return recv_object_into(out, source, tag);
        else return object_unavailable<status>();
    }

    /// Receives a value sent with serialized(...) (any serializable type, typed buffers included).
    template <class T>
    [[nodiscard]] T recv_object(int source = any_source, int tag = any_tag) const {
        T out{};
        if constexpr (object_ready<T>()) recv_object_into(out, source, tag);
        return out;
    }

    /// Sends an object and receives one, without deadlock when two ranks exchange (mpi4py's sendrecv).
    template <object_shape R, object_or_wrapped_shape S>
    [[nodiscard]] R sendrecv(const S& value, int dest, int sendtag = 0, int source = any_source,
                             int recvtag = any_tag, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<S>, R>()) {
            // Checked before the send is posted: a call that throws must not have sent its object.
            check_source(source, "mpixx::sendrecv");
            check_recv_tag(recvtag, "mpixx::sendrecv");
            return sendrecv_object<R>(unwrap(value), dest, sendtag, source, recvtag);
        } else {
            return object_unavailable<R>();
        }
    }

    /// Starts the send of an object. An lvalue is borrowed (keep it alive and unchanged until wait());
    /// an rvalue (also serialized(temporary)) is moved into the request and handed back by wait(). The
    /// stream is encoded at once.
    template <class T>
        requires object_or_wrapped_shape<T>
    auto isend(T&& value, int dest, int tag = 0, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<T>>())
            return start_object_send(std::forward<T>(value), dest, tag, false, "mpixx::isend");
        else return object_unavailable<request<void>>();
    }

    /// Like isend, but the stream is sent with MPI_Issend: the request completes once the receiver has
    /// matched the object (and received its out-of-band runs).
    template <class T>
        requires object_or_wrapped_shape<T>
    auto issend(T&& value, int dest, int tag = 0, object_overload = {}) const {
        if constexpr (object_ready<unwrapped_t<T>>())
            return start_object_send(std::forward<T>(value), dest, tag, true, "mpixx::issend");
        else return object_unavailable<request<void>>();
    }

    /// Starts the receive of an object of unknown size; wait() returns it. Matched through
    /// detail::progress, so a peer's send to it completes while this process blocks elsewhere in mpixx.
    template <object_shape T>
    [[nodiscard]] request<T> irecv(int source = any_source, int tag = any_tag, object_overload = {}) const {
        return irecv_object<T>(source, tag);
    }

    /// Starts the receive of a value sent with serialized(...) (any serializable type).
    template <class T>
    [[nodiscard]] request<T> irecv_object(int source = any_source, int tag = any_tag) const {
        if constexpr (object_ready<T>()) return start_object_recv<T>(source, tag);
        else return object_unavailable<request<T>>();
    }

    /// Matches a message (MPI_Mprobe); it can be received typed, or as an object (message::recv<T>()).
    [[nodiscard]] message mprobe(int source = any_source, int tag = any_tag) const {
        return with_comm(p2p_layer::mprobe(source, tag));
    }

    /// Like mprobe, but returns at once with nothing when no message matches (MPI_Improbe).
    [[nodiscard]] std::optional<message> improbe(int source = any_source, int tag = any_tag) const {
        auto m = p2p_layer::improbe(source, tag);
        if (!m) return std::nullopt;
        return with_comm(std::move(*m));
    }

protected:
    using object_collective_layer::object_collective_layer;

    /// The matched message, knowing this communicator (its out-of-band runs come on it).
    message with_comm(message m) const noexcept {
        mpixx::status st = m.status();
        return message(std::exchange(m.native(), MPI_MESSAGE_NULL), st.native(), comm_);
    }

    // Defined in object_messaging.hpp (they need the serializer).
    template <class V>
    auto start_object_send(V&& value, int dest, int tag, bool sync, const char* routine,
                           std::size_t limit = count_limit) const;
    template <class T>
    void send_object(const T& value, int dest, int tag, bool synchronous, std::size_t limit = count_limit) const;
    template <class T>
    status recv_object_into(T& out, int source, int tag) const;
    template <class R, class S>
    R sendrecv_object(const S& value, int dest, int sendtag, int source, int recvtag) const;
    template <class T>
    request<T> start_object_recv(int source, int tag) const;
};

} // namespace mpixx::detail

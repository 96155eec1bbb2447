// mpixx/detail/collectives_common.hpp - what the blocking and non-blocking collectives share: the
// in_place tag, the owned result type of value-returning forms, the int/large-count call dispatch
// (MPIXX_COLL; MPIXX_COLL_BLOCKING / MPIXX_COLL_CALL for a blocking collective, see below) and per-rank
// count/displacement arrays. The size checks and their (cold) errors are in detail/v_layout_check.hpp.
//
// Blocking collectives and detail::progress: a blocking collective cannot keep probe-sized receives
// matching while it waits the way a blocking send or recv does (by waiting for its non-blocking twin
// instead), because MPI never matches a non-blocking collective with a blocking one: the choice must be
// the same on every rank, and whether receives are registered is not. So by default a blocking
// collective is the plain MPI call (a peer's rendezvous send to a pending irecv<std::string> that the
// peer makes before entering the same collective then deadlocks, as in raw MPI). Building the whole
// program (every translation unit, every rank) with MPIXX_COLLECTIVE_PROGRESS=1 makes every blocking
// collective, on every rank, its non-blocking twin waited for while matching: deadlock-free, at the
// cost of the twin (MPICH 4.0, 2 ranks: allreduce of an int 0.97 -> 1.42 us, bcast 0.44 -> 0.80 us).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/arg_pack.hpp>
#include <mpixx/buffer.hpp>
#include <mpixx/detail/collective_site.hpp>
#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/hang_watch.hpp>
#include <mpixx/detail/layout_state.hpp>
#include <mpixx/detail/progress.hpp>
#if MPIXX_CHECKED
#include <mpixx/detail/collective_signature.hpp>
#include <mpixx/detail/deferred_collectives.hpp>
#endif
#include <mpixx/ops.hpp>
#include <mpixx/request.hpp>

#include <mpixx/detail/std_light.hpp>
#include <mpixx/detail/owner.hpp>
#include <mpixx/detail/v_layout_check.hpp>
#include <array>
#include <climits>
#include <cstdint>
#include <concepts>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// Tag type of mpixx::in_place.
struct in_place_t {
    explicit in_place_t() = default;
};
/// Pass instead of the send buffer: the other buffer is both input and output (MPI_IN_PLACE).
inline constexpr in_place_t in_place{};

namespace detail {

/// The element type of a buffer: the range's value type, the value's own type, or a layout view's
/// element type (opaque_element for raw views; buffer.hpp).
template <class B>
using elem_t = element_t<B>;

/// Whether B is a layout buffer (mpixx::layout_view, mpixx::raw: layout.hpp).
template <class B>
inline constexpr bool is_layout_v = layout_buffer<std::remove_cvref_t<B>>;

/// A send buffer a pending operation may keep referring to: an lvalue, or a borrowed range such as
/// std::span (never a temporary container nor an owning view, which die while MPI still reads them).
template <class S>
concept send_target = send_buffer<S> && borrowable<S>;

/// A contiguous array of V (per-rank counts, displacements, datatypes) a pending operation may keep
/// referring to: an lvalue or a borrowed range (never a temporary container).
template <class C, class V>
concept array_target = std::ranges::contiguous_range<C> && std::ranges::sized_range<C> &&
                       std::same_as<std::ranges::range_value_t<C>, V> && borrowable<C>;

/// Per-rank counts or displacements a pending operation may keep referring to.
template <class C>
concept count_target = array_target<C, int>;

/// The (pointer, count, datatype) of a buffer that is only read: const even for a non-const lvalue of a
/// view of const elements (std::span<const int>&).
template <class S>
auto send_view(const S& s) noexcept(noexcept(view(s))) {
    return view(s);
}

// MPICH rejects two null buffers as aliased (alltoallv/alltoallw with every count zero and empty
// vectors): an empty buffer is passed as one of these distinct addresses, never read or written.
inline constinit char empty_send_dummy = 0;
inline constinit char empty_recv_dummy = 0;
/// `p`, or a distinct non-null address when the buffer is empty (p null).
inline const void* nonnull_send(const void* p) noexcept { return p ? p : &empty_send_dummy; }
inline void* nonnull_recv(void* p) noexcept { return p ? p : &empty_recv_dummy; }

/// The storage a value-returning collective receives into and the std::vector<E> it returns: the vector
/// itself (moved out, no copy), except for bool, whose std::vector is not contiguous: a bool array
/// received into, then copied into the std::vector<bool> returned.
template <class E>
class result_buffer {
public:
    explicit result_buffer(std::size_t n = 0) : v_(n) {}
    void resize(std::size_t n) { v_.resize(n); }
    [[nodiscard]] std::span<E> span() noexcept { return v_; }
    [[nodiscard]] E* data() noexcept { return v_.data(); }
    [[nodiscard]] std::vector<E> take() { return std::move(v_); }

private:
    std::vector<E> v_;
};
template <>
class result_buffer<bool> {
public:
    explicit result_buffer(std::size_t n = 0) { resize(n); }
    void resize(std::size_t n) {
        p_ = detail::make_array<bool>(n);
        n_ = n;
    }
    [[nodiscard]] std::span<bool> span() noexcept { return {p_.get(), n_}; }
    [[nodiscard]] bool* data() noexcept { return p_.get(); }
    [[nodiscard]] std::vector<bool> take() { return std::vector<bool>(p_.get(), p_.get() + n_); }

private:
    detail::box<bool[]> p_;
    std::size_t n_ = 0;
};

/// Send and receive buffers hold the same element type (MPI needs matching type signatures); an
/// untyped (raw) view matches anything (MPI checks it).
template <class S, class R>
concept same_element = std::same_as<elem_t<S>, elem_t<R>> || std::same_as<elem_t<S>, opaque_element> ||
                       std::same_as<elem_t<R>, opaque_element>;

/// A buffer a reduction takes: not a layout view. MPI defines its built-in ops on built-in datatypes
/// only (MPICH refuses even a vector of doubles) and gives a user op whole items of the datatype, so a
/// reduction of non-contiguous data reduces contiguous buffers (then the result is sent or copied).
template <class B, class Op>
concept view_reduction = !is_layout_v<B>;

template <class T>
struct is_array_class : std::false_type {};
template <class T, std::size_t N>
struct is_array_class<std::array<T, N>> : std::true_type {};

template <class S>
consteval auto owned_type() {
    using D = std::remove_cvref_t<S>;
    if constexpr (!contiguous_buffer<const D&>) return std::type_identity<D>{}; // one mpi_type value
    else if constexpr (is_array_class<D>::value) return std::type_identity<D>{};
    else if constexpr (resizable_buffer<D> && std::copy_constructible<D> && std::default_initializable<D>)
        return std::type_identity<D>{};
    else return std::type_identity<std::vector<elem_t<D>>>{}; // spans, C arrays, views
}

/// What a value-returning collective gives back for input S: S itself for values, std::array, vector
/// and string; a std::vector of the elements for views and C arrays.
template <class S>
using owned_t = typename decltype(owned_type<S>())::type;

/// A copy of `s` as owned_t<S>.
template <class S>
owned_t<S> make_owned(const S& s) {
    if constexpr (std::is_same_v<owned_t<S>, std::remove_cvref_t<S>>) {
        return s;
    } else {
        using E = elem_t<S>;
        auto v = view(s);
        const E* p = static_cast<const E*>(v.ptr);
        return owned_t<S>(p, p + v.count);
    }
}

/// Fills `out` with value-initialised elements (exscan's undefined result on rank 0).
template <class B>
void value_initialise(B& out) {
    if constexpr (contiguous_buffer<B&>) {
        auto* p = std::ranges::data(out);
        for (std::size_t i = 0, n = std::ranges::size(out); i < n; ++i) p[i] = elem_t<B>{};
    } else {
        out = B{};
    }
}

// ---- layout views in collectives (layout.hpp: what a view means where per-rank counts are derived) ----

/// Elements of the buffer's element type that a view holds (0: untyped, compare bytes instead).
template <class V>
std::size_t view_elements(const V& v) noexcept {
    return v.count * v.unit;
}

/// Bytes of data in `count` items of `type` (the size of their type signature).
inline std::size_t type_bytes(MPI_Datatype type, std::size_t count) {
    int size = 0;
    MPIXX_CALL(MPI_Type_size, type, &size);
    return static_cast<std::size_t>(size) * count;
}

/// Two blocks whose type signatures differ in length: MPI_ERR_TRUNCATE when the receiving one is the
/// smaller, MPI_ERR_COUNT otherwise (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_block_mismatch(const char* routine, const char* what,
                                                          std::size_t have, std::size_t needed,
                                                          const char* unit, bool receive) {
    throw error(routine, receive && have < needed ? MPI_ERR_TRUNCATE : MPI_ERR_COUNT,
                std::string(what) + " holds " + std::to_string(have) + " " + unit + " per rank but " +
                    std::to_string(needed) + " are exchanged (a layout view's block is count()/size() items of its layout)");
}

/// Checks that `count` items of block `b` (unit elements each) carry what `peer` (one whole block on
/// the other side) does: elements when both are typed, bytes otherwise.
template <class B, class V>
void check_block_signature(const char* routine, const char* what, std::size_t count, const B& b, const V& peer,
                           bool receive) {
    if (b.unit != 0 && peer.unit != 0) {
        const std::size_t have = count * b.unit, need = view_elements(peer);
        if (have != need) [[unlikely]]
            throw_block_mismatch(routine, what, have, need, "elements", receive);
    } else {
        const std::size_t have = type_bytes(b.type, count), need = type_bytes(peer.type, peer.count);
        if (have != need) [[unlikely]]
            throw_block_mismatch(routine, what, have, need, "bytes", receive);
    }
}

/// One rank's block (count, datatype) in a buffer `whole` that holds `nblocks` blocks (the root's
/// buffer of gather/scatter, allgather's receive buffer, alltoall's), each carrying what `peer` (this
/// rank's single block on the other side) carries. A plain container is cut into blocks of peer's
/// element count (it must hold nblocks of them: at least, for a receive buffer); a layout view's count
/// must divide by nblocks and each part must carry what `peer` does.
struct rank_block {
    std::size_t count;
    MPI_Datatype type;
};
template <class W, class V>
rank_block split_blocks(const char* routine, const char* what, const W& whole, const V& peer, int nblocks, bool receive) {
    const auto n = static_cast<std::size_t>(nblocks);
    if (!whole.layout) {
        std::size_t per = 0;
        if (peer.unit != 0) {
            per = view_elements(peer);
        } else { // untyped peer: its bytes in whole elements
            const std::size_t bytes = type_bytes(peer.type, peer.count), esize = type_bytes(whole.type, 1);
            if (esize == 0 || bytes % esize != 0) [[unlikely]]
                throw_block_mismatch(routine, what, bytes, esize, "bytes (not a whole number of elements)", receive);
            per = bytes / esize;
        }
        if (receive ? whole.count < per * n : whole.count != per * n) [[unlikely]] {
            if (receive) throw_coll_truncate(routine, per * n, whole.count, whole.type);
            throw_coll_count(routine, what, whole.count, per * n, whole.type);
        }
        return {per, whole.type};
    }
    if (whole.count % n != 0) [[unlikely]]
        throw_not_divisible(routine, what, whole.count, nblocks, whole.type);
    const std::size_t per = whole.count / n;
    check_block_signature(routine, what, per, whole, peer, receive);
    return {per, whole.type};
}

/// A range of per-peer buffers for alltoallw (one buffer per rank: layout views, raw views, spans, ...).
/// Its elements must not be temporaries (a range yielding containers by value, such as a transform
/// view, would hand MPI the addresses of copies destroyed before the call).
template <class V, bool Recv>
concept peer_buffers = std::ranges::sized_range<V> && std::ranges::forward_range<V> &&
                       (Recv ? recv_buffer<std::ranges::range_reference_t<V>> : send_buffer<std::ranges::range_reference_t<V>>) &&
                       borrowable<std::ranges::range_reference_t<V>>;

/// alltoallw's arrays for one side, built from one buffer per peer: the lowest address is the base,
/// each peer's displacement its byte offset from it (int, as MPI_Alltoallw wants), its own count and
/// datatype. Owned by a request in the non-blocking form.
struct w_side {
    std::vector<int> counts, displs;
    std::vector<MPI_Datatype> types;
    const char* base = nullptr;

    template <class V>
    w_side(const char* routine, const char* what, V& peers, int size) {
        const auto n = static_cast<std::size_t>(std::ranges::size(peers));
        if (n != static_cast<std::size_t>(size)) [[unlikely]]
            throw_counts_size(routine, what, n, size);
        counts.resize(n);
        displs.resize(n);
        types.resize(n);
        std::size_t i = 0;
        for (auto&& b : peers) {
            auto v = view(b);
            const char* p = static_cast<const char*>(static_cast<const void*>(v.ptr));
            if (v.count > static_cast<std::size_t>(INT_MAX)) [[unlikely]]
                throw_v_large(routine, v.count);
            counts[i] = static_cast<int>(v.count);
            types[i] = v.type;
            if (v.count != 0 && p != nullptr && (base == nullptr || p < base)) base = p;
            displs[i] = 0;
            ++i;
        }
        i = 0;
        for (auto&& b : peers) {
            auto v = view(b);
            const char* p = static_cast<const char*>(static_cast<const void*>(v.ptr));
            if (counts[i] != 0 && p != nullptr) {
                const auto d = static_cast<long long>(p - base);
                if (d > INT_MAX) [[unlikely]]
                    throw error(routine, MPI_ERR_COUNT,
                                std::string(what) + "[" + std::to_string(i) +
                                    "] lies more than INT_MAX bytes after the lowest buffer (MPI_Alltoallw takes int "
                                    "byte displacements)");
                displs[i] = static_cast<int>(d);
            }
            ++i;
        }
    }
};

/// Writes the exclusive prefix sum of `counts` (the packed displacements) into `out`.
inline std::span<const int> packed_displs(const char* routine, std::span<const int> counts, int_scratch& out) {
    long long at = 0;
    int* d = out.data();
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (at > INT_MAX) [[unlikely]]
            throw_v_large(routine, static_cast<std::size_t>(at));
        d[i] = static_cast<int>(at);
        at += counts[i];
    }
    return {d, counts.size()};
}

/// Per-rank counts learned at run time (value-returning v-collectives), as int arrays when everything
/// fits and as MPI-4 MPI_Count/MPI_Aint arrays when the total exceeds INT_MAX.
struct v_layout {
    std::size_t total = 0;
    bool large = false;
    std::vector<int> counts, displs;
#if MPI_VERSION >= 4
    std::vector<MPI_Count> lcounts;
    std::vector<MPI_Aint> ldispls;
#endif

    v_layout() = default;
    /// Packed layout of `c` (one count per rank).
    v_layout(const char* routine, std::span<const long long> c) {
        for (long long x : c) total += static_cast<std::size_t>(x);
        large = total > static_cast<std::size_t>(INT_MAX);
        if (!large) {
            counts.resize(c.size());
            displs.resize(c.size());
            int at = 0;
            for (std::size_t i = 0; i < c.size(); ++i) {
                counts[i] = static_cast<int>(c[i]);
                displs[i] = at;
                at += counts[i];
            }
        } else {
#if MPI_VERSION >= 4
            lcounts.resize(c.size());
            ldispls.resize(c.size());
            MPI_Aint at = 0;
            for (std::size_t i = 0; i < c.size(); ++i) {
                lcounts[i] = static_cast<MPI_Count>(c[i]);
                ldispls[i] = at;
                at += static_cast<MPI_Aint>(c[i]);
            }
#else
            throw_large_count(routine, total);
#endif
        }
        (void)routine;
    }
};

} // namespace detail
} // namespace mpixx

namespace mpixx::inline MPIXX_ABI::detail {

/// Starts the non-blocking collective `Fn(args..., &q->handle)` whose last argument is the coll_post `q`:
/// at once, or in checked mode deferred until every rank's signature agrees (deferred_collectives.hpp).
/// A persistent_post* (a persistent collective's init) gets its handle, and in checked mode its record.
template <auto Fn, class... A>
int start_icoll([[maybe_unused]] const char* routine, A... args) {
    constexpr std::size_t last = sizeof...(A) - 1;
    if constexpr (std::is_same_v<arg_type<last, A...>, coll_post*>) {
        const arg_pack<A...> a(args...);
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            coll_post* q = detail::arg<last>(a);
#if MPIXX_CHECKED
            return defer_collective<Fn>(routine, *q, detail::arg<I>(a)...);
#else
            return Fn(detail::arg<I>(a)..., &q->handle);
#endif
        }(std::make_index_sequence<last>{});
    } else if constexpr (std::is_same_v<arg_type<last, A...>, persistent_post*>) {
        // A persistent collective's init: (..., comm, info, &handle); checked mode keeps its record.
        const arg_pack<A...> a(args...);
        persistent_post* q = detail::arg<last>(a);
        const int rc = [&]<std::size_t... I>(std::index_sequence<I...>) {
            return Fn(detail::arg<I>(a)..., &q->handle);
        }(std::make_index_sequence<last>{});
#if MPIXX_CHECKED
        if (rc == MPI_SUCCESS)
            q->check = [&]<std::size_t... I>(std::index_sequence<I...>) {
                return checked_record(site_of<Fn>(routine, detail::arg<I>(a)...)); // without the info
            }(std::make_index_sequence<last - 1>{});
#endif
        return rc;
    } else {
        return Fn(args...);
    }
}

/// Before an operation collective over `comm` that is not an mpixx collective (creating a communicator
/// from it): in checked mode, posts its deferred non-blocking collectives first, in MPI's order.
inline void settle_collectives([[maybe_unused]] MPI_Comm comm) {
#if MPIXX_CHECKED
    if (signature_comm::find(comm) != MPI_COMM_NULL) flush_deferred(comm);
#endif
}

} // namespace mpixx::detail

/// Starts the non-blocking collective `fn(..., &q)` (q a detail::coll_post; see start_icoll).
#define MPIXX_ICOLL(fn, ...) ::mpixx::detail::check(::mpixx::detail::start_icoll<fn>(#fn, __VA_ARGS__), #fn)

#if MPI_VERSION >= 4
#define MPIXX_COLL_LARGE_(n, fn, ...)                                                                      \
    {                                                                                                      \
        using count_t = MPI_Count;                                                                         \
        MPIXX_ICOLL(fn##_c, __VA_ARGS__);                                                                  \
    }
#else
#define MPIXX_COLL_LARGE_(n, fn, ...) ::mpixx::detail::throw_large_count(#fn, n);
#endif

/// Starts a non-blocking (or persistent) collective `fn(...)` whose count arguments are written
/// `count_t(x)`: with count_t = int, or, when the count `n` exceeds INT_MAX, its MPI-4 large-count twin
/// `fn_c` with count_t = MPI_Count (through MPIXX_ICOLL).
#define MPIXX_COLL(n, fn, ...)                                                                             \
    do {                                                                                                   \
        if ((n) <= static_cast<std::size_t>(INT_MAX)) [[likely]] {                                         \
            using count_t = int;                                                                           \
            MPIXX_ICOLL(fn, __VA_ARGS__);                                                                  \
        } else                                                                                             \
            MPIXX_COLL_LARGE_(n, fn, __VA_ARGS__)                                                          \
    } while (0)

namespace mpixx::inline MPIXX_ABI::detail {

/// A blocking collective as its non-blocking twin `IFn(args..., &request)`, waited for while matching
/// probe-sized receives (MPIXX_COLLECTIVE_PROGRESS). Returns the MPI return code.
template <auto IFn, class... A>
int collective_call(A... args) {
    MPI_Request r = MPI_REQUEST_NULL;
    if (int rc = IFn(args..., &r); rc != MPI_SUCCESS) return rc;
    return progress::wait(r, MPI_STATUS_IGNORE);
}

/// The blocking collective Fn(args...) (or its twin IFn, MPIXX_COLLECTIVE_PROGRESS), every one of them:
/// in checked mode after the signature check (collective_signature.hpp), and marked for the hang report
/// while it waits (hang_watch.hpp; one relaxed load when that is off). Returns the MPI return code.
template <auto Fn, auto IFn, class... A>
int blocking_collective([[maybe_unused]] const char* routine, A... args) {
    auto call = [&] {
#if MPIXX_CHECKED
        check_collective_site(site_of<Fn>(routine, args...)); // watched too: a partial collective hangs here
#endif
#if MPIXX_COLLECTIVE_PROGRESS
        return collective_call<IFn>(args...);
#else
        return Fn(args...);
#endif
    };
    if (hang_watch_on()) [[unlikely]] {
        const collective_site s = site_of<Fn>(routine, args...);
        const hang_scope watched({routine, s.comm, s.root, -1, static_cast<std::size_t>(s.scount < 0 ? 0 : s.scount),
                                  s.stype});
        return call();
    }
    return call();
}

} // namespace mpixx::detail

/// Calls the blocking collective `fn(...)` (by default; with MPIXX_COLLECTIVE_PROGRESS its non-blocking
/// twin `ifn(..., &request)` waited for while matching probe-sized receives); errors name `fn`. Checked
/// mode and the hang report see every call made through here (blocking_collective).
#define MPIXX_COLL_CALL(fn, ifn, ...)                                                                      \
    ::mpixx::detail::check(::mpixx::detail::blocking_collective<fn, ifn>(#fn, __VA_ARGS__), #fn)

#if MPI_VERSION >= 4
#define MPIXX_COLL_BLOCKING_LARGE_(n, fn, ifn, ...)                                                        \
    {                                                                                                      \
        using count_t = MPI_Count;                                                                         \
        MPIXX_COLL_CALL(fn##_c, ifn##_c, __VA_ARGS__);                                                     \
    }
#else
#define MPIXX_COLL_BLOCKING_LARGE_(n, fn, ifn, ...) ::mpixx::detail::throw_large_count(#fn, n);
#endif

/// MPIXX_COLL of a blocking collective `fn` with non-blocking twin `ifn` (MPIXX_COLL_CALL).
#define MPIXX_COLL_BLOCKING(n, fn, ifn, ...)                                                               \
    do {                                                                                                   \
        if ((n) <= static_cast<std::size_t>(INT_MAX)) [[likely]] {                                         \
            using count_t = int;                                                                           \
            MPIXX_COLL_CALL(fn, ifn, __VA_ARGS__);                                                         \
        } else                                                                                             \
            MPIXX_COLL_BLOCKING_LARGE_(n, fn, ifn, __VA_ARGS__)                                            \
    } while (0)

namespace mpixx::inline MPIXX_ABI::detail {

/// A user op threw on another rank: MPI_ERR_OP on the ranks where it did not (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_op_failed_elsewhere(const char* routine, int who) {
    throw error(routine, MPI_ERR_OP,
                who >= 0 ? "the reduction op threw on rank " + std::to_string(who) +
                               " (which rethrows its exception): no rank has a valid result"
                         : std::string("the reduction op threw on another process of this intercommunicator: "
                                       "no process has a valid result"));
}

/// After a collective with a user op that may throw: every rank learns whether it threw anywhere (one
/// MPI_Allreduce of an int; on an intercommunicator two, since each gives the other group's value).
/// Returns the highest rank whose op threw, -2 for a process of the other group, -1 for none.
inline int agree_op_failure(MPI_Comm comm, bool inter, int rank, bool failed) {
    int mine = failed ? rank : -1, any = -1;
    MPIXX_COLL_CALL(MPI_Allreduce, MPI_Iallreduce, &mine, &any, 1, MPI_INT, MPI_MAX, comm);
    if (!inter) return any;
    // `any` is the other group's verdict; a second round brings this group's own to every process.
    int both = std::max(mine, any >= 0 ? INT_MAX : -1), total = -1;
    MPIXX_COLL_CALL(MPI_Allreduce, MPI_Iallreduce, &both, &total, 1, MPI_INT, MPI_MAX, comm);
    return total >= 0 ? -2 : -1;
}

/// Ends a collective's use of op binding `o`: with a user op that may throw, first agrees with the other
/// ranks (see agree_op_failure); then rethrows this rank's exception, or throws MPI_ERR_OP when the op
/// threw elsewhere. Nothing at all for built-in ops and noexcept callables.
template <class Binding>
void settle_op(Binding& o, MPI_Comm comm, bool inter, int rank, const char* routine) {
    if constexpr (Binding::may_throw) {
        const int who = agree_op_failure(comm, inter, rank, o.failed());
        o.rethrow();
        if (who != -1) [[unlikely]]
            throw_op_failed_elsewhere(routine, who);
    } else {
        o.rethrow();
    }
}

} // namespace mpixx::detail

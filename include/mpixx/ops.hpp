// mpixx/ops.hpp - reduction operations for reduce, allreduce, scan, ... .
//
// mpixx::sum, prod, max, min, land, lor, lxor, band, bor, bxor, minloc, maxloc and the std functors
// (std::plus<>, std::multiplies<>, std::logical_and<>, std::bit_and<>, ...) map at compile time to the
// built-in MPI_Op wherever MPI defines that op for the element type: no handle is created, the call is
// exactly the C call. Every other callable (a lambda, a function, sum on an aggregate) becomes a
// user-defined MPI_Op created for the one call and freed after it; MPI reaches the live callable through
// a slot table, so a stateful callable is seen in its current state on every call (MPL and KaMPIng freeze
// it at first use), and an exception it throws is carried out of MPI and rethrown after the collective.
// User callables are non-commutative unless wrapped with mpixx::commutative(f).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/atomic.hpp>
#include <mpixx/datatype.hpp>
#include <mpixx/error.hpp>

#include <mpixx/detail/std_light.hpp>
#include <array>
#include <bit>
#include <climits>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI {

/// A value and the index (usually a rank) it came from: what minloc/maxloc reduce. Layout-compatible
/// with MPI's pair types (MPI_DOUBLE_INT, MPI_2INT, ...), which are used for the built-in MINLOC/MAXLOC.
template <class T>
struct value_index {
    T value;   ///< The value compared.
    int index; ///< Where it came from (a rank, an index).
    friend constexpr bool operator==(const value_index&, const value_index&) = default;
};

/// Function object type of mpixx::sum: a + b.
struct sum_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A, class B>
    constexpr auto operator()(const A& a, const B& b) const noexcept(noexcept(a + b)) -> decltype(a + b) {
        return a + b;
    }
};
/// Function object type of mpixx::prod: a * b.
struct prod_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A, class B>
    constexpr auto operator()(const A& a, const B& b) const noexcept(noexcept(a * b)) -> decltype(a * b) {
        return a * b;
    }
};
/// Function object type of mpixx::max: the larger of a and b (a on ties).
struct max_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A>
        requires requires(const A& x) { { x < x } -> std::convertible_to<bool>; }
    constexpr A operator()(const A& a, const A& b) const
        noexcept(noexcept(a < b) && std::is_nothrow_copy_constructible_v<A>) {
        return a < b ? b : a;
    }
};
/// Function object type of mpixx::min: the smaller of a and b (a on ties).
struct min_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A>
        requires requires(const A& x) { { x < x } -> std::convertible_to<bool>; }
    constexpr A operator()(const A& a, const A& b) const
        noexcept(noexcept(a < b) && std::is_nothrow_copy_constructible_v<A>) {
        return b < a ? b : a;
    }
};
/// Function object type of mpixx::land: logical and.
struct land_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A, class B>
    constexpr bool operator()(const A& a, const B& b) const
        noexcept(noexcept(static_cast<bool>(a)) && noexcept(static_cast<bool>(b))) {
        return static_cast<bool>(a) && static_cast<bool>(b);
    }
};
/// Function object type of mpixx::lor: logical or.
struct lor_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A, class B>
    constexpr bool operator()(const A& a, const B& b) const
        noexcept(noexcept(static_cast<bool>(a)) && noexcept(static_cast<bool>(b))) {
        return static_cast<bool>(a) || static_cast<bool>(b);
    }
};
/// Function object type of mpixx::lxor: logical exclusive or.
struct lxor_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A, class B>
    constexpr bool operator()(const A& a, const B& b) const
        noexcept(noexcept(static_cast<bool>(a)) && noexcept(static_cast<bool>(b))) {
        return static_cast<bool>(a) != static_cast<bool>(b);
    }
};
/// Function object type of mpixx::band: bitwise and.
struct band_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A, class B>
    constexpr auto operator()(const A& a, const B& b) const noexcept(noexcept(a & b)) -> decltype(a & b) {
        return a & b;
    }
};
/// Function object type of mpixx::bor: bitwise or.
struct bor_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A, class B>
    constexpr auto operator()(const A& a, const B& b) const noexcept(noexcept(a | b)) -> decltype(a | b) {
        return a | b;
    }
};
/// Function object type of mpixx::bxor: bitwise exclusive or.
struct bxor_t {
    /// Combines two values (what MPI's op does element by element).
    template <class A, class B>
    constexpr auto operator()(const A& a, const B& b) const noexcept(noexcept(a ^ b)) -> decltype(a ^ b) {
        return a ^ b;
    }
};

namespace detail {

template <class P>
struct loc_traits : std::false_type {};
template <class V>
struct loc_traits<value_index<V>> : std::true_type {
    using value_type = V;
    static constexpr const V& value_of(const value_index<V>& p) noexcept { return p.value; }
    static constexpr int index_of(const value_index<V>& p) noexcept { return p.index; }
};
template <class V, class I>
    requires std::integral<I>
struct loc_traits<std::pair<V, I>> : std::true_type {
    using value_type = V;
    static constexpr const V& value_of(const std::pair<V, I>& p) noexcept { return p.first; }
    static constexpr I index_of(const std::pair<V, I>& p) noexcept { return p.second; }
};

/// A value/index pair that minloc and maxloc understand: value_index<V> or std::pair<V, integral>.
template <class P>
concept loc_pair = loc_traits<P>::value;

} // namespace detail

/// Function object type of mpixx::minloc: the pair with the smaller value (the smaller index on ties).
struct minloc_t {
    /// Combines two values (what MPI's op does element by element).
    template <detail::loc_pair P>
    constexpr P operator()(const P& a, const P& b) const
        noexcept(noexcept(detail::loc_traits<P>::value_of(a) < detail::loc_traits<P>::value_of(b)) &&
                 std::is_nothrow_copy_constructible_v<P>) {
        using t = detail::loc_traits<P>;
        if (t::value_of(b) < t::value_of(a)) return b;
        if (t::value_of(a) < t::value_of(b)) return a;
        return t::index_of(b) < t::index_of(a) ? b : a;
    }
};
/// Function object type of mpixx::maxloc: the pair with the larger value (the smaller index on ties).
struct maxloc_t {
    /// Combines two values (what MPI's op does element by element).
    template <detail::loc_pair P>
    constexpr P operator()(const P& a, const P& b) const
        noexcept(noexcept(detail::loc_traits<P>::value_of(a) < detail::loc_traits<P>::value_of(b)) &&
                 std::is_nothrow_copy_constructible_v<P>) {
        using t = detail::loc_traits<P>;
        if (t::value_of(a) < t::value_of(b)) return b;
        if (t::value_of(b) < t::value_of(a)) return a;
        return t::index_of(b) < t::index_of(a) ? b : a;
    }
};

inline constexpr sum_t sum{};       ///< MPI_SUM on arithmetic and complex types, a + b otherwise.
inline constexpr prod_t prod{};     ///< MPI_PROD on arithmetic and complex types, a * b otherwise.
inline constexpr max_t max{};       ///< MPI_MAX on integers and floating point, operator< otherwise.
inline constexpr min_t min{};       ///< MPI_MIN on integers and floating point, operator< otherwise.
inline constexpr land_t land{};     ///< MPI_LAND on integers and bool.
inline constexpr lor_t lor{};       ///< MPI_LOR on integers and bool.
inline constexpr lxor_t lxor{};     ///< MPI_LXOR on integers and bool.
inline constexpr band_t band{};     ///< MPI_BAND on integers and std::byte.
inline constexpr bor_t bor{};       ///< MPI_BOR on integers and std::byte.
inline constexpr bxor_t bxor{};     ///< MPI_BXOR on integers and std::byte.
inline constexpr minloc_t minloc{}; ///< MPI_MINLOC on value_index<V> / std::pair<V, int>.
inline constexpr maxloc_t maxloc{}; ///< MPI_MAXLOC on value_index<V> / std::pair<V, int>.

/// A callable declared commutative, so MPI may combine contributions in any order.
template <class F>
struct commutative_op {
    F fn; ///< The wrapped callable.
    // Constrained, so that asking whether it is callable with other types (the object layer's overloads
    // do) answers false instead of instantiating the callable's body.
    /// Calls the wrapped callable.
    template <class A, class B>
        requires std::invocable<const F&, A, B>
    constexpr decltype(auto) operator()(A&& a, B&& b) const noexcept(std::is_nothrow_invocable_v<const F&, A, B>) {
        return detail::invoke(fn, std::forward<A>(a), std::forward<B>(b));
    }
    /// Calls the wrapped callable (mutable state allowed).
    template <class A, class B>
        requires std::invocable<F&, A, B>
    constexpr decltype(auto) operator()(A&& a, B&& b) noexcept(std::is_nothrow_invocable_v<F&, A, B>) {
        return detail::invoke(fn, std::forward<A>(a), std::forward<B>(b));
    }
};

/// Declares `f` commutative (user callables are non-commutative by default; built-in ops always are).
template <class F>
[[nodiscard]] constexpr commutative_op<std::decay_t<F>> commutative(F&& f) {
    return {std::forward<F>(f)};
}

namespace detail {

/// Which built-in MPI_Op a callable stands for (none for arbitrary callables).
enum class op_kind { none, sum, prod, max, min, land, lor, lxor, band, bor, bxor, minloc, maxloc };

template <class F, class T>
struct op_kind_of : std::integral_constant<op_kind, op_kind::none> {};

#define MPIXX_OP_KIND_(F, K)                                                                               \
    template <class T>                                                                                     \
    struct op_kind_of<F, T> : std::integral_constant<op_kind, op_kind::K> {};
#define MPIXX_STD_OP_KIND_(F, K)                                                                           \
    MPIXX_OP_KIND_(F<>, K)                                                                                 \
    template <class T>                                                                                     \
    struct op_kind_of<F<T>, T> : std::integral_constant<op_kind, op_kind::K> {};
MPIXX_OP_KIND_(sum_t, sum)
MPIXX_OP_KIND_(prod_t, prod)
MPIXX_OP_KIND_(max_t, max)
MPIXX_OP_KIND_(min_t, min)
MPIXX_OP_KIND_(land_t, land)
MPIXX_OP_KIND_(lor_t, lor)
MPIXX_OP_KIND_(lxor_t, lxor)
MPIXX_OP_KIND_(band_t, band)
MPIXX_OP_KIND_(bor_t, bor)
MPIXX_OP_KIND_(bxor_t, bxor)
MPIXX_OP_KIND_(minloc_t, minloc)
MPIXX_OP_KIND_(maxloc_t, maxloc)
MPIXX_STD_OP_KIND_(std::plus, sum)
MPIXX_STD_OP_KIND_(std::multiplies, prod)
MPIXX_STD_OP_KIND_(std::logical_and, land)
MPIXX_STD_OP_KIND_(std::logical_or, lor)
MPIXX_STD_OP_KIND_(std::bit_and, band)
MPIXX_STD_OP_KIND_(std::bit_or, bor)
MPIXX_STD_OP_KIND_(std::bit_xor, bxor)
#undef MPIXX_STD_OP_KIND_
#undef MPIXX_OP_KIND_

/// The callable inside an op argument, and whether it was declared commutative.
template <class Op>
struct op_unwrap {
    using type = Op;
    static constexpr bool commutative = false;
    static constexpr Op& get(Op& op) noexcept { return op; }
};
template <class F>
struct op_unwrap<commutative_op<F>> {
    using type = F;
    static constexpr bool commutative = true;
    static constexpr F& get(commutative_op<F>& op) noexcept { return op.fn; }
};
template <class F>
struct op_unwrap<const commutative_op<F>> {
    using type = const F;
    static constexpr bool commutative = true;
    static constexpr const F& get(const commutative_op<F>& op) noexcept { return op.fn; }
};

// MPI's type classes for the predefined ops (MPI-4.0 section 6.9.2).
template <class T>
inline constexpr bool mpi_c_integer =
    std::is_same_v<T, signed char> || std::is_same_v<T, unsigned char> || std::is_same_v<T, short> ||
    std::is_same_v<T, unsigned short> || std::is_same_v<T, int> || std::is_same_v<T, unsigned> ||
    std::is_same_v<T, long> || std::is_same_v<T, unsigned long> || std::is_same_v<T, long long> ||
    std::is_same_v<T, unsigned long long>;
template <class T>
inline constexpr bool mpi_floating = std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, long double>;
/// std::complex<float/double/long double>, recognised by shape as datatype.hpp does (no <complex> here).
template <class T>
inline constexpr bool mpi_complex = complex_type<T>;

/// The value types with a predefined MPI value/int pair datatype.
template <class V>
inline constexpr bool mpi_loc_value = std::is_same_v<V, float> || std::is_same_v<V, double> ||
                                      std::is_same_v<V, long> || std::is_same_v<V, int> ||
                                      std::is_same_v<V, short> || std::is_same_v<V, long double>;

template <class P>
struct builtin_loc_pair : std::false_type {};
template <class V>
    requires mpi_loc_value<V>
struct builtin_loc_pair<value_index<V>> : std::true_type {
    using value_type = V;
};
template <class V>
    requires mpi_loc_value<V>
struct builtin_loc_pair<std::pair<V, int>> : std::true_type {
    using value_type = V;
};

/// Whether MPI defines the predefined op of `kind` on the C++ type T.
template <op_kind K, class T>
constexpr bool builtin_allowed() {
    if constexpr (K == op_kind::sum || K == op_kind::prod) return mpi_c_integer<T> || mpi_floating<T> || mpi_complex<T>;
    else if constexpr (K == op_kind::max || K == op_kind::min) return mpi_c_integer<T> || mpi_floating<T>;
    else if constexpr (K == op_kind::land || K == op_kind::lor || K == op_kind::lxor)
        return mpi_c_integer<T> || std::is_same_v<T, bool>;
    else if constexpr (K == op_kind::band || K == op_kind::bor || K == op_kind::bxor)
        return mpi_c_integer<T> || std::is_same_v<T, std::byte>;
    else if constexpr (K == op_kind::minloc || K == op_kind::maxloc) return builtin_loc_pair<T>::value;
    else return false;
}

/// The op kind of an op argument type (unwrapped, cv-ref stripped) for element type T.
template <class Op, class T>
inline constexpr op_kind kind_for =
    op_kind_of<std::remove_cv_t<typename op_unwrap<std::remove_reference_t<Op>>::type>, T>::value;

/// True when the reduction of T with Op is a predefined MPI_Op: decided at compile time, costs nothing.
template <class Op, class T>
concept builtin_reduction = builtin_allowed<kind_for<Op, T>, T>();

/// True when Op can be a user-defined MPI_Op on T: callable on two T's, result convertible to T.
template <class Op, class T>
concept user_reduction =
    mpi_type<T> && std::invocable<typename op_unwrap<std::remove_reference_t<Op>>::type&, const T&, const T&> &&
    std::convertible_to<std::invoke_result_t<typename op_unwrap<std::remove_reference_t<Op>>::type&, const T&, const T&>, T>;

/// The predefined MPI_Op for a builtin reduction.
template <op_kind K>
MPI_Op builtin_op_handle() noexcept {
    if constexpr (K == op_kind::sum) return MPI_SUM;
    else if constexpr (K == op_kind::prod) return MPI_PROD;
    else if constexpr (K == op_kind::max) return MPI_MAX;
    else if constexpr (K == op_kind::min) return MPI_MIN;
    else if constexpr (K == op_kind::land) return MPI_LAND;
    else if constexpr (K == op_kind::lor) return MPI_LOR;
    else if constexpr (K == op_kind::lxor) return MPI_LXOR;
    else if constexpr (K == op_kind::band) return MPI_BAND;
    else if constexpr (K == op_kind::bor) return MPI_BOR;
    else if constexpr (K == op_kind::bxor) return MPI_BXOR;
    else if constexpr (K == op_kind::minloc) return MPI_MINLOC;
    else {
        static_assert(K == op_kind::maxloc);
        return MPI_MAXLOC;
    }
}

/// The predefined value/int datatype whose layout matches value_index<V> and std::pair<V, int>.
template <class V>
MPI_Datatype loc_datatype() noexcept {
    struct c_pair {
        V value;
        int index;
    };
    static_assert(sizeof(value_index<V>) == sizeof(c_pair) && offsetof(value_index<V>, index) == offsetof(c_pair, index));
    static_assert(sizeof(std::pair<V, int>) == sizeof(c_pair) && alignof(std::pair<V, int>) == alignof(c_pair));
    if constexpr (std::is_same_v<V, float>) return MPI_FLOAT_INT;
    else if constexpr (std::is_same_v<V, double>) return MPI_DOUBLE_INT;
    else if constexpr (std::is_same_v<V, long>) return MPI_LONG_INT;
    else if constexpr (std::is_same_v<V, int>) return MPI_2INT;
    else if constexpr (std::is_same_v<V, short>) return MPI_SHORT_INT;
    else return MPI_LONG_DOUBLE_INT;
}

// ---- user-defined ops -------------------------------------------------------------------------------
//
// MPI's user function gets no user pointer, so each op in flight owns one of op_slot_count slots: slot I
// has its own trampoline function (op_trampoline<I>) whose MPI_Op is created for the call and freed
// after it. The slot points at the live callable, so state is never frozen, several ops can be in
// flight at once (non-blocking collectives, threads), and an async progress thread finds it too.

inline constexpr std::size_t op_slot_count = 64;

/// An element as a non-blocking reduction with a user op that may throw reduces it: the value and a
/// failure mark travelling with it (0, or 1 + the highest rank whose op threw on the way to this
/// value). Any rank whose result depends on a failed combination sees the mark, with no extra message.
template <class T>
struct flagged {
    T value;
    int mark;
};

/// The datatype of flagged<T> (built and committed once per T, freed at MPI_Finalize).
template <class T>
MPI_Datatype flagged_datatype() {
    static const MPI_Datatype cached = [] {
        const flagged<T> obj{};
        return commit_cached(struct_from_fields(&obj, sizeof obj, obj.value, obj.mark));
    }();
    return cached;
}

struct op_slot {
    void* fn = nullptr;
    void (*apply)(op_slot& s, void* in, void* inout, std::size_t n) noexcept = nullptr;
    std::exception_ptr error;
    int mark = 0; // flagged mode: 1 + this process's rank
};

inline op_slot op_slots[op_slot_count];
inline detail::atomic<std::uint64_t> op_slots_busy{0};

/// Runs slot `i`'s callable over n elements (an exception is parked in the slot: it must not cross MPI).
inline void run_op_slot(std::size_t i, void* in, void* inout, std::size_t n) noexcept {
    op_slot& s = op_slots[i];
    s.apply(s, in, inout, n);
}

template <std::size_t I>
void op_trampoline(void* in, void* inout, int* len, MPI_Datatype*) {
    run_op_slot(I, in, inout, static_cast<std::size_t>(*len));
}

template <std::size_t... I>
constexpr std::array<MPI_User_function*, sizeof...(I)> make_op_trampolines(std::index_sequence<I...>) {
    return {&op_trampoline<I>...};
}
inline constexpr auto op_trampolines = make_op_trampolines(std::make_index_sequence<op_slot_count>{});

#if MPI_VERSION >= 4
template <std::size_t I>
void op_trampoline_c(void* in, void* inout, MPI_Count* len, MPI_Datatype*) {
    run_op_slot(I, in, inout, static_cast<std::size_t>(*len));
}
template <std::size_t... I>
constexpr std::array<MPI_User_function_c*, sizeof...(I)> make_op_trampolines_c(std::index_sequence<I...>) {
    return {&op_trampoline_c<I>...};
}
inline constexpr auto op_trampolines_c = make_op_trampolines_c(std::make_index_sequence<op_slot_count>{});
#endif

/// Applies the slot's callable element-wise as MPI wants it: inout[i] = f(in[i], inout[i]) (in holds
/// the lower ranks). After a throw the remaining pieces are skipped: the result is discarded anyway.
template <class F, class T>
void apply_user_op(op_slot& s, void* in, void* inout, std::size_t n) noexcept {
    if (s.error) return;
    try {
        F& f = **static_cast<F**>(s.fn);
        const T* a = static_cast<const T*>(in);
        T* b = static_cast<T*>(inout);
        for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<T>(detail::invoke(f, a[i], std::as_const(b[i])));
    } catch (...) {
        s.error = std::current_exception();
    }
}

/// apply_user_op on flagged<T> elements: a marked input is not combined but passes its mark on; once
/// the callable threw here, every further element carries this rank's mark.
template <class F, class T>
void apply_flagged_op(op_slot& s, void* in, void* inout, std::size_t n) noexcept {
    F& f = **static_cast<F**>(s.fn);
    const auto* a = static_cast<const flagged<T>*>(in);
    auto* b = static_cast<flagged<T>*>(inout);
    for (std::size_t i = 0; i < n; ++i) {
        int mark = std::max(a[i].mark, b[i].mark);
        if (mark == 0 && !s.error) {
            try {
                b[i].value = static_cast<T>(detail::invoke(f, a[i].value, std::as_const(b[i].value)));
            } catch (...) {
                s.error = std::current_exception();
            }
        }
        if (s.error) mark = std::max(mark, s.mark);
        b[i].mark = mark;
    }
}

[[noreturn, MPIXX_COLD]] inline void throw_no_op_slot() {
    throw_usage("mpixx::user_op", MPI_ERR_OP,
                "more than " + std::to_string(op_slot_count) +
                    " user-defined reductions are in flight at once; wait for some non-blocking ones first");
}

/// One user-defined MPI_Op bound to a live callable for one collective; frees the op on destruction.
template <class F, class T>
class user_op {
public:
    /// Binds `f` (which must outlive this object); `large` creates the MPI-4 large-count op. A non-zero
    /// `mark` (1 + this rank) makes it an op on flagged<T> (see flagged).
    user_op(F& f, bool commute, bool large, int mark = 0) : fn_(&f) {
        std::uint64_t busy = op_slots_busy.load(memory_order_relaxed);
        for (;;) {
            if (busy == ~std::uint64_t{0}) [[unlikely]]
                throw_no_op_slot();
            const auto i = static_cast<std::size_t>(std::countr_one(busy));
            if (op_slots_busy.compare_exchange_weak(busy, busy | (std::uint64_t{1} << i), memory_order_acquire,
                                                    memory_order_relaxed)) {
                slot_ = i;
                break;
            }
        }
        op_slot& s = op_slots[slot_];
        s.fn = &fn_;
        s.apply = mark != 0 ? &apply_flagged_op<F, T> : &apply_user_op<F, T>;
        s.error = nullptr;
        s.mark = mark;
        int rc;
#if MPI_VERSION >= 4
        if (large) rc = MPI_Op_create_c(op_trampolines_c[slot_], commute, &op_);
        else rc = MPI_Op_create(op_trampolines[slot_], commute, &op_);
#else
        (void)large;
        rc = MPI_Op_create(op_trampolines[slot_], commute, &op_);
#endif
        if (rc != MPI_SUCCESS) [[unlikely]] {
            release();
            throw_mpi_error(rc, "MPI_Op_create");
        }
    }
    user_op(const user_op&) = delete;
    user_op& operator=(const user_op&) = delete;
    ~user_op() {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Op_free(&op_);
        release();
    }

    /// The MPI_Op to pass to the collective.
    [[nodiscard]] MPI_Op handle() const noexcept { return op_; }
    /// Whether the callable threw inside MPI on this process (the rest of its pieces were skipped).
    [[nodiscard]] bool failed() const noexcept { return op_slots[slot_].error != nullptr; }
    /// Rethrows what the callable threw inside MPI, if anything (call after the collective completed).
    void rethrow() {
        if (auto e = std::exchange(op_slots[slot_].error, nullptr)) [[unlikely]]
            std::rethrow_exception(e);
    }

private:
    void release() noexcept {
        op_slots[slot_].error = nullptr;
        op_slots_busy.fetch_and(~(std::uint64_t{1} << slot_), memory_order_release);
    }

    F* fn_;
    std::size_t slot_ = 0;
    MPI_Op op_ = MPI_OP_NULL;
};

/// The MPI_Op and datatype of a reduction of T with Op for the duration of one collective: a predefined
/// handle (compile-time choice, no state) or a user_op bound to the caller's callable.
template <class Op, class T>
class op_binding;

template <class Op, class T>
    requires builtin_reduction<Op, T>
class op_binding<Op, T> {
public:
    /// A predefined op never throws: no agreement after the collective.
    static constexpr bool may_throw = false;
    op_binding(Op&, std::size_t, int = 0) noexcept {}
    [[nodiscard]] MPI_Op op() const noexcept { return builtin_op_handle<kind_for<Op, T>>(); }
    [[nodiscard]] MPI_Datatype type() const {
        if constexpr (builtin_loc_pair<T>::value) return loc_datatype<typename builtin_loc_pair<T>::value_type>();
        else return datatype<T>();
    }
    [[nodiscard]] bool failed() const noexcept { return false; }
    void rethrow() const noexcept {}
};

template <class Op, class T>
    requires(!builtin_reduction<Op, T> && user_reduction<Op, T>)
class op_binding<Op, T> {
    using unwrap = op_unwrap<std::remove_reference_t<Op>>;
    using F = typename unwrap::type;

public:
    /// Whether the callable may throw: then the ranks agree after the collective on whether it did
    /// anywhere (a rank whose op threw skipped its remaining pieces, so others' results are wrong).
    static constexpr bool may_throw = !std::is_nothrow_invocable_r_v<T, F&, const T&, const T&>;
    /// Binds `op` for a collective over `count` elements (above INT_MAX: the large-count op); a non-zero
    /// `mark` (1 + this rank) reduces flagged<T> elements instead.
    op_binding(Op& op, std::size_t count, int mark = 0)
        : user_(unwrap::get(op), unwrap::commutative, count > static_cast<std::size_t>(INT_MAX), mark),
          flagged_(mark != 0) {}
    [[nodiscard]] MPI_Op op() const noexcept { return user_.handle(); }
    [[nodiscard]] MPI_Datatype type() const { return flagged_ ? flagged_datatype<T>() : datatype<T>(); }
    /// Whether the callable threw on this process during the collective.
    [[nodiscard]] bool failed() const noexcept { return user_.failed(); }
    /// Rethrows what the callable threw on this process, if anything.
    void rethrow() { user_.rethrow(); }

private:
    user_op<F, T> user_;
    bool flagged_;
};

} // namespace detail

/// An op usable to reduce T's: a built-in MPI_Op for T, or a callable combining two T's into a T.
template <class Op, class T>
concept reduction_op = detail::builtin_reduction<Op, T> || detail::user_reduction<Op, T>;

} // namespace mpixx

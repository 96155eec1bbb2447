// mpixx/datatype.hpp - compile-time mapping of C++ types to MPI datatypes.
//
// Builtins map to named MPI datatypes at no cost. std::array, C arrays, std::pair, std::tuple and plain
// aggregates (reflected, no macros) become derived datatypes that are built and committed once per type,
// cached, and freed when MPI is finalized. Other types opt in by specialising mpixx::datatype_traits.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/finalize_hooks.hpp>
#include <mpixx/detail/reflect.hpp>
#include <mpixx/error.hpp>

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI {

/// Specialise for a type mpixx cannot map itself: provide `static MPI_Datatype create()` returning an
/// uncommitted datatype (mpixx commits, caches and frees it). `make_struct_type` builds one from members.
template <class T>
struct datatype_traits;

namespace detail {

template <class T>
struct builtin_datatype; // specialised below for every named MPI datatype

#define MPIXX_BUILTIN_DATATYPE(T, D)                                                                       \
    template <>                                                                                            \
    struct builtin_datatype<T> {                                                                           \
        static MPI_Datatype get() noexcept { return D; }                                                   \
    };
MPIXX_BUILTIN_DATATYPE(char, MPI_CHAR)
MPIXX_BUILTIN_DATATYPE(signed char, MPI_SIGNED_CHAR)
MPIXX_BUILTIN_DATATYPE(unsigned char, MPI_UNSIGNED_CHAR)
MPIXX_BUILTIN_DATATYPE(wchar_t, MPI_WCHAR)
MPIXX_BUILTIN_DATATYPE(char8_t, MPI_UNSIGNED_CHAR)
MPIXX_BUILTIN_DATATYPE(char16_t, MPI_UINT16_T)
MPIXX_BUILTIN_DATATYPE(char32_t, MPI_UINT32_T)
MPIXX_BUILTIN_DATATYPE(short, MPI_SHORT)
MPIXX_BUILTIN_DATATYPE(unsigned short, MPI_UNSIGNED_SHORT)
MPIXX_BUILTIN_DATATYPE(int, MPI_INT)
MPIXX_BUILTIN_DATATYPE(unsigned, MPI_UNSIGNED)
MPIXX_BUILTIN_DATATYPE(long, MPI_LONG)
MPIXX_BUILTIN_DATATYPE(unsigned long, MPI_UNSIGNED_LONG)
MPIXX_BUILTIN_DATATYPE(long long, MPI_LONG_LONG)
MPIXX_BUILTIN_DATATYPE(unsigned long long, MPI_UNSIGNED_LONG_LONG)
MPIXX_BUILTIN_DATATYPE(float, MPI_FLOAT)
MPIXX_BUILTIN_DATATYPE(double, MPI_DOUBLE)
MPIXX_BUILTIN_DATATYPE(long double, MPI_LONG_DOUBLE)
MPIXX_BUILTIN_DATATYPE(bool, MPI_CXX_BOOL)
MPIXX_BUILTIN_DATATYPE(std::byte, MPI_BYTE)
#undef MPIXX_BUILTIN_DATATYPE

/// std::complex<F>, recognised by its shape so that this header need not include <complex> (0.5 s of
/// compile time): a one-parameter class template over float/double/long double holding exactly two F
/// with real() and imag(). Such a type has the layout of MPI_CXX_*_COMPLEX whatever its name.
template <class T>
struct complex_shape : std::false_type {};
template <template <class> class C, class F>
    requires(std::is_same_v<F, float> || std::is_same_v<F, double> || std::is_same_v<F, long double>) &&
            (sizeof(C<F>) == 2 * sizeof(F)) && std::is_standard_layout_v<C<F>> &&
            requires(const C<F>& c) {
                { c.real() } -> std::same_as<F>;
                { c.imag() } -> std::same_as<F>;
            }
struct complex_shape<C<F>> : std::true_type {
    static MPI_Datatype get() noexcept {
        if constexpr (std::is_same_v<F, float>) return MPI_CXX_FLOAT_COMPLEX;
        else if constexpr (std::is_same_v<F, double>) return MPI_CXX_DOUBLE_COMPLEX;
        else return MPI_CXX_LONG_DOUBLE_COMPLEX;
    }
};

/// Whether T is a std::complex (or a type of the same shape) mapped to an MPI complex datatype.
template <class T>
inline constexpr bool complex_type = complex_shape<T>::value;

template <class T>
    requires complex_type<T>
struct builtin_datatype<T> : complex_shape<T> {};

template <class T>
concept builtin_mpi_type = requires { builtin_datatype<T>::get(); };

template <class T>
concept user_mpi_type = requires { { datatype_traits<T>::create() } -> std::same_as<MPI_Datatype>; };

template <class T>
struct datatype_is_std_array : std::false_type {};
template <class T, std::size_t N>
struct datatype_is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
struct is_pair_or_tuple : std::false_type {};
template <class A, class B>
struct is_pair_or_tuple<std::pair<A, B>> : std::true_type {};
template <class... Ts>
struct is_pair_or_tuple<std::tuple<Ts...>> : std::true_type {};

template <class T>
constexpr bool mappable();

template <class Tuple>
constexpr bool all_mappable() {
    return []<std::size_t... I>(std::index_sequence<I...>) {
        return (mappable<std::tuple_element_t<I, Tuple>>() && ...);
    }(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

/// The single decision of what maps to an MPI datatype (user specialisation wins).
template <class T>
constexpr bool mappable() {
    if constexpr (std::is_const_v<T> || std::is_volatile_v<T> || std::is_reference_v<T>) return false;
    else if constexpr (user_mpi_type<T> || builtin_mpi_type<T>) return true;
    else if constexpr (std::is_enum_v<T>) return builtin_mpi_type<std::underlying_type_t<T>>;
    else if constexpr (std::is_bounded_array_v<T>) return mappable<std::remove_extent_t<T>>();
    else if constexpr (datatype_is_std_array<T>::value) return std::tuple_size_v<T> > 0 && mappable<typename T::value_type>();
    else if constexpr (is_pair_or_tuple<T>::value) return std::tuple_size_v<T> > 0 && all_mappable<T>();
    else if constexpr (reflectable<T>) {
        if constexpr (std::is_trivially_copy_constructible_v<T> && std::is_trivially_destructible_v<T> &&
                      std::is_default_constructible_v<T>)
            return all_mappable<field_types<T>>();
        else return false;
    } else return false;
}

} // namespace detail

/// A type mpixx can send as typed data: builtins, enums, arrays, pairs/tuples, aggregates, opted-in types.
template <class T>
concept mpi_type = detail::mappable<T>();

template <mpi_type T>
MPI_Datatype datatype();

namespace detail {

/// Commits `t` and arranges for it to be freed at MPI_Finalize.
inline MPI_Datatype commit_cached(MPI_Datatype t) {
    try {
        MPIXX_CALL(MPI_Type_commit, &t);
        at_finalize([t]() mutable { MPI_Type_free(&t); });
    } catch (...) {
        MPI_Type_free(&t); // not registered: nobody else frees it (the next datatype<T>() builds anew)
        throw;
    }
    return t;
}

/// A struct datatype from field addresses relative to `base`, resized to `extent` so arrays of it work.
template <class... F>
MPI_Datatype struct_from_fields(const void* base, std::size_t extent, const F&... fields) {
    constexpr int n = sizeof...(F);
    int lengths[sizeof...(F)];
    MPI_Aint displs[sizeof...(F)];
    MPI_Datatype types[sizeof...(F)] = {datatype<F>()...};
    int i = 0;
    ((lengths[i] = 1,
      displs[i] = reinterpret_cast<const char*>(&fields) - static_cast<const char*>(base), ++i),
     ...);
    MPI_Datatype raw = MPI_DATATYPE_NULL, resized = MPI_DATATYPE_NULL;
    MPIXX_CALL(MPI_Type_create_struct, n, lengths, displs, types, &raw);
    int rc = MPI_Type_create_resized(raw, 0, static_cast<MPI_Aint>(extent), &resized);
    MPI_Type_free(&raw);
    check(rc, "MPI_Type_create_resized");
    return resized;
}

template <class T>
MPI_Datatype build_datatype() {
    if constexpr (user_mpi_type<T>) {
        return datatype_traits<T>::create();
    } else if constexpr (std::is_bounded_array_v<T> || datatype_is_std_array<T>::value) {
        using E = std::remove_cvref_t<decltype(std::declval<T&>()[0])>;
        constexpr std::size_t n = sizeof(T) / sizeof(E);
        MPI_Datatype t = MPI_DATATYPE_NULL;
        MPIXX_CALL(MPI_Type_contiguous, static_cast<int>(n), datatype<E>(), &t);
        return t;
    } else if constexpr (is_pair_or_tuple<T>::value) {
        const T obj{};
        return std::apply([&](const auto&... f) { return struct_from_fields(&obj, sizeof(T), f...); }, obj);
    } else {
        const T obj{};
        return std::apply([&](const auto&... f) { return struct_from_fields(&obj, sizeof(T), f...); },
                          tie_fields(obj));
    }
}

} // namespace detail

/// The MPI datatype of T: a named constant for builtins, a committed cached derived type otherwise.
template <mpi_type T>
MPI_Datatype datatype() {
    if constexpr (detail::builtin_mpi_type<T>) {
        return detail::builtin_datatype<T>::get();
    } else if constexpr (std::is_enum_v<T> && !detail::user_mpi_type<T>) {
        return detail::builtin_datatype<std::underlying_type_t<T>>::get();
    } else {
        static const MPI_Datatype cached = detail::commit_cached(detail::build_datatype<T>());
        return cached;
    }
}

/// Builds a struct datatype for T from member pointers, for use in datatype_traits<T>::create().
template <class T, class... M>
MPI_Datatype make_struct_type(M T::*... members) {
    const T obj{};
    return detail::struct_from_fields(&obj, sizeof(T), (obj.*members)...);
}

} // namespace mpixx

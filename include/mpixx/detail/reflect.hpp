// mpixx/detail/reflect.hpp - field access for plain aggregates without macros (up to 16 fields).
//
// The field count is the largest N for which `T{any, ..., any}` (N times) compiles; the fields are then
// bound with a structured binding of that size. C-array members defeat the count (brace elision), so
// aggregates holding C arrays need std::array or the explicit customisation points instead.
#pragma once

#include <mpixx/config.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// Converts to anything; used only in unevaluated brace-initialisation tests.
struct any_field {
    template <class U>
    operator U() const noexcept; // never defined
};

template <class T, std::size_t... I>
constexpr bool brace_constructible(std::index_sequence<I...>) {
    return requires { T{(void(I), any_field{})...}; };
}

inline constexpr std::size_t max_reflected_fields = 16;

template <class T, std::size_t N = 0>
constexpr std::size_t count_fields() {
    if constexpr (N > max_reflected_fields) {
        return 0; // too many: not reflectable
    } else if constexpr (brace_constructible<T>(std::make_index_sequence<N + 1>{})) {
        return count_fields<T, N + 1>();
    } else {
        return N;
    }
}

/// True for non-empty plain aggregates (no C-array members) whose fields mpixx can enumerate.
template <class T>
concept reflectable = std::is_class_v<T> && std::is_aggregate_v<T> && !std::is_union_v<T> &&
                      !std::is_polymorphic_v<T> && (count_fields<T>() > 0);

/// Number of fields of a reflectable aggregate.
template <reflectable T>
inline constexpr std::size_t field_count = count_fields<T>();

#define MPIXX_TIE_(n, ...)                                                                                 \
    if constexpr (N == n) {                                                                                \
        auto& [__VA_ARGS__] = t;                                                                           \
        return std::tie(__VA_ARGS__);                                                                      \
    } else

/// The fields of `t` as a tuple of references (const-ness follows `t`).
template <class T>
constexpr auto tie_fields(T& t) noexcept {
    constexpr std::size_t N = field_count<std::remove_const_t<T>>;
    MPIXX_TIE_(1, a) MPIXX_TIE_(2, a, b) MPIXX_TIE_(3, a, b, c) MPIXX_TIE_(4, a, b, c, d)
    MPIXX_TIE_(5, a, b, c, d, e) MPIXX_TIE_(6, a, b, c, d, e, f) MPIXX_TIE_(7, a, b, c, d, e, f, g)
    MPIXX_TIE_(8, a, b, c, d, e, f, g, h) MPIXX_TIE_(9, a, b, c, d, e, f, g, h, i)
    MPIXX_TIE_(10, a, b, c, d, e, f, g, h, i, j) MPIXX_TIE_(11, a, b, c, d, e, f, g, h, i, j, k)
    MPIXX_TIE_(12, a, b, c, d, e, f, g, h, i, j, k, l) MPIXX_TIE_(13, a, b, c, d, e, f, g, h, i, j, k, l, m)
    MPIXX_TIE_(14, a, b, c, d, e, f, g, h, i, j, k, l, m, n)
    MPIXX_TIE_(15, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o)
    MPIXX_TIE_(16, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p) {
        static_assert(N == 0, "unreachable");
    }
}
#undef MPIXX_TIE_

/// The field types of a reflectable aggregate, as std::tuple<F...> (values, not references).
template <reflectable T>
using field_types = typename decltype(std::apply(
    [](auto&... f) { return std::type_identity<std::tuple<std::remove_cvref_t<decltype(f)>...>>{}; },
    tie_fields(std::declval<T&>())))::type;

} // namespace mpixx::detail

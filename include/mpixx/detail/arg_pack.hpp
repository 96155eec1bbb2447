// mpixx/detail/arg_pack.hpp - an MPI call's arguments, kept by value and picked by position: what
// std::tuple did for the collective and point-to-point wrappers, without std::tuple's cost. Each
// std::tuple<A...> of an MPI argument list instantiates its constrained constructors' traits (__and_,
// is_convertible, ... for every element): 10-20 ms per argument list with clang, for every distinct
// collective that a translation unit uses or that the core itself calls from inline code.
#pragma once

#include <mpixx/config.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>

namespace mpixx::inline MPIXX_ABI::detail {

/// Argument I of a pack, of type T.
template <std::size_t I, class T>
struct arg_leaf {
    T value;
};

/// Argument I of a pack (its type deduced from the leaf that holds it).
template <std::size_t I, class T>
constexpr const T& arg(const arg_leaf<I, T>& p) noexcept {
    return p.value;
}

template <class Seq, class... A>
struct arg_pack_impl;

template <std::size_t... I, class... A>
struct arg_pack_impl<std::index_sequence<I...>, A...> : arg_leaf<I, A>... {
    constexpr explicit arg_pack_impl(A... a) : arg_leaf<I, A>{a}... {}

    /// f(args...), the arguments in order.
    template <class F>
    constexpr decltype(auto) apply(F&& f) const {
        return std::forward<F>(f)(static_cast<const arg_leaf<I, A>&>(*this).value...);
    }
};

/// The arguments A... by value: detail::arg<I>(pack) is argument I.
template <class... A>
using arg_pack = arg_pack_impl<std::index_sequence_for<A...>, A...>;

/// The type of argument I of A... .
template <std::size_t I, class... A>
using arg_type = std::remove_cvref_t<decltype(detail::arg<I>(std::declval<const arg_pack<A...>&>()))>;

} // namespace mpixx::detail

// mpixx/buffer.hpp - what counts as a typed (zero-copy) message buffer, and its (pointer, count, type).
//
// A buffer is either one value of an mpi_type or a contiguous sized range of them (std::vector,
// std::array, std::span, std::string, C arrays, ...). Ranges win: std::array<int, 4> is 4 MPI_INTs.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/datatype.hpp>

#include <cstddef>
#include <ranges>
#include <type_traits>

namespace mpixx::inline MPIXX_ABI {

/// A contiguous sized range whose elements map to an MPI datatype.
template <class R>
concept contiguous_buffer = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
                            mpi_type<std::remove_cv_t<std::ranges::range_value_t<R>>>;

/// Anything that can be sent as typed data: one mpi_type value or a contiguous buffer of them.
template <class B>
concept send_buffer = contiguous_buffer<const std::remove_cvref_t<B>&> || mpi_type<std::remove_cvref_t<B>>;

/// Anything a typed message can be received into (a writable send_buffer).
template <class B>
concept recv_buffer = (contiguous_buffer<B> && !std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<B>>>) ||
                      (mpi_type<std::remove_cvref_t<B>> && !std::is_const_v<std::remove_reference_t<B>>);

/// A contiguous buffer that can be resized to fit an incoming message (std::vector, std::string, ...).
template <class C>
concept resizable_buffer = contiguous_buffer<C> && requires(C& c, std::size_t n) { c.resize(n); };

/// Memory an operation may keep using after the call returns without owning it: an lvalue, or a range
/// whose iterators do not depend on the range object (std::ranges::borrowed_range: std::span,
/// std::string_view, ref_view, ...). An owning view (std::views::all of a temporary) is not borrowable.
template <class B>
concept borrowable = std::is_lvalue_reference_v<B> || std::ranges::borrowed_range<B>;

/// A place to receive into: an lvalue buffer, or a borrowed range such as std::span (never a temporary
/// container nor an owning view).
template <class B>
concept recv_target = recv_buffer<B> && borrowable<B>;

/// What a value-returning typed receive can produce: one mpi_type value or a container sized from the message.
template <class T>
concept typed_recv_value = mpi_type<T> || resizable_buffer<T>;

namespace detail {

/// The (pointer, count, datatype) triple of a buffer: what every MPI call takes.
template <class P>
struct buffer_view {
    P* ptr;
    std::size_t count;
    MPI_Datatype type;
};

template <class B>
using element_t = std::conditional_t<contiguous_buffer<B&>, std::remove_cv_t<std::ranges::range_value_t<B&>>,
                                     std::remove_cvref_t<B>>;

/// The buffer's memory as (pointer, count, datatype) with no copy; P is void or const void.
template <class B>
auto view(B& b) noexcept {
    using P = std::conditional_t<std::is_const_v<std::remove_reference_t<B>>, const void, void>;
    if constexpr (contiguous_buffer<B&>) {
        return buffer_view<P>{static_cast<P*>(std::ranges::data(b)), static_cast<std::size_t>(std::ranges::size(b)),
                              datatype<std::remove_cv_t<std::ranges::range_value_t<B&>>>()};
    } else {
        return buffer_view<P>{static_cast<P*>(&b), 1, datatype<std::remove_cvref_t<B>>()};
    }
}

} // namespace detail
} // namespace mpixx

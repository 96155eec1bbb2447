// mpixx/buffer.hpp - what counts as a typed (zero-copy) message buffer, and its (pointer, count, type).
//
// A buffer is one value of an mpi_type, a contiguous sized range of them (std::vector, std::array,
// std::span, std::string, C arrays, ...; ranges win: std::array<int, 4> is 4 MPI_INTs), or a layout
// buffer: memory described by a committed datatype (mpixx::layout_view, mpixx::raw; layout.hpp).
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/datatype.hpp>
#include <mpixx/detail/std_light.hpp>

#include <cstddef>
#include <type_traits>

namespace mpixx::inline MPIXX_ABI {

/// A contiguous sized range whose elements map to an MPI datatype.
template <class R>
concept contiguous_buffer = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
                            mpi_type<std::remove_cv_t<std::ranges::range_value_t<R>>>;

/// A non-contiguous buffer: `count()` items of the committed datatype `native()` at `data()`, each
/// holding `unit()` elements of element_type (0: untyped). mpixx::layout_view and mpixx::raw model it;
/// `V::borrowed` says whether it only refers to memory it does not own (see borrowable).
template <class V>
concept layout_buffer = requires(const V& v) {
    typename V::element_type;
    { V::borrowed } -> std::convertible_to<bool>;
    { v.data() } -> std::same_as<typename V::element_type*>;
    { v.count() } -> std::same_as<std::size_t>;
    { v.native() } -> std::same_as<MPI_Datatype>;
    { v.unit() } -> std::same_as<std::size_t>;
};

/// Anything that can be sent as typed data: one mpi_type value, a contiguous buffer of them, or a
/// layout buffer.
template <class B>
concept send_buffer = contiguous_buffer<const std::remove_cvref_t<B>&> || mpi_type<std::remove_cvref_t<B>> ||
                      layout_buffer<std::remove_cvref_t<B>>;

/// Anything a typed message can be received into (a writable send_buffer; a layout buffer of non-const
/// elements, whatever the constness of the view object itself, as for std::span).
template <class B>
concept recv_buffer = (contiguous_buffer<B> && !std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<B>>>) ||
                      (mpi_type<std::remove_cvref_t<B>> && !std::is_const_v<std::remove_reference_t<B>>) ||
                      (layout_buffer<std::remove_cvref_t<B>> &&
                       !std::is_const_v<typename std::remove_cvref_t<B>::element_type>);

/// A contiguous buffer that can be resized to fit an incoming message (std::vector, std::string, ...).
template <class C>
concept resizable_buffer = contiguous_buffer<C> && requires(C& c, std::size_t n) { c.resize(n); };

/// Memory an operation may keep using after the call returns without owning it: an lvalue, a range
/// whose iterators do not depend on the range object (std::ranges::borrowed_range: std::span,
/// std::string_view, ref_view, ...), or a layout buffer that declares itself borrowed (V::borrowed:
/// mpixx::layout_view and mpixx::raw point into the caller's memory). An owning view (std::views::all
/// of a temporary) is not borrowable; "is a view" is never the test.
template <class B>
concept borrowable = std::is_lvalue_reference_v<B> || std::ranges::borrowed_range<B> ||
                     (layout_buffer<std::remove_cvref_t<B>> && std::remove_cvref_t<B>::borrowed);

/// A place to receive into: an lvalue buffer, or a borrowed range such as std::span (never a temporary
/// container nor an owning view).
template <class B>
concept recv_target = recv_buffer<B> && borrowable<B>;

/// What a value-returning typed receive can produce: one mpi_type value or a container sized from the message.
template <class T>
concept typed_recv_value = mpi_type<T> || resizable_buffer<T>;

namespace detail {

/// The (pointer, count, datatype) triple of a buffer: what every MPI call takes. `unit` is how many
/// elements of the buffer's element type one item of `type` holds (1 for plain buffers, layout().size()
/// for a layout view, 0 when unknown: raw and untyped views); `layout` is true for layout buffers, whose
/// items are not single elements (collectives derive per-rank counts differently, layout.hpp).
template <class P>
struct buffer_view {
    P* ptr;
    std::size_t count;
    MPI_Datatype type;
    std::size_t unit;
    bool layout;
};

/// The element type of an untyped layout buffer (raw views): matches any other element type.
struct opaque_element {
    opaque_element() = delete; // not an aggregate: never an mpi_type, nothing can hold one
};

template <class B, bool = contiguous_buffer<B&>, bool = layout_buffer<std::remove_cvref_t<B>>>
struct element_of {
    using type = std::remove_cvref_t<B>;
};
template <class B, bool L>
struct element_of<B, true, L> {
    using type = std::remove_cv_t<std::ranges::range_value_t<B&>>;
};
template <class B>
struct element_of<B, false, true> {
    using E = std::remove_cv_t<typename std::remove_cvref_t<B>::element_type>;
    using type = std::conditional_t<std::is_void_v<E>, opaque_element, E>;
};
/// The element type of a buffer: the range's value type, the value's own type, a layout view's element
/// type (opaque_element for raw and untyped views).
template <class B>
using element_t = typename element_of<B>::type;

/// The buffer's memory as (pointer, count, datatype) with no copy; P is void or const void (for a
/// layout buffer: whether its elements are const). A layout view's datatype is built on first use.
template <class B>
auto view(B& b) noexcept(!layout_buffer<std::remove_cvref_t<B>>) {
    using P = std::conditional_t<std::is_const_v<std::remove_reference_t<B>>, const void, void>;
    if constexpr (layout_buffer<std::remove_cvref_t<B>>) {
        // constness follows the elements only (a const view of writable memory is a receive buffer, as a
        // const std::span<int> is); a view is never the send buffer of a reduction, which assigns to ptr
        using Q = std::conditional_t<std::is_const_v<typename std::remove_cvref_t<B>::element_type>, const void, void>;
        return buffer_view<Q>{const_cast<Q*>(static_cast<const void*>(b.data())), b.count(), b.native(), b.unit(),
                              true};
    } else if constexpr (contiguous_buffer<B&>) {
        // constness follows the elements: a const std::span<int> views writable memory
        using R = std::conditional_t<std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<B&>>>,
                                     const void, void>;
        return buffer_view<R>{static_cast<R*>(std::ranges::data(b)), static_cast<std::size_t>(std::ranges::size(b)),
                              datatype<std::remove_cv_t<std::ranges::range_value_t<B&>>>(), 1, false};
    } else {
        return buffer_view<P>{static_cast<P*>(&b), 1, datatype<std::remove_cvref_t<B>>(), 1, false};
    }
}

} // namespace detail
} // namespace mpixx

// mpixx/md_view.hpp - a small strided N-D array view (the shape of C++23 std::mdspan with
// layout_stride; g++ 12 has no <mdspan>) and one-call layout views of its parts.
//
//   std::vector<double> a(ny * nx);
//   mpixx::md_view<double, 2> grid(a.data(), {ny, nx});       // row-major (C order)
//   comm.send(grid.column(0), left);                          // a strided column: one MPI_Send, no copy
//   comm.recv(grid.row(ny - 1), down);
//   comm.send(grid.block({1, 1}, {4, 4}), 1);                 // a 4x4 sub-block (subarray_layout)
//   mpixx::md_view<double, 3> u(p, {nz, ny, nx});
//   comm.send(u.face(0, 1), up);                              // the plane z == 1 (a face of a 3D block)
//   comm.send(mpixx::subarray(a.data(), {ny, nx}, {2, nx}, {0, 0}), 1);
//
// Strides are in elements, extents and strides non-negative. mpixx::subarray and mpixx::as_layout_view
// take an md_view or ANY type of that shape: std::mdspan-like (`extents().extent(r)`, `stride(r)`,
// `data_handle()`, `rank()`), or `extent(r)`, `stride(r)`, `data()`. Every view made here checks that
// the part lies inside the array (MPI_ERR_ARG). Each call builds a new layout (its datatype is made on
// first use): in a loop, keep the view (or its layout) and reuse it.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/layout.hpp>

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>

namespace mpixx::inline MPIXX_ABI {

/// A non-owning N-D view of elements of T: extents and strides in elements (row-major by default).
template <class T, std::size_t N>
    requires(N >= 1)
class md_view {
public:
    /// The element type.
    using element_type = T;
    /// Row-major (C order) view of extents `ext` at `data`.
    md_view(T* data, const std::array<std::ptrdiff_t, N>& ext) : data_(data), ext_(ext) {
        std::ptrdiff_t s = 1;
        for (std::size_t r = N; r-- > 0;) {
            check_nonneg("extent", r, ext_[r]);
            stride_[r] = s;
            s = detail::layout_mul("mpixx::md_view", s, ext_[r]); // an array too large for memory: refused
        }
    }
    /// A view with explicit strides (in elements, non-negative), as std::mdspan with layout_stride.
    md_view(T* data, const std::array<std::ptrdiff_t, N>& ext, const std::array<std::ptrdiff_t, N>& strides)
        : data_(data), ext_(ext), stride_(strides) {
        for (std::size_t r = 0; r < N; ++r) {
            check_nonneg("extent", r, ext_[r]);
            check_nonneg("stride", r, stride_[r]);
        }
    }

    /// The number of dimensions.
    [[nodiscard]] static constexpr std::size_t rank() noexcept { return N; }
    /// The extent of dimension r.
    [[nodiscard]] std::ptrdiff_t extent(std::size_t r) const noexcept { return ext_[r]; }
    /// The stride of dimension r, in elements.
    [[nodiscard]] std::ptrdiff_t stride(std::size_t r) const noexcept { return stride_[r]; }
    /// The first element.
    [[nodiscard]] T* data() const noexcept { return data_; }
    /// The first element (std::mdspan's spelling).
    [[nodiscard]] T* data_handle() const noexcept { return data_; }
    /// The element at index `i...` (unchecked).
    template <class... I>
        requires(sizeof...(I) == N && (std::is_convertible_v<I, std::ptrdiff_t> && ...))
    T& operator()(I... i) const noexcept {
        const std::array<std::ptrdiff_t, N> idx{static_cast<std::ptrdiff_t>(i)...};
        std::ptrdiff_t off = 0;
        for (std::size_t r = 0; r < N; ++r) off += idx[r] * stride_[r];
        return data_[off];
    }

    /// The sub-block [starts, starts + sizes) as a layout view (MPI_ERR_ARG when it leaves the array).
    [[nodiscard]] auto block(const std::array<std::ptrdiff_t, N>& starts, const std::array<std::ptrdiff_t, N>& sizes) const {
        return make_block(starts, sizes);
    }

    /// Column j of a 2-D view (a strided vector: one element per row).
    [[nodiscard]] auto column(std::ptrdiff_t j) const
        requires(N == 2)
    {
        return make_block({0, j}, {ext_[0], 1});
    }
    /// Row i of a 2-D view.
    [[nodiscard]] auto row(std::ptrdiff_t i) const
        requires(N == 2)
    {
        return make_block({i, 0}, {1, ext_[1]});
    }
    /// The slab of `width` planes starting at `index` across dimension `dim` (a face of a 3-D block, a
    /// row/column of a 2-D one): every other dimension whole.
    [[nodiscard]] auto face(std::size_t dim, std::ptrdiff_t index, std::ptrdiff_t width = 1) const {
        if (dim >= N) [[unlikely]]
            detail::throw_layout("mpixx::md_view::face", "dimension " + std::to_string(dim) + " does not exist in a " +
                                                             std::to_string(N) + "-D view");
        std::array<std::ptrdiff_t, N> starts{}, sizes = ext_;
        starts[dim] = index;
        sizes[dim] = width;
        return make_block(starts, sizes);
    }

private:
    static void check_nonneg(const char* what, std::size_t r, std::ptrdiff_t v) {
        if (v < 0) [[unlikely]]
            detail::throw_layout("mpixx::md_view", std::string(what) + " " + std::to_string(r) + " is negative (" +
                                                       std::to_string(v) + ")");
    }

    [[noreturn, MPIXX_COLD]] void throw_outside(std::size_t r, std::ptrdiff_t start, std::ptrdiff_t size) const {
        detail::throw_layout("mpixx::md_view", "dimension " + std::to_string(r) + ": the block of " + std::to_string(size) +
                                                   " elements starting at " + std::to_string(start) +
                                                   " is outside the extent " + std::to_string(ext_[r]));
    }

    /// The block as an indexed-free layout: nested hvectors over the strides (any strides, not only
    /// row-major), the innermost a vector of elements.
    layout_view<T, layout<std::remove_const_t<T>>> make_block(const std::array<std::ptrdiff_t, N>& starts,
                                                              const std::array<std::ptrdiff_t, N>& sizes) const {
        using E = std::remove_const_t<T>;
        constexpr const char* routine = "mpixx::md_view";
        std::ptrdiff_t off = 0;
        for (std::size_t r = 0; r < N; ++r) {
            // sizes[r] > ext - starts[r], not starts[r] + sizes[r] > ext: the sum may overflow
            if (starts[r] < 0 || sizes[r] < 0 || starts[r] > ext_[r] || sizes[r] > ext_[r] - starts[r]) [[unlikely]]
                throw_outside(r, starts[r], sizes[r]);
            off = detail::layout_add(routine, off, detail::layout_mul(routine, starts[r], stride_[r]));
        }
        // innermost dimension: a vector of elements with its stride; outer ones: hvectors of the inner
        layout<E> l = vector_layout<E>(sizes[N - 1], 1, stride_[N - 1]);
        for (std::size_t r = N - 1; r-- > 0;) {
            const auto bytes = detail::layout_mul(routine, static_cast<std::ptrdiff_t>(sizeof(E)), stride_[r]);
            l = repeated_layout<E>(sizes[r], bytes, l);
        }
        return layout_view<T, layout<E>>(data_ + off, l);
    }

    T* data_;
    std::array<std::ptrdiff_t, N> ext_;
    std::array<std::ptrdiff_t, N> stride_{};
};

namespace detail {

/// An N-D strided array type of the shape md_view and std::mdspan share (rank, extents, strides, data).
template <class A>
concept mdspan_like = requires(const A& a, std::size_t r) {
    { a.rank() } -> std::convertible_to<std::size_t>;
    { a.stride(r) } -> std::convertible_to<std::ptrdiff_t>;
} && (requires(const A& a) { a.data_handle(); } || requires(const A& a) { a.data(); }) &&
    (requires(const A& a, std::size_t r) { a.extents().extent(r); } || requires(const A& a, std::size_t r) { a.extent(r); });

template <class A>
auto md_data(const A& a) {
    if constexpr (requires { a.data_handle(); }) return a.data_handle();
    else return a.data();
}
template <class A>
std::ptrdiff_t md_extent(const A& a, std::size_t r) {
    if constexpr (requires { a.extents().extent(r); }) return static_cast<std::ptrdiff_t>(a.extents().extent(r));
    else return static_cast<std::ptrdiff_t>(a.extent(r));
}

/// Any mdspan-like array as an md_view of its rank (rank known at compile time).
template <std::size_t N, class A>
auto to_md_view(const A& a) {
    using T = std::remove_pointer_t<decltype(md_data(a))>;
    if (static_cast<std::size_t>(a.rank()) != N) [[unlikely]]
        throw_layout("mpixx::subarray", "the array has rank " + std::to_string(a.rank()) + ", not " + std::to_string(N));
    std::array<std::ptrdiff_t, N> ext{}, str{};
    for (std::size_t r = 0; r < N; ++r) {
        ext[r] = md_extent(a, r);
        str[r] = static_cast<std::ptrdiff_t>(a.stride(r));
    }
    return md_view<T, N>(md_data(a), ext, str);
}

template <std::size_t N>
std::array<std::ptrdiff_t, N> md_array(std::span<const int> v, const char* what) {
    if (v.size() != N) [[unlikely]]
        throw_layout("mpixx::subarray", std::string(what) + " has " + std::to_string(v.size()) + " entries, not " +
                                            std::to_string(N));
    std::array<std::ptrdiff_t, N> a{};
    for (std::size_t r = 0; r < N; ++r) a[r] = v[r];
    return a;
}

} // namespace detail

/// The block [starts, starts + subsizes) of the C-order array of extents `sizes` at `data`: a view of
/// a subarray_layout (MPI_Type_create_subarray), checked against the sizes (MPI_ERR_ARG).
template <class T>
    requires mpi_type<std::remove_const_t<T>>
auto subarray(T* data, std::span<const int> sizes, std::span<const int> subsizes, std::span<const int> starts) {
    return layout_view(data, subarray_layout<std::remove_const_t<T>>(sizes, subsizes, starts));
}
/// As above, from brace lists: mpixx::subarray(p, {ny, nx}, {h, w}, {y0, x0}).
template <class T>
    requires mpi_type<std::remove_const_t<T>>
auto subarray(T* data, std::initializer_list<int> sizes, std::initializer_list<int> subsizes,
              std::initializer_list<int> starts) {
    return layout_view(data, subarray_layout<std::remove_const_t<T>>(sizes, subsizes, starts));
}
/// The block [starts, starts + subsizes) of an md_view or any mdspan-like array of rank N (its own
/// extents and strides).
template <std::size_t N, detail::mdspan_like A>
auto subarray(const A& array, const std::array<std::ptrdiff_t, N>& subsizes, const std::array<std::ptrdiff_t, N>& starts) {
    return detail::to_md_view<N>(array).block(starts, subsizes);
}
/// As above, with the array's extents restated as `sizes` (MPI_ERR_ARG when they differ).
template <std::size_t N, detail::mdspan_like A>
auto subarray(const A& array, const std::array<std::ptrdiff_t, N>& sizes, const std::array<std::ptrdiff_t, N>& subsizes,
              const std::array<std::ptrdiff_t, N>& starts) {
    const auto v = detail::to_md_view<N>(array);
    for (std::size_t r = 0; r < N; ++r)
        if (v.extent(r) != sizes[r]) [[unlikely]]
            detail::throw_layout("mpixx::subarray", "sizes[" + std::to_string(r) + "] = " + std::to_string(sizes[r]) +
                                                        " but the array's extent is " + std::to_string(v.extent(r)));
    return v.block(starts, subsizes);
}
/// The whole of an md_view or mdspan-like array of rank N as a layout view.
template <std::size_t N, detail::mdspan_like A>
auto as_layout_view(const A& array) {
    const auto v = detail::to_md_view<N>(array);
    std::array<std::ptrdiff_t, N> starts{}, sizes{};
    for (std::size_t r = 0; r < N; ++r) sizes[r] = v.extent(r);
    return v.block(starts, sizes);
}

} // namespace mpixx

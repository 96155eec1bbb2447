// mpixx/detail/halo_shape.hpp - the argument types of mpixx::halo (lists of extents and ghost widths, the
// shape of an md array) and the geometry of its messages: which neighbours, which regions, which tags.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/datatype.hpp>
#include <mpixx/error.hpp>
#include <mpixx/detail/std_light.hpp>

#include <climits>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// Which neighbours a halo exchange reaches (PETSc's DMDA_STENCIL_STAR / DMDA_STENCIL_BOX).
enum class stencil : unsigned char {
    star, ///< faces only (5-point 2D, 7-point 3D stencils): ghost cells of edges and corners are left alone
    box,  ///< faces, edges and corners (9-point 2D, 27-point 3D stencils): every ghost cell is filled
};

/// The shape a halo accepts as an array in one argument: C++23 std::mdspan (layout_right, or
/// layout_stride with C-order contiguous strides) or any type with its members (data_handle(),
/// static rank(), extent(r)).
template <class M>
concept md_array = requires(const M& m) {
    { m.data_handle() };
    { M::rank() } -> std::convertible_to<std::size_t>;
    { m.extent(0) } -> std::convertible_to<std::size_t>;
} && std::is_pointer_v<decltype(std::declval<const M&>().data_handle())> &&
    mpi_type<std::remove_cv_t<std::remove_pointer_t<decltype(std::declval<const M&>().data_handle())>>>;

} // namespace mpixx

namespace mpixx::inline MPIXX_ABI::detail {

/// A list of integers given as a braced list, a range of integers or (for ghost widths) one integer
/// meaning "the same along every dimension". Used by halo's constructors only (built once).
class halo_ints {
public:
    /// A braced list of int, e.g. {ny + 2, nx + 2}.
    halo_ints(std::initializer_list<int> v) { assign(v); }
    /// A braced list of std::size_t, e.g. {ny + 2, nx + 2} with std::size_t ny, nx.
    halo_ints(std::initializer_list<std::size_t> v) { assign(v); }
    /// Any sized range of integers: std::array, std::vector, std::span, ...
    template <std::ranges::sized_range R>
        requires std::integral<std::remove_cvref_t<std::ranges::range_reference_t<R>>> &&
                 (!std::same_as<std::remove_cvref_t<R>, halo_ints>)
    halo_ints(const R& r) { // NOLINT: implicit on purpose (an argument type)
        assign(r);
    }
    /// One integer: the same value along every dimension (a ghost width).
    template <std::integral I>
    halo_ints(I v) : uniform_(true) { // NOLINT: implicit on purpose
        values_.push_back(narrow(static_cast<long long>(v)));
    }

    [[nodiscard]] bool uniform() const noexcept { return uniform_; }
    [[nodiscard]] const std::vector<int>& values() const noexcept { return values_; }

private:
    template <class R>
    void assign(const R& r) {
        for (auto v : r) values_.push_back(narrow(static_cast<long long>(v)));
    }
    // Out-of-range values become -1, refused later with the other argument checks (never UB).
    static int narrow(long long v) noexcept { return v < 0 || v > INT_MAX ? -1 : static_cast<int>(v); }

    std::vector<int> values_;
    bool uniform_ = false;
};

/// One message of a halo exchange: the neighbour in direction `offset` (each entry -1, 0 or +1) gets
/// the owned cells next to that side and fills this process's ghost cells on that side.
struct halo_direction {
    std::vector<int> offset;
    int rank = MPI_PROC_NULL; // the neighbour's rank in the grid; proc_null past an open boundary
};

/// Every direction a halo exchanges in, in a fixed order (the same on every rank): the 2*ndims faces
/// (stencil::star) or the 3^ndims - 1 faces, edges and corners (stencil::box), skipping dimensions
/// whose ghost width is 0. Neighbour ranks follow the grid's periodicity (MPI_Cart_rank after wrapping).
inline std::vector<halo_direction> halo_directions(MPI_Comm cart, const std::vector<int>& dims,
                                                   const std::vector<int>& periods, const std::vector<int>& coords,
                                                   const std::vector<int>& widths, stencil shape) {
    const std::size_t nd = dims.size();
    std::vector<halo_direction> out;
    std::vector<int> o(nd, -1), c(nd);
    for (;;) {
        int nonzero = 0;
        bool usable = true;
        for (std::size_t d = 0; d < nd; ++d) {
            if (o[d] == 0) continue;
            ++nonzero;
            if (widths[d] == 0) usable = false;
        }
        if (nonzero != 0 && usable && (shape == stencil::box || nonzero == 1)) {
            int rank = 0;
            for (std::size_t d = 0; d < nd && rank != MPI_PROC_NULL; ++d) {
                c[d] = coords[d] + o[d];
                if (c[d] < 0 || c[d] >= dims[d]) {
                    if (periods[d]) c[d] = (c[d] + dims[d]) % dims[d];
                    else rank = MPI_PROC_NULL;
                }
            }
            if (rank != MPI_PROC_NULL) MPIXX_CALL(MPI_Cart_rank, cart, c.data(), &rank);
            out.push_back({o, rank});
        }
        std::size_t d = 0; // odometer over {-1, 0, 1}^nd
        while (d < nd && o[d] == 1) o[d++] = -1;
        if (d == nd) break;
        ++o[d];
    }
    return out;
}

/// The message tag of data travelling in direction `offset`: its index in {-1, 0, 1}^ndims. Two
/// messages between the same pair of ranks (a periodic dimension of 1 or 2 processes) differ by tag.
inline int halo_tag(const std::vector<int>& offset, int sign) noexcept {
    int tag = 0;
    for (std::size_t d = offset.size(); d-- > 0;) tag = tag * 3 + (sign * offset[d] + 1);
    return tag;
}

/// The region (C-order subarray) of an array of `extents` with ghost `widths` that goes to (send) or
/// comes from (receive) the neighbour in direction `offset`.
inline void halo_region(const std::vector<int>& extents, const std::vector<int>& widths,
                        const std::vector<int>& offset, bool send, std::vector<int>& subsizes,
                        std::vector<int>& starts) {
    const std::size_t nd = extents.size();
    subsizes.resize(nd);
    starts.resize(nd);
    for (std::size_t d = 0; d < nd; ++d) {
        const int n = extents[d], w = widths[d];
        switch (offset[d]) {
        case 0: starts[d] = w, subsizes[d] = n - 2 * w; break;                   // the owned cells
        case -1: starts[d] = send ? w : 0, subsizes[d] = w; break;               // low side
        default: starts[d] = send ? n - 2 * w : n - w, subsizes[d] = w; break;   // high side
        }
    }
}

/// The number of elements of a region of `subsizes` in an array of `extents` when they are one
/// contiguous run (every dimension before some k has subsize 1, every one after k is whole); else 0.
inline std::size_t halo_contiguous(const std::vector<int>& extents, const std::vector<int>& subsizes) noexcept {
    std::size_t k = 0, n = 1;
    while (k + 1 < subsizes.size() && subsizes[k] == 1) ++k;
    for (std::size_t d = k + 1; d < subsizes.size(); ++d)
        if (subsizes[d] != extents[d]) return 0;
    for (int s : subsizes) n *= static_cast<std::size_t>(s);
    return n;
}

/// "[6, 6, 5]": a list of integers for error messages (cold path only).
[[MPIXX_COLD]] inline std::string halo_list(const std::vector<int>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}

} // namespace mpixx::detail

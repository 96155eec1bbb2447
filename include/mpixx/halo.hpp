// mpixx/halo.hpp - the ghost-cell (halo) exchange of a structured grid, in three lines:
//
//   auto grid = mpixx::cart_create(world, mpixx::dims_create(world.size(), 2), {false, false});
//   mpixx::halo h(grid, u, {ny + 2, nx + 2}, 1);      // u: the local block INCLUDING its ghost layers
//   h.exchange();                                      // or h.start(); ...interior...; h.wait();
//
// The local block is an N-D array in C order (1, 2 or 3 dimensions in practice; any number works) whose
// outer `w[d]` layers along each dimension d are ghost cells: owned cells are [w, n - w) along each
// dimension. The constructor (collective over the grid) builds, ONCE, one committed subarray datatype
// per message and one persistent request per message (MPI_Send_init / MPI_Recv_init on the user's own
// memory, on a private duplicate of the grid's communicator); every exchange is then MPI_Startall +
// MPI_Waitall on those requests: no packing, no intermediate buffer, no allocation, no datatype or
// request built.
//
// Neighbours and corners: stencil::star (default) exchanges with the 2 * ndims face neighbours; their
// ghost cells of edges and corners are left alone. stencil::box also talks to the diagonal neighbours
// directly (3^ndims - 1 of them: 8 in 2D, 26 in 3D), each sending its own corner/edge block, so every
// ghost cell is right after ONE phase. (The other way to get corners, exchanging dimension by dimension
// with the ghosts of the earlier dimensions included, needs a wait between the phases and so cannot
// overlap with computation through one start()/wait().)
//
// The hang report (MPIXX_HANG_TIMEOUT) sees every wait here that depends on other ranks: the exchange's
// MPI_Waitall ("halo exchange on <communicator>, N requests") and the constructor's collective steps.
//
// Boundaries: a periodic dimension wraps (with 1 process along it, the process exchanges with itself);
// past an open boundary the neighbour is proc_null and those ghost cells are left as they are (the place
// for a Dirichlet boundary value). Messages are told apart by direction (the tag), so a periodic
// dimension of 1 or 2 processes (the same neighbour on both sides) is right.
//
// Why point-to-point and not MPI_Neighbor_alltoallw: (1) on a Cartesian communicator the neighbourhood
// collectives see only the 2 * ndims face neighbours (corners would need a second, distributed-graph
// communicator); (2) with 1 or 2 processes along a periodic dimension both neighbours are one process,
// and MPI libraries pair its two blocks the wrong way round (MPICH 4.0's MPI_Neighbor_alltoallw, Open
// MPI's non-blocking and persistent forms: mpi-forum/mpi-issues#153, pmodels/mpich#2194); per-direction
// tags make that case right here (benchmarks/halo.cpp shows the wrong ghosts on 2 ranks); (3) MPI-3
// libraries (Open MPI 4.1) have no persistent neighbourhood collective (MPI_Neighbor_alltoallw_init is
// MPI-4); (4) measured on MPICH 4.0 (benchmarks/halo.cpp), the blocking neighbourhood call was slower
// than MPI_Isend/MPI_Irecv/MPI_Waitall with the same datatypes, and persistent requests match the latter.
//
// A neighbour that is this process itself (a periodic dimension with one process) is not sent a
// message: start() copies the owned cells into the ghost cells directly (what MPI would do through its
// datatype engine and a temporary buffer; on MPICH 4.0 that path took ~5x longer).
//
// Overlap: start() returns with the messages in flight; compute the cells that need no ghost (the
// interior [2w, n - 2w)), then wait(), then the cells next to the ghosts. While in flight, MPI lets you
// READ the owned cells but not write those being sent, nor touch the ghost cells. A Jacobi code that
// swaps two arrays keeps one halo per array (each is bound to its memory).
//
// Safety: before anything is built, every rank checks its arguments (array rank = grid dimensions, every
// extent >= 3 * w so that a neighbour's w ghost layers are owned cells here, widths >= 0, a memory size
// matching the extents, sizes whose products do not overflow) and the ranks agree (one MPI_Allreduce,
// which also compares which dimensions have ghost width 0, as that decides who talks to whom): a bad
// argument on ANY rank makes EVERY rank throw mpixx::error (no hang). Neighbours then check that their
// shapes fit each other (one message per neighbour), so a decomposition whose faces do not match is an
// error, not a truncation or a silently wrong ghost. Handles (datatypes, requests, the duplicate
// communicator) are freed by the destructor, and on every throw.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/buffer.hpp>
#include <mpixx/detail/collectives_common.hpp>
#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/halo_shape.hpp>
#include <mpixx/detail/hang_watch.hpp>
#include <mpixx/detail/progress.hpp>
#include <mpixx/error.hpp>

#include <mpixx/detail/std_light.hpp>
#include <climits>
#include <cstddef>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

namespace detail {

/// The MPI handles a halo owns; frees them (and waits for active requests first) when it goes.
struct halo_handles {
    MPI_Comm comm = MPI_COMM_NULL;
    std::vector<MPI_Datatype> types;
    std::vector<MPI_Request> requests; // the receives, then the sends (MPI_Startall starts them in order)
    bool active = false;

    halo_handles() = default;
    halo_handles(halo_handles&& o) noexcept
        : comm(std::exchange(o.comm, MPI_COMM_NULL)), types(std::move(o.types)), requests(std::move(o.requests)),
          active(std::exchange(o.active, false)) {
        o.types.clear();
        o.requests.clear();
    }
    halo_handles& operator=(halo_handles&& o) noexcept {
        if (this != &o) {
            release();
            comm = std::exchange(o.comm, MPI_COMM_NULL);
            types = std::move(o.types);
            requests = std::move(o.requests);
            active = std::exchange(o.active, false);
            o.types.clear();
            o.requests.clear();
        }
        return *this;
    }
    halo_handles(const halo_handles&) = delete;
    halo_handles& operator=(const halo_handles&) = delete;
    ~halo_handles() { release(); }

    /// MPI_Waitall that keeps mpixx's probe-sized receives matching meanwhile (detail/progress.hpp);
    /// with none registered, the plain call. Marked for the hang report while it waits.
    int wait_all() noexcept {
        if (hang_watch_on()) [[unlikely]]
            return wait_all_watched();
        return wait_all_plain();
    }
    [[MPIXX_COLD]] int wait_all_watched() noexcept {
        const hang_scope watched(hang_halo_site("MPI_Waitall", comm, requests.size()));
        return wait_all_plain();
    }
    int wait_all_plain() noexcept {
        const int n = static_cast<int>(requests.size());
        if (!progress::active()) [[likely]]
            return MPI_Waitall(n, requests.data(), MPI_STATUSES_IGNORE);
        progress::backoff b;
        for (;;) {
            int flag = 0;
            if (int rc = MPI_Testall(n, requests.data(), &flag, MPI_STATUSES_IGNORE); rc != MPI_SUCCESS || flag)
                return rc;
            progress::poll();
            b.pause();
        }
    }

    void release() noexcept {
        if (!mpi_usable()) return;
        if (active) {
            active = false;
            if (int rc = wait_all(); rc != MPI_SUCCESS) {
                report_destructor_error("MPI_Waitall of a halo exchange failed");
                return; // requests possibly in use: leak them rather than free memory MPI may write
            }
        }
        for (MPI_Request& r : requests)
            if (r != MPI_REQUEST_NULL) MPI_Request_free(&r);
        for (MPI_Datatype& t : types) MPI_Type_free(&t);
        if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
        requests.clear();
        types.clear();
    }
};

/// Throws the halo's argument error (cold path).
[[noreturn, MPIXX_COLD]] inline void throw_halo(int error_class, const std::string& what) {
    throw_usage("mpixx::halo", error_class, what);
}

} // namespace detail

/// A persistent ghost-cell exchange of one local N-D array on a Cartesian grid (see the top of halo.hpp).
/// Move-only. The memory must stay where it is for the halo's lifetime.
class halo {
public:
    /// An empty halo (nothing to exchange; start() throws).
    halo() = default;

    /// The halo of the C-order array at `data` with `extents` (ghost layers included) and ghost width
    /// `widths` (one for every dimension, or one per dimension) on Cartesian communicator `grid`.
    /// Collective over `grid`.
    template <class T>
        requires mpi_type<std::remove_cv_t<T>> && (!std::is_const_v<T>)
    halo(const detail::comm_base& grid, T* data, const detail::halo_ints& extents, const detail::halo_ints& widths,
         stencil shape = stencil::star) {
        build(grid, data, datatype<T>(), sizeof(T), extents.values(), widths, shape, 0, {});
    }

    /// The halo of a contiguous container (std::vector, std::array, std::span, ...) holding the
    /// array; its size must be the product of `extents`. Collective over `grid`.
    template <class R>
        requires recv_target<R&&> && contiguous_buffer<R&>
    halo(const detail::comm_base& grid, R&& memory, const detail::halo_ints& extents, const detail::halo_ints& widths,
         stencil shape = stencil::star) {
        auto v = detail::view(memory);
        long long product = 1;
        bool overflow = false; // checked: a wrapped product could match the memory's size
        for (int e : extents.values()) {
            if (e < 0) product = -1; // refused by check_args, with its own message
            else if (product >= 0 && __builtin_mul_overflow(product, static_cast<long long>(e), &product)) overflow = true;
        }
        int bad = 0;
        std::string why;
        if (overflow || (product >= 0 && static_cast<unsigned long long>(product) != v.count)) [[unlikely]] {
            bad = MPI_ERR_COUNT;
            why = "the memory holds " + std::to_string(v.count) + " elements but extents " +
                  detail::halo_list(extents.values()) + " make " +
                  (overflow ? std::string("more than fit in memory") : std::to_string(product));
        }
        build(grid, v.ptr, v.type, sizeof(detail::element_t<R>), extents.values(), widths, shape, bad, std::move(why));
    }

    /// The halo of an md array (std::mdspan with C-order contiguous layout, or any type of its shape):
    /// its extents are the array's. Collective over `grid`.
    template <md_array M>
        requires(!std::is_const_v<std::remove_pointer_t<decltype(std::declval<const M&>().data_handle())>>)
    halo(const detail::comm_base& grid, const M& array, const detail::halo_ints& widths, stencil shape = stencil::star) {
        using T = std::remove_pointer_t<decltype(array.data_handle())>;
        std::vector<int> ext;
        int bad = 0;
        std::string why;
        long long expect = 1;
        for (std::size_t r = M::rank(); r-- > 0;) { // C order: the last index is contiguous
            const auto e = static_cast<long long>(array.extent(r));
            ext.insert(ext.begin(), e > INT_MAX ? -1 : static_cast<int>(e));
            if constexpr (requires { array.stride(r); }) {
                if (static_cast<long long>(array.stride(r)) != expect && e > 1 && bad == 0 && expect >= 0) [[unlikely]] {
                    bad = MPI_ERR_ARG;
                    why = "the array is not contiguous in C order (stride " + std::to_string(array.stride(r)) +
                          " along dimension " + std::to_string(r) + ", expected " + std::to_string(expect) + ")";
                }
            }
            if (expect >= 0 && __builtin_mul_overflow(expect, e, &expect)) [[unlikely]] {
                expect = -1; // checked: no array of that many elements exists
                if (bad == 0) {
                    bad = MPI_ERR_COUNT;
                    why = "the array's extents make more elements than fit in memory";
                }
            }
        }
        build(grid, array.data_handle(), datatype<std::remove_cv_t<T>>(), sizeof(T), ext, widths, shape, bad,
              std::move(why));
    }

    /// Takes `o`'s exchange (the requests stay bound to the same memory); `o` becomes empty.
    halo(halo&&) noexcept = default;
    /// Waits for this halo's exchange in flight (if any) and frees its handles, then takes `o`'s.
    halo& operator=(halo&&) noexcept = default;
    /// Not copyable: the persistent requests are bound to one array and owned once.
    halo(const halo&) = delete;
    /// Not copyable.
    halo& operator=(const halo&) = delete;
    /// Waits for an exchange in flight (errors are printed, never thrown), then frees every handle.
    ~halo() = default;

    /// Starts the exchange (MPI_Startall): every ghost cell will be filled from the neighbour's owned
    /// cells as they are NOW. MPI_ERR_REQUEST if one is already in flight or the halo is empty.
    void start() {
        if (h_.active || h_.comm == MPI_COMM_NULL) [[unlikely]]
            throw_not_startable();
        if (!h_.requests.empty()) MPIXX_CALL(MPI_Startall, static_cast<int>(h_.requests.size()), h_.requests.data());
        h_.active = true;
        for (const auto& c : copies_) copy_region(c); // while the messages fly
    }

    /// Waits for the exchange started by start() (MPI_Waitall); returns at once when none is in flight.
    void wait() {
        if (!h_.active) [[unlikely]]
            return;
        h_.active = false; // complete or failed: inactive either way
        detail::check(h_.wait_all(), "MPI_Waitall");
    }

    /// Completes the exchange if every message has arrived (MPI_Testall); never blocks. True when none
    /// is in flight.
    [[nodiscard]] bool test() {
        if (!h_.active) return true;
        detail::progress::poll();
        int flag = 0;
        const int rc = MPI_Testall(static_cast<int>(h_.requests.size()), h_.requests.data(), &flag,
                                   MPI_STATUSES_IGNORE);
        if (rc != MPI_SUCCESS) [[unlikely]] {
            h_.active = false;
            detail::throw_mpi_error(rc, "MPI_Testall");
        }
        if (flag) h_.active = false;
        return flag != 0;
    }

    /// start() then wait(): one complete exchange.
    void exchange() {
        start();
        wait();
    }

    /// Whether an exchange was started and not yet completed by wait() or test().
    [[nodiscard]] bool active() const noexcept { return h_.active; }
    /// Whether this halo exchanges nothing (default-constructed or moved from).
    [[nodiscard]] bool is_null() const noexcept { return h_.comm == MPI_COMM_NULL; }
    /// Number of dimensions of the array (= of the grid).
    [[nodiscard]] int ndims() const noexcept { return static_cast<int>(extents_.size()); }
    /// Extent of the array (ghost layers included) along dimension `d`.
    [[nodiscard]] int extent(int d) const { return extents_.at(static_cast<std::size_t>(d)); }
    /// Ghost width along dimension `d`.
    [[nodiscard]] int width(int d) const { return widths_.at(static_cast<std::size_t>(d)); }
    /// Which neighbours are reached: faces only (star) or also edges and corners (box).
    [[nodiscard]] stencil shape() const noexcept { return shape_; }
    /// Number of ghost regions filled per exchange: one per neighbour that is not proc_null (open
    /// boundaries take none). Each is one MPI message, or a local copy when the neighbour is this process.
    [[nodiscard]] std::size_t messages() const noexcept { return h_.requests.size() / 2 + self_regions_; }

private:
    [[noreturn, MPIXX_COLD]] void throw_not_startable() const {
        detail::throw_usage("mpixx::halo::start", MPI_ERR_REQUEST,
                            h_.active ? "an exchange is already in flight (wait() for it first)"
                                      : "the halo is empty (default-constructed or moved from)");
    }

    /// Checks the arguments on this rank; an error class (and text in `why`) or 0.
    static int check_args(int nd, const void* data, std::size_t elem_bytes, const std::vector<int>& ext,
                          std::vector<int>& w, const detail::halo_ints& widths, std::string& why) {
        if (static_cast<int>(ext.size()) != nd) {
            why = "the array has " + std::to_string(ext.size()) + " dimensions but the grid has " + std::to_string(nd);
            return MPI_ERR_DIMS;
        }
        if (widths.uniform()) w.assign(ext.size(), widths.values()[0]);
        else w = widths.values();
        if (w.size() != ext.size()) {
            why = "ghost widths " + detail::halo_list(w) + " give " + std::to_string(w.size()) +
                  " dimensions; the array has " + std::to_string(ext.size()) + " (give one width, or one per dimension)";
            return MPI_ERR_ARG;
        }
        for (std::size_t d = 0; d < ext.size(); ++d) {
            if (w[d] < 0) {
                why = "ghost width " + std::to_string(w[d]) + " along dimension " + std::to_string(d) + " is negative (or too large)";
                return MPI_ERR_ARG;
            }
            const long long need = std::max(3LL * w[d], 2LL * w[d] + 1); // long long: 3 * w may exceed INT_MAX
            if (ext[d] < 0 || ext[d] < need) {
                why = "extent " + std::to_string(ext[d]) + " along dimension " + std::to_string(d) +
                      " is too small for ghost width " + std::to_string(w[d]) + ": the array needs 2 * " +
                      std::to_string(w[d]) + " ghost layers and at least max(1, " + std::to_string(w[d]) +
                      ") owned ones (a neighbour's ghost layers are owned cells here), so an extent >= " +
                      std::to_string(need) + " (extents " + detail::halo_list(ext) + ")";
                return MPI_ERR_ARG;
            }
        }
        // The array's bytes must be addressable: byte strides and offsets below are plain products.
        auto bytes = static_cast<long long>(elem_bytes);
        for (int e : ext)
            if (__builtin_mul_overflow(bytes, static_cast<long long>(e), &bytes)) [[unlikely]] {
                why = "extents " + detail::halo_list(ext) + " make an array larger than memory can hold";
                return MPI_ERR_COUNT;
            }
        if (data == nullptr) {
            why = "the array's memory is a null pointer";
            return MPI_ERR_BUFFER;
        }
        return 0;
    }

    /// Agreement over `comm`: the largest error class any rank found (0: none), and whether every
    /// rank asked for the same stencil.
    static int agree(MPI_Comm comm, int bad, stencil shape, bool& same_shape) {
        bool unused = true;
        return agree(comm, bad, shape, same_shape, nullptr, 0, unused);
    }
    /// As above, and whether every rank has ghost width 0 along the same dimensions (`w`: this rank's
    /// widths, null when its arguments are bad; `nd` entries). Max of x and of -x per entry: equal
    /// everywhere iff max(x) == -max(-x). One MPI_Allreduce.
    static int agree(MPI_Comm comm, int bad, stencil shape, bool& same_shape, const std::vector<int>* w, int nd,
                     bool& same_zeros) {
        const auto n = 3 + 2 * static_cast<std::size_t>(nd);
        std::vector<int> in(n, 0), out(n, 0);
        in[0] = bad, in[1] = static_cast<int>(shape), in[2] = -static_cast<int>(shape);
        for (std::size_t d = 0; w != nullptr && d < w->size() && 3 + 2 * d < n; ++d) {
            in[3 + 2 * d] = (*w)[d] == 0 ? 1 : 0;
            in[4 + 2 * d] = -in[3 + 2 * d];
        }
        MPIXX_WATCHED_CALL(detail::hang_comm_site(comm), MPI_Allreduce, in.data(), out.data(), static_cast<int>(n),
                           MPI_INT, MPI_MAX, comm);
        same_shape = out[1] == -out[2];
        same_zeros = true;
        for (std::size_t k = 3; k + 1 < n; k += 2) same_zeros = same_zeros && out[k] == -out[k + 1];
        return out[0];
    }

    /// Ghost regions of one shape filled from this process's own owned cells (a periodic dimension of
    /// 1 process): copied together, row by row, so that each row's cache lines are touched once (the
    /// left and right ghost columns of a 2D array share their rows' lines).
    struct self_copy {
        std::vector<int> subsizes;          // the regions' extents
        std::vector<std::ptrdiff_t> offsets; // pairs: byte offsets of a source region and its ghost region
    };

    /// For `rows` rows `stride` bytes apart, copies B bytes (or `bytes` when B is 0) of each region pair.
    template <std::size_t B>
    static void copy_rows(std::byte* base, const std::vector<std::ptrdiff_t>& pairs, std::ptrdiff_t off,
                          std::size_t rows, std::ptrdiff_t stride, std::size_t bytes) noexcept {
        const std::ptrdiff_t* pp = pairs.data(); // locals: the copies below may alias anything in memory
        const std::size_t n = pairs.size();
        const std::size_t len = B ? B : bytes;
        if (n == 4) { // two regions of one shape (the two sides of a dimension): the usual case
            std::byte *t0 = base + pp[1] + off, *t1 = base + pp[3] + off;
            const std::byte *f0 = base + pp[0] + off, *f1 = base + pp[2] + off;
            for (std::size_t k = 0; k < rows; ++k) {
                std::memcpy(t0, f0, len);
                std::memcpy(t1, f1, len);
                t0 += stride, t1 += stride, f0 += stride, f1 += stride;
            }
            return;
        }
        for (std::size_t k = 0; k < rows; ++k, off += stride)
            for (std::size_t p = 0; p < n; p += 2) std::memcpy(base + pp[p + 1] + off, base + pp[p] + off, len);
    }

    /// Copies a group of regions: contiguous runs (the innermost dimension), the rows of the
    /// second-innermost dimension in one tight loop, the outer dimensions by an odometer.
    void copy_region(const self_copy& c) const noexcept {
        const std::size_t nd = c.subsizes.size();
        const std::size_t run = static_cast<std::size_t>(c.subsizes[nd - 1]) * elem_bytes_;
        const auto rows = nd == 1 ? std::size_t{1} : static_cast<std::size_t>(c.subsizes[nd - 2]);
        const std::ptrdiff_t row_stride = nd == 1 ? 0 : byte_strides_[nd - 2];
        std::size_t outer = 1;
        for (std::size_t d = 0; d + 2 < nd; ++d) outer *= static_cast<std::size_t>(c.subsizes[d]);
        int idx[8] = {}; // odometer over dimensions 0 .. nd - 3 (build copies locally only up to 9 dimensions)
        std::ptrdiff_t off = 0;
        for (std::size_t k = 0; k < outer; ++k) {
            switch (run) {
            case 4: copy_rows<4>(base_, c.offsets, off, rows, row_stride, run); break;
            case 8: copy_rows<8>(base_, c.offsets, off, rows, row_stride, run); break;
            case 16: copy_rows<16>(base_, c.offsets, off, rows, row_stride, run); break;
            default: copy_rows<0>(base_, c.offsets, off, rows, row_stride, run); break;
            }
            for (std::size_t d = nd < 2 ? 0 : nd - 2; d-- > 0;) { // next outer index; off follows it
                off += byte_strides_[d];
                if (++idx[d] < c.subsizes[d]) break;
                off -= byte_strides_[d] * c.subsizes[d];
                idx[d] = 0;
            }
        }
    }

    void build(const detail::comm_base& grid, void* data, MPI_Datatype elem, std::size_t elem_bytes, std::vector<int> ext,
               const detail::halo_ints& widths, stencil shape, int bad, std::string why) {
        const MPI_Comm g = grid.native();
        if (g == MPI_COMM_NULL) [[unlikely]]
            detail::throw_halo(MPI_ERR_COMM, "the grid is a null communicator (a process left out of the grid)");
        int topo = MPI_UNDEFINED;
        MPIXX_CALL(MPI_Topo_test, g, &topo);
        if (topo != MPI_CART) [[unlikely]]
            detail::throw_halo(MPI_ERR_TOPOLOGY, "the communicator has no Cartesian topology (make the grid with "
                                                 "mpixx::cart_create)");
        int nd = 0;
        MPIXX_CALL(MPI_Cartdim_get, g, &nd);
        std::vector<int> dims(static_cast<std::size_t>(nd)), periods(dims.size()), coords(dims.size()), w;
        if (nd > 0) MPIXX_CALL(MPI_Cart_get, g, nd, dims.data(), periods.data(), coords.data());

        // 1. Every rank checks its own arguments; all agree before any handle exists.
        if (bad == 0) bad = check_args(nd, data, elem_bytes, ext, w, widths, why);
        bool same_shape = true, same_zeros = true;
        detail::settle_collectives(g); // checked mode: pending non-blocking collectives on the grid go first
        const int any_bad = agree(g, bad, shape, same_shape, bad == 0 ? &w : nullptr, nd, same_zeros);
        if (bad != 0) [[unlikely]]
            detail::throw_halo(bad, why);
        if (any_bad != 0) [[unlikely]]
            detail::throw_halo(any_bad, "another rank of the grid passed invalid arguments (it throws the details)");
        if (!same_shape) [[unlikely]]
            detail::throw_halo(MPI_ERR_ARG, "the ranks of the grid asked for different stencils (star and box)");
        if (!same_zeros) [[unlikely]] // else neighbours would disagree on who talks to whom (a hang)
            detail::throw_halo(MPI_ERR_ARG, "the ranks of the grid differ in which dimensions have ghost width 0 "
                                            "(this rank: " + detail::halo_list(w) + ")");

        // 2. A private message space: the exchange's tags can never match the user's messages.
        MPIXX_WATCHED_CALL(detail::hang_comm_site(g), MPI_Comm_dup, g, &h_.comm);
        const auto dirs = detail::halo_directions(h_.comm, dims, periods, coords, w, shape);

        // 3. Neighbours compare shapes: along a dimension where they are side by side their owned
        //    extents must be equal, and the widths everywhere.
        check_neighbours(dirs, ext, w);

        // 4. A neighbour that is this process: a direct copy from owned into ghost cells, at start()
        //    (MPICH's datatype path for a message to oneself was 5x slower than the copy it makes).
        base_ = static_cast<std::byte*>(data);
        elem_bytes_ = elem_bytes;
        byte_strides_.assign(ext.size(), static_cast<std::ptrdiff_t>(elem_bytes));
        for (std::size_t d = ext.size(); d-- > 1;) byte_strides_[d - 1] = byte_strides_[d] * ext[d];
        std::vector<int> sizes = ext, sub, start, sub2, start2;
        const bool can_copy = nd >= 1 && nd <= 9;
        for (const auto& dir : dirs) {
            if (dir.rank != grid.rank() || !can_copy) continue;
            detail::halo_region(ext, w, dir.offset, true, sub, start);
            std::vector<int> back(dir.offset); // what this process sends towards o fills its ghosts on side -o
            for (int& x : back) x = -x;
            detail::halo_region(ext, w, back, false, sub2, start2);
            std::ptrdiff_t from = 0, to = 0;
            for (std::size_t d = 0; d < ext.size(); ++d) {
                from += start[d] * byte_strides_[d];
                to += start2[d] * byte_strides_[d];
            }
            auto same = copies_.begin();
            while (same != copies_.end() && same->subsizes != sub) ++same;
            if (same == copies_.end()) same = copies_.insert(copies_.end(), self_copy{sub, {}});
            same->offsets.push_back(from);
            same->offsets.push_back(to);
            ++self_regions_;
        }

        // 5. One send and one receive persistent request per other neighbour (none for proc_null): on
        //    a subarray datatype, or on (pointer, count, element type) when the region is one contiguous
        //    run (the rows of a 2D array: MPICH takes its contiguous fast path only for the latter).
        for (bool send : {false, true}) {
            for (const auto& dir : dirs) {
                if (dir.rank == MPI_PROC_NULL || (dir.rank == grid.rank() && can_copy)) continue;
                detail::halo_region(ext, w, dir.offset, send, sub, start);
                void* at = data;
                int count = 1;
                MPI_Datatype t = elem;
                if (std::size_t run = detail::halo_contiguous(ext, sub); run != 0 && run <= INT_MAX) {
                    std::ptrdiff_t off = 0;
                    for (std::size_t d = 0; d < ext.size(); ++d) off += start[d] * byte_strides_[d];
                    at = static_cast<std::byte*>(data) + off;
                    count = static_cast<int>(run);
                } else {
                    MPIXX_CALL(MPI_Type_create_subarray, nd, sizes.data(), sub.data(), start.data(), MPI_ORDER_C, elem,
                               &t);
                    h_.types.push_back(t);
                    MPIXX_CALL(MPI_Type_commit, &h_.types.back());
                }
                MPI_Request r = MPI_REQUEST_NULL;
                if (send)
                    MPIXX_CALL(MPI_Send_init, at, count, t, dir.rank, detail::halo_tag(dir.offset, 1), h_.comm, &r);
                else
                    MPIXX_CALL(MPI_Recv_init, at, count, t, dir.rank, detail::halo_tag(dir.offset, -1), h_.comm, &r);
                h_.requests.push_back(r);
            }
        }
        extents_ = std::move(ext);
        widths_ = std::move(w);
        shape_ = shape;
    }

    /// Sends this rank's shape to every neighbour and checks theirs; all ranks agree on the verdict.
    void check_neighbours(const std::vector<detail::halo_direction>& dirs, const std::vector<int>& ext,
                          const std::vector<int>& w) {
        const std::size_t nd = ext.size();
        std::vector<int> mine(2 * nd), theirs(2 * nd * dirs.size());
        for (std::size_t d = 0; d < nd; ++d) mine[d] = ext[d] - 2 * w[d], mine[nd + d] = w[d];
        std::vector<MPI_Request> reqs;
        reqs.reserve(2 * dirs.size());
        int rc = MPI_SUCCESS;
        const char* failed = "MPI_Waitall";
        for (std::size_t i = 0; i < dirs.size() && rc == MPI_SUCCESS; ++i) {
            if (dirs[i].rank == MPI_PROC_NULL) continue;
            reqs.push_back(MPI_REQUEST_NULL);
            rc = MPI_Irecv(theirs.data() + 2 * nd * i, static_cast<int>(2 * nd), MPI_INT, dirs[i].rank,
                           detail::halo_tag(dirs[i].offset, -1), h_.comm, &reqs.back());
            failed = "MPI_Irecv";
            if (rc != MPI_SUCCESS) break;
            reqs.push_back(MPI_REQUEST_NULL);
            rc = MPI_Isend(mine.data(), static_cast<int>(2 * nd), MPI_INT, dirs[i].rank,
                           detail::halo_tag(dirs[i].offset, 1), h_.comm, &reqs.back());
            failed = "MPI_Isend";
        }
        // Completes what was posted even after a failure (the buffers are local).
        const int wrc = MPIXX_WATCHED(detail::hang_halo_site(nullptr, h_.comm, reqs.size()), MPI_Waitall,
                                      static_cast<int>(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE);
        if (rc == MPI_SUCCESS) rc = wrc, failed = "MPI_Waitall";
        detail::check(rc, failed);
        int bad = 0;
        std::string why;
        for (std::size_t i = 0; i < dirs.size() && bad == 0; ++i) {
            if (dirs[i].rank == MPI_PROC_NULL) continue;
            const int* t = theirs.data() + 2 * nd * i;
            for (std::size_t d = 0; d < nd && bad == 0; ++d) {
                if ((dirs[i].offset[d] == 0 && t[d] != mine[d]) || t[nd + d] != mine[nd + d]) [[unlikely]] {
                    bad = MPI_ERR_ARG;
                    why = "the neighbour in direction " + detail::halo_list(dirs[i].offset) + " (rank " +
                          std::to_string(dirs[i].rank) + ") has owned extents " +
                          detail::halo_list(std::vector<int>(t, t + nd)) + " and ghost widths " +
                          detail::halo_list(std::vector<int>(t + nd, t + 2 * nd)) + "; this rank has " +
                          detail::halo_list(std::vector<int>(mine.begin(), mine.begin() + static_cast<long>(nd))) +
                          " and " + detail::halo_list(w) +
                          " (side by side, owned extents must match along the shared dimensions)";
                }
            }
        }
        bool same = true;
        const int any_bad = agree(h_.comm, bad, stencil::star, same);
        if (bad != 0) [[unlikely]]
            detail::throw_halo(bad, why);
        if (any_bad != 0) [[unlikely]]
            detail::throw_halo(any_bad, "the arrays of two other neighbouring ranks do not fit each other (they throw the details)");
    }

    detail::halo_handles h_;
    std::vector<self_copy> copies_;
    std::size_t self_regions_ = 0;
    std::byte* base_ = nullptr;
    std::size_t elem_bytes_ = 0;
    std::vector<std::ptrdiff_t> byte_strides_;
    std::vector<int> extents_, widths_;
    stencil shape_ = stencil::star;
};

} // namespace mpixx

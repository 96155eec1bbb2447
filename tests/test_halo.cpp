// Tests of mpixx::halo (halo.hpp) at 1-4 ranks: every ghost cell of 1D/2D/3D arrays checked against the
// owned value of the neighbour it comes from (owned cells hold a function of their GLOBAL coordinates),
// ghost widths 1, 2 and per dimension (0 included), periodic, open and mixed boundaries, stencil::star and
// stencil::box, uneven block decompositions, repeated exchanges (persistent requests send the current
// values), start()/test()/wait() overlapping computation, every input form (pointer, container, md
// array), bad input on one rank or all, and no datatype, request or communicator leaked (PMPI counts).
#include "mpixx_test.hpp"

#include "error_class.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/halo.hpp>
#include <mpixx/md_view.hpp>
#include <mpixx/topology.hpp>

#include <array>
#include <cstddef>
#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

using mpixx_test::error_class_of;

// ---- PMPI interposition: live datatypes, persistent requests and communicators ----------------------
namespace {
int live_types = 0;
int live_persistent = 0;
int live_comms = 0;
} // namespace

extern "C" {
int MPI_Type_create_subarray(int nd, const int sizes[], const int subsizes[], const int starts[], int order,
                             MPI_Datatype old, MPI_Datatype* out) {
    const int rc = PMPI_Type_create_subarray(nd, sizes, subsizes, starts, order, old, out);
    if (rc == MPI_SUCCESS) ++live_types;
    return rc;
}
int MPI_Type_vector(int count, int len, int stride, MPI_Datatype old, MPI_Datatype* out) {
    const int rc = PMPI_Type_vector(count, len, stride, old, out);
    if (rc == MPI_SUCCESS) ++live_types;
    return rc;
}
int MPI_Type_create_hvector(int count, int len, MPI_Aint stride, MPI_Datatype old, MPI_Datatype* out) {
    const int rc = PMPI_Type_create_hvector(count, len, stride, old, out);
    if (rc == MPI_SUCCESS) ++live_types;
    return rc;
}
int MPI_Type_contiguous(int count, MPI_Datatype old, MPI_Datatype* out) {
    const int rc = PMPI_Type_contiguous(count, old, out);
    if (rc == MPI_SUCCESS) ++live_types;
    return rc;
}
int MPI_Type_create_resized(MPI_Datatype t, MPI_Aint lb, MPI_Aint extent, MPI_Datatype* out) {
    const int rc = PMPI_Type_create_resized(t, lb, extent, out);
    if (rc == MPI_SUCCESS) ++live_types;
    return rc;
}
int MPI_Type_dup(MPI_Datatype t, MPI_Datatype* out) {
    const int rc = PMPI_Type_dup(t, out);
    if (rc == MPI_SUCCESS) ++live_types;
    return rc;
}
int MPI_Type_free(MPI_Datatype* t) {
    const int rc = PMPI_Type_free(t);
    if (rc == MPI_SUCCESS) --live_types;
    return rc;
}
int MPI_Send_init(const void* buf, int count, MPI_Datatype t, int dest, int tag, MPI_Comm comm, MPI_Request* r) {
    const int rc = PMPI_Send_init(buf, count, t, dest, tag, comm, r);
    if (rc == MPI_SUCCESS) ++live_persistent;
    return rc;
}
int MPI_Recv_init(void* buf, int count, MPI_Datatype t, int source, int tag, MPI_Comm comm, MPI_Request* r) {
    const int rc = PMPI_Recv_init(buf, count, t, source, tag, comm, r);
    if (rc == MPI_SUCCESS) ++live_persistent;
    return rc;
}
int MPI_Request_free(MPI_Request* r) {
    const int rc = PMPI_Request_free(r);
    if (rc == MPI_SUCCESS) --live_persistent; // only persistent requests are freed in this program
    return rc;
}
int MPI_Comm_dup(MPI_Comm comm, MPI_Comm* out) {
    const int rc = PMPI_Comm_dup(comm, out);
    if (rc == MPI_SUCCESS) ++live_comms;
    return rc;
}
int MPI_Cart_create(MPI_Comm comm, int nd, const int dims[], const int periods[], int reorder, MPI_Comm* out) {
    const int rc = PMPI_Cart_create(comm, nd, dims, periods, reorder, out);
    if (rc == MPI_SUCCESS && *out != MPI_COMM_NULL) ++live_comms;
    return rc;
}
int MPI_Comm_free(MPI_Comm* comm) {
    const int rc = PMPI_Comm_free(comm);
    if (rc == MPI_SUCCESS) --live_comms;
    return rc;
}
}

namespace {

struct live_counts {
    int types = live_types, persistent = live_persistent, comms = live_comms;
    bool operator==(const live_counts&) const = default;
};

std::ostream& operator<<(std::ostream& os, const live_counts& c) {
    return os << "{types " << c.types << ", persistent requests " << c.persistent << ", comms " << c.comms << "}";
}

constexpr double sentinel = -1.0;

/// A block decomposition of a global grid: owned cells per process along each dimension (uneven:
/// the first `n % p` processes get one more) and the first global index this process owns.
struct block {
    std::vector<int> global, owned, first;
};

block decompose(const mpixx::cart_communicator& grid, const std::vector<int>& global) {
    block b{global, {}, {}};
    for (std::size_t d = 0; d < global.size(); ++d) {
        const int p = grid.dims()[d], c = grid.coords()[d], n = global[d];
        b.owned.push_back(n / p + (c < n % p ? 1 : 0));
        b.first.push_back(c * (n / p) + std::min(c, n % p));
    }
    return b;
}

/// The value owned cell `g` (global coordinates) holds in exchange round `round`.
double value_at(const std::vector<int>& g, int round) {
    double v = 1 + 1e6 * round, scale = 1;
    for (int x : g) v += x * scale, scale *= 100;
    return v;
}

/// Calls f(local index, flat offset) for every cell of an array of `ext` (C order).
void for_each_cell(const std::vector<int>& ext, const std::function<void(const std::vector<int>&, std::size_t)>& f) {
    std::size_t total = 1;
    for (int e : ext) total *= static_cast<std::size_t>(e);
    std::vector<int> i(ext.size(), 0);
    for (std::size_t flat = 0; flat < total; ++flat) {
        f(i, flat);
        for (std::size_t d = ext.size(); d-- > 0;) {
            if (++i[d] < ext[d]) break;
            i[d] = 0;
        }
    }
}

/// What cell `i` of this process's array must hold after an exchange: owned cells their value; a
/// ghost cell the value of the global cell it mirrors (wrapped across periodic boundaries), unless it
/// lies past an open boundary or (stencil::star) is a ghost along 2+ dimensions: then the sentinel.
double expected(const block& b, const std::vector<int>& w, const std::vector<bool>& periodic, mpixx::stencil shape,
                const std::vector<int>& i, int round) {
    std::vector<int> g(i.size());
    int ghost_dims = 0;
    for (std::size_t d = 0; d < i.size(); ++d) {
        if (i[d] < w[d] || i[d] >= w[d] + b.owned[d]) ++ghost_dims;
        g[d] = b.first[d] + i[d] - w[d];
        if (g[d] < 0 || g[d] >= b.global[d]) {
            if (!periodic[d]) return sentinel;
            g[d] = (g[d] + b.global[d]) % b.global[d];
        }
    }
    if (ghost_dims >= 2 && shape == mpixx::stencil::star) return sentinel;
    return value_at(g, round);
}

/// One full check: a grid of `dims_n` dimensions over world, a global array sized so that every process
/// owns >= w cells (uneven), several exchanges in a row, each checked cell by cell.
template <class T = double>
void check_halo(int nd, std::vector<int> w, const std::vector<bool>& periodic, mpixx::stencil shape, int rounds = 2) {
    const auto world = mpixx::world();
    const auto grid = mpixx::cart_create(world, mpixx::dims_create(world.size(), nd), periodic);
    std::vector<int> global;
    for (int d = 0; d < nd; ++d) // >= w + 1 owned cells per process, + d leftover cells (uneven split)
        global.push_back(grid.dims()[static_cast<std::size_t>(d)] * (std::max(w[static_cast<std::size_t>(d)], 1) + 1) + d);
    const block b = decompose(grid, global);
    std::vector<int> ext(static_cast<std::size_t>(nd));
    std::size_t total = 1;
    for (std::size_t d = 0; d < ext.size(); ++d) total *= static_cast<std::size_t>(ext[d] = b.owned[d] + 2 * w[d]);
    std::vector<T> a(total, static_cast<T>(sentinel));

    mpixx::halo h(grid, a, ext, w, shape);
    CHECK(h.ndims() == nd);
    CHECK(h.shape() == shape);
    for (int d = 0; d < nd; ++d) CHECK(h.width(d) == w[static_cast<std::size_t>(d)]);
    for (int round = 0; round < rounds; ++round) {
        std::size_t bad = 0;
        for_each_cell(ext, [&](const std::vector<int>& i, std::size_t flat) {
            bool owned = true;
            for (std::size_t d = 0; d < i.size(); ++d) owned = owned && i[d] >= w[d] && i[d] < w[d] + b.owned[d];
            if (owned) {
                std::vector<int> g(i.size());
                for (std::size_t d = 0; d < i.size(); ++d) g[d] = b.first[d] + i[d] - w[d];
                a[flat] = static_cast<T>(value_at(g, round));
            }
        });
        if (round % 2 == 0) {
            h.exchange();
        } else {
            h.start();
            CHECK(h.active());
            while (!h.test()) {
            }
            CHECK_FALSE(h.active());
        }
        for_each_cell(ext, [&](const std::vector<int>& i, std::size_t flat) {
            const auto want = static_cast<T>(expected(b, w, periodic, shape, i, round));
            if (a[flat] != want && bad++ < 5) {
                std::string at;
                for (int x : i) at += std::to_string(x) + " ";
                FAIL_CHECK("rank " << world.rank() << " nd " << nd << " cell [ " << at << "] holds " << a[flat]
                                   << ", expected " << want);
            }
        });
        CHECK(bad == 0);
    }
}

/// A minimal md array with std::mdspan's shape (data_handle, rank, extent, stride).
template <class T, std::size_t N>
struct small_md {
    T* p;
    std::array<int, N> e;
    [[nodiscard]] T* data_handle() const { return p; }
    static constexpr std::size_t rank() { return N; }
    [[nodiscard]] std::size_t extent(std::size_t r) const { return static_cast<std::size_t>(e[r]); }
    [[nodiscard]] std::size_t stride(std::size_t r) const { // C order; layout_left when transposed
        std::size_t s = 1;
        for (std::size_t k = transposed ? 0 : r + 1; k < (transposed ? r : N); ++k) s *= static_cast<std::size_t>(e[k]);
        return s;
    }
    bool transposed = false;
};

} // namespace

TEST_CASE("halo: every ghost cell, 1D/2D/3D, w 1 and 2, periodic/open/mixed, star and box") {
    const live_counts before;
    for (int nd = 1; nd <= 3; ++nd)
        for (int w : {1, 2})
            for (int pattern = 0; pattern < 3; ++pattern)
                for (auto shape : {mpixx::stencil::star, mpixx::stencil::box}) {
                    std::vector<bool> periodic(static_cast<std::size_t>(nd));
                    for (std::size_t d = 0; d < periodic.size(); ++d)
                        periodic[d] = pattern == 1 || (pattern == 2 && d % 2 == 0);
                    INFO("nd " << nd << " w " << w << " periodic pattern " << pattern << " box "
                               << (shape == mpixx::stencil::box));
                    check_halo(nd, std::vector<int>(static_cast<std::size_t>(nd), w), periodic, shape);
                }
    CHECK(live_counts() == before);
}

TEST_CASE("halo: per-dimension widths (0 included), int elements, more rounds") {
    const live_counts before;
    check_halo(2, {1, 2}, {true, false}, mpixx::stencil::box, 3);
    check_halo(2, {2, 1}, {false, true}, mpixx::stencil::star, 3);
    check_halo(3, {2, 1, 1}, {true, true, false}, mpixx::stencil::box);
    check_halo(3, {1, 0, 2}, {true, false, true}, mpixx::stencil::box);
    check_halo(2, {0, 1}, {true, true}, mpixx::stencil::star);
    check_halo<int>(2, {1, 1}, {true, true}, mpixx::stencil::box, 3);
    check_halo<float>(3, {1, 1, 1}, {false, true, false}, mpixx::stencil::star);
    CHECK(live_counts() == before);
}

TEST_CASE("halo: number of messages follows the grid and the stencil") {
    const auto world = mpixx::world();
    // Periodic 2D: 4 faces, 8 with corners, whatever the rank count (possibly all to itself).
    const auto grid = mpixx::cart_create(world, mpixx::dims_create(world.size(), 2), true);
    std::vector<double> a(6 * 7, 0.0);
    CHECK(mpixx::halo(grid, a, {6, 7}, 1).messages() == 4);
    CHECK(mpixx::halo(grid, a, {6, 7}, 1, mpixx::stencil::box).messages() == 8);
    // Open 1D: proc_null neighbours take no message.
    const auto line = mpixx::cart_create(world, {world.size()}, false);
    std::vector<double> l(5, 0.0);
    const std::size_t want = (line.coords()[0] > 0 ? 1u : 0u) + (line.coords()[0] + 1 < world.size() ? 1u : 0u);
    CHECK(mpixx::halo(line, l, {5}, 1).messages() == want);
    // 3D box, periodic: 26 neighbours.
    const auto cube = mpixx::cart_create(world, mpixx::dims_create(world.size(), 3), true);
    std::vector<double> c(3 * 3 * 3, 0.0);
    CHECK(mpixx::halo(cube, c, {3, 3, 3}, 1, mpixx::stencil::box).messages() == 26);
}

TEST_CASE("halo: start() / wait() overlap interior computation; the exchange is restartable") {
    const auto world = mpixx::world();
    const live_counts before;
    {
        const auto grid = mpixx::cart_create(world, {world.size()}, true);
        const int n = 64, me = grid.coords()[0], p = world.size();
        // Two arrays (Jacobi style: read one, write the other) and one halo each.
        std::vector<double> u(n + 2), v(n + 2);
        for (int i = 1; i <= n; ++i) u[static_cast<std::size_t>(i)] = me * n + i - 1;
        mpixx::halo hu(grid, u.data(), {n + 2}, 1), hv(grid, v.data(), {n + 2}, 1);
        const double left_last = ((me - 1 + p) % p) * n + n - 1, right_first = ((me + 1) % p) * n;
        for (int step = 0; step < 3; ++step) { // owned cells of the array read at step s hold g + s
            auto& src = step % 2 ? v : u;
            auto& dst = step % 2 ? u : v;
            auto& h = step % 2 ? hv : hu;
            h.start();
            CHECK(h.active());
            CHECK(error_class_of([&] { h.start(); }) == MPI_ERR_REQUEST); // one exchange at a time
            for (int i = 2; i < n; ++i) // the interior needs no ghost: computed while messages fly
                dst[static_cast<std::size_t>(i)] = src[static_cast<std::size_t>(i)] + 1;
            h.wait();
            CHECK_FALSE(h.active());
            h.wait(); // not in flight: returns at once
            CHECK(src[0] == left_last + step);
            CHECK(src[static_cast<std::size_t>(n + 1)] == right_first + step);
            dst[1] = src[1] + 1; // the cells next to the ghosts, after wait()
            dst[static_cast<std::size_t>(n)] = src[static_cast<std::size_t>(n)] + 1;
        }
        hv.exchange(); // v holds g + 3
        CHECK(v[0] == left_last + 3);
        CHECK(v[static_cast<std::size_t>(n + 1)] == right_first + 3);

        // Moving keeps the requests (bound to the memory, not to the halo object).
        mpixx::halo moved(std::move(hu));
        CHECK(hu.is_null());
        CHECK(error_class_of([&] { hu.start(); }) == MPI_ERR_REQUEST);
        CHECK(hu.test());
        u[1] = -5; // u holds g + 2
        moved.exchange();
        CHECK(u[static_cast<std::size_t>(n + 1)] == -5); // the right neighbour's u[1]
        CHECK(u[0] == left_last + 2);
        hu = std::move(moved);
        hu.start(); // destroyed while in flight below: the destructor waits
        CHECK(mpixx::halo().is_null());
    }
    CHECK(live_counts() == before);
}

TEST_CASE("halo: md arrays (std::mdspan's shape) and raw pointers") {
    const auto world = mpixx::world();
    const auto grid = mpixx::cart_create(world, mpixx::dims_create(world.size(), 2), true);
    std::vector<int> a(5 * 6, -1);
    // Owned cells (1..3, 1..4) hold rank * 100 + k.
    for (int i = 1; i <= 3; ++i)
        for (int j = 1; j <= 4; ++j) a[static_cast<std::size_t>(i * 6 + j)] = world.rank() * 100 + i * 10 + j;
    small_md<int, 2> md{a.data(), {5, 6}};
    mpixx::halo h(grid, md, 1, mpixx::stencil::box);
    h.exchange();
    // The top-left ghost corner comes from the up-left neighbour's bottom-right owned cell (3, 4).
    const auto& c = grid.coords();
    const int ul = grid.rank_of({c[0] - 1, c[1] - 1});
    CHECK(a[0] == ul * 100 + 34);
    const int down = grid.rank_of({c[0] + 1, c[1]});
    CHECK(a[static_cast<std::size_t>(4 * 6 + 2)] == down * 100 + 12); // bottom ghost row from its row 1

    mpixx::halo p(grid, a.data(), {5, 6}, {1, 1});
    p.exchange();
    CHECK(a[static_cast<std::size_t>(4 * 6 + 2)] == down * 100 + 12);

    // mpixx::md_view (md_view.hpp) is such an array; a padded (strided) one is refused.
    std::vector<int> m(5 * 6, -1);
    for (int i = 1; i <= 3; ++i)
        for (int j = 1; j <= 4; ++j) m[static_cast<std::size_t>(i * 6 + j)] = world.rank() * 100 + i * 10 + j;
    mpixx::md_view<int, 2> view(m.data(), {5, 6});
    mpixx::halo hv(grid, view, 1, mpixx::stencil::box);
    hv.exchange();
    CHECK(m[0] == ul * 100 + 34);
    CHECK(m == a);
    mpixx::md_view<int, 2> padded(m.data(), {5, 5}, {6, 1});
    CHECK(error_class_of([&] { mpixx::halo(grid, padded, 1); }) == MPI_ERR_ARG);
}

TEST_CASE("halo: bad input is an mpixx::error on every rank, before any handle leaks") {
    const auto world = mpixx::world();
    const auto grid = mpixx::cart_create(world, mpixx::dims_create(world.size(), 2), false);
    const auto column = mpixx::cart_create(world, {world.size(), 1}, {false, true});
    const auto one = mpixx::cart_create(world, {1}, false, false, mpixx::partial_grid);
    const live_counts before;
    std::vector<double> a(6 * 6, 0.0);
    // The array's rank must be the grid's.
    CHECK(error_class_of([&] { mpixx::halo(grid, a.data(), {6, 3, 2}, 1); }) == MPI_ERR_DIMS);
    CHECK(error_class_of([&] { mpixx::halo(grid, a.data(), {36}, 1); }) == MPI_ERR_DIMS);
    // Too small: 2w ghost layers and >= w owned cells.
    CHECK(error_class_of([&] { mpixx::halo(grid, a.data(), {2, 18}, 1); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { mpixx::halo(grid, a.data(), {6, 6}, 3); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { mpixx::halo(grid, a.data(), {6, 6}, {2, 3}); }) == MPI_ERR_ARG);
    std::vector<double> b(5 * 5);
    CHECK(error_class_of([&] { mpixx::halo(grid, b.data(), {5, 5}, 2); }) == MPI_ERR_ARG); // 5 < 3 * 2
    // Widths: one, or one per dimension; never negative.
    CHECK(error_class_of([&] { mpixx::halo(grid, a.data(), {6, 6}, {1, 1, 1}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { mpixx::halo(grid, a.data(), {6, 6}, -1); }) == MPI_ERR_ARG);
    // A container must hold exactly the extents.
    CHECK(error_class_of([&] { mpixx::halo(grid, a, {6, 5}, 1); }) == MPI_ERR_COUNT);
    // Null memory.
    double* null = nullptr;
    CHECK(error_class_of([&] { mpixx::halo(grid, null, {6, 6}, 1); }) == MPI_ERR_BUFFER);
    // Not a Cartesian communicator.
    CHECK(error_class_of([&] { mpixx::halo(world, a.data(), {6, 6}, 1); }) == MPI_ERR_TOPOLOGY);
    // A non-contiguous md array.
    small_md<double, 2> md{a.data(), {6, 6}, true};
    CHECK(error_class_of([&] { mpixx::halo(grid, md, 1); }) == MPI_ERR_ARG);

    // Bad on ONE rank: every rank throws (no rank is left waiting in the constructor).
    const int cls = error_class_of([&] { mpixx::halo(grid, a.data(), {6, world.rank() == 0 ? 2 : 6}, 1); });
    CHECK(cls == MPI_ERR_ARG);
    // Different stencils on different ranks would leave corner receives unmatched: refused everywhere.
    if (world.size() > 1)
        CHECK(error_class_of([&] {
                  mpixx::halo(grid, a.data(), {6, 6}, 1, world.rank() == 0 ? mpixx::stencil::box : mpixx::stencil::star);
              }) == MPI_ERR_ARG);
    // Neighbours whose faces do not fit (owned extents differ along the shared dimension, or widths):
    // refused on every rank, after the private communicator was made (and freed).
    std::vector<double> c(6 * 9, 0.0);
    const int mismatch = error_class_of([&] { mpixx::halo(column, c.data(), {6, 5 + world.rank()}, 1); });
    CHECK(mismatch == (world.size() > 1 ? MPI_ERR_ARG : MPI_SUCCESS));
    const int wmismatch = error_class_of([&] { mpixx::halo(column, c.data(), {9, 6}, {1 + world.rank() % 2, 1}); });
    CHECK(wmismatch == (world.size() > 1 ? MPI_ERR_ARG : MPI_SUCCESS));
    // A process left out of a partial grid holds a null grid.
    std::vector<double> l(3, 0.0);
    CHECK(error_class_of([&] { mpixx::halo(one, l, {3}, 1); }) == (world.rank() == 0 ? MPI_SUCCESS : MPI_ERR_COMM));
    // The message says what was wrong.
    try {
        mpixx::halo(grid, a.data(), {6, 3, 2}, 1);
        FAIL("no error");
    } catch (const mpixx::error& e) {
        CHECK(e.routine() == "mpixx::halo");
        CHECK(std::string(e.what()).find("3 dimensions but the grid has 2") != std::string::npos);
    }
    CHECK(live_counts() == before);
}

TEST_CASE("halo: overflowing sizes and widths, and ghost widths of 0 on some ranks only, throw on every rank") {
    const auto world = mpixx::world();
    const auto grid3 = mpixx::cart_create(world, mpixx::dims_create(world.size(), 3), true);
    const auto line = mpixx::cart_create(world, {world.size()}, false);
    const auto row = mpixx::cart_create(world, {1, world.size()}, false);
    const live_counts before;
    std::vector<int> four(4, 0);
    // 4194304^3 elements wrap a 64-bit product (to 0): an empty span must not pass for that array.
    const std::span<int> none(four.data(), 0);
    CHECK(error_class_of([&] { mpixx::halo(grid3, none, {4194304, 4194304, 4194304}, 1); }) == MPI_ERR_COUNT);
    // The same extents through a pointer or an md array: no memory holds that many bytes.
    CHECK(error_class_of([&] { mpixx::halo(grid3, four.data(), {4194304, 4194304, 4194304}, 1); }) == MPI_ERR_COUNT);
    small_md<int, 3> huge{four.data(), {4194304, 4194304, 4194304}};
    CHECK(error_class_of([&] { mpixx::halo(grid3, huge, 1); }) == MPI_ERR_COUNT);
    // Width w with 3 * w above INT_MAX: extent 2w + 1 leaves 1 owned cell (< w); refused, not wrapped.
    const int w = 715827883;
    CHECK(error_class_of([&] { mpixx::halo(line, four.data(), {2 * w + 1}, w); }) == MPI_ERR_ARG);
    // Ranks that differ in which dimensions have width 0 would not agree on who talks to whom (rank 0
    // would skip dimension 1, its neighbour would wait for it): refused everywhere, no hang.
    std::vector<double> a(6 * 6, 0.0);
    const std::vector<int> widths = world.rank() == 0 ? std::vector<int>{1, 0} : std::vector<int>{1, 1};
    const int cls = error_class_of([&] { mpixx::halo(row, a, {6, 6}, widths).exchange(); });
    CHECK(cls == (world.size() > 1 ? MPI_ERR_ARG : MPI_SUCCESS));
    try {
        mpixx::halo h(row, a, {6, 6}, widths);
        CHECK(world.size() == 1);
    } catch (const mpixx::error& e) {
        CHECK(std::string(e.what()).find("which dimensions have ghost width 0") != std::string::npos);
    }
    CHECK(live_counts() == before);
}

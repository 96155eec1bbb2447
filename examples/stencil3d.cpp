// A 7-point 3D stencil (explicit diffusion) on a 3D process grid with periodic boundaries.
//
// The global grid is NZ x NY x NX = 12 x 16 x 20 cells, periodic in every dimension, starting from
// u(z, y, x) = ((7x + 3y + 5z) mod 11) / 10. Each of the 20 steps does
//   u' = u + 0.1 * (sum of the 6 face neighbours - 6 u)
// The processes form a mpixx::dims_create(size, 3) grid; each owns a block plus one ghost layer, filled
// by mpixx::halo (faces only: a 7-point stencil reads no edge or corner ghost). With 1 or 2 processes
// along a dimension the neighbours on both sides are the same process (or this one): the exchange tells
// the messages apart by direction, and a process that is its own neighbour copies locally.
//
// Each step overlaps: h.start(); inner cells; h.wait(); the cells on the block's faces.
//
// Check: rank 0 gathers the blocks (subarray layouts, no packing) and runs the same steps serially on
// the whole grid: same arithmetic, same order, so the results agree to the last bit. Diffusion with
// periodic boundaries conserves the sum, which is printed with the sum of squares. Output:
//   stencil3d: 12 x 16 x 20 grid, P x Q x R processes, 20 steps
//   stencil3d: sum of u = S, sum of u^2 = Q      (10 decimals each)
//   stencil3d: max |parallel - serial| = 0
//   stencil3d: OK (parallel result equals the serial solve)
#include <fmt/format.h>
#include <mpixx/halo.hpp>
#include <mpixx/md_view.hpp>
#include <mpixx/mpixx.hpp>
#include <mpixx/topology.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace {

constexpr std::array<int, 3> N = {12, 16, 20}; // z, y, x
constexpr int steps = 20;
constexpr double alpha = 0.1;

double initial(int z, int y, int x) { return ((7 * x + 3 * y + 5 * z) % 11) / 10.0; }

/// A row-major 3D array with extents e (ghost layers included), indexed (z, y, x).
struct grid3 {
    std::array<std::size_t, 3> e;
    std::vector<double> a;
    explicit grid3(std::array<std::size_t, 3> ext) : e(ext), a(ext[0] * ext[1] * ext[2], 0.0) {}
    [[nodiscard]] std::size_t at(std::size_t z, std::size_t y, std::size_t x) const { return (z * e[1] + y) * e[2] + x; }
    /// The 7-point update of cell (z, y, x), which must not be a ghost.
    [[nodiscard]] double update(std::size_t z, std::size_t y, std::size_t x) const {
        const std::size_t c = at(z, y, x), sy = e[2], sz = e[1] * e[2];
        const double s = a[c - sz] + a[c + sz] + a[c - sy] + a[c + sy] + a[c - 1] + a[c + 1];
        return a[c] + alpha * (s - 6 * a[c]);
    }
};

/// The serial reference on the whole grid: periodic wrap by copying the opposite faces into a ghost
/// layer before each step (plain loops, independent of mpixx).
grid3 serial_solve() {
    const std::array<std::size_t, 3> e = {N[0] + 2u, N[1] + 2u, N[2] + 2u};
    grid3 u(e), v(e);
    for (int z = 0; z < N[0]; ++z)
        for (int y = 0; y < N[1]; ++y)
            for (int x = 0; x < N[2]; ++x)
                u.a[u.at(static_cast<std::size_t>(z) + 1, static_cast<std::size_t>(y) + 1, static_cast<std::size_t>(x) + 1)] =
                    initial(z, y, x);
    auto wrap = [](std::size_t i, std::size_t n) { return i == 0 ? n : i == n + 1 ? 1 : i; };
    for (int s = 0; s < steps; ++s) {
        for (std::size_t z = 0; z < e[0]; ++z) // faces only: the stencil reads no edge or corner
            for (std::size_t y = 0; y < e[1]; ++y)
                for (std::size_t x = 0; x < e[2]; ++x) {
                    const int outside = (z == 0 || z == e[0] - 1) + (y == 0 || y == e[1] - 1) + (x == 0 || x == e[2] - 1);
                    if (outside == 1)
                        u.a[u.at(z, y, x)] = u.a[u.at(wrap(z, N[0]), wrap(y, N[1]), wrap(x, N[2]))];
                }
        for (std::size_t z = 1; z <= static_cast<std::size_t>(N[0]); ++z)
            for (std::size_t y = 1; y <= static_cast<std::size_t>(N[1]); ++y)
                for (std::size_t x = 1; x <= static_cast<std::size_t>(N[2]); ++x) v.a[v.at(z, y, x)] = u.update(z, y, x);
        std::swap(u, v);
    }
    return u;
}

} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const auto world = mpixx::world();
    const auto grid = mpixx::cart_create(world, mpixx::dims_create(world.size(), 3), true);
    const auto& dims = grid.dims();

    // This process's block along each dimension, and its local arrays with one ghost layer around.
    std::array<mpixx::index_range, 3> blk;
    std::array<std::size_t, 3> ext{};
    for (std::size_t d = 0; d < 3; ++d) {
        blk[d] = mpixx::block_range(static_cast<std::size_t>(N[d]), static_cast<std::size_t>(dims[d]),
                                    static_cast<std::size_t>(grid.coords()[d]));
        ext[d] = blk[d].size() + 2;
    }
    grid3 u(ext), v(ext);
    for (std::size_t z = 1; z + 1 < ext[0]; ++z)
        for (std::size_t y = 1; y + 1 < ext[1]; ++y)
            for (std::size_t x = 1; x + 1 < ext[2]; ++x)
                u.a[u.at(z, y, x)] = initial(static_cast<int>(blk[0].begin + z - 1), static_cast<int>(blk[1].begin + y - 1),
                                             static_cast<int>(blk[2].begin + x - 1));

    mpixx::halo hu(grid, u.a, ext, 1), hv(grid, v.a, ext, 1);
    for (int s = 0; s < steps; ++s) {
        auto& h = s % 2 == 0 ? hu : hv;
        const grid3& src = s % 2 == 0 ? u : v;
        grid3& dst = s % 2 == 0 ? v : u;
        h.start();
        for (std::size_t z = 2; z + 2 < ext[0]; ++z) // inner cells: no ghost needed
            for (std::size_t y = 2; y + 2 < ext[1]; ++y)
                for (std::size_t x = 2; x + 2 < ext[2]; ++x) dst.a[dst.at(z, y, x)] = src.update(z, y, x);
        h.wait();
        for (std::size_t z = 1; z + 1 < ext[0]; ++z) // the cells on the block's faces
            for (std::size_t y = 1; y + 1 < ext[1]; ++y)
                for (std::size_t x = 1; x + 1 < ext[2]; ++x)
                    if (z == 1 || z + 2 == ext[0] || y == 1 || y + 2 == ext[1] || x == 1 || x + 2 == ext[2])
                        dst.a[dst.at(z, y, x)] = src.update(z, y, x);
    }
    const grid3& result = steps % 2 == 0 ? u : v;

    // Gather the blocks at rank 0: each as a subarray layout of the local array into its global place.
    auto as_int = [](std::size_t x) { return static_cast<int>(x); };
    auto sent = grid.isend(mpixx::subarray(result.a.data(), {as_int(ext[0]), as_int(ext[1]), as_int(ext[2])},
                                           {as_int(ext[0] - 2), as_int(ext[1] - 2), as_int(ext[2] - 2)}, {1, 1, 1}),
                           0);
    if (grid.rank() == 0) {
        std::vector<double> global(static_cast<std::size_t>(N[0] * N[1] * N[2]));
        for (int r = 0; r < grid.size(); ++r) {
            const auto c = grid.coords(r);
            std::array<int, 3> sub{}, start{};
            for (std::size_t d = 0; d < 3; ++d) {
                const auto b = mpixx::block_range(static_cast<std::size_t>(N[d]), static_cast<std::size_t>(dims[d]),
                                                  static_cast<std::size_t>(c[d]));
                sub[d] = as_int(b.size());
                start[d] = as_int(b.begin);
            }
            grid.recv(mpixx::subarray(global.data(), {N[0], N[1], N[2]}, {sub[0], sub[1], sub[2]},
                                      {start[0], start[1], start[2]}),
                      r);
        }
        const grid3 serial = serial_solve();
        double diff = 0, sum = 0, sum2 = 0;
        std::size_t k = 0;
        for (std::size_t z = 1; z <= static_cast<std::size_t>(N[0]); ++z)
            for (std::size_t y = 1; y <= static_cast<std::size_t>(N[1]); ++y)
                for (std::size_t x = 1; x <= static_cast<std::size_t>(N[2]); ++x, ++k) {
                    const double p = global[k];
                    diff = std::max(diff, std::abs(p - serial.a[serial.at(z, y, x)]));
                    sum += p;
                    sum2 += p * p;
                }
        fmt::print("stencil3d: {} x {} x {} grid, {} x {} x {} processes, {} steps\n", N[0], N[1], N[2], dims[0],
                   dims[1], dims[2], steps);
        fmt::print("stencil3d: sum of u = {:.10f}, sum of u^2 = {:.10f}\n", sum, sum2);
        fmt::print("stencil3d: max |parallel - serial| = {}\n", diff);
        fmt::print("stencil3d: {}\n", diff == 0 ? "OK (parallel result equals the serial solve)"
                                                : "MISMATCH (parallel result differs from the serial solve)");
        std::fflush(stdout);
        if (diff != 0) world.abort(1);
    }
    sent.wait();
}

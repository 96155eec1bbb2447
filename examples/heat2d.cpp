// The 2D heat equation by Jacobi iteration on a 2D process grid: the stencil code mpixx::halo is for.
//
// The global grid is NY x NX = 48 x 64 cells with a fixed (Dirichlet) boundary: the ring of cells just
// outside it holds 100 along the top edge and 0 elsewhere; the inside starts at 0. Every step replaces
// each cell by the mean of its four neighbours. The processes form a mpixx::dims_create(size, 2) grid
// with open boundaries; each owns a block (sizes differ by at most one) plus one ghost layer, where the
// neighbours' edge cells arrive, or the boundary values sit on the global edge (no neighbour there:
// proc_null, so the exchange leaves them alone).
//
// Each step overlaps the exchange with the update of the cells that need no ghost:
//   h.start(); update the inner cells; h.wait(); update the cells along the block's edge.
// Two arrays are swapped each step (read one, write the other), so there is one halo per array: a halo
// is bound to its memory (persistent requests, built once).
//
// Check: rank 0 gathers the blocks (each sent as a subarray layout of its local array straight into
// its place in the global array: no packing) and runs the same 50 steps serially on the whole grid.
// The arithmetic is the same, in the same order, so the results must agree to the last bit. Output:
//   heat2d: 48 x 64 grid, P x Q processes, 50 Jacobi steps
//   heat2d: sum of u = S            (10 decimals)
//   heat2d: max |parallel - serial| = 0
//   heat2d: OK (parallel result equals the serial solve)
#include <fmt/format.h>
#include <mpixx/halo.hpp>
#include <mpixx/md_view.hpp>
#include <mpixx/mpixx.hpp>
#include <mpixx/topology.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace {

constexpr int NY = 48, NX = 64, steps = 50;
constexpr double top = 100.0; // the boundary value along the top edge (row -1)

/// One Jacobi update of cell (i, j) of a row-major array with `nx` columns.
inline double mean4(const std::vector<double>& u, std::size_t i, std::size_t j, std::size_t nx) {
    return 0.25 * (u[(i - 1) * nx + j] + u[(i + 1) * nx + j] + u[i * nx + j - 1] + u[i * nx + j + 1]);
}

/// The serial reference: the whole (NY + 2) x (NX + 2) grid with its boundary ring, `steps` steps.
std::vector<double> serial_solve() {
    const std::size_t nx = NX + 2;
    std::vector<double> u((NY + 2) * nx, 0.0);
    for (std::size_t j = 1; j <= NX; ++j) u[j] = top;
    std::vector<double> v = u;
    for (int s = 0; s < steps; ++s) {
        for (std::size_t i = 1; i <= NY; ++i)
            for (std::size_t j = 1; j <= NX; ++j) v[i * nx + j] = mean4(u, i, j, nx);
        std::swap(u, v);
    }
    return u;
}

} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const auto world = mpixx::world();
    const auto grid = mpixx::cart_create(world, mpixx::dims_create(world.size(), 2), {false, false});
    const auto& dims = grid.dims();
    const auto& me = grid.coords();

    // This process's block of rows and columns, and its local array with one ghost layer around it.
    const auto rows = mpixx::block_range(NY, static_cast<std::size_t>(dims[0]), static_cast<std::size_t>(me[0]));
    const auto cols = mpixx::block_range(NX, static_cast<std::size_t>(dims[1]), static_cast<std::size_t>(me[1]));
    const std::size_t ny = rows.size(), nx = cols.size(), w = nx + 2;
    std::vector<double> u((ny + 2) * w, 0.0), v((ny + 2) * w, 0.0);
    if (rows.begin == 0) // the top boundary lies in this block's top ghost row
        for (std::size_t j = 1; j <= nx; ++j) u[j] = v[j] = top;

    // The halo exchange: one per array, built once.
    mpixx::halo hu(grid, u, {ny + 2, nx + 2}, 1), hv(grid, v, {ny + 2, nx + 2}, 1);

    for (int s = 0; s < steps; ++s) {
        auto& h = s % 2 == 0 ? hu : hv;
        const auto& src = s % 2 == 0 ? u : v;
        auto& dst = s % 2 == 0 ? v : u;
        h.start();
        for (std::size_t i = 2; i + 1 <= ny; ++i) // cells whose neighbours are all owned: no ghost needed
            for (std::size_t j = 2; j + 1 <= nx; ++j) dst[i * w + j] = mean4(src, i, j, w);
        h.wait();
        for (std::size_t i = 1; i <= ny; ++i) // the cells along the edge of the block, now that the ghosts are in
            for (std::size_t j = 1; j <= nx; ++j)
                if (i == 1 || i == ny || j == 1 || j == nx) dst[i * w + j] = mean4(src, i, j, w);
    }
    const auto& result = steps % 2 == 0 ? u : v;

    // Gather: each block goes, as a subarray layout of the local array, into its place at rank 0.
    const int bny = static_cast<int>(ny), bnx = static_cast<int>(nx);
    auto sent = grid.isend(mpixx::subarray(result.data(), {bny + 2, bnx + 2}, {bny, bnx}, {1, 1}), 0);
    if (grid.rank() == 0) {
        std::vector<double> global(static_cast<std::size_t>(NY) * NX);
        for (int r = 0; r < grid.size(); ++r) {
            const auto c = grid.coords(r);
            const auto rr = mpixx::block_range(NY, static_cast<std::size_t>(dims[0]), static_cast<std::size_t>(c[0]));
            const auto cc = mpixx::block_range(NX, static_cast<std::size_t>(dims[1]), static_cast<std::size_t>(c[1]));
            grid.recv(mpixx::subarray(global.data(), {NY, NX}, {static_cast<int>(rr.size()), static_cast<int>(cc.size())},
                                      {static_cast<int>(rr.begin), static_cast<int>(cc.begin)}),
                      r);
        }
        const auto serial = serial_solve();
        double diff = 0, sum = 0;
        for (std::size_t i = 0; i < static_cast<std::size_t>(NY); ++i)
            for (std::size_t j = 0; j < static_cast<std::size_t>(NX); ++j) {
                const double p = global[i * NX + j];
                diff = std::max(diff, std::abs(p - serial[(i + 1) * (NX + 2) + j + 1]));
                sum += p;
            }
        fmt::print("heat2d: {} x {} grid, {} x {} processes, {} Jacobi steps\n", NY, NX, dims[0], dims[1], steps);
        fmt::print("heat2d: sum of u = {:.10f}\n", sum);
        fmt::print("heat2d: max |parallel - serial| = {}\n", diff);
        fmt::print("heat2d: {}\n", diff == 0 ? "OK (parallel result equals the serial solve)"
                                             : "MISMATCH (parallel result differs from the serial solve)");
        std::fflush(stdout);
        if (diff != 0) world.abort(1);
    }
    sent.wait();
}

// heat2d (examples/heat2d.cpp) writing its result to ONE file: parallel output with MPI-IO.
//
// The same 48 x 64 Jacobi problem (boundary 100 along the top edge, 0 elsewhere, 50 steps) on a
// mpixx::dims_create(size, 2) process grid, each process owning a block plus one ghost layer. At the end
// every process writes its block into its place in a single file of the global 48 x 64 array of doubles
// (row-major, no ghosts), in mpi4py's terms File.Open, Set_view, Write_all:
//
//   mpixx::file f(world, path, file_mode::write | file_mode::create);       // collective open
//   f.set_view<double>(0, mpixx::subarray_layout<double>(global, block, start)); // my block of the file
//   f.write_all(mpixx::subarray(u.data(), ghosted, block, {1, 1}));        // my cells, not the ghosts
//
// One collective call writes the whole array: no gather, no packing, MPI-IO merges the blocks. Then
// rank 0 reads the file back alone (opened on mpixx::self()) and compares it with a serial solve of the
// whole grid; the file is deleted when that read-back closes it (file_mode::delete_on_close).
//
// The file is heat2d_output.np<size>.dat in the current directory (so runs at different rank counts
// may share a directory), or argv[1]. Output (rank 0):
//   heat2d_output: 48 x 64 grid, P x Q processes, 50 Jacobi steps
//   heat2d_output: wrote PATH, 24576 bytes (48 x 64 doubles) with one collective write
//   heat2d_output: sum of the file's values = S            (10 decimals)
//   heat2d_output: max |file - serial| = 0
//   heat2d_output: OK (the file holds the serial solve)
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr int NY = 48, NX = 64, steps = 50;
constexpr double top = 100.0; // the boundary value along the top edge (row -1)

/// One Jacobi update of cell (i, j) of a row-major array with `nx` columns.
inline double mean4(const std::vector<double>& u, std::size_t i, std::size_t j, std::size_t nx) {
    return 0.25 * (u[(i - 1) * nx + j] + u[(i + 1) * nx + j] + u[i * nx + j - 1] + u[i * nx + j + 1]);
}

/// One Jacobi step of the ny x nx cells inside a (ny + 2) x (nx + 2) array: src's cells into dst.
void jacobi_step(const std::vector<double>& src, std::vector<double>& dst, std::size_t ny, std::size_t nx) {
    for (std::size_t i = 1; i <= ny; ++i)
        for (std::size_t j = 1; j <= nx; ++j) dst[i * (nx + 2) + j] = mean4(src, i, j, nx + 2);
}

} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const auto world = mpixx::world();
    const auto grid = mpixx::cart_create(world, mpixx::dims_create(world.size(), 2), {false, false});
    const auto& dims = grid.dims();
    const auto& me = grid.coords();
    const std::string path = argc > 1 ? argv[1] : fmt::format("heat2d_output.np{}.dat", world.size());

    // This process's block, with one ghost layer; the top boundary sits in the top ghost row of the top blocks.
    const auto rows = mpixx::block_range(NY, static_cast<std::size_t>(dims[0]), static_cast<std::size_t>(me[0]));
    const auto cols = mpixx::block_range(NX, static_cast<std::size_t>(dims[1]), static_cast<std::size_t>(me[1]));
    const std::size_t ny = rows.size(), nx = cols.size();
    std::vector<double> u((ny + 2) * (nx + 2), 0.0), v = u;
    if (rows.begin == 0)
        for (std::size_t j = 1; j <= nx; ++j) u[j] = v[j] = top;

    // One halo per array (a halo is bound to its memory): u and v take turns as the array read.
    mpixx::halo hu(grid, u, {ny + 2, nx + 2}, 1), hv(grid, v, {ny + 2, nx + 2}, 1);
    for (int s = 0; s < steps; ++s) {
        (s % 2 == 0 ? hu : hv).exchange();
        s % 2 == 0 ? jacobi_step(u, v, ny, nx) : jacobi_step(v, u, ny, nx);
    }
    const auto& result = steps % 2 == 0 ? u : v;

    // The output: one file, each process's block at its place, one collective write.
    const int gy = static_cast<int>(rows.begin), gx = static_cast<int>(cols.begin);
    const int by = static_cast<int>(ny), bx = static_cast<int>(nx);
    {
        using mpixx::file_mode;
        mpixx::file f(world, path, file_mode::write | file_mode::create);
        f.set_view<double>(0, mpixx::subarray_layout<double>({NY, NX}, {by, bx}, {gy, gx}));
        f.write_all(mpixx::subarray(result.data(), {by + 2, bx + 2}, {by, bx}, {1, 1}));
    } // closed here, collectively: the data is in the file for whoever opens it next

    if (world.rank() == 0) {
        using mpixx::file_mode;
        mpixx::file f(mpixx::self(), path, file_mode::read | file_mode::delete_on_close);
        const auto bytes = f.size();
        const std::vector<double> stored = f.read_at<double>(0, std::size_t{NY} * NX);
        f.close(); // deletes the file

        std::vector<double> a((NY + 2) * (NX + 2), 0.0); // the serial solve: the whole grid and its fixed ring
        for (std::size_t j = 1; j <= NX; ++j) a[j] = top;
        std::vector<double> b = a;
        for (int s = 0; s < steps; ++s) s % 2 == 0 ? jacobi_step(a, b, NY, NX) : jacobi_step(b, a, NY, NX);
        const auto& serial = steps % 2 == 0 ? a : b;
        double diff = stored.size() == std::size_t{NY} * NX ? 0.0 : INFINITY, sum = 0;
        for (std::size_t k = 0; k < stored.size(); ++k) {
            diff = std::max(diff, std::abs(stored[k] - serial[(k / NX + 1) * (NX + 2) + k % NX + 1]));
            sum += stored[k];
        }
        fmt::print("heat2d_output: {} x {} grid, {} x {} processes, {} Jacobi steps\n", NY, NX, dims[0], dims[1], steps);
        fmt::print("heat2d_output: wrote {}, {} bytes ({} x {} doubles) with one collective write\n", path, bytes, NY, NX);
        fmt::print("heat2d_output: sum of the file's values = {:.10f}\n", sum);
        fmt::print("heat2d_output: max |file - serial| = {}\n", diff);
        fmt::print("heat2d_output: {}\n", diff == 0 ? "OK (the file holds the serial solve)"
                                                    : "MISMATCH (the file differs from the serial solve)");
        std::fflush(stdout);
        if (diff != 0) world.abort(1);
    }
}

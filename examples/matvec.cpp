// The guide's "Parallel Matrix-Vector Multiplication": y = A x for an N x N matrix A (N = 100) whose
// rows are split over the ranks; x is broadcast from rank 0, every rank multiplies its rows, and rank 0
// gathers y. Differences from the guide:
//   - the rows are split with mpixx::block_range, so any number of ranks works (the guide's N // size
//     silently loses rows when size does not divide N), and gathered with gatherv (blocks of unequal size);
//   - A and x are deterministic instead of np.random.random (A[i][j] = (i + 2j) % 7, x[j] = j % 5), so
//     the second line, the sum of y, can be checked: every entry of y is an integer, printed exactly.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <numeric>
#include <span>
#include <vector>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const std::size_t N = 100; // matrix size
    // Each process gets rows [row0, row1) of the matrix
    const auto [row0, row1] = mpixx::block_range(N, comm);
    std::vector<double> local_A((row1 - row0) * N);
    for (auto i = row0; i < row1; ++i)
        for (std::size_t j = 0; j < N; ++j) local_A[(i - row0) * N + j] = static_cast<double>((i + 2 * j) % 7);
    // Vector is broadcast to all
    std::vector<double> x(N);
    if (comm.rank() == 0)
        for (std::size_t j = 0; j < N; ++j) x[j] = static_cast<double>(j % 5);
    comm.bcast(std::span(x), 0); // every rank's x has N entries: one MPI_Bcast (the guide's Bcast)
    // Local matrix-vector product
    std::vector<double> local_y(row1 - row0);
    for (std::size_t r = 0; r < local_y.size(); ++r)
        local_y[r] = std::inner_product(x.begin(), x.end(), local_A.begin() + static_cast<std::ptrdiff_t>(r * N), 0.0);
    // Gather results (rank 0 gets all N entries, in rank order; the others an empty vector)
    const auto y = comm.gatherv(local_y, 0);
    if (comm.rank() == 0) {
        fmt::print("Result shape: ({},)\n", y.size());
        fmt::print("Checksum: {}\n", std::accumulate(y.begin(), y.end(), 0.0));
    }
}

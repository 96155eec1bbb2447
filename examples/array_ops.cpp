// The guide's "Parallel Array Operations": each rank holds its block of a global array of N = 1000
// values in [0, 1), squares and sums it, and rank 0 reduces the local sums.
// The guide fills the array with np.random.random, so its result changes from run to run. Here global
// element i is frac(i * golden ratio) (a well-spread sequence in [0, 1)): the array, and so the printed
// sum, is the same at every rank count (up to the rounding of the summation order), and a test can
// compute it. mpixx::block_range gives every rank its block, the remainder of N / size included.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <cmath>
#include <numeric>
#include <vector>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const std::size_t N = 1000; // global array size
    // Local block of the global array
    const auto [begin, end] = mpixx::block_range(N, comm);
    // Create local array (deterministic stand-in for np.random.random, see above)
    std::vector<double> local_data;
    for (auto i = begin; i < end; ++i)
        local_data.push_back(std::fmod(0.6180339887498949 * static_cast<double>(i), 1.0));
    // Perform local computation: sum of squares
    const double local_sum = std::inner_product(local_data.begin(), local_data.end(), local_data.begin(), 0.0);
    // Reduce to get global result
    const double global_sum = comm.reduce(local_sum, mpixx::sum, 0);
    if (comm.rank() == 0) fmt::print("Global sum: {:.10f}\n", global_sum);
}

// The guide's "Embarrassingly Parallel" pattern: the sum of i*i for i < 1000, each rank summing its own
// block of i and rank 0 reducing. The guide's `local_N = N // size` piles the remainder on the last rank;
// mpixx::block_range splits N over any number of ranks (block sizes differ by at most one). The sum is
// kept in integers, so it prints exactly "Total sum: 332833500" at every rank count.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const std::size_t N = 1000; // total work
    // Divide work among processes
    const auto [start, end] = mpixx::block_range(N, comm);
    // Perform local computation
    long long local_sum = 0;
    for (auto i = start; i < end; ++i) local_sum += static_cast<long long>(i * i);
    // Gather results
    const auto total_sum = comm.reduce(local_sum, mpixx::sum, 0);
    if (comm.rank() == 0) fmt::print("Total sum: {}\n", total_sum);
}

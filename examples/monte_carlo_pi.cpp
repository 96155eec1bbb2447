// The guide's "Example: Parallel Monte Carlo": every rank throws its share of N random points into the
// unit square, counts those inside the quarter circle, and rank 0 reduces the counts to estimate π.
// N is the first argument (default 10**7, as in the guide). The samples are split with
// mpixx::block_count, so all N are thrown at any rank count (the guide's N // size drops the
// remainder). As in the guide (np.random.seed(rank)) each rank seeds its generator with its rank, so
// the result is deterministic for a given N and number of ranks.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <cmath>
#include <numbers>
#include <random>
#include <string>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    // Total samples
    const std::size_t N = argc > 1 ? std::stoull(argv[1]) : 10'000'000;
    const std::size_t local_N = mpixx::block_count(N, comm);
    // Generate random points and count those inside the circle
    std::mt19937_64 gen(static_cast<std::uint64_t>(comm.rank()));
    std::uniform_real_distribution<double> random(0.0, 1.0);
    long long local_inside = 0;
    for (std::size_t i = 0; i < local_N; ++i) {
        const double x = random(gen), y = random(gen);
        local_inside += x * x + y * y <= 1.0;
    }
    // Reduce to get total
    const auto total_inside = comm.reduce(local_inside, mpixx::sum, 0);
    const double pi_estimate = 4.0 * static_cast<double>(total_inside) / static_cast<double>(N);
    if (comm.rank() == 0)
        fmt::print("Estimated π = {}\nError = {}\n", pi_estimate, std::abs(pi_estimate - std::numbers::pi));
}

// The guide's "Hybrid (MPI + OpenMP)": MPI between processes, threads inside each one. The guide runs
// the loop on Numba's prange threads; here it is an OpenMP `parallel for` (built with OpenMP when CMake
// finds it; without it the same loop runs serially). Only the main thread calls MPI, so MPI is asked for
// thread_level::funneled, and the level it granted is checked.
// Instead of np.random.random, local element i is rank + i % 100, so that each rank's checksum (the sum
// of its squares) can be verified. Run e.g.: OMP_NUM_THREADS=4 mpiexec -n 2 ./hybrid
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <numeric>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#else
static int omp_get_max_threads() { return 1; } // built without OpenMP: the loop runs on one thread
#endif

// result[i] = data[i] ** 2 on all OpenMP threads of this process.
std::vector<double> local_work(const std::vector<double>& data) {
    std::vector<double> result(data.size());
#ifdef _OPENMP
#pragma omp parallel for
#endif
    for (std::size_t i = 0; i < data.size(); ++i) result[i] = data[i] * data[i];
    return result;
}

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv, mpixx::thread_level::funneled);
    auto comm = mpixx::world();
    if (env.provided() < mpixx::thread_level::funneled) {
        fmt::print(stderr, "hybrid: MPI granted only thread level {}, funneled is needed\n", env.provided());
        return 1;
    }
    // MPI: distributed across nodes; OpenMP: parallel on each node
    std::vector<double> local_data(1'000'000);
    for (std::size_t i = 0; i < local_data.size(); ++i) local_data[i] = comm.rank() + static_cast<double>(i % 100);
    const auto local_result = local_work(local_data); // uses multiple threads
    const double checksum = std::accumulate(local_result.begin(), local_result.end(), 0.0);
    mpixx::print_ordered(comm, "Rank {}: thread level {}, {} OpenMP thread(s), checksum {}", comm.rank(),
                         env.provided(), omp_get_max_threads(), checksum);
}

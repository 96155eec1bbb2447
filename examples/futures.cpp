// mpi4py.futures' MPICommExecutor with mpixx::executor: tasks of uneven cost (the Collatz steps of a
// number, sleeping 0.2 ms per step), one of which fails, submitted as futures and gathered as they
// complete; then a map, whose results come back in input order. Rank 0 is the client, the other ranks
// run the tasks (at 1 rank the client runs them itself). Only rank 0 prints.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <mpixx/mpixx.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// Registered at namespace scope, so on every rank before the pool starts; the name is the variable's.
MPIXX_REGISTER_TASK(collatz_steps, [](long long n) {
    if (n <= 0) throw std::invalid_argument("collatz is undefined for " + std::to_string(n));
    int steps = 0;
    for (; n != 1; ++steps) n = n % 2 != 0 ? 3 * n + 1 : n / 2;
    std::this_thread::sleep_for(std::chrono::microseconds(200 * steps)); // uneven costs
    return steps;
});
MPIXX_REGISTER_TASK(square, [](int x) { return x * x; });

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    mpixx::executor ex(mpixx::world()); // workers serve tasks here until the client's executor ends
    if (!ex.is_client()) return 0;

    const std::vector<long long> inputs{27, 9, 1, 0, 97, 871, 6, 7, 15, 31};
    std::vector<mpixx::future<int>> futures;
    for (long long n : inputs) futures.push_back(ex.submit(collatz_steps, n));

    std::map<std::size_t, std::string> lines; // by input position, to print in a fixed order
    int done = 0, failed = 0;
    long long total = 0;
    for (mpixx::future<int>& f : mpixx::as_completed(futures)) {
        try {
            const int steps = f.get();
            lines[f.index()] = fmt::format("collatz({}) = {} steps", inputs[f.index()], steps);
            total += steps;
            ++done;
        } catch (const mpixx::task_error& e) { // this task only: the others still deliver
            lines[e.task_index()] = fmt::format("collatz({}) failed: {}", inputs[e.task_index()], e.task_what());
            ++failed;
        }
    }
    fmt::print("{} tasks on {} worker(s): {} done, {} failed\n", inputs.size(), ex.workers(), done, failed);
    for (const auto& [position, line] : lines) fmt::print("{}\n", line);
    fmt::print("total steps = {}\n", total);

    std::vector<int> squares;
    for (int y : ex.map(square, std::vector<int>{1, 2, 3, 4, 5})) squares.push_back(y);
    fmt::print("map(square, 1..5) = {}\n", squares);
} // the client's executor shuts the pool down: every worker returns from its constructor

// The guide's "Master-Worker Pattern" job (square the tasks 0..99) with mpixx::task_farm: rank 0 hands
// out the tasks with dynamic load balancing, the other ranks work, results come back in task order.
// At 1 rank, rank 0 does all the work itself. (examples/master_worker.cpp spells out the loop.)
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>
#include <mpixx/task_farm.hpp>

#include <numeric>
#include <vector>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    std::vector<int> tasks(100);
    std::iota(tasks.begin(), tasks.end(), 0); // tasks 0..99
    const auto results = mpixx::task_farm(comm, tasks, [](int task) { return task * task; });
    if (comm.rank() == 0)
        fmt::print("Completed {} tasks, sum of results = {}\n", results.size(),
                   std::accumulate(results.begin(), results.end(), 0LL));
}

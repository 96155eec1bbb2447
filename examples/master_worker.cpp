// The guide's "Master-Worker Pattern" with its explicit send/recv loop: rank 0 hands out tasks 0..99,
// a worker squares each one and sends back {rank, result}; an empty optional (Python's None) tells a
// worker to stop. Every worker gets exactly one stop, so it works with any number of workers, even
// more than tasks. (examples/task_farm.cpp does the same job with mpixx::task_farm in one call.)
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <optional>

struct result { // the guide's {'rank': rank, 'result': task * task}
    int rank;
    long long value;
};

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const int rank = comm.rank(), size = comm.size();
    if (size < 2) {
        fmt::print(stderr, "master_worker needs at least 2 ranks\n");
        return 1;
    }
    if (rank == 0) {
        // Master process
        const int ntasks = 100;
        int next = 0;
        auto next_task = [&]() -> std::optional<int> {
            if (next < ntasks) return next++;
            return std::nullopt; // signal completion
        };
        // Distribute tasks
        for (int worker = 1; worker < size; ++worker) comm.send(next_task(), worker, 1);
        // Collect results and send more tasks
        int completed = 0;
        long long sum = 0;
        while (completed < ntasks) {
            const auto r = comm.recv<result>(mpixx::any_source, 2);
            ++completed;
            sum += r.value;
            comm.send(next_task(), r.rank, 1); // the next task, or stop when none is left
        }
        fmt::print("Completed {} tasks, sum of results = {}\n", completed, sum);
    } else {
        // Worker processes
        while (const auto task = comm.recv<std::optional<int>>(0, 1)) {
            const long long t = *task;
            comm.send(result{rank, t * t}, 0, 2); // send result back
        }
    }
}

// Dynamic work distribution with a fetch-and-op counter (mpi4py: Win.Fetch_and_op, or
// mpi4py.util.sync.Counter): every rank takes the next task number from a counter held by rank 0
// (mpixx::counter, one MPI_Fetch_and_op per ticket) until none are left, so fast ranks take more
// tasks. Results go straight into a window on rank 0 with one put each; rank 0 prints them in task
// order. Tasks: the Collatz steps of 1..40 (uneven costs).
#include <mpixx/mpixx.hpp>
#include <mpixx/sync.hpp>
#include <mpixx/window.hpp>

#include <cstdio>
#include <string>

namespace {
long collatz_steps(long n) {
    long steps = 0;
    for (; n != 1; ++steps) n = n % 2 != 0 ? 3 * n + 1 : n / 2;
    return steps;
}
} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const auto comm = mpixx::world();
    constexpr long tasks = 40;

    mpixx::counter next_task(comm); // starts at 0, held by rank 0
    auto results = mpixx::window<long>::allocate(comm, comm.rank() == 0 ? tasks : 0);
    auto done_by = mpixx::window<int>::allocate(comm, comm.rank() == 0 ? tasks : 0);
    if (comm.rank() == 0)
        for (int& d : done_by.local()) d = 0;
    comm.barrier();

    long taken = 0;
    {
        auto epoch_r = results.lock_all();
        auto epoch_d = done_by.lock_all();
        for (long t = next_task.next(); t < tasks; t = next_task.next()) {
            const long steps = collatz_steps(t + 1);
            results.put(steps, 0, t);
            const int one = 1;
            done_by.accumulate(one, 0, t, mpixx::sum); // how many times task t ran: must be 1
            results.flush(0);
            done_by.flush(0);
            ++taken;
        }
    } // epochs end: every put has landed
    const long total_taken = comm.reduce(taken, mpixx::sum, 0);
    comm.barrier();

    if (comm.rank() == 0) {
        std::string line;
        long total = 0;
        bool once = true;
        for (long t = 0; t < tasks; ++t) {
            const long s = results.local()[static_cast<std::size_t>(t)];
            line += (t ? " " : "") + std::to_string(s);
            total += s;
            once = once && done_by.local()[static_cast<std::size_t>(t)] == 1;
        }
        std::printf("%ld tasks handed out by a fetch-and-op counter to %d rank(s)\n", tasks, comm.size());
        std::printf("collatz steps of 1..%ld: %s\n", tasks, line.c_str());
        std::printf("total steps = %ld\n", total);
        std::printf("every task ran exactly once: %s\n", once && total_taken == tasks ? "yes" : "no");
    }
}

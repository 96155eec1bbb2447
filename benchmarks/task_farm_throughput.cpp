// benchmarks/task_farm_throughput.cpp - throughput of mpixx::task_farm against the same master/worker
// loop written by hand with raw MPI (MPI_Send/MPI_Recv of ints, an empty message as "stop", the same
// number of tasks in flight per worker, dealt out the same way).
//
// Run on 2 or more ranks: mpiexec -n 2 task_farm_throughput [--smoke] [--rounds R]. One iteration is a
// whole farm of N tiny tasks (square an int); rank 0 is the master, every other rank a worker. The
// table gives microseconds per farm and the ratio; the lines after it give tasks per second (from the
// medians of the same runs) at each in-flight depth. (The file is not named task_farm.cpp: the
// example examples/task_farm.cpp already owns that target name.)
#include "bench.hpp"

#include <mpixx/task_farm.hpp>

#include <numeric>
#include <string>
#include <vector>

namespace {

constexpr int task_tag = 1, result_tag = 2;

/// The hand-written farm: what task_farm replaces. Results in task order on rank 0.
void raw_farm(MPI_Comm comm, const std::vector<int>& tasks, std::vector<int>& results, int depth) {
    int rank = 0, size = 0;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    if (rank != 0) { // worker
        for (;;) {
            int task = 0, n = 0;
            MPI_Status st;
            MPI_Recv(&task, 1, MPI_INT, 0, task_tag, comm, &st);
            MPI_Get_count(&st, MPI_INT, &n);
            if (n == 0) return;
            const int result = task * task;
            MPI_Send(&result, 1, MPI_INT, 0, result_tag, comm);
        }
    }
    const std::size_t n = tasks.size(), d = static_cast<std::size_t>(depth);
    results.resize(n);
    std::vector<std::size_t> fifo(static_cast<std::size_t>(size) * d), head(static_cast<std::size_t>(size)),
        count(static_cast<std::size_t>(size));
    std::size_t next = 0, outstanding = 0;
    auto post = [&](int w) {
        const auto u = static_cast<std::size_t>(w);
        fifo[u * d + (head[u] + count[u]) % d] = next;
        MPI_Send(&tasks[next++], 1, MPI_INT, w, task_tag, comm);
        ++count[u];
        ++outstanding;
    };
    for (std::size_t round = 0; round < d; ++round)
        for (int w = 1; w < size; ++w)
            if (next < n) post(w);
    for (int w = 1; w < size; ++w)
        if (count[static_cast<std::size_t>(w)] == 0) MPI_Send(nullptr, 0, MPI_INT, w, task_tag, comm);
    while (outstanding > 0) {
        int value = 0;
        MPI_Status st;
        MPI_Recv(&value, 1, MPI_INT, MPI_ANY_SOURCE, result_tag, comm, &st);
        const auto u = static_cast<std::size_t>(st.MPI_SOURCE);
        results[fifo[u * d + head[u]]] = value;
        head[u] = (head[u] + 1) % d;
        --count[u];
        --outstanding;
        if (next < n) post(st.MPI_SOURCE);
        else if (count[u] == 0) MPI_Send(nullptr, 0, MPI_INT, st.MPI_SOURCE, task_tag, comm);
    }
}

/// Records how long each call of f took on this rank (the table times the same calls after a barrier).
template <class F>
auto timed(std::vector<double>& seconds, F f) {
    return [&seconds, f] {
        const double t0 = MPI_Wtime();
        f();
        seconds.push_back(MPI_Wtime() - t0);
    };
}

bool correct(const std::vector<int>& tasks, const std::vector<int>& results) {
    if (results.size() != tasks.size()) return false;
    for (std::size_t i = 0; i < tasks.size(); ++i)
        if (results[i] != tasks[i] * tasks[i]) return false;
    return true;
}

} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const bench::options opt = bench::parse(argc, argv);
    const auto comm = mpixx::world().dup();
    if (!bench::has_two_ranks(comm, "task_farm_throughput")) return 1;
    const MPI_Comm raw = comm.native();
    const int ntasks = opt.smoke ? 200 : 20000;
    std::vector<int> tasks(static_cast<std::size_t>(ntasks));
    std::iota(tasks.begin(), tasks.end(), 0);
    const auto square = [](int t) { return t * t; };

    bench::table table(raw, opt, "task_farm", 1.05);
    struct rate {
        int depth;
        double raw_tps, mpixx_tps;
    };
    std::vector<rate> rates;
    bool ok = true;
    for (int depth : {1, 2, 4}) {
        std::vector<int> raw_results, mpixx_results;
        std::vector<double> raw_s, mpixx_s;
        table.run(
            std::to_string(ntasks) + " int squares, in_flight " + std::to_string(depth), 1,
            timed(raw_s, [&] { raw_farm(raw, tasks, raw_results, depth); }),
            timed(mpixx_s, [&] { mpixx_results = mpixx::task_farm(comm, tasks, square, {.root = 0, .in_flight = depth}); }));
        if (comm.rank() == 0) {
            ok = ok && correct(tasks, raw_results) && correct(tasks, mpixx_results);
            raw_s.erase(raw_s.begin()); // the warm-up block
            mpixx_s.erase(mpixx_s.begin());
            rates.push_back({depth, ntasks / bench::median(raw_s), ntasks / bench::median(mpixx_s)});
        }
    }
    table.summary();
    if (comm.rank() == 0) {
        for (const auto& [depth, raw_tps, mpixx_tps] : rates)
            std::printf("task_farm: in_flight %d: raw %.0f tasks/s, mpixx %.0f tasks/s (%d workers)\n", depth, raw_tps,
                        mpixx_tps, comm.size() - 1);
        if (!ok) std::printf("task_farm: WRONG RESULTS\n");
        std::fflush(stdout);
    }
    return ok ? 0 : 1;
}

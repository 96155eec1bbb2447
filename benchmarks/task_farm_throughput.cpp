// benchmarks/task_farm_throughput.cpp - throughput of mpixx::task_farm and of mpixx::executor against
// the same master/worker loop written by hand with raw MPI (MPI_Send/MPI_Recv of ints, an empty message
// as "stop", the same number of tasks in flight per worker, dealt out the same way).
//
// Run on 2 or more ranks: mpiexec -n 2 task_farm_throughput [--smoke] [--rounds R]. One iteration is a
// whole farm of N tiny tasks (square an int); rank 0 is the master, every other rank a worker. For the
// executor one iteration is a whole pool (constructed, map(square, tasks) consumed, destroyed: the
// workers cannot join the harness's barriers while they serve), against the raw farm at the executor's
// default in_flight 2. Then tasks of 8 B, 1 KiB and 1 MiB (a byte vector in, its 8-byte sum back) through
// the executor and through the raw farm of fixed-size byte messages. The table gives microseconds per
// iteration and the ratio; the lines after it give tasks per second and microseconds per task (from the
// medians of the same runs); the last line is the executor's throughput over the raw farm's, higher is
// better: `executor mpixx/raw <ratio>`. (The file is not named task_farm.cpp: the example
// examples/task_farm.cpp already owns that target name.)
#include "bench.hpp"

#include <mpixx/executor.hpp>
#include <mpixx/task_farm.hpp>

#include <cstdint>
#include <iterator>
#include <numeric>
#include <string>
#include <vector>

MPIXX_REGISTER_TASK(bench_square, [](int t) { return t * t; });
MPIXX_REGISTER_TASK(bench_byte_sum, [](const std::vector<std::uint8_t>& v) {
    return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
});

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

/// The raw farm of byte tasks: `ntasks` times the same `task` bytes out, the 8-byte sum of each back.
void raw_bytes_farm(MPI_Comm comm, const std::vector<std::uint8_t>& task, int ntasks, std::vector<std::uint64_t>& results,
                    int depth) {
    int rank = 0, size = 0;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    const int bytes = static_cast<int>(task.size());
    if (rank != 0) { // worker: the task size is known, as in a hand-written farm
        std::vector<std::uint8_t> in(task.size());
        for (;;) {
            int n = 0;
            MPI_Status st;
            MPI_Recv(in.data(), bytes, MPI_BYTE, 0, task_tag, comm, &st);
            MPI_Get_count(&st, MPI_BYTE, &n);
            if (n == 0) return;
            const std::uint64_t sum = std::accumulate(in.begin(), in.end(), std::uint64_t{0});
            MPI_Send(&sum, 1, MPI_UINT64_T, 0, result_tag, comm);
        }
    }
    const auto n = static_cast<std::size_t>(ntasks), d = static_cast<std::size_t>(depth);
    results.assign(n, 0);
    std::vector<std::size_t> fifo(static_cast<std::size_t>(size) * d), head(static_cast<std::size_t>(size)),
        count(static_cast<std::size_t>(size));
    std::size_t next = 0, outstanding = 0;
    auto post = [&](int w) {
        const auto u = static_cast<std::size_t>(w);
        fifo[u * d + (head[u] + count[u]) % d] = next++;
        MPI_Send(task.data(), bytes, MPI_BYTE, w, task_tag, comm);
        ++count[u];
        ++outstanding;
    };
    for (std::size_t round = 0; round < d; ++round)
        for (int w = 1; w < size; ++w)
            if (next < n) post(w);
    for (int w = 1; w < size; ++w)
        if (count[static_cast<std::size_t>(w)] == 0) MPI_Send(nullptr, 0, MPI_BYTE, w, task_tag, comm);
    while (outstanding > 0) {
        std::uint64_t value = 0;
        MPI_Status st;
        MPI_Recv(&value, 1, MPI_UINT64_T, MPI_ANY_SOURCE, result_tag, comm, &st);
        const auto u = static_cast<std::size_t>(st.MPI_SOURCE);
        results[fifo[u * d + head[u]]] = value;
        head[u] = (head[u] + 1) % d;
        --count[u];
        --outstanding;
        if (next < n) post(st.MPI_SOURCE);
        else if (count[u] == 0) MPI_Send(nullptr, 0, MPI_BYTE, st.MPI_SOURCE, task_tag, comm);
    }
}

/// `n` times the same object, by reference: the inputs of a map that sends one buffer many times.
template <class T>
struct repeated {
    const T* value;
    int n;
    struct iterator {
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        const T* value = nullptr;
        int left = 0;
        const T& operator*() const { return *value; }
        iterator& operator++() {
            --left;
            return *this;
        }
        void operator++(int) { --left; }
        bool operator==(std::default_sentinel_t) const { return left == 0; }
    };
    iterator begin() const { return {value, n}; }
    std::default_sentinel_t end() const { return {}; }
};

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
    // The executor: a whole pool per iteration, map(square, tasks), against the raw farm at in_flight 2.
    // Blocks of ~1 ms (fewer tasks than above): on a shared machine short blocks run undisturbed more
    // often; creating and freeing the pool's communicator costs a few microseconds of it.
    const int depth = 2, nexec = opt.smoke ? 200 : 2000;
    const std::vector<int> exec_tasks(tasks.begin(), tasks.begin() + nexec);
    double exec_raw_tps = 0, exec_tps = 0;
    {
        std::vector<int> raw_results, exec_results;
        std::vector<double> raw_s, exec_s;
        table.run(
            std::to_string(nexec) + " int squares, executor map", 1,
            timed(raw_s, [&] { raw_farm(raw, exec_tasks, raw_results, depth); }),
            timed(exec_s, [&] {
                mpixx::executor ex(comm, {.root = 0, .in_flight = depth});
                if (!ex.is_client()) return;
                exec_results.clear();
                for (int y : ex.map(bench_square, exec_tasks)) exec_results.push_back(y);
            }),
            1 / 0.95);
        if (comm.rank() == 0) {
            ok = ok && correct(exec_tasks, raw_results) && correct(exec_tasks, exec_results);
            raw_s.erase(raw_s.begin());
            exec_s.erase(exec_s.begin());
            exec_raw_tps = nexec / bench::median(raw_s);
            exec_tps = nexec / bench::median(exec_s);
        }
    }
    // Time per task by task size: a byte vector out, its 8-byte sum back.
    struct per_task {
        std::size_t bytes;
        double raw_us, mpixx_us;
    };
    std::vector<per_task> sizes;
    for (const std::size_t bytes : {std::size_t{8}, std::size_t{1024}, std::size_t{1} << 20}) {
        const int n = opt.smoke ? 8 : bytes >= (std::size_t{1} << 20) ? 32 : 2000;
        std::vector<std::uint8_t> task(bytes);
        for (std::size_t i = 0; i < bytes; ++i) task[i] = static_cast<std::uint8_t>(i * 7);
        const std::uint64_t want = std::accumulate(task.begin(), task.end(), std::uint64_t{0});
        std::vector<std::uint64_t> raw_results, exec_results;
        std::vector<double> raw_s, exec_s;
        const std::string label = bytes >= 1024 * 1024 ? "1 MiB" : bytes >= 1024 ? "1 KiB" : "8 B";
        table.run(
            std::to_string(n) + " tasks of " + label + ", executor", 1,
            timed(raw_s, [&] { raw_bytes_farm(raw, task, n, raw_results, depth); }),
            timed(exec_s, [&] {
                mpixx::executor ex(comm, {.root = 0, .in_flight = depth});
                if (!ex.is_client()) return;
                exec_results.clear();
                for (std::uint64_t y : ex.map(bench_byte_sum, repeated<std::vector<std::uint8_t>>{&task, n}))
                    exec_results.push_back(y);
            }),
            bench::informational);
        if (comm.rank() == 0) {
            const std::vector<std::uint64_t> expected(static_cast<std::size_t>(n), want);
            ok = ok && raw_results == expected && exec_results == expected;
            raw_s.erase(raw_s.begin());
            exec_s.erase(exec_s.begin());
            sizes.push_back({bytes, bench::median(raw_s) * 1e6 / n, bench::median(exec_s) * 1e6 / n});
        }
    }
    table.summary();
    if (comm.rank() == 0) {
        for (const auto& [d, raw_tps, mpixx_tps] : rates)
            std::printf("task_farm: in_flight %d: raw %.0f tasks/s, mpixx %.0f tasks/s (%d workers)\n", d, raw_tps,
                        mpixx_tps, comm.size() - 1);
        for (const auto& [bytes, raw_us, mpixx_us] : sizes)
            std::printf("executor: %zu-byte tasks: raw %.2f us/task, mpixx %.2f us/task (%d workers)\n", bytes, raw_us,
                        mpixx_us, comm.size() - 1);
        std::printf("executor: int squares: raw %.0f tasks/s, mpixx %.0f tasks/s (%d workers)\n", exec_raw_tps, exec_tps,
                    comm.size() - 1);
        if (!ok) std::printf("task_farm: WRONG RESULTS\n");
        std::printf("executor mpixx/raw %.3f\n", exec_tps / exec_raw_tps);
        std::fflush(stdout);
    }
    return ok ? 0 : 1;
}

// benchmarks/patterns.cpp - the guide's parallel patterns in mpixx against the raw MPI they wrap, and the
// guide's two performance claims ("Non-blocking Communication" overlaps communication and computation;
// "Collective Operations" beat manual gathering).
//
// Run: mpiexec -n 2 patterns [--smoke] [--rounds R]   (2 ranks or more; the pipeline uses ranks 0 and 1,
// the others only join its barriers). Release build for real numbers.
//
// Table 1, raw vs mpixx (same run, alternated, medians; target ratio <= 1.02):
//   pipeline     64 items streamed through 2 stages (rank 0 produces and runs stage 0, rank 1 runs stage 1
//                and collects), then one ack from rank 1; throughput = 64 / (us * 1e-6) items/s.
//   monte carlo  N = 10^6 samples split over the ranks, then a reduce of the counts (MPI_Reduce vs
//                comm.reduce(x, mpixx::sum, 0)).
//   matvec       the broadcast of x, the local product of this rank's rows, the gatherv of y at rank 0
//                (MPI_Gatherv vs comm.gatherv with counts); the value form comm.gatherv(local_y, 0), which
//                the example uses, also gathers the counts first (one more collective): informational.
//   overlap      isend/irecv of 4 MiB + compute + wait.
//   allreduce    one double.
// Table 2, the guide's claims (mpixx only; the variants alternated, medians, speed-up over the first):
//   overlap      blocking send/recv then compute, vs isend/irecv + compute + wait, vs the same with a
//                request test() after each 16th of the compute (MPICH moves a large message only inside
//                MPI calls unless it runs a progress thread), with the compute alone and the transfer
//                alone (blocking and non-blocking) as references: perfect overlap would take the longer
//                of compute and transfer. The compute is sized at start-up to last about as long as the
//                transfer (its pass count is in the case's name).
//   gathering    comm.allreduce(x, sum) vs the guide's manual loop (recv from every rank at the root,
//                then bcast so that every rank has the total, as allreduce gives).
#include "bench.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace {

double sink = 0; // results land here so that the compiler keeps the work

/// Points of n random ones in the unit square that fall inside the quarter circle (the Monte Carlo kernel).
[[gnu::noinline]] long long count_inside(std::uint64_t seed, std::size_t n) {
    std::mt19937_64 gen(seed);
    std::uniform_real_distribution<double> random(0.0, 1.0);
    long long inside = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double x = random(gen), y = random(gen);
        inside += x * x + y * y <= 1.0;
    }
    return inside;
}

/// y = A x for the rows of A held here (rows x n, row-major).
[[gnu::noinline]] void local_product(const std::vector<double>& a, const std::vector<double>& x,
                                     std::vector<double>& y) {
    const std::size_t n = x.size();
    for (std::size_t r = 0; r < y.size(); ++r)
        y[r] = std::inner_product(x.begin(), x.end(), a.begin() + static_cast<std::ptrdiff_t>(r * n), 0.0);
}

/// Arithmetic on a private array in 16 chunks, calling between() after each (the overlap's "computation").
template <class F>
[[gnu::noinline]] void compute(std::vector<double>& a, int passes, F&& between) {
    const std::size_t chunk = a.size() / 16;
    for (std::size_t c = 0; c < 16; ++c) {
        for (int p = 0; p < passes; ++p)
            for (std::size_t i = c * chunk; i < (c + 1) * chunk; ++i) a[i] = a[i] * 0.999999 + 1e-6;
        between();
    }
}

/// Prints a table of variants of one task, alternated for R rounds after a warm-up block each: the median
/// of each and its speed-up over the first (rank 0 only).
class claims {
public:
    claims(MPI_Comm comm, const bench::options& o) : comm_(comm), opt_(o) {
        MPI_Comm_rank(comm, &rank_);
        if (rank_ != 0) return;
        std::printf("\n# guide claims: %d alternated rounds%s, median us per iteration, speed-up = first / this\n",
                    opt_.rounds, opt_.smoke ? " (smoke: numbers meaningless)" : "");
        std::printf("| %-38s | %-50s | %10s | %8s |\n", "case", "variant", "us", "speed-up");
        std::printf("|%s|%s|%s|%s|\n", std::string(40, '-').c_str(), std::string(52, '-').c_str(),
                    std::string(12, '-').c_str(), std::string(10, '-').c_str());
    }

    struct variant {
        const char* name;
        std::function<void()> run;
    };

    void run(const std::string& name, int full_iters, std::vector<variant> variants) {
        const int iters = opt_.iters(full_iters);
        for (auto& v : variants) bench::time_block(comm_, iters, v.run);
        std::vector<std::vector<double>> us(variants.size());
        for (int r = 0; r < opt_.rounds; ++r)
            for (std::size_t k = 0; k < variants.size(); ++k)
                us[k].push_back(bench::time_block(comm_, iters, variants[k].run));
        if (rank_ != 0) return;
        const double first = bench::median(us[0]);
        for (std::size_t k = 0; k < variants.size(); ++k) {
            const double m = bench::median(us[k]);
            std::printf("| %-38s | %-50s | %10.3f | %8.2f |\n", k == 0 ? name.c_str() : "", variants[k].name, m,
                        first / m);
        }
        std::fflush(stdout);
    }

private:
    MPI_Comm comm_;
    bench::options opt_;
    int rank_ = 0;
};

} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const bench::options opt = bench::parse(argc, argv);
    const auto comm = mpixx::world().dup();
    if (!bench::has_two_ranks(comm, "patterns")) return 1;
    const MPI_Comm raw = comm.native();
    const int me = comm.rank(), size = comm.size();
    bench::table table(raw, opt, "patterns");

    // ---- pipeline: 64 items through 2 stages, then an ack --------------------------------------------
    constexpr int items = 64;
    for (const auto& [name, doubles] :
         {std::pair{"pipeline 2 stages, 64 x 8 B", 1}, std::pair{"pipeline 2 stages, 64 x 8 KiB", 1024}}) {
        const int n = doubles; // clang 14 cannot capture a structured binding
        std::vector<double> item(static_cast<std::size_t>(n));
        const auto stage = [&] {
            for (double& v : item) v += 1.0;
        };
        int ack = 0;
        table.run(
            name, n == 1 ? 5 : 2, // blocks of ~0.5 ms
            [&] {
                if (me == 0) {
                    for (int i = 0; i < items; ++i) {
                        item[0] = i;
                        stage();
                        MPI_Send(item.data(), n, MPI_DOUBLE, 1, 0, raw);
                    }
                    MPI_Recv(&ack, 1, MPI_INT, 1, 1, raw, MPI_STATUS_IGNORE);
                } else if (me == 1) {
                    for (int i = 0; i < items; ++i) {
                        MPI_Recv(item.data(), n, MPI_DOUBLE, 0, 0, raw, MPI_STATUS_IGNORE);
                        stage();
                        sink += item[0];
                    }
                    MPI_Send(&ack, 1, MPI_INT, 0, 1, raw);
                }
            },
            [&] {
                if (me == 0) {
                    for (int i = 0; i < items; ++i) {
                        item[0] = i;
                        stage();
                        comm.send(item, 1, 0);
                    }
                    ack = comm.recv<int>(1, 1);
                } else if (me == 1) {
                    for (int i = 0; i < items; ++i) {
                        comm.recv(item, 0, 0);
                        stage();
                        sink += item[0];
                    }
                    comm.send(ack, 0, 1);
                }
            });
    }

    // ---- Monte Carlo pi, N = 10^6 ---------------------------------------------------------------------
    {
        const std::size_t n = opt.smoke ? 10'000 : 1'000'000, local_n = mpixx::block_count(n, comm);
        const auto seed = static_cast<std::uint64_t>(me);
        table.run(
            "monte carlo pi N=1e6", 1,
            [&] {
                const long long inside = count_inside(seed, local_n);
                long long total = 0;
                MPI_Reduce(&inside, &total, 1, MPI_LONG_LONG, MPI_SUM, 0, raw);
                sink += static_cast<double>(total);
            },
            [&] { sink += static_cast<double>(comm.reduce(count_inside(seed, local_n), mpixx::sum, 0)); });
    }

    // ---- matvec: bcast x, local product, gatherv y ----------------------------------------------------
    for (const std::size_t n : {std::size_t{100}, std::size_t{1000}}) {
        const auto [row0, row1] = mpixx::block_range(n, comm);
        std::vector<double> a((row1 - row0) * n), x(n), local_y(row1 - row0), y(me == 0 ? n : 0);
        for (std::size_t i = row0; i < row1; ++i)
            for (std::size_t j = 0; j < n; ++j) a[(i - row0) * n + j] = static_cast<double>((i + 2 * j) % 7);
        if (me == 0)
            for (std::size_t j = 0; j < n; ++j) x[j] = static_cast<double>(j % 5);
        std::vector<int> counts, displs; // gatherv takes int counts; block_counts gives std::size_t
        for (const std::size_t c : mpixx::block_counts(n, static_cast<std::size_t>(size)))
            counts.push_back(static_cast<int>(c));
        for (const std::size_t d : mpixx::block_displs(n, static_cast<std::size_t>(size)))
            displs.push_back(static_cast<int>(d));
        const int nn = static_cast<int>(n), mine = static_cast<int>(local_y.size());
        const auto raw_matvec = [&] {
            MPI_Bcast(x.data(), nn, MPI_DOUBLE, 0, raw);
            local_product(a, x, local_y);
            MPI_Gatherv(local_y.data(), mine, MPI_DOUBLE, y.data(), counts.data(), displs.data(), MPI_DOUBLE, 0, raw);
        };
        const std::string label = "matvec N=" + std::to_string(n);
        const int iters = n == 100 ? 50 : 2; // blocks of ~0.5 ms
        table.run(label + " (gatherv, counts)", iters, raw_matvec, [&] {
            comm.bcast(std::span(x), 0); // pre-sized: one MPI_Bcast, as raw
            local_product(a, x, local_y);
            comm.gatherv(local_y, y, counts, displs, 0);
        });
        table.run(
            label + " (value gatherv)", iters, raw_matvec,
            [&] {
                comm.bcast(std::span(x), 0); // pre-sized: one MPI_Bcast, as raw
                local_product(a, x, local_y);
                const auto all = comm.gatherv(local_y, 0);
                if (!all.empty()) sink += all[0];
            },
            bench::informational);
    }

    // ---- overlap, raw vs mpixx ------------------------------------------------------------------------
    // 4 MiB message, 1 MiB of computed-on data (--smoke: 1/64 of each)
    const std::size_t shrink = opt.smoke ? 6 : 0;
    std::vector<double> msg(std::size_t{1} << (19 - shrink), 1.0), work(std::size_t{1} << (17 - shrink), 1.0);
    const int msg_n = static_cast<int>(msg.size());
    const auto no_op = [] {};
    const auto transfer_blocking = [&] {
        if (me == 0) comm.send(msg, 1, 0);
        else if (me == 1) comm.recv(msg, 0, 0);
    };
    // The computation is sized to take about as long as the transfer alone (where overlap could at best
    // halve the time): passes = median(transfer) / median(one pass), decided by rank 0.
    int passes = 1;
    {
        const auto one_pass = [&] { compute(work, 1, no_op); };
        std::vector<double> transfer_us, pass_us;
        for (int r = 0; r < (opt.smoke ? 1 : 21); ++r) {
            transfer_us.push_back(bench::time_block(raw, 1, transfer_blocking));
            pass_us.push_back(bench::time_block(raw, 1, one_pass));
        }
        passes = static_cast<int>(std::clamp(bench::median(transfer_us) / bench::median(pass_us), 1.0,
                                             opt.smoke ? 20.0 : 5000.0));
        comm.bcast(passes, 0);
    }
    table.run(
        "isend/irecv 4 MiB + compute + wait", 1,
        [&] {
            MPI_Request r = MPI_REQUEST_NULL;
            if (me == 0) MPI_Isend(msg.data(), msg_n, MPI_DOUBLE, 1, 0, raw, &r);
            else if (me == 1) MPI_Irecv(msg.data(), msg_n, MPI_DOUBLE, 0, 0, raw, &r);
            compute(work, passes, no_op);
            MPI_Wait(&r, MPI_STATUS_IGNORE);
        },
        [&] {
            mpixx::request<> r;
            if (me == 0) r = comm.isend(msg, 1, 0);
            else if (me == 1) r = comm.irecv(msg, 0, 0);
            compute(work, passes, no_op);
            if (r.pending()) r.wait();
        });

    // ---- allreduce, raw vs mpixx ----------------------------------------------------------------------
    const double local = me + 1.0;
    table.run(
        "allreduce 1 double", 500,
        [&] {
            double total = 0;
            MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, raw);
            sink += total;
        },
        [&] { sink += comm.allreduce(local, mpixx::sum); });
    table.summary();

    // ---- the guide's claims ---------------------------------------------------------------------------
    claims guide(raw, opt);
    const auto start_transfer = [&] {
        if (me == 0) return comm.isend(msg, 1, 0);
        if (me == 1) return comm.irecv(msg, 0, 0);
        return mpixx::request<>();
    };
    const std::string overlap = "4 MiB, " + std::to_string(passes) + " passes";
    // The guide's snippet as it stands: the sender overlaps; the receiver does its own work first and
    // receives afterwards (a blocking 4 MiB send must wait for that receive: rendezvous).
    guide.run("overlap, sender: " + overlap, 1,
              {{"blocking: send, then compute",
                [&] {
                    if (me == 0) comm.send(msg, 1, 0);
                    compute(work, passes, no_op);
                    if (me == 1) comm.recv(msg, 0, 0);
                }},
               {"non-blocking: isend, compute, wait",
                [&] {
                    mpixx::request<> r;
                    if (me == 0) r = comm.isend(msg, 1, 0);
                    compute(work, passes, no_op);
                    if (me == 1) comm.recv(msg, 0, 0);
                    if (r.pending()) r.wait();
                }}});
    // Both sides start their transfer, compute, then complete it.
    guide.run("overlap, both sides: " + overlap, 1,
              {{"blocking: send/recv, then compute",
                [&] {
                    transfer_blocking();
                    compute(work, passes, no_op);
                }},
               {"non-blocking: isend/irecv, compute, wait",
                [&] {
                    auto r = start_transfer();
                    compute(work, passes, no_op);
                    if (r.pending()) r.wait();
                }},
               {"non-blocking, test() after each 16th of compute",
                [&] {
                    auto r = start_transfer();
                    compute(work, passes, [&] {
                        if (r.pending()) static_cast<void>(r.test());
                    });
                    if (r.pending()) r.wait();
                }},
               {"reference: compute only", [&] { compute(work, passes, no_op); }},
               {"reference: communication only (send/recv)", transfer_blocking},
               {"reference: communication only (isend/irecv, wait)",
                [&] {
                    auto r = start_transfer();
                    if (r.pending()) r.wait();
                }}});
    guide.run("gathering: sum of 1 double", 300,
              {{"manual: recv loop at root + bcast",
                [&] {
                    double total = local;
                    if (me == 0)
                        for (int i = 1; i < size; ++i) total += comm.recv<double>(i, 0);
                    else
                        comm.send(local, 0, 0);
                    comm.bcast(total, 0); // in place
                    sink += total;
                }},
               {"collective: allreduce", [&] { sink += comm.allreduce(local, mpixx::sum); }}});
    if (me == 0 && sink == 42.0) std::printf("\n"); // keeps `sink` observable
}

// benchmarks/io_rma.cpp - what mpixx::file and mpixx::window cost over the MPI calls they wrap.
//
// Run on 2 ranks: mpiexec -n 2 io_rma [--smoke] [--rounds R]. Each case runs raw MPI and mpixx
// alternated (bench.hpp's method) on the same handle and buffers:
//   io_write_all      a collective write of 64 MiB per rank at its offset (MPI_File_write_at_all vs
//                     file::write_at_all) to a file next to this executable (in the build directory),
//                     removed at the end; at most 31 rounds (each moves 2 x 128 MiB). Target <= 1.05.
//   rma_put           an 8-byte put + flush from rank 0 to rank 1 in a lock_all epoch (MPI_Put +
//                     MPI_Win_flush vs window::put + window::flush). Target <= 1.02.
//   rma_fetch_and_op  an 8-byte fetch-and-add with its result (MPI_Fetch_and_op + MPI_Win_flush_local vs
//                     window::fetch_and_op). Target <= 1.02.
// The last three lines are `<case> mpixx/raw <ratio>`. Ranks above 1 only join the barriers.
#include "bench.hpp"

#include <mpixx/file.hpp>
#include <mpixx/window.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

/// Times raw and mpixx alternated (one untimed warm-up block each), prints the table row, returns the
/// ratio of medians (rank 0; 0 elsewhere).
template <class Raw, class Mpixx>
double alternate(MPI_Comm comm, int rounds, int iters, const char* name, double target, Raw&& raw, Mpixx&& mpixx) {
    bench::time_block(comm, iters, raw);
    bench::time_block(comm, iters, mpixx);
    std::vector<double> a, b;
    for (int r = 0; r < rounds; ++r) {
        a.push_back(bench::time_block(comm, iters, raw));
        b.push_back(bench::time_block(comm, iters, mpixx));
    }
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank != 0) return 0;
    const double ra = bench::median(a), rb = bench::median(b), ratio = rb / ra;
    std::printf("| %-34s | %10.4f | %10.4f | %7.3f | <= %.2f%s\n", name, ra, rb, ratio, target,
                ratio <= target ? "" : "  ABOVE TARGET");
    std::fflush(stdout);
    return ratio;
}

std::string dir_of(const char* argv0) {
    const std::string p = argv0;
    const auto slash = p.rfind('/');
    return slash == std::string::npos ? "." : p.substr(0, slash);
}

} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const bench::options opt = bench::parse(argc, argv);
    const auto comm = mpixx::world().dup();
    if (!bench::has_two_ranks(comm, "io_rma")) return 1;
    const MPI_Comm raw = comm.native();
    const int me = comm.rank();
    if (me == 0) {
        bench::print_banner("io_rma", comm.size(), opt, true);
        std::printf("| %-34s | %10s | %10s | %7s |\n", "case", "raw us", "mpixx us", "ratio");
        std::fflush(stdout);
    }
    bool ok = true;

    // ---- io_write_all: 64 MiB per rank, one collective write each ------------------------------------
    double io_ratio = 0;
    {
        const std::string path = dir_of(argv[0]) + "/io_rma_bench.dat";
        const std::size_t bytes = opt.smoke ? 1024 : std::size_t(64) << 20;
        const std::vector<char> block(bytes, static_cast<char>('a' + me));
        const auto off = static_cast<MPI_Offset>(bytes) * me;
        {
            mpixx::file f(comm, path, mpixx::file_mode::write | mpixx::file_mode::create);
            const MPI_File fh = f.native();
            const int io_rounds = opt.smoke ? 1 : std::min(opt.rounds, 31);
            io_ratio = alternate(
                raw, io_rounds, 1, "io_write_all 64 MiB/rank", 1.05,
                [&] {
                    MPI_File_write_at_all(fh, off, block.data(), static_cast<int>(bytes), MPI_CHAR, MPI_STATUS_IGNORE);
                },
                [&] { f.write_at_all(off, block); });
            ok = ok && f.size() == static_cast<MPI_Offset>(bytes) * comm.size();
            f.close();
        }
        comm.barrier();
        if (me == 0) std::remove(path.c_str());
    }

    // ---- RMA: rank 0 to rank 1 in one lock_all epoch --------------------------------------------------
    auto win = mpixx::window<long>::allocate(comm, 2);
    win.local()[0] = win.local()[1] = 0;
    comm.barrier();
    const MPI_Win w = win.native();
    double put_ratio = 0, fop_ratio = 0;
    long increments = 0;
    {
        auto epoch = win.lock_all();
        const long x = 42;
        put_ratio = alternate(
            raw, opt.rounds, opt.iters(200), "rma_put 8 B + flush", 1.02,
            [&] {
                if (me != 0) return;
                MPI_Put(&x, 1, MPI_LONG, 1, 0, 1, MPI_LONG, w);
                MPI_Win_flush(1, w);
            },
            [&] {
                if (me != 0) return;
                win.put(x, 1, 0);
                win.flush(1);
            });
        const long one = 1;
        long old = 0;
        fop_ratio = alternate(
            raw, opt.rounds, opt.iters(200), "rma_fetch_and_op 8 B", 1.02,
            [&] {
                if (me != 0) return;
                MPI_Fetch_and_op(&one, &old, MPI_LONG, 1, 1, MPI_SUM, w);
                MPI_Win_flush_local(1, w);
                ok = ok && old == increments++;
            },
            [&] {
                if (me != 0) return;
                ok = ok && win.fetch_and_op(one, 1, 1, mpixx::sum) == increments++;
            });
    }
    comm.barrier();
    if (me == 1) ok = ok && win.local()[0] == 42;
    ok = comm.allreduce(ok ? 1 : 0, mpixx::min) == 1;

    if (me == 0) {
        if (!ok) std::printf("io_rma: WRONG RESULTS\n");
        std::printf("io_write_all mpixx/raw %.3f\n", io_ratio);
        std::printf("rma_put mpixx/raw %.3f\n", put_ratio);
        std::printf("rma_fetch_and_op mpixx/raw %.3f\n", fop_ratio);
        std::fflush(stdout);
    }
    return ok ? 0 : 1;
}

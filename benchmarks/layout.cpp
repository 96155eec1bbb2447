// benchmarks/layout.cpp - what a layout view costs over raw MPI with the same derived datatype.
//
// Run on 2 ranks: mpiexec -n 2 layout [--smoke] [--rounds R]. A column of a 1024 x 1024 row-major matrix
// of doubles goes from rank 0 to rank 1 and back (ping-pong), as one MPI_Send/MPI_Recv of a committed
// MPI_Type_vector(1024, 1, 1024, MPI_DOUBLE) in raw MPI and as comm.send/comm.recv of
// mpixx::layout_view(ptr, vector_layout<double>(1024, 1, 1024)) in mpixx; alternated, medians. Also the
// one-off cost of building a layout's datatype (informational) and the per-call cost of a view send to
// proc_null. The last line is `column mpixx/raw <ratio>` (target <= 1.02).
#include "bench.hpp"

#include <mpixx/layout.hpp>
#include <mpixx/md_view.hpp>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const bench::options opt = bench::parse(argc, argv);
    const auto comm = mpixx::world().dup();
    if (!bench::has_two_ranks(comm, "layout")) return 1;
    const MPI_Comm raw = comm.native();
    const int me = comm.rank();
    const int n = opt.smoke ? 64 : 1024;
    bench::table table(raw, opt, "layout");

    std::vector<double> a(static_cast<std::size_t>(n) * static_cast<std::size_t>(n), 1.0);
    MPI_Datatype column = MPI_DATATYPE_NULL;
    MPI_Type_vector(n, 1, n, MPI_DOUBLE, &column);
    MPI_Type_commit(&column);
    const mpixx::vector_layout<double> col(n, 1, n);
    const int j = 7; // the column exchanged
    const auto view = mpixx::layout_view(a.data() + j, col);

    auto raw_pp = [&] {
        if (me == 0) {
            MPI_Send(a.data() + j, 1, column, 1, 0, raw);
            MPI_Recv(a.data() + j, 1, column, 1, 0, raw, MPI_STATUS_IGNORE);
        } else if (me == 1) {
            MPI_Recv(a.data() + j, 1, column, 0, 0, raw, MPI_STATUS_IGNORE);
            MPI_Send(a.data() + j, 1, column, 0, 0, raw);
        }
    };
    auto mpixx_pp = [&] {
        if (me == 0) {
            comm.send(view, 1, 0);
            comm.recv(view, 1, 0);
        } else if (me == 1) {
            comm.recv(view, 0, 0);
            comm.send(view, 0, 0);
        }
    };
    table.run("column ping-pong (1024 doubles)", 20, raw_pp, mpixx_pp);
    // The same with a view made at each call (a temporary layout_view of the shared layout).
    auto mpixx_tmp = [&] {
        if (me == 0) {
            comm.send(mpixx::layout_view(a.data() + j, col), 1, 0);
            comm.recv(mpixx::layout_view(a.data() + j, col), 1, 0);
        } else if (me == 1) {
            comm.recv(mpixx::layout_view(a.data() + j, col), 0, 0);
            comm.send(mpixx::layout_view(a.data() + j, col), 0, 0);
        }
    };
    table.run("column ping-pong, view per call", 20, raw_pp, mpixx_tmp);

    // The per-call cost of the wrapper: a send to proc_null (informational: nearly nothing to compare).
    table.run(
        "view send to proc_null (per call)", 2000,
        [&] { MPI_Send(a.data() + j, 1, column, MPI_PROC_NULL, 0, raw); },
        [&] { comm.send(view, mpixx::proc_null, 0); }, bench::informational);

    // The one-off cost of building a datatype: MPI_Type_vector + commit + free, raw and as a layout.
    table.run(
        "build + free a column datatype", 50,
        [&] {
            MPI_Datatype t = MPI_DATATYPE_NULL;
            MPI_Type_vector(n, 1, n, MPI_DOUBLE, &t);
            MPI_Type_commit(&t);
            MPI_Type_free(&t);
        },
        [&] {
            const mpixx::vector_layout<double> l(n, 1, n);
            (void)l.native();
        },
        bench::informational);
    table.summary();

    // The headline ratio, measured again on its own (alternated, medians) so the last line stands alone.
    std::vector<double> raw_us, mpixx_us;
    const int iters = opt.iters(20);
    for (int r = 0; r < opt.rounds; ++r) {
        raw_us.push_back(bench::time_block(raw, iters, raw_pp));
        mpixx_us.push_back(bench::time_block(raw, iters, mpixx_pp));
    }
    if (me == 0) std::printf("column mpixx/raw %.3f\n", bench::median(mpixx_us) / bench::median(raw_us));
    MPI_Type_free(&column);
}

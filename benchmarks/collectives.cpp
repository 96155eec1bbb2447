// benchmarks/collectives.cpp - what mpixx's collectives cost over the C calls they wrap (issue 4).
//
// Run on 2 ranks: mpiexec -n 2 collectives [--smoke] [--rounds R]. Raw MPI and mpixx alternate in the
// same process on the same communicator: allreduce, bcast and gather of one element (target <= 1.02),
// and an allreduce with a user-defined op (a lambda) against the same function as a raw MPI_Op
// created once (informational: mpixx creates and frees the op per call so that the lambda's current
// state is always used).
#include "bench.hpp"

#include <vector>

namespace {

// The raw user op: the same max-of-absolute-values the mpixx lambda computes.
void raw_absmax(void* in, void* inout, int* len, MPI_Datatype*) {
    auto* a = static_cast<const double*>(in);
    auto* b = static_cast<double*>(inout);
    for (int i = 0; i < *len; ++i) {
        const double x = a[i] < 0 ? -a[i] : a[i], y = b[i] < 0 ? -b[i] : b[i];
        b[i] = x > y ? x : y;
    }
}

} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const bench::options opt = bench::parse(argc, argv);
    const auto comm = mpixx::world().dup();
    const MPI_Comm raw = comm.native();
    const int me = comm.rank();
    bench::table table(raw, opt, "collectives");
    const int iters = 200;

    double x = me + 1.0, y = 0;
    table.run(
        "allreduce 1 double (into buffer)", iters,
        [&] { MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, MPI_SUM, raw); }, [&] { comm.allreduce(x, y, mpixx::sum); });
    table.run(
        "allreduce 1 double (value form)", iters,
        [&] { MPI_Allreduce(&x, &y, 1, MPI_DOUBLE, MPI_SUM, raw); }, [&] { y = comm.allreduce(x, mpixx::sum); });

    int v = me == 0 ? 42 : 0;
    table.run(
        "bcast 1 int", iters, [&] { MPI_Bcast(&v, 1, MPI_INT, 0, raw); }, [&] { comm.bcast(v, 0); });

    std::vector<int> all(static_cast<std::size_t>(comm.size()));
    table.run(
        "gather 1 int (into buffer)", iters, [&] { MPI_Gather(&me, 1, MPI_INT, all.data(), 1, MPI_INT, 0, raw); },
        [&] { comm.gather(me, all, 0); });

    MPI_Op raw_op;
    MPI_Op_create(&raw_absmax, 1, &raw_op);
    auto absmax = [](double a, double b) {
        const double x1 = a < 0 ? -a : a, y1 = b < 0 ? -b : b;
        return x1 > y1 ? x1 : y1;
    };
    double z = -x;
    table.run(
        "allreduce 1 double, user op", iters, [&] { MPI_Allreduce(&z, &y, 1, MPI_DOUBLE, raw_op, raw); },
        [&] { y = comm.allreduce(z, mpixx::commutative(absmax)); }, bench::informational);
    MPI_Op_free(&raw_op);
    table.summary();
}

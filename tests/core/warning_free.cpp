// tests/core/warning_free.cpp - what a user who includes mpixx with -I (as with mpicxx) and builds with
// -Wconversion -Wsign-conversion -Werror compiles: the umbrella header and the common typed calls.
// Compiled with -fsyntax-only by the headers.warning_free test (tests/cmake/core_header.cmake); never run.
#include <mpixx/mpixx.hpp>

#include <array>
#include <map>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const int me = comm.rank(), n = comm.size();
    std::vector<double> a(8, me), b(8);
    std::vector<int> counts(static_cast<std::size_t>(n), 2), all(2 * static_cast<std::size_t>(n));
    std::array<long, 4> la{}, lb{};
    const double s = comm.allreduce(1.0 * me, mpixx::sum);
    comm.allreduce(a, b, mpixx::max);
    comm.allreduce(la, lb, mpixx::sum);
    comm.bcast(a, 0);
    const auto g = comm.allgather(me);
    const std::vector<int> two{me, me};
    const auto gv = comm.allgatherv(two);
    comm.allgatherv(two, all, counts);
    comm.gatherv(two, all, counts, 0);
    const auto sv = comm.scatterv(all, counts, 0);
    const auto rs = comm.reduce_scatter(all, counts, mpixx::sum);
    comm.barrier();
    if (me == 0) comm.send(a, 1 % n, 0);
    else if (me == 1) comm.recv(b, 0, 0);
    auto r = comm.isend(a, (me + 1) % n, 5);
    auto q = comm.irecv(b, (me + n - 1) % n, 5);
    q.wait();
    r.wait();
    const std::map<std::string, int> m{{"x", 1}};
    const auto m2 = comm.bcast(m, 0);
    mpixx::print(comm, "{} {}\n", s, g.size() + gv.size() + sv.size() + rs.size() + m2.size());
    return 0;
}

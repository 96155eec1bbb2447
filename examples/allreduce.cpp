// The guide's "Allreduce": every rank receives the sum of rank + 1 over all ranks (one MPI_Allreduce
// with MPI_SUM on MPI_INT) and prints it, in rank order.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const int sendbuf = comm.rank() + 1;
    // All processes receive the result
    const int total = comm.allreduce(sendbuf, mpixx::sum);
    mpixx::print_ordered(comm, "Rank {}: total sum = {}", comm.rank(), total);
}

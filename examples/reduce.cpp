// The guide's "Reduce": the sum of rank + 1 over all ranks lands on rank 0 (one MPI_Reduce with MPI_SUM
// on MPI_INT): size * (size + 1) / 2, so "Sum: 10" at 4 ranks.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    // Local data
    const int sendbuf = comm.rank() + 1;
    // Reduce to sum at root (the other ranks get 0)
    const int sum = comm.reduce(sendbuf, mpixx::sum, 0);
    if (comm.rank() == 0) fmt::print("Sum: {}\n", sum);
}

// The guide's "Broadcast": rank 0's four ints overwrite every rank's array (one MPI_Bcast, in place);
// every rank prints what it has, in rank order.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <array>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    std::array<int, 4> data{};
    if (comm.rank() == 0) data = {1, 2, 3, 4};
    // Broadcast from root (rank 0) to all processes
    comm.bcast(data, 0);
    mpixx::print_ordered(comm, "Rank {} has: {}", comm.rank(), mpixx::numpy(data));
}

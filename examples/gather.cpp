// The guide's "Gather": every rank contributes four copies of its rank; rank 0 receives all blocks in
// rank order (one MPI_Gather into a vector sized for size() blocks; the other ranks get an empty one).
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <vector>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    // Each process has local data
    const std::vector<int> sendbuf(4, comm.rank());
    // Gather all data at root
    const auto recvbuf = comm.gather(sendbuf, 0);
    if (comm.rank() == 0) fmt::print("Gathered data: {}\n", mpixx::numpy(recvbuf));
}

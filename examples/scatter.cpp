// The guide's "Scatter": rank 0 holds 0, 1, ..., 4*size-1 and every rank receives its block of four
// (rank r: 4r .. 4r+3; one MPI_Scatter); every rank prints its block, in rank order.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <array>
#include <numeric>
#include <vector>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    // Data to distribute: only the root's is read (the others pass an empty vector)
    const auto blocks = static_cast<std::size_t>(comm.size());
    std::vector<int> data(comm.rank() == 0 ? 4 * blocks : 0);
    std::iota(data.begin(), data.end(), 0);
    // Each process receives a chunk
    std::array<int, 4> recvbuf{};
    comm.scatter(data, recvbuf, 0);
    mpixx::print_ordered(comm, "Rank {} received: {}", comm.rank(), mpixx::numpy(recvbuf));
}

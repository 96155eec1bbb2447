// The guide's "Uppercase Send/Recv (NumPy arrays)": rank 0 sends four ints to rank 1 as typed data
// (one MPI_Send of 4 MPI_INT straight from the array, no serialization); rank 1 receives them into its
// own array (one MPI_Recv, no probe: std::array's size is known) and prints it as numpy does. Needs 2
// ranks; ranks above 1 idle.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <array>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    if (!mpixx::require_ranks(comm, 2, "send_recv_buffer")) return 1;
    if (comm.rank() == 0) {
        const std::array data{1, 2, 3, 4};
        comm.send(data, 1, 13);
    } else if (comm.rank() == 1) {
        const auto data = comm.recv<std::array<int, 4>>(0, 13);
        fmt::print("Rank 1 received: {}\n", mpixx::numpy(data));
    }
}

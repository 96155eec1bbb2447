// The guide's "Non-blocking Communication": rank 0 starts sending four ints (MPI_Isend), rank 1 starts
// receiving them into its array (MPI_Irecv); each could work in the meantime, then waits. The buffers
// are borrowed: they must outlive the request (a request also waits in its destructor, so leaving the
// scope early never frees a buffer MPI still uses). Needs 2 ranks; ranks above 1 idle.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <array>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    if (!mpixx::require_ranks(comm, 2, "nonblocking")) return 1;
    if (comm.rank() == 0) {
        const std::array data{1, 2, 3, 4};
        auto req = comm.isend(data, 1, 0);
        // Do other work
        req.wait(); // wait for completion
    } else if (comm.rank() == 1) {
        std::array<int, 4> data{};
        auto req = comm.irecv(data, 0, 0);
        // Do other work
        req.wait();
        fmt::print("Received: {}\n", mpixx::numpy(data));
    }
}

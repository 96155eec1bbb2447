// benchmarks/overhead/checked_tu.cpp - the mpixx side of overhead.cpp's checked-mode rows, built with
// MPIXX_CHECKED=1 (benchmarks/CMakeLists.txt). Checked mode names its own ABI namespace, so this unit
// and overhead.cpp (built as configured) link into one program without mixing their inline functions;
// only plain C types cross between them.
#include <mpixx/core.hpp>

#include <optional>

static_assert(MPIXX_CHECKED == 1, "built in checked mode");

namespace {
std::optional<mpixx::communicator> checked_comm; // a dup made in checked mode: it carries signatures
}

namespace overhead_checked {

/// Makes the checked communicator (collective over MPI_COMM_WORLD).
void setup() { checked_comm = mpixx::world().dup(); }
/// Frees it (before MPI_Finalize).
void teardown() { checked_comm.reset(); }
/// The checked communicator's handle, for the raw side of the same rows.
MPI_Comm native() { return checked_comm->native(); }

/// One round trip of `n` bytes between ranks 0 and 1 through checked-mode send/recv.
void pingpong(char* buf, int n, int me) {
    const auto& c = *checked_comm;
    const std::span<char> b(buf, static_cast<std::size_t>(n));
    if (me == 0) {
        c.send(b, 1, 0);
        c.recv(b, 1, 0);
    } else if (me == 1) {
        c.recv(b, 0, 0);
        c.send(b, 0, 0);
    }
}

/// A checked-mode allreduce of one double.
double allreduce(double x) { return checked_comm->allreduce(x, mpixx::sum); }

} // namespace overhead_checked

// The guide's "Verify Installation" and "Check MPI Configuration" examples, printed once (by rank 0),
// in mpi4py's formats: MPI.Get_version() is a tuple, MPI.get_vendor() a (name, (major, minor, patch)).
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    if (mpixx::world().rank() != 0) return 0;
    fmt::print("MPI version: {}\n", mpixx::mpi_version());
    fmt::print("Processor name: {}\n", mpixx::processor_name());
    fmt::print("Vendor: {}\n", mpixx::vendor());
    const auto lib = mpixx::library_version();
    fmt::print("Library version: {}\n", lib.substr(0, lib.find('\n'))); // the banner's first line
}

// tests/abort/uncaught_exception.cpp - the highest rank throws out of main while every other rank waits
// in MPI_Barrier. Without mpixx's abort-on-uncaught-exception guard this job hangs until the timeout;
// with it, the thrower prints its rank and message and MPI_Abort ends the whole job at once.
#include <mpixx/communicator.hpp>
#include <mpixx/environment.hpp>

#include <stdexcept>
#include <string>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const auto world = mpixx::world();
    if (world.rank() == world.size() - 1) throw std::runtime_error("boom from rank " + std::to_string(world.rank()));
    MPI_Barrier(world.native()); // never completes: the last rank does not arrive
    return 0;
}

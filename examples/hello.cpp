// The guide's "Communicator" example: every rank says hello (in whatever order the ranks print).
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    fmt::print("Hello from rank {} of {}\n", comm.rank(), comm.size());
}

// Built with a configuration unlike odr_tu.cpp's unit a: calling a function of unit a that takes an
// mpixx type must fail to link (the types live in differently named inline namespaces).
#include <mpixx/communicator.hpp>
#include <mpixx/environment.hpp>

int rank_of_a(const mpixx::communicator& c);

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    return rank_of_a(mpixx::world());
}

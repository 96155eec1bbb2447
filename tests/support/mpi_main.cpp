// tests/support/mpi_main.cpp - Catch2 main for tests run under mpiexec.
//
// Every rank runs the same test cases with its output captured. Rank 0 prints its own report, then the
// report of every other rank that had a failure, each line labelled with the rank. Every rank exits
// non-zero when any rank failed, so mpiexec and CTest see the failure whichever rank it was on.
#define CATCH_CONFIG_RUNNER
#include "mpixx_test.hpp"

#include <mpixx/environment.hpp>

#include <iostream>
#include <sstream>
#include <string>

namespace {

void print_labelled(const std::string& text, int rank) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) std::cout << "[rank " << rank << "] " << line << '\n';
}

} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    std::ostringstream captured;
    std::streambuf* original = std::cout.rdbuf(captured.rdbuf());
    int failed = 0;
    {
        Catch::Session session;
        failed = session.applyCommandLine(argc, argv);
        if (failed == 0) failed = session.run();
    }
    std::cout.flush();
    std::cout.rdbuf(original);

    int any_failed = 0;
    MPI_Allreduce(&failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);

    // Ship each failing rank's report to rank 0 (length first, then the text).
    const std::string text = captured.str();
    if (rank == 0) {
        std::cout << text;
        for (int r = 1; r < size; ++r) {
            int len = 0;
            MPI_Recv(&len, 1, MPI_INT, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            std::string other(static_cast<std::size_t>(len), '\0');
            MPI_Recv(other.data(), len, MPI_CHAR, r, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (len > 0) print_labelled(other, r);
        }
        std::cout << "mpixx test: " << size << " rank(s), " << (any_failed ? "FAILED" : "all passed") << std::endl;
    } else {
        const std::string report = failed ? text : std::string();
        int len = static_cast<int>(report.size());
        MPI_Send(&len, 1, MPI_INT, 0, 0, MPI_COMM_WORLD);
        MPI_Send(report.data(), len, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
    }
    return any_failed ? 1 : 0;
}

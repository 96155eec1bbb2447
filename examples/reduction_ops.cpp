// The guide's "Available Reduction Operations": the eight ops, each applied with reduce to a per-rank
// value, results printed by rank 0, one line "MPI.<OP>: <result>" per op, in the guide's order:
//   SUM, PROD, MAX, MIN on x = rank + 1 (1, 2, ..., size): size*(size+1)/2, size!, size, 1
//     (64-bit integers: PROD is exact up to 20 ranks, 20! < 2^63);
//   LAND, LOR on even = (rank % 2 == 0), printed as Python's True/False: LAND is True only at 1 rank
//     (every rank even), LOR is always True (rank 0 is even);
//   BAND, BOR on bits = 0b11110000 | 1 << (rank % 4) (a common high nibble, one low bit of its own),
//     printed like Python's f"{x:#b}": BAND keeps the high nibble (plus bit 0 at 1 rank), BOR adds the
//     low bit of every rank.
// Each call maps to the built-in MPI_Op on the value's MPI datatype: one MPI_Reduce, nothing else.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const int rank = comm.rank();
    const long long x = rank + 1;
    const bool even = rank % 2 == 0;
    const unsigned bits = 0b11110000u | 1u << (rank % 4);

    const auto sum = comm.reduce(x, mpixx::sum, 0);
    const auto prod = comm.reduce(x, mpixx::prod, 0);
    const auto max = comm.reduce(x, mpixx::max, 0);
    const auto min = comm.reduce(x, mpixx::min, 0);
    const bool land = comm.reduce(even, mpixx::land, 0);
    const bool lor = comm.reduce(even, mpixx::lor, 0);
    const auto band = comm.reduce(bits, mpixx::band, 0);
    const auto bor = comm.reduce(bits, mpixx::bor, 0);

    if (rank != 0) return 0;
    const auto py = [](bool b) { return b ? "True" : "False"; };
    fmt::print("MPI.SUM: {}\nMPI.PROD: {}\nMPI.MAX: {}\nMPI.MIN: {}\n", sum, prod, max, min);
    fmt::print("MPI.LAND: {}\nMPI.LOR: {}\n", py(land), py(lor));
    fmt::print("MPI.BAND: {:#b}\nMPI.BOR: {:#b}\n", band, bor);
}

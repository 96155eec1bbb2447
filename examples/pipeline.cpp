// The guide's "Pipeline Parallelism": processes form a pipeline, each doing one stage. Rank k is stage k
// and applies v -> 2v + k to every item; rank 0 also produces the M items 0..M-1, and the last rank
// collects the results and prints them. Items stream through: once rank k has passed item i on, it
// takes item i + 1 while rank k + 1 works on item i (a small send completes without waiting for its
// receive). Any number of ranks works: at 1 rank the pipeline has a single stage and that rank is
// producer, stage and collector at once.
#include <fmt/format.h>
#include <mpixx/mpixx.hpp>

#include <vector>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const int rank = comm.rank(), size = comm.size();
    const int M = 8; // items
    std::vector<long long> results;
    for (int item = 0; item < M; ++item) {
        long long v = rank == 0 ? item : comm.recv<long long>(rank - 1); // produce, or take from the previous stage
        v = 2 * v + rank;                                                 // this rank's stage
        if (rank + 1 < size) comm.send(v, rank + 1);                      // pass on to the next stage
        else results.push_back(v);
    }
    if (rank == size - 1) fmt::print("Results after {} stage(s): [{}]\n", size, fmt::join(results, " "));
}

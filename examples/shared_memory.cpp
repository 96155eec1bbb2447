// A node-shared lookup table (mpi4py: Win.Allocate_shared + Win.Shared_query): one copy of read-mostly
// data per node instead of one per process. The node's first process fills the table, every process of
// the node reads it in place (plain loads, no messages), and the ranks reduce what they looked up.
// Built on mpixx::node_shared_array (sync.hpp): comm.split_shared() + window<T>::allocate_shared.
// Only rank 0 prints.
#include <mpixx/mpixx.hpp>
#include <mpixx/sync.hpp>

#include <cstdio>
#include <span>

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    const auto comm = mpixx::world();
    constexpr std::size_t entries = 10000;

    // Collective: the table lives in the node's shared memory; its leader runs the filler once.
    mpixx::node_shared_array<long> table(comm, entries, [](std::span<long> t) {
        for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<long>(i * i % 1000);
    });

    // Each rank looks up every size()-th entry, starting at its rank, straight from shared memory.
    long mine = 0;
    for (std::size_t i = static_cast<std::size_t>(comm.rank()); i < entries; i += static_cast<std::size_t>(comm.size()))
        mine += table[i];
    const long total = comm.reduce(mine, mpixx::sum, 0);
    // How many copies exist: one per node (one per process only where processes share no memory).
    const int copies = comm.reduce(table.is_leader() ? 1 : 0, mpixx::sum, 0);

    if (comm.rank() == 0) {
        std::printf("table of %zu entries, shared by the processes of each node\n", entries);
        std::printf("sum of all entries = %ld (looked up by %d rank(s))\n", total, comm.size());
        std::printf("copies of the table: %s\n", copies <= comm.size() ? "at most one per node" : "too many");
    }
}

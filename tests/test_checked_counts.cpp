// tests/test_checked_counts.cpp - checked mode (MPIXX_CHECKED=1, on in Debug builds) on the v-collectives:
// counts that disagree with what a peer really sends throw mpixx::error on EVERY rank, naming both sides,
// instead of leaving slots unwritten (issue #15 item 5, the first piece of issue #12's checked mode).
// This executable is built with MPIXX_CHECKED=1 whatever the build type (tests/cmake/checked_counts.cmake).
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>

#include <numeric>
#include <string>
#include <vector>

static_assert(MPIXX_CHECKED == 1, "this test is built in checked mode");

namespace {

/// Runs `f`, which must throw mpixx::error with MPI_ERR_COUNT whose text contains `needle`.
template <class F>
void require_count_error(F&& f, const std::string& needle) {
    try {
        f();
        FAIL("no mpixx::error was thrown");
    } catch (const mpixx::error& e) {
        INFO(e.what());
        CHECK(e.error_class() == MPI_ERR_COUNT);
        CHECK(std::string(e.what()).find(needle) != std::string::npos);
    }
}

} // namespace

TEST_CASE("checked gatherv: matching counts gather as before", "[checked]") {
    auto comm = mpixx::world();
    const int n = comm.size(), me = comm.rank();
    std::vector<int> mine(static_cast<std::size_t>(me + 1), me);
    std::vector<int> counts(static_cast<std::size_t>(n)), displs(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) counts[static_cast<std::size_t>(i)] = i + 1;
    std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
    std::vector<int> all(static_cast<std::size_t>(n * (n + 1) / 2), -1);
    comm.gatherv(mine, all, counts, displs, 0);
    if (me == 0)
        for (int i = 0; i < n; ++i)
            for (int k = 0; k < i + 1; ++k) CHECK(all[static_cast<std::size_t>(displs[static_cast<std::size_t>(i)] + k)] == i);
}

TEST_CASE("checked gatherv: a root expecting more than a rank sends throws on every rank", "[checked]") {
    auto comm = mpixx::world();
    const int n = comm.size(), me = comm.rank();
    std::vector<int> mine(static_cast<std::size_t>(me + 1), me);
    std::vector<int> counts(static_cast<std::size_t>(n)), displs(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) counts[static_cast<std::size_t>(i)] = i + 1;
    counts.back() += 1; // the root expects one int more from the last rank than it sends
    std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
    std::vector<int> all(static_cast<std::size_t>(displs.back() + counts.back()), -1);
    const std::string last = std::to_string(n - 1);
    // At 1 rank the root's own block disagrees: its local argument check says so (MPI_ERR_COUNT).
    require_count_error([&] { comm.gatherv(mine, all, counts, displs, 0); },
                        n == 1 ? std::string("mpixx::gatherv")
                               : "rank " + last + " sends " + std::to_string(4 * n) +
                                     " bytes, the root (rank 0) expects " + std::to_string(4 * (n + 1)) + " bytes");
    // Every rank is still in step: a correct collective follows.
    CHECK(comm.allreduce(1, mpixx::sum) == n);
}

TEST_CASE("checked scatterv: a receive buffer larger than the block it gets throws on every rank", "[checked]") {
    auto comm = mpixx::world();
    const int n = comm.size(), me = comm.rank();
    std::vector<int> data(static_cast<std::size_t>(2 * n), 7);
    std::vector<int> counts(static_cast<std::size_t>(n), 2), displs(static_cast<std::size_t>(n));
    std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
    std::vector<int> got(me == n - 1 ? 3 : 2, -1);
    if (n > 1) // (the root receives counts[root] elements of its own, whatever its buffer's size)
        require_count_error([&] { comm.scatterv(data, counts, displs, got, 0); },
                            "sends 8 bytes to rank " + std::to_string(n - 1) + ", which expects 12");
    std::vector<int> ok(2, -1);
    comm.scatterv(data, counts, displs, ok, 0);
    CHECK(ok == std::vector<int>{7, 7});
}

TEST_CASE("checked allgatherv: ranks whose counts disagree throw on every rank", "[checked]") {
    auto comm = mpixx::world();
    const int n = comm.size(), me = comm.rank();
    std::vector<int> mine{me};
    std::vector<int> counts(static_cast<std::size_t>(n), 1);
    if (me == 0) counts.back() = 2; // rank 0 believes the last rank sends two
    std::vector<int> displs(static_cast<std::size_t>(n));
    std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
    std::vector<int> all(static_cast<std::size_t>(displs.back() + counts.back()), -1);
    if (n == 1) { // the rank's own count disagrees: its local argument check says so
        require_count_error([&] { comm.allgatherv(mine, all, counts, displs); }, "mpixx::allgatherv");
    } else {
        require_count_error([&] { comm.allgatherv(mine, all, counts, displs); },
                            me == 0 ? "rank " + std::to_string(n - 1) + " sends 4 bytes, rank 0 expects 8"
                                    : "rank 0 found a mismatch");
    }
    CHECK(comm.allreduce(1, mpixx::sum) == n);
}

TEST_CASE("checked gatherv/allgatherv: a send buffer that disagrees with every rank's count throws on every rank",
          "[checked]") {
    // Its own count check used to throw on that rank alone, before the checked exchange: the others hung.
    auto comm = mpixx::world();
    const int n = comm.size(), me = comm.rank();
    const int odd = n - 1; // the last rank sends two ints where every rank's counts say one
    std::vector<int> mine(me == odd ? 2 : 1, me);
    std::vector<int> counts(static_cast<std::size_t>(n), 1), displs(static_cast<std::size_t>(n));
    std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
    std::vector<int> all(static_cast<std::size_t>(n), -1);
    require_count_error([&] { comm.allgatherv(mine, all, counts, displs); }, "mpixx::allgatherv");
    CHECK(comm.allreduce(1, mpixx::sum) == n);
    require_count_error([&] { comm.gatherv(mine, all, counts, displs, odd); }, "mpixx::gatherv"); // root's own
    CHECK(comm.allreduce(1, mpixx::sum) == n);
}

TEST_CASE("checked alltoallv: a rank expecting less than its peer sends throws on every rank", "[checked]") {
    auto comm = mpixx::world();
    const int n = comm.size(), me = comm.rank();
    std::vector<int> sendcounts(static_cast<std::size_t>(n), 1), recvcounts(static_cast<std::size_t>(n), 1);
    if (me == 0) sendcounts.back() = 2; // rank 0 sends two ints to the last rank, which expects one
    if (n == 1) recvcounts[0] = 1;
    std::vector<int> sdispls(static_cast<std::size_t>(n)), rdispls(static_cast<std::size_t>(n));
    std::exclusive_scan(sendcounts.begin(), sendcounts.end(), sdispls.begin(), 0);
    std::exclusive_scan(recvcounts.begin(), recvcounts.end(), rdispls.begin(), 0);
    std::vector<int> out(static_cast<std::size_t>(sdispls.back() + sendcounts.back()), me);
    std::vector<int> in(static_cast<std::size_t>(n), -1);
    require_count_error([&] { comm.alltoallv(out, sendcounts, sdispls, in, recvcounts, rdispls); },
                        me == n - 1 ? "rank 0 sends 8 bytes to rank " + std::to_string(n - 1) + ", which expects 4"
                                    : "rank " + std::to_string(n - 1) + " found a mismatch");
    CHECK(comm.allreduce(1, mpixx::sum) == n);
}

// Tests of sync.hpp (issue 11 item 3): the distributed counter hands out every value exactly once, the
// mutex makes a non-atomic read-modify-write of remote memory exact, the node-shared array is one copy
// per node that every process reads; misuse is an mpixx::error; PMPI counts show no window leaks.
#include "mpixx_test.hpp"

#include "error_class.hpp"

#include <mpixx/sync.hpp>

#include <algorithm>
#include <mutex>
#include <numeric>
#include <vector>

using mpixx_test::error_class_of;

namespace {
int live_windows = 0;
} // namespace

extern "C" {
int MPI_Win_allocate(MPI_Aint size, int unit, MPI_Info info, MPI_Comm comm, void* base, MPI_Win* win) {
    const int rc = PMPI_Win_allocate(size, unit, info, comm, base, win);
    if (rc == MPI_SUCCESS) ++live_windows;
    return rc;
}
int MPI_Win_allocate_shared(MPI_Aint size, int unit, MPI_Info info, MPI_Comm comm, void* base, MPI_Win* win) {
    const int rc = PMPI_Win_allocate_shared(size, unit, info, comm, base, win);
    if (rc == MPI_SUCCESS) ++live_windows;
    return rc;
}
int MPI_Win_free(MPI_Win* win) {
    const int rc = PMPI_Win_free(win);
    if (rc == MPI_SUCCESS) --live_windows;
    return rc;
}
}

TEST_CASE("counter: every value handed out exactly once, from any root and start") {
    const int before = live_windows;
    const auto comm = mpixx::world();
    const int n = comm.size();
    for (int root : {0, n - 1}) {
        mpixx::counter c(comm, 100, root);
        CHECK(c.root() == root);
        constexpr int k = 6;
        std::vector<long long> mine;
        for (int i = 0; i < k; ++i) mine.push_back(i % 2 ? c.next() : c.fetch_add(1));
        CHECK(std::is_sorted(mine.begin(), mine.end()));
        auto all = comm.allgather(mine);
        std::sort(all.begin(), all.end());
        std::vector<long long> want(static_cast<std::size_t>(k * n));
        std::iota(want.begin(), want.end(), 100LL);
        CHECK(all == want);
        comm.barrier();
        CHECK(c.value() == 100 + k * n);
        comm.barrier();
        const long long t = c.next(10);
        CHECK(t >= 100 + k * n);
        CHECK(t < 100 + k * n + 10 * n);
        CHECK((t - 100 - k * n) % 10 == 0);
        comm.barrier();
        CHECK(c.value() == 100 + k * n + 10 * n);
        comm.barrier();
    }
    CHECK(live_windows == before);
    CHECK(error_class_of([&] { mpixx::counter bad(comm, 0, n); }) == MPI_ERR_ROOT);
    CHECK(live_windows == before);
}

TEST_CASE("mutex: a non-atomic remote read-modify-write under the mutex is exact") {
    const int before = live_windows;
    const auto comm = mpixx::world();
    const int n = comm.size();
    {
        mpixx::mutex m(comm);
        auto data = mpixx::window<int>::allocate(comm, comm.rank() == 0 ? 1 : 0);
        if (comm.rank() == 0) data.local()[0] = 0;
        comm.barrier();
        auto e = data.lock_all();
        constexpr int k = 5;
        for (int i = 0; i < k; ++i) {
            std::lock_guard<mpixx::mutex> guard(m);
            CHECK(m.owns_lock());
            int x = data.get(0, 0); // read ...
            ++x;                    // ... modify ...
            data.put(x, 0, 0);      // ... write: exact only because of the mutex
            data.flush(0);
        }
        CHECK(!m.owns_lock());
        {
            std::unique_lock<mpixx::mutex> ul(m, std::try_to_lock);
            if (ul.owns_lock()) CHECK(m.owns_lock());
        }
        comm.barrier();
        CHECK(data.get(0, 0) == k * n);
        // misuse
        CHECK(error_class_of([&] { m.unlock(); }) == MPI_ERR_RMA_SYNC);
        m.lock();
        CHECK(error_class_of([&] { m.lock(); }) == MPI_ERR_RMA_SYNC);
        m.unlock();
        comm.barrier();
    }
    CHECK(live_windows == before);
}

TEST_CASE("node_shared_array: one copy per node, filled by its leader, read by all") {
    const int before = live_windows;
    const auto comm = mpixx::world();
    constexpr std::size_t n = 1000;
    {
        mpixx::node_shared_array<double> table(comm, n, [](std::span<double> s) {
            for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<double>(i * i);
        });
        REQUIRE(table.size() == n);
        for (std::size_t i = 0; i < n; ++i) CHECK(table[i] == static_cast<double>(i * i));
        CHECK(table.is_leader() == (table.node().rank() == 0));
        table.publish(); // everyone has read before the leader rewrites
        // a second round: the leader rewrites, publishes, everyone sees the new values
        if (table.is_leader()) {
            auto w = table.writable();
            std::fill(w.begin(), w.end(), 2.5);
        } else {
            CHECK(error_class_of([&] { (void)table.writable(); }) == MPI_ERR_ARG);
        }
        table.publish();
        CHECK(std::all_of(table.begin(), table.end(), [](double x) { return x == 2.5; }));
        table.publish(); // nobody rewrites before everyone has read
    }
    {
        mpixx::node_shared_array<int> empty(comm, 0);
        empty.publish();
        CHECK(empty.size() == 0);
    }
    CHECK(live_windows == before);
}

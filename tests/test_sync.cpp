// Tests of sync.hpp (issue 11 item 3): the distributed counter hands out every value exactly once, the
// mutex makes a non-atomic read-modify-write of remote memory exact, the node-shared array is one copy
// per node that every process reads; misuse is an mpixx::error; PMPI counts show no window leaks.
#include "mpixx_test.hpp"

#include "error_class.hpp"

#include <mpixx/sync.hpp>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using mpixx_test::error_class_of;

namespace {
int live_windows = 0;
std::set<MPI_Comm> split_comms; // communicators made by MPI_Comm_split_type and not freed yet
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
int MPI_Comm_split_type(MPI_Comm comm, int type, int key, MPI_Info info, MPI_Comm* out) {
    const int rc = PMPI_Comm_split_type(comm, type, key, info, out);
    if (rc == MPI_SUCCESS && *out != MPI_COMM_NULL) split_comms.insert(*out);
    return rc;
}
int MPI_Comm_free(MPI_Comm* comm) {
    const MPI_Comm c = *comm;
    const int rc = PMPI_Comm_free(comm);
    if (rc == MPI_SUCCESS) split_comms.erase(c);
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

// Before: the root check ran on each rank alone. A root out of range on one rank only threw there while
// the others waited in the closing barrier (a hang); two different valid roots made two counters that
// handed out every value twice, and two mutexes that excluded nothing. Now all ranks agree and all throw.
TEST_CASE("counter, mutex: ranks passing different roots all throw MPI_ERR_ROOT") {
    const int before = live_windows;
    const auto comm = mpixx::world().dup();
    const int n = comm.size(), me = comm.rank();
    const int own = me;                          // different roots once n > 1
    const int last_bad = me == n - 1 ? n : 0;    // out of range on the last rank only
    CHECK(error_class_of([&] { mpixx::counter c(comm, 0, last_bad); }) == MPI_ERR_ROOT);
    CHECK(error_class_of([&] { mpixx::mutex m(comm, last_bad); }) == MPI_ERR_ROOT);
    CHECK(error_class_of([&] { mpixx::mutex m(comm, -1); }) == MPI_ERR_ROOT);
    if (n > 1) {
        CHECK(error_class_of([&] { mpixx::counter c(comm, 0, own); }) == MPI_ERR_ROOT);
        CHECK(error_class_of([&] { mpixx::mutex m(comm, own); }) == MPI_ERR_ROOT);
        try {
            mpixx::counter c(comm, 0, own);
            FAIL("no exception");
        } catch (const mpixx::error& e) {
            CHECK(e.routine() == "mpixx::counter");
            CHECK(std::string(e.what()).find("different roots (from 0 to " + std::to_string(n - 1)) != std::string::npos);
        }
    } else {
        mpixx::counter c(comm, 5, own); // one rank: its own rank is the only root
        CHECK(c.next() == 5);
    }
    comm.barrier(); // nothing collective is left pending
    CHECK(live_windows == before);
}

// Before: a filler that threw on a node's leader left every other rank of the node in publish()'s
// barrier while the leader freed the window (a hang); a size too large for MPI_Aint threw on the leader
// alone (the others waited in MPI_Win_allocate_shared); and a rank passing another n silently got the
// leader's size (indexing past the array). A moved-from array still spanned the other's memory.
TEST_CASE("node_shared_array: a throwing filler, a bad or mismatched size: every rank throws, nothing leaks") {
    const int before = live_windows;
    const std::size_t comms_before = split_comms.size();
    const auto comm = mpixx::world().dup();
    const int me = comm.rank();
    bool rethrown = false;
    int cls = MPI_SUCCESS;
    try {
        mpixx::node_shared_array<double> t(comm, 16, [](std::span<double>) { throw std::runtime_error("no table"); });
        FAIL("no exception");
    } catch (const mpixx::error& e) {
        cls = e.error_class();
    } catch (const std::runtime_error& e) {
        rethrown = std::string(e.what()) == "no table";
    }
    // The leaders rethrow the filler's exception; every other rank throws MPI_ERR_OTHER.
    const bool leader = [&] { auto node = comm.split_shared(); return node.rank() == 0; }();
    if (leader) CHECK(rethrown);
    else CHECK(cls == MPI_ERR_OTHER);
    // A filler that throws on one leader only (world rank 0): every rank throws all the same.
    const auto only_rank0 = [me](std::span<int> s) {
        if (me == 0) throw std::runtime_error("rank 0's table");
        std::fill(s.begin(), s.end(), 7);
    };
    bool threw = false;
    try {
        mpixx::node_shared_array<int> t(comm, 4, only_rank0);
    } catch (const std::exception&) {
        threw = true;
    }
    CHECK(threw);
    // A null communicator or an intercommunicator: MPI_ERR_COMM before any collective call.
    CHECK(error_class_of([&] { mpixx::node_shared_array<int> t(mpixx::communicator(), 4); }) == MPI_ERR_COMM);
    if (comm.size() > 1) {
        const auto half = comm.split(me % 2);
        const auto inter = half.create_intercomm(0, comm, 1 - me % 2, 7);
        CHECK(error_class_of([&] { mpixx::node_shared_array<int> t(inter, 4); }) == MPI_ERR_COMM);
    }
    // Too large for MPI_Aint bytes: MPI_ERR_SIZE everywhere.
    CHECK(error_class_of([&] { mpixx::node_shared_array<double> t(comm, SIZE_MAX / 4); }) == MPI_ERR_SIZE);
    // Sizes that differ between ranks: MPI_ERR_ARG everywhere (one rank: nothing differs).
    const std::size_t mine = 10 + static_cast<std::size_t>(me);
    if (comm.size() > 1) {
        CHECK(error_class_of([&] { mpixx::node_shared_array<int> t(comm, mine); }) == MPI_ERR_ARG);
    } else {
        mpixx::node_shared_array<int> t(comm, mine);
        CHECK(t.size() == mine);
    }
    // A noexcept filler still works, and a moved-from array is empty.
    {
        mpixx::node_shared_array<int> t(comm, 5, [](std::span<int> s) noexcept { std::fill(s.begin(), s.end(), 3); });
        auto u = std::move(t);
        CHECK(t.size() == 0);
        CHECK(t.data().data() == nullptr);
        REQUIRE(u.size() == 5);
        CHECK(std::all_of(u.begin(), u.end(), [](int x) { return x == 3; }));
        mpixx::node_shared_array<int> v(comm, 2);
        v = std::move(u); // frees v's array, takes u's
        CHECK(u.size() == 0);
        CHECK(v.size() == 5);
        CHECK(v[4] == 3);
        v.publish();
    }
    comm.barrier();
    CHECK(live_windows == before);
    CHECK(split_comms.size() == comms_before);
}

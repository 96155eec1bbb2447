// Tests that blocking mpixx calls drive detail::progress: while a probe-sized receive (irecv<std::string>)
// is registered, a peer's rendezvous send to it can only complete once this process matches it, so a
// blocking call that waits on that peer must keep matching while it waits.
//
// The setup of every deadlock case (exercise()): each rank registers irecv<string> from its left
// neighbour, and after a barrier (so that nothing can be matched early) isends 1 MiB to its right
// neighbour. Every rank but one (`driver`) then waits for its send before it enters the call under test;
// the driver enters the call at once. The driver's left neighbour therefore enters the call only after
// the driver, inside the call, matched that neighbour's message: without progress in the call it
// deadlocks (the call waits for the neighbour, the neighbour for the call). The driver is a rank that
// cannot leave the call before its left neighbour entered it (the receiver of the message the call
// carries, a gather root, a non-root of a bcast rooted at its left, ...). At 1 rank the driver exchanges
// with itself: no deadlock is possible, the data path is still checked.
//
// Point-to-point calls always drive progress. Blocking collectives do only in a program built with
// MPIXX_COLLECTIVE_PROGRESS (blocking and non-blocking collectives never match, so the choice cannot be
// made per rank): this file is built twice, and the collective deadlock cases run in the build that
// defines it (test_progress_collective). Both builds check that a blocking collective is unaffected by
// receives pending on some ranks only.
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/object_messaging.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

int right_of(const mpixx::communicator& c) { return (c.rank() + 1) % c.size(); }
int left_of(const mpixx::communicator& c) { return (c.rank() + c.size() - 1) % c.size(); }

constexpr std::size_t big = std::size_t(1) << 20; // far above MPICH's eager limit: a rendezvous send

std::string big_string(int rank) {
    std::string s(big, 'x');
    s.front() = static_cast<char>('a' + rank);
    s[big / 2] = static_cast<char>('A' + rank);
    s.back() = static_cast<char>('0' + rank);
    return s;
}

bool is_big_string(const std::string& s, int rank) {
    return s.size() == big && s.front() == 'a' + rank && s[big / 2] == 'A' + rank && s.back() == '0' + rank &&
           std::count(s.begin(), s.end(), 'x') == static_cast<std::ptrdiff_t>(big - 3);
}

/// Runs the blocking `call` on every rank while a probe-sized receive is pending on `driver` (see the
/// file comment), then checks the 1 MiB string that arrived and that nothing is left registered.
template <class F>
void exercise(const mpixx::communicator& comm, int driver, F&& call) {
    const int left = left_of(comm), right = right_of(comm);
    auto r = comm.irecv<std::string>(left, 7);
    // Every receive is registered before any message is sent. (The raw MPI_Barrier, because mpixx's may
    // match - with MPIXX_COLLECTIVE_PROGRESS - and the driver must start the call with its receive pending.)
    MPIXX_CALL(MPI_Barrier, comm.native());
    const std::string out = big_string(comm.rank());
    auto s = comm.isend(out, right, 7);
    if (comm.rank() == driver) {
        CHECK(mpixx::detail::progress::active()); // the call starts with the receive pending
    } else {
        s.wait();
    }
    call();
    if (s.pending()) s.wait();
    CHECK(is_big_string(r.wait(), left));
    CHECK_FALSE(mpixx::detail::progress::active());
}

int last(const mpixx::communicator& c) { return c.size() - 1; }

} // namespace

TEST_CASE("progress: recv into a buffer and recv of a vector sized by mprobe match while they wait") {
    auto comm = mpixx::world().dup();
    const int left = left_of(comm), right = right_of(comm), me = comm.rank();
    SECTION("recv into a buffer") {
        exercise(comm, 0, [&] {
            auto s = comm.isend(me * 10, right, 1);
            int got = -1;
            const auto st = comm.recv(got, left, 1);
            CHECK(got == left * 10);
            CHECK(st.source() == left);
            CHECK(st.tag() == 1);
            s.wait();
        });
    }
    SECTION("recv of a vector (mprobe)") {
        exercise(comm, 0, [&] {
            const std::vector<int> mine{me, me + 1, me + 2};
            auto s = comm.isend(mine, right, 2);
            CHECK(comm.recv<std::vector<int>>(left, 2) == std::vector<int>{left, left + 1, left + 2});
            s.wait();
        });
    }
}

TEST_CASE("progress: probe and iprobe polling match while they wait") {
    auto comm = mpixx::world().dup();
    const int left = left_of(comm), right = right_of(comm), me = comm.rank();
    SECTION("probe") {
        exercise(comm, 0, [&] {
            const std::vector<int> mine(static_cast<std::size_t>(me + 1), me);
            auto s = comm.isend(mine, right, 3);
            const auto st = comm.probe(left, 3);
            CHECK(st.source() == left);
            CHECK(st.count<int>() == static_cast<std::size_t>(left + 1));
            std::vector<int> got(st.count<int>());
            comm.recv(got, left, 3);
            CHECK(got == std::vector<int>(static_cast<std::size_t>(left + 1), left));
            s.wait();
        });
    }
    SECTION("a loop of iprobe") {
        // A loop of iprobe is a blocking wait written by hand: each iprobe matches pending receives too.
        exercise(comm, 0, [&] {
            auto s = comm.isend(me, right, 4);
            std::optional<mpixx::status> st;
            while (!(st = comm.iprobe(left, 4))) std::this_thread::yield();
            CHECK(st->source() == left);
            CHECK(comm.recv<int>(left, 4) == left);
            s.wait();
        });
    }
}

TEST_CASE("progress: mprobe (and an improbe loop) match while they wait") {
    auto comm = mpixx::world().dup();
    const int left = left_of(comm), right = right_of(comm), me = comm.rank();
    SECTION("mprobe") {
        exercise(comm, 0, [&] {
            auto s = comm.isend(std::string(static_cast<std::size_t>(me + 1), 'm'), right, 5);
            auto m = comm.mprobe(left, 5);
            CHECK(m.status().source() == left);
            CHECK(m.recv<std::string>() == std::string(static_cast<std::size_t>(left + 1), 'm'));
            s.wait();
        });
    }
    SECTION("a loop of improbe") {
        exercise(comm, 0, [&] {
            auto s = comm.isend(me + 100, right, 6);
            std::optional<mpixx::message> m;
            while (!(m = comm.improbe(left, 6))) std::this_thread::yield();
            CHECK(m->recv<int>() == left + 100);
            s.wait();
        });
    }
}

TEST_CASE("progress: sendrecv and its value form and sendrecv_replace match while they wait") {
    auto comm = mpixx::world().dup();
    const int left = left_of(comm), right = right_of(comm), me = comm.rank();
    SECTION("sendrecv") {
        exercise(comm, 0, [&] {
            const std::array<int, 2> mine{me, -me};
            std::array<int, 2> got{-1, -1};
            const auto st = comm.sendrecv(mine, right, 1, got, left, 1);
            CHECK(got == std::array<int, 2>{left, -left});
            CHECK(st.source() == left); // the status is the receive's, also on this path
            CHECK(st.tag() == 1);
            CHECK(st.count<int>() == 2);
        });
    }
    SECTION("sendrecv value form") {
        exercise(comm, 0, [&] {
            CHECK(comm.sendrecv<std::string>(std::string(3, char('a' + me)), right, 2, left, 2) ==
                  std::string(3, char('a' + left)));
        });
    }
    SECTION("sendrecv of objects") {
        exercise(comm, 0, [&] {
            using dict = std::map<std::string, std::vector<int>>;
            const auto got = comm.sendrecv<dict>(dict{{"from", {me, 2 * me}}}, right, 4, left, 4);
            CHECK(got == dict{{"from", {left, 2 * left}}});
        });
    }
    SECTION("sendrecv_replace") {
        exercise(comm, 0, [&] {
            std::vector<double> buf{double(me), 0.5};
            const auto st = comm.sendrecv_replace(buf, right, 3, left, 3);
            CHECK(buf == std::vector<double>{double(left), 0.5});
            CHECK(st.source() == left);
        });
    }
}

TEST_CASE("progress: blocking collectives complete while only some ranks have a pending probe-sized receive") {
    // The ranks disagree on progress::active(): a collective that picked its blocking or non-blocking
    // form from it would not match across ranks (MPI never matches the two) and hang here.
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank(), left = left_of(comm), root = last(comm);
    const auto up = static_cast<std::size_t>(p);
    std::optional<mpixx::request<std::string>> late;
    if (me == 0) late.emplace(comm.irecv<std::string>(left, 9)); // sent only after the collectives
    CHECK(mpixx::detail::progress::active() == (me == 0));

    comm.barrier();
    std::vector<int> b(2, me == root ? 7 : 0);
    comm.bcast(b, root);
    CHECK(b == std::vector<int>{7, 7});
    CHECK(comm.bcast(me == root ? std::string("root") : std::string(), root) == "root");
    const auto g = comm.gather(me, 0);
    if (me == 0) {
        std::vector<int> ranks(up);
        std::iota(ranks.begin(), ranks.end(), 0);
        CHECK(g == ranks);
    }
    CHECK(comm.allgather(me).size() == up);
    CHECK(comm.allreduce(me + 1, mpixx::sum) == p * (p + 1) / 2);
    CHECK(comm.allreduce(me, [](int x, int y) { return std::max(x, y); }) == p - 1);
    const int total = comm.reduce(1, mpixx::sum, 0);
    if (me == 0) CHECK(total == p);
    std::vector<int> mine(up, me);
    const auto a = comm.alltoall(mine);
    for (int j = 0; j < p; ++j) CHECK(a[static_cast<std::size_t>(j)] == j);
    std::vector<int> scattered;
    if (me == root) scattered.assign(up, 5);
    CHECK(comm.scatter(scattered, root) == 5);
    CHECK(comm.scan(1, mpixx::sum) == me + 1);
    const int ex = comm.exscan(1, mpixx::sum);
    if (me > 0) CHECK(ex == me);
    CHECK(comm.reduce_scatter_block(std::vector<int>(up, 1), mpixx::sum) == std::vector<int>{p});
    const std::vector<int> ones(up, 1);
    CHECK(comm.reduce_scatter(std::vector<int>(up, 1), ones, mpixx::sum) == std::vector<int>{p});
    const auto gv = comm.gatherv(std::vector<int>(static_cast<std::size_t>(me), me), 0);
    if (me == 0) CHECK(gv.size() == up * (up - 1) / 2);
    CHECK(comm.allgatherv(std::vector<int>(static_cast<std::size_t>(me), me)).size() == up * (up - 1) / 2);
    CHECK(comm.alltoallv(mine, ones) == std::vector<int>(a));
    CHECK(comm.scatterv(scattered, ones, root) == std::vector<int>{5});

    if (right_of(comm) == 0) comm.send(std::string("late"), 0, 9); // rank 0's left neighbour (or itself)
    if (late) CHECK(late->wait() == "late");
    CHECK_FALSE(mpixx::detail::progress::active());
}

#if defined(MPIXX_COLLECTIVE_PROGRESS) && MPIXX_COLLECTIVE_PROGRESS

TEST_CASE("progress: barrier matches while it waits") {
    auto comm = mpixx::world().dup();
    exercise(comm, 0, [&] { comm.barrier(); });
}

TEST_CASE("progress: bcast (buffer and value forms) matches while it waits") {
    auto comm = mpixx::world().dup();
    const int root = last(comm); // rank 0 must receive from the root, which enters after it
    SECTION("bcast into a buffer") {
        exercise(comm, 0, [&] {
            std::vector<int> buf(3, comm.rank() == root ? 42 : 0);
            comm.bcast(buf, root);
            CHECK(buf == std::vector<int>(3, 42));
        });
    }
    SECTION("bcast by value") {
        exercise(comm, 0, [&] {
            // sized from the root first (a 64-byte header MPI_Bcast that carries these 20 bytes too)
            const std::vector<int> mine = comm.rank() == root ? std::vector<int>{1, 2, 3, 4, 5} : std::vector<int>{};
            CHECK(comm.bcast(mine, root) == std::vector<int>{1, 2, 3, 4, 5});
        });
    }
}

TEST_CASE("progress: gather matches while it waits") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank();
    exercise(comm, 0, [&] {
        const std::array<int, 2> mine{me, me * me};
        std::vector<int> all(me == 0 ? static_cast<std::size_t>(2 * p) : 0);
        comm.gather(mine, all, 0);
        if (me == 0)
            for (int i = 0; i < p; ++i) {
                CHECK(all[static_cast<std::size_t>(2 * i)] == i);
                CHECK(all[static_cast<std::size_t>(2 * i + 1)] == i * i);
            }
    });
}

TEST_CASE("progress: allgather matches while it waits") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank();
    exercise(comm, 0, [&] {
        std::vector<int> expected(static_cast<std::size_t>(p));
        std::iota(expected.begin(), expected.end(), 100);
        CHECK(comm.allgather(me + 100) == expected);
    });
}

TEST_CASE("progress: allreduce (built-in and user op) matches while it waits") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank();
    SECTION("allreduce built-in op") {
        exercise(comm, 0, [&] { CHECK(comm.allreduce(me + 1, mpixx::sum) == p * (p + 1) / 2); });
    }
    SECTION("allreduce user op") {
        // A user op stays alive until the non-blocking twin completes (it is waited for inside the call).
        exercise(comm, 0, [&] {
            const std::vector<int> mine{me, p - me};
            std::vector<int> got(2);
            comm.allreduce(mine, got, [](int a, int b) { return std::max(a, b); });
            CHECK(got == std::vector<int>{p - 1, p});
        });
    }
}

TEST_CASE("progress: reduce matches while it waits") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank();
    exercise(comm, 0, [&] {
        const auto total = comm.reduce(std::array<long, 2>{me, 1}, mpixx::sum, 0);
        if (me == 0) CHECK(total == std::array<long, 2>{p * (p - 1) / 2, p});
    });
}

TEST_CASE("progress: alltoall matches while it waits") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank();
    exercise(comm, 0, [&] {
        std::vector<int> mine(static_cast<std::size_t>(p));
        for (int j = 0; j < p; ++j) mine[static_cast<std::size_t>(j)] = me * 100 + j; // block j goes to rank j
        const auto got = comm.alltoall(mine);
        for (int j = 0; j < p; ++j) CHECK(got[static_cast<std::size_t>(j)] == j * 100 + me);
    });
}

TEST_CASE("progress: scatter matches while it waits") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank(), root = last(comm);
    exercise(comm, 0, [&] {
        std::vector<int> all;
        if (me == root)
            for (int i = 0; i < p; ++i) all.push_back(i * 3);
        CHECK(comm.scatter(all, root) == me * 3);
    });
}

TEST_CASE("progress: scan and exscan and reduce_scatter and the v-collectives match while they wait") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank();
    const auto up = static_cast<std::size_t>(p);
    SECTION("scan") {
        // The last rank's prefix needs everyone: it is the one that must match inside the call.
        exercise(comm, last(comm), [&] { CHECK(comm.scan(me + 1, mpixx::sum) == (me + 1) * (me + 2) / 2); });
    }
    SECTION("exscan") {
        exercise(comm, last(comm), [&] {
            const int got = comm.exscan(me + 1, mpixx::sum);
            if (me > 0) CHECK(got == me * (me + 1) / 2);
        });
    }
    SECTION("reduce_scatter_block") {
        exercise(comm, 0, [&] {
            CHECK(comm.reduce_scatter_block(std::vector<int>(up, me + 1), mpixx::sum) ==
                  std::vector<int>{p * (p + 1) / 2});
        });
    }
    SECTION("reduce_scatter") {
        exercise(comm, 0, [&] {
            const std::vector<int> counts(up, 1);
            CHECK(comm.reduce_scatter(std::vector<int>(up, me + 1), counts, mpixx::sum) ==
                  std::vector<int>{p * (p + 1) / 2});
        });
    }
    // rank r contributes r + 1 copies of r
    std::vector<int> expected;
    for (int r = 0; r < p; ++r) expected.insert(expected.end(), static_cast<std::size_t>(r + 1), r);
    const std::vector<int> mine(static_cast<std::size_t>(me + 1), me);
    SECTION("gatherv") {
        exercise(comm, 0, [&] {
            const auto all = comm.gatherv(mine, 0); // an MPI_Gather of the counts, then MPI_Gatherv
            if (me == 0) CHECK(all == expected);
        });
    }
    SECTION("allgatherv") {
        exercise(comm, 0, [&] { CHECK(comm.allgatherv(mine) == expected); });
    }
    SECTION("alltoallv") {
        exercise(comm, 0, [&] {
            const std::vector<int> counts(up, 1), send(up, me);
            std::vector<int> all(up);
            std::iota(all.begin(), all.end(), 0);
            CHECK(comm.alltoallv(send, counts) == all); // an MPI_Alltoall of the counts, then MPI_Alltoallv
        });
    }
    SECTION("scatterv") {
        exercise(comm, 0, [&] {
            std::vector<int> counts(up);
            for (int r = 0; r < p; ++r) counts[static_cast<std::size_t>(r)] = r + 1;
            const int root = last(comm);
            CHECK(comm.scatterv(me == root ? expected : std::vector<int>{}, counts, root) == mine);
        });
    }
}

TEST_CASE("progress: collectives of objects match while they wait") {
    auto comm = mpixx::world().dup();
    using dict = std::map<std::string, std::vector<int>>;
    const int me = comm.rank(), n = comm.size(), root = last(comm);
    const auto of = [](int r) { return dict{{"rank", {r, r + 1}}, {"big", std::vector<int>(5000, r)}}; };
    SECTION("bcast") { // 20 KB of ints: out of band, a third MPI_Bcast
        exercise(comm, 0, [&] {
            dict d = me == root ? of(root) : dict{};
            comm.bcast(d, root);
            CHECK(d == of(root));
        });
    }
    SECTION("gather") {
        exercise(comm, 0, [&] {
            const auto all = comm.gather(of(me), 0);
            if (me == 0) {
                REQUIRE(all.size() == static_cast<std::size_t>(n));
                for (int r = 0; r < n; ++r) CHECK(all[static_cast<std::size_t>(r)] == of(r));
            }
        });
    }
    SECTION("allgather") {
        exercise(comm, 0, [&] { CHECK(comm.allgather(of(me)).back() == of(n - 1)); });
    }
    SECTION("scatter") {
        exercise(comm, 0, [&] {
            std::vector<dict> parts;
            if (me == root)
                for (int r = 0; r < n; ++r) parts.push_back(of(r));
            CHECK(comm.scatter(parts, root) == of(me));
        });
    }
    SECTION("alltoall") {
        exercise(comm, 0, [&] {
            std::vector<dict> out(static_cast<std::size_t>(n), of(me));
            const auto in = comm.alltoall(out);
            REQUIRE(in.size() == static_cast<std::size_t>(n));
            CHECK(in.front() == of(0));
        });
    }
    SECTION("allreduce with a lambda") {
        exercise(comm, 0, [&] {
            const auto merged = comm.allreduce(dict{{std::to_string(me), {me}}}, [](dict a, const dict& b) {
                a.insert(b.begin(), b.end());
                return a;
            });
            CHECK(merged.size() == static_cast<std::size_t>(n));
            CHECK(merged.at(std::to_string(n - 1)) == std::vector<int>{n - 1});
        });
    }
}

#endif // MPIXX_COLLECTIVE_PROGRESS

TEST_CASE("progress: errors on the progress path are mpixx::error naming the blocking routine") {
    auto comm = mpixx::world().dup();
    const int me = comm.rank();
    // A receive from this rank that stays registered while the failing calls run.
    auto pending = comm.irecv<std::string>(me, 99);
    REQUIRE(mpixx::detail::progress::active());

    // Truncation: the message is larger than the buffer.
    const std::vector<int> four{1, 2, 3, 4};
    auto s = comm.isend(four, me, 5);
    std::array<int, 2> two{};
    try {
        comm.recv(two, me, 5);
        FAIL("recv into a buffer too small did not throw");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_TRUNCATE);
        CHECK(e.routine() == "MPI_Recv");
    }
    s.wait();
    auto s2 = comm.isend(four, me, 6);
    try {
        (void)comm.sendrecv(four, MPI_PROC_NULL, 7, two, me, 6); // (a send to self would wait for its receive)
        FAIL("sendrecv into a buffer too small did not throw");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_TRUNCATE);
        CHECK(e.routine() == "MPI_Sendrecv");
    }
    s2.wait();

    // A user op that throws: the exception comes out of the blocking call, after it completed everywhere.
    bool threw = false;
    try {
        (void)comm.allreduce(1, [](int a, int b) -> int {
            if (a + b > 0) throw std::logic_error("op failed");
            return a + b;
        });
    } catch (const std::logic_error&) {
        threw = true;
    } catch (const mpixx::error& e) { // the op threw on another rank: no result here either (issue #9)
        CHECK(e.error_class() == MPI_ERR_OP);
    }
    CHECK(comm.allreduce(threw, mpixx::lor) == (comm.size() > 1));

    CHECK(mpixx::detail::progress::active()); // still pending: nothing above took its message
    comm.send(std::string("done"), me, 99);
    CHECK(pending.wait() == "done");
    CHECK_FALSE(mpixx::detail::progress::active());
}

// tests/test_checked_collectives.cpp - checked mode (MPIXX_CHECKED=1) on every blocking collective: ranks
// that call different collectives, or the same one with another root, op, amount of data, datatype or
// in-place choice, all throw the same mpixx::error listing each rank's view, before MPI runs anything
// (issue #12 item 1). Built with MPIXX_CHECKED=1 whatever the build type (tests/cmake/checked_collectives.cmake).
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/halo.hpp>
#include <mpixx/topology.hpp>

#include <array>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <vector>

static_assert(MPIXX_CHECKED == 1, "this test is built in checked mode");

namespace {

/// Runs `f` on every rank: it must throw mpixx::error of class `cls` whose text contains each needle.
template <class F>
void require_mismatch(F&& f, int cls, const std::vector<std::string>& needles) {
    try {
        f();
        FAIL("no mpixx::error was thrown");
    } catch (const mpixx::error& e) {
        INFO(e.what());
        CHECK(e.error_class() == cls);
        for (const std::string& n : needles) CHECK(std::string(e.what()).find(n) != std::string::npos);
    }
}

/// The communicator is still usable after a reported mismatch: no rank entered the real collective.
void require_usable(const mpixx::communicator& comm) {
    CHECK(comm.allreduce(1, mpixx::sum) == comm.size());
}

} // namespace

TEST_CASE("checked collectives: matching calls run as before", "[checked]") {
    auto comm = mpixx::world();
    const int n = comm.size(), me = comm.rank();
    CHECK(comm.allreduce(me, mpixx::sum) == n * (n - 1) / 2);
    CHECK(comm.bcast(me == 0 ? 42 : 0, 0) == 42);
    const auto all = comm.gather(me, 0);
    if (me == 0) CHECK(all == [&] { std::vector<int> v(static_cast<std::size_t>(n)); std::iota(v.begin(), v.end(), 0); return v; }());
    // In-place forms: allowed at the root only for gather/reduce, on every rank for allreduce/allgather.
    std::vector<int> slots(static_cast<std::size_t>(n), me);
    if (me == 0) comm.gather(mpixx::in_place, slots, 0);
    else comm.gather(std::vector<int>{me}, slots, 0);
    if (me == 0)
        for (int i = 0; i < n; ++i) CHECK(slots[static_cast<std::size_t>(i)] == i);
    std::vector<int> mine(static_cast<std::size_t>(n), 0);
    mine[static_cast<std::size_t>(me)] = me + 1;
    comm.allgather(mpixx::in_place, mine);
    for (int i = 0; i < n; ++i) CHECK(mine[static_cast<std::size_t>(i)] == i + 1);
    std::vector<double> v{1.0, 2.0};
    comm.allreduce(mpixx::in_place, v, mpixx::sum);
    CHECK(v == std::vector<double>{1.0 * n, 2.0 * n});
    std::vector<double> r(2);
    if (me == 0) comm.reduce(mpixx::in_place, v, mpixx::max, 0);
    else comm.reduce(v, r, mpixx::max, 0);
    CHECK(comm.scan(1, mpixx::sum) == me + 1);
    comm.barrier();
}

TEST_CASE("checked collectives: a different operation on one rank throws on every rank", "[checked]") {
    auto comm = mpixx::world();
    if (comm.size() < 2) return; // one rank cannot disagree with itself
    require_mismatch(
        [&] {
            if (comm.rank() == 0) comm.barrier();
            else (void)comm.allreduce(1.0, mpixx::sum);
        },
        MPI_ERR_OTHER, {"different collectives", "rank 0: MPI_Barrier()", "rank 1: MPI_Allreduce(8 bytes of MPI_DOUBLE, MPI_SUM"});
    require_usable(comm);
}

TEST_CASE("checked collectives: another root throws MPI_ERR_ROOT naming each rank's root", "[checked]") {
    auto comm = mpixx::world();
    if (comm.size() < 2) return;
    const int root = comm.rank() == comm.size() - 1 ? 1 : 0; // the last rank thinks rank 1 is the root
    require_mismatch([&] { (void)comm.bcast(7, root); }, MPI_ERR_ROOT,
                     {"rank 0: MPI_Bcast(root 0", "rank " + std::to_string(comm.size() - 1) + ": MPI_Bcast(root 1"});
    require_usable(comm);
}

TEST_CASE("checked collectives: another count, op, datatype or in-place choice", "[checked]") {
    auto comm = mpixx::world();
    if (comm.size() < 2) return;
    const int me = comm.rank();
    SECTION("count") {
        std::vector<int> v(me == 1 ? 3 : 2, 1), out(v.size());
        require_mismatch([&] { comm.allreduce(v, out, mpixx::sum); }, MPI_ERR_COUNT,
                         {"amount of data", "rank 1: MPI_Allreduce(12 bytes of MPI_INT", "rank 0: MPI_Allreduce(8 bytes"});
    }
    SECTION("op") {
        require_mismatch(
            [&] {
                if (me == 1) (void)comm.allreduce(me, mpixx::max);
                else (void)comm.allreduce(me, mpixx::sum);
            },
            MPI_ERR_OP, {"MPI_MAX", "MPI_SUM"});
    }
    SECTION("datatype of the same size") {
        require_mismatch(
            [&] {
                if (me == 1) (void)comm.allreduce(1.0f, mpixx::sum);
                else (void)comm.allreduce(1, mpixx::sum);
            },
            MPI_ERR_TYPE, {"4 bytes of MPI_FLOAT", "4 bytes of MPI_INT"});
    }
    SECTION("in place on some ranks only") {
        std::vector<int> v(2, 1), out(2);
        require_mismatch(
            [&] {
                if (me == 0) comm.allreduce(mpixx::in_place, v, mpixx::sum);
                else comm.allreduce(v, out, mpixx::sum);
            },
            MPI_ERR_BUFFER, {"in-place", "rank 0: MPI_Allreduce(8 bytes of MPI_INT, MPI_SUM, send in place)"});
    }
    SECTION("gather: the root expects another block size than a rank sends") {
        std::vector<int> mine(me == 1 ? 2 : 1, me);
        require_mismatch([&] { (void)comm.gather(mine, 0); }, MPI_ERR_COUNT, {"MPI_Gather", "amount of data"});
    }
    require_usable(comm);
}

// ---- non-blocking collectives: posted only once every rank's record agrees -------------------------
// They are checked on communicators with a signature duplicate: those made by checked code (world has
// one only when the environment was set up by checked code, which this test's main is not in Release).

TEST_CASE("checked non-blocking collectives: matching calls run as before, in any wait order", "[checked]") {
    auto comm = mpixx::world().dup(); // made here: it has the signature duplicate (see below)
    const int n = comm.size(), me = comm.rank();
    auto sum = comm.iallreduce(std::vector<long>{long(me), 1}, mpixx::sum);
    std::vector<int> data(3, me == 0 ? 7 : 0);
    auto bc = comm.ibcast(std::span(data), 0);
    auto all = comm.iallgather(std::vector<int>{me * 10});
    auto bar = comm.ibarrier();
    // Waited for in reverse order: each wait posts the earlier ones first (MPI's order on every rank).
    bar.wait();
    CHECK(all.wait() == [&] { std::vector<int> v; for (int i = 0; i < n; ++i) v.push_back(i * 10); return v; }());
    bc.wait();
    CHECK(data == std::vector<int>(3, 7));
    CHECK(sum.wait() == std::vector<long>{long(n) * (n - 1) / 2, long(n)});
    // test() never blocks and completes the request in the end.
    auto r = comm.iallreduce(me + 1, mpixx::max);
    std::optional<int> got;
    while (!(got = r.test())) {
    }
    CHECK(*got == n);
    // A blocking collective after pending non-blocking ones posts them first.
    auto g = comm.igather(me, 0);
    CHECK(comm.allreduce(1, mpixx::sum) == n);
    const auto gathered = g.wait();
    if (me == 0) CHECK(gathered.size() == static_cast<std::size_t>(n));
    // Making a communicator (collective too) posts the pending ones first.
    auto pending = comm.iallreduce(2, mpixx::sum);
    auto copy = comm.dup();
    CHECK(copy.allreduce(1, mpixx::sum) == n);
    CHECK(pending.wait() == 2 * n);
}

TEST_CASE("checked non-blocking collectives: a halo built on the grid posts the pending ones first", "[checked]") {
    // The halo constructor's agreement is a collective on the grid. Rank 0 lets its pending iallreduce be
    // posted first (its test() finds the record exchange complete); the others have not posted theirs
    // when they build the halo. Unless the constructor posts them first, rank 0 runs the iallreduce and
    // then the agreement while the others run the agreement first: MPI's order differs between ranks.
    // (MPICH and Open MPI happen to tolerate that mix, blocking and non-blocking collectives using
    // separate tags, so this checks that the combination works; MPI's rule is what the fix keeps.)
    const auto world = mpixx::world();
    const auto grid = mpixx::cart_create(world, {world.size()}, true);
    const int me = grid.rank(), n = grid.size();
    auto pending = grid.iallreduce(me + 1, mpixx::sum);
    world.barrier(); // every rank's record exchange has started
    std::optional<int> early;
    if (me == 0)
        for (int i = 0; i < 50 && !early; ++i) early = pending.test(); // posts it once the records are in
    std::vector<double> a(6, double(me));
    mpixx::halo h(grid, a, {6}, 1);
    h.exchange();
    CHECK(a.front() == double((me + n - 1) % n)); // the left neighbour's last owned cell
    CHECK(a.back() == double((me + 1) % n));      // the right neighbour's first owned cell
    CHECK((early ? *early : pending.wait()) == n * (n + 1) / 2);
}

TEST_CASE("checked non-blocking collectives: a mismatch throws on every rank's wait, none is posted", "[checked]") {
    auto comm = mpixx::world().dup(); // made here: it has the signature duplicate (see below)
    if (comm.size() < 2) return;
    const int me = comm.rank();
    SECTION("operation") {
        require_mismatch(
            [&] {
                if (me == 0) comm.ibarrier().wait();
                else (void)comm.iallreduce(1.0, mpixx::sum).wait();
            },
            MPI_ERR_OTHER, {"different collectives", "rank 0: MPI_Ibarrier()", "rank 1: MPI_Iallreduce(8 bytes of MPI_DOUBLE"});
    }
    SECTION("root") {
        const int root = me == comm.size() - 1 ? 1 : 0;
        std::vector<int> buf(2, 0); // a span: sized by the caller, so nothing blocking runs at the call
        require_mismatch([&] { comm.ibcast(std::span(buf), root).wait(); }, MPI_ERR_ROOT,
                         {"rank 0: MPI_Ibcast(root 0", "MPI_Ibcast(root 1"});
    }
    SECTION("count") {
        std::vector<int> v(me == 1 ? 3 : 2, 1), out(v.size());
        require_mismatch([&] { comm.iallreduce(v, out, mpixx::sum).wait(); }, MPI_ERR_COUNT,
                         {"rank 1: MPI_Iallreduce(12 bytes of MPI_INT", "rank 0: MPI_Iallreduce(8 bytes"});
    }
    SECTION("blocking on one rank, non-blocking on the others") {
        require_mismatch(
            [&] {
                if (me == 0) comm.barrier();
                else comm.ibarrier().wait();
            },
            MPI_ERR_OTHER, {"rank 0: MPI_Barrier()", "rank 1: MPI_Ibarrier()"});
    }
    SECTION("the mismatch is found by a later request's wait; that one runs") {
        auto bad = me == 0 ? comm.iallreduce(1, mpixx::sum) : comm.iallreduce(1, mpixx::max);
        auto good = comm.iallreduce(2, mpixx::sum);
        CHECK(good.wait() == 2 * comm.size());
        require_mismatch([&] { (void)bad.wait(); }, MPI_ERR_OP, {"MPI_SUM", "MPI_MAX"});
    }
    // Nothing was posted on any rank: the communicator's collectives still match.
    CHECK(comm.iallreduce(1, mpixx::sum).wait() == comm.size());
    require_usable(comm);
}

TEST_CASE("checked non-blocking collectives: an ibarrier of the NBX pattern does not block", "[checked]") {
    // Sparse exchange: each rank synchronously sends to its right neighbour, receives whatever comes,
    // and enters an ibarrier once its own send was received; a check that waited for the other ranks
    // at the ibarrier call would deadlock here.
    auto comm = mpixx::world().dup(); // made here: it has the signature duplicate (see below)
    const int n = comm.size(), me = comm.rank();
    const int right = (me + 1) % n, left = (me + n - 1) % n;
    int payload = me * 3;
    auto send = comm.issend(payload, right, 5);
    std::optional<mpixx::request<>> barrier;
    int received = -1;
    for (;;) {
        if (auto st = comm.iprobe(mpixx::any_source, 5)) {
            comm.recv(received, st->source(), 5);
        }
        if (!barrier) {
            if (send.test()) barrier.emplace(comm.ibarrier());
        } else if (barrier->test()) {
            break;
        }
    }
    CHECK(received == left * 3);
}

#if MPI_VERSION >= 4
TEST_CASE("checked persistent collectives: every start is checked before MPI starts it", "[checked]") {
    auto world = mpixx::world();
    const int p = world.size(), me = world.rank();
    auto ring = mpixx::dist_graph_create_adjacent(world, {(me + p - 1) % p}, {(me + 1) % p});
    int value = 0;
    std::vector<int> got(1, -1);
    auto gather = ring.neighbor_allgather_init(value, got);
    for (int step = 0; step < 3; ++step) {
        value = me + 10 * step;
        if (step < 2) gather.start();
        else mpixx::start_all(gather);
        if (step == 1)
            while (!gather.test()) {
            }
        gather.wait();
        CHECK(got[0] == (me + p - 1) % p + 10 * step);
    }
    if (p < 2) return;
    std::vector<int> send(1, me), recv(1, -1);
    auto swap = ring.neighbor_alltoall_init(send, recv);
    require_mismatch(
        [&] {
            auto& mine = me == 0 ? gather : swap;
            mine.start();
            mine.wait();
        },
        MPI_ERR_OTHER, {"rank 0: MPI_Neighbor_allgather_init()", "rank 1: MPI_Neighbor_alltoall_init()"});
    // Neither was started on any rank: both still run.
    CHECK(!gather.active());
    CHECK(!swap.active());
    gather.start();
    gather.wait();
    swap.start();
    swap.wait();
    CHECK(recv[0] == (me + p - 1) % p);
}
#endif

TEST_CASE("checked collectives on an intercommunicator: roots, operations and amounts across the groups",
          "[checked]") {
    auto world = mpixx::world();
    if (world.size() < 2) return; // an intercommunicator needs two groups
    const int wr = world.rank();
    const bool evens = wr % 2 == 0;
    auto inter = world.split(wr % 2).create_intercomm(0, world, evens ? 1 : 0, 77);
    const int r = inter.rank();
    const int root = evens ? (r == 0 ? mpixx::intercomm_root : mpixx::proc_null) : 0;
    // Matching calls run as before: the evens' rank 0 broadcasts to the odds, the odds gather to it.
    std::array<int, 2> a{-1, -1};
    if (evens && r == 0) a = {4, 5};
    inter.bcast(a, root);
    if (!evens) CHECK(a == std::array<int, 2>{4, 5});
    std::vector<int> all(evens && r == 0 ? static_cast<std::size_t>(inter.remote_size()) : 0);
    inter.gather(std::vector<int>{wr}, all, root);
    if (evens && r == 0) CHECK(all.size() == static_cast<std::size_t>(inter.remote_size()));
    // The odds name another root than the one that passes intercomm_root.
    const int bad_root = evens ? root : 1;
    if ((evens ? inter.size() : inter.remote_size()) > 1) // rank 1 of the evens exists
        require_mismatch([&] { inter.bcast(a, bad_root); }, MPI_ERR_ROOT, {"intercommunicator", "root 1"});
    // Another operation in one group; another amount of data.
    require_mismatch(
        [&] {
            int one = 1, out = 0;
            if (evens) inter.bcast(a, root);
            else inter.allreduce(one, out, mpixx::sum);
        },
        MPI_ERR_OTHER, {"intercommunicator", "MPI_Bcast", "MPI_Allreduce"});
    std::vector<int> three(3, 0), two(2, 0);
    require_mismatch([&] { inter.bcast(evens ? std::span<int>(three) : std::span<int>(two), root); }, MPI_ERR_COUNT,
                     {"intercommunicator", "bytes"}); // a proc_null process learns it from the others
    // Nothing ran: the intercommunicator still works (an allreduce gives the other group's sum).
    int one = 1, sum = 0;
    inter.allreduce(one, sum, mpixx::sum);
    CHECK(sum == inter.remote_size());
}

namespace {

/// A record as make_record fills it: routine, root, op, block sizes and type name.
mpixx::detail::collective_record record(const char* routine, int root, const char* op, std::int64_t block,
                                        const char* type = "MPI_INT", std::int64_t root_block = -1, int flags = 0) {
    mpixx::detail::collective_record r{};
    mpixx::detail::copy_name(r.routine, routine);
    mpixx::detail::copy_name(r.op, op);
    mpixx::detail::copy_name(r.type, type);
    r.root = root;
    r.flags = flags;
    r.block = block;
    r.root_block = root_block;
    return r;
}

} // namespace

// The texts are built on cold paths (MPIXX_COLD helpers): each disagreement names its field and ranks.
TEST_CASE("checked collectives: every disagreement found in the records says which field and ranks", "[checked]") {
    using mpixx::detail::compare_records;
    std::string what;
    const auto ar = [](std::int64_t block, const char* type = "MPI_INT", int flags = 0) {
        return record("MPI_Allreduce", -1, "MPI_SUM", block, type, -1, flags);
    };
    CHECK(compare_records({ar(8), ar(8), ar(8)}, what) == MPI_SUCCESS);
    CHECK(what.empty());
    CHECK(compare_records({ar(8), ar(8), record("MPI_Bcast", 0, "", 8)}, what) == MPI_ERR_OTHER);
    CHECK(what == "operation (rank 0 and rank 2)");
    CHECK(compare_records({record("MPI_Bcast", 0, "", 8), record("MPI_Bcast", 1, "", 8)}, what) == MPI_ERR_ROOT);
    CHECK(what == "root (rank 0 and rank 1)");
    CHECK(compare_records({ar(8), record("MPI_Allreduce", -1, "MPI_MAX", 8)}, what) == MPI_ERR_OP);
    CHECK(what == "op (rank 0 and rank 1)");
    CHECK(compare_records({ar(8), ar(8, "MPI_INT", 1)}, what) == MPI_ERR_BUFFER);
    CHECK(what == "in-place choice (MPI needs it on every rank or none)");
    CHECK(compare_records({ar(8), ar(8), ar(12)}, what) == MPI_ERR_COUNT);
    CHECK(what == "amount of data (rank 0 and rank 2)");
    CHECK(compare_records({ar(8), ar(8, "derived"), ar(8, "MPI_FLOAT")}, what) == MPI_ERR_TYPE);
    CHECK(what == "datatype (rank 0 and rank 2)"); // a derived type is compared through its size only
    // The root of a gather expects 4 bytes per rank; rank 1 sends 8.
    CHECK(compare_records({record("MPI_Gather", 0, "", 4, "MPI_INT", 4), record("MPI_Gather", 0, "", 4),
                           record("MPI_Gather", 0, "", 4)},
                          what) == MPI_SUCCESS);
    CHECK(compare_records({record("MPI_Gather", 0, "", 8, "MPI_INT", 4), record("MPI_Gather", 0, "", 8)}, what) ==
          MPI_ERR_COUNT);
    CHECK(what == "amount of data (rank 0 expects 4 bytes per rank, rank 0 has 8)");
}

TEST_CASE("checked collectives: every disagreement between the groups of an intercommunicator is named",
          "[checked]") {
    using mpixx::detail::compare_inter;
    std::string what;
    const auto bc = [](int root, std::int64_t block) { return record("MPI_Bcast", root, "", block, "MPI_INT", -1, 4); };
    // This process is the root's group's rank 0 (MPI_ROOT); the other group names rank 0 as the root.
    CHECK(compare_inter(bc(MPI_ROOT, 8), 0, {bc(0, 8), bc(0, 8)}, what) == MPI_SUCCESS);
    CHECK(compare_inter(bc(MPI_ROOT, 8), 0, {bc(0, 8), record("MPI_Reduce", 0, "MPI_SUM", 8, "MPI_INT", -1, 4)},
                        what) == MPI_ERR_OTHER);
    CHECK(what == "operation (remote rank 1)");
    CHECK(compare_inter(bc(MPI_ROOT, 8), 0, {bc(0, 8), bc(1, 8)}, what) == MPI_ERR_ROOT);
    CHECK(what == "root (remote rank 1)");
    CHECK(compare_inter(bc(MPI_PROC_NULL, 8), 0, {bc(0, 8)}, what) == MPI_ERR_ROOT);
    CHECK(what == "root (the other group names rank 0)");
    // This process receives from remote rank 0 (MPI_ROOT there, MPI_PROC_NULL at remote rank 1).
    CHECK(compare_inter(bc(0, 8), 1, {bc(MPI_ROOT, 8), bc(MPI_PROC_NULL, -1)}, what) == MPI_SUCCESS);
    CHECK(compare_inter(bc(0, 8), 1, {bc(MPI_ROOT, 8), bc(0, -1)}, what) == MPI_ERR_ROOT);
    CHECK(what == "root (remote rank 1)");
    CHECK(compare_inter(bc(0, 8), 1, {bc(MPI_ROOT, 12), bc(MPI_PROC_NULL, -1)}, what) == MPI_ERR_COUNT);
    CHECK(what == "amount of data (remote rank 0)");
}

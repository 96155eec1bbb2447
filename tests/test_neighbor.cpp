// Tests of the neighbourhood collectives (detail/neighbor_collectives.hpp, detail/neighbor_vector.hpp) on
// Cartesian, graph and distributed-graph communicators: allgather, alltoall, allgatherv, alltoallv and
// alltoallw (one buffer per neighbour, and MPI's form with derived datatypes), blocking, non-blocking
// (owning and borrowing) and MPI-4 persistent; proc_null neighbours; bad input; PMPI handle counts.
#include "mpixx_test.hpp"

#include "error_class.hpp"
#include "by_value_range.hpp"
#include "pmpi_handle_counts.hpp"

#include <mpixx/layout.hpp>
#include <mpixx/topology.hpp>

#include <algorithm>
#include <array>
#include <ranges>
#include <span>
#include <string>
#include <vector>

using mpixx_test::error_class_of;

namespace {
/// A distributed graph where each process sends to +1 and +2 and receives from -1 and -2 (mod size):
/// in-neighbour i's block i comes to this process.
mpixx::dist_graph_communicator skip_ring(const mpixx::communicator& world) {
    const int p = world.size(), me = world.rank();
    return mpixx::dist_graph_create_adjacent(world, {(me + p - 1) % p, (me + 2 * p - 2) % p},
                                             {(me + 1) % p, (me + 2) % p});
}

/// Blocks as expected. On one process the skip ring's two edges both join it to itself, and MPI
/// implementations differ in which of two blocks between the same pair lands first (MPICH 4.0 swaps
/// them in neighbor_alltoall): there only the set of blocks is checked.
bool same_blocks(std::vector<int> got, std::vector<int> expect) {
    int p = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &p);
    if (p == 1) {
        std::sort(got.begin(), got.end());
        std::sort(expect.begin(), expect.end());
    }
    return got == expect;
}

template <class G>
concept borrows_temporary_recv = requires(G& g, int x) { g.ineighbor_allgather(x, std::vector<int>(2)); };
template <class G>
concept borrows_temporary_send = requires(G& g, std::vector<int>& r) { g.ineighbor_alltoall(std::vector<int>(2), r); };
// A range yielding containers by value: MPI would get the addresses of destroyed copies.
template <class G>
concept takes_by_value_sends = requires(G& g, std::vector<std::vector<int>>& r) {
    g.neighbor_alltoallw(vectors_by_value_range{}, r);
};
template <class G>
concept takes_lvalue_sends = requires(G& g, const std::vector<std::vector<int>>& s, std::vector<std::vector<int>>& r) {
    g.neighbor_alltoallw(s, r);
};
} // namespace

TEST_CASE("neighbor: allgather and alltoall on a Cartesian grid, proc_null blocks untouched") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        auto grid = mpixx::cart_create(world, mpixx::dims_create(world.size(), 2), false);
        const auto nb = grid.neighbors();
        // allgather: block i is in-neighbour i's rank; blocks from proc_null keep their value
        std::vector<int> got(4, -1);
        grid.neighbor_allgather(grid.rank(), got);
        for (std::size_t i = 0; i < 4; ++i) CHECK(got[i] == (nb[i] == mpixx::proc_null ? -1 : nb[i]));
        // value form: two elements per neighbour
        const std::array<int, 2> mine{grid.rank(), -grid.rank()};
        const std::vector<int> all = grid.neighbor_allgather(mine);
        REQUIRE(all.size() == 8);
        for (std::size_t i = 0; i < 4; ++i)
            if (nb[i] != mpixx::proc_null) {
                CHECK(all[2 * i] == nb[i]);
                CHECK(all[2 * i + 1] == -nb[i]);
            }
        // alltoall: block j goes to neighbour j; the lower neighbour along d (index 2d) sends me its
        // block for its upper neighbour (2d + 1) and vice versa
        std::vector<int> send(4), recv(4, -1);
        for (int j = 0; j < 4; ++j) send[static_cast<std::size_t>(j)] = grid.rank() * 100 + j;
        grid.neighbor_alltoall(send, recv);
        for (int i = 0; i < 4; ++i) {
            const int from = nb[static_cast<std::size_t>(i)];
            const int their = i % 2 == 0 ? i + 1 : i - 1;
            CHECK(recv[static_cast<std::size_t>(i)] == (from == mpixx::proc_null ? -1 : from * 100 + their));
        }
        const auto v = grid.neighbor_alltoall(send);
        CHECK(v.size() == 4);
        for (int i = 0; i < 4; ++i)
            if (nb[static_cast<std::size_t>(i)] != mpixx::proc_null) CHECK(v[static_cast<std::size_t>(i)] == recv[static_cast<std::size_t>(i)]);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("neighbor: periodic rings, and the ambiguous 1- and 2-process periodic dimensions refused") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size();
        auto ring = mpixx::cart_create(world, {p}, true);
        const auto [lo, hi] = ring.shift(0);
        CHECK(ring.neighbor_allgather(ring.rank()) == std::vector<int>{lo, hi}); // unambiguous at any size
        std::vector<int> send{ring.rank() * 10, ring.rank() * 10 + 1}, recv(2, -1);
        const std::vector<int> ones{1, 1}, offs{0, 1};
        const std::array<std::span<const int>, 2> sends{std::span<const int>(send).first(1),
                                                         std::span<const int>(send).last(1)};
        std::array<std::span<int>, 2> recvs{std::span<int>(recv).first(1), std::span<int>(recv).last(1)};
        if (p >= 3) {
            ring.neighbor_alltoall(send, recv);
            CHECK(recv == std::vector<int>{lo * 10 + 1, hi * 10});
            recv.assign(2, -1);
            auto r = ring.ineighbor_alltoall(send, recv);
            r.wait();
            CHECK(recv == std::vector<int>{lo * 10 + 1, hi * 10});
            recv.assign(2, -1);
            ring.neighbor_alltoallv(send, ones, offs, recv, ones, offs);
            CHECK(recv == std::vector<int>{lo * 10 + 1, hi * 10});
            recv.assign(2, -1);
            ring.neighbor_alltoallw(sends, recvs);
            CHECK(recv == std::vector<int>{lo * 10 + 1, hi * 10});
        } else {
            CHECK(error_class_of([&] { ring.neighbor_alltoall(send, recv); }) == MPI_ERR_TOPOLOGY);
            CHECK(error_class_of([&] { (void)ring.neighbor_alltoall(send); }) == MPI_ERR_TOPOLOGY);
            CHECK(error_class_of([&] { (void)ring.ineighbor_alltoall(send, recv); }) == MPI_ERR_TOPOLOGY);
            CHECK(error_class_of([&] { (void)ring.ineighbor_alltoall(std::vector<int>(send)); }) == MPI_ERR_TOPOLOGY);
            CHECK(error_class_of([&] { ring.neighbor_alltoallv(send, ones, offs, recv, ones, offs); }) == MPI_ERR_TOPOLOGY);
            CHECK(error_class_of([&] { (void)ring.ineighbor_alltoallv(send, ones, offs, recv, ones, offs); }) ==
                  MPI_ERR_TOPOLOGY);
            CHECK(error_class_of([&] { ring.neighbor_alltoallw(sends, recvs); }) == MPI_ERR_TOPOLOGY);
            CHECK(error_class_of([&] { (void)ring.ineighbor_alltoallw(sends, recvs); }) == MPI_ERR_TOPOLOGY);
#if MPI_VERSION >= 4
            CHECK(error_class_of([&] { (void)ring.neighbor_alltoall_init(send, recv); }) == MPI_ERR_TOPOLOGY);
#endif
            CHECK(recv == std::vector<int>{-1, -1}); // nothing ran
        }
        // the same grid made open is fine at any size (proc_null blocks untouched)
        auto line = mpixx::cart_create(world, {p}, false);
        recv.assign(2, -1);
        line.neighbor_alltoall(send, recv);
        const auto [llo, lhi] = line.shift(0);
        CHECK(recv == std::vector<int>{llo == mpixx::proc_null ? -1 : llo * 10 + 1, lhi == mpixx::proc_null ? -1 : lhi * 10});
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("neighbor: distributed graph allgather/alltoall, blocking and non-blocking") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        auto g = skip_ring(world);
        const auto src = g.sources();
        CHECK(g.neighbor_allgather(g.rank()) == src);
        std::vector<int> got(2, -1);
        const int me = g.rank();
        auto r1 = g.ineighbor_allgather(me, got);
        r1.wait();
        CHECK(got == src);
        auto r2 = g.ineighbor_allgather(std::vector<int>{g.rank(), g.rank() + 1000}); // owned by the request
        const auto pairs = r2.wait();
        CHECK(pairs == std::vector<int>{src[0], src[0] + 1000, src[1], src[1] + 1000});

        const std::vector<int> send{g.rank() * 100, g.rank() * 100 + 1};
        const std::vector<int> expect{src[0] * 100, src[1] * 100 + 1};
        CHECK(same_blocks(g.neighbor_alltoall(send), expect));
        std::vector<int> recv(2, -1);
        auto r3 = g.ineighbor_alltoall(send, recv);
        r3.wait();
        CHECK(same_blocks(recv, expect));
        CHECK(same_blocks(g.ineighbor_alltoall(std::vector<int>(send)).wait(), expect));
        // bool results come back as std::vector<bool>
        const std::vector<bool> flags = g.neighbor_allgather(g.rank() % 2 == 0);
        CHECK(flags == std::vector<bool>{src[0] % 2 == 0, src[1] % 2 == 0});
        // temporaries cannot be borrowed by a pending request
        static_assert(!borrows_temporary_recv<decltype(g)>);
        static_assert(!borrows_temporary_send<decltype(g)>);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("neighbor: allgather on a graph communicator (star)") {
    auto world = mpixx::world();
    const int p = world.size();
    std::vector<std::vector<int>> adj(static_cast<std::size_t>(p));
    for (int i = 1; i < p; ++i) {
        adj[0].push_back(i);
        adj[static_cast<std::size_t>(i)].push_back(0);
    }
    auto star = mpixx::graph_create(world, adj);
    CHECK(star.neighbor_allgather(star.rank() * 3) ==
          [&] { auto n = star.neighbors(); for (int& x : n) x *= 3; return n; }());
    const auto back = star.neighbor_alltoall(std::vector<int>(static_cast<std::size_t>(star.out_degree()), star.rank()));
    CHECK(back == star.neighbors());
}

TEST_CASE("neighbor: allgatherv and alltoallv with per-neighbour counts") {
    auto world = mpixx::world();
    auto g = skip_ring(world);
    const auto src = g.sources();
    const int me = g.rank();
    // rank r sends r + 1 copies of r
    const std::vector<int> mine(static_cast<std::size_t>(me + 1), me);
    std::vector<int> expect;
    for (int s : src) expect.insert(expect.end(), static_cast<std::size_t>(s + 1), s);
    CHECK(g.neighbor_allgatherv(mine) == expect);
    // into a buffer with a gap of one element before each block
    const std::vector<int> counts{src[0] + 1, src[1] + 1};
    const std::vector<int> displs{1, src[0] + 3};
    std::vector<int> gapped(static_cast<std::size_t>(src[0] + src[1] + 4), -1);
    g.neighbor_allgatherv(mine, gapped, counts, displs);
    CHECK(gapped[0] == -1);
    CHECK(gapped[1] == src[0]);
    CHECK(gapped[static_cast<std::size_t>(src[0]) + 2] == -1);
    CHECK(gapped.back() == src[1]);
    std::vector<int> packed(expect.size(), -1);
    const std::vector<int> packed_displs{0, src[0] + 1};
    auto rq = g.ineighbor_allgatherv(mine, packed, counts, packed_displs);
    rq.wait();
    CHECK(packed == expect);

    // alltoallv: out-neighbour j gets j + 1 elements of me * 10 + j
    const std::vector<int> sc{1, 2}, sd{0, 1};
    const std::vector<int> send{me * 10, me * 10 + 1, me * 10 + 1};
    const std::vector<int> rc{1, 2}, rd{0, 1};
    std::vector<int> recv(3, -1);
    g.neighbor_alltoallv(send, sc, sd, recv, rc, rd);
    CHECK(recv == std::vector<int>{src[0] * 10, src[1] * 10 + 1, src[1] * 10 + 1});
    std::vector<int> recv2(3, -1);
    auto r2 = g.ineighbor_alltoallv(send, sc, sd, recv2, rc, rd);
    r2.wait();
    CHECK(recv2 == recv);
}

TEST_CASE("neighbor: alltoallw refuses a range yielding containers by value (compile time)") {
    STATIC_REQUIRE(!takes_by_value_sends<mpixx::cart_communicator>);
    STATIC_REQUIRE(takes_lvalue_sends<mpixx::cart_communicator>);
}

TEST_CASE("neighbor: alltoallw with one buffer per neighbour and with MPI datatypes") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        auto g = skip_ring(world);
        const auto src = g.sources();
        const int me = g.rank();
        // one buffer per neighbour: a scalar to neighbour 0, a 3-element span to neighbour 1
        std::vector<int> a{me}, b{me, me + 1, me + 2};
        std::vector<int> ra(1, -1), rb(3, -1);
        const std::array<std::span<const int>, 2> sends{std::span<const int>(a), std::span<const int>(b)};
        std::array<std::span<int>, 2> recvs{std::span<int>(ra), std::span<int>(rb)};
        g.neighbor_alltoallw(sends, recvs);
        CHECK(ra[0] == src[0]);
        CHECK(rb == std::vector<int>{src[1], src[1] + 1, src[1] + 2});
        ra[0] = -1;
        rb.assign(3, -1);
        auto r = g.ineighbor_alltoallw(sends, recvs);
        r.wait();
        CHECK(ra[0] == src[0]);
        CHECK(rb[2] == src[1] + 2);

        // MPI's form: a strided column (every other element) goes out, arrives contiguous
        MPI_Datatype column = MPI_DATATYPE_NULL;
        MPI_Type_vector(3, 1, 2, MPI_INT, &column);
        MPI_Type_commit(&column);
        std::vector<int> grid(12);
        for (int i = 0; i < 12; ++i) grid[static_cast<std::size_t>(i)] = me * 100 + i;
        const std::array<int, 2> scounts{1, 1};
        const std::array<MPI_Aint, 2> sdispls{0, 6 * static_cast<MPI_Aint>(sizeof(int))}; // elements 0,2,4 and 6,8,10
        const std::array<MPI_Datatype, 2> stypes{column, column};
        std::vector<int> got(6, -1);
        const std::array<int, 2> rcounts{3, 3};
        const std::array<MPI_Aint, 2> rdispls{0, 3 * static_cast<MPI_Aint>(sizeof(int))};
        const std::array<MPI_Datatype, 2> rtypes{MPI_INT, MPI_INT};
        g.neighbor_alltoallw(grid, scounts, sdispls, stypes, got, rcounts, rdispls, rtypes);
        CHECK(got == std::vector<int>{src[0] * 100, src[0] * 100 + 2, src[0] * 100 + 4, src[1] * 100 + 6,
                                      src[1] * 100 + 8, src[1] * 100 + 10});
        // a block past the end of the send buffer is refused before MPI sees it
        const std::array<MPI_Aint, 2> past{0, 8 * static_cast<MPI_Aint>(sizeof(int))};
        CHECK(error_class_of([&] { g.neighbor_alltoallw(grid, scounts, past, stypes, got, rcounts, rdispls, rtypes); }) ==
              MPI_ERR_COUNT);
        MPI_Type_free(&column);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("neighbor: layout views in allgather, alltoall and alltoallw (no packing)") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        auto g = skip_ring(world);
        const auto src = g.sources();
        const int me = g.rank();
        std::vector<int> m(12);
        for (int i = 0; i < 12; ++i) m[static_cast<std::size_t>(i)] = me * 100 + i;
        const mpixx::vector_layout<int> every_other(3, 1, 2); // elements 0, 2, 4 from the base
        // a strided triple out, contiguous triples in
        std::vector<int> got(6, -1);
        g.neighbor_allgather(mpixx::layout_view(m.data(), every_other), got);
        CHECK(got == std::vector<int>{src[0] * 100, src[0] * 100 + 2, src[0] * 100 + 4, src[1] * 100, src[1] * 100 + 2,
                                      src[1] * 100 + 4});
        std::vector<int> two(4, -1);
        CHECK(error_class_of([&] { g.neighbor_allgather(mpixx::layout_view(m.data(), every_other), two); }) ==
              MPI_ERR_TRUNCATE); // 2 ints per block cannot hold 3
        // one view per neighbour: neighbour j gets the triple starting at m[j], lands at r[i] strided
        std::vector<int> r(6, -1);
        const std::array sends{mpixx::layout_view(m.data(), every_other), mpixx::layout_view(m.data() + 1, every_other)};
        std::array recvs{mpixx::layout_view(r.data(), every_other), mpixx::layout_view(r.data() + 1, every_other)};
        g.neighbor_alltoallw(sends, recvs);
        std::vector<int> expect{src[0] * 100, src[1] * 100 + 1, src[0] * 100 + 2, src[1] * 100 + 3, src[0] * 100 + 4,
                                src[1] * 100 + 5};
        CHECK(same_blocks(r, expect));
        r.assign(6, -1);
        auto q = g.ineighbor_alltoallw(sends, recvs);
        q.wait();
        CHECK(same_blocks(r, expect));
        // alltoall of views: two instances of the layout, the second one extent (5 ints) after the first
        std::vector<int> flat(6, -1);
        g.neighbor_alltoall(mpixx::layout_view(m.data(), every_other, 2), flat);
        CHECK(same_blocks(flat, std::vector<int>{src[0] * 100, src[0] * 100 + 2, src[0] * 100 + 4,
                                                 src[1] * 100 + 5, src[1] * 100 + 7, src[1] * 100 + 9}));
    }
    CHECK(handle_counts::now() == before);
}

#if MPI_VERSION >= 4
TEST_CASE("neighbor: persistent neighbourhood collectives restart with fresh data") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        auto g = skip_ring(world);
        const auto src = g.sources();
        int value = 0;
        std::vector<int> got(2, -1);
        auto p = g.neighbor_allgather_init(value, got);
        std::vector<int> send(2), recv(2, -1);
        auto q = g.neighbor_alltoall_init(send, recv);
        const std::vector<int> counts{1, 1}, displs{1, 0};
        std::vector<int> swapped(2, -1);
        auto v = g.neighbor_allgatherv_init(value, swapped, counts, displs);
        for (int step = 0; step < 3; ++step) {
            value = g.rank() + 10 * step;
            send = {g.rank() * 100 + step, g.rank() * 100 + 50 + step};
            p.start();
            q.start();
            v.start();
            p.wait();
            q.wait();
            v.wait();
            CHECK(got == std::vector<int>{src[0] + 10 * step, src[1] + 10 * step});
            CHECK(same_blocks(recv, {src[0] * 100 + step, src[1] * 100 + 50 + step}));
            CHECK(swapped == std::vector<int>{src[1] + 10 * step, src[0] + 10 * step});
        }
    }
    CHECK(handle_counts::now() == before);
}
#endif

TEST_CASE("neighbor: bad input is refused before MPI sees it") {
    auto world = mpixx::world();
    auto g = skip_ring(world);
    std::vector<int> small(1);
    CHECK(error_class_of([&] { g.neighbor_allgather(1, small); }) == MPI_ERR_TRUNCATE);
    std::vector<int> recv(2), three(3);
    CHECK(error_class_of([&] { g.neighbor_alltoall(three, three); }) == MPI_ERR_COUNT);
    CHECK(error_class_of([&] { g.neighbor_alltoall(std::vector<int>(4), recv); }) == MPI_ERR_TRUNCATE);
    CHECK(error_class_of([&] { (void)g.neighbor_alltoall(std::vector<int>(3)); }) == MPI_ERR_COUNT);
    const std::vector<int> one{1}, two{1, 1}, neg{-1, 1}, zero{0, 0};
    CHECK(error_class_of([&] { g.neighbor_allgatherv(1, recv, one, one); }) == MPI_ERR_COUNT);  // one entry, two in-neighbours
    CHECK(error_class_of([&] { g.neighbor_allgatherv(1, recv, neg, zero); }) == MPI_ERR_COUNT); // negative
    const std::vector<int> far{1, 2};
    CHECK(error_class_of([&] { g.neighbor_allgatherv(1, recv, two, far); }) == MPI_ERR_TRUNCATE);
    CHECK(error_class_of([&] { g.neighbor_alltoallv(recv, one, one, recv, two, zero); }) == MPI_ERR_COUNT);
    const std::array<std::span<const int>, 1> sends{std::span<const int>(one)};
    std::array<std::span<int>, 2> recvs{std::span<int>(recv), std::span<int>(recv)};
    CHECK(error_class_of([&] { g.neighbor_alltoallw(sends, recvs); }) == MPI_ERR_COUNT);
    // nothing was posted by the refused calls: a correct exchange still matches
    CHECK(g.neighbor_allgather(g.rank()) == g.sources());
}

TEST_CASE("neighbor: value-form alltoall where in- and out-degree differ (blocking and non-blocking agree)") {
    // Every rank sends one block to the last rank; the last rank receives one from each (itself included):
    // out-degree 1 everywhere, in-degree 0 except at the last rank (in-degree size).
    auto world = mpixx::world();
    const int p = world.size(), me = world.rank(), last = p - 1;
    std::vector<int> sources;
    if (me == last)
        for (int r = 0; r < p; ++r) sources.push_back(r);
    auto g = mpixx::dist_graph_create_adjacent(world, sources, std::vector<int>{last});
    const std::vector<int> send{10 * me + 1, 10 * me + 2}; // one block of 2 for the one out-neighbour
    std::vector<int> expect;
    for (int r : sources) expect.insert(expect.end(), {10 * r + 1, 10 * r + 2});
    CHECK(g.neighbor_alltoall(send) == expect);
    CHECK(g.ineighbor_alltoall(std::vector<int>(send)).wait() == expect);
    CHECK(g.neighbor_allgather(send) == expect); // the whole buffer per out-neighbour: the same here
    CHECK(g.ineighbor_allgather(std::vector<int>(send)).wait() == expect);
}

namespace {
/// A distributed graph whose last rank is a sink: every other rank sends it one block, it sends nothing
/// (in-degree size - 1 and out-degree 0 there; out-degree 1 and in-degree 0 elsewhere; no edge on one
/// process).
mpixx::dist_graph_communicator sink_graph(const mpixx::communicator& world) {
    const int p = world.size(), me = world.rank(), last = p - 1;
    std::vector<int> sources, dests;
    if (me == last)
        for (int r = 0; r < last; ++r) sources.push_back(r);
    else
        dests.push_back(last);
    return mpixx::dist_graph_create_adjacent(world, sources, dests);
}
} // namespace

TEST_CASE("neighbor: alltoall at a process with in-neighbours but no out-neighbour (a sink)") {
    auto world = mpixx::world();
    auto g = sink_graph(world);
    const int me = g.rank();
    const bool sink = g.in_degree() > 0 && g.out_degree() == 0;
    const auto send = g.out_degree() == 0 ? std::vector<int>{} : std::vector<int>{10 * me + 1, 10 * me + 2};
    std::vector<int> expect;
    for (int r : g.sources()) expect.insert(expect.end(), {10 * r + 1, 10 * r + 2});
    // a receive buffer of in_degree() blocks of what the in-neighbours send: the sink's block size
    std::vector<int> got(expect.size(), -1);
    g.neighbor_alltoall(send, got);
    CHECK(got == expect);
    got.assign(expect.size(), -1);
    g.ineighbor_alltoall(send, got).wait();
    CHECK(got == expect);
    // Room to spare at the sink (one element more than two or more blocks): left alone, as at other
    // processes (with one in-neighbour the spare element would make the block 3, not what is sent).
    if (world.size() >= 3) {
        std::vector<int> roomy(expect.size() + 1, -1);
        g.neighbor_alltoall(send, roomy);
        if (sink) {
            CHECK(std::vector<int>(roomy.begin(), roomy.end() - 1) == expect);
            CHECK(roomy.back() == -1);
        }
    }
    // The value forms with empty blocks everywhere (a valid program): every process gets nothing. Regression:
    // the sink refused them alone, leaving the others waiting in the exchange.
    const std::vector<int> nothing;
    CHECK(g.neighbor_alltoall(nothing).empty());
    CHECK(g.ineighbor_alltoall(std::vector<int>(nothing)).wait().empty());
    // without in-neighbours the value forms know the answer: nothing
    if (g.in_degree() == 0 && g.out_degree() == 0) {
        CHECK(g.neighbor_alltoall(send).empty());
        CHECK(g.ineighbor_alltoall(std::vector<int>(send)).wait().empty());
    }
}

TEST_CASE("neighbor: overlapping receive blocks (allgatherv, alltoallv) are MPI_ERR_ARG; send blocks may overlap") {
    auto world = mpixx::world();
    auto g = skip_ring(world);
    const int me = g.rank();
    const auto src = g.sources();
    const std::vector<int> ones{1, 1}, same{0, 0}, apart{0, 1};
    std::vector<int> got(2, -1);
    // both in-neighbours' blocks at item 0
    try {
        g.neighbor_allgatherv(me, got, ones, same);
        FAIL("overlapping receive blocks were accepted");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ARG);
        CHECK(std::string(e.what()).find("in-neighbour 0 (items [0, 1)) and in-neighbour 1 (items [0, 1)) overlap") !=
              std::string::npos);
    }
    CHECK(error_class_of([&] { g.ineighbor_allgatherv(me, got, ones, same).wait(); }) == MPI_ERR_ARG);
    const std::vector<int> mine{me};
    CHECK(error_class_of([&] { g.neighbor_alltoallv(mine, ones, same, got, ones, same); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { g.ineighbor_alltoallv(mine, ones, same, got, ones, same).wait(); }) == MPI_ERR_ARG);
    CHECK(got == std::vector<int>{-1, -1});
    // the send side's blocks may share items: both out-neighbours get `mine`
    g.neighbor_alltoallv(mine, ones, same, got, ones, apart);
    CHECK(got == src);
}

TEST_CASE("neighbor: blocks of proc_null neighbours may overlap others (an open grid's boundary)") {
    // Regression: the overlap check refused them on the boundary ranks alone, and the others waited. MPI
    // writes nothing into a proc_null neighbour's block, so sharing it with a real neighbour is valid.
    auto world = mpixx::world();
    const int p = world.size();
    auto line = mpixx::cart_create(world, {p}, false);
    const int me = line.rank();
    const auto [lo, hi] = line.shift(0);
    const bool boundary = lo == mpixx::proc_null || hi == mpixx::proc_null;
    const std::vector<int> ones{1, 1}, displs = boundary ? std::vector<int>{0, 0} : std::vector<int>{0, 1};
    std::vector<int> expect;
    for (int r : {lo, hi})
        if (r != mpixx::proc_null) expect.push_back(r);
    if (expect.empty()) expect.push_back(-1); // one rank: nothing arrives
    const auto fresh = [&] { return std::vector<int>(boundary ? 1 : 2, -1); };
    auto got = fresh();
    line.neighbor_allgatherv(me, got, ones, displs);
    CHECK(got == expect);
    got = fresh();
    line.ineighbor_allgatherv(me, got, ones, displs).wait();
    CHECK(got == expect);
    const std::vector<int> mine{me}, same{0, 0};
    got = fresh();
    line.neighbor_alltoallv(mine, ones, same, got, ones, displs);
    CHECK(got == expect);
    got = fresh();
    line.ineighbor_alltoallv(mine, ones, same, got, ones, displs).wait();
    CHECK(got == expect);
    // two real neighbours sharing a block are still refused (a periodic ring of 3 or more)
    if (p >= 3) {
        auto ring = mpixx::cart_create(world, {p}, true);
        std::vector<int> one(1, -1);
        CHECK(error_class_of([&] { ring.neighbor_allgatherv(me, one, ones, same); }) == MPI_ERR_ARG);
    }
}

TEST_CASE("neighbor: MPI-style alltoallw blocks are checked with the datatype's true bounds (negative extent)") {
    auto world = mpixx::world();
    auto g = skip_ring(world);
    const auto src = g.sources();
    const int me = g.rank();
    // `back`: one int, the next one 4 bytes BELOW it (extent -4): 3 of them at byte d touch [d - 8, d + 4)
    MPI_Datatype back = MPI_DATATYPE_NULL;
    MPI_Type_create_resized(MPI_INT, 0, -static_cast<MPI_Aint>(sizeof(int)), &back);
    MPI_Type_commit(&back);
    const std::vector<int> send{10 * me + 1, 10 * me + 2, 10 * me + 3, 10 * me + 4, 10 * me + 5, 10 * me + 6};
    const std::array<int, 2> counts{3, 3};
    const std::array<MPI_Aint, 2> sd{0, 3 * static_cast<MPI_Aint>(sizeof(int))};
    const std::array<MPI_Datatype, 2> ints{MPI_INT, MPI_INT}, backs{back, back};
    std::vector<int> got(6, -1);
    // inside: each block starts at the LAST int of its half and walks down (reversed)
    const std::array<MPI_Aint, 2> top{2 * static_cast<MPI_Aint>(sizeof(int)), 5 * static_cast<MPI_Aint>(sizeof(int))};
    g.neighbor_alltoallw(send, counts, sd, ints, got, counts, top, backs);
    CHECK(same_blocks(got, {10 * src[0] + 3, 10 * src[0] + 2, 10 * src[0] + 1, 10 * src[1] + 6, 10 * src[1] + 5,
                            10 * src[1] + 4}));
    // from byte 0 the blocks reach 8 bytes below the buffer: refused on both sides, before MPI sees them
    const std::array<MPI_Aint, 2> low{0, 3 * static_cast<MPI_Aint>(sizeof(int))};
    got.assign(6, -1);
    CHECK(error_class_of([&] { g.neighbor_alltoallw(send, counts, sd, ints, got, counts, low, backs); }) ==
          MPI_ERR_TRUNCATE);
    CHECK(got == std::vector<int>(6, -1));
    CHECK(error_class_of([&] { g.neighbor_alltoallw(send, counts, low, backs, got, counts, sd, ints); }) ==
          MPI_ERR_COUNT);
    // an extent so large that (count - 1) * extent overflows: refused, not wrapped into the buffer
    MPI_Datatype far = MPI_DATATYPE_NULL;
    MPI_Type_create_resized(MPI_INT, 0, MPI_Aint(1) << 62, &far);
    MPI_Type_commit(&far);
    const std::array<MPI_Datatype, 2> fars{far, far};
    CHECK(error_class_of([&] { g.neighbor_alltoallw(send, counts, sd, ints, got, counts, sd, fars); }) ==
          MPI_ERR_TRUNCATE);
    MPI_Type_free(&far);
    MPI_Type_free(&back);
    // nothing was posted by the refused calls
    CHECK(g.neighbor_allgather(g.rank()) == g.sources());
}

#if MPIXX_CHECKED
TEST_CASE("neighbor: checked mode compares the v and w counts with what the neighbours really send") {
    auto world = mpixx::world();
    auto g = skip_ring(world);
    const int me = g.rank();
    const std::vector<int> send{100 * me + 1, 100 * me + 2};
    const std::vector<int> one{1, 1}, sd{0, 1}, two{2, 2}, rd{0, 2};
    std::vector<int> got(4, -1);
    // each neighbour sends 1 int where this process expects 2: MPI would leave got[1] and got[3] unwritten
    CHECK(error_class_of([&] { g.neighbor_alltoallv(send, one, sd, got, two, rd); }) == MPI_ERR_COUNT);
    CHECK(error_class_of([&] { g.neighbor_allgatherv(me, got, two, rd); }) == MPI_ERR_COUNT);
    const std::array<std::span<const int>, 2> sends{std::span<const int>(send.data(), 1), std::span<const int>(send.data() + 1, 1)};
    std::array<std::span<int>, 2> recvs{std::span<int>(got.data(), 2), std::span<int>(got.data() + 2, 2)};
    CHECK(error_class_of([&] { g.neighbor_alltoallw(sends, recvs); }) == MPI_ERR_COUNT);
    CHECK(got == std::vector<int>(4, -1)); // nothing ran
    // matching counts pass the check
    g.neighbor_allgatherv(me, got, one, rd);
    CHECK(got[0] == g.sources()[0]);
}

TEST_CASE("neighbor: checked mode catches a sink's receive blocks larger than what its in-neighbours send") {
    // Whole blocks, but twice what is sent: without checked mode the blocks would land with gaps.
    auto world = mpixx::world();
    auto g = sink_graph(world);
    const int me = g.rank();
    const std::vector<int> send = g.out_degree() == 0 ? std::vector<int>{} : std::vector<int>{me, me};
    std::vector<int> twice(4 * static_cast<std::size_t>(g.in_degree()), -1);
    const int e = error_class_of([&] { g.neighbor_alltoall(send, twice); });
    CHECK(e == (world.size() > 1 ? MPI_ERR_COUNT : MPI_SUCCESS)); // on every rank
    CHECK(twice == std::vector<int>(twice.size(), -1));
}
#endif

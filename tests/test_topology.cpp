// Tests of mpixx/topology.hpp: dims_create, Cartesian communicators (coords, rank_of, shift, sub, from,
// partial grids), graph and distributed-graph communicators, checked against MPI's own answers, with
// point-to-point and collectives on them, bad input, and PMPI counts proving no communicator leaks.
#include "mpixx_test.hpp"

#include "error_class.hpp"
#include "pmpi_handle_counts.hpp"

#include <mpixx/topology.hpp>

#include <array>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

using mpixx_test::error_class_of;

namespace {
/// MPI's own answers, from the handle, to compare mpixx's cached computations with.
std::vector<int> mpi_coords(MPI_Comm c, int rank, int nd) {
    std::vector<int> v(static_cast<std::size_t>(nd));
    if (nd > 0) MPI_Cart_coords(c, rank, nd, v.data());
    return v;
}
std::pair<int, int> mpi_shift(MPI_Comm c, int dim, int disp) {
    int s = -5, d = -5;
    MPI_Cart_shift(c, dim, disp, &s, &d);
    return {s, d};
}
} // namespace

TEST_CASE("topology: dims_create splits like MPI_Dims_create and refuses what cannot fit") {
    CHECK(mpixx::dims_create(1, 2) == std::vector<int>{1, 1});
    CHECK(mpixx::dims_create(2, 2) == std::vector<int>{2, 1});
    CHECK(mpixx::dims_create(3, 2) == std::vector<int>{3, 1});
    CHECK(mpixx::dims_create(4, 2) == std::vector<int>{2, 2});
    CHECK(mpixx::dims_create(6, 2) == std::vector<int>{3, 2});
    CHECK(mpixx::dims_create(12, 3) == std::vector<int>{3, 2, 2});
    CHECK(mpixx::dims_create(6, 2, {0, 3}) == std::vector<int>{2, 3});
    CHECK(mpixx::dims_create(7, 1) == std::vector<int>{7});
    CHECK(mpixx::dims_create(1, 0).empty());
    CHECK(error_class_of([] { (void)mpixx::dims_create(6, 2, {4, 0}); }) == MPI_ERR_DIMS);  // 4 does not divide 6
    CHECK(error_class_of([] { (void)mpixx::dims_create(6, 2, {-1, 0}); }) == MPI_ERR_DIMS); // negative
    CHECK(error_class_of([] { (void)mpixx::dims_create(6, 2, {0}); }) == MPI_ERR_DIMS);     // wrong length
    CHECK(error_class_of([] { (void)mpixx::dims_create(0, 2); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::dims_create(4, -1); }) == MPI_ERR_DIMS);
    CHECK(error_class_of([] { (void)mpixx::dims_create(5, 0); }) == MPI_ERR_DIMS);
    // Every entry fixed: the product must be nnodes itself (MPICH returned {3, 1} for 6 processes).
    CHECK(error_class_of([] { (void)mpixx::dims_create(6, 2, {3, 1}); }) == MPI_ERR_DIMS);
    CHECK(error_class_of([] { (void)mpixx::dims_create(4, 2, {1, 1}); }) == MPI_ERR_DIMS);
    CHECK(error_class_of([] { (void)mpixx::dims_create(4, 2, {65536, 65536}); }) == MPI_ERR_DIMS);
    CHECK(mpixx::dims_create(6, 2, {3, 2}) == std::vector<int>{3, 2});
    CHECK(mpixx::dims_create(6, 3, {3, 2, 0}) == std::vector<int>{3, 2, 1});
}

TEST_CASE("topology: neighbourhood collectives on a null topology communicator throw MPI_ERR_COMM") {
    auto world = mpixx::world();
    // Left out of a partial grid (every rank but 0), or default-constructed: a clear mpixx error naming
    // the collective, not MPI's MPI_ERR_COMM from an internal routine. Nothing collective is started.
    auto partial = mpixx::cart_create(world, {1}, false, false, mpixx::partial_grid);
    mpixx::cart_communicator cart;
    mpixx::graph_communicator graph;
    mpixx::dist_graph_communicator dist;
    std::vector<int> buf(4), none;
    const int one = 1;
    const auto check_null = [&](const mpixx::topology_communicator& t) {
        CHECK(error_class_of([&] { t.neighbor_allgather(1, buf); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { (void)t.neighbor_allgather(1); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { auto q = t.ineighbor_allgather(one, buf); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { auto q = t.ineighbor_allgather(std::vector<int>{1}); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { t.neighbor_alltoall(buf, buf); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { (void)t.neighbor_alltoall(buf); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { auto q = t.ineighbor_alltoall(buf, buf); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { auto q = t.ineighbor_alltoall(std::vector<int>{1}); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { t.neighbor_alltoallv(buf, none, none, buf, none, none); }) == MPI_ERR_COMM);
#if MPI_VERSION >= 4
        CHECK(error_class_of([&] { auto q = t.neighbor_allgather_init(buf, buf); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { auto q = t.neighbor_alltoall_init(buf, buf); }) == MPI_ERR_COMM);
#endif
        try {
            t.neighbor_allgather(1, buf);
        } catch (const mpixx::error& e) {
            CHECK(e.routine() == "mpixx::neighbor_allgather");
            CHECK(std::string(e.what()).find("null") != std::string::npos);
        }
    };
    check_null(cart);
    check_null(graph);
    check_null(dist);
    if (partial.is_null()) check_null(partial);
    else CHECK(partial.neighbor_allgather(7).size() == 2); // two proc_null neighbours: blocks left as they are
}

TEST_CASE("topology: a 2D Cartesian grid agrees with MPI's coords, ranks and shifts") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const auto dims = mpixx::dims_create(world.size(), 2);
        auto grid = mpixx::cart_create(world, dims, {true, false});
        REQUIRE(!grid.is_null());
        // the counting sees mpixx's communicators (in checked mode, each with its signature duplicate)
        CHECK(handle_counts::now().comms == before.comms + (mpixx::detail::checked_p2p ? 2 : 1));
        CHECK(mpixx::topology_of(grid) == mpixx::topology_kind::cartesian);
        CHECK(mpixx::topology_of(world) == mpixx::topology_kind::none);
        CHECK(grid.size() == world.size());
        CHECK(grid.rank() == world.rank()); // no reorder
        CHECK(grid.ndims() == 2);
        CHECK(grid.dims() == dims);
        CHECK(grid.periodic() == std::vector<bool>{true, false});
        CHECK(grid.periodic(0));
        CHECK(!grid.periodic(1));
        CHECK(grid.in_degree() == 4);
        CHECK(grid.out_degree() == 4);
        CHECK(grid.coords() == mpi_coords(grid.native(), grid.rank(), 2));
        CHECK(grid.rank_of(grid.coords()) == grid.rank());
        for (int r = 0; r < grid.size(); ++r) {
            const auto c = grid.coords(r);
            CHECK(c == mpi_coords(grid.native(), r, 2));
            CHECK(grid.rank_of(c) == r);
        }
        // periodic dimension 0 wraps any coordinate, as MPI_Cart_rank does
        const std::array<int, 2> far{grid.coords()[0] + 3 * dims[0] - 1, grid.coords()[1]};
        int expect = -1;
        MPI_Cart_rank(grid.native(), far.data(), &expect);
        CHECK(grid.rank_of(far) == expect);
        CHECK(grid.rank_of({-1, 0}) == grid.rank_of({dims[0] - 1, 0}));
        for (int dim = 0; dim < 2; ++dim)
            for (int disp = -3; disp <= 3; ++disp) {
                const auto [src, dst] = grid.shift(dim, disp);
                const auto [msrc, mdst] = mpi_shift(grid.native(), dim, disp);
                CHECK(src == msrc);
                CHECK(dst == mdst);
            }
        // dimension 1 is open: its first row has no lower neighbour
        if (grid.coords()[1] == 0) CHECK(grid.shift(1).source == mpixx::proc_null);
        if (grid.coords()[1] == dims[1] - 1) CHECK(grid.shift(1).dest == mpixx::proc_null);
        // neighbour order of the neighbourhood collectives
        const auto n = grid.neighbors();
        REQUIRE(n.size() == 4);
        CHECK(n[0] == grid.shift(0).source);
        CHECK(n[1] == grid.shift(0).dest);
        CHECK(n[2] == grid.shift(1).source);
        CHECK(n[3] == grid.shift(1).dest);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: a Cartesian communicator is a communicator (point-to-point and collectives)") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        auto grid = mpixx::cart_create(world, {world.size()}, true); // a ring
        const auto [left, right] = grid.shift(0);
        CHECK(left == (grid.rank() + grid.size() - 1) % grid.size());
        CHECK(right == (grid.rank() + 1) % grid.size());
        int got = -1;
        grid.sendrecv(grid.rank() * 10, right, 3, got, left, 3);
        CHECK(got == left * 10);
        auto req = grid.irecv<int>(left, 4);
        grid.send(grid.rank() + 100, right, 4);
        CHECK(req.wait() == left + 100);
        CHECK(grid.allreduce(grid.rank() + 1, mpixx::sum) == grid.size() * (grid.size() + 1) / 2);
        std::vector<int> all = grid.allgather(grid.coords()[0]);
        std::vector<int> expect(static_cast<std::size_t>(grid.size()));
        std::iota(expect.begin(), expect.end(), 0);
        CHECK(all == expect);
        grid.barrier();
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: sub keeps rows and columns of the grid") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const auto dims = mpixx::dims_create(world.size(), 2);
        auto grid = mpixx::cart_create(world, dims, false);
        auto row = grid.sub({false, true});
        CHECK(row.ndims() == 1);
        CHECK(row.dims() == std::vector<int>{dims[1]});
        CHECK(row.size() == dims[1]);
        CHECK(row.rank() == grid.coords()[1]);
        CHECK(row.coords() == std::vector<int>{grid.coords()[1]});
        // the sum of grid ranks along this row
        int expect = 0;
        for (int j = 0; j < dims[1]; ++j) expect += grid.rank_of({grid.coords()[0], j});
        CHECK(row.allreduce(grid.rank(), mpixx::sum) == expect);
        auto col = grid.sub(std::vector<bool>{true, false});
        CHECK(col.size() == dims[0]);
        CHECK(col.rank() == grid.coords()[0]);
        CHECK(col.periodic() == std::vector<bool>{false});
        auto none = grid.sub(false);
        CHECK(none.size() == 1);
        CHECK(none.ndims() == 0);
        auto all = grid.sub(true);
        CHECK(all.size() == grid.size());
        CHECK(all.dims() == dims);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: 3D periodic grid, reorder, and from/wrap/adopt of existing handles") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const auto dims = mpixx::dims_create(world.size(), 3);
        auto cube = mpixx::cart_create(world, dims, true, true);
        CHECK(cube.ndims() == 3);
        CHECK(cube.coords() == mpi_coords(cube.native(), cube.rank(), 3));
        for (int dim = 0; dim < 3; ++dim) {
            const auto [src, dst] = cube.shift(dim, 1);
            CHECK(std::pair(src, dst) == mpi_shift(cube.native(), dim, 1));
            CHECK(src != mpixx::proc_null);
        }
        CHECK(cube.allreduce(1, mpixx::sum) == world.size());

        // dup keeps the topology; from() shares the handle
        auto d = mpixx::cart_communicator::from(cube.dup());
        CHECK(d.dims() == dims);
        CHECK(d.native() != cube.native());
        auto w = mpixx::cart_communicator::wrap(cube.native());
        CHECK(w.native() == cube.native());
        CHECK(w.coords() == cube.coords());
        MPI_Comm raw = MPI_COMM_NULL;
        const std::array<int, 1> one{world.size()};
        const std::array<int, 1> per{0};
        MPI_Cart_create(MPI_COMM_WORLD, 1, one.data(), per.data(), 0, &raw);
        auto adopted = mpixx::cart_communicator::adopt(raw); // frees raw
        CHECK(adopted.dims() == std::vector<int>{world.size()});
        CHECK(error_class_of([&] { (void)mpixx::cart_communicator::from(world); }) == MPI_ERR_TOPOLOGY);
        CHECK(error_class_of([&] { (void)mpixx::cart_communicator::wrap(MPI_COMM_SELF); }) == MPI_ERR_TOPOLOGY);
        CHECK(error_class_of([&] { (void)mpixx::cart_communicator::from(world.dup()); }) == MPI_ERR_TOPOLOGY);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: partial grids leave processes out with a null communicator") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        auto first = mpixx::cart_create(world, {1}, false, false, mpixx::partial_grid);
        CHECK(first.is_null() == (world.rank() != 0));
        if (world.rank() == 0) CHECK(first.size() == 1);
        else CHECK(error_class_of([&] { (void)first.coords(); }) == MPI_ERR_COMM);
        const int n = world.size() > 1 ? world.size() - 1 : 1;
        auto most = mpixx::cart_create(world, {n}, true, false, mpixx::partial_grid);
        CHECK(most.is_null() == (world.rank() >= n));
        if (!most.is_null()) CHECK(most.allreduce(1, mpixx::sum) == n);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: bad Cartesian arguments throw before MPI sees them") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size();
        CHECK(error_class_of([&] { (void)mpixx::cart_create(world, {p + 1}); }) == MPI_ERR_DIMS);
        CHECK(error_class_of([&] { (void)mpixx::cart_create(world, {p, 2}); }) == MPI_ERR_DIMS);
        CHECK(error_class_of([&] { (void)mpixx::cart_create(world, {-p}); }) == MPI_ERR_DIMS);
        CHECK(error_class_of([&] { (void)mpixx::cart_create(world, {p, 0}); }) == MPI_ERR_DIMS);
        CHECK(error_class_of([&] { (void)mpixx::cart_create(world, {p + 1}, false, false, mpixx::partial_grid); }) ==
              MPI_ERR_DIMS);
        CHECK(error_class_of([&] { (void)mpixx::cart_create(world, {p, 1}, {true}); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { (void)mpixx::cart_create(mpixx::communicator(), {1}); }) == MPI_ERR_COMM);
        try {
            (void)mpixx::cart_create(world, {p, 2});
        } catch (const mpixx::error& e) {
            CHECK(e.routine() == "mpixx::cart_create");
            CHECK(std::string(e.what()).find("dims [") != std::string::npos);
        }
        auto grid = mpixx::cart_create(world, {p, 1}, {false, true});
        CHECK(error_class_of([&] { (void)grid.rank_of({p, 0}); }) == MPI_ERR_ARG);  // off the open dimension
        CHECK(error_class_of([&] { (void)grid.rank_of({-1, 0}); }) == MPI_ERR_ARG);
        CHECK(grid.rank_of({0, 5}) == 0);                                          // the periodic one wraps
        CHECK(error_class_of([&] { (void)grid.rank_of({0}); }) == MPI_ERR_DIMS);    // wrong length
        CHECK(error_class_of([&] { (void)grid.shift(2); }) == MPI_ERR_DIMS);        // no such dimension
        CHECK(error_class_of([&] { (void)grid.shift(-1); }) == MPI_ERR_DIMS);
        CHECK(error_class_of([&] { (void)grid.periodic(2); }) == MPI_ERR_DIMS);
        CHECK(error_class_of([&] { (void)grid.coords(p); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)grid.coords(-1); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)grid.sub({true}); }) == MPI_ERR_DIMS);
        mpixx::cart_communicator null;
        CHECK(error_class_of([&] { (void)null.shift(0); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { (void)null.ndims(); }) == MPI_ERR_COMM);
        CHECK(error_class_of([&] { (void)mpixx::topology_of(mpixx::communicator()); }) == MPI_ERR_COMM);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: a graph communicator (star) agrees with MPI and carries messages") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size();
        std::vector<std::vector<int>> adj(static_cast<std::size_t>(p));
        for (int i = 1; i < p; ++i) {
            adj[0].push_back(i);
            adj[static_cast<std::size_t>(i)].push_back(0);
        }
        auto star = mpixx::graph_create(world, adj);
        REQUIRE(!star.is_null());
        CHECK(mpixx::topology_of(star) == mpixx::topology_kind::graph);
        CHECK(star.nnodes() == p);
        CHECK(star.neighbors() == adj[static_cast<std::size_t>(world.rank())]);
        CHECK(star.in_degree() == (world.rank() == 0 ? p - 1 : 1));
        CHECK(star.out_degree() == star.in_degree());
        for (int r = 0; r < p; ++r) {
            int n = 0;
            MPI_Graph_neighbors_count(star.native(), r, &n);
            std::vector<int> mpi(static_cast<std::size_t>(n) + 1);
            MPI_Graph_neighbors(star.native(), r, n, mpi.data());
            mpi.pop_back();
            CHECK(star.neighbors(r) == mpi);
        }
        CHECK(star.index().size() == static_cast<std::size_t>(p));
        CHECK(star.edges().size() == static_cast<std::size_t>(2 * (p - 1)));
        // the hub sends each leaf its rank squared
        if (star.rank() == 0)
            for (int leaf : star.neighbors()) star.send(leaf * leaf, leaf, 9);
        else CHECK(star.recv<int>(0, 9) == star.rank() * star.rank());
        CHECK(star.allreduce(star.in_degree(), mpixx::sum) == 2 * (p - 1));
        auto copy = mpixx::graph_communicator::from(star.dup());
        CHECK(copy.neighbors() == star.neighbors());
        CHECK(error_class_of([&] { (void)mpixx::graph_communicator::from(world); }) == MPI_ERR_TOPOLOGY);
        CHECK(error_class_of([&] { (void)mpixx::cart_communicator::from(star); }) == MPI_ERR_TOPOLOGY);
        CHECK(error_class_of([&] { (void)star.neighbors(p); }) == MPI_ERR_RANK);

        // fewer nodes than processes: the last process is left out
        std::vector<int> index(static_cast<std::size_t>(p > 1 ? p - 1 : 1), 0);
        auto part = mpixx::graph_create(world, index, std::vector<int>{});
        CHECK(part.is_null() == (p > 1 && world.rank() == p - 1));
        if (!part.is_null()) CHECK(part.neighbors().empty());

        CHECK(error_class_of([&] { (void)mpixx::graph_create(world, {1, 0}, {0}); }) == MPI_ERR_ARG); // decreasing
        CHECK(error_class_of([&] { (void)mpixx::graph_create(world, {2}, {0}); }) == MPI_ERR_ARG);    // edges short
        CHECK(error_class_of([&] { (void)mpixx::graph_create(world, {1}, {1}); }) == MPI_ERR_RANK);   // no node 1
        std::vector<int> too_many(static_cast<std::size_t>(p + 1), 0);
        CHECK(error_class_of([&] { (void)mpixx::graph_create(world, too_many, std::vector<int>{}); }) == MPI_ERR_ARG);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: distributed graphs, weighted and unweighted") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        const int left = (me + p - 1) % p, right = (me + 1) % p;
        auto ring = mpixx::dist_graph_create_adjacent(world, {left}, {right});
        CHECK(mpixx::topology_of(ring) == mpixx::topology_kind::dist_graph);
        CHECK(ring.in_degree() == 1);
        CHECK(ring.out_degree() == 1);
        CHECK(ring.sources() == std::vector<int>{left});
        CHECK(ring.destinations() == std::vector<int>{right});
        CHECK(!ring.weighted());
        CHECK(ring.source_weights().empty());
        int got = -1;
        ring.sendrecv(me, ring.destinations()[0], 1, got, ring.sources()[0], 1);
        CHECK(got == left);

        // weighted: receive from both sides, send to the right only (every rank's edges agree)
        const std::vector<int> src{left, right}, sw{10 + left, 20 + right};
        const std::vector<int> dst{right, left}, dw{30 + right, 40 + left};
        auto w = mpixx::dist_graph_create_adjacent(world, src, dst, sw, dw);
        CHECK(w.weighted());
        CHECK(w.in_degree() == 2);
        CHECK(w.out_degree() == 2);
        CHECK(w.sources() == src);
        CHECK(w.destinations() == dst);
        CHECK(w.source_weights() == sw);
        CHECK(w.dest_weights() == dw);
        CHECK(w.allreduce(w.out_degree(), mpixx::sum) == 2 * p);

        // weighted with no neighbour at all (MPI_WEIGHTS_EMPTY)
        auto lonely = mpixx::dist_graph_create_adjacent(world, std::vector<int>{}, std::vector<int>{},
                                                        std::vector<int>{}, std::vector<int>{});
        CHECK(lonely.in_degree() == 0);
        CHECK(lonely.out_degree() == 0);
        CHECK(lonely.weighted());
        auto again = mpixx::dist_graph_communicator::from(lonely.dup());
        CHECK(again.weighted());
        CHECK(error_class_of([&] { (void)mpixx::dist_graph_communicator::from(world); }) == MPI_ERR_TOPOLOGY);

        CHECK(error_class_of([&] { (void)mpixx::dist_graph_create_adjacent(world, {p}, {right}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)mpixx::dist_graph_create_adjacent(world, {left}, {-1}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)mpixx::dist_graph_create_adjacent(world, {left}, {right}, {1, 2}, {1}); }) ==
              MPI_ERR_ARG);
        CHECK(error_class_of([&] { (void)mpixx::dist_graph_create_adjacent(world, {left}, {right}, {1}, {-1}); }) ==
              MPI_ERR_ARG);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: a distributed graph refused on one process is refused on all (no hang)") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        // Rank 0 alone names a rank that does not exist: it throws its own error, the others learn it and
        // throw too (they waited in MPI_Dist_graph_create_adjacent for it).
        const std::vector<int> bad{p}, none;
        const int cls = error_class_of([&] { (void)mpixx::dist_graph_create_adjacent(world, me == 0 ? bad : none, none); });
        CHECK(cls == (me == 0 ? MPI_ERR_RANK : MPI_ERR_ARG));
        const std::vector<int> sw{-1};
        const int wcls = error_class_of([&] {
            (void)mpixx::dist_graph_create_adjacent(world, me == p - 1 ? std::vector<int>{0} : none, none,
                                                    me == p - 1 ? sw : none, none);
        });
        CHECK(wcls == MPI_ERR_ARG); // negative weight on the last rank; the others learn it
#if MPIXX_CHECKED
        // Checked mode compares the edges: rank 1 receives from rank 0, which does not send to it (a
        // neighbourhood collective would wait for that block forever).
        if (p >= 2) {
            const std::vector<int> from0{0};
            try {
                (void)mpixx::dist_graph_create_adjacent(world, me == 1 ? from0 : none, none);
                FAIL("no error");
            } catch (const mpixx::error& e) {
                CHECK(e.error_class() == MPI_ERR_TOPOLOGY);
                if (me == 1) CHECK(std::string(e.what()).find("lists rank 1 0 time(s)") != std::string::npos);
            }
        }
#endif
        auto ok = mpixx::dist_graph_create_adjacent(world, {(me + 1) % p}, {(me + p - 1) % p});
        CHECK(ok.neighbor_allgather(me) == std::vector<int>{(me + 1) % p});
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: weights given on some processes only are refused on all (MPI_ERR_NOT_SAME)") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        const std::vector<int> src{(me + p - 1) % p}, dst{(me + 1) % p}, w{7};
        // Agreeing: all weighted, or none (the only cases at one process).
        auto all = mpixx::dist_graph_create_adjacent(world, src, dst, w, w);
        CHECK(all.weighted());
        CHECK(all.source_weights() == w);
        auto none = mpixx::dist_graph_create_adjacent(world, src, dst);
        CHECK(!none.weighted());
        // MPI leaves a mix undefined (MPICH builds a graph, weighted on some ranks only): every rank throws.
        const auto mixed = [&](int weighted_rank) {
            try {
                if (me == weighted_rank) (void)mpixx::dist_graph_create_adjacent(world, src, dst, w, w);
                else (void)mpixx::dist_graph_create_adjacent(world, src, dst);
                return std::string("no error");
            } catch (const mpixx::error& e) {
                CHECK(e.error_class() == MPI_ERR_NOT_SAME);
                return std::string(e.what());
            }
        };
        if (p >= 2) {
            CHECK(mixed(0).find("rank 0 gave weights but rank 1 did not") != std::string::npos);
            CHECK(mixed(p - 1).find("rank " + std::to_string(p - 1) + " gave weights but rank 0 did not") !=
                  std::string::npos);
            // weighted with no neighbour (MPI_WEIGHTS_EMPTY) on rank 0 only is weighted too
            const std::vector<int> empty;
            const int cls = error_class_of([&] {
                if (me == 0) (void)mpixx::dist_graph_create_adjacent(world, empty, empty, empty, empty);
                else (void)mpixx::dist_graph_create_adjacent(world, empty, empty);
            });
            CHECK(cls == MPI_ERR_NOT_SAME);
        } else {
            CHECK(mixed(0) == "no error"); // one process: all of them weighted
        }
        // the communicator is still usable by all
        auto ok = mpixx::dist_graph_create_adjacent(world, src, dst);
        CHECK(ok.neighbor_allgather(me) == std::vector<int>{(me + p - 1) % p});
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: a process without out-neighbours receives blocks of its in-neighbours' size") {
    auto world = mpixx::world();
    const int p = world.size(), me = world.rank();
    if (p < 3) return;
    // ranks 0 and 2 send one int each to rank 1, which sends nothing (its block size comes from its buffer)
    std::vector<int> src, dst;
    if (me == 1) src = {0, 2};
    else if (me == 0 || me == 2) dst = {1};
    auto g = mpixx::dist_graph_create_adjacent(world, src, dst);
    const std::vector<int> send(static_cast<std::size_t>(g.out_degree()), 10 + me);
    std::vector<int> exact(me == 1 ? 2 : 0, -1);
    g.neighbor_alltoall(send, exact);
    if (me == 1) CHECK(exact == std::vector<int>{10, 12});
#if MPIXX_CHECKED
    // Room for two ints per in-neighbour: MPI put the blocks at [0] and [2] ({10, -1, 12, -1}), silently;
    // checked mode compares the block sizes and every rank throws.
    std::vector<int> roomy(me == 1 ? 4 : 0, -1);
    CHECK(error_class_of([&] { g.neighbor_alltoall(send, roomy); }) == MPI_ERR_COUNT);
    CHECK(error_class_of([&] { g.neighbor_allgather(std::vector<int>(me == 0 ? 2 : 1, me), roomy); }) ==
          MPI_ERR_COUNT); // rank 0 sends 2 ints, rank 2 one
#endif
}

TEST_CASE("topology: neighbourhood collectives on a graph that is not symmetric throw MPI_ERR_TOPOLOGY") {
    auto world = mpixx::world();
    const int p = world.size();
    if (p < 2) return; // one node cannot have a one-way edge
    // node 0 lists node 1, which does not list it back: MPI_Neighbor_allgather hung on rank 0
    std::vector<std::vector<int>> adj(static_cast<std::size_t>(p));
    adj[0] = {1};
    auto g = mpixx::graph_create(world, adj);
    std::vector<int> buf(2);
    CHECK(error_class_of([&] { (void)g.neighbor_allgather(world.rank()); }) == MPI_ERR_TOPOLOGY);
    CHECK(error_class_of([&] { g.neighbor_alltoall(buf, buf); }) == MPI_ERR_TOPOLOGY);
    CHECK(error_class_of([&] { auto q = g.ineighbor_alltoall(std::vector<int>(2)); }) == MPI_ERR_TOPOLOGY);
    // both ways (and repeated as often both ways): allowed
    adj[1] = {0};
    auto sym = mpixx::graph_create(world, adj);
    const int me = world.rank();
    const auto got = sym.neighbor_allgather(me);
    if (me == 0) CHECK(got == std::vector<int>{1});
    else if (me == 1) CHECK(got == std::vector<int>{0});
    else CHECK(got.empty());
}

namespace {
/// The error class and text of the mpixx::error that f throws ({MPI_SUCCESS, "no error"} when none).
template <class F>
std::pair<int, std::string> error_of(F&& f) {
    try {
        f();
    } catch (const mpixx::error& e) {
        return {e.error_class(), e.what()};
    }
    return {MPI_SUCCESS, "no error"};
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
} // namespace

TEST_CASE("topology: Cartesian arguments refused on one process are refused on all (no hang)") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        if (p >= 2) {
            // Rank 0 alone asks for a grid of p + 1: it throws its own MPI_ERR_DIMS, the others (who waited in
            // MPI_Cart_create for it) learn it and throw MPI_ERR_ARG naming it.
            const auto [cls, what] = error_of([&] { (void)mpixx::cart_create(world, {me == 0 ? p + 1 : p}); });
            if (me == 0) CHECK(cls == MPI_ERR_DIMS);
            else {
                CHECK(cls == MPI_ERR_ARG);
                CHECK(has(what, "rank 0 passed arguments it refused"));
            }
            // The last rank gives three periodic flags for one dimension (MPI_ERR_ARG), the others are fine.
            const std::vector<bool> three{true, false, true};
            const auto [pcls, pwhat] = error_of([&] {
                if (me == p - 1) (void)mpixx::cart_create(world, {p}, three);
                else (void)mpixx::cart_create(world, {p}, true);
            });
            CHECK(pcls == MPI_ERR_ARG);
            CHECK(has(pwhat, me == p - 1 ? "periodic has 3 entries" : "rank " + std::to_string(p - 1) + " passed"));
            // Rank 0 alone passes partial_grid for a grid of p - 1: valid there, refused (MPI_ERR_DIMS) elsewhere.
            const auto [gcls, gwhat] = error_of([&] {
                if (me == 0) (void)mpixx::cart_create(world, {p - 1}, false, false, mpixx::partial_grid);
                else (void)mpixx::cart_create(world, {p - 1});
            });
            CHECK(gcls == (me == 0 ? MPI_ERR_ARG : MPI_ERR_DIMS));
            if (me == 0) CHECK(has(gwhat, "rank 1 passed arguments it refused"));
        }
        // every process can still make a grid
        auto grid = mpixx::cart_create(world, {p}, true);
        CHECK(grid.coords() == std::vector<int>{me});
        CHECK(grid.neighbors() == std::vector<int>{(me + p - 1) % p, (me + 1) % p});
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: Cartesian arguments that differ between processes throw MPI_ERR_NOT_SAME on all") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        const auto not_same = [&](auto&& make, const char* what) {
            const auto [cls, text] = error_of(make);
            CHECK(cls == MPI_ERR_NOT_SAME);
            CHECK(has(text, what));
        };
        if (p >= 2) {
            // Each valid alone, but MPI requires the same grid everywhere (MPICH built one, each process
            // caching the coordinates of its own dims).
            not_same([&] { (void)mpixx::cart_create(world, me == 0 ? std::vector<int>{p, 1} : std::vector<int>{1, p}); },
                     "different dims");
            not_same([&] { (void)mpixx::cart_create(world, me == p - 1 ? std::vector<int>{p} : std::vector<int>{p, 1}); },
                     "different dims");
            if (p == 4)
                not_same([&] { (void)mpixx::cart_create(world, me == 2 ? std::vector<int>{2, 2} : std::vector<int>{4, 1}); },
                         "rank 0 and rank 2 passed different dims");
            not_same([&] { (void)mpixx::cart_create(world, {p}, me == 0); }, "different periodic");
            not_same([&] { (void)mpixx::cart_create(world, {p, 1}, {true, me == p - 1}); }, "different periodic");
            not_same([&] { (void)mpixx::cart_create(world, {p}, false, me == 1); }, "different reorder");
            not_same([&] { (void)mpixx::cart_create(world, {1}, false, me == 0, mpixx::partial_grid); },
                     "different reorder");
        }
        // One flag for all and one per dimension agree when they say the same.
        auto grid = mpixx::cart_create(world, {p, 1}, me == 0 ? mpixx::detail::bool_args(true)
                                                              : mpixx::detail::bool_args({true, true}));
        CHECK(grid.periodic() == std::vector<bool>{true, true});
        CHECK(grid.coords() == std::vector<int>{me, 0});
        CHECK(grid.shift(0).dest == (me + 1) % p);
        CHECK(grid.allreduce(1, mpixx::sum) == p);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: sub with keep flags refused or differing on one process throws on all (no hang)") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        auto grid = mpixx::cart_create(world, {p, 1});
        if (p >= 2) {
            const auto [cls, what] = error_of([&] { (void)grid.sub(me == 0 ? std::vector<bool>{true} : std::vector<bool>{true, false}); });
            CHECK(cls == (me == 0 ? MPI_ERR_DIMS : MPI_ERR_ARG));
            if (me != 0) CHECK(has(what, "rank 0 passed arguments it refused"));
            // rank 0 keeps nothing (alone on a 0-d grid), the others keep dimension 0 (MPI_Cart_sub)
            const auto [dcls, dwhat] = error_of([&] { (void)grid.sub({me != 0, false}); });
            CHECK(dcls == MPI_ERR_NOT_SAME);
            CHECK(has(dwhat, "different keep"));
        }
        auto row = grid.sub({true, false});
        CHECK(row.size() == p);
        CHECK(row.coords() == std::vector<int>{me});
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: graph arguments refused or differing on one process throw on all (no hang)") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        // a ring (each node lists both sides: symmetric), and the same ring with node 0's edges doubled
        std::vector<std::vector<int>> ring(static_cast<std::size_t>(p));
        for (int i = 0; i < p; ++i) ring[static_cast<std::size_t>(i)] = {(i + p - 1) % p, (i + 1) % p};
        auto doubled = ring;
        doubled[0].push_back(1 % p);
        doubled[1 % p].push_back(0);
        if (p >= 2) {
            // rank 0 names a node that does not exist: its own MPI_ERR_RANK, MPI_ERR_ARG elsewhere
            const auto [cls, what] = error_of([&] {
                if (me == 0) (void)mpixx::graph_create(world, {1}, {p});
                else (void)mpixx::graph_create(world, ring);
            });
            CHECK(cls == (me == 0 ? MPI_ERR_RANK : MPI_ERR_ARG));
            if (me != 0) CHECK(has(what, "rank 0 passed arguments it refused"));
            // one process with other (valid) edges, or fewer nodes: MPI_ERR_NOT_SAME everywhere
            const auto [ecls, ewhat] = error_of([&] { (void)mpixx::graph_create(world, me == p - 1 ? doubled : ring); });
            CHECK(ecls == MPI_ERR_NOT_SAME);
            CHECK(has(ewhat, "different graph"));
            const auto [ncls, nwhat] = error_of([&] {
                (void)mpixx::graph_create(world, std::vector<int>(static_cast<std::size_t>(me == 0 ? p - 1 : p), 0),
                                          std::vector<int>{});
            });
            CHECK(ncls == MPI_ERR_NOT_SAME);
            const auto [rcls, rwhat] = error_of([&] { (void)mpixx::graph_create(world, ring, me == 1); });
            CHECK(rcls == MPI_ERR_NOT_SAME);
            CHECK(has(rwhat, "different reorder"));
        }
        auto g = mpixx::graph_create(world, ring);
        CHECK(g.neighbors() == ring[static_cast<std::size_t>(me)]);
        CHECK(g.neighbor_allgather(me) == ring[static_cast<std::size_t>(me)]);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("topology: a distributed graph with reorder differing between processes throws MPI_ERR_NOT_SAME") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        const std::vector<int> src{(me + p - 1) % p}, dst{(me + 1) % p};
        if (p >= 2) {
            const auto [cls, what] = error_of([&] { (void)mpixx::dist_graph_create_adjacent(world, src, dst, me == p - 1); });
            CHECK(cls == MPI_ERR_NOT_SAME);
            CHECK(has(what, "rank " + std::to_string(p - 1) + " passed reorder = true but rank 0 false"));
        }
        auto g = mpixx::dist_graph_create_adjacent(world, src, dst, true);
        CHECK(g.neighbor_allgather(g.rank()).size() == 1);
    }
    CHECK(handle_counts::now() == before);
}

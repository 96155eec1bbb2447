// Tests of mpixx/group.hpp and the group members of communicator.hpp (group, create, create_group):
// incl/excl/range_incl/range_excl, union (|), intersection (&), difference (-), translate_ranks,
// compare, communicators from groups at 1-4 ranks, bad input, and PMPI counts proving that every group
// and communicator is freed.
#include "mpixx_test.hpp"

#include "error_class.hpp"
#include "pmpi_handle_counts.hpp"

#include <mpixx/communicator.hpp>

#include <climits>
#include <vector>

using mpixx_test::error_class_of;

TEST_CASE("group: the communicator's group, subsets and set operations") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        auto g = world.group();
        CHECK(handle_counts::now().groups == before.groups + 1); // the counting sees mpixx's groups
        CHECK(g.size() == p);
        CHECK(g.rank() == me);
        CHECK(g.contains_self());
        CHECK(g.compare(world.group()) == mpixx::comparison::identical);
        auto copy = g; // shares the handle
        CHECK(copy.native() == g.native());

        std::vector<int> reversed;
        for (int r = p - 1; r >= 0; --r) reversed.push_back(r);
        auto rev = g.incl(reversed);
        CHECK(rev.size() == p);
        CHECK(rev.rank() == p - 1 - me);
        CHECK(rev.compare(g) == (p == 1 ? mpixx::comparison::identical : mpixx::comparison::similar));

        auto but_first = g.excl({0});
        CHECK(but_first.size() == p - 1);
        CHECK(but_first.rank() == (me == 0 ? mpixx::undefined : me - 1));
        CHECK(but_first.contains_self() == (me != 0));

        auto evens = g.range_incl({{0, p - 1, 2}});
        auto odds = g.range_excl({{0, p - 1, 2}});
        CHECK(evens.size() == (p + 1) / 2);
        CHECK(odds.size() == p / 2);
        CHECK(evens.rank() == (me % 2 == 0 ? me / 2 : mpixx::undefined));
        CHECK(odds.rank() == (me % 2 == 1 ? me / 2 : mpixx::undefined));
        auto down = g.range_incl({{p - 1, 0, -1}});
        CHECK(down.compare(rev) == mpixx::comparison::identical);

        CHECK((evens | odds).size() == p);
        CHECK((evens | odds).compare(g) == (p <= 2 ? mpixx::comparison::identical : mpixx::comparison::similar));
        CHECK((evens & odds).size() == 0);
        CHECK((g & evens).compare(evens) == mpixx::comparison::identical);
        CHECK((g - evens).compare(odds) == mpixx::comparison::identical);
        CHECK((g - g).size() == 0);

        // evens' ranks are world ranks 0, 2, 4, ...; an odd world rank is not in evens
        std::vector<int> er;
        for (int i = 0; i < evens.size(); ++i) er.push_back(i);
        std::vector<int> expect;
        for (int i = 0; i < evens.size(); ++i) expect.push_back(2 * i);
        CHECK(evens.translate_ranks(er, g) == expect);
        if (p > 1) CHECK(g.translate_rank(1, evens) == mpixx::undefined);
        CHECK(g.translate_ranks({mpixx::proc_null}, evens) == std::vector<int>{mpixx::proc_null});

        mpixx::group empty;
        CHECK(empty.size() == 0);
        CHECK(empty.rank() == mpixx::undefined);
        CHECK((empty | evens).compare(evens) == mpixx::comparison::identical);
        CHECK(g.incl(std::vector<int>{}).size() == 0);
        CHECK(g.range_incl(std::vector<mpixx::rank_range>{}).size() == 0);
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("group: communicators from groups (create, create_group)") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size(), me = world.rank();
        auto g = world.group();
        auto evens = g.range_incl({{0, p - 1, 2}});
        auto ec = world.create(evens); // collective over world
        CHECK(ec.is_null() == (me % 2 == 1));
        if (!ec.is_null()) {
            CHECK(ec.size() == (p + 1) / 2);
            CHECK(ec.rank() == me / 2);
            CHECK(ec.allreduce(me, mpixx::sum) == [&] { int s = 0; for (int r = 0; r < p; r += 2) s += r; return s; }());
            CHECK(ec.group().compare(evens) == mpixx::comparison::identical);
        }
        // only the odd processes take part
        auto odds = g - evens;
        if (odds.contains_self()) {
            auto oc = world.create_group(odds, 5);
            CHECK(oc.size() == p / 2);
            CHECK(oc.rank() == me / 2);
            CHECK(oc.allreduce(1, mpixx::sum) == p / 2);
        } else {
            CHECK(error_class_of([&] { (void)world.create_group(odds, 5); }) == MPI_ERR_GROUP);
        }
        // a reordered group gives a reordered communicator
        std::vector<int> reversed;
        for (int r = p - 1; r >= 0; --r) reversed.push_back(r);
        auto rc = world.create_group(g.incl(reversed));
        CHECK(rc.rank() == p - 1 - me);
        CHECK(error_class_of([&] { (void)world.create_group(g, -1); }) == MPI_ERR_TAG);
        // a group with processes outside the communicator
        auto half = world.split(me % 2, me);
        if (p > 1) CHECK(error_class_of([&] { (void)half.create(g); }) == MPI_ERR_GROUP);
        CHECK(half.create(half.group()).size() == half.size());
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("group: bad ranks are refused before MPI sees them") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size();
        auto g = world.group();
        CHECK(error_class_of([&] { (void)g.incl({p}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)g.incl({-1}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)g.incl({0, 0}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)g.excl({p}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)g.excl({0, 0}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)g.range_incl({{0, p - 1, 0}}); }) == MPI_ERR_ARG);
        CHECK(error_class_of([&] { (void)g.range_incl({{0, p, 1}}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)g.range_excl({{-1, 0, 1}}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)g.range_incl({{0, p - 1, 1}, {0, 0, 1}}); }) == MPI_ERR_RANK); // overlap
        CHECK(error_class_of([&] { (void)g.translate_ranks({p}, g); }) == MPI_ERR_RANK);
        // a triplet whose computed last rank is out of range (its bound may be out: only reached ranks count)
        CHECK(error_class_of([&] { (void)g.range_incl({{0, p + 1, 1}}); }) == MPI_ERR_RANK);
        CHECK(error_class_of([&] { (void)g.range_incl({{p - 1, -5, -1}}); }) == MPI_ERR_RANK);
        try {
            (void)g.incl({0, 0});
        } catch (const mpixx::error& e) {
            CHECK(e.routine() == "mpixx::group::incl");
            CHECK(std::string(e.what()).find("more than once") != std::string::npos);
        }
    }
    CHECK(handle_counts::now() == before);
}

TEST_CASE("group: range triplets follow MPI's definition (empty when first is past last; bound not reached)") {
    const auto before = handle_counts::now();
    {
        auto world = mpixx::world();
        const int p = world.size();
        auto g = world.group();
        // MPI-4.1 7.3.2: first > last with a positive stride names no rank (MPICH refused it: MPI_ERR_ARG).
        CHECK(g.range_incl({{p - 1, 0, 1}}).size() == (p == 1 ? 1 : 0));
        CHECK(g.range_excl({{p - 1, 0, 1}}).size() == (p == 1 ? 0 : p));
        CHECK(g.range_incl({{0, p - 1, -1}}).size() == (p == 1 ? 1 : 0));
        CHECK(g.range_incl({{p, 0, 1}, {0, p - 1, 1}}).size() == p); // an empty triplet's first is not a rank
        // the bound need not be a rank: only the ranks reached are (0, then 0 + 1000 is past it)
        auto first_only = g.range_incl({{0, 999, 1000}});
        CHECK(first_only.size() == 1);
        CHECK(first_only.translate_rank(0, g) == 0);
        // huge strides and bounds: no overflow, one rank each
        CHECK(g.range_incl({{0, p - 1, INT_MAX}}).size() == 1);
        CHECK(g.range_incl({{p - 1, -1, INT_MIN}}).size() == 1);
        CHECK(g.range_excl({{p - 1, -1, INT_MIN}}).size() == p - 1);
        // floor((INT_MIN - (p - 1)) / INT_MIN) = 1: the second rank, p - 1 + INT_MIN, is reached and invalid
        CHECK(error_class_of([&] { (void)g.range_incl({{p - 1, INT_MIN, INT_MIN}}); }) == MPI_ERR_RANK);
        // a descending triplet whose bound is not reached exactly
        auto down = g.range_incl({{p - 1, 0, -2}});
        CHECK(down.size() == (p + 1) / 2);
        CHECK(down.translate_rank(0, g) == p - 1);
    }
    CHECK(handle_counts::now() == before);
}

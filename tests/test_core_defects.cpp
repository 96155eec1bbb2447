// Regression tests for the core defects of issue 9 that live in comm_base, communicator and datatype:
// intercommunicators (peers in the remote group, create_intercomm, merge, roots), MPI_ERR_ROOT for bad
// roots, and no handle leaked when building a datatype or a communicator throws (PMPI fault injection).
#include "mpixx_test.hpp"

#include "error_class.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/object_messaging.hpp>
#include <mpixx/print.hpp>
#include <mpixx/task_farm.hpp>

#include <string>
#include <vector>

using mpixx_test::error_class_of;

// ---- PMPI interposition: count live datatypes and communicators, inject failures on demand ----------
namespace {
int live_types = 0;
int live_comms = 0;
bool fail_commit = false;
bool fail_test_inter = false;
} // namespace

extern "C" {
int MPI_Type_create_struct(int n, const int* lens, const MPI_Aint* displs, const MPI_Datatype* types,
                           MPI_Datatype* out) {
    const int rc = PMPI_Type_create_struct(n, lens, displs, types, out);
    if (rc == MPI_SUCCESS) ++live_types;
    return rc;
}
int MPI_Type_create_resized(MPI_Datatype t, MPI_Aint lb, MPI_Aint extent, MPI_Datatype* out) {
    const int rc = PMPI_Type_create_resized(t, lb, extent, out);
    if (rc == MPI_SUCCESS) ++live_types;
    return rc;
}
int MPI_Type_commit(MPI_Datatype* t) {
    if (fail_commit) return MPI_ERR_TYPE;
    return PMPI_Type_commit(t);
}
int MPI_Type_free(MPI_Datatype* t) {
    const int rc = PMPI_Type_free(t);
    if (rc == MPI_SUCCESS) --live_types;
    return rc;
}
int MPI_Comm_dup(MPI_Comm comm, MPI_Comm* out) {
    const int rc = PMPI_Comm_dup(comm, out);
    if (rc == MPI_SUCCESS) ++live_comms;
    return rc;
}
int MPI_Comm_free(MPI_Comm* comm) {
    const int rc = PMPI_Comm_free(comm);
    if (rc == MPI_SUCCESS) --live_comms;
    return rc;
}
int MPI_Comm_test_inter(MPI_Comm comm, int* flag) {
    if (fail_test_inter) return MPI_ERR_COMM;
    return PMPI_Comm_test_inter(comm, flag);
}
}

namespace {
struct point {
    int id;
    double x;
};

/// World split by rank parity and joined again as an intercommunicator (needs 2+ ranks).
mpixx::communicator parity_intercomm(const mpixx::communicator& world) {
    const int color = world.rank() % 2;
    auto local = world.split(color, world.rank());
    return local.create_intercomm(0, world, color == 0 ? 1 : 0, 77);
}
} // namespace

TEST_CASE("core: a datatype whose commit fails is freed, and the next use builds it anew") {
    const int before = live_types;
    fail_commit = true;
    CHECK(error_class_of([] { (void)mpixx::datatype<point>(); }) == MPI_ERR_TYPE);
    fail_commit = false;
    CHECK(live_types == before); // the struct and its resized type were both freed
    const MPI_Datatype t = mpixx::datatype<point>();
    CHECK(t != MPI_DATATYPE_NULL);
    CHECK(mpixx::datatype<point>() == t); // now cached
    CHECK(live_types == before + 1);      // the committed one, freed at MPI_Finalize
}

TEST_CASE("core: a communicator whose set-up throws is freed") {
    auto world = mpixx::world();
    const int before = live_comms;
    fail_test_inter = true;
    CHECK(error_class_of([&] { (void)world.dup(); }) == MPI_ERR_COMM);
    fail_test_inter = false;
    CHECK(live_comms == before);
    {
        auto d = world.dup();
        CHECK(live_comms == before + (mpixx::detail::checked_p2p ? 2 : 1)); // checked: + its signature duplicate
    }
    CHECK(live_comms == before);
}

TEST_CASE("core: a bad root raises MPI_ERR_ROOT and says root") {
    auto world = mpixx::world();
    int x = 1;
    for (int bad : {world.size(), -5}) {
        try {
            world.bcast(x, bad);
            FAIL("no error for root " << bad);
        } catch (const mpixx::error& e) {
            CHECK(e.error_class() == MPI_ERR_ROOT);
            CHECK(std::string(e.what()).find("root") != std::string::npos);
        }
    }
    // Point-to-point keeps MPI_ERR_RANK for a bad peer.
    CHECK(error_class_of([&] { world.send(x, world.size()); }) == MPI_ERR_RANK);
}

TEST_CASE("core: an intracommunicator is not an intercommunicator") {
    auto world = mpixx::world();
    CHECK_FALSE(world.is_inter());
    CHECK(world.remote_size() == world.size());
    CHECK(error_class_of([&] { (void)world.merge(); }) == MPI_ERR_COMM);
}

TEST_CASE("core: intercommunicator point-to-point addresses the remote group") {
    auto world = mpixx::world();
    if (world.size() < 2) return;
    auto inter = parity_intercomm(world);
    const int color = world.rank() % 2;
    const int evens = (world.size() + 1) / 2, odds = world.size() / 2;
    REQUIRE(inter.is_inter());
    CHECK(inter.size() == (color == 0 ? evens : odds));
    CHECK(inter.remote_size() == (color == 0 ? odds : evens));
    CHECK(inter.rank() == world.rank() / 2);

    // Local rank 0 of each group sends its world rank to every remote rank: at 3 ranks the odd group has
    // one process and the even group two, so remote rank 1 is valid only through the remote size.
    if (inter.rank() == 0)
        for (int r = 0; r < inter.remote_size(); ++r) inter.send(world.rank(), r, 5);
    const int got = inter.recv<int>(0, 5);
    CHECK(got == (color == 0 ? 1 : 0)); // the remote leader's world rank

    // Ranks are checked against the remote group.
    CHECK(error_class_of([&] { inter.send(1, inter.remote_size(), 5); }) == MPI_ERR_RANK);
    // Objects travel too.
    if (inter.rank() == 0) inter.send(std::vector<std::string>{"from", std::to_string(color)}, 0, 6);
    if (inter.rank() == 0) {
        auto v = inter.recv<std::vector<std::string>>(0, 6);
        CHECK(v == std::vector<std::string>{"from", std::to_string(1 - color)});
    }
}

TEST_CASE("core: intercommunicator merge orders the low group first") {
    auto world = mpixx::world();
    if (world.size() < 2) return;
    auto inter = parity_intercomm(world);
    const int color = world.rank() % 2;
    auto merged = inter.merge(color == 1);
    CHECK_FALSE(merged.is_inter());
    CHECK(merged.size() == world.size());
    const int evens = (world.size() + 1) / 2;
    CHECK(merged.rank() == (color == 0 ? world.rank() / 2 : evens + world.rank() / 2));
    CHECK(merged.allreduce(world.rank(), mpixx::sum) == world.size() * (world.size() - 1) / 2);
}

TEST_CASE("core: intercommunicator roots: mpixx::intercomm_root, proc_null or a remote rank") {
    auto world = mpixx::world();
    if (world.size() < 2) return;
    auto inter = parity_intercomm(world);
    const int color = world.rank() % 2;
    // The even group's rank 0 broadcasts to the odd group.
    int v = color == 0 ? 42 : 0;
    const int root = color == 0 ? (inter.rank() == 0 ? mpixx::intercomm_root : mpixx::proc_null) : 0;
    inter.bcast(v, root);
    CHECK(v == 42);
    // A root outside the remote group is refused with MPI_ERR_ROOT.
    CHECK(error_class_of([&] { inter.bcast(v, inter.remote_size()); }) == MPI_ERR_ROOT);
}

TEST_CASE("core: wrap and adopt of an intercommunicator") {
    auto world = mpixx::world();
    if (world.size() < 2) return;
    auto inter = parity_intercomm(world);
    MPI_Comm raw = MPI_COMM_NULL;
    MPI_Comm_dup(inter.native(), &raw);
    auto adopted = mpixx::communicator::adopt(raw);
    CHECK(adopted.is_inter());
    CHECK(adopted.remote_size() == inter.remote_size());
    auto wrapped = mpixx::communicator::wrap(inter.native());
    CHECK(wrapped.is_inter());
}

TEST_CASE("core: print_ordered and task_farm refuse an intercommunicator") {
    auto world = mpixx::world();
    if (world.size() < 2) return;
    auto inter = parity_intercomm(world);
    CHECK(error_class_of([&] { mpixx::print_ordered(inter, "never printed"); }) == MPI_ERR_COMM);
    const std::vector<int> tasks{1, 2, 3};
    CHECK(error_class_of([&] { (void)mpixx::task_farm(inter, tasks, [](int t) { return t; }); }) == MPI_ERR_COMM);
}

// Tests of mpixx/info.hpp: construction from pairs, set/get/erase/keys/size, value semantics (copies
// share a handle until one is modified: copy on write), adopt, bad keys and values, and use by
// communicator::dup / split_shared and file open. PMPI counts prove every MPI_Info is freed.
#include "mpixx_test.hpp"

#include "error_class.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/info.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using mpixx::info;
using mpixx_test::error_class_of;

// ---- PMPI interposition: live infos ------------------------------------------------------------------
namespace {
int live_infos = 0, infos_made = 0;
int made(int rc) {
    if (rc == MPI_SUCCESS) ++live_infos, ++infos_made;
    return rc;
}
} // namespace

extern "C" {
int MPI_Info_create(MPI_Info* i) { return made(PMPI_Info_create(i)); }
int MPI_Info_dup(MPI_Info i, MPI_Info* o) { return made(PMPI_Info_dup(i, o)); }
int MPI_Info_free(MPI_Info* i) {
    const int rc = PMPI_Info_free(i);
    if (rc == MPI_SUCCESS) --live_infos;
    return rc;
}
int MPI_Comm_get_info(MPI_Comm c, MPI_Info* o) { return made(PMPI_Comm_get_info(c, o)); }
}

TEST_CASE("info: empty, set, get, size, keys, erase") {
    const int before = live_infos;
    {
        info empty;
        CHECK(empty.native() == MPI_INFO_NULL);
        CHECK(empty.size() == 0);
        CHECK(empty.empty());
        CHECK_FALSE(empty.get("cb_nodes").has_value());
        CHECK(empty.keys().empty());
        CHECK(live_infos == before); // a default info creates nothing

        info i{{"cb_nodes", "2"}, {"striping_unit", "1048576"}};
        CHECK(i.native() != MPI_INFO_NULL);
        CHECK(i.size() == 2);
        CHECK(i.get("cb_nodes") == std::string("2"));
        CHECK(i.get("striping_unit") == std::string("1048576"));
        CHECK_FALSE(i.get("nope").has_value());
        auto keys = i.keys();
        std::sort(keys.begin(), keys.end());
        CHECK(keys == std::vector<std::string>{"cb_nodes", "striping_unit"});
        i.set("cb_nodes", "4").set("x", "y");
        CHECK(i.get("cb_nodes") == std::string("4"));
        CHECK(i.get("x") == std::string("y"));
        CHECK(i.contains("x"));
        CHECK(i.erase("cb_nodes"));
        CHECK_FALSE(i.erase("cb_nodes"));
        CHECK_FALSE(i.contains("cb_nodes"));
        CHECK(i.size() == 2);
        const std::string long_value(static_cast<std::size_t>(MPI_MAX_INFO_VAL) - 1, 'v');
        i.set(std::string(static_cast<std::size_t>(MPI_MAX_INFO_KEY) - 1, 'k'), "longest key");
        i.set("long", long_value);
        CHECK(i.get("long") == long_value);
        CHECK(i.size() == 4);
        CHECK(live_infos == before + 1);
    }
    CHECK(live_infos == before);
}

TEST_CASE("info: copies share a handle until one is modified (copy on write)") {
    const int before = live_infos;
    {
        info a{{"k", "1"}};
        info b = a;
        CHECK(a == b);
        CHECK(live_infos == before + 1);
        b.set("k", "2"); // b gets its own handle; a is unchanged
        CHECK_FALSE(a == b);
        CHECK(live_infos == before + 2);
        CHECK(a.get("k") == std::string("1"));
        CHECK(b.get("k") == std::string("2"));
        info c = std::move(a);
        CHECK(a.native() == MPI_INFO_NULL);
        CHECK(c.get("k") == std::string("1"));
        a = c;
        CHECK(a.erase("k")); // copy on write again
        CHECK(c.contains("k"));
        CHECK(live_infos == before + 3);
        MPI_Info raw = MPI_INFO_NULL;
        MPI_Info_create(&raw);
        MPI_Info_set(raw, "x", "y");
        info adopted = info::adopt(raw); // freed with the last copy
        CHECK(adopted.get("x") == std::string("y"));
        CHECK(info::adopt(MPI_INFO_NULL).native() == MPI_INFO_NULL);
    }
    CHECK(live_infos == before);
}

TEST_CASE("info: bad keys and values are refused before MPI sees them") {
    const int before = live_infos;
    {
        info i;
        CHECK(error_class_of([&] { i.set("", "v"); }) == MPI_ERR_INFO_KEY);
        const std::string long_key(static_cast<std::size_t>(MPI_MAX_INFO_KEY), 'k');
        CHECK(error_class_of([&] { i.set(long_key, "v"); }) == MPI_ERR_INFO_KEY);
        CHECK(error_class_of([&] { (void)i.get(long_key); }) == MPI_ERR_INFO_KEY);
        CHECK(error_class_of([&] { i.set("key", ""); }) == MPI_ERR_INFO_VALUE);
        const std::string long_value(static_cast<std::size_t>(MPI_MAX_INFO_VAL), 'v');
        try {
            i.set("key", long_value);
            FAIL("no error");
        } catch (const mpixx::error& e) {
            CHECK(e.error_class() == MPI_ERR_INFO_VALUE);
            CHECK(e.routine() == "mpixx::info::set");
            CHECK(std::string(e.what()).find("\"key\"") != std::string::npos);
        }
        CHECK(i.native() == MPI_INFO_NULL); // nothing was created
        CHECK(error_class_of([] { info bad{{"ok", "1"}, {"", "2"}}; }) == MPI_ERR_INFO_KEY);
        // MPI takes C strings: a NUL inside would silently cut the key or value short
        using namespace std::string_view_literals;
        CHECK(error_class_of([&] { i.set("ab\0cd"sv, "v"); }) == MPI_ERR_INFO_KEY);
        CHECK(error_class_of([&] { (void)i.get("ab\0cd"sv); }) == MPI_ERR_INFO_KEY);
        CHECK(error_class_of([&] { i.set("key", "ab\0cd"sv); }) == MPI_ERR_INFO_VALUE);
        CHECK(i.native() == MPI_INFO_NULL);
        i.set("ab", "1");
        CHECK(error_class_of([&] { (void)i.erase("ab\0cd"sv); }) == MPI_ERR_INFO_KEY);
        CHECK(i.get("ab") == std::string("1")); // not erased through the cut key
    }
    CHECK(live_infos == before); // the half-built info of the throwing constructor was freed
}

TEST_CASE("info: communicator dup and split_shared take hints") {
    const int before = live_infos;
    auto world = mpixx::world();
    {
        const info hints{{"mpi_assert_no_any_tag", "true"}};
        auto d = world.dup(hints);
        CHECK(d.size() == world.size());
        CHECK(d.compare(world) == mpixx::comparison::congruent);
        // The duplicate works as any communicator.
        int sum = 0, one = 1;
        MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, d.native());
        CHECK(sum == world.size());
        MPI_Info used = MPI_INFO_NULL;
        MPI_Comm_get_info(d.native(), &used);
        info adopted = info::adopt(used);
        (void)adopted.keys();
        auto node = world.split_shared(world.rank(), info{{"mpixx_unused_hint", "1"}});
        CHECK(node.size() >= 1);
        CHECK(node.size() <= world.size());
        auto plain = world.dup(info{});
        CHECK(plain.compare(world) == mpixx::comparison::congruent);
    }
    CHECK(live_infos == before);
}

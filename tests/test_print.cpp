// Tests of mpixx/print.hpp and mpixx/format.hpp: the rank-prefixed one-write print, the collective
// print_ordered (rank 0 prints every rank's lines in rank order, on a private duplicate so that it
// neither steals nor is stolen by user messages) and the fmt formatters of mpixx's types.
// Output is checked by pointing this process's stdout (fd 1) at a temporary file for the duration.
#include "mpixx_test.hpp"
#include "error_class.hpp"
#include "fd_capture.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/format.hpp>
#include <mpixx/print.hpp>

#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

using mpixx_test::fd_capture;

int world_rank() {
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

using mpixx_test::error_class_of;

} // namespace

TEST_CASE("print: one '[Rank r] ' line with the world rank, in order with earlier stdio output") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int r = world_rank();
    fd_capture cap;
    std::printf("before\n"); // buffered by stdio: print must flush it first
    mpixx::print("Starting computation");
    mpixx::print("x = {}, y = {:.2f}, s = {}", 42, 2.5, std::string("abc"));
    mpixx::print("two\nlines");
    mpixx::print("{}", comm);
    const std::string p = "[Rank " + std::to_string(r) + "] ";
    CHECK(cap.text() == "before\n" + p + "Starting computation\n" + p + "x = 42, y = 2.50, s = abc\n" + p + "two\n" +
                            p + "lines\n" + p + "communicator(rank " + std::to_string(comm.rank()) + " of " +
                            std::to_string(comm.size()) + ")\n");
}

TEST_CASE("print: the communicator overload prefixes the rank in that communicator") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    auto reversed = comm.split(0, -comm.rank()); // rank order reversed
    REQUIRE(reversed.rank() == comm.size() - 1 - comm.rank());
    fd_capture cap;
    mpixx::print(reversed, "value {}", comm.rank() * 10);
    CHECK(cap.text() == "[Rank " + std::to_string(reversed.rank()) + "] value " + std::to_string(comm.rank() * 10) +
                            "\n");
    CHECK(error_class_of([] { mpixx::print(mpixx::communicator(), "x"); }) == MPI_ERR_COMM);
}

TEST_CASE("print: a line longer than any stdio or pipe buffer arrives whole") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const std::string big(200000, 'z');
    fd_capture cap;
    mpixx::print("{}|end", big);
    CHECK(cap.text() == "[Rank " + std::to_string(world_rank()) + "] " + big + "|end\n");
}

TEST_CASE("print_ordered: rank 0 prints every rank's line in rank order, the others print nothing") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int r = comm.rank(), n = comm.size();
    std::string expected, expected_prefixed;
    for (int i = 0; i < n; ++i) {
        expected += "Rank " + std::to_string(i) + " has: " + std::to_string(i * i) + "\n";
        expected_prefixed += "[Rank " + std::to_string(i) + "] a\n[Rank " + std::to_string(i) + "] b" +
                             std::string(static_cast<std::size_t>(i), '!') + "\n";
    }
    fd_capture cap;
    mpixx::print_ordered(comm, "Rank {} has: {}", r, r * r);
    // multi-line text: every line prefixed; a trailing newline is not doubled
    mpixx::print_ordered_prefixed(comm, "a\nb{}\n", std::string(static_cast<std::size_t>(r), '!'));
    mpixx::print_ordered(comm, "{}", r % 2 ? "" : "even"); // an empty text is an empty line
    std::string expected_last;
    for (int i = 0; i < n; ++i) expected_last += i % 2 ? "\n" : "even\n";
    const std::string out = cap.text();
    if (r == 0)
        CHECK(out == expected + expected_prefixed + expected_last);
    else
        CHECK(out.empty());
}

TEST_CASE("print_ordered: on a split communicator, in that communicator's rank order") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    auto reversed = comm.split(0, -comm.rank());
    fd_capture cap;
    mpixx::print_ordered(reversed, "world rank {}", comm.rank());
    const std::string out = cap.text();
    std::string expected;
    for (int i = comm.size() - 1; i >= 0; --i) expected += "world rank " + std::to_string(i) + "\n";
    if (reversed.rank() == 0)
        CHECK(out == expected);
    else
        CHECK(out.empty());
}

TEST_CASE("print_ordered: neither steals nor is stolen by the user's messages") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    if (comm.size() < 2) {
        WARN("needs 2 ranks: nothing to steal at 1 rank");
        return;
    }
    const int r = comm.rank();
    // rank 0 has a wildcard receive pending, and rank 1 a message with print_ordered's own tag 0 in
    // flight, while print_ordered runs: both must reach the user, not print_ordered.
    int wild = -1;
    MPI_Request req = MPI_REQUEST_NULL;
    if (r == 0) REQUIRE(MPI_Irecv(&wild, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, comm.native(), &req) == MPI_SUCCESS);
    const int first = 555, second = 777;
    if (r == 1) REQUIRE(MPI_Send(&first, 1, MPI_INT, 0, 0, comm.native()) == MPI_SUCCESS);
    fd_capture cap;
    mpixx::print_ordered(comm, "line {}", r);
    mpixx::print_ordered(comm, "again {}", r); // the cached duplicate is reused
    const std::string out = cap.text();
    if (r == 1) REQUIRE(MPI_Send(&second, 1, MPI_INT, 0, 3, comm.native()) == MPI_SUCCESS);
    if (r == 0) {
        MPI_Status st;
        REQUIRE(MPI_Wait(&req, &st) == MPI_SUCCESS);
        // the wildcard took rank 1's first message (555, tag 0); 777 is still there
        CHECK(wild == 555);
        CHECK(st.MPI_SOURCE == 1);
        CHECK(st.MPI_TAG == 0);
        int late = 0;
        REQUIRE(MPI_Recv(&late, 1, MPI_INT, 1, 3, comm.native(), MPI_STATUS_IGNORE) == MPI_SUCCESS);
        CHECK(late == 777);
        std::string expected;
        for (int i = 0; i < comm.size(); ++i) expected += "line " + std::to_string(i) + "\n";
        for (int i = 0; i < comm.size(); ++i) expected += "again " + std::to_string(i) + "\n";
        CHECK(out == expected);
    }
}

TEST_CASE("print_ordered: the private duplicate is cached per communicator and freed with it") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const MPI_Comm a = mpixx::detail::private_comm::get(comm.native());
    CHECK(a != comm.native());
    CHECK(mpixx::detail::private_comm::get(comm.native()) == a); // cached
    int result = MPI_UNEQUAL;
    MPI_Comm_compare(a, comm.native(), &result);
    CHECK(result == MPI_CONGRUENT);
    {
        auto d = comm.dup(); // a dup does not inherit the attribute: it gets its own
        const MPI_Comm b = mpixx::detail::private_comm::get(d.native());
        CHECK(b != a);
        fd_capture cap;
        mpixx::print_ordered(d, "{}", d.rank());
        const std::string out = cap.text();
        std::string expected;
        for (int i = 0; i < d.size(); ++i) expected += std::to_string(i) + "\n";
        CHECK(out == (d.rank() == 0 ? expected : std::string()));
    } // d freed: its private duplicate goes with it (MPI_Comm_free in the attribute's delete callback)
    // many communicators created and freed: no handle exhaustion
    for (int i = 0; i < 10; ++i) {
        auto d = comm.dup();
        fd_capture cap;
        mpixx::print_ordered(d, "{}", i);
        (void)cap.text();
    }
    CHECK(error_class_of([] { mpixx::print_ordered(mpixx::communicator(), "x"); }) == MPI_ERR_COMM);
    CHECK(error_class_of([] { mpixx::print_ordered_prefixed(mpixx::communicator(), "x"); }) == MPI_ERR_COMM);
}

TEST_CASE("format: status, communicator, error, comparison and thread_level") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int r = comm.rank();

    // a status from a real message (to self), a default one and one from proc_null
    std::vector<int> four{1, 2, 3, 4}, got(4);
    const mpixx::status st = comm.sendrecv(four, r, 13, got, r, 13);
    CHECK(fmt::format("{}", st) == "status(source=" + std::to_string(r) + ", tag=13, bytes=16)");
    CHECK(fmt::format("{}", mpixx::status()) == "status(source=any_source, tag=any_tag, bytes=0)");
    int dummy = 0;
    const mpixx::status null_st = comm.recv(dummy, mpixx::proc_null, 5);
    CHECK(fmt::format("{}", null_st) == "status(source=proc_null, tag=any_tag, bytes=0)");

    // communicators
    const std::string me = "communicator(rank " + std::to_string(r) + " of " + std::to_string(comm.size()) + ")";
    CHECK(fmt::format("{}", comm) == me);
    CHECK(fmt::format("{}", mpixx::self()) == "communicator(rank 0 of 1)");
    CHECK(fmt::format("{}", mpixx::communicator()) == "communicator(null)");
    CHECK(fmt::format("{}", comm.split(mpixx::undefined)) == "communicator(null)");
    // a string spec applies to the whole text
    CHECK(fmt::format("[{:>20}]", mpixx::communicator()) == "[  communicator(null)]");
    CHECK(fmt::format("[{:-<12}]", mpixx::thread_level::single) == "[single------]");
    CHECK(fmt::format("[{:^9.3}]", mpixx::comparison::similar) == "[   sim   ]");
    CHECK_THROWS_AS(fmt::format(fmt::runtime("{:d}"), comm), std::runtime_error); // fmt::format_error: not a string spec

    // an error: its what()
    try {
        (void)comm.probe(comm.size() + 5, 0);
        FAIL("no exception");
    } catch (const mpixx::error& e) {
        CHECK(fmt::format("{}", e) == e.what());
        CHECK(fmt::format("error: {}", e).find("MPI_ERR_RANK") != std::string::npos);
    }

    // comparisons, from real communicators
    CHECK(fmt::format("{}", comm.compare(comm)) == "identical");
    CHECK(fmt::format("{}", comm.compare(mpixx::world())) == "congruent");
    CHECK(fmt::format("{}", comm.split(0, -r).compare(comm)) == (comm.size() > 1 ? "similar" : "congruent"));
    CHECK(fmt::format("{}", mpixx::comparison::unequal) == "unequal");
    CHECK(fmt::format("{}", static_cast<mpixx::comparison>(12345)) == "unknown");
    if (comm.size() > 1) CHECK(fmt::format("{}", comm.compare(mpixx::self())) == "unequal");

    // thread levels
    CHECK(fmt::format("{} {} {} {}", mpixx::thread_level::single, mpixx::thread_level::funneled,
                      mpixx::thread_level::serialized, mpixx::thread_level::multiple) ==
          "single funneled serialized multiple");
    int provided = 0;
    MPI_Query_thread(&provided);
    CHECK(fmt::format("{}", static_cast<mpixx::thread_level>(provided)) ==
          mpixx::to_string(static_cast<mpixx::thread_level>(provided)));
    static_assert(mpixx::to_string(mpixx::thread_level::multiple) == "multiple");

    // mpi4py's tuples for the version and the vendor
    CHECK(fmt::format("{}", mpixx::mpi_version_t{4, 1}) == "(4, 1)");
    CHECK(fmt::format("{}", mpixx::vendor_t{"MPICH", 4, 0, 2}) == "('MPICH', (4, 0, 2))");
    CHECK(fmt::format("[{:>8}]", mpixx::mpi_version_t{3, 1}) == "[  (3, 1)]");
    const auto v = mpixx::mpi_version();
    CHECK(fmt::format("{}", v) == "(" + std::to_string(v.major) + ", " + std::to_string(v.minor) + ")");
    static_assert(mpixx::to_string(mpixx::comparison::congruent) == "congruent");

    // and through print
    fd_capture cap;
    mpixx::print("{} {}", st, mpixx::comparison::identical);
    CHECK(cap.text() == "[Rank " + std::to_string(world_rank()) + "] status(source=" + std::to_string(r) +
                            ", tag=13, bytes=16) identical\n");
}

TEST_CASE("print: numpy-style arrays and require_ranks") {
    CHECK(fmt::format("{}", mpixx::numpy(std::vector<int>{8, 9, 10, 11})) == "[ 8  9 10 11]");
    CHECK(fmt::format("{}", mpixx::numpy(std::array<long, 3>{-5, 0, 123})) == "[ -5   0 123]");
    CHECK(fmt::format("{}", mpixx::numpy(std::vector<int>{})) == "[]");
    CHECK(fmt::format("{:>8}", mpixx::numpy(std::vector<int>{1, 2})) == "   [1 2]");
    auto comm = mpixx::world().dup();
    CHECK(mpixx::require_ranks(comm, 1, "t"));
    CHECK(mpixx::require_ranks(comm, comm.size(), "t"));
    CHECK_FALSE(mpixx::require_ranks(comm, comm.size() + 1, "t"));
}

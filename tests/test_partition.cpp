// Tests of mpixx/partition.hpp: the block partition, exhaustively for small n and part counts (coverage,
// contiguity, balance, owner), at compile time, at the extremes of std::size_t, and per rank of a
// communicator (every index of 0..n-1 owned by exactly one rank, checked with MPI_Allreduce).
#include "mpixx_test.hpp"
#include "error_class.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/partition.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <string>
#include <vector>

using mpixx_test::error_class_of;

// Compile-time: the partition is usable in constant expressions.
static_assert(mpixx::block_range(10, 3, 0) == mpixx::index_range{0, 4});
static_assert(mpixx::block_range(10, 3, 1) == mpixx::index_range{4, 7});
static_assert(mpixx::block_range(10, 3, 2) == mpixx::index_range{7, 10});
static_assert(mpixx::block_count(10, 3, 0) == 4 && mpixx::block_count(10, 3, 2) == 3);
static_assert(mpixx::block_owner(10, 3, 3) == 0 && mpixx::block_owner(10, 3, 4) == 1);
static_assert(mpixx::block_owner(10, 3, 9) == 2);
static_assert(mpixx::block_counts(10, 3).size() == 3 && mpixx::block_counts(10, 3)[0] == 4);
static_assert(mpixx::block_displs(10, 3)[2] == 7);
static_assert(mpixx::block_range(2, 5, 4).empty() && mpixx::block_range(2, 5, 1).size() == 1);

TEST_CASE("partition: exhaustive n in 0..50, parts in 1..9") {
    auto comm = mpixx::world().dup(); // convention: a private message space per test case
    for (std::size_t n = 0; n <= 50; ++n) {
        for (std::size_t parts = 1; parts <= 9; ++parts) {
            INFO("n = " << n << ", parts = " << parts);
            const auto counts = mpixx::block_counts(n, parts);
            const auto displs = mpixx::block_displs(n, parts);
            REQUIRE(counts.size() == parts);
            REQUIRE(displs.size() == parts);
            std::vector<int> hits(n, 0);
            std::size_t expected_begin = 0, smallest = n, largest = 0;
            for (std::size_t p = 0; p < parts; ++p) {
                const mpixx::index_range r = mpixx::block_range(n, parts, p);
                // contiguous: each block starts where the previous one ended
                REQUIRE(r.begin == expected_begin);
                REQUIRE(r.begin <= r.end);
                expected_begin = r.end;
                REQUIRE(r.size() == mpixx::block_count(n, parts, p));
                REQUIRE(counts[p] == r.size());
                REQUIRE(displs[p] == r.begin);
                // the first n % parts blocks are the bigger ones
                REQUIRE(r.size() == n / parts + (p < n % parts ? 1 : 0));
                smallest = std::min(smallest, r.size());
                largest = std::max(largest, r.size());
                for (std::size_t i = r.begin; i < r.end; ++i) {
                    ++hits[i];
                    REQUIRE(r.contains(i));
                    REQUIRE(mpixx::block_owner(n, parts, i) == p); // owner consistent with the ranges
                }
                REQUIRE(r.empty() == (r.size() == 0));
            }
            REQUIRE(expected_begin == n);                                         // covers all of [0, n)
            REQUIRE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; })); // exactly once
            REQUIRE(largest - std::min(smallest, largest) <= 1);                   // balanced
        }
    }
}

TEST_CASE("partition: the guide's N = 1000 and the remainder it drops") {
    auto comm = mpixx::world().dup(); // convention: a private message space per test case
    // N // size with N = 1000, size = 3 gives 333 each; the block partition hands out all 1000.
    CHECK(mpixx::block_counts(1000, 3) == std::vector<std::size_t>{334, 333, 333});
    CHECK(mpixx::block_displs(1000, 3) == std::vector<std::size_t>{0, 334, 667});
    // more parts than items: the first n get one, the rest none
    CHECK(mpixx::block_counts(3, 5) == std::vector<std::size_t>{1, 1, 1, 0, 0});
    CHECK(mpixx::block_range(3, 5, 4) == mpixx::index_range{3, 3});
    CHECK(mpixx::block_counts(0, 4) == std::vector<std::size_t>{0, 0, 0, 0});
}

TEST_CASE("partition: block_counts<int> and block_displs<int> feed the v-collectives") {
    auto comm = mpixx::world().dup();
    const int size = comm.size(), me = comm.rank();
    static_assert(std::is_same_v<decltype(mpixx::block_counts<int>(10, 3)), std::vector<int>>);
    CHECK(mpixx::block_counts<int>(1000, 3) == std::vector<int>{334, 333, 333});
    CHECK(mpixx::block_displs<int>(1000, 3) == std::vector<int>{0, 334, 667});
    CHECK(mpixx::block_counts<long>(7, 7) == std::vector<long>(7, 1));
    // 10 + size items gathered at rank 0 with the block counts, each rank sending its share of indices
    const std::size_t n = 10 + static_cast<std::size_t>(size);
    const auto counts = mpixx::block_counts<int>(n, comm.size());
    const auto displs = mpixx::block_displs<int>(n, comm.size());
    const auto [begin, end] = mpixx::block_range(n, comm);
    std::vector<double> mine;
    for (std::size_t i = begin; i < end; ++i) mine.push_back(static_cast<double>(i));
    std::vector<double> all(me == 0 ? n : 0);
    comm.gatherv(mine, all, counts, displs, 0);
    if (me == 0)
        for (std::size_t i = 0; i < n; ++i) CHECK(all[i] == static_cast<double>(i));
    // counts that do not fit the requested type are refused, not wrapped
    const std::size_t too_many = std::size_t(std::numeric_limits<int>::max()) * 2 + 2;
    CHECK(error_class_of([&] { (void)mpixx::block_counts<int>(too_many, 2); }) == MPI_ERR_COUNT);
    CHECK(error_class_of([&] { (void)mpixx::block_displs<int>(too_many, 2); }) == MPI_ERR_COUNT);
    CHECK(mpixx::block_counts<int>(too_many, 4) ==
          std::vector<int>(4, static_cast<int>(too_many / 4))); // fits once divided
}

TEST_CASE("partition: no overflow at the top of std::size_t") {
    auto comm = mpixx::world().dup(); // convention: a private message space per test case
    constexpr std::size_t big = std::numeric_limits<std::size_t>::max();
    for (std::size_t parts : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, big - 1, big}) {
        INFO("parts = " << parts);
        const auto last = mpixx::block_range(big, parts, parts - 1);
        CHECK(last.end == big);
        const auto first = mpixx::block_range(big, parts, 0);
        CHECK(first.begin == 0);
        CHECK(first.size() == big / parts + (big % parts ? 1 : 0));
        CHECK(mpixx::block_owner(big, parts, big - 1) == parts - 1);
        CHECK(mpixx::block_owner(big, parts, 0) == 0);
        if (parts > 1) {
            const auto second = mpixx::block_range(big, parts, 1);
            CHECK(second.begin == first.end);
            CHECK(mpixx::block_owner(big, parts, first.end - 1) == 0);
            CHECK(mpixx::block_owner(big, parts, second.begin) == 1);
        }
    }
}

TEST_CASE("partition: misuse throws mpixx::error with MPI_ERR_ARG") {
    auto comm = mpixx::world().dup(); // convention: a private message space per test case
    CHECK(error_class_of([] { (void)mpixx::block_range(10, 0, 0); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_range(10, 3, 3); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_count(10, 0, 0); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_count(10, 2, 5); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_counts(10, 0); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_displs(10, 0); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_owner(10, 3, 10); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_owner(0, 3, 0); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_owner(10, 0, 1); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_range(10, mpixx::communicator()); }) == MPI_ERR_COMM);
    CHECK(error_class_of([] { (void)mpixx::block_count(10, mpixx::communicator()); }) == MPI_ERR_COMM);
    CHECK(error_class_of([] { (void)mpixx::block_owner(10, mpixx::communicator(), 0); }) == MPI_ERR_COMM);
    try {
        (void)mpixx::block_range(10, 3, 7);
        FAIL("no exception");
    } catch (const mpixx::error& e) {
        CHECK(e.routine() == "mpixx::block_range");
        CHECK(std::string(e.what()).find("part 7 is out of range for 3 part(s)") != std::string::npos);
    }
}

// A part count no std::vector can hold threw std::length_error from the vector's constructor instead of
// an mpixx::error (e.g. a negative count cast to std::size_t). No allocation is attempted here (ASan
// would abort on a huge one): the count is refused before.
TEST_CASE("partition: block_counts / block_displs of more parts than a vector holds throw MPI_ERR_ARG") {
    constexpr std::size_t huge = SIZE_MAX / 2;
    CHECK(error_class_of([] { (void)mpixx::block_counts(10, huge); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_counts<int>(10, huge); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_counts<char>(0, SIZE_MAX); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_displs(10, huge); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_displs<int>(10, huge); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { (void)mpixx::block_counts(10LL, static_cast<long long>(huge)); }) == MPI_ERR_ARG);
    try {
        (void)mpixx::block_displs<int>(10, huge);
        FAIL("no exception");
    } catch (const mpixx::error& e) {
        CHECK(e.routine() == "mpixx::block_displs");
        CHECK(std::string(e.what()).find(std::to_string(huge) + " parts do not fit a std::vector") !=
              std::string::npos);
    }
    // ordinary part counts work as before
    CHECK(mpixx::block_counts<int>(10, 4) == std::vector<int>{3, 3, 2, 2});
    CHECK(mpixx::block_displs<int>(10, 4) == std::vector<int>{0, 3, 6, 8});
}

TEST_CASE("partition: every rank's range, summed over the communicator, covers 0..n-1 exactly once") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const std::size_t size = static_cast<std::size_t>(comm.size());
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, size - 1, size, size + 1, std::size_t{10}, std::size_t{37}}) {
        INFO("n = " << n << ", ranks = " << size);
        const mpixx::index_range mine = mpixx::block_range(n, comm);
        CHECK(mine == mpixx::block_range(n, size, static_cast<std::size_t>(comm.rank())));
        CHECK(mpixx::block_count(n, comm) == mine.size());
        std::vector<int> hits(n, 0);
        for (std::size_t i = mine.begin; i < mine.end; ++i) {
            hits[i] = 1;
            CHECK(mpixx::block_owner(n, comm, i) == comm.rank());
        }
        std::vector<int> total(n, 0);
        REQUIRE(MPI_Allreduce(hits.data(), total.data(), static_cast<int>(n), MPI_INT, MPI_SUM, comm.native()) ==
                MPI_SUCCESS);
        CHECK(std::all_of(total.begin(), total.end(), [](int t) { return t == 1; }));
        // and the sizes add up to n, differing by at most one between ranks
        unsigned long long count = mine.size(), sum = 0, lo = 0, hi = 0;
        MPI_Allreduce(&count, &sum, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm.native());
        MPI_Allreduce(&count, &lo, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, comm.native());
        MPI_Allreduce(&count, &hi, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm.native());
        CHECK(sum == n);
        CHECK(hi - lo <= 1);
    }
}

// Signed arguments (an int count, comm.size(), comm.rank()) used to convert silently to std::size_t:
// block_range(-5, comm) gave a range of ~2^64 items. Now a negative one throws MPI_ERR_ARG, and the
// non-negative ones give exactly what the std::size_t forms give.
static_assert(mpixx::block_range(10, 3, 2) == mpixx::index_range{7, 10}); // int, int, int
static_assert(mpixx::block_owner(std::size_t{10}, 3, 9LL) == 2);         // mixed signedness
static_assert(mpixx::block_counts<int>(10, 3)[0] == 4 && mpixx::block_displs<long>(10L, 3)[2] == 7);

TEST_CASE("partition: negative signed arguments throw MPI_ERR_ARG (they used to wrap to huge sizes)") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int neg = -5;
    CHECK(error_class_of([&] { (void)mpixx::block_range(neg, comm); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_count(neg, comm); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_owner(10, comm, -1); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_owner(neg, comm, 0); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_range(neg, 4, 0); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_range(10, -4, 0); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_range(10, 4, -1); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_count(10, 4, -1); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_owner(std::size_t{10}, 4, -1L); }) == MPI_ERR_ARG);
    // Before: std::length_error from std::vector (parts = SIZE_MAX), or MPI_ERR_COUNT with a 20-digit size.
    CHECK(error_class_of([&] { (void)mpixx::block_counts<int>(10, -1); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_counts<int>(-10, 4); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::block_displs<long long>(-10, comm.size()); }) == MPI_ERR_ARG);
    try {
        (void)mpixx::block_range(neg, comm);
        FAIL("no exception");
    } catch (const mpixx::error& e) {
        CHECK(e.routine() == "mpixx::block_range");
        CHECK(std::string(e.what()).find("n is -5") != std::string::npos);
    }
    // Non-negative signed arguments agree with the std::size_t forms.
    for (int n = 0; n <= 12; ++n)
        for (int p = 1; p <= 5; ++p) {
            const auto un = static_cast<std::size_t>(n), up = static_cast<std::size_t>(p);
            CHECK(mpixx::block_counts<int>(n, p) == mpixx::block_counts<int>(un, up));
            CHECK(mpixx::block_displs<int>(n, p) == mpixx::block_displs<int>(un, up));
            for (int i = 0; i < p; ++i) {
                CHECK(mpixx::block_range(n, p, i) == mpixx::block_range(un, up, static_cast<std::size_t>(i)));
                CHECK(mpixx::block_count(n, p, i) == mpixx::block_count(un, up, static_cast<std::size_t>(i)));
            }
            for (int i = 0; i < n; ++i)
                CHECK(mpixx::block_owner(n, p, i) == mpixx::block_owner(un, up, static_cast<std::size_t>(i)));
        }
    const int n = 37;
    CHECK(mpixx::block_range(n, comm) == mpixx::block_range(std::size_t{37}, comm));
    CHECK(mpixx::block_count(n, comm) == mpixx::block_count(std::size_t{37}, comm));
    CHECK(mpixx::block_counts<int>(n, comm.size()) == mpixx::block_counts<int>(std::size_t{37}, std::size_t(comm.size())));
    CHECK(mpixx::block_owner(n, comm, n - 1) == comm.size() - 1);
}

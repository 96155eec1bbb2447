// Tests of mpixx/object_messaging.hpp, collectives: bcast, scatter, gather, allgather, alltoall, reduce,
// allreduce, scan and exscan of serializable objects, with any binary callable (mpi4py's lowercase API).
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/object_messaging.hpp>

#include <map>
#include <numeric>
#include <string>
#include <vector>

namespace {

using dict = std::map<std::string, int>;

struct payload {
    std::string name;
    std::vector<double> data; // large in one test: broadcast out of band
};

struct money {
    std::string currency;
    long cents;
    friend money operator+(const money& a, const money& b) { return {a.currency, a.cents + b.cents}; }
};

// Non-commutative: concatenation keeps rank order visible.
const auto concat = [](const std::string& a, const std::string& b) { return a + b; };

std::string digits_up_to(int n) { // "0", "01", "012", ...
    std::string s;
    for (int i = 0; i <= n; ++i) s += std::to_string(i);
    return s;
}

} // namespace

TEST_CASE("object collectives: bcast by value and in place, small and large") {
    auto comm = mpixx::world().dup();
    const int root = comm.size() - 1;
    dict d;
    if (comm.rank() == root) d = {{"key", 7}, {"size", comm.size()}};
    auto got = comm.bcast(d, root); // non-const lvalue: in place, returns a reference
    CHECK(got.at("key") == 7);
    CHECK(d.at("size") == comm.size());

    const dict constant{{"c", 3}};
    dict copy = comm.bcast(constant, 0); // const: by value
    CHECK(copy.at("c") == 3);

    payload p;
    if (comm.rank() == 0) p = {"big", std::vector<double>(100000, 2.5)}; // 800 KB: out of band
    comm.bcast(p, 0);
    CHECK(p.name == "big");
    REQUIRE(p.data.size() == 100000);
    CHECK(p.data[99999] == 2.5);
}

TEST_CASE("object collectives: gather, allgather, scatter, alltoall keep rank order") {
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), n = comm.size();
    const std::vector<std::string> mine{std::to_string(r), std::string(size_t(r), '*')};

    auto at_root = comm.gather(mine, 0);
    if (r == 0) {
        REQUIRE(at_root.size() == size_t(n));
        for (int i = 0; i < n; ++i) {
            CHECK(at_root[i][0] == std::to_string(i));
            CHECK(at_root[i][1].size() == size_t(i));
        }
    } else {
        CHECK(at_root.empty());
    }

    auto everywhere = comm.allgather(dict{{"rank", r}});
    REQUIRE(everywhere.size() == size_t(n));
    for (int i = 0; i < n; ++i) CHECK(everywhere[i].at("rank") == i);

    std::vector<dict> parts;
    if (r == n - 1)
        for (int i = 0; i < n; ++i) parts.push_back({{"for", i}, {"square", i * i}});
    auto part = comm.scatter(parts, n - 1);
    CHECK(part.at("for") == r);
    CHECK(part.at("square") == r * r);

    std::vector<std::vector<std::string>> out(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) out[i] = {std::to_string(r) + "->" + std::to_string(i)};
    auto in = comm.alltoall(out);
    REQUIRE(in.size() == size_t(n));
    for (int i = 0; i < n; ++i) CHECK(in[i].front() == std::to_string(i) + "->" + std::to_string(r));
}

TEST_CASE("object collectives: reduce family with non-commutative and stateful callables") {
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), n = comm.size();
    const std::string mine = std::to_string(r);

    auto all = comm.reduce(mine, concat, 0);
    CHECK(all == (r == 0 ? digits_up_to(n - 1) : std::string()));
    CHECK(comm.allreduce(mine, concat) == digits_up_to(n - 1));
    CHECK(comm.scan(mine, concat) == digits_up_to(r));
    CHECK(comm.exscan(mine, concat) == (r == 0 ? std::string() : digits_up_to(r - 1)));

    // mpixx::sum on objects uses their operator+
    const money total = comm.allreduce(money{"EUR", r + 1}, mpixx::sum);
    CHECK(total.currency == "EUR");
    CHECK(total.cents == n * (n + 1) / 2);
    // a std::string with a built-in op stays a buffer: reduced element-wise
    CHECK(comm.allreduce(std::string(3, char('a' + r)), mpixx::max) == std::string(3, char('a' + n - 1)));

    // merge of dicts, keys summed; and a stateful callable whose current state is honoured
    auto merge = [](dict a, const dict& b) {
        for (const auto& [k, v] : b) a[k] += v;
        return a;
    };
    auto merged = comm.allreduce(dict{{"count", 1}, {"rank" + std::to_string(r), r}}, merge);
    CHECK(merged.at("count") == n);
    CHECK(merged.size() == size_t(n) + 1);
    for (int k = 1; k <= 3; ++k) {
        auto scaled = [k](const std::vector<std::string>& a, const std::vector<std::string>& b) {
            std::vector<std::string> c = a;
            c.insert(c.end(), b.begin(), b.end());
            c.push_back(std::to_string(k));
            return c;
        };
        auto v = comm.allreduce(std::vector<std::string>{mine}, scaled);
        CHECK(v.size() == size_t(2 * n - 1));
        if (n > 1) CHECK(v.back() == std::to_string(k));
    }
}

TEST_CASE("object collectives: misuse") {
    auto comm = mpixx::world().dup();
    CHECK_THROWS_AS(comm.bcast(dict{}, comm.size()), mpixx::error);
    std::vector<dict> wrong(static_cast<std::size_t>(comm.size()) + 1);
    try {
        (void)comm.alltoall(wrong);
        FAIL("wrong size accepted");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_COUNT);
    }
}

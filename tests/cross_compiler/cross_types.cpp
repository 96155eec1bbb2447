// Ranks built with different compilers (g++ and clang++, launched together: check_cross.sh) exchange
// objects in a ring. Every type arrives intact (the type-checked streams' fingerprints agree across
// compilers: no false mismatch), and an object received as another type throws MPI_ERR_TYPE naming both
// ranks and both types on the receiver. Prints "cross-compiler objects: PASS" on rank 0 when all agree.
#include <mpixx/mpixx.hpp>

#include <complex>
#include <cstdint>
#include <cstdio>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#ifndef MPIXX_COMPILER_LABEL
#define MPIXX_COMPILER_LABEL "?"
#endif

namespace geo {
struct point {
    double x, y;
    std::int64_t id;
    bool operator==(const point&) const = default;
};
enum class kind : std::uint16_t { a = 1, b = 7 };
template <class T>
struct tagged {
    std::string tag;
    T value{};
    template <class Archive>
    void serialize(Archive& ar) {
        ar(tag, value);
    }
    bool operator==(const tagged&) const = default;
};
} // namespace geo

namespace {
struct local {
    std::list<long> l;
    std::optional<std::variant<int, std::string>> o;
    bool operator==(const local&) const = default;
};

int failures = 0;

void expect(bool ok, const char* what, int rank) {
    if (!ok) {
        ++failures;
        std::printf("rank %d (%s): FAILED: %s\n", rank, MPIXX_COMPILER_LABEL, what);
    }
}

/// Sends `value` to the next rank and checks that the previous rank's equal value arrives.
template <class T>
void ring(const mpixx::communicator& comm, const T& value, const char* what) {
    const int r = comm.rank(), p = comm.size();
    auto req = comm.isend(value, (r + 1) % p, 5);
    try {
        const T got = comm.recv<T>((r + p - 1) % p, 5);
        expect(got == value, what, r);
    } catch (const mpixx::error& e) {
        expect(false, what, r);
        std::printf("  %s\n", e.what());
    }
    req.wait();
}
} // namespace

int main(int argc, char** argv) {
    mpixx::environment env(argc, argv);
    auto comm = mpixx::world();
    const int r = comm.rank(), p = comm.size();
    ring(comm, std::vector<long>{1, -2, 3}, "std::vector<long>");
    ring(comm, std::string("across compilers"), "std::string");
    ring(comm, std::map<std::string, std::vector<std::size_t>>{{"a", {1, 2}}, {"b", {}}}, "map of vectors");
    ring(comm, std::list<unsigned long long>{7, 8}, "std::list<unsigned long long>");
    ring(comm, std::set<short>{3, 1}, "std::set<short>");
    ring(comm, std::tuple<long, std::complex<double>, std::u16string>{4, {1, 2}, u"x"}, "tuple");
    ring(comm, std::variant<int, std::string, geo::kind>{geo::kind::b}, "variant with an enum");
    ring(comm, geo::point{1.5, 2.5, 9}, "reflected aggregate");
    ring(comm, std::vector<geo::point>(3, geo::point{0, 1, 2}), "vector of aggregates");
    ring(comm, geo::tagged<std::string>{"t", "v"}, "hooked template over std::string");
    ring(comm, geo::tagged<std::vector<long>>{"u", {5, 6}}, "hooked template over vector<long>");
    ring(comm, local{{1, 2}, std::string("s")}, "aggregate in an anonymous namespace");

    // A type mismatch: the sender's list<double> arrives where list<float> is expected.
    {
        auto req = comm.isend(std::list<double>{1, 2, 3}, (r + 1) % p, 6);
        const int from = (r + p - 1) % p;
        try {
            (void)comm.recv<std::list<float>>(from, 6);
            expect(false, "a std::list<double> received as std::list<float> must throw", r);
        } catch (const mpixx::error& e) {
            const std::string what = e.what();
            const std::string want = "rank " + std::to_string(from) + " sent std::list<double>, rank " +
                                     std::to_string(r) + " expected std::list<float>";
            expect(e.error_class() == MPI_ERR_TYPE, "mismatch class is MPI_ERR_TYPE", r);
            expect(what.find(want) != std::string::npos, "mismatch message names both ranks and types", r);
            if (what.find(want) == std::string::npos) std::printf("  got: %s\n  want: %s\n", what.c_str(), want.c_str());
        }
        req.wait();
    }
    const int all = comm.allreduce(failures, mpixx::sum);
    if (r == 0) {
        std::printf("cross-compiler objects at %d ranks: %s\n", p, all == 0 ? "PASS" : "FAIL");
    }
    std::printf("rank %d built with %s: %d failures\n", r, MPIXX_COMPILER_LABEL, failures);
    return all == 0 ? 0 : 1;
}

// Tests of mpixx/datatype.hpp: builtin mapping, derived types (arrays, pairs, tuples, aggregates,
// user specialisations), caching, and that derived types really describe the memory (round trips).
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/datatype.hpp>

#include <array>
#include <complex>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

enum class color : std::uint8_t { red = 1, green = 2, blue = 200 };
enum plain_enum { first, second };

struct particle {
    double x, y, z;
    int id;
    char kind;
};

struct nested {
    particle p;
    std::array<float, 3> v;
    std::pair<short, long long> pr;
    color c;
};

// Not an aggregate: opts in through datatype_traits with member pointers.
class vec2 {
public:
    vec2() = default;
    vec2(double a, double b) : x_(a), y_(b) {}
    double x() const { return x_; }
    double y() const { return y_; }
    double x_ = 0, y_ = 0;
};

struct with_string {
    int a;
    std::string s;
};

struct with_pointer {
    int* p;
};

int type_size(MPI_Datatype t) {
    int s = 0;
    MPI_Type_size(t, &s);
    return s;
}
MPI_Aint type_extent(MPI_Datatype t) {
    MPI_Aint lb = 0, ext = 0;
    MPI_Type_get_extent(t, &lb, &ext);
    return ext;
}

} // namespace

template <>
struct mpixx::datatype_traits<vec2> {
    static MPI_Datatype create() { return mpixx::make_struct_type<vec2>(&vec2::x_, &vec2::y_); }
};

TEST_CASE("datatype: builtins map to the named MPI datatypes") {
    CHECK(mpixx::datatype<char>() == MPI_CHAR);
    CHECK(mpixx::datatype<signed char>() == MPI_SIGNED_CHAR);
    CHECK(mpixx::datatype<unsigned char>() == MPI_UNSIGNED_CHAR);
    CHECK(mpixx::datatype<short>() == MPI_SHORT);
    CHECK(mpixx::datatype<unsigned short>() == MPI_UNSIGNED_SHORT);
    CHECK(mpixx::datatype<int>() == MPI_INT);
    CHECK(mpixx::datatype<unsigned>() == MPI_UNSIGNED);
    CHECK(mpixx::datatype<long>() == MPI_LONG);
    CHECK(mpixx::datatype<unsigned long>() == MPI_UNSIGNED_LONG);
    CHECK(mpixx::datatype<long long>() == MPI_LONG_LONG);
    CHECK(mpixx::datatype<unsigned long long>() == MPI_UNSIGNED_LONG_LONG);
    CHECK(mpixx::datatype<float>() == MPI_FLOAT);
    CHECK(mpixx::datatype<double>() == MPI_DOUBLE);
    CHECK(mpixx::datatype<long double>() == MPI_LONG_DOUBLE);
    CHECK(mpixx::datatype<bool>() == MPI_CXX_BOOL);
    CHECK(mpixx::datatype<std::byte>() == MPI_BYTE);
    CHECK(mpixx::datatype<wchar_t>() == MPI_WCHAR);
    CHECK(mpixx::datatype<std::complex<float>>() == MPI_CXX_FLOAT_COMPLEX);
    CHECK(mpixx::datatype<std::complex<double>>() == MPI_CXX_DOUBLE_COMPLEX);
    CHECK(mpixx::datatype<std::complex<long double>>() == MPI_CXX_LONG_DOUBLE_COMPLEX);
    CHECK(mpixx::datatype<std::int8_t>() == MPI_SIGNED_CHAR);
    CHECK(type_size(mpixx::datatype<std::int64_t>()) == 8);
    CHECK(type_size(mpixx::datatype<std::uint16_t>()) == 2);
    CHECK(type_size(mpixx::datatype<char32_t>()) == 4);
}

TEST_CASE("datatype: enums use their underlying type") {
    CHECK(mpixx::datatype<color>() == MPI_UNSIGNED_CHAR);
    CHECK(type_size(mpixx::datatype<plain_enum>()) == static_cast<int>(sizeof(plain_enum)));
}

TEST_CASE("datatype: the mpi_type concept") {
    STATIC_REQUIRE(mpixx::mpi_type<int>);
    STATIC_REQUIRE(mpixx::mpi_type<particle>);
    STATIC_REQUIRE(mpixx::mpi_type<nested>);
    STATIC_REQUIRE(mpixx::mpi_type<vec2>);
    STATIC_REQUIRE(mpixx::mpi_type<int[4]>);
    STATIC_REQUIRE(mpixx::mpi_type<std::array<particle, 2>>);
    STATIC_REQUIRE(mpixx::mpi_type<std::tuple<int, double, char>>);
    STATIC_REQUIRE_FALSE(mpixx::mpi_type<std::string>);
    STATIC_REQUIRE_FALSE(mpixx::mpi_type<std::vector<int>>);
    STATIC_REQUIRE_FALSE(mpixx::mpi_type<with_string>);
    STATIC_REQUIRE_FALSE(mpixx::mpi_type<with_pointer>);
    STATIC_REQUIRE_FALSE(mpixx::mpi_type<int*>);
    STATIC_REQUIRE_FALSE(mpixx::mpi_type<const int>);
    STATIC_REQUIRE_FALSE(mpixx::mpi_type<std::tuple<int, std::string>>);
    STATIC_REQUIRE_FALSE(mpixx::mpi_type<std::array<int, 0>>);
}

TEST_CASE("datatype: derived types have the size of the data and the extent of the C++ type") {
    CHECK(type_size(mpixx::datatype<particle>()) == static_cast<int>(3 * sizeof(double) + sizeof(int) + 1));
    CHECK(type_extent(mpixx::datatype<particle>()) == static_cast<MPI_Aint>(sizeof(particle)));
    CHECK(type_extent(mpixx::datatype<nested>()) == static_cast<MPI_Aint>(sizeof(nested)));
    CHECK(type_size(mpixx::datatype<int[4]>()) == 16);
    CHECK(type_extent(mpixx::datatype<std::tuple<char, double>>()) ==
          static_cast<MPI_Aint>(sizeof(std::tuple<char, double>)));
    CHECK(type_size(mpixx::datatype<vec2>()) == 16);
}

TEST_CASE("datatype: derived types are built once and cached") {
    MPI_Datatype a = mpixx::datatype<particle>();
    MPI_Datatype b = mpixx::datatype<particle>();
    CHECK(a == b);
    CHECK(a != MPI_DATATYPE_NULL);
}

TEST_CASE("datatype: derived types round-trip through MPI (local sendrecv on self)") {
    auto self = mpixx::self();
    const nested in{{1.5, -2.5, 3.25, 42, 'q'}, {1.f, 2.f, 3.f}, {-7, 1LL << 40}, color::blue};
    nested out{};
    self.sendrecv(in, 0, 5, out, 0, 5);
    CHECK(out.p.x == 1.5);
    CHECK(out.p.y == -2.5);
    CHECK(out.p.z == 3.25);
    CHECK(out.p.id == 42);
    CHECK(out.p.kind == 'q');
    CHECK(out.v == std::array<float, 3>{1.f, 2.f, 3.f});
    CHECK(out.pr == std::pair<short, long long>{-7, 1LL << 40});
    CHECK(out.c == color::blue);

    const std::vector<vec2> vs{{1, 2}, {3, 4}, {5, 6}};
    std::vector<vec2> vr(3);
    self.sendrecv(vs, 0, 6, vr, 0, 6);
    CHECK(vr[2].x() == 5);
    CHECK(vr[2].y() == 6);

    const std::tuple<int, double, char> t{7, 8.5, 'z'};
    std::tuple<int, double, char> tr{};
    self.sendrecv(t, 0, 7, tr, 0, 7);
    CHECK(tr == t);
}

TEST_CASE("datatype: aggregates travel between ranks") {
    auto w = mpixx::world();
    if (w.size() < 2) return;
    const int right = (w.rank() + 1) % w.size();
    const int left = (w.rank() + w.size() - 1) % w.size();
    std::vector<particle> mine(3);
    for (int i = 0; i < 3; ++i) mine[i] = {double(w.rank()), double(i), -1.0, w.rank() * 10 + i, char('a' + i)};
    std::vector<particle> got(3);
    w.sendrecv(mine, right, 1, got, left, 1);
    for (int i = 0; i < 3; ++i) {
        CHECK(got[i].x == double(left));
        CHECK(got[i].id == left * 10 + i);
        CHECK(got[i].kind == char('a' + i));
    }
}

// Tests of mpixx/ops.hpp: the compile-time mapping of op functors to built-in MPI_Ops (checked with
// PMPI interposition: what MPI_Allreduce really receives), every op on every type class MPI allows,
// minloc/maxloc, user ops on aggregates and user datatypes, the current state of a stateful callable,
// non-commutative ops in rank order, exceptions thrown by an op, and no MPI_Op handle leaks.
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/ops.hpp>

#include <array>
#include <complex>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <utility>
#include <vector>

// ---- PMPI interposition: these definitions replace the MPI library's for this executable -------------

namespace {
int op_creates = 0, op_frees = 0, last_commute = -1;
MPI_Op last_allreduce_op = MPI_OP_NULL;
MPI_Datatype last_allreduce_type = MPI_DATATYPE_NULL;
MPI_Op last_iallreduce_op = MPI_OP_NULL;
} // namespace

extern "C" {
int MPI_Op_create(MPI_User_function* fn, int commute, MPI_Op* op) {
    ++op_creates;
    last_commute = commute;
    return PMPI_Op_create(fn, commute, op);
}
#if MPI_VERSION >= 4
int MPI_Op_create_c(MPI_User_function_c* fn, int commute, MPI_Op* op) {
    ++op_creates;
    last_commute = commute;
    return PMPI_Op_create_c(fn, commute, op);
}
#endif
int MPI_Op_free(MPI_Op* op) {
    ++op_frees;
    return PMPI_Op_free(op);
}
int MPI_Allreduce(const void* s, void* r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
    last_allreduce_op = op;
    last_allreduce_type = t;
    return PMPI_Allreduce(s, r, n, t, op, c);
}
int MPI_Iallreduce(const void* s, void* r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c, MPI_Request* q) {
    last_iallreduce_op = op;
    return PMPI_Iallreduce(s, r, n, t, op, c, q);
}
}

namespace {

struct vec3 {
    double x, y, z;
    friend vec3 operator+(const vec3& a, const vec3& b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
    friend bool operator==(const vec3&, const vec3&) = default;
};

/// 2x2 integer matrix: the product is associative but not commutative.
struct mat2 {
    long long a, b, c, d;
    friend mat2 operator*(const mat2& l, const mat2& r) {
        return {l.a * r.a + l.b * r.c, l.a * r.b + l.b * r.d, l.c * r.a + l.d * r.c, l.c * r.b + l.d * r.d};
    }
    friend bool operator==(const mat2&, const mat2&) = default;
};

/// A decimal digit string: concatenation is associative, not commutative ("12" + "3" = "123").
struct digits {
    long long value;
    int length;
    friend bool operator==(const digits&, const digits&) = default;
};
digits concat(const digits& a, const digits& b) {
    long long scale = 1;
    for (int i = 0; i < b.length; ++i) scale *= 10;
    return {a.value * scale + b.value, a.length + b.length};
}

/// A type with a hand-written datatype (datatype_traits), reduced by a user op.
struct money {
    long cents;
    int currency;
};

/// Left fold of f over the contributions of ranks 0..p-1: the independently computed expectation.
template <class T, class C, class F>
T fold(int p, C contribution, F f) {
    T acc = contribution(0);
    for (int r = 1; r < p; ++r) acc = f(acc, contribution(r));
    return acc;
}

} // namespace

template <>
struct mpixx::datatype_traits<money> {
    static MPI_Datatype create() { return mpixx::make_struct_type<money>(&money::cents, &money::currency); }
};

// ---- compile-time mapping --------------------------------------------------------------------------

namespace {
using mpixx::detail::builtin_reduction;
static_assert(builtin_reduction<const mpixx::sum_t&, int>);
static_assert(builtin_reduction<mpixx::sum_t, double>);
static_assert(builtin_reduction<mpixx::sum_t, std::complex<double>>);
static_assert(builtin_reduction<std::plus<>, long long>);
static_assert(builtin_reduction<std::plus<int>, int>);
static_assert(!builtin_reduction<std::plus<int>, double>); // typed functor of another type: user op
static_assert(!builtin_reduction<mpixx::sum_t, bool>);     // MPI_SUM is not defined on logicals
static_assert(!builtin_reduction<mpixx::sum_t, char>);     // MPI_CHAR is not a C integer type for ops
static_assert(!builtin_reduction<mpixx::sum_t, vec3>);
static_assert(builtin_reduction<mpixx::max_t, unsigned>);
static_assert(!builtin_reduction<mpixx::max_t, std::complex<double>>);
static_assert(builtin_reduction<mpixx::land_t, bool>);
static_assert(builtin_reduction<std::logical_or<>, int>);
static_assert(!builtin_reduction<mpixx::land_t, double>);
static_assert(builtin_reduction<mpixx::band_t, std::byte>);
static_assert(builtin_reduction<std::bit_xor<unsigned>, unsigned>);
static_assert(!builtin_reduction<mpixx::band_t, bool>);
static_assert(builtin_reduction<mpixx::minloc_t, mpixx::value_index<double>>);
static_assert(builtin_reduction<mpixx::maxloc_t, std::pair<int, int>>);
static_assert(!builtin_reduction<mpixx::minloc_t, mpixx::value_index<unsigned>>); // no MPI pair type
static_assert(builtin_reduction<mpixx::commutative_op<mpixx::sum_t>, int>);
static_assert(!builtin_reduction<std::minus<>, int>);
static_assert(mpixx::reduction_op<std::minus<>, int>);
static_assert(mpixx::reduction_op<mpixx::sum_t, vec3>);
static_assert(!mpixx::reduction_op<mpixx::prod_t, vec3>); // no operator*
static_assert(!mpixx::reduction_op<mpixx::max_t, std::complex<double>>);
} // namespace

TEST_CASE("ops: the functors are plain C++ callables") {
    auto comm = mpixx::world().dup();
    CHECK(mpixx::sum(2, 3) == 5);
    CHECK(mpixx::prod(2, 3) == 6);
    CHECK(mpixx::max(2, 3) == 3);
    CHECK(mpixx::min(2.5, -1.0) == -1.0);
    CHECK(mpixx::land(1, 0) == false);
    CHECK(mpixx::lor(0, 2) == true);
    CHECK(mpixx::lxor(true, true) == false);
    CHECK(mpixx::band(6, 3) == 2);
    CHECK(mpixx::bor(6, 3) == 7);
    CHECK(mpixx::bxor(6, 3) == 5);
    using vi = mpixx::value_index<double>;
    CHECK(mpixx::minloc(vi{1.0, 4}, vi{1.0, 2}) == vi{1.0, 2}); // ties: the smaller index
    CHECK(mpixx::maxloc(vi{3.0, 1}, vi{2.0, 0}) == vi{3.0, 1});
    CHECK(mpixx::minloc(std::pair{5, 1}, std::pair{4, 7}) == std::pair{4, 7});
    CHECK(mpixx::commutative(std::minus<>{})(5, 3) == 2);
}

TEST_CASE("ops: built-in functors reach MPI as the predefined MPI_Op, no handle created (PMPI)") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const int creates = op_creates;

    CHECK(comm.allreduce(r + 1, mpixx::sum) == p * (p + 1) / 2);
    CHECK(last_allreduce_op == MPI_SUM);
    CHECK(last_allreduce_type == MPI_INT);
    CHECK(comm.allreduce(r + 1, std::plus<>{}) == p * (p + 1) / 2);
    CHECK(last_allreduce_op == MPI_SUM);
    CHECK(comm.allreduce(r + 0.5, std::plus<>{}) == p * p / 2.0);
    CHECK(last_allreduce_op == MPI_SUM);
    CHECK(last_allreduce_type == MPI_DOUBLE);
    CHECK(comm.allreduce(r + 0.5, mpixx::sum) == p * p / 2.0);
    CHECK(last_allreduce_op == MPI_SUM);
    CHECK(comm.allreduce(r + 1, std::plus<int>{}) == p * (p + 1) / 2);
    CHECK(last_allreduce_op == MPI_SUM);
    (void)comm.allreduce(r + 1, std::multiplies<>{});
    CHECK(last_allreduce_op == MPI_PROD);
    (void)comm.allreduce(r, mpixx::max);
    CHECK(last_allreduce_op == MPI_MAX);
    (void)comm.allreduce(r, mpixx::min);
    CHECK(last_allreduce_op == MPI_MIN);
    (void)comm.allreduce(true, std::logical_and<>{});
    CHECK(last_allreduce_op == MPI_LAND);
    CHECK(last_allreduce_type == MPI_CXX_BOOL);
    (void)comm.allreduce(r, std::logical_or<>{});
    CHECK(last_allreduce_op == MPI_LOR);
    (void)comm.allreduce(r, mpixx::lxor);
    CHECK(last_allreduce_op == MPI_LXOR);
    (void)comm.allreduce(std::byte{3}, std::bit_and<>{});
    CHECK(last_allreduce_op == MPI_BAND);
    CHECK(last_allreduce_type == MPI_BYTE);
    (void)comm.allreduce(unsigned(r), std::bit_or<unsigned>{});
    CHECK(last_allreduce_op == MPI_BOR);
    (void)comm.allreduce(r, std::bit_xor<>{});
    CHECK(last_allreduce_op == MPI_BXOR);
    (void)comm.allreduce(mpixx::value_index<double>{1.0 * r, r}, mpixx::minloc);
    CHECK(last_allreduce_op == MPI_MINLOC);
    CHECK(last_allreduce_type == MPI_DOUBLE_INT);
    (void)comm.allreduce(std::pair<int, int>{r, r}, mpixx::maxloc);
    CHECK(last_allreduce_op == MPI_MAXLOC);
    CHECK(last_allreduce_type == MPI_2INT);
    (void)comm.allreduce(r, mpixx::commutative(mpixx::sum));
    CHECK(last_allreduce_op == MPI_SUM);
    auto req = comm.iallreduce(r, mpixx::sum);
    CHECK(req.wait() == p * (p - 1) / 2);
    CHECK(last_iallreduce_op == MPI_SUM);

    CHECK(op_creates == creates); // no user op was created for any of these
}

TEST_CASE("ops: every predefined op on int, unsigned, double, bool, std::byte and complex") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    // int: values 2..p+1, one zero-or-one pattern, bit masks
    auto xi = [](int k) { return k + 2; };
    CHECK(comm.allreduce(xi(r), mpixx::sum) == fold<int>(p, xi, std::plus<>{}));
    CHECK(comm.allreduce(xi(r), mpixx::prod) == fold<int>(p, xi, std::multiplies<>{}));
    CHECK(comm.allreduce(xi(r), mpixx::max) == p + 1);
    CHECK(comm.allreduce(xi(r), mpixx::min) == 2);
    auto odd = [](int k) { return k % 2; };
    CHECK(comm.allreduce(odd(r), mpixx::land) == 0);
    CHECK(comm.allreduce(odd(r), mpixx::lor) == (p > 1 ? 1 : 0));
    CHECK(comm.allreduce(odd(r), mpixx::lxor) == (p / 2) % 2);
    auto mask = [](int k) { return (1 << k) | 0x10; };
    CHECK(comm.allreduce(mask(r), mpixx::band) == (p == 1 ? 0x11 : 0x10));
    CHECK(comm.allreduce(mask(r), mpixx::bor) == fold<int>(p, mask, std::bit_or<>{}));
    CHECK(comm.allreduce(mask(r), mpixx::bxor) == fold<int>(p, mask, std::bit_xor<>{}));
    // unsigned
    auto xu = [](int k) { return 3u * unsigned(k) + 1u; };
    CHECK(comm.allreduce(xu(r), std::plus<unsigned>{}) == fold<unsigned>(p, xu, std::plus<>{}));
    CHECK(comm.allreduce(xu(r), mpixx::prod) == fold<unsigned>(p, xu, std::multiplies<>{}));
    CHECK(comm.allreduce(xu(r), mpixx::max) == xu(p - 1));
    CHECK(comm.allreduce(xu(r), mpixx::min) == 1u);
    CHECK(comm.allreduce(xu(r), mpixx::band) == fold<unsigned>(p, xu, std::bit_and<>{}));
    CHECK(comm.allreduce(xu(r), mpixx::bor) == fold<unsigned>(p, xu, std::bit_or<>{}));
    CHECK(comm.allreduce(xu(r), mpixx::bxor) == fold<unsigned>(p, xu, std::bit_xor<>{}));
    // double (exact binary fractions, so the order of combination does not matter)
    auto xd = [](int k) { return k + 1.5; };
    CHECK(comm.allreduce(xd(r), mpixx::sum) == fold<double>(p, xd, std::plus<>{}));
    CHECK(comm.allreduce(xd(r), mpixx::prod) == fold<double>(p, xd, std::multiplies<>{}));
    CHECK(comm.allreduce(xd(r), mpixx::max) == p + 0.5);
    CHECK(comm.allreduce(-xd(r), mpixx::min) == -(p + 0.5));
    CHECK(comm.allreduce(float(xd(r)), mpixx::sum) == float(fold<double>(p, xd, std::plus<>{})));
    CHECK(comm.allreduce(static_cast<long double>(xd(r)), mpixx::sum) == fold<double>(p, xd, std::plus<>{}));
    // bool: MPI_LAND/LOR/LXOR on MPI_CXX_BOOL
    const bool even = r % 2 == 0;
    CHECK(comm.allreduce(even, mpixx::land) == (p == 1));
    CHECK(comm.allreduce(even, mpixx::lor) == true);
    CHECK(comm.allreduce(even, mpixx::lxor) == (((p + 1) / 2) % 2 == 1));
    CHECK(comm.allreduce(true, std::logical_and<bool>{}) == true);
    // std::byte: bitwise ops on MPI_BYTE
    auto xb = [](int k) { return std::byte(0xF0 | (1 << k)); };
    CHECK(comm.allreduce(xb(r), mpixx::band) == fold<std::byte>(p, xb, std::bit_and<>{}));
    CHECK(comm.allreduce(xb(r), mpixx::bor) == fold<std::byte>(p, xb, std::bit_or<>{}));
    CHECK(comm.allreduce(xb(r), mpixx::bxor) == fold<std::byte>(p, xb, std::bit_xor<>{}));
    // complex: sum and prod
    auto xc = [](int k) { return std::complex<double>(k + 1.0, 1.0); };
    CHECK(comm.allreduce(xc(r), mpixx::sum) == fold<std::complex<double>>(p, xc, std::plus<>{}));
    CHECK(comm.allreduce(xc(r), mpixx::prod) == fold<std::complex<double>>(p, xc, std::multiplies<>{}));
    // element-wise on a buffer
    std::vector<long> v{long(r), 2L * r, 1L};
    auto total = comm.allreduce(v, mpixx::sum);
    CHECK(total == std::vector<long>{long(p * (p - 1) / 2), long(p * (p - 1)), long(p)});
}

TEST_CASE("ops: minloc and maxloc (built-in pair types and the user-op fallback)") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    // values (r - 1)^2: 1, 0, 1, 4; ties go to the smaller index
    auto val = [](int k) { return (k - 1.0) * (k - 1.0); };
    mpixx::value_index<double> want_min{val(0), 0}, want_max{val(0), 0};
    for (int k = 1; k < p; ++k) {
        if (val(k) < want_min.value) want_min = {val(k), k};
        if (val(k) > want_max.value) want_max = {val(k), k};
    }
    CHECK(comm.allreduce(mpixx::value_index<double>{val(r), r}, mpixx::minloc) == want_min);
    CHECK(comm.allreduce(mpixx::value_index<double>{val(r), r}, mpixx::maxloc) == want_max);
    CHECK(comm.allreduce(std::pair<double, int>{val(r), r}, mpixx::maxloc) == std::pair{want_max.value, want_max.index});
    if (p == 3) CHECK(want_max.index == 0); // ranks 0 and 2 tie at 1
    // ties everywhere: the smallest index
    CHECK(comm.allreduce(std::pair<int, int>{7, r}, mpixx::maxloc) == std::pair<int, int>{7, 0});
    CHECK(comm.allreduce(mpixx::value_index<long>{long(r), r}, mpixx::minloc).index == 0);
    CHECK(comm.allreduce(mpixx::value_index<float>{float(r), r}, mpixx::maxloc).index == p - 1);
    CHECK(comm.allreduce(mpixx::value_index<short>{short(-r), r}, mpixx::minloc).index == p - 1);
    CHECK(comm.allreduce(mpixx::value_index<long double>{1.0L * r, r}, mpixx::maxloc).index == p - 1);
    // element-wise over a buffer of pairs, at a root
    std::vector<mpixx::value_index<int>> pairs{{r, r}, {-r, r}};
    auto at_root = comm.reduce(pairs, mpixx::maxloc, 0);
    if (r == 0) {
        REQUIRE(at_root.size() == 2);
        CHECK(at_root[0] == mpixx::value_index<int>{p - 1, p - 1});
        CHECK(at_root[1] == mpixx::value_index<int>{0, 0});
    } else {
        CHECK(at_root.empty());
    }
    // no MPI pair type for unsigned: the same semantics through a user op
    const int creates = op_creates, frees = op_frees;
    auto u = comm.allreduce(mpixx::value_index<unsigned>{unsigned(r % 2), r}, mpixx::maxloc);
    CHECK(u.value == (p > 1 ? 1u : 0u));
    CHECK(u.index == (p > 1 ? 1 : 0));
    CHECK(op_creates == creates + 1);
    CHECK(op_frees == frees + 1);
}

TEST_CASE("ops: user ops on aggregates and on a user datatype") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    // sum on an aggregate is a user op calling its operator+
    auto s = comm.allreduce(vec3{1.0, double(r), -2.0 * r}, mpixx::sum);
    CHECK(s == vec3{double(p), p * (p - 1) / 2.0, -1.0 * p * (p - 1)});
    std::vector<vec3> many{{1, 0, 0}, {0, double(r), 0}};
    auto sm = comm.allreduce(many, std::plus<>{});
    CHECK(sm == std::vector<vec3>{{double(p), 0, 0}, {0, p * (p - 1) / 2.0, 0}});
    // a lambda on a type with a hand-written datatype
    auto m = comm.allreduce(money{100L * (r + 1), 978}, [](const money& a, const money& b) {
        if (a.currency != b.currency) throw std::runtime_error("currency mismatch");
        return money{a.cents + b.cents, a.currency};
    });
    CHECK(m.cents == 100L * p * (p + 1) / 2);
    CHECK(m.currency == 978);
    // a plain function
    auto gcd_of = [](long a, long b) {
        while (b != 0) a = std::exchange(b, a % b);
        return a;
    };
    long (*fp)(long, long) = +gcd_of;
    CHECK(comm.allreduce(12L * (r + 1), fp) == 12L);
    CHECK(comm.allreduce(12L * (r + 1), mpixx::commutative(fp)) == 12L);
}

TEST_CASE("ops: a stateful callable is seen in its current state on every call (k = 1, 2, 3 -> 2, 4, 6)") {
    auto comm = mpixx::world().dup();
    const int p = comm.size();
    // associative and commutative: a + b + k; every rank contributes 0, so the result is (p - 1) * k
    int k = 0;
    auto by_ref = [&k](int a, int b) { return a + b + k; };
    std::vector<int> got, expected;
    for (k = 1; k <= 3; ++k) {
        got.push_back(comm.allreduce(0, mpixx::commutative(by_ref)));
        expected.push_back((p - 1) * k);
    }
    CHECK(got == expected); // 2, 4, 6 at 3 ranks
    if (p == 3) CHECK(got == std::vector<int>{2, 4, 6});
    // the same with a functor object whose member changes between calls (same type every time)
    struct add_k {
        int k;
        int operator()(int a, int b) const { return a + b + k; }
    } f{0};
    got.clear();
    for (f.k = 1; f.k <= 3; ++f.k) got.push_back(comm.allreduce(0, f));
    CHECK(got == expected);
    // and through reduce, scan and a non-blocking allreduce
    for (k = 1; k <= 3; ++k) {
        const int at_root = comm.reduce(0, by_ref, 0);
        if (comm.rank() == 0) CHECK(at_root == (p - 1) * k);
        CHECK(comm.scan(0, by_ref) == comm.rank() * k);
        auto req = comm.iallreduce(0, by_ref);
        CHECK(req.wait() == (p - 1) * k);
    }
}

TEST_CASE("ops: non-commutative user ops combine in rank order") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    // affine maps x -> (k+1)x + 1 as matrices: the product depends on the order
    auto m_of = [](int k) { return mat2{k + 1, 1, 0, 1}; };
    const mat2 expected = fold<mat2>(p, m_of, std::multiplies<>{});
    CHECK(comm.allreduce(m_of(r), mpixx::prod) == expected);
    CHECK(comm.allreduce(m_of(r), std::multiplies<>{}) == expected);
    CHECK(last_commute == 0); // declared non-commutative
    const mat2 at_last = comm.reduce(m_of(r), mpixx::prod, p - 1);
    if (r == p - 1) CHECK(at_last == expected);
    CHECK(comm.scan(m_of(r), mpixx::prod) == fold<mat2>(r + 1, m_of, std::multiplies<>{}));
    const mat2 ex = comm.exscan(m_of(r), mpixx::prod);
    if (r > 0) CHECK(ex == fold<mat2>(r, m_of, std::multiplies<>{}));
    else CHECK(ex == mat2{0, 0, 0, 0});
    // digit strings: rank r contributes the digit r + 1, so the result reads "123" at 3 ranks
    auto d = comm.allreduce(digits{r + 1, 1}, concat);
    long long want = 0;
    for (int k = 0; k < p; ++k) want = want * 10 + (k + 1);
    CHECK(d == digits{want, p});
    if (p == 3) CHECK(d.value == 123);
    auto ds = comm.allreduce(std::vector<digits>{{r + 1, 1}, {9 - r, 1}}, concat);
    CHECK(ds[0] == digits{want, p});
    // commutative(f) tells MPI so
    (void)comm.allreduce(r, mpixx::commutative([](int a, int b) { return a + b; }));
    CHECK(last_commute == 1);
}

TEST_CASE("ops: an exception thrown by a user op is rethrown where it ran; every other rank throws MPI_ERR_OP") {
    auto comm = mpixx::world().dup();
    const int p = comm.size();
    const int creates = op_creates, frees = op_frees;
    bool threw = false, told = false;
    try {
        (void)comm.allreduce(comm.rank(), [](int, int) -> int { throw std::runtime_error("op failed"); });
    } catch (const mpixx::error& e) { // the op threw elsewhere: no result here either
        told = true;
        CHECK(e.error_class() == MPI_ERR_OP);
        CHECK(std::string(e.what()).find("the reduction op threw on rank") != std::string::npos);
    } catch (const std::runtime_error& e) {
        threw = true;
        CHECK(std::string(e.what()) == "op failed");
    }
    // every rank completed the collective (no hang); the op ran (and threw) on at least one rank, and
    // with more than one rank no rank returned
    CHECK(comm.allreduce(threw, mpixx::lor) == (p > 1));
    CHECK((threw || told) == (p > 1));
    CHECK(op_creates - creates == op_frees - frees);
    // the slot was released: a following user op works
    CHECK(comm.allreduce(1, [](int a, int b) { return a + b; }) == p);
    // and through a request: a rank whose result a throwing combination reached never returns it
    auto req = comm.iallreduce(1, [](int a, int b) -> int {
        if (a + b > 0) throw std::logic_error("nope");
        return a + b;
    });
    bool req_threw = false, req_told = false;
    try {
        (void)req.wait();
    } catch (const mpixx::error& e) {
        req_told = e.error_class() == MPI_ERR_OP;
    } catch (const std::logic_error&) {
        req_threw = true;
    }
    CHECK(comm.allreduce(req_threw, mpixx::lor) == (p > 1));
    CHECK((req_threw || req_told) == (p > 1)); // every combination throws: every result is reached
}

TEST_CASE("ops: every MPI_Op a user op creates is freed, blocking, non-blocking and on errors (PMPI)") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const int creates = op_creates, frees = op_frees;
    auto plus = [](int a, int b) { return a + b; };
    CHECK(comm.allreduce(r, plus) == p * (p - 1) / 2);
    std::vector<int> out(2);
    comm.allreduce(std::vector<int>{1, r}, out, plus);
    CHECK(out == std::vector<int>{p, p * (p - 1) / 2});
    comm.allreduce(mpixx::in_place, out, plus);
    CHECK(out[0] == p * p);
    const int red = comm.reduce(r, plus, 0);
    if (r == 0) CHECK(red == p * (p - 1) / 2);
    CHECK(comm.reduce_scatter_block(std::vector<int>(size_t(p), 1), plus) == std::vector<int>{p});
    {
        auto a = comm.iallreduce(r, plus);
        int into = 0;
        auto b = comm.iallreduce(r, into, plus); // into-buffer with a user op: the request keeps the op
        auto c = comm.iscan(1, plus);
        CHECK(c.wait() == r + 1);
        b.wait();
        CHECK(into == p * (p - 1) / 2);
        CHECK(a.wait() == p * (p - 1) / 2);
        auto dropped = comm.iexscan(1, plus); // never waited: the destructor waits and frees the op
    }
    // errors after argument checks, before MPI: nothing created, or everything freed
    std::vector<int> small(1);
    CHECK_THROWS_AS(comm.allreduce(std::vector<int>{1, 2}, small, plus), mpixx::error);
    CHECK_THROWS_AS(comm.reduce(r, plus, p), mpixx::error);
    CHECK(op_creates - creates == op_frees - frees);
    CHECK(op_creates - creates >= 9);
}

TEST_CASE("ops: more user ops in flight than slots is an mpixx::error, not a crash") {
    auto comm = mpixx::world().dup();
    const int p = comm.size();
    auto plus = [](int a, int b) { return a + b; };
    std::vector<mpixx::request<int>> pending;
    bool failed = false;
    try {
        for (std::size_t i = 0; i < mpixx::detail::op_slot_count + 1; ++i) pending.push_back(comm.iallreduce(1, plus));
    } catch (const mpixx::error& e) {
        failed = true;
        CHECK(e.error_class() == MPI_ERR_OP);
    }
    CHECK(failed); // every rank stops at the same call: the collectives started still match
    CHECK(pending.size() == mpixx::detail::op_slot_count);
    for (auto& q : pending) CHECK(q.wait() == p);
    pending.clear();
    CHECK(comm.allreduce(1, plus) == p);
}

TEST_CASE("ops: the user-op trampolines apply the callable, int and large-count (MPI_Reduce_local)") {
    auto comm = mpixx::world().dup();
    // inout[i] = f(in[i], inout[i]): `in` holds the lower ranks' contribution
    auto f = [](int a, int b) { return a * 10 + b; };
    {
        mpixx::detail::user_op<decltype(f), int> op(f, false, false);
        int in[2] = {1, 2}, inout[2] = {3, 4};
        MPIXX_CALL(MPI_Reduce_local, in, inout, 2, MPI_INT, op.handle());
        CHECK(inout[0] == 13);
        CHECK(inout[1] == 24);
    }
#if MPI_VERSION >= 4
    {
        const int creates = op_creates;
        mpixx::detail::user_op<decltype(f), int> op(f, true, true); // MPI_Op_create_c
        CHECK(op_creates == creates + 1);
        CHECK(last_commute == 1);
        int in[3] = {1, 2, 3}, inout[3] = {4, 5, 6};
        MPIXX_CALL(MPI_Reduce_local_c, in, inout, MPI_Count{3}, MPI_INT, op.handle());
        CHECK(inout[2] == 36);
    }
#endif
}

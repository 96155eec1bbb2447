// Tests of mpixx/layout.hpp and mpixx/md_view.hpp: layouts and layout views in point-to-point
// (blocking, non-blocking, persistent), raw datatypes, bad input, and datatype handle counts (PMPI:
// every layout's datatype is committed at most once and freed with its last copy).
#include "mpixx_test.hpp"

#include "error_class.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/layout.hpp>
#include <mpixx/md_view.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <numeric>
#include <span>
#include <vector>

// ---- PMPI interposition: count datatype commits and frees ----------------------------------------------
namespace {
int commits = 0;
int frees = 0;
} // namespace

// Allocations counted while `counting` (operator new replaced; not under AddressSanitizer, which owns it).
#if defined(__SANITIZE_ADDRESS__)
#define MPIXX_TEST_COUNT_NEW 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MPIXX_TEST_COUNT_NEW 0
#endif
#endif
#ifndef MPIXX_TEST_COUNT_NEW
#define MPIXX_TEST_COUNT_NEW 1
#endif
namespace {
bool counting = false;
int allocations = 0;
int mpi_sends = 0;
} // namespace
#if MPIXX_TEST_COUNT_NEW
// g++ -O2 sees the replaced operator delete's free() meet the replaced operator new's malloc() and calls it a
// mismatch (-Wmismatched-new-delete); both are replaced together, so they do match.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
    if (counting) ++allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

extern "C" {
int MPI_Send(const void* b, int n, MPI_Datatype t, int dest, int tag, MPI_Comm c) {
    ++mpi_sends;
    return PMPI_Send(b, n, t, dest, tag, c);
}
int MPI_Type_commit(MPI_Datatype* t) {
    ++commits;
    return PMPI_Type_commit(t);
}
int MPI_Type_free(MPI_Datatype* t) {
    ++frees;
    return PMPI_Type_free(t);
}
}

namespace {

using mpixx_test::error_class_of;

int right_of(const mpixx::communicator& c) { return (c.rank() + 1) % c.size(); }
int left_of(const mpixx::communicator& c) { return (c.rank() + c.size() - 1) % c.size(); }

/// An n x m row-major matrix whose element (i, j) is base + i * m + j.
std::vector<double> matrix(int n, int m, double base) {
    std::vector<double> a(static_cast<std::size_t>(n * m));
    std::iota(a.begin(), a.end(), base);
    return a;
}

} // namespace

TEST_CASE("layout: a datatype is built once on first use, shared by copies, freed with the last copy (PMPI)") {
    const int c0 = commits, f0 = frees;
    {
        mpixx::vector_layout<double> col(4, 1, 4);
        CHECK(commits == c0); // built on first use only
        const MPI_Datatype t = col.native();
        CHECK(commits == c0 + 1);
        auto copy = col;
        mpixx::layout<double> erased = col;
        CHECK(copy.native() == t);
        CHECK(erased.native() == t);
        CHECK(commits == c0 + 1);
        int size = 0;
        MPI_Type_size(t, &size);
        CHECK(size == 4 * static_cast<int>(sizeof(double)));
        CHECK(col.size() == 4);
        MPI_Aint lb = 0, extent = 0;
        MPI_Type_get_extent(t, &lb, &extent);
        CHECK(col.extent() == extent);
        CHECK(frees == f0);
    }
    CHECK(frees == f0 + 1);
    {
        mpixx::contiguous_layout<int> never_used(3); // never built: nothing to free
    }
    CHECK(commits == c0 + 1);
    CHECK(frees == f0 + 1);
}

TEST_CASE("layout: a view send is one MPI_Send of the cached datatype, with no allocation (PMPI, operator new)") {
    auto comm = mpixx::world().dup();
    std::vector<double> a(64, 1.0);
    const mpixx::vector_layout<double> col(8, 1, 8);
    const auto v = mpixx::layout_view(a.data() + 3, col);
    comm.send(v, mpixx::proc_null, 0); // first use builds the datatype
    const int c0 = commits, s0 = mpi_sends;
    counting = true;
    allocations = 0;
    for (int i = 0; i < 10; ++i) comm.send(v, mpixx::proc_null, 0);
    comm.send(mpixx::layout_view(a.data() + 2, col), mpixx::proc_null, 0); // a temporary view: no allocation either
    counting = false;
    CHECK(mpi_sends == s0 + 11);
    CHECK(commits == c0);
    if (MPIXX_TEST_COUNT_NEW) CHECK(allocations == 0);
}

TEST_CASE("layout: analytic extents agree with MPI's") {
    auto ext = [](const auto& l) {
        MPI_Aint lb = 0, e = 0;
        MPI_Type_get_extent(l.native(), &lb, &e);
        return static_cast<std::ptrdiff_t>(e);
    };
    mpixx::vector_layout<int> v(3, 2, 5);
    CHECK(v.extent() == ext(v));
    mpixx::vector_layout<int> neg(3, 1, -4);
    CHECK(neg.extent() == ext(neg));
    CHECK(neg.true_lb() == -8 * static_cast<std::ptrdiff_t>(sizeof(int)));
    mpixx::subarray_layout<double> s({4, 5}, {2, 3}, {1, 1});
    CHECK(s.extent() == 20 * static_cast<std::ptrdiff_t>(sizeof(double)));
    CHECK(s.extent() == ext(s));
    CHECK(s.size() == 6);
    mpixx::hvector_layout<short> h(2, 3, 20);
    CHECK(h.extent() == ext(h));
    mpixx::resized_layout r(v, 0, 4);
    CHECK(r.extent() == 4);
    CHECK(ext(r) == 4);
}

TEST_CASE("layout: a matrix column travels as one strided vector (blocking p2p)") {
    auto comm = mpixx::world().dup();
    const int n = 6;
    auto a = matrix(n, n, 100.0 * comm.rank());
    std::vector<double> b(n * n, -1.0);
    const mpixx::vector_layout<double> col(n, 1, n);
    // send column 2 to the right, receive the left neighbour's column 2 into our column 4
    comm.sendrecv(mpixx::layout_view(a.data() + 2, col), right_of(comm), 0, mpixx::layout_view(b.data() + 4, col),
                  left_of(comm), 0);
    const double base = 100.0 * left_of(comm);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) CHECK(b[i * n + j] == (j == 4 ? base + i * n + 2 : -1.0));
    // a column received into a contiguous vector: the same type signature (n doubles)
    if (comm.size() >= 2) {
        if (comm.rank() == 0) {
            comm.send(mpixx::layout_view(std::as_const(a).data() + 1, col), 1, 3); // a const view: send-only
        } else if (comm.rank() == 1) {
            std::vector<double> c(n);
            comm.recv(c, 0, 3);
            for (int i = 0; i < n; ++i) CHECK(c[i] == i * n + 1);
        }
    }
}

TEST_CASE("layout: sub-blocks of 2-D and faces of 3-D arrays through md_view and subarray") {
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), to = right_of(comm), from = left_of(comm);
    // a 5x6 block of an 8x9 matrix
    auto a = matrix(8, 9, 1000.0 * r);
    std::vector<double> b(8 * 9, 0.0);
    comm.sendrecv(mpixx::subarray(a.data(), {8, 9}, {5, 6}, {2, 1}), to, 1, mpixx::subarray(b.data(), {8, 9}, {5, 6}, {3, 3}),
                  from, 1);
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 9; ++j) {
            const bool in = i >= 3 && i < 8 && j >= 3 && j < 9;
            CHECK(b[i * 9 + j] == (in ? 1000.0 * from + (i - 1) * 9 + (j - 2) : 0.0));
        }
    // md_view: column, row, block
    mpixx::md_view<double, 2> g(a.data(), {8, 9});
    std::vector<double> c(8 * 9, 0.0);
    mpixx::md_view<double, 2> h(c.data(), {8, 9});
    comm.sendrecv(g.column(7), to, 2, h.column(0), from, 2);
    comm.sendrecv(g.row(5), to, 3, h.row(1), from, 3);
    comm.sendrecv(g.block({4, 4}, {2, 2}), to, 4, h.block({6, 7}, {2, 2}), from, 4);
    const double fb = 1000.0 * from;
    for (int i = 0; i < 8; ++i) CHECK(c[i * 9 + 0] == (i == 1 ? fb + 5 * 9 + 0 : fb + i * 9 + 7));
    for (int j = 1; j < 9; ++j) CHECK(c[1 * 9 + j] == fb + 5 * 9 + j);
    CHECK(c[6 * 9 + 7] == fb + 4 * 9 + 4);
    CHECK(c[7 * 9 + 8] == fb + 5 * 9 + 5);
    // faces of a 3-D block (4 x 5 x 6): every dimension, both ends
    const int nz = 4, ny = 5, nx = 6;
    std::vector<int> u(nz * ny * nx), w(nz * ny * nx, -1);
    std::iota(u.begin(), u.end(), 10000 * r);
    mpixx::md_view<int, 3> U(u.data(), {nz, ny, nx}), W(w.data(), {nz, ny, nx});
    for (std::size_t dim = 0; dim < 3; ++dim) {
        std::fill(w.begin(), w.end(), -1);
        const std::ptrdiff_t last = U.extent(dim) - 1;
        comm.sendrecv(U.face(dim, 1), to, 5, W.face(dim, last), from, 5);
        for (int z = 0; z < nz; ++z)
            for (int y = 0; y < ny; ++y)
                for (int x = 0; x < nx; ++x) {
                    std::array<int, 3> idx{z, y, x};
                    const bool on = idx[dim] == last;
                    auto src = idx;
                    src[dim] = 1;
                    CHECK(W(z, y, x) == (on ? 10000 * from + (src[0] * ny + src[1]) * nx + src[2] : -1));
                }
    }
    // a two-plane-thick face (ghost width 2) through mpixx::subarray on an md_view
    std::fill(w.begin(), w.end(), -1);
    comm.sendrecv(mpixx::subarray<3>(U, {nz, ny, 2}, {0, 0, 2}), to, 6, mpixx::subarray<3>(W, {nz, ny, nx}, {nz, ny, 2}, {0, 0, 4}),
                  from, 6);
    for (int z = 0; z < nz; ++z)
        for (int y = 0; y < ny; ++y)
            for (int x = 0; x < nx; ++x)
                CHECK(W(z, y, x) == (x >= 4 ? 10000 * from + (z * ny + y) * nx + (x - 2) : -1));
}

TEST_CASE("layout: indexed, indexed-block, struct, resized and raw layouts") {
    auto comm = mpixx::world().dup();
    const int to = right_of(comm), from = left_of(comm);
    std::vector<int> a(20);
    std::iota(a.begin(), a.end(), 100 * comm.rank());
    // indexed: blocks {2 at 1, 3 at 10, 1 at 18}
    const mpixx::indexed_layout<int> idx({2, 3, 1}, {1, 10, 18});
    CHECK(idx.size() == 6);
    std::vector<int> b(20, -1);
    comm.sendrecv(mpixx::layout_view(a, idx), to, 0, mpixx::layout_view(b, idx), from, 0);
    for (int i = 0; i < 20; ++i) {
        const bool in = i == 1 || i == 2 || (i >= 10 && i < 13) || i == 18;
        CHECK(b[i] == (in ? 100 * from + i : -1));
    }
    // indexed-block: 2 elements at 0, 5, 15, received contiguously
    const mpixx::indexed_block_layout<int> ib(2, {0, 5, 15});
    std::vector<int> c(6, -1);
    comm.sendrecv(mpixx::layout_view(a, ib), to, 1, c, from, 1);
    CHECK(c == std::vector<int>{100 * from + 0, 100 * from + 1, 100 * from + 5, 100 * from + 6, 100 * from + 15,
                                100 * from + 16});
    // struct: a record of 3 doubles and 2 ints, only some of its fields
    struct rec {
        double x[3];
        int id[2];
        char pad[5];
    };
    const mpixx::struct_layout sl{{offsetof(rec, x), mpixx::contiguous_layout<double>(2)},
                                  {offsetof(rec, id), mpixx::contiguous_layout<int>(1), 2}};
    rec in[3]{}, out[3]{};
    for (int k = 0; k < 3; ++k) in[k] = rec{{k + 0.5, k + 1.5, k + 2.5}, {k * 10 + comm.rank(), -k}, {}};
    const mpixx::resized_layout sr(sl, 0, sizeof(rec)); // arrays of rec
    comm.sendrecv(mpixx::layout_view(in, sr, 3), to, 2, mpixx::layout_view(out, sr, 3), from, 2);
    for (int k = 0; k < 3; ++k) {
        CHECK(out[k].x[0] == k + 0.5);
        CHECK(out[k].x[1] == k + 1.5);
        CHECK(out[k].x[2] == 0.0); // not in the layout
        CHECK(out[k].id[0] == k * 10 + from);
        CHECK(out[k].id[1] == -k);
    }
    // resized column of a 4x4 matrix: 4 columns received as 4 instances one double apart (a transpose)
    auto m = matrix(4, 4, 0.0);
    std::vector<double> t(16, -1.0);
    const mpixx::resized_layout colr(mpixx::vector_layout<double>(4, 1, 4), 0, sizeof(double));
    comm.sendrecv(m, to, 3, mpixx::layout_view(t, colr, 4), from, 3);
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) CHECK(t[j * 4 + i] == m[i * 4 + j]);
    // raw: the user's own MPI datatype (every third int, 4 of them)
    MPI_Datatype every3 = MPI_DATATYPE_NULL;
    MPI_Type_vector(4, 1, 3, MPI_INT, &every3);
    MPI_Type_commit(&every3);
    std::vector<int> d(12, -1);
    comm.sendrecv(mpixx::raw(a.data(), 1, every3), to, 4, mpixx::raw(d.data(), 1, every3), from, 4);
    for (int i = 0; i < 12; ++i) CHECK(d[i] == (i % 3 == 0 ? 100 * from + i : -1));
    MPI_Type_free(&every3);
}

TEST_CASE("layout: non-blocking and persistent point-to-point with views") {
    auto comm = mpixx::world().dup();
    const int n = 5, to = right_of(comm), from = left_of(comm);
    auto a = matrix(n, n, 10.0 * comm.rank());
    std::vector<double> b(n * n, 0.0);
    mpixx::md_view<double, 2> A(a.data(), {n, n}), B(b.data(), {n, n});
    {
        auto rr = comm.irecv(B.column(0), from, 7); // temporaries: borrowed views, the layout outlives nothing
        auto sr = comm.isend(A.column(3), to, 7);
        sr.wait();
        rr.wait();
    }
    for (int i = 0; i < n; ++i) CHECK(b[i * n] == 10.0 * from + i * n + 3);
    // persistent: the datatype of a temporary view stays alive inside MPI while the request lives
    auto ps = comm.send_init(A.row(2), to, 8);
    auto pr = comm.recv_init(B.row(4), from, 8);
    for (int round = 0; round < 3; ++round) {
        a[2 * n] = 1000.0 * round + comm.rank();
        pr.start();
        ps.start();
        ps.wait();
        pr.wait();
        CHECK(b[4 * n] == 1000.0 * round + from);
        for (int j = 1; j < n; ++j) CHECK(b[4 * n + j] == 10.0 * from + 2 * n + j);
    }
}

TEST_CASE("layout: a receive into a view that holds fewer elements than the message is MPI_ERR_TRUNCATE") {
    auto comm = mpixx::world().dup();
    if (comm.size() < 2 || comm.rank() > 1) return;
    std::vector<double> a(16, 1.0);
    if (comm.rank() == 0) {
        comm.send(a, 1, 0); // 16 doubles
    } else {
        const mpixx::vector_layout<double> col(4, 1, 4);
        CHECK(error_class_of([&] { comm.recv(mpixx::layout_view(a, col), 0, 0); }) == MPI_ERR_TRUNCATE);
    }
}

TEST_CASE("layout: bad input is refused before MPI sees it") {
    using mpixx_test::error_class_of;
    CHECK(error_class_of([] { mpixx::subarray_layout<int>({4, 4}, {3, 2}, {2, 0}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::subarray_layout<int>({4, 4}, {2}, {0, 0}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::subarray_layout<int>({4, -4}, {2, 2}, {0, 0}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::subarray_layout<int>({4, 4}, {2, 2}, {-1, 0}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::vector_layout<int>(-1, 1, 2); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::vector_layout<int>(2, -1, 2); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::contiguous_layout<int>(-3); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::indexed_layout<int>({1, 2}, {0}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::indexed_layout<int>({1, -2}, {0, 4}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::indexed_block_layout<int>(-1, {0, 4}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::resized_layout(mpixx::contiguous_layout<int>(2), 0, -8); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] { mpixx::raw(static_cast<void*>(nullptr), -1, MPI_INT); }) == MPI_ERR_COUNT);
    CHECK(error_class_of([] { mpixx::raw(static_cast<void*>(nullptr), 1, MPI_DATATYPE_NULL); }) == MPI_ERR_TYPE);
    std::vector<int> v(16);
    // a view checked against its memory: a layout reaching past the range
    CHECK(error_class_of([&] { mpixx::layout_view(v, mpixx::vector_layout<int>(4, 1, 6)); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { mpixx::layout_view(v, mpixx::vector_layout<int>(4, 1, 5)); }) == MPI_SUCCESS);
    CHECK(error_class_of([&] { mpixx::layout_view(v, mpixx::contiguous_layout<int>(4), 5); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { mpixx::layout_view(v, mpixx::vector_layout<int>(2, 1, -2)); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { mpixx::layout_view(v, mpixx::contiguous_layout<int>(1), -1); }) == MPI_ERR_ARG);
    mpixx::md_view<int, 2> g(v.data(), {4, 4});
    CHECK(error_class_of([&] { (void)g.column(4); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)g.row(-1); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)g.block({3, 3}, {2, 1}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)g.face(2, 0); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::subarray<2>(g, {4, 5}, {1, 1}, {0, 0}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)mpixx::subarray(v.data(), {4, 4}, {1, 5}, {0, 0}); }) == MPI_ERR_ARG);
}

// ---- collectives -----------------------------------------------------------------------------------------

TEST_CASE("layout collectives: bcast, gather, scatter and allgather of columns") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank(), n = 4;
    const mpixx::vector_layout<double> col(n, 1, n); // a column of an n x n matrix
    // bcast: the root's column 2 lands in every rank's column 2
    auto a = matrix(n, n, 100.0 * me);
    comm.bcast(mpixx::layout_view(a.data() + 2, col), p - 1);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) CHECK(a[i * n + j] == (j == 2 ? 100.0 * (p - 1) : 100.0 * me) + i * n + j);

    // gather: each rank's column 1 into a packed vector, into columns of an n x p matrix, and by value
    const auto m = matrix(n, n, 100.0 * me);
    const auto mine = mpixx::layout_view(m.data() + 1, col);
    std::vector<double> packed(static_cast<std::size_t>(n * p), -1.0);
    comm.gather(mine, packed, 0);
    std::vector<double> cols(static_cast<std::size_t>(n * p), -1.0); // n rows, p columns: rank r's column is r
    const mpixx::resized_layout pcol(mpixx::vector_layout<double>(n, 1, p), 0, sizeof(double));
    comm.gather(mine, mpixx::layout_view(cols.data(), pcol, p), 0);
    const auto value = comm.gather(mine, 0);
    if (me == 0) {
        REQUIRE(value.size() == static_cast<std::size_t>(n * p));
        for (int r = 0; r < p; ++r)
            for (int i = 0; i < n; ++i) {
                CHECK(packed[r * n + i] == 100.0 * r + i * n + 1);
                CHECK(value[r * n + i] == 100.0 * r + i * n + 1);
                CHECK(cols[i * p + r] == 100.0 * r + i * n + 1);
            }
    } else {
        CHECK(value.empty());
    }
    // non-blocking gather into columns
    std::fill(cols.begin(), cols.end(), -1.0);
    comm.igather(mine, mpixx::layout_view(cols.data(), pcol, p), 0).wait();
    if (me == 0)
        for (int r = 0; r < p; ++r)
            for (int i = 0; i < n; ++i) CHECK(cols[i * p + r] == 100.0 * r + i * n + 1);

    // scatter: the root's n x p matrix, column r to rank r (into a contiguous vector and into a column)
    std::vector<double> src(static_cast<std::size_t>(n * p));
    for (int i = 0; i < n; ++i)
        for (int r = 0; r < p; ++r) src[i * p + r] = 1000.0 * r + i;
    std::vector<double> got(n, -1.0);
    comm.scatter(mpixx::layout_view(std::as_const(src).data(), pcol, p), got, 0);
    for (int i = 0; i < n; ++i) CHECK(got[i] == 1000.0 * me + i);
    auto b = matrix(n, n, 0.0);
    comm.iscatter(mpixx::layout_view(std::as_const(src).data(), pcol, p), mpixx::layout_view(b.data() + 3, col), 0).wait();
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) CHECK(b[i * n + j] == (j == 3 ? 1000.0 * me + i : i * n + j));

    // allgather: every rank's contiguous row of n into the columns of everyone's n x p matrix
    std::vector<double> row(n);
    for (int i = 0; i < n; ++i) row[i] = 10.0 * me + i;
    std::fill(cols.begin(), cols.end(), -1.0);
    comm.allgather(row, mpixx::layout_view(cols.data(), pcol, p));
    for (int r = 0; r < p; ++r)
        for (int i = 0; i < n; ++i) CHECK(cols[i * p + r] == 10.0 * r + i);
    std::fill(cols.begin(), cols.end(), -1.0);
    comm.iallgather(row, mpixx::layout_view(cols.data(), pcol, p)).wait();
    for (int r = 0; r < p; ++r)
        for (int i = 0; i < n; ++i) CHECK(cols[i * p + r] == 10.0 * r + i);
    // allgather of a column, by value: the columns packed in rank order
    const auto all = comm.allgather(mine);
    REQUIRE(all.size() == static_cast<std::size_t>(n * p));
    for (int r = 0; r < p; ++r)
        for (int i = 0; i < n; ++i) CHECK(all[r * n + i] == 100.0 * r + i * n + 1);
}

TEST_CASE("layout collectives: alltoall and alltoallw transpose blocks without packing") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank(), k = 3;
    // A: k rows x p columns on every rank; column j goes to rank j (a resized column per block)
    std::vector<int> a(static_cast<std::size_t>(k * p));
    for (int t = 0; t < k; ++t)
        for (int j = 0; j < p; ++j) a[t * p + j] = 10000 * me + 100 * t + j;
    const mpixx::resized_layout colk(mpixx::vector_layout<int>(k, 1, p), 0, sizeof(int));
    std::vector<int> got(static_cast<std::size_t>(k * p), -1);
    comm.alltoall(mpixx::layout_view(std::as_const(a).data(), colk, p), got);
    for (int i = 0; i < p; ++i)
        for (int t = 0; t < k; ++t) CHECK(got[i * k + t] == 10000 * i + 100 * t + me);
    // and back: contiguous blocks into the columns of a k x p matrix
    std::vector<int> back(static_cast<std::size_t>(k * p), -1);
    comm.ialltoall(got, mpixx::layout_view(back.data(), colk, p)).wait();
    CHECK(back == a); // transposed twice

    // alltoallw: one view per peer, of different layouts: column j to rank j, row i from rank i
    std::vector<mpixx::layout_view<const int, mpixx::layout<int>>> sends;
    std::vector<mpixx::layout_view<int, mpixx::layout<int>>> recvs;
    std::vector<int> rows(static_cast<std::size_t>(p * k), -1); // p rows of k
    for (int j = 0; j < p; ++j) {
        sends.emplace_back(a.data() + j, mpixx::vector_layout<int>(k, 1, p));
        recvs.emplace_back(rows.data() + j * k, mpixx::contiguous_layout<int>(k));
    }
    comm.alltoallw(sends, recvs);
    for (int i = 0; i < p; ++i)
        for (int t = 0; t < k; ++t) CHECK(rows[i * k + t] == 10000 * i + 100 * t + me);
    std::fill(rows.begin(), rows.end(), -1);
    comm.ialltoallw(sends, recvs).wait();
    for (int i = 0; i < p; ++i)
        for (int t = 0; t < k; ++t) CHECK(rows[i * k + t] == 10000 * i + 100 * t + me);
}

// MPI defines its built-in ops on built-in datatypes only (MPICH refuses MPI_SUM on a vector of doubles):
// reductions take no layout views, at compile time.
template <class C, class V>
concept allreduce_of_views = requires(const C& c, V v) { c.allreduce(v, v, mpixx::sum); };
template <class C, class V>
concept iallreduce_in_place = requires(const C& c, V v) { c.iallreduce(mpixx::in_place, v, mpixx::sum); };
template <class C, class V>
concept reduce_value = requires(const C& c, V v) { c.reduce(v, mpixx::sum, 0); };
using column_view = mpixx::layout_view<double, mpixx::vector_layout<double>>;
static_assert(!allreduce_of_views<mpixx::communicator, column_view>);
static_assert(!iallreduce_in_place<mpixx::communicator, column_view>);
static_assert(!reduce_value<mpixx::communicator, column_view>);
static_assert(allreduce_of_views<mpixx::communicator, std::span<double>>);

TEST_CASE("layout collectives: mismatched views are refused on every rank before MPI sees them") {
    auto comm = mpixx::world().dup();
    const int p = comm.size();
    std::vector<double> x(8, 1.0), y(64, 0.0);
    const mpixx::vector_layout<double> col(4, 1, 2), col2(4, 1, 2);
    // an allgather receive view whose blocks carry 2 elements where 4 arrive: truncation
    const mpixx::resized_layout two(mpixx::contiguous_layout<double>(2), 0, 2 * sizeof(double));
    CHECK(error_class_of([&] { comm.allgather(mpixx::layout_view(x, col), mpixx::layout_view(y, two, p)); }) ==
          MPI_ERR_TRUNCATE);
    if (p > 1) // a receive view whose count does not split into one block per rank
        CHECK(error_class_of([&] { comm.allgather(mpixx::layout_view(x, col), mpixx::layout_view(y, col, p + 1)); }) ==
              MPI_ERR_COUNT);
    // alltoall: a send view that does not split
    if (p > 1)
        CHECK(error_class_of([&] { comm.alltoall(mpixx::layout_view(x, mpixx::contiguous_layout<double>(1), 1), y); }) ==
              MPI_ERR_COUNT);
    comm.barrier();
}

TEST_CASE("layout: sendrecv_replace, matched receives, v-collectives and raw in a collective") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), me = comm.rank(), n = 4, to = right_of(comm), from = left_of(comm);
    const mpixx::vector_layout<double> col(n, 1, n);
    // sendrecv_replace of a column: the left neighbour's column 1 replaces ours
    auto a = matrix(n, n, 100.0 * me);
    comm.sendrecv_replace(mpixx::layout_view(a.data() + 1, col), to, 0, from, 0);
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) CHECK(a[i * n + j] == (j == 1 ? 100.0 * from : 100.0 * me) + i * n + j);
    // a matched message received into a view
    {
        auto r = comm.isend(std::vector<double>{1.0, 2.0, 3.0, 4.0}, to, 1);
        auto m = comm.mprobe(from, 1);
        auto b = matrix(n, n, 0.0);
        m.recv(mpixx::layout_view(b.data() + 3, col));
        r.wait();
        for (int i = 0; i < n; ++i) CHECK(b[i * n + 3] == i + 1.0);
    }
    // gatherv: every rank sends its column 0; the root stores rank r's as column r of an n x p matrix
    std::vector<double> cols(static_cast<std::size_t>(n * p), -1.0);
    const mpixx::resized_layout one_col(mpixx::vector_layout<double>(n, 1, p), 0, sizeof(double));
    const auto m = matrix(n, n, 100.0 * me);
    std::vector<int> counts(static_cast<std::size_t>(p)), displs(static_cast<std::size_t>(p));
    for (int r = 0; r < p; ++r) counts[r] = 1, displs[r] = r; // one column item per rank, column r
    comm.gatherv(mpixx::layout_view(m.data(), col), mpixx::layout_view(cols.data(), one_col, p), counts, displs, 0);
    if (me == 0)
        for (int r = 0; r < p; ++r)
            for (int i = 0; i < n; ++i) CHECK(cols[i * p + r] == 100.0 * r + i * n);
    // scatterv back: column r of the root's matrix to rank r, into a contiguous vector
    std::vector<double> mine(n, -1.0);
    comm.scatterv(mpixx::layout_view(std::as_const(cols).data(), one_col, p), counts, displs, mine, 0);
    if (me != 0 || p == 1)
        for (int i = 0; i < n; ++i) CHECK(mine[i] == 100.0 * me + i * n);
    // raw in a collective: the user's struct type broadcast
    struct pt {
        int id;
        double x;
    };
    MPI_Datatype pt_type = MPI_DATATYPE_NULL;
    const int lens[2] = {1, 1};
    const MPI_Aint disp[2] = {offsetof(pt, id), offsetof(pt, x)};
    const MPI_Datatype types[2] = {MPI_INT, MPI_DOUBLE};
    MPI_Type_create_struct(2, lens, disp, types, &pt_type);
    MPI_Type_commit(&pt_type);
    pt pts[3] = {{me, me + 0.5}, {me * 2, 1.5}, {-1, -1.0}};
    comm.bcast(mpixx::raw(pts, 2, pt_type), p - 1);
    CHECK(pts[0].id == p - 1);
    CHECK(pts[0].x == p - 1 + 0.5);
    CHECK(pts[1].id == 2 * (p - 1));
    CHECK(pts[2].id == -1);
    // raw send into a typed receive: a raw vector of ints gathered into a vector<int> (sizes in bytes)
    MPI_Datatype every2 = MPI_DATATYPE_NULL;
    MPI_Type_vector(3, 1, 2, MPI_INT, &every2);
    MPI_Type_commit(&every2);
    const std::vector<int> six{me, -1, me + 1, -1, me + 2, -1};
    const auto all = [&] {
        std::vector<int> out(static_cast<std::size_t>(3 * p));
        comm.allgather(mpixx::raw(six.data(), 1, every2), out);
        return out;
    }();
    for (int r = 0; r < p; ++r)
        for (int k = 0; k < 3; ++k) CHECK(all[r * 3 + k] == r + k);
    MPI_Type_free(&every2);
    MPI_Type_free(&pt_type);
}

namespace {

/// A layout buffer that OWNS its memory (borrowed = false): a request must own it, or refuse it.
struct owning_column {
    using element_type = double;
    static constexpr bool borrowed = false;
    std::vector<double> storage = std::vector<double>(16, 0.0);
    mpixx::vector_layout<double> col{4, 1, 4};
    [[nodiscard]] double* data() const noexcept { return const_cast<double*>(storage.data()); }
    [[nodiscard]] std::size_t count() const noexcept { return 1; }
    [[nodiscard]] MPI_Datatype native() const { return col.native(); }
    [[nodiscard]] std::size_t unit() const noexcept { return col.size(); }
};

template <class C, class B>
concept can_send_init = requires(const C& c, B&& b) { c.send_init(std::forward<B>(b), 0); };
template <class C, class B>
concept can_recv_init = requires(const C& c, B&& b) { c.recv_init(std::forward<B>(b), 0); };
template <class C, class B>
concept can_irecv = requires(const C& c, B&& b) { c.irecv(std::forward<B>(b), 0); };

using view_t = mpixx::layout_view<double, mpixx::vector_layout<double>>;
static_assert(mpixx::layout_buffer<view_t> && mpixx::borrowable<view_t> && mpixx::borrowable<view_t&&>);
static_assert(mpixx::recv_target<view_t> && mpixx::recv_target<const view_t&>);
static_assert(mpixx::send_buffer<mpixx::layout_view<const double, mpixx::vector_layout<double>>>);
static_assert(!mpixx::recv_buffer<mpixx::layout_view<const double, mpixx::vector_layout<double>>>);
static_assert(mpixx::borrowable<mpixx::raw_view<void>> && mpixx::recv_target<mpixx::raw_view<void>>);
static_assert(!mpixx::recv_buffer<mpixx::raw_view<const void>>);
// an owning layout buffer: borrowed only as an lvalue; a temporary is refused where a request cannot own it
static_assert(mpixx::layout_buffer<owning_column> && !mpixx::borrowable<owning_column>);
static_assert(mpixx::borrowable<owning_column&>);
static_assert(!can_send_init<mpixx::communicator, owning_column>);
static_assert(can_send_init<mpixx::communicator, owning_column&>);
static_assert(!can_recv_init<mpixx::communicator, owning_column>);
static_assert(!can_irecv<mpixx::communicator, owning_column>);
static_assert(can_send_init<mpixx::communicator, view_t>); // a temporary view is borrowed: fine
// a view is never made over a temporary container (it would dangle); over an lvalue or a span it is
using int_view = mpixx::layout_view<int, mpixx::contiguous_layout<int>>;
static_assert(!std::constructible_from<int_view, std::vector<int>&&, mpixx::contiguous_layout<int>>);
static_assert(std::constructible_from<int_view, std::vector<int>&, mpixx::contiguous_layout<int>>);
static_assert(std::constructible_from<int_view, std::span<int>, mpixx::contiguous_layout<int>>);

} // namespace

TEST_CASE("layout: a temporary owning layout buffer is moved into the request; a temporary view is borrowed") {
    auto comm = mpixx::world().dup();
    const int to = right_of(comm), from = left_of(comm);
    owning_column src;
    for (int i = 0; i < 16; ++i) src.storage[i] = 100.0 * comm.rank() + i;
    std::vector<double> got(4, -1.0);
    auto rr = comm.irecv(got, from, 0);
    auto sr = comm.isend(std::move(src), to, 0); // request<owning_column>: owns the memory until wait()
    rr.wait();
    owning_column back = sr.wait();
    CHECK(back.storage.size() == 16);
    for (int i = 0; i < 4; ++i) CHECK(got[i] == 100.0 * from + 4 * i);
}

namespace {

/// A stand-in for C++23 std::mdspan<int, dextents<size_t, 2>, layout_stride> (g++ 12 has no <mdspan>):
/// only its shape (rank(), extents().extent(r), stride(r), data_handle()).
struct fake_mdspan {
    struct ext {
        std::size_t e[2];
        [[nodiscard]] std::size_t extent(std::size_t r) const { return e[r]; }
    };
    int* p;
    ext x;
    std::size_t s[2];
    [[nodiscard]] static constexpr std::size_t rank() { return 2; }
    [[nodiscard]] const ext& extents() const { return x; }
    [[nodiscard]] std::size_t stride(std::size_t r) const { return s[r]; }
    [[nodiscard]] int* data_handle() const { return p; }
};

} // namespace

TEST_CASE("layout: any mdspan-shaped array (extents, strides, data_handle) becomes a view in one call") {
    auto comm = mpixx::world().dup();
    const int to = right_of(comm), from = left_of(comm);
    // a 3 x 4 column-major (layout_left) array: strides {1, 3}
    std::vector<int> a(12), b(12, -1);
    std::iota(a.begin(), a.end(), 100 * comm.rank());
    const fake_mdspan A{a.data(), {{3, 4}}, {1, 3}}, B{b.data(), {{3, 4}}, {1, 3}};
    // rows 1..2, columns 1..3 of A into the same place of B
    comm.sendrecv(mpixx::subarray<2>(A, {2, 3}, {1, 1}), to, 0, mpixx::subarray<2>(B, {2, 3}, {1, 1}), from, 0);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j) {
            const bool in = i >= 1 && j >= 1;
            CHECK(b[i + 3 * j] == (in ? 100 * from + i + 3 * j : -1));
        }
    // the whole array as a view: received into a contiguous vector in index order (row-major walk)
    std::vector<int> flat(12, -1);
    comm.sendrecv(mpixx::as_layout_view<2>(A), to, 1, flat, from, 1);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j) CHECK(flat[i * 4 + j] == 100 * from + i + 3 * j);
}

TEST_CASE("layout: byte offsets that overflow are refused, never wrapped (views, md_view blocks, struct members)") {
    using mpixx_test::error_class_of;
    std::vector<int> v(4, 1);
    // 5 instances 2^62 bytes apart: (count - 1) * extent wraps; the view must not fit 16 bytes
    const mpixx::resized_layout far(mpixx::contiguous_layout<int>(1), 0, std::ptrdiff_t(1) << 62);
    CHECK(error_class_of([&] { mpixx::layout_view(v, far, 5); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { mpixx::layout_view(v, far, 2); }) == MPI_ERR_ARG);  // fits no 16 bytes either
    CHECK(error_class_of([&] { mpixx::layout_view(v, far, 1); }) == MPI_SUCCESS); // one instance: one int
    // md_view blocks whose start + size overflows: outside the array, not a wrapped offset
    mpixx::md_view<int, 2> g(v.data(), {2, 2});
    constexpr std::ptrdiff_t big = PTRDIFF_MAX;
    CHECK(error_class_of([&] { (void)g.column(big); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)g.row(big); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)g.block({0, big}, {1, 1}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)g.block({0, 1}, {1, big}); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)g.face(1, big); }) == MPI_ERR_ARG);
    CHECK(error_class_of([&] { (void)g.block({0, 2}, {2, 0}); }) == MPI_SUCCESS); // empty, at the end: fine
    // an array of more elements than any memory: its row-major strides would wrap
    CHECK(error_class_of([&] { mpixx::md_view<int, 3>(v.data(), {big / 2, 4, 2}); }) == MPI_ERR_ARG);
    // strided bounds whose span (ub - lb) overflows, and a struct member whose end does
    CHECK(error_class_of([] { mpixx::hvector_layout<char>(3, 1, -(std::ptrdiff_t(1) << 62)); }) == MPI_ERR_ARG);
    CHECK(error_class_of([] {
              mpixx::struct_layout{{0, mpixx::hvector_layout<char>(2, 1, std::ptrdiff_t(1) << 62), 2}};
          }) == MPI_ERR_ARG);
}

TEST_CASE("layout: a vector of empty blocks reports MPI's extent") {
    auto ext = [](const auto& l) {
        MPI_Aint lb = 0, e = 0;
        MPI_Type_get_extent(l.native(), &lb, &e);
        return static_cast<std::ptrdiff_t>(e);
    };
    const mpixx::vector_layout<int> empty_blocks(3, 0, 5);
    CHECK(empty_blocks.size() == 0);
    CHECK(empty_blocks.extent() == ext(empty_blocks));
    const mpixx::hvector_layout<int> empty_h(3, 0, 12);
    CHECK(empty_h.extent() == ext(empty_h));
    std::vector<int> v(1);
    CHECK(mpixx_test::error_class_of([&] { mpixx::layout_view(v, empty_blocks, 4); }) == MPI_SUCCESS); // holds nothing
}

// Tests of the non-blocking collectives (mpixx/collectives.hpp): several in flight at once, completed in
// different orders (and differently on different ranks), polled with test(), requests that own
// moved-in buffers (no copy), copies of lvalues given to value forms, requests dropped unwaited, user
// ops in flight together, every into-buffer and value form, and the argument errors.
#include "mpixx_test.hpp"
#include "error_class.hpp"
#include "layout_v_blocks.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/layout.hpp>

#include <array>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

namespace {

struct digits {
    long long value, scale; // the number and 10^(its length)
};

std::vector<int> iota(std::size_t n, int start = 0) {
    std::vector<int> v(n);
    std::iota(v.begin(), v.end(), start);
    return v;
}

using mpixx_test::error_class_of;

// Into-buffer forms refer to the caller's buffers until completion: temporaries do not compile.
template <class C>
concept iallreduce_from_temporary = requires(C& c, int& out) { c.iallreduce(1, out, mpixx::sum); };
template <class C>
concept iallreduce_from_lvalue = requires(C& c, const int& in, int& out) { c.iallreduce(in, out, mpixx::sum); };
template <class C>
concept igatherv_with_temporary_counts = requires(C& c, std::vector<int>& v) {
    c.igatherv(v, v, std::vector<int>{1}, v, 0);
};
template <class C>
concept igatherv_with_lvalue_counts = requires(C& c, std::vector<int>& v) { c.igatherv(v, v, v, v, 0); };
static_assert(!iallreduce_from_temporary<mpixx::communicator>);
static_assert(iallreduce_from_lvalue<mpixx::communicator>);
static_assert(!igatherv_with_temporary_counts<mpixx::communicator>);
static_assert(igatherv_with_lvalue_counts<mpixx::communicator>);
// One buffer per peer: a temporary range of containers would be freed while MPI reads or writes it
// (every value arrived wrong); a temporary range of spans refers to the caller's memory and is fine.
template <class C>
concept ialltoallw_temporary_sends = requires(C& c, std::vector<std::vector<int>>& v) {
    c.ialltoallw(std::vector<std::vector<int>>{}, v);
};
template <class C>
concept ialltoallw_temporary_recvs = requires(C& c, std::vector<std::vector<int>>& v) {
    c.ialltoallw(v, std::vector<std::vector<int>>{});
};
template <class C>
concept ialltoallw_temporary_spans = requires(C& c, std::vector<std::vector<int>>& v) {
    c.ialltoallw(std::vector<std::span<const int>>{}, std::vector<std::span<int>>{});
};
template <class C>
concept ialltoallw_lvalues = requires(C& c, std::vector<std::vector<int>>& v) { c.ialltoallw(v, v); };
static_assert(!ialltoallw_temporary_sends<mpixx::communicator>);
static_assert(!ialltoallw_temporary_recvs<mpixx::communicator>);
static_assert(ialltoallw_temporary_spans<mpixx::communicator>);
static_assert(ialltoallw_lvalues<mpixx::communicator>);

} // namespace

TEST_CASE("nonblocking collectives: several in flight, completed in different orders") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const std::size_t P = static_cast<std::size_t>(p);
    std::vector<int> data(4);
    if (r == 0) data = {1, 2, 3, 4};
    auto bc = comm.ibcast(data, 0);
    auto sum = comm.iallreduce(std::vector<long>{long(r), 1}, mpixx::sum);
    auto all = comm.iallgather(r * 3);
    auto bar = comm.ibarrier();
    auto mx = comm.iallreduce(r, mpixx::max);
    // reverse order of starting
    CHECK(mx.wait() == p - 1);
    bar.wait();
    CHECK(all.wait() == std::vector<int>([&] {
              std::vector<int> v;
              for (int k = 0; k < p; ++k) v.push_back(3 * k);
              return v;
          }()));
    CHECK(sum.wait() == std::vector<long>{long(p * (p - 1) / 2), long(p)});
    bc.wait();
    CHECK(data == std::vector<int>{1, 2, 3, 4});
    CHECK_FALSE(bc.pending());

    // even ranks complete a then b, odd ranks b then a
    std::vector<int> g(P);
    auto a = comm.iallgather(r, g);
    auto b = comm.iallreduce(r + 1, mpixx::prod);
    int prod = 0;
    if (r % 2 == 0) {
        a.wait();
        prod = b.wait();
    } else {
        prod = b.wait();
        a.wait();
    }
    int want = 1;
    for (int k = 1; k <= p; ++k) want *= k;
    CHECK(prod == want);
    CHECK(g == iota(P));

    // polled with test()
    auto t = comm.iallreduce(1, mpixx::sum);
    std::optional<int> got;
    while (!(got = t.test())) {
    }
    CHECK(*got == p);
    auto tb = comm.ibarrier();
    while (!tb.test()) {
    }
    CHECK_FALSE(tb.pending());
}

TEST_CASE("nonblocking collectives: a moved-in buffer is owned by the request and handed back, no copy") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    std::vector<double> v(1000, double(r));
    const double* storage = v.data();
    auto req = comm.iallreduce(std::move(v), mpixx::sum);
    auto total = req.wait();
    CHECK(total.data() == storage); // reduced in place in the very buffer that was moved in
    CHECK(total.size() == 1000);
    CHECK(total[999] == p * (p - 1) / 2.0);

    std::vector<int> root_data = r == 0 ? iota(5, 10) : std::vector<int>(5);
    const int* bstore = root_data.data();
    auto bc = comm.ibcast(std::move(root_data), 0);
    auto got = bc.wait();
    CHECK(got.data() == bstore);
    CHECK(got == iota(5, 10));

    // an lvalue given to a value form is copied: changing it afterwards does not disturb the operation
    std::vector<int> x(3, r + 1);
    auto q = comm.iallreduce(x, mpixx::sum);
    x.assign(3, 1000);
    CHECK(q.wait() == std::vector<int>(3, p * (p + 1) / 2));

    // a request dropped without wait(): its destructor waits, and the next collective matches
    {
        auto dropped = comm.ibcast(std::vector<int>(64, r), 0);
        auto dropped2 = comm.iallreduce(std::vector<int>(64, 1), mpixx::sum);
    }
    CHECK(comm.allreduce(1, mpixx::sum) == p);
}

TEST_CASE("nonblocking collectives: user ops in flight together keep their own state") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    auto add_k = [](int k) { return [k](int a, int b) { return a + b + k; }; };
    auto a = comm.iallreduce(0, add_k(1));
    auto b = comm.iallreduce(0, mpixx::commutative(add_k(10)));
    // digit strings: concatenation is associative, not commutative; rank order gives "1234"
    auto c = comm.iscan(digits{r + 1, 10}, [](const digits& x, const digits& y) {
        return digits{x.value * y.scale + y.value, x.scale * y.scale};
    });
    long long want = 0;
    for (int k = 0; k <= r; ++k) want = want * 10 + (k + 1);
    CHECK(c.wait().value == want);
    CHECK(b.wait() == (p - 1) * 10);
    CHECK(a.wait() == (p - 1) * 1);
    // into-buffer with a user op: the request holds the op until completion
    std::vector<int> out(2);
    std::vector<int> in{r, 1};
    auto d = comm.iallreduce(in, out, [](int x, int y) { return x > y ? x : y; });
    d.wait();
    CHECK(out == std::vector<int>{p - 1, 1});
}

TEST_CASE("nonblocking collectives: every form gives the blocking result") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const std::size_t P = static_cast<std::size_t>(p);
    // scatter / gather
    std::vector<int> sdata = r == 0 ? iota(P * 2) : std::vector<int>{};
    std::vector<int> piece(2);
    auto s1 = comm.iscatter(sdata, piece, 0);
    auto s2 = comm.iscatter(r == 0 ? iota(P, 50) : std::vector<int>{}, 0);
    std::vector<int> gathered(r == p - 1 ? P : 0);
    auto g1 = comm.igather(r, gathered, p - 1);
    auto g2 = comm.igather(std::array<int, 2>{r, -r}, 0);
    s1.wait();
    CHECK(piece == iota(2, 2 * r));
    CHECK(s2.wait() == 50 + r);
    g1.wait();
    if (r == p - 1) CHECK(gathered == iota(P));
    auto gv = g2.wait();
    if (r == 0) {
        REQUIRE(gv.size() == 2 * P);
        CHECK(gv[2 * P - 1] == -(p - 1));
    } else {
        CHECK(gv.empty());
    }
    // allgather in place, alltoall
    std::vector<int> ag(P, -1);
    ag[std::size_t(r)] = r;
    comm.iallgather(mpixx::in_place, ag).wait();
    CHECK(ag == iota(P));
    std::vector<int> send(P), want(P), into(P);
    for (int j = 0; j < p; ++j) {
        send[std::size_t(j)] = 100 * r + j;
        want[std::size_t(j)] = 100 * j + r;
    }
    auto t1 = comm.ialltoall(send, into);
    auto t2 = comm.ialltoall(send);
    CHECK(t2.wait() == want);
    t1.wait();
    CHECK(into == want);
    // reduce (into, in place, value), scan, exscan
    const int mine1 = r + 1;
    int red = -1;
    auto r1 = comm.ireduce(mine1, red, mpixx::sum, 0);
    std::vector<int> rip{r, 1};
    auto r2 = comm.ireduce(mpixx::in_place, rip, mpixx::sum, p - 1);
    auto r3 = comm.ireduce(std::vector<int>{r, 2}, mpixx::max, 0);
    int sc = 0, ex = -5;
    auto r4 = comm.iscan(mine1, sc, mpixx::sum);
    auto r5 = comm.iexscan(mine1, ex, mpixx::sum);
    auto r6 = comm.iexscan(r + 1, mpixx::sum);
    std::vector<int> sip{r + 1};
    auto r7 = comm.iscan(mpixx::in_place, sip, mpixx::sum);
    r7.wait();
    CHECK(r6.wait() == r * (r + 1) / 2);
    r5.wait();
    if (r > 0) CHECK(ex == r * (r + 1) / 2);
    r4.wait();
    CHECK(sc == (r + 1) * (r + 2) / 2);
    CHECK(sip[0] == sc);
    auto rv = r3.wait();
    if (r == 0) CHECK(rv == std::vector<int>{p - 1, 2});
    else CHECK(rv.empty());
    r2.wait();
    if (r == p - 1) CHECK(rip == std::vector<int>{p * (p - 1) / 2, p});
    r1.wait();
    if (r == 0) CHECK(red == p * (p + 1) / 2);
    CHECK(comm.ireduce(7, mpixx::sum, 0).wait() == (r == 0 ? 7 * p : 0));
    // reduce_scatter
    std::vector<int> rs(P * 2, 1), rsout(2);
    auto q1 = comm.ireduce_scatter_block(rs, rsout, mpixx::sum);
    auto q2 = comm.ireduce_scatter_block(std::vector<int>(P, r), mpixx::sum);
    std::vector<int> counts(P);
    for (int k = 0; k < p; ++k) counts[std::size_t(k)] = k + 1;
    std::vector<int> rsv(std::size_t(p * (p + 1) / 2), 2), rsvout(std::size_t(r + 1));
    auto q3 = comm.ireduce_scatter(rsv, rsvout, counts, mpixx::sum);
    q3.wait();
    CHECK(rsvout == std::vector<int>(std::size_t(r + 1), 2 * p));
    CHECK(q2.wait() == std::vector<int>{p * (p - 1) / 2});
    q1.wait();
    CHECK(rsout == std::vector<int>{p, p});
    // v-variants: rank r contributes r + 1 elements
    std::vector<int> displs(P);
    std::exclusive_scan(counts.begin(), counts.end(), displs.begin(), 0);
    const std::size_t total = std::size_t(p * (p + 1) / 2);
    std::vector<int> mine(std::size_t(r + 1), r), all;
    for (int k = 0; k < p; ++k) all.insert(all.end(), std::size_t(k + 1), k);
    std::vector<int> gvout(r == 0 ? total : 0), agv(total), svout(std::size_t(r + 1));
    auto v1 = comm.igatherv(mine, gvout, counts, displs, 0);
    auto v2 = comm.iallgatherv(mine, agv, counts, displs);
    const std::vector<int> scatter_from = r == 0 ? all : std::vector<int>{};
    auto v3 = comm.iscatterv(scatter_from, counts, displs, svout, 0);
    std::vector<int> a2a_send, a2a_sc(P), a2a_rc(P, r + 1), a2a_sd(P), a2a_rd(P), a2a_want;
    for (int j = 0; j < p; ++j) {
        a2a_sc[std::size_t(j)] = j + 1;
        a2a_send.insert(a2a_send.end(), std::size_t(j + 1), 100 * r + j);
        a2a_want.insert(a2a_want.end(), std::size_t(r + 1), 100 * j + r);
    }
    std::exclusive_scan(a2a_sc.begin(), a2a_sc.end(), a2a_sd.begin(), 0);
    std::exclusive_scan(a2a_rc.begin(), a2a_rc.end(), a2a_rd.begin(), 0);
    std::vector<int> a2a_out(a2a_want.size());
    auto v4 = comm.ialltoallv(a2a_send, a2a_sc, a2a_sd, a2a_out, a2a_rc, a2a_rd);
    v4.wait();
    CHECK(a2a_out == a2a_want);
    v3.wait();
    CHECK(svout == mine);
    v2.wait();
    CHECK(agv == all);
    v1.wait();
    if (r == 0) CHECK(gvout == all);
}

TEST_CASE("nonblocking collectives: argument errors are thrown before anything is started") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const std::size_t P = static_cast<std::size_t>(p);
    std::vector<int> buf(2);
    CHECK(error_class_of([&] { auto q = comm.ibcast(buf, p); }) == MPI_ERR_ROOT);
    CHECK(error_class_of([&] { auto q = comm.ibcast(std::vector<int>(2), -1); }) == MPI_ERR_ROOT);
    CHECK(error_class_of([&] { auto q = comm.ireduce(1, mpixx::sum, p); }) == MPI_ERR_ROOT);
    CHECK(error_class_of([&] { auto q = comm.igather(1, p); }) == MPI_ERR_ROOT);
    std::vector<int> small(2 * P - 1), two{1, 2}, three{1, 2, 3}, odd(2 * P + 1);
    CHECK(error_class_of([&] { auto q = comm.iallgather(two, small); }) == MPI_ERR_TRUNCATE);
    CHECK(error_class_of([&] { auto q = comm.iallreduce(three, buf, mpixx::sum); }) == MPI_ERR_TRUNCATE);
    if (r == 0) { // root-only check: only the root calls
        CHECK(error_class_of([&] { auto q = comm.igather(two, small, 0); }) == MPI_ERR_TRUNCATE);
        CHECK(error_class_of([&] { auto q = comm.iscatter(odd, buf, 0); }) == MPI_ERR_COUNT);
    }
    // a request<void> that is not pending: waited again, it returns at once (MPI_Wait on MPI_REQUEST_NULL)
    auto done = comm.ibarrier();
    done.wait();
    CHECK(error_class_of([&] { done.wait(); }) == MPI_SUCCESS);
    CHECK(done.test());
    comm.barrier();
}

TEST_CASE("nonblocking collectives: ialltoallw with one buffer per peer, given as a temporary range of spans") {
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const auto P = static_cast<std::size_t>(p);
    std::vector<std::vector<int>> sends(P), recvs(P);
    for (std::size_t j = 0; j < P; ++j) {
        sends[j].assign(j + 1, 100 * r + static_cast<int>(j)); // rank j gets j + 1 values
        recvs[j].assign(static_cast<std::size_t>(r) + 1, -1);
    }
    auto q = comm.ialltoallw(sends, std::vector<std::span<int>>(recvs.begin(), recvs.end()));
    // memory freed and reused while the request is pending must not matter
    std::vector<std::vector<int>> junk(P, std::vector<int>(8, -2));
    q.wait();
    for (std::size_t i = 0; i < P; ++i)
        CHECK(recvs[i] == std::vector<int>(static_cast<std::size_t>(r) + 1, 100 * static_cast<int>(i) + r));
    comm.barrier();
}

TEST_CASE("nonblocking collectives: igatherv, iscatterv, iallgatherv take layout views like the blocking forms") {
    // counts are items of the root's (igatherv, iscatterv) or the receive buffer's (iallgatherv) datatype;
    // this rank's own block is its buffer's count of its own datatype, checked by type signature. The
    // root refused valid layouts (MPI_ERR_COUNT, MPI_ERR_TRUNCATE: the other ranks then hung) and
    // iscatterv posted counts[rank()] items of the receive buffer's datatype (MPI's truncation error).
    auto comm = mpixx::world().dup();
    const int p = comm.size(), r = comm.rank();
    const auto P = static_cast<std::size_t>(p);
    const mpixx_test::layout_v_blocks b(p, r);
    auto mine_view = mpixx::layout_view(b.mine, b.three);
    const auto all_view = mpixx::layout_view(std::as_const(b.all), b.three, p);
    for (int root : {0, p - 1}) {
        std::vector<double> g(3 * P, -1), g2(3 * P, -1);
        auto g_view = mpixx::layout_view(g, b.three, p);
        comm.igatherv(b.mine, g_view, b.ones, b.items, root).wait(); // received as layout items
        comm.igatherv(mine_view, g2, b.threes, b.elems, root).wait(); // sent as one layout item
        if (r == root) {
            CHECK(g == b.all);
            CHECK(g2 == b.all);
        }
        std::vector<double> s(3, -1), s2(3, -1);
        auto s2_view = mpixx::layout_view(s2, b.three);
        comm.iscatterv(all_view, b.ones, b.items, s, root).wait(); // sent from layout items
        comm.iscatterv(b.all, b.threes, b.elems, s2_view, root).wait(); // received as one layout item
        CHECK(s == b.mine);
        CHECK(s2 == b.mine);
    }
    std::vector<double> a(3 * P, -1), a2(3 * P, -1);
    auto a_view = mpixx::layout_view(a, b.three, p);
    comm.iallgatherv(b.mine, a_view, b.ones, b.items).wait();
    comm.iallgatherv(mine_view, a2, b.threes, b.elems).wait();
    CHECK(a == b.all);
    CHECK(a2 == b.all);
    comm.barrier();
}

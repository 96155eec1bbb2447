// Tests of mpixx/nonblocking.hpp and mpixx/detail/progress.hpp: isend/issend/irecv/isendrecv on borrowed
// and moved-in buffers, probe-sized irecv of vectors and strings (any_source, proc_null, matching order),
// persistent requests restarted several times, and progress: a blocking send of 1-4 MiB to a peer whose
// probe-sized receive is pending completes (Boost.MPI deadlocks there).
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>

#include <algorithm>
#include <array>
#include <numeric>
#include <span>
#include <string>
#include <vector>

namespace {

// Ring neighbours; at 1 rank both are this rank (non-blocking messages to self work).
int right_of(const mpixx::communicator& c) { return (c.rank() + 1) % c.size(); }
int left_of(const mpixx::communicator& c) { return (c.rank() + c.size() - 1) % c.size(); }

std::vector<int> pattern(int rank, std::size_t n) {
    std::vector<int> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = rank * 1000 + static_cast<int>(i);
    return v;
}

std::string big_string(int rank, std::size_t n) {
    std::string s(n, 'x');
    s.front() = static_cast<char>('a' + rank);
    s[n / 2] = static_cast<char>('A' + rank);
    s.back() = static_cast<char>('0' + rank);
    return s;
}

bool is_big_string(const std::string& s, int rank, std::size_t n) {
    return s.size() == n && s.front() == 'a' + rank && s[n / 2] == 'A' + rank && s.back() == '0' + rank &&
           std::count(s.begin(), s.end(), 'x') == static_cast<std::ptrdiff_t>(n - 3);
}

} // namespace

TEST_CASE("nonblocking: the guide's Isend/Irecv of an int array, as a ring on borrowed buffers") {
    auto comm = mpixx::world().dup();
    const int right = right_of(comm), left = left_of(comm);
    std::vector<int> out = pattern(comm.rank(), 4), in(4, -1);
    auto rr = comm.irecv(in, left, 0);
    auto rs = comm.isend(out, right, 0);
    static_assert(std::is_same_v<decltype(rs), mpixx::request<>>); // borrowed: nothing owned
    static_assert(std::is_same_v<decltype(rr), mpixx::request<>>);
    CHECK(rr.pending());
    rs.wait();
    rr.wait();
    CHECK_FALSE(rr.pending());
    CHECK(in == pattern(left, 4));
    CHECK(rr.status().source() == left);
    CHECK(rr.status().tag() == 0);
    CHECK(rr.status().count<int>() == 4);

    // issend, scalars, spans and std::array; one wait_all for the lot.
    int x = comm.rank() * 3, xin = -1;
    std::array<double, 3> a{1.0 * comm.rank(), 2.0, 3.0}, ain{};
    std::vector<long> longs(6, comm.rank()), longs_in(6, -1);
    auto r1 = comm.irecv(xin, left, 1);
    auto r2 = comm.irecv(ain, left, 2);
    auto r3 = comm.irecv(std::span<long>(longs_in).subspan(1, 3), left, 3);
    auto s1 = comm.issend(x, right, 1);
    auto s2 = comm.isend(a, right, 2);
    auto s3 = comm.isend(std::span<const long>(longs).first(3), right, 3);
    auto [st1, st2, st3, q1, q2, q3] = mpixx::wait_all(r1, r2, r3, s1, s2, s3);
    CHECK(xin == left * 3);
    CHECK(ain[0] == 1.0 * left);
    CHECK(longs_in == std::vector<long>{-1, left, left, left, -1, -1});
    CHECK(st1.source() == left);
    CHECK(st3.count<long>() == 3);
    (void)st2, (void)q1, (void)q2, (void)q3;
}

TEST_CASE("nonblocking: a moved-in buffer is owned by the request and handed back by wait()") {
    auto comm = mpixx::world().dup();
    const int right = right_of(comm), left = left_of(comm);
    std::vector<int> data = pattern(comm.rank(), 1000);
    const int* where = data.data();
    auto recv = comm.irecv<std::vector<int>>(left, 5);
    auto send = comm.isend(std::move(data), right, 5);
    static_assert(std::is_same_v<decltype(send), mpixx::request<std::vector<int>>>);
    std::vector<int> back = send.wait();
    CHECK(back.data() == where); // the very same buffer, not a copy
    CHECK(back == pattern(comm.rank(), 1000));
    CHECK(recv.wait() == pattern(left, 1000));

    // A string (short: its characters live inside the object, which the request keeps in place), a
    // scalar, and a receive into a moved-in container.
    auto rs = comm.irecv<std::string>(left, 6);
    auto ss = comm.issend(std::string("hi ") + std::to_string(comm.rank()), right, 6);
    auto rv = comm.irecv(std::vector<short>(5, -1), left, 7);
    auto sv = comm.isend(short(comm.rank() + 10), right, 7);
    CHECK(ss.wait() == "hi " + std::to_string(comm.rank()));
    CHECK(rs.wait() == "hi " + std::to_string(left));
    CHECK(sv.wait() == short(comm.rank() + 10));
    auto got = rv.wait();
    CHECK(got == std::vector<short>{short(left + 10), -1, -1, -1, -1}); // received at its size, one element came
    CHECK(rv.status().count<short>() == 1);

    // A value receive.
    auto ri = comm.irecv<int>(left, 8);
    auto si = comm.isend(comm.rank() * comm.rank(), right, 8);
    CHECK(ri.wait() == left * left);
    (void)si.wait();
}

TEST_CASE("nonblocking: probe-sized irecv of vectors and strings from any_source") {
    auto comm = mpixx::world().dup();
    if (comm.rank() == 0) {
        // Post every receive before anything arrives, then let the senders go.
        mpixx::request_pool<std::vector<double>> vecs;
        mpixx::request_pool<std::string> strs;
        for (int i = 1; i < comm.size(); ++i) {
            vecs.add(comm.irecv<std::vector<double>>(mpixx::any_source, 11));
            strs.add(comm.irecv<std::string>(mpixx::any_source, 12));
        }
        comm.barrier();
        std::vector<int> seen(comm.size(), 0);
        auto vs = vecs.wait_all();
        for (std::size_t i = 0; i < vs.size(); ++i) {
            const int src = vecs.status(i).source();
            REQUIRE(src > 0);
            seen[src] += 1;
            CHECK(vs[i].size() == static_cast<std::size_t>(src * 3));
            CHECK(std::all_of(vs[i].begin(), vs[i].end(), [&](double d) { return d == src + 0.25; }));
        }
        while (auto done = strs.wait_any()) { // empty once nothing is pending
            auto& [i, s] = *done;
            const int src = strs.status(i).source();
            CHECK(s == std::string(static_cast<std::size_t>(src), char('a' + src)));
            seen[src] += 10;
        }
        for (int r = 1; r < comm.size(); ++r) CHECK(seen[r] == 11);
    } else {
        comm.barrier();
        comm.send(std::vector<double>(static_cast<std::size_t>(comm.rank() * 3), comm.rank() + 0.25), 0, 11);
        comm.send(std::string(static_cast<std::size_t>(comm.rank()), char('a' + comm.rank())), 0, 12);
    }

    // proc_null completes at once, empty.
    auto n = comm.irecv<std::vector<int>>(mpixx::proc_null, 3);
    CHECK(n.wait().empty());
    CHECK(n.status().source() == mpixx::proc_null);

    // test(): an optional that fills once the message is there (polled, self-message at 1 rank).
    auto r = comm.irecv<std::vector<int>>(left_of(comm), 13);
    std::optional<std::vector<int>> got;
    auto s = comm.isend(pattern(comm.rank(), 7), right_of(comm), 13);
    while (!(got = r.test())) {}
    CHECK(*got == pattern(left_of(comm), 7));
    CHECK_FALSE(r.pending());
    while (!s.test()) {}
}

TEST_CASE("nonblocking: probe-sized receives keep MPI's matching order") {
    auto comm = mpixx::world().dup();
    if (comm.size() < 2) return; // needs a sender that is not the receiver
    if (comm.rank() == 1) {
        // Same envelope, posted before the messages: completed in posting order whatever the wait order.
        auto first = comm.irecv<std::string>(0, 7);
        auto second = comm.irecv<std::string>(0, 7);
        // A contained pair: (0, 8) then (any, 8).
        auto narrow = comm.irecv<std::string>(0, 8);
        auto wide = comm.irecv<std::string>(mpixx::any_source, 8);
        // (0, 5) then (any, any): the wide one may take a tag-6 message while the narrow one waits.
        auto five = comm.irecv<std::string>(0, 5);
        auto any = comm.irecv<std::string>(mpixx::any_source, mpixx::any_tag);
        comm.barrier();
        CHECK(second.wait() == "second");
        CHECK(first.wait() == "first");
        CHECK(wide.wait() == "B");
        CHECK(narrow.wait() == "A");
        CHECK(any.wait() == "six"); // sent with ssend before "five": must not wait for it
        CHECK(any.status().tag() == 6);
        CHECK(five.wait() == "five");
    } else if (comm.rank() == 0) {
        comm.barrier();
        comm.send(std::string("first"), 1, 7);
        comm.send(std::string("second"), 1, 7);
        comm.send(std::string("A"), 1, 8);
        comm.send(std::string("B"), 1, 8);
        comm.ssend(std::string("six"), 1, 6);
        comm.send(std::string("five"), 1, 5);
    } else {
        comm.barrier();
    }
    // And when the messages are there before the receives.
    if (comm.rank() == 0) {
        comm.send(std::string("one"), 1, 9);
        comm.send(std::string("two"), 1, 9);
        comm.barrier();
    } else if (comm.rank() == 1) {
        comm.barrier();
        auto a = comm.irecv<std::string>(0, 9);
        auto b = comm.irecv<std::string>(mpixx::any_source, 9);
        CHECK(b.wait() == "two");
        CHECK(a.wait() == "one");
    } else {
        comm.barrier();
    }
}

TEST_CASE("nonblocking: irecv<string> then a blocking 1 MiB / 4 MiB send to the same peer completes") {
    // Both ranks of a pair (or every rank of a ring): post a probe-sized receive, then a blocking send
    // far above the eager limit, then wait. MPI_Send needs the peer's receive posted, and that receive
    // exists in MPI only once mpixx matched it: the blocking send must keep matching while it waits.
    auto comm = mpixx::world().dup();
    const int right = right_of(comm), left = left_of(comm);
    for (std::size_t n : {std::size_t(1) << 20, std::size_t(4) << 20}) {
        auto r = comm.irecv<std::string>(left, 0);
        comm.send(big_string(comm.rank(), n), right, 0);
        std::string got = r.wait();
        CHECK(is_big_string(got, left, n));
    }
    // The same with ssend, and with a vector.
    auto rv = comm.irecv<std::vector<int>>(left, 1);
    comm.ssend(pattern(comm.rank(), 1 << 18), right, 1);
    CHECK(rv.wait() == pattern(left, 1 << 18));
    // The blocking operation may also be the wait of another request.
    auto rs = comm.irecv<std::string>(left, 2);
    const std::string mine = big_string(comm.rank(), 2u << 20);
    auto ss = comm.isend(mine, right, 2);
    ss.wait();
    CHECK(is_big_string(rs.wait(), left, 2u << 20));
    // Or a wait on a moved-in buffer, waited for by its destructor.
    auto rm = comm.irecv<std::vector<char>>(left, 3);
    { auto sm = comm.isend(std::vector<char>(3u << 20, char('k' + comm.rank())), right, 3); }
    auto vm = rm.wait();
    CHECK(vm.size() == 3u << 20);
    CHECK(std::all_of(vm.begin(), vm.end(), [&](char c) { return c == char('k' + left); }));
    // A pool's wait_all on big sends keeps matching too (two receives with one envelope: in order).
    mpixx::request_pool<std::string> rp;
    rp.add(comm.irecv<std::string>(left, 4));
    rp.add(comm.irecv<std::string>(left, 4));
    const std::string first = big_string(comm.rank(), 1u << 20), second = big_string(comm.rank() + 1, 1u << 20);
    mpixx::request_pool<> sp;
    sp.add(comm.isend(first, right, 4));
    sp.add(comm.isend(second, right, 4));
    sp.wait_all();
    auto both = rp.wait_all();
    CHECK(is_big_string(both[0], left, 1u << 20));
    CHECK(is_big_string(both[1], left + 1, 1u << 20));
    CHECK_FALSE(mpixx::detail::progress::active()); // nothing left registered
}

#if MPI_VERSION >= 4 // MPI_Isendrecv{,_replace} are MPI-4 (absent from Open MPI 4.1)
TEST_CASE("nonblocking: isendrecv and isendrecv_replace around the ring") {
    auto comm = mpixx::world().dup();
    const int right = right_of(comm), left = left_of(comm);
    std::vector<int> out = pattern(comm.rank(), 5), in(5, -1);
    auto r = comm.isendrecv(out, right, 4, in, left, 4);
    r.wait();
    CHECK(in == pattern(left, 5));
#if !defined(MPICH_NUMVERSION) || MPICH_NUMVERSION >= 40100000
    CHECK(r.status().source() == left); // MPICH 4.0 leaves the status of MPI_Isendrecv empty
#endif
    int mine = comm.rank() + 100;
    auto v = comm.isendrecv<int>(mine, right, 5, left, 5);
    CHECK(v.wait() == left + 100);
    std::vector<double> buf(3, comm.rank() * 0.5);
    auto rep = comm.isendrecv_replace(buf, right, 6, left, 6);
    rep.wait();
    CHECK(buf == std::vector<double>(3, left * 0.5));
}
#endif

TEST_CASE("nonblocking: persistent send/recv restarted several times") {
    auto comm = mpixx::world().dup();
    const int right = right_of(comm), left = left_of(comm);
    std::vector<int> out(3), in(3, -1);
    auto precv = comm.recv_init(in, left, 9);
    auto psend = comm.send_init(out, right, 9);
    CHECK_FALSE(psend.active());
    for (int round = 0; round < 4; ++round) {
        out = {comm.rank(), round, comm.rank() * round};
        precv.start();
        psend.start();
        CHECK(precv.active());
        psend.wait();
        if (round % 2 == 0) {
            precv.wait();
        } else {
            while (!precv.test()) {}
        }
        CHECK(in == std::vector<int>{left, round, left * round});
        CHECK(precv.status().source() == left);
        CHECK(precv.status().count<int>() == 3);
    }
    // start_all and a pack wait.
    auto pss = comm.ssend_init(out, right, 10);
    auto prr = comm.recv_init(in, left, 10);
    out = {7, 8, 9};
    mpixx::start_all(prr, pss);
    auto [a, b] = mpixx::wait_all(prr, pss);
    CHECK(a.source() == left);
    CHECK(in == std::vector<int>{7, 8, 9});
    (void)b;
}

TEST_CASE("nonblocking: errors are mpixx::error with the right class") {
    auto comm = mpixx::world().dup();
    int x = 0;
    auto expect_class = [](auto&& fn, int cls) {
        try {
            fn();
            FAIL("no error raised");
        } catch (const mpixx::error& e) {
            CHECK(e.error_class() == cls);
        }
    };
    expect_class([&] { auto r = comm.isend(x, comm.size()); }, MPI_ERR_RANK);
    expect_class([&] { auto r = comm.irecv(x, -3); }, MPI_ERR_RANK);
    expect_class([&] { auto r = comm.irecv<std::string>(comm.size() + 1); }, MPI_ERR_RANK);
    expect_class([&] { auto r = comm.isend(x, 0, -1); }, MPI_ERR_TAG);
    expect_class([&] { auto r = comm.irecv<std::vector<int>>(0, -4); }, MPI_ERR_TAG);
    expect_class([&] { auto p = comm.send_init(x, comm.size()); }, MPI_ERR_RANK);
    // A message larger than the borrowed buffer: wait() raises MPI_ERR_TRUNCATE, the request is done.
    auto dup = comm.dup();
    std::vector<int> small(2);
    auto r = dup.irecv(small, left_of(dup), 0);
    auto s = dup.isend(std::vector<int>(10, 1), right_of(dup), 0);
#ifdef OPEN_MPI
    // Open MPI completes a receive from itself posted before its matching send with MPI_SUCCESS, the
    // message silently cut to the buffer (a plain C program does the same): nothing for mpixx to see.
    if (dup.size() == 1) {
        (void)r.wait();
    } else
#endif
        expect_class([&] { r.wait(); }, MPI_ERR_TRUNCATE);
    CHECK_FALSE(r.pending());
    (void)s.wait();
    // A probe-sized receive of a message that is not whole elements of its type: MPI_ERR_TYPE at wait().
    auto rb = dup.irecv<std::vector<double>>(left_of(dup), 1);
    auto sb = dup.isend(std::vector<char>(12, 'z'), right_of(dup), 1);
    expect_class([&] { (void)rb.wait(); }, MPI_ERR_TYPE);
    CHECK_FALSE(rb.pending());
    (void)sb.wait();
}

TEST_CASE("nonblocking: a receive from proc_null reports source proc_null, tag any_tag, count 0") {
    // MPI-4.1 3.10. MPICH 4.0's MPI_Irecv reports source 0 and tag 0 (a real rank), its MPI_Recv_init
    // any_source; its MPI_Isendrecv with a proc_null peer never completes.
    auto comm = mpixx::world().dup();
    auto is_proc_null = [](const mpixx::status& s) {
        CHECK(s.source() == mpixx::proc_null);
        CHECK(s.tag() == mpixx::any_tag);
        CHECK(s.count<int>() == 0u);
        CHECK_FALSE(s.cancelled());
    };
    int x = 5;
    auto a = comm.irecv(x, mpixx::proc_null, 3);
    a.wait();
    is_proc_null(a.status());
    CHECK(x == 5);
    auto b = comm.irecv<int>(mpixx::proc_null);
    CHECK(b.wait() == 0);
    is_proc_null(b.status());
    auto c = comm.irecv(std::vector<int>(3, 7), mpixx::proc_null);
    CHECK(c.wait() == std::vector<int>(3, 7));
    is_proc_null(c.status());
    auto d = comm.irecv<std::vector<int>>(mpixx::proc_null);
    CHECK(d.wait().empty());
    is_proc_null(d.status());
    auto p = comm.recv_init(x, mpixx::proc_null, 4);
    for (int k = 0; k < 2; ++k) {
        p.start();
        p.wait();
        is_proc_null(p.status());
    }
    mpixx::request_pool<> pool;
    pool.add(comm.irecv(x, mpixx::proc_null));
    pool.wait_all();
    is_proc_null(pool.status(0));
#if MPI_VERSION >= 4
    int y = 9;
    auto e = comm.isendrecv(x, mpixx::proc_null, 0, y, mpixx::proc_null, 0);
    e.wait();
    is_proc_null(e.status());
    CHECK(y == 9);
    auto f = comm.isendrecv_replace(y, mpixx::proc_null, 0, mpixx::proc_null, 0);
    f.wait();
    is_proc_null(f.status());
    CHECK(y == 9);
    auto g = comm.isendrecv<int>(x, mpixx::proc_null, 0, mpixx::proc_null, 0);
    CHECK(g.wait() == 0);
    is_proc_null(g.status());
    // One real peer, the other proc_null: the real half happens, the proc_null half does nothing.
    const int right = right_of(comm), left = left_of(comm);
    int got = -1;
    int mine = comm.rank();
    auto h = comm.isendrecv(mine, right, 6, got, mpixx::proc_null, 6); // sends only
    auto i = comm.isendrecv(x, mpixx::proc_null, 6, got, left, 6);     // receives only
    h.wait();
    is_proc_null(h.status());
    i.wait();
    CHECK(got == left);
    CHECK(i.status().source() == left);
    CHECK(i.status().tag() == 6);
#endif
}

// tests/test_checked_p2p.cpp - checked mode (MPIXX_CHECKED=1) on point-to-point messages: a message
// received as another type than it was sent throws MPI_ERR_TYPE naming both ranks and both types, on
// every receive path (recv into a buffer, recv<T>, matched messages, irecv, sendrecv, objects), while
// every legitimate pairing (signedness, bytes, layouts against contiguous memory, any_source/any_tag,
// raw MPI senders) still works (issue #12 item 1). Every rank sends to its right neighbour and receives
// from its left one, so 1 rank sends to itself. Built with MPIXX_CHECKED=1 (tests/cmake/checked_p2p.cmake).
#include "mpixx_test.hpp"

#include <mpixx/md_view.hpp>
#include <mpixx/mpixx.hpp>

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <vector>

static_assert(MPIXX_CHECKED == 1, "this test is built in checked mode");

namespace {

struct ring {
    mpixx::communicator comm = mpixx::world().dup(); // a fresh message space per case
    int me = comm.rank();
    int to = (comm.rank() + 1) % comm.size();
    int from = (comm.rank() + comm.size() - 1) % comm.size();
};

/// `f` must throw MPI_ERR_TYPE whose text contains each needle.
template <class F>
void require_type_error(F&& f, const std::vector<std::string>& needles) {
    try {
        f();
        FAIL("no mpixx::error was thrown");
    } catch (const mpixx::error& e) {
        INFO(e.what());
        CHECK(e.error_class() == MPI_ERR_TYPE);
        for (const std::string& n : needles) CHECK(std::string(e.what()).find(n) != std::string::npos);
    }
}

std::string rank_text(int r) { return "rank " + std::to_string(r); }

} // namespace

TEST_CASE("checked p2p: a typed message received as another type names both sides", "[checked]") {
    ring g;
    const std::vector<std::string> doubles_as_ints{rank_text(g.from) + " sent 3 x MPI_DOUBLE (24 bytes)",
                                                   rank_text(g.me) + " expected MPI_INT elements"};
    // recv<T>: a probe-sized receive
    auto s1 = g.comm.isend(std::vector<double>{1, 2, 3}, g.to, 1);
    require_type_error([&] { (void)g.comm.recv<std::vector<int>>(g.from, 1); }, doubles_as_ints);
    s1.wait();
    // recv into the caller's buffer (6 ints fit 24 bytes: MPI itself would accept it)
    auto s2 = g.comm.isend(std::vector<double>{1, 2, 3}, g.to, 2);
    std::vector<int> six(6);
    require_type_error([&] { (void)g.comm.recv(six, g.from, 2); }, doubles_as_ints);
    s2.wait();
    // irecv into a buffer: the check runs at wait()
    auto s3 = g.comm.isend(std::vector<double>{1, 2, 3}, g.to, 3);
    auto r3 = g.comm.irecv(six, g.from, 3);
    require_type_error([&] { r3.wait(); }, doubles_as_ints);
    s3.wait();
    // irecv<T>: matched by the progress engine, checked when matched
    auto s4 = g.comm.isend(std::vector<double>{1, 2, 3}, g.to, 4);
    auto r4 = g.comm.irecv<std::vector<int>>(g.from, 4);
    require_type_error([&] { (void)r4.wait(); }, doubles_as_ints);
    s4.wait();
    // a matched message received later, as another type
    auto s5 = g.comm.isend(std::vector<double>{1, 2, 3}, g.to, 5);
    {
        auto m = g.comm.mprobe(g.from, 5);
        std::vector<int> v;
        require_type_error([&] { m.recv_resize(v); }, doubles_as_ints);
    } // the message is dropped here (a send to oneself completes only once it is received)
    s5.wait();
    // sendrecv (both parts: the receive is checked)
    std::vector<float> floats(6);
    require_type_error([&] { (void)g.comm.sendrecv(std::vector<double>{1, 2, 3}, g.to, 6, floats, g.from, 6); },
                       {rank_text(g.from) + " sent 3 x MPI_DOUBLE", "expected MPI_FLOAT elements"});
    // After every error the pairing holds: the next message on each tag arrives and checks cleanly.
    g.comm.barrier();
    for (int tag = 1; tag <= 6; ++tag) {
        auto s = g.comm.isend(std::vector<int>{tag, g.me}, g.to, tag);
        CHECK(g.comm.recv<std::vector<int>>(g.from, tag) == std::vector<int>{tag, g.from});
        s.wait();
    }
}

TEST_CASE("checked p2p: objects and typed messages are told apart", "[checked]") {
    ring g;
    std::list<int> l;
    for (int i = 0; i < 200; ++i) l.push_back(i);
    // A serialized object received as a typed vector (MPI would hand over the stream's bytes as ints).
    auto s1 = g.comm.isend(l, g.to, 1);
    require_type_error([&] { (void)g.comm.recv<std::vector<int>>(g.from, 1); },
                       {rank_text(g.from) + " sent a serialized std::list<int>", rank_text(g.me) + " expected MPI_INT"});
    s1.wait();
    // A typed message received as an object.
    auto s2 = g.comm.isend(std::vector<double>{1, 2, 3}, g.to, 2);
    require_type_error([&] { (void)g.comm.recv<std::list<double>>(g.from, 2); },
                       {rank_text(g.from) + " sent 3 x MPI_DOUBLE", "expected a serialized std::list<double>"});
    s2.wait();
    // Bytes may carry anything: a serialized stream received as bytes, bytes decoded as an object.
    auto s3 = g.comm.isend(l, g.to, 3);
    const auto raw = g.comm.recv<std::vector<std::byte>>(g.from, 3);
    CHECK(mpixx::deserialize<std::list<int>>(raw) == l);
    s3.wait();
    auto s4 = g.comm.isend(mpixx::serialize(l), g.to, 4);
    CHECK(g.comm.recv<std::list<int>>(g.from, 4) == l);
    s4.wait();
    // Objects of the right type pass, blocking and not.
    auto s5 = g.comm.isend(std::string("checked"), g.to, 5);
    CHECK(g.comm.irecv<std::string>(g.from, 5).wait() == "checked");
    s5.wait();
}

TEST_CASE("checked p2p: legitimate pairings are never reported", "[checked]") {
    ring g;
    // Integers of one size match whatever their signedness and spelling.
    auto s1 = g.comm.isend(std::vector<long long>{-1, 2}, g.to, 1);
    CHECK(g.comm.recv<std::vector<std::uint64_t>>(g.from, 1).size() == 2);
    s1.wait();
    auto s2 = g.comm.isend(std::vector<long>{5}, g.to, 2);
    CHECK(g.comm.recv<std::vector<long long>>(g.from, 2) == std::vector<long long>{5});
    s2.wait();
    // Bytes on either side.
    auto s3 = g.comm.isend(std::vector<double>{1.5}, g.to, 3);
    CHECK(g.comm.recv<std::vector<std::byte>>(g.from, 3).size() == sizeof(double));
    s3.wait();
    // A strided column against contiguous memory: the same type signature.
    std::vector<double> grid(4 * 5);
    for (std::size_t i = 0; i < grid.size(); ++i) grid[i] = static_cast<double>(i) + 100.0 * g.me;
    mpixx::md_view<double, 2> view(grid.data(), {4, 5});
    auto s4 = g.comm.isend(view.column(2), g.to, 4);
    std::vector<double> col(4);
    g.comm.recv(col, g.from, 4);
    s4.wait();
    for (int i = 0; i < 4; ++i) CHECK(col[static_cast<std::size_t>(i)] == i * 5 + 2 + 100.0 * g.from);
    // Aggregates (derived struct datatypes) of the same fields.
    struct particle {
        double x, y;
        int id;
    };
    auto s5 = g.comm.isend(std::vector<particle>{{1, 2, g.me}}, g.to, 5);
    const auto ps = g.comm.recv<std::vector<particle>>(g.from, 5);
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].id == g.from);
    s5.wait();
    // any_source / any_tag: each message meets its own signature, in order, whatever the types.
    auto a = g.comm.isend(std::vector<int>{7}, g.to, 10);
    auto b = g.comm.isend(std::vector<double>{8.5}, g.to, 11);
    auto c = g.comm.isend(std::string("nine"), g.to, 10);
    auto m1 = g.comm.mprobe(mpixx::any_source, 10);
    CHECK(m1.recv<std::vector<int>>() == std::vector<int>{7});
    auto m2 = g.comm.mprobe(mpixx::any_source, mpixx::any_tag);
    CHECK(m2.status().tag() == 11); // sent before the string
    CHECK(m2.recv<std::vector<double>>() == std::vector<double>{8.5});
    CHECK(g.comm.recv<std::string>(mpixx::any_source, mpixx::any_tag) == "nine");
    a.wait();
    b.wait();
    c.wait();
    // proc_null: nothing to check.
    g.comm.send(std::vector<int>{1}, mpixx::proc_null, 1);
    CHECK(g.comm.recv<std::vector<double>>(mpixx::proc_null, 1).empty());
}

TEST_CASE("checked p2p: raw MPI senders and dropped messages keep the pairing", "[checked]") {
    ring g;
    // A raw MPI send has no signature: received normally (after a short wait the first time).
    const double x = 2.5;
    MPI_Request r;
    MPI_Isend(&x, 1, MPI_DOUBLE, g.to, 1, g.comm.native(), &r);
    CHECK(g.comm.recv<double>(g.from, 1) == 2.5);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
    // mpixx sends after that are checked again.
    auto s2 = g.comm.isend(std::vector<double>{1}, g.to, 2);
    require_type_error([&] { (void)g.comm.recv<std::vector<std::int64_t>>(g.from, 2); }, {"sent 1 x MPI_DOUBLE"});
    s2.wait();
    // A matched message dropped unreceived takes its signature with it: the next one pairs right.
    auto s3 = g.comm.isend(std::vector<double>{1, 2}, g.to, 3);
    auto s4 = g.comm.isend(std::vector<int>{3}, g.to, 3);
    { auto dropped = g.comm.mprobe(g.from, 3); }
    CHECK(g.comm.recv<std::vector<int>>(g.from, 3) == std::vector<int>{3});
    s3.wait();
    s4.wait();
}

TEST_CASE("checked p2p: persistent sends announce every start, persistent receives check each run", "[checked]") {
    ring g;
    // A matching persistent pair, started three times (start_all for the last run).
    std::vector<double> out(3), in(3);
    auto send = g.comm.send_init(out, g.to, 1);
    auto recv = g.comm.recv_init(in, g.from, 1);
    for (int run = 0; run < 3; ++run) {
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = g.me * 10 + run + static_cast<double>(i);
        if (run < 2) {
            recv.start();
            send.start();
        } else {
            mpixx::start_all(recv, send);
        }
        recv.wait();
        send.wait();
        for (std::size_t i = 0; i < in.size(); ++i) CHECK(in[i] == g.from * 10 + run + static_cast<double>(i));
    }
    // A persistent send of doubles received as ints by a plain receive, and by a persistent one.
    const std::vector<std::string> doubles_as_ints{rank_text(g.from) + " sent 3 x MPI_DOUBLE (24 bytes)",
                                                   rank_text(g.me) + " expected MPI_INT elements"};
    auto bad = g.comm.send_init(out, g.to, 2);
    bad.start();
    std::vector<int> six(6);
    require_type_error([&] { (void)g.comm.recv(six, g.from, 2); }, doubles_as_ints);
    bad.wait();
    auto ints = g.comm.recv_init(six, g.from, 2);
    ints.start();
    bad.start();
    require_type_error([&] { ints.wait(); }, doubles_as_ints);
    bad.wait();
    // Typed persistent receive of a plain send of the wrong type.
    auto s = g.comm.isend(std::vector<float>{1, 2}, g.to, 3);
    std::vector<double> d(2);
    auto dr = g.comm.recv_init(d, g.from, 3);
    dr.start();
    require_type_error([&] { dr.wait(); }, {"sent 2 x MPI_FLOAT"});
    s.wait();
}

#if MPI_VERSION >= 4
TEST_CASE("checked p2p: isendrecv signs its send and checks its receive", "[checked]") {
    ring g;
    std::vector<double> out{1, 2, 3}, in(3);
    g.comm.isendrecv(out, g.to, 1, in, g.from, 1).wait();
    CHECK(in == out);
    // Its send received as ints; its receive of floats into doubles (the same 24 bytes).
    auto r = g.comm.isendrecv(out, g.to, 2, in, g.from, 3);
    std::vector<int> six(6);
    require_type_error([&] { (void)g.comm.recv(six, g.from, 2); },
                       {rank_text(g.from) + " sent 3 x MPI_DOUBLE (24 bytes)", rank_text(g.me) + " expected MPI_INT"});
    auto s = g.comm.isend(std::vector<float>{1, 2, 3, 4, 5, 6}, g.to, 3);
    require_type_error([&] { r.wait(); }, {"sent 6 x MPI_FLOAT", "expected MPI_DOUBLE"});
    s.wait();
    // isendrecv_replace: both halves checked too.
    std::vector<double> buf{4, 5};
    g.comm.isendrecv_replace(buf, g.to, 4, g.from, 4).wait();
    CHECK(buf == std::vector<double>{4, 5});
    // The pairing is intact afterwards.
    auto t = g.comm.isend(std::vector<int>{7}, g.to, 5);
    CHECK(g.comm.recv<std::vector<int>>(g.from, 5) == std::vector<int>{7});
    t.wait();
}
#endif

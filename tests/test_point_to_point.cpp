// Tests of mpixx/point_to_point.hpp and mpixx/message.hpp: typed blocking send/recv on the caller's
// memory, probe-sized receives, wildcards, sendrecv, probes, matched messages and the misuse errors.
#include "mpixx_test.hpp"

#include "error_class.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/layout.hpp>

#include <array>
#include <climits>
#include <new>
#include <optional>
#include <numeric>
#include <span>
#include <string>
#include <vector>

using mpixx_test::error_class_of;

namespace {

struct point {
    int x;
    double y;
};

// Ring neighbours; at 1 rank both are this rank (messages to self work with sendrecv).
int right_of(const mpixx::communicator& c) { return (c.rank() + 1) % c.size(); }
int left_of(const mpixx::communicator& c) { return (c.rank() + c.size() - 1) % c.size(); }

} // namespace

TEST_CASE("p2p: the guide's Send/Recv of an int array, into a caller's buffer and sized by probe") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    if (comm.size() < 2) return;
    if (comm.rank() == 0) {
        std::vector<int> data{1, 2, 3, 4};
        comm.send(data, 1, 13);
        comm.send(data, 1, 14);
    } else if (comm.rank() == 1) {
        std::vector<int> buf(4);
        mpixx::status st = comm.recv(buf, 0, 13);
        CHECK(buf == std::vector<int>{1, 2, 3, 4});
        CHECK(st.source() == 0);
        CHECK(st.tag() == 13);
        CHECK(st.count<int>() == 4);
        auto v = comm.recv<std::vector<int>>(0, 14);
        CHECK(v == std::vector<int>{1, 2, 3, 4});
    }
}

TEST_CASE("p2p: every rank sends to its right neighbour (scalars, aggregates, ranges)") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int r = comm.rank(), right = right_of(comm), left = left_of(comm);
    // scalars and aggregates
    CHECK(comm.sendrecv<int>(r * 7, right, 1, left, 1) == left * 7);
    point p = comm.sendrecv<point>(point{r, r + 0.5}, right, 2, left, 2);
    CHECK(p.x == left);
    CHECK(p.y == left + 0.5);
    // std::array as a range, C array, span, string
    std::array<double, 3> a{double(r), 1.0, 2.0}, ar{};
    comm.sendrecv(a, right, 3, ar, left, 3);
    CHECK(ar[0] == double(left));
    int c[2] = {r, -r}, cr[2] = {0, 0};
    comm.sendrecv(c, right, 4, cr, left, 4);
    CHECK(cr[0] == left);
    CHECK(cr[1] == -left);
    std::vector<long> big(10, r), bigr(10);
    comm.sendrecv(std::span<const long>(big).subspan(2, 5), right, 5, std::span<long>(bigr).first(5), left, 5);
    CHECK(bigr[0] == left);
    CHECK(bigr[4] == left);
    CHECK(bigr[5] == 0);
    std::string s = "rank " + std::to_string(r);
    auto got = comm.sendrecv<std::string>(s, right, 6, left, 6);
    CHECK(got == "rank " + std::to_string(left));
    auto vp = comm.sendrecv<std::vector<point>>(std::vector<point>(size_t(r + 1), point{r, 1.0}), right, 7, left, 7);
    CHECK(vp.size() == size_t(left + 1));
    CHECK(vp.back().x == left);
}

TEST_CASE("p2p: a const std::span of writable memory is a receive buffer (its constness is shallow)") {
    auto comm = mpixx::world().dup();
    std::vector<int> mine(3, -1);
    const std::span<int> into(mine);
    comm.sendrecv(std::vector<int>{comm.rank(), 1, 2}, right_of(comm), 3, into, left_of(comm), 3);
    CHECK(mine == std::vector<int>{left_of(comm), 1, 2});
    auto r = comm.irecv(into, left_of(comm), 4);
    auto s = comm.isend(std::vector<int>{comm.rank(), 5, 6}, right_of(comm), 4);
    r.wait();
    s.wait();
    CHECK(mine == std::vector<int>{left_of(comm), 5, 6});
    const std::vector<int> fixed{7, 8, 9}; // a const container stays a send buffer only
    comm.sendrecv(fixed, right_of(comm), 5, into, left_of(comm), 5);
    CHECK(mine == fixed);
    STATIC_REQUIRE_FALSE(mpixx::recv_target<const std::vector<int>&>);
}

TEST_CASE("p2p: sendrecv_replace") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    std::vector<int> v{comm.rank(), comm.rank() * 2};
    auto st = comm.sendrecv_replace(v, right_of(comm), 8, left_of(comm), 8);
    CHECK(v == std::vector<int>{left_of(comm), left_of(comm) * 2});
    CHECK(st.source() == left_of(comm));
}

TEST_CASE("p2p: any_source and any_tag gather every rank's value on rank 0") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    if (comm.rank() == 0) {
        std::vector<int> seen(comm.size(), 0);
        seen[0] = 1;
        for (int i = 1; i < comm.size(); ++i) {
            int v = -1;
            auto st = comm.recv(v, mpixx::any_source, mpixx::any_tag);
            CHECK(st.tag() == 100 + st.source());
            CHECK(v == st.source() * st.source());
            seen[st.source()] += 1;
        }
        CHECK(std::accumulate(seen.begin(), seen.end(), 0) == comm.size());
        CHECK(std::count(seen.begin(), seen.end(), 1) == comm.size());
    } else {
        comm.ssend(comm.rank() * comm.rank(), 0, 100 + comm.rank());
    }
}

TEST_CASE("p2p: probe, iprobe and matched messages") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    if (comm.size() < 2) {
        CHECK_FALSE(comm.iprobe(0, 77).has_value());
        CHECK_FALSE(comm.improbe(0, 77).has_value());
        return;
    }
    if (comm.rank() == 1) {
        comm.send(std::vector<double>{1.5, 2.5, 3.5}, 0, 20);
        comm.send(std::vector<short>{1, 2, 3, 4, 5}, 0, 21);
        comm.send(std::vector<short>{9, 8, 7}, 0, 22);
        comm.send(std::vector<int>(6, 1), 0, 23); // dropped unreceived by a message destructor
        comm.send(std::string("after"), 0, 24);
    } else if (comm.rank() == 0) {
        auto st = comm.probe(1, 20);
        CHECK(st.count<double>() == 3);
        CHECK(st.count<char>() == 24);
        CHECK_THROWS_AS((st.count<std::array<double, 2>>()), mpixx::error); // 24 bytes: not whole pairs
        std::optional<mpixx::status> maybe;
        while (!(maybe = comm.iprobe(1, 20))) {}
        CHECK(maybe->source() == 1);
        auto d = comm.recv<std::vector<double>>(1, 20);
        CHECK(d == std::vector<double>{1.5, 2.5, 3.5});

        auto m = comm.mprobe(1, 21);
        CHECK(m.count<short>() == 5);
        std::vector<short> small(2);
        try {
            m.recv(small);
            FAIL("truncation not detected");
        } catch (const mpixx::error& e) {
            CHECK(e.error_class() == MPI_ERR_TRUNCATE);
            std::string what = e.what();
            CHECK(what.find("5 x MPI_SHORT (10 bytes)") != std::string::npos);
            CHECK(what.find("2 x MPI_SHORT (4 bytes)") != std::string::npos);
        }
        CHECK(m.pending()); // still matched, can be received into a big enough buffer
        std::array<short, 8> roomy{};
        auto st2 = m.recv(roomy);
        CHECK(st2.count<short>() == 5);
        CHECK(roomy[4] == 5);
        CHECK_FALSE(m.pending());
        CHECK_THROWS_AS(m.recv(roomy), mpixx::error); // a message is received once
        std::vector<short> kept{4, 4, 4};                 // ... and a second recv_resize leaves the
        CHECK_THROWS_AS(m.recv_resize(kept), mpixx::error); // container as it was
        CHECK(kept == std::vector<short>{4, 4, 4});

        std::optional<mpixx::message> im;
        while (!(im = comm.improbe(1, 22))) {}
        CHECK(im->recv<std::vector<short>>() == std::vector<short>{9, 8, 7});

        { auto dropped = comm.mprobe(1, 23); }
        CHECK(comm.recv<std::string>(1, 24) == "after");
    }
}

TEST_CASE("p2p: misuse raises mpixx::error with the right class") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    int x = 0;
    auto expect_class = [](auto&& fn, int cls, const char* needle) {
        try {
            fn();
            FAIL("no error raised");
        } catch (const mpixx::error& e) {
            CHECK(e.error_class() == cls);
            CHECK(std::string(e.what()).find(needle) != std::string::npos);
        }
    };
    expect_class([&] { comm.send(x, comm.size(), 0); }, MPI_ERR_RANK, "out of range");
    expect_class([&] { comm.send(x, -5, 0); }, MPI_ERR_RANK, "rank -5");
    expect_class([&] { comm.recv(x, comm.size() + 3, 0); }, MPI_ERR_RANK, "out of range");
    expect_class([&] { comm.send(x, 0, -2); }, MPI_ERR_TAG, "tag -2");
    expect_class([&] { comm.recv(x, 0, -7); }, MPI_ERR_TAG, "tag -7");
    expect_class([&] { (void)comm.iprobe(comm.size(), 0); }, MPI_ERR_RANK, "out of range");
    // A tag above MPI_TAG_UB is rejected by MPI itself, and still becomes an mpixx::error. (The bound is
    // the library's: MPICH's is below INT_MAX, Open MPI's is INT_MAX, leaving no invalid positive tag.)
    int* tag_ub = nullptr;
    int found = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &found);
    REQUIRE(found);
    if (*tag_ub < INT_MAX) expect_class([&] { comm.send(x, mpixx::proc_null, *tag_ub + 1); }, MPI_ERR_TAG, "MPI_Send");
    comm.send(x, mpixx::proc_null, *tag_ub); // the bound itself is valid
    // proc_null is a valid peer: the operations complete at once.
    comm.send(x, mpixx::proc_null, 1);
    auto st = comm.recv(x, mpixx::proc_null, 1);
    CHECK(st.source() == mpixx::proc_null);
    // a matched probe of proc_null (MPI_MESSAGE_NO_PROC) is received once, as an empty message
    auto m = comm.mprobe(mpixx::proc_null, 1);
    CHECK(m.pending());
    std::vector<int> got{5, 5};
    m.recv_resize(got);
    CHECK(got.empty());
    CHECK_FALSE(m.pending());
    std::vector<int> kept{7, 7};
    expect_class([&] { m.recv_resize(kept); }, MPI_ERR_REQUEST, "already received");
    CHECK(kept == std::vector<int>{7, 7}); // a received message leaves the container untouched
}

namespace {

/// Fills the stack below the caller with a non-zero pattern, so that an uninitialised local of the
/// next call (made from the same depth) reads that pattern rather than a lucky zero.
[[gnu::noinline]] void dirty_stack() {
    volatile unsigned char junk[8192];
    for (auto& c : junk) c = 0xA5;
}

/// Calls f in a fresh frame, over the memory dirty_stack just filled.
template <class F>
[[gnu::noinline]] auto in_fresh_frame(F&& f) {
    return f();
}

} // namespace

TEST_CASE("p2p: typed receives from proc_null return a value-initialised result, never garbage") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int right = right_of(comm);
    for (int round = 0; round < 4; ++round) { // several frames and ranks: garbage would show somewhere
        dirty_stack();
        CHECK(in_fresh_frame([&] { return comm.recv<long>(mpixx::proc_null, round); }) == 0L);
        dirty_stack();
        CHECK(in_fresh_frame([&] { return comm.recv<double>(mpixx::proc_null); }) == 0.0);
        dirty_stack();
        const point p = in_fresh_frame([&] { return comm.recv<point>(mpixx::proc_null, mpixx::any_tag); });
        CHECK(p.x == 0);
        CHECK(p.y == 0.0);
        // sendrecv<R> with a proc_null source: the send goes (to proc_null, or around the ring), R{} comes back.
        dirty_stack();
        CHECK(in_fresh_frame([&] { return comm.sendrecv<long>(comm.rank(), mpixx::proc_null, 0, mpixx::proc_null); }) ==
              0L);
        dirty_stack();
        const long from_null = in_fresh_frame([&] {
            auto r = comm.irecv<long>(mpixx::any_source, 40 + round); // the ring's message, taken apart
            const long v = comm.sendrecv<long>(long(comm.rank()), right, 40 + round, mpixx::proc_null);
            CHECK(r.wait() == long(left_of(comm)));
            return v;
        });
        CHECK(from_null == 0L);
        // Containers were already default-constructed; they stay empty.
        CHECK(comm.recv<std::vector<int>>(mpixx::proc_null).empty());
        CHECK(comm.sendrecv<std::string>(std::string("x"), mpixx::proc_null, 0, mpixx::proc_null).empty());
    }
}

TEST_CASE("p2p: a receive buffer smaller than the message raises MPI_ERR_TRUNCATE naming its size") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int right = right_of(comm), left = left_of(comm);
    std::vector<int> out(10, comm.rank()), in(4);
    mpixx::communicator dup = comm.dup(); // keep the failed exchange away from other tests' messages
#ifdef OPEN_MPI
    // Open MPI completes a receive from itself posted before its matching send with MPI_SUCCESS, the
    // message silently cut to the buffer (a plain C program does the same): nothing for mpixx to see.
    if (comm.size() == 1) return;
#endif
    try {
        dup.sendrecv(out, right, 9, in, left, 9);
        FAIL("truncation not detected");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_TRUNCATE);
        CHECK(std::string(e.what()).find("4 x MPI_INT (16 bytes)") != std::string::npos);
    }
}

TEST_CASE("p2p: sendrecv<container> checks its source and tag before it sends anything") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int right = right_of(comm);
    const std::vector<int> mine{1, 2, 3};
    // A refused call must not have sent: a message left behind would meet the peer's next receive.
    CHECK(error_class_of([&] { (void)comm.sendrecv<std::vector<int>>(mine, right, 60, comm.size() + 2, 60); }) ==
          MPI_ERR_RANK);
    CHECK(error_class_of([&] { (void)comm.sendrecv<std::vector<int>>(mine, right, 61, mpixx::any_source, -7); }) ==
          MPI_ERR_TAG);
    comm.barrier(); // every rank's refused call is over: a message it sent has arrived
    CHECK_FALSE(comm.iprobe(mpixx::any_source, 60).has_value());
    CHECK_FALSE(comm.iprobe(mpixx::any_source, 61).has_value());
}

namespace {

/// A datatype of one int 3 ints after its base (lower bound 12 bytes, extent 4), freed with the scope.
struct offset_int_type {
    MPI_Datatype t = MPI_DATATYPE_NULL;
    offset_int_type() {
        const int disp = 3;
        MPI_Type_create_indexed_block(1, 1, &disp, MPI_INT, &t);
        MPI_Type_commit(&t);
    }
    ~offset_int_type() { MPI_Type_free(&t); }
};

} // namespace

TEST_CASE("p2p: sendrecv_replace while a probe-sized receive is pending sends the items where they are") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int r = comm.rank(), right = right_of(comm), left = left_of(comm);
    // A pending irecv<std::string> makes blocking calls keep it matching (detail/progress.hpp): then
    // sendrecv_replace sends a copy of the buffer, which must cover what the datatype touches.
    auto pending = comm.irecv<std::string>(mpixx::any_source, 62);
    // lower bound 12: items 3..6 of the buffer (the copy once started at the buffer and read past itself)
    std::vector<int> buf(8);
    std::iota(buf.begin(), buf.end(), 100 * r);
    const offset_int_type offset;
    comm.sendrecv_replace(mpixx::raw(buf.data(), 4, offset.t), right, 63, left, 63);
    CHECK(buf == std::vector<int>{100 * r, 100 * r + 1, 100 * r + 2, 100 * left + 3, 100 * left + 4,
                                  100 * left + 5, 100 * left + 6, 100 * r + 7});
    // columns of a 4 x 4 matrix, resized to one element: 4 items span the whole matrix (16 x extent)
    std::vector<int> m(16);
    std::iota(m.begin(), m.end(), 100 * r);
    const mpixx::resized_layout<int> column(mpixx::vector_layout<int>(4, 1, 4), 0, sizeof(int));
    comm.sendrecv_replace(mpixx::layout_view(m.data(), column, 4), right, 64, left, 64);
    std::vector<int> expected(16);
    std::iota(expected.begin(), expected.end(), 100 * left);
    CHECK(m == expected);
    auto done = comm.isend(std::string("end"), r, 62);
    CHECK(pending.wait() == "end");
    done.wait();
}

TEST_CASE("p2p: a matched message that ends inside a layout item is received as a plain receive would") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int r = comm.rank();
    const std::vector<int> six{1, 2, 3, 4, 5, 6};
    const mpixx::contiguous_layout<int> four(4);
    // 6 ints into 2 items of 4 ints: legal MPI (the second item partly filled), and so is the matched path.
    auto s1 = comm.isend(six, r, 65);
    std::vector<int> dst(8, -1);
    auto m = comm.mprobe(r, 65);
    auto st = m.recv(mpixx::layout_view(dst.data(), four, 2));
    CHECK(dst == std::vector<int>{1, 2, 3, 4, 5, 6, -1, -1});
    CHECK(st.count<int>() == 6);
    s1.wait();
    auto s2 = comm.isend(six, r, 66);
    std::vector<int> dst2(8, -1);
    auto m2 = comm.mprobe(r, 66);
    m2.irecv(mpixx::layout_view(dst2.data(), four, 2)).wait();
    CHECK(dst2 == dst);
    s2.wait();
    // ... but not into 1 item (truncation), and a message ending inside an int matches no int receive.
    auto s3 = comm.isend(six, r, 67);
    auto m3 = comm.mprobe(r, 67);
    CHECK(error_class_of([&] { m3.recv(mpixx::layout_view(dst.data(), four, 1)); }) == MPI_ERR_TRUNCATE);
    CHECK(m3.pending());
    m3.recv(dst);
    s3.wait();
    auto s4 = comm.isend(std::vector<char>(6, 'x'), r, 68);
    auto m4 = comm.mprobe(r, 68);
    int ints[4] = {};
    CHECK(error_class_of([&] { m4.recv(ints); }) == MPI_ERR_TYPE);
    CHECK(m4.pending());
    m4.recv(std::span<char>(reinterpret_cast<char*>(ints), 6));
    s4.wait();
}

namespace {

/// An allocator that refuses more than 4 elements (a container with a fixed capacity).
template <class T>
struct capped_allocator {
    using value_type = T;
    capped_allocator() = default;
    template <class U>
    capped_allocator(const capped_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (n > 4) throw std::bad_alloc();
        return static_cast<T*>(::operator new(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
    friend bool operator==(capped_allocator, capped_allocator) noexcept { return true; }
};

} // namespace

TEST_CASE("p2p: a container that cannot grow to the message raises MPI_ERR_NO_MEM, not std::bad_alloc") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int r = comm.rank();
    using capped = std::vector<int, capped_allocator<int>>;
    auto s = comm.isend(std::vector<int>(10, r), r, 69);
    CHECK(error_class_of([&] { (void)comm.recv<capped>(r, 69); }) == MPI_ERR_NO_MEM);
    s.wait();                                          // the refused message was taken off the wire
    CHECK_FALSE(comm.iprobe(r, 69).has_value());
    auto s2 = comm.isend(std::vector<int>(10, r), r, 70);
    auto m = comm.mprobe(r, 70);
    CHECK(error_class_of([&] { (void)m.irecv<capped>(); }) == MPI_ERR_NO_MEM);
    capped small;
    CHECK(error_class_of([&] { m.recv_resize(small); }) == MPI_ERR_NO_MEM);
    CHECK(m.pending()); // as after a truncation: still there to be received otherwise
    CHECK(m.recv<std::vector<int>>() == std::vector<int>(10, r));
    s2.wait();
    // irecv<C>() sized by a probe: the message arrived first, or after the receive was posted; either
    // way an mpixx::error, and the message taken off the wire as by recv<C>().
    // (A send to oneself may complete only once received: wait for the sends afterwards.)
    auto s3 = comm.isend(std::vector<int>(10, r), r, 71);
    while (!comm.iprobe(r, 71)) {
    }
    CHECK(error_class_of([&] { (void)comm.irecv<capped>(r, 71).wait(); }) == MPI_ERR_NO_MEM);
    s3.wait();
    CHECK_FALSE(comm.iprobe(r, 71).has_value());
    auto q = comm.irecv<capped>(r, 72);
    auto s4 = comm.isend(std::vector<int>(10, r), r, 72);
    CHECK(error_class_of([&] { (void)q.wait(); }) == MPI_ERR_NO_MEM);
    s4.wait();
    CHECK_FALSE(comm.iprobe(r, 72).has_value());
}

TEST_CASE("p2p: counts above INT_MAX use the large-count calls", "[.large]") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    // 2^31 + 16 bytes: one element more than an int count can say. Ranks 0 and 1 (or 0 with itself).
    const std::size_t n = (std::size_t(1) << 31) + 16;
    const int peer = comm.size() > 1 ? 1 : 0;
#if MPI_VERSION < 4
    // No large-count calls: every such count is MPI_ERR_COUNT, found before any message moves (so no rank
    // waits for a message its peer never sent).
    if (comm.rank() == 0 || comm.rank() == peer) {
        std::vector<char> big(n, 'x');
        CHECK(mpixx_test::error_class_of([&] { comm.send(big, peer, 31); }) == MPI_ERR_COUNT);
        CHECK(mpixx_test::error_class_of([&] { comm.recv(big, 0, 31); }) == MPI_ERR_COUNT);
        CHECK(mpixx_test::error_class_of([&] { (void)comm.isend(big, peer, 31); }) == MPI_ERR_COUNT);
    }
    return;
#endif
    if (comm.rank() == 0) {
        std::vector<char> big(n, 'x');
        big.back() = 'y';
        if (peer == 0) {
            auto got = comm.sendrecv<std::vector<char>>(big, 0, 31, 0, 31);
            CHECK(got.size() == n);
            CHECK(got.back() == 'y');
        } else {
            comm.send(big, peer, 31);
        }
    } else if (comm.rank() == peer) {
        auto st = comm.probe(0, 31);
        CHECK(st.count<char>() == n);
        auto got = comm.recv<std::vector<char>>(0, 31);
        CHECK(got.size() == n);
        CHECK(got[12345] == 'x');
        CHECK(got.back() == 'y');
    }
}

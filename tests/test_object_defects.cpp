// Regression tests of the object layer's defects (issues #9 and #16): serialized() of a temporary is
// owned; value-initialised results for zero-length and proc_null messages; no request escapes a failed
// post; counts refused (never truncated) without large-count calls, agreed on by every rank first;
// routine names of the v-collectives; a refused message above INT_MAX is still consumed; a failed decode
// drains its out-of-band runs; the spellings of issue 14; streams shared between translation units built
// with different MPIXX_TYPE_CHECK / MPIXX_OOB_THRESHOLD (object_defects_alt.cpp).
#include "error_class.hpp"
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/object_messaging.hpp>

#include <climits>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

using mpixx_test::error_class_of;

// ---- PMPI interposition: fail chosen calls, and track the send requests a call leaves in flight ----

namespace inject {
int fail_isend_at = 0; // the n-th MPI_Isend/MPI_Issend from now fails (0: none)
int isend_calls = 0;
bool fail_v = false;             // MPI_Gatherv(_c) and MPI_Allgatherv(_c) fail
std::set<MPI_Request> live;      // send requests posted and not yet completed
void arm_isend(int n) {
    fail_isend_at = n;
    isend_calls = 0;
    live.clear();
}
int maybe_fail_isend() {
    return fail_isend_at > 0 && ++isend_calls == fail_isend_at ? MPI_ERR_OTHER : MPI_SUCCESS;
}
} // namespace inject

extern "C" {
int MPI_Isend(const void* buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm, MPI_Request* r) {
    if (int rc = inject::maybe_fail_isend(); rc != MPI_SUCCESS) return rc;
    const int rc = PMPI_Isend(buf, count, type, dest, tag, comm, r);
    if (rc == MPI_SUCCESS && inject::fail_isend_at > 0) inject::live.insert(*r);
    return rc;
}
int MPI_Issend(const void* buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm, MPI_Request* r) {
    if (int rc = inject::maybe_fail_isend(); rc != MPI_SUCCESS) return rc;
    const int rc = PMPI_Issend(buf, count, type, dest, tag, comm, r);
    if (rc == MPI_SUCCESS && inject::fail_isend_at > 0) inject::live.insert(*r);
    return rc;
}
int MPI_Wait(MPI_Request* r, MPI_Status* st) {
    const MPI_Request h = *r;
    const int rc = PMPI_Wait(r, st);
    if (*r == MPI_REQUEST_NULL) inject::live.erase(h);
    return rc;
}
int MPI_Test(MPI_Request* r, int* flag, MPI_Status* st) {
    const MPI_Request h = *r;
    const int rc = PMPI_Test(r, flag, st);
    if (rc == MPI_SUCCESS && *flag && *r == MPI_REQUEST_NULL) inject::live.erase(h);
    return rc;
}
#if MPI_VERSION >= 4
int MPI_Gatherv_c(const void* sb, MPI_Count sc, MPI_Datatype st, void* rb, const MPI_Count rc[], const MPI_Aint d[],
                  MPI_Datatype rt, int root, MPI_Comm comm) {
    return inject::fail_v ? MPI_ERR_OTHER : PMPI_Gatherv_c(sb, sc, st, rb, rc, d, rt, root, comm);
}
int MPI_Allgatherv_c(const void* sb, MPI_Count sc, MPI_Datatype st, void* rb, const MPI_Count rc[],
                     const MPI_Aint d[], MPI_Datatype rt, MPI_Comm comm) {
    return inject::fail_v ? MPI_ERR_OTHER : PMPI_Allgatherv_c(sb, sc, st, rb, rc, d, rt, comm);
}
#else
int MPI_Gatherv(const void* sb, int sc, MPI_Datatype st, void* rb, const int rc[], const int d[], MPI_Datatype rt,
                int root, MPI_Comm comm) {
    return inject::fail_v ? MPI_ERR_OTHER : PMPI_Gatherv(sb, sc, st, rb, rc, d, rt, root, comm);
}
int MPI_Allgatherv(const void* sb, int sc, MPI_Datatype st, void* rb, const int rc[], const int d[], MPI_Datatype rt,
                   MPI_Comm comm) {
    return inject::fail_v ? MPI_ERR_OTHER : PMPI_Allgatherv(sb, sc, st, rb, rc, d, rt, comm);
}
#endif
}

// The other translation unit, built with MPIXX_TYPE_CHECK=1 and MPIXX_OOB_THRESHOLD=64.
void* alt_isend_record(MPI_Comm comm, int dest, int tag, int seed);
void alt_wait(void* request);
bool alt_recv_record(MPI_Comm comm, int source, int tag, int seed);
int alt_recv_as_wrong_type(MPI_Comm comm, int source, int tag);

namespace {

using dict = std::map<std::string, int>;
using rows_t = std::vector<std::vector<double>>;

/// Two rows of 16 KiB (two out-of-band runs at the default 8 KiB threshold), values from `seed`.
rows_t rows_of(int seed, std::size_t per_row = 2048) {
    rows_t rows(2);
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].assign(per_row, seed * 10.0 + static_cast<double>(i));
    return rows;
}

/// The record the alt TU sends: its bulk runs are 64..8191 bytes (out of band there, inline here).
struct mixed_record {
    std::string name;
    std::vector<double> small; // 800 bytes
    std::vector<int> tiny;     // 16 bytes: inline everywhere
};
mixed_record record_of(int seed) {
    return {"record " + std::to_string(seed), std::vector<double>(100, seed + 0.5), std::vector<int>{seed, 1, 2, 3}};
}
bool is_record(const mixed_record& r, int seed) {
    const auto want = record_of(seed);
    return r.name == want.name && r.small == want.small && r.tiny == want.tiny;
}

int right_of(const mpixx::communicator& c) { return (c.rank() + 1) % c.size(); }
int left_of(const mpixx::communicator& c) { return (c.rank() + c.size() - 1) % c.size(); }

/// A communicator with the object layer's internals reachable: the count limit can be lowered to
/// exercise the path of an MPI without large-count calls (INT_MAX) with small objects.
struct limited_comm : mpixx::communicator {
    explicit limited_comm(const mpixx::communicator& c) : mpixx::communicator(c) {}
    using mpixx::detail::object_collective_layer::allgather_objects;
    using mpixx::detail::object_collective_layer::alltoall_objects;
    using mpixx::detail::object_collective_layer::bcast_object_into;
    using mpixx::detail::object_collective_layer::bcast_object_root;
    using mpixx::detail::object_collective_layer::gather_objects;
    using mpixx::detail::object_collective_layer::scatter_objects;
    using mpixx::detail::object_layer::send_object;
    using mpixx::detail::object_layer::start_object_send;
};

/// Drops every message from `source` on `tag` until one arrives on `done_tag` (received and returned).
int drop_until_done(const mpixx::communicator& comm, int source, int tag, int done_tag) {
    int dropped = 0;
    for (;;) {
        if (auto m = comm.improbe(source, tag)) {
            ++dropped; // received and dropped by the message's destructor
            continue;
        }
        if (comm.iprobe(source, done_tag)) break;
    }
    (void)comm.recv<int>(source, done_tag);
    return dropped;
}

} // namespace

// ---- 2: serialized() of a temporary owns it ----

TEST_CASE("object defects: serialized() of a temporary owns it; of an lvalue borrows it") {
    std::vector<double> lvalue(4, 1.0);
    STATIC_REQUIRE(std::is_same_v<decltype(mpixx::serialized(lvalue)), mpixx::serialized_ref<std::vector<double>>>);
    STATIC_REQUIRE(
        std::is_same_v<decltype(mpixx::serialized(std::vector<double>{})), mpixx::serialized_value<std::vector<double>>>);

    auto comm = mpixx::world().dup();
    const int r = comm.rank(), right = right_of(comm), left = left_of(comm);
    const std::size_t n = std::size_t(1) << 17; // 1 MiB: one out-of-band run, sent from the wrapper's value
    const auto make_big = [&](int seed) { return std::vector<double>(n, seed + 0.25); };
    auto out = comm.isend(mpixx::serialized(make_big(r)), right, 20); // was: freed before the send completed
    std::vector<double> reuse(n, -7.0);                                // reuses freed memory, if any
    comm.barrier(); // only now is the message matched and its run read
    const auto got = comm.recv_object<std::vector<double>>(left, 20);
    REQUIRE(got.size() == n);
    CHECK(got.front() == left + 0.25);
    CHECK(got.back() == left + 0.25);
    const std::vector<double> back = out.wait(); // owned: handed back
    CHECK(back.size() == n);
    CHECK(reuse.front() == -7.0);

    // issend, and the blocking spellings, with a temporary
    auto in2 = comm.irecv_object<std::vector<double>>(left, 21);
    auto out2 = comm.issend(mpixx::serialized(make_big(r + 1)), right, 21);
    CHECK(in2.wait().back() == left + 1.25);
    (void)out2.wait();
    auto bc = comm.bcast(mpixx::serialized(make_big(r == 0 ? 5 : 6)), 0);
    CHECK(bc.back() == 5.25);
}

// ---- 3: value-initialised results for zero-length and proc_null messages ----

namespace {
struct point {
    double x, y, z;
};
[[gnu::noinline]] void poison_stack() {
    volatile unsigned char junk[8192];
    for (auto& c : junk) c = 0xAB;
}
[[gnu::noinline]] bool received_zero(mpixx::message& m) {
    const point p = m.recv<point>();
    return p.x == 0.0 && p.y == 0.0 && p.z == 0.0;
}
[[gnu::noinline]] bool zero_after_poison(mpixx::message& m) {
    poison_stack(); // the frame of received_zero lies where the junk was
    return received_zero(m);
}
} // namespace

TEST_CASE("object defects: zero-length and proc_null messages give value-initialised results") {
    auto comm = mpixx::world().dup();
    {
        auto m = comm.mprobe(mpixx::proc_null);
        CHECK(zero_after_poison(m));
        CHECK_FALSE(m.pending());
    }
    {
        auto m = comm.mprobe(mpixx::proc_null);
        CHECK(m.recv<int>() == 0);
    }
    if (comm.size() >= 2 && comm.rank() < 2) { // a zero-length message from a real peer
        if (comm.rank() == 0) {
            comm.send(std::span<const point>(), 1, 3);
        } else {
            auto m = comm.mprobe(0, 3);
            CHECK(zero_after_poison(m));
        }
    }

    // objects from proc_null: recv, irecv, sendrecv, matched message, recv into an existing object
    using table = std::map<int, std::string>;
    CHECK(comm.recv<table>(mpixx::proc_null).empty());
    CHECK(comm.irecv<table>(mpixx::proc_null, 4).wait().empty());
    CHECK(comm.sendrecv<table>(table{{1, "x"}}, mpixx::proc_null, 0, mpixx::proc_null).empty());
    CHECK(comm.recv_object<std::vector<int>>(mpixx::proc_null).empty());
    {
        auto m = comm.mprobe(mpixx::proc_null);
        CHECK(m.recv<table>().empty());
        CHECK_FALSE(m.pending());
        auto m2 = comm.mprobe(mpixx::proc_null);
        CHECK(m2.irecv<table>().wait().empty());
    }
    table kept{{7, "kept"}};
    const auto st = comm.recv(kept, mpixx::proc_null);
    CHECK(st.source() == mpixx::proc_null);
    CHECK(kept.at(7) == "kept");
    mixed_record rec = comm.recv<mixed_record>(mpixx::proc_null);
    CHECK(rec.name.empty());
    CHECK(rec.small.empty());
}

TEST_CASE("object defects: sendrecv of objects checks its source and tag before it sends anything") {
    auto comm = mpixx::world().dup();
    const int right = (comm.rank() + 1) % comm.size();
    using table = std::map<int, std::string>;
    const table mine{{comm.rank(), "x"}};
    // A refused call must not have sent its object: it would meet the peer's next receive.
    CHECK(error_class_of([&] { (void)comm.sendrecv<table>(mine, right, 5, comm.size() + 2, 5); }) == MPI_ERR_RANK);
    CHECK(error_class_of([&] { (void)comm.sendrecv<table>(mine, right, 6, mpixx::any_source, -7); }) == MPI_ERR_TAG);
    comm.barrier(); // every rank's refused call is over: an object it sent has arrived
    CHECK_FALSE(comm.iprobe(mpixx::any_source, 5).has_value());
    CHECK_FALSE(comm.iprobe(mpixx::any_source, 6).has_value());
}

// ---- 4: no request escapes a failed post ----

TEST_CASE("object defects: a send that fails half-way leaves no request in flight") {
    auto comm = mpixx::world().dup();
    if (comm.size() < 2 || comm.rank() > 1) return;
    const rows_t rows = rows_of(1, std::size_t(1) << 17); // two runs of 1 MiB: rendezvous, not cancellable
    // stream and first run posted, second run fails: isend, issend, sendrecv
    for (int tag : {70, 72, 74}) {
        if (comm.rank() == 0) {
            inject::arm_isend(3);
            mpixx::error caught("none", MPI_SUCCESS, "");
            try {
                if (tag == 70) (void)comm.isend(rows, 1, tag);
                else if (tag == 72) (void)comm.issend(rows, 1, tag);
                else (void)comm.sendrecv<dict>(rows, 1, tag, 1, tag);
            } catch (const mpixx::error& e) {
                caught = e;
            }
            const bool none_live = inject::live.empty();
            inject::arm_isend(0);
            CHECK(caught.error_class() == MPI_ERR_OTHER);
            CHECK(caught.routine() == "MPI_Isend"); // the second run's
            CHECK(none_live); // stream and first run completed (cancelled or taken) before the throw
            comm.send(1, 1, tag + 1);
        } else {
            const int dropped = drop_until_done(comm, 0, tag, tag + 1);
            CHECK(dropped <= 2);
            CHECK_FALSE(comm.iprobe(0, tag)); // nothing left behind
        }
    }
    // and the next object goes through intact
    if (comm.rank() == 0) comm.send(rows, 1, 76);
    else CHECK(comm.recv<rows_t>(0, 76) == rows);
}

// ---- 5: counts refused, never truncated, agreed on by every rank ----

TEST_CASE("object defects: the count limit of an MPI without large-count calls") {
    using mpixx::detail::byte_layout;
    using mpixx::detail::message_fits;
    constexpr std::size_t int_max = INT_MAX;
    STATIC_REQUIRE(mpixx::detail::count_limit == (MPI_VERSION >= 4 ? mpixx::detail::no_count_limit : int_max));
    CHECK(message_fits(int_max, {}, int_max));
    CHECK_FALSE(message_fits(int_max + 1, {}, int_max));
    CHECK(message_fits(int_max + 1, {}, mpixx::detail::no_count_limit));
    const std::vector<mpixx::detail::oob_out> runs{{nullptr, 16}, {nullptr, int_max + 1}};
    CHECK_FALSE(message_fits(100, runs, int_max));
    CHECK(message_fits(100, runs, mpixx::detail::no_count_limit));
    CHECK_FALSE(byte_layout({int_max + 1}).fits(int_max));           // a count
    CHECK(byte_layout({int_max, 2}).fits(int_max));                  // last displacement INT_MAX: fits
    CHECK_FALSE(byte_layout({int_max, 2, 1}).fits(int_max));         // a displacement above INT_MAX
    CHECK(byte_layout({int_max, 2, 1}).fits(mpixx::detail::no_count_limit));
}

TEST_CASE("object defects: an object over the count limit is refused on every rank before anything moves") {
    const limited_comm comm(mpixx::world().dup());
    const int r = comm.rank(), n = comm.size(), last = n - 1;
    // `limit` stands for INT_MAX: n small objects fit in it, one big one does not, and three halves do
    // not either (each fits, but the third starts past the limit). Sized from the stream itself: with
    // type checking on (Debug builds) every stream also carries its type's name.
    const std::string small = "r" + std::to_string(r);
    const std::size_t unit = mpixx::serialize(std::string("r0")).size(), overhead = unit - 2;
    const std::size_t limit = 8 * unit;
    const std::string big(limit + 1, 'x');

    // gather: the last rank's object is too big; every rank throws (the root learns it, the others too)
    CHECK(error_class_of([&] { (void)comm.gather_objects(r == last ? big : small, 0, limit); }) == MPI_ERR_COUNT);
    auto g = comm.gather_objects(small, 0, limit); // the communicator is still in step
    if (r == 0) {
        REQUIRE(g.size() == std::size_t(n));
        CHECK(g[std::size_t(last)] == "r" + std::to_string(last));
    }
    // only the root's total is too big: displacements above the limit
    const std::string half(limit / 2 + unit - overhead, 'h'); // two of them end past the limit
    if (n >= 3) CHECK(error_class_of([&] { (void)comm.gather_objects(half, 0, limit); }) == MPI_ERR_COUNT);

    CHECK(error_class_of([&] { (void)comm.allgather_objects(r == last ? big : small, limit); }) == MPI_ERR_COUNT);
    CHECK(comm.allgather_objects(small, limit).size() == std::size_t(n));

    // scatter: the root holds one object too big
    std::vector<std::string> parts(std::size_t(n), "p");
    parts.back() = big;
    CHECK(error_class_of([&] { (void)comm.scatter_objects(parts, 0, limit); }) == MPI_ERR_COUNT);
    parts.back() = "p";
    CHECK(comm.scatter_objects(parts, 0, limit) == "p");

    // alltoall: the last rank sends one object too big to rank 0 (only rank 0 and the last know it)
    std::vector<std::string> out(std::size_t(n), "a");
    if (r == last) out[0] = big;
    CHECK(error_class_of([&] { (void)comm.alltoall_objects(out, limit); }) == MPI_ERR_COUNT);
    // what one rank receives is too big in total, though each piece fits: agreed through the allreduce
    if (n >= 3) {
        std::vector<std::string> to_zero(std::size_t(n), "b");
        to_zero[0] = half;
        CHECK(error_class_of([&] { (void)comm.alltoall_objects(to_zero, limit); }) == MPI_ERR_COUNT);
    }
    CHECK(comm.alltoall_objects(std::vector<std::string>(std::size_t(n), "c"), limit).size() == std::size_t(n));

    // bcast: the root's object is too big; every rank throws, none waits for data
    if (r == 0) CHECK(error_class_of([&] { comm.bcast_object_root(big, 0, limit); }) == MPI_ERR_COUNT);
    else {
        std::string into;
        CHECK(error_class_of([&] { comm.bcast_object_into(into, 0, limit); }) == MPI_ERR_COUNT);
    }
    CHECK(comm.bcast(dict{{"after", 1}}, 0).at("after") == 1);

    // point-to-point: refused before anything is sent, so the next object arrives intact
    if (n >= 2 && r < 2) {
        if (r == 0) {
            CHECK(error_class_of([&] { comm.send_object(big, 1, 9, false, limit); }) == MPI_ERR_COUNT);
            CHECK(error_class_of([&] { (void)comm.start_object_send(big, 1, 9, false, "mpixx::isend", limit); }) ==
                  MPI_ERR_COUNT);
            comm.send(dict{{"next", 2}}, 1, 9);
        } else {
            CHECK(comm.recv<dict>(0, 9).at("next") == 2);
        }
    }
}

TEST_CASE("object defects: v-collective errors name the MPI routine (not the macro)") {
    if (MPIXX_COLLECTIVE_PROGRESS) return; // the non-blocking twins are called then
    auto comm = mpixx::world().dup();
    const char* gatherv = MPI_VERSION >= 4 ? "MPI_Gatherv_c" : "MPI_Gatherv";
    const char* allgatherv = MPI_VERSION >= 4 ? "MPI_Allgatherv_c" : "MPI_Allgatherv";
    inject::fail_v = true; // on every rank: they all fail together
    std::string gather_routine, allgather_routine;
    try {
        (void)comm.gather(dict{{"a", 1}}, 0);
    } catch (const mpixx::error& e) {
        gather_routine = e.routine();
    }
    try {
        (void)comm.allgather(dict{{"a", 1}});
    } catch (const mpixx::error& e) {
        allgather_routine = e.routine();
    }
    inject::fail_v = false;
    CHECK(gather_routine == gatherv);
    CHECK(allgather_routine == allgatherv);
}

TEST_CASE("object defects: a refused message is consumed (also above INT_MAX bytes) and its sender completes") {
    auto comm = mpixx::world().dup();
    if (comm.size() < 2) return;
    // 2049 MiB from a 1 MiB buffer (a send datatype may repeat memory): a count no int holds
    const std::size_t mib = std::size_t(1) << 20;
    if (comm.rank() == 0) {
        std::vector<char> block(mib, 'y');
        MPI_Datatype one = MPI_DATATYPE_NULL, many = MPI_DATATYPE_NULL;
        MPI_Type_contiguous(static_cast<int>(mib), MPI_BYTE, &one);
        MPI_Type_create_hvector(2049, 1, 0, one, &many);
        MPI_Type_commit(&many);
        CHECK(MPI_Send(block.data(), 1, many, 1, 30, comm.native()) == MPI_SUCCESS); // returns: consumed
        MPI_Type_free(&many);
        MPI_Type_free(&one);
        comm.send(std::vector<char>(100 * 1024, 'z'), 1, 31); // above the stack buffer: dropped by truncation
        comm.send(42, 1, 32);
    } else if (comm.rank() == 1) {
        {
            auto m = comm.mprobe(0, 30);
            if (MPI_VERSION >= 4) CHECK(m.status().count(MPI_BYTE) == 2049 * mib);
            char small[16];
            CHECK(error_class_of([&] { m.recv(small); }) == MPI_ERR_TRUNCATE); // refused: still pending
            CHECK(m.pending());
        } // dropped here
        { auto m = comm.mprobe(0, 31); }
        CHECK(comm.recv<int>(0, 32) == 42); // the next message is intact
    }
    // on a communicator whose errors abort, a dropped message is received into scratch instead
    MPI_Comm fatal = MPI_COMM_NULL;
    MPI_Comm_dup(comm.native(), &fatal); // collective: every rank
    MPI_Comm_set_errhandler(fatal, MPI_ERRORS_ARE_FATAL);
    {
        auto w = mpixx::communicator::wrap(fatal);
        if (w.rank() == 0) {
            w.send(std::vector<char>(100 * 1024, 'f'), 1, 33);
        } else if (w.rank() == 1) {
            auto m = w.mprobe(0, 33); // dropped without MPI_ERR_TRUNCATE, which would abort
        }
        w.barrier();
    }
    MPI_Comm_free(&fatal);
}

// ---- 7: a failed decode drains the object's out-of-band runs ----

TEST_CASE("object defects: after a failed decode the runs are drained and the next object arrives intact") {
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), right = right_of(comm), left = left_of(comm);
    // a stream decoded as the wrong type: as a map (runs out), and as strings (runs of other sizes)
    const auto wrong_map = [&](int tag) { (void)comm.recv<std::map<int, int>>(left, tag); };
    const auto wrong_sizes = [&](int tag) { (void)comm.recv<std::vector<std::string>>(left, tag); };
    int tag = 40;
    for (int variant = 0; variant < 6; ++variant, tag += 2) {
        auto a = comm.isend(rows_of(r), right, tag);
        auto b = comm.isend(rows_of(r + 100), right, tag);
        switch (variant) {
        case 0: CHECK_THROWS_AS(wrong_map(tag), mpixx::error); break;
        case 1: CHECK_THROWS_AS(wrong_sizes(tag), mpixx::error); break;
        case 2: CHECK_THROWS_AS((comm.irecv<std::map<int, int>>(left, tag).wait()), mpixx::error); break;
        case 3: {
            std::vector<std::string> into{"keep"};
            CHECK_THROWS_AS(comm.recv(into, left, tag), mpixx::error);
            break;
        }
        case 4: {
            auto m = comm.mprobe(left, tag);
            CHECK_THROWS_AS((m.recv<std::map<int, int>>()), mpixx::error);
            break;
        }
        default: {
            auto m = comm.mprobe(left, tag);
            CHECK_THROWS_AS((m.irecv<std::vector<std::string>>()), mpixx::error);
            break;
        }
        }
        CHECK(comm.recv<rows_t>(left, tag) == rows_of(left + 100)); // intact, not the dropped runs
        (void)a.wait(); // the sender completes
        (void)b.wait();
    }

    // bcast: the root broadcasts rows, the others decode a different type and fail, all stay in step
    const int root = comm.size() - 1;
    if (r == root) {
        rows_t rows = rows_of(3);
        comm.bcast(rows, root);
    } else {
        std::map<int, int> wrong;
        CHECK_THROWS_AS(comm.bcast(wrong, root), mpixx::error);
    }
    rows_t next = r == root ? rows_of(4) : rows_t{};
    comm.bcast(next, root);
    CHECK(next == rows_of(4));
}

// ---- 14: spellings ----

TEST_CASE("object defects: serialized(x) in every collective; lists of strings; matched and issend objects") {
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), n = comm.size(), right = right_of(comm), left = left_of(comm);
    const std::string mine = "rank" + std::to_string(r) + std::string(std::size_t(r), '!');

    // gather/allgather of one std::string per rank, mpi4py's list of strings
    const std::vector<std::string> g = comm.gather(mpixx::serialized(mine), 0);
    if (r == 0) {
        REQUIRE(g.size() == std::size_t(n));
        for (int i = 0; i < n; ++i) CHECK(g[std::size_t(i)] == "rank" + std::to_string(i) + std::string(std::size_t(i), '!'));
    } else {
        CHECK(g.empty());
    }
    const auto ag = comm.allgather(mpixx::serialized(mine));
    REQUIRE(ag.size() == std::size_t(n));
    CHECK(ag[std::size_t(left)].substr(0, 4) == "rank");

    // scatter/alltoall of std::vector<std::string>: one string per rank, with and without the wrapper
    std::vector<std::string> words;
    if (r == 0)
        for (int i = 0; i < n; ++i) words.push_back(std::string(std::size_t(i) + 1, char('a' + i)));
    CHECK(comm.scatter(words, 0) == std::string(std::size_t(r) + 1, char('a' + r)));
    CHECK(comm.scatter(mpixx::serialized(words), 0) == std::string(std::size_t(r) + 1, char('a' + r)));
    std::vector<int> ints(r == 0 ? std::size_t(n) : 0);
    for (int i = 0; r == 0 && i < n; ++i) ints[std::size_t(i)] = i * i;
    CHECK(comm.scatter(mpixx::serialized(ints), 0) == r * r); // one int each (not the typed block scatter)
    std::vector<std::string> to(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) to[std::size_t(i)] = std::to_string(r) + ">" + std::to_string(i);
    const auto from = comm.alltoall(to);
    const auto from2 = comm.alltoall(mpixx::serialized(to));
    REQUIRE(from.size() == std::size_t(n));
    for (int i = 0; i < n; ++i) CHECK(from[std::size_t(i)] == std::to_string(i) + ">" + std::to_string(r));
    CHECK(from2 == from);
    const std::vector<std::vector<int>> lists(std::size_t(n), std::vector<int>{r});
    CHECK(comm.alltoall(lists)[std::size_t(left)] == std::vector<int>{left});
    std::vector<std::string> wrong(std::size_t(n) + 1);
    CHECK(error_class_of([&] { (void)comm.scatter(r == 0 ? wrong : words, 0); }) == MPI_ERR_COUNT); // every rank

    // bcast and the reductions of wrapped values
    const std::vector<int> v{r, 1};
    CHECK(comm.bcast(mpixx::serialized(v), 0) == std::vector<int>{0, 1});
    const auto concat = [](const std::string& a, const std::string& b) { return a + b; };
    const std::string digit = std::to_string(r % 10);
    std::string all;
    for (int i = 0; i < n; ++i) all += std::to_string(i % 10);
    CHECK(comm.reduce(mpixx::serialized(digit), concat, 0) == (r == 0 ? all : std::string()));
    CHECK(comm.allreduce(mpixx::serialized(digit), concat) == all);
    CHECK(comm.scan(mpixx::serialized(digit), concat) == all.substr(0, std::size_t(r) + 1));
    CHECK(comm.exscan(mpixx::serialized(digit), concat) == all.substr(0, std::size_t(r)));
    const auto sum_vec = [](const std::vector<int>& a, const std::vector<int>& b) {
        return std::vector<int>{a[0] + b[0], a[1] + b[1]};
    };
    CHECK(comm.allreduce(mpixx::serialized(v), sum_vec) == std::vector<int>{n * (n - 1) / 2, n});

    // issend of an object (borrowed and owned), received as matched messages
    const dict d{{"from", r}};
    auto s1 = comm.issend(d, right, 50);
    auto s2 = comm.issend(rows_of(r), right, 51);
    auto m1 = comm.mprobe(left, 50);
    CHECK(m1.recv<dict>().at("from") == left);
    auto m2 = comm.mprobe(left, 51);
    auto pending = m2.irecv<rows_t>(); // stream received, runs posted
    CHECK(pending.wait() == rows_of(left));
    (void)s1.wait();
    CHECK(s2.wait() == rows_of(r));

    // typed non-blocking receives of matched messages
    auto t1 = comm.isend(std::vector<int>{r, r}, right, 52); // (a blocking send to itself may wait at 1 rank)
    auto t2 = comm.isend(r, right, 53);
    auto m3 = comm.mprobe(left, 52);
    auto vec = m3.irecv<std::vector<int>>();
    CHECK(vec.wait() == std::vector<int>{left, left});
    auto m4 = comm.mprobe(left, 53);
    int into = -1;
    auto req = m4.irecv(into);
    req.wait();
    CHECK(into == left);
    (void)t1.wait();
    (void)t2.wait();
}

TEST_CASE("object defects: object collectives on an intercommunicator raise MPI_ERR_COMM") {
    auto world = mpixx::world();
    if (world.size() < 2) return;
    const int color = world.rank() % 2;
    auto local = world.split(color);
    auto inter = local.create_intercomm(0, world, color == 0 ? 1 : 0, 78);
    REQUIRE(inter.is_inter());
    const dict d{{"x", 1}};
    CHECK(error_class_of([&] { (void)inter.gather(d, 0); }) == MPI_ERR_COMM);
    CHECK(error_class_of([&] { (void)inter.allgather(d); }) == MPI_ERR_COMM);
    CHECK(error_class_of([&] { (void)inter.bcast(d, 0); }) == MPI_ERR_COMM);
    CHECK(error_class_of([&] { (void)inter.scatter(std::vector<dict>(2), 0); }) == MPI_ERR_COMM);
    CHECK(error_class_of([&] { (void)inter.alltoall(std::vector<dict>(2)); }) == MPI_ERR_COMM);
    const auto merge = [](dict a, const dict&) { return a; };
    CHECK(error_class_of([&] { (void)inter.reduce(d, merge, 0); }) == MPI_ERR_COMM);
    CHECK(error_class_of([&] { (void)inter.allreduce(d, merge); }) == MPI_ERR_COMM);
    CHECK(error_class_of([&] { (void)inter.scan(d, merge); }) == MPI_ERR_COMM);
    CHECK(error_class_of([&] { (void)inter.exscan(d, merge); }) == MPI_ERR_COMM);
    CHECK(error_class_of([&] { (void)inter.gather(mpixx::serialized(std::string("s")), 0); }) == MPI_ERR_COMM);
}

// ---- 10: streams between translation units built with different checking and thresholds ----

TEST_CASE("object defects: streams decode whatever type checking and threshold their encoder used") {
    using mpixx::detail::decode_into;
    using mpixx::detail::encode;
    using mpixx::detail::never_oob;
    const mixed_record rec = record_of(3);
    for (bool named : {false, true}) {
        for (std::size_t threshold : {std::size_t(1), std::size_t(64), never_oob}) {
            const auto e = encode(rec, threshold, named);
            CHECK((threshold == never_oob) == e.segments.empty());
            for (bool check : {false, true}) {
                mixed_record got;
                std::vector<mpixx::detail::oob_in> in;
                decode_into(e.bytes, got, in, mpixx::detail::no_count_limit, check);
                REQUIRE(in.size() == e.segments.size());
                for (std::size_t i = 0; i < in.size(); ++i) {
                    REQUIRE(in[i].bytes == e.segments[i].bytes);
                    std::memcpy(in[i].data, e.segments[i].data, in[i].bytes);
                }
                CHECK(is_record(got, 3));
            }
        }
    }
    // a named stream decoded as another type: refused by a checking decoder only
    const auto e = encode(std::vector<int>{1, 2}, never_oob, true);
    std::vector<float> other;
    std::vector<mpixx::detail::oob_in> in;
    CHECK(error_class_of([&] { decode_into(e.bytes, other, in, mpixx::detail::no_count_limit, true); }) ==
          MPI_ERR_TYPE);
    CHECK(error_class_of([&] { decode_into(e.bytes, other, in, mpixx::detail::no_count_limit, false); }) ==
          MPI_SUCCESS);

    // over MPI, between this unit and one built with MPIXX_TYPE_CHECK=1, MPIXX_OOB_THRESHOLD=64
    auto comm = mpixx::world().dup();
    const int r = comm.rank(), right = right_of(comm), left = left_of(comm);
    void* sent = alt_isend_record(comm.native(), right, 60, r); // named, 800-byte run out of band
    CHECK(is_record(comm.recv<mixed_record>(left, 60), left));
    alt_wait(sent);
    auto out = comm.isend(record_of(r), right, 61); // unnamed, everything inline
    CHECK(alt_recv_record(comm.native(), left, 61, left));
    (void)out.wait();
    // a checking receiver refuses the wrong type (MPI_ERR_TYPE), drains the runs, gets the next one
    void* first = alt_isend_record(comm.native(), right, 62, r);
    void* second = alt_isend_record(comm.native(), right, 62, r + 1);
    CHECK(alt_recv_as_wrong_type(comm.native(), left, 62) == MPI_ERR_TYPE);
    CHECK(alt_recv_record(comm.native(), left, 62, left + 1));
    alt_wait(first);
    alt_wait(second);
}

// ---- issue #16 at full size: 2 GiB + 16 B inside an object, refused by the receiver ----

TEST_CASE("object defects: a refused object over 2 GiB is drained and its sender completes", "[.large]") {
    auto comm = mpixx::world().dup();
    if (comm.size() < 2) {
        WARN("needs 2 ranks");
        return;
    }
    if (comm.rank() > 1) return;
    const std::size_t n = (std::size_t(1) << 28) + 2;
#if MPI_VERSION < 4
    // No large-count calls: the sender refuses it (MPI_ERR_COUNT) before anything moves.
    if (comm.rank() == 0) {
        std::vector<std::vector<double>> big(1, std::vector<double>(n, 1.5));
        CHECK(error_class_of([&] { comm.send(big, 1, 5); }) == MPI_ERR_COUNT);
        comm.send(dict{{"next", 1}}, 1, 6);
    } else {
        CHECK(comm.recv<dict>(0, 6).at("next") == 1);
    }
    return;
#endif
    if (comm.rank() == 0) {
        std::vector<std::vector<double>> big(1, std::vector<double>(n, 1.5));
        comm.send(big, 1, 5); // returns once the receiver took the run
        comm.send(dict{{"next", 1}}, 1, 6);
    } else {
        CHECK_THROWS_AS((comm.recv<std::map<int, int>>(0, 5)), mpixx::error);
        CHECK(comm.recv<dict>(0, 6).at("next") == 1);
    }
}

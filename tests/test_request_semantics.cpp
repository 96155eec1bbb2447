// Tests of the request rules of issue #9: owning views are owned by the request (never borrowed), the
// forms that cannot own a temporary do not compile; wait/test of null and completed requests follow MPI
// (request<void>: at once; a taken T: MPI_ERR_REQUEST), the pack and pool forms accept them and report
// "none" when nothing is pending; MPI's empty status; every MPI error class has its name; and test()
// never waits for another thread's matched receive (detail/progress.hpp).
#include "mpixx_test.hpp"

#include "owning_view.hpp"

#include <mpixx/communicator.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <ranges>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

namespace {

// The shared test main initialises MPI at thread_level::single; the threaded case below needs
// MPI_THREAD_MULTIPLE, so this file initialises MPI before main (mpixx::environment then finds it
// initialised, keeps it, and leaves finalizing to this object).
struct mpi_multiple {
    int provided = MPI_THREAD_SINGLE;
    mpi_multiple() {
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (!initialized) MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
    }
    ~mpi_multiple() {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
    }
    mpi_multiple(const mpi_multiple&) = delete;
    mpi_multiple& operator=(const mpi_multiple&) = delete;
};
mpi_multiple g_mpi;

int right_of(const mpixx::communicator& c) { return (c.rank() + 1) % c.size(); }
int left_of(const mpixx::communicator& c) { return (c.rank() + c.size() - 1) % c.size(); }

std::vector<int> pattern(int rank, std::size_t n) {
    std::vector<int> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = rank * 7919 + static_cast<int>(i % 1000);
    return v;
}

template <class F>
void expect_class(F&& fn, int cls) {
    try {
        fn();
        FAIL("no error raised");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == cls);
    }
}

using comm_t = mpixx::communicator;

using mpixx_test::owning_vec; // a view that owns its ints: not a borrowed range
const std::vector<int>& base_of(const owning_vec& o) { return o.v; }
owning_vec own(std::vector<int> v) { return owning_vec(std::move(v)); }
#if MPIXX_TEST_STD_VIEWS
using std_owning = std::ranges::owning_view<std::vector<int>>;
static_assert(std::same_as<decltype(std::views::all(std::vector<int>{})), std_owning>);
const std::vector<int>& base_of(const std_owning& o) { return o.base(); }
std_owning own_std(std::vector<int> v) { return std::views::all(std::move(v)); }
#endif

// What compiles, asked of the communicator without calling it.
template <class B>
concept can_isend = requires(const comm_t& c, B&& b) { c.isend(std::forward<B>(b), 1); };
template <class B>
concept can_irecv = requires(const comm_t& c, B&& b) { c.irecv(std::forward<B>(b), 1); };
template <class B>
concept can_send_init = requires(const comm_t& c, B&& b) { c.send_init(std::forward<B>(b), 1); };
template <class B>
concept can_ssend_init = requires(const comm_t& c, B&& b) { c.ssend_init(std::forward<B>(b), 1); };
template <class B>
concept can_recv_init = requires(const comm_t& c, B&& b) { c.recv_init(std::forward<B>(b), 1); };
#if MPI_VERSION >= 4
template <class S>
concept can_isendrecv = requires(const comm_t& c, S&& s, std::vector<int>& r) {
    c.isendrecv(std::forward<S>(s), 1, 0, r, 0, 0);
};
template <class S>
concept can_isendrecv_value = requires(const comm_t& c, S&& s) { c.template isendrecv<int>(std::forward<S>(s), 1); };
#endif

template <class B>
using isend_t = decltype(std::declval<const comm_t&>().isend(std::declval<B>(), 1));
template <class B>
using irecv_t = decltype(std::declval<const comm_t&>().irecv(std::declval<B>(), 1));

/// The rules for an owning view type O: isend/issend/irecv own it, the persistent and isendrecv
/// forms do not compile; an lvalue of it is borrowed as any lvalue is.
template <class O>
constexpr bool owning_rules() {
    static_assert(std::same_as<isend_t<O>, mpixx::request<O>>);
    static_assert(std::same_as<irecv_t<O>, mpixx::request<O>>);
    static_assert(std::same_as<isend_t<O&>, mpixx::request<>>);
    static_assert(can_isend<O> && can_irecv<O>);
    static_assert(!can_send_init<O> && !can_ssend_init<O> && !can_recv_init<O>);
    static_assert(can_send_init<O&> && can_recv_init<O&>);
    static_assert(!can_irecv<const O>); // a const temporary can neither be moved in nor written
#if MPI_VERSION >= 4
    static_assert(!can_isendrecv<O> && can_isendrecv<O&>);
    static_assert(!can_isendrecv_value<O> && can_isendrecv_value<O&>);
#endif
    return true;
}
static_assert(owning_rules<owning_vec>());
#if MPIXX_TEST_STD_VIEWS
static_assert(owning_rules<std_owning>());
static_assert(std::same_as<isend_t<std::ranges::ref_view<std::vector<int>>>, mpixx::request<>>); // borrowed
#endif

// Borrowed: lvalues and borrowed ranges. Owned: other rvalues. Refused: temporaries where nothing owns.
static_assert(std::same_as<isend_t<std::vector<int>&>, mpixx::request<>>);
static_assert(std::same_as<isend_t<std::span<const int>>, mpixx::request<>>);
static_assert(std::same_as<irecv_t<std::span<int>>, mpixx::request<>>);
static_assert(std::same_as<isend_t<std::vector<int>>, mpixx::request<std::vector<int>>>);
static_assert(can_send_init<std::vector<int>&> && can_ssend_init<std::vector<int>&> && can_recv_init<std::vector<int>&>);
static_assert(can_send_init<std::span<const int>> && can_recv_init<std::span<int>>);
static_assert(!can_send_init<std::vector<int>> && !can_ssend_init<std::vector<int>> && !can_recv_init<std::vector<int>>);
static_assert(!can_irecv<int>);
#if MPI_VERSION >= 4
static_assert(can_isendrecv<std::vector<int>&> && can_isendrecv<std::span<const int>>);
static_assert(!can_isendrecv<std::vector<int>>);
#endif

/// isend / issend of an owning view made from a temporary vector (`make(vector)` builds it), then a
/// receive into one: the request owns each, the receiver gets the data, wait() hands it back.
template <class O, class Make>
void exchange_owned(const comm_t& comm, Make make, int tag) {
    const int right = right_of(comm), left = left_of(comm);
    const std::size_t n = std::size_t(1) << 18; // 1 MiB: a rendezvous send reads the buffer late
    auto recv = comm.irecv<std::vector<int>>(left, tag);
    auto recv2 = comm.irecv<std::vector<int>>(left, tag + 1);
    comm.barrier(); // every receive is posted: the sends below may complete at once or late
    auto send = comm.isend(make(pattern(comm.rank(), n)), right, tag);
    static_assert(std::same_as<decltype(send), mpixx::request<O>>);
    auto send2 = comm.issend(make(pattern(comm.rank(), n)), right, tag + 1);
    { std::vector<int> scribble(n, -1); } // reuses the memory a dangling borrow would point to
    CHECK(recv.wait() == pattern(left, n));
    CHECK(recv2.wait() == pattern(left, n));
    const O back = send.wait(); // handed back, as a moved-in vector is
    CHECK(base_of(back) == pattern(comm.rank(), n));
    CHECK(base_of(send2.wait()) == pattern(comm.rank(), n));

    // A receive into an owning view moved in: received at its size, handed back by wait().
    auto into = comm.irecv(make(std::vector<int>(4, -1)), left, tag + 2);
    static_assert(std::same_as<decltype(into), mpixx::request<O>>);
    auto s3 = comm.isend(std::vector<int>{comm.rank(), 1, 2}, right, tag + 2);
    CHECK(base_of(into.wait()) == std::vector<int>{left, 1, 2, -1});
    const mpixx::status got = into.status();
    CHECK(got.count<int>() == 3);
    (void)s3.wait();
}

} // namespace

TEST_CASE("semantics: isend of an owning view of a temporary vector owns it; the receiver gets the data") {
    auto comm = mpixx::world().dup();
    exchange_owned<owning_vec>(comm, own, 0);
#if MPIXX_TEST_STD_VIEWS
    exchange_owned<std_owning>(comm, own_std, 10); // std::views::all(make_vector())
#endif
}

TEST_CASE("semantics: wait/test of null and completed request<void> return at once; a taken T is misuse") {
    auto comm = mpixx::world().dup();
    const int right = right_of(comm), left = left_of(comm);
    // Null request<void>: MPI_Wait / MPI_Test on MPI_REQUEST_NULL.
    mpixx::request<> null;
    null.wait();
    CHECK(null.test());
    CHECK_FALSE(null.pending());
    const mpixx::status empty = null.status();
    CHECK(empty.source() == mpixx::any_source);
    CHECK(empty.tag() == mpixx::any_tag);
    CHECK(empty.count<int>() == 0);
    expect_class([&] { null.cancel(); }, MPI_ERR_REQUEST); // MPI_Cancel of a null request is an error

    // Completed request<void>: a second wait/test returns at once, its status stays.
    int x = comm.rank() + 10, y = -1;
    auto r = comm.irecv(y, left, 3);
    auto s = comm.isend(x, right, 3);
    r.wait();
    s.wait();
    r.wait();
    s.wait();
    CHECK(r.test());
    CHECK(y == left + 10);
    CHECK(r.status().source() == left);
    CHECK(r.status().tag() == 3);

    // A request<T> hands its T out once: wait or test again is MPI_ERR_REQUEST, as is a null request<T>.
    auto v = comm.irecv<int>(left, 4);
    auto sv = comm.isend(x, right, 4);
    CHECK(v.wait() == left + 10);
    expect_class([&] { (void)v.wait(); }, MPI_ERR_REQUEST);
    expect_class([&] { (void)v.test(); }, MPI_ERR_REQUEST);
    CHECK(v.status().source() == left);
    sv.wait();
    mpixx::request<int> null_int;
    expect_class([&] { (void)null_int.wait(); }, MPI_ERR_REQUEST);
    expect_class([&] { (void)null_int.test(); }, MPI_ERR_REQUEST);
    auto owned = comm.isend(std::vector<int>{1, 2}, right, 5);
    auto got = comm.irecv<std::vector<int>>(left, 5);
    CHECK(owned.wait() == std::vector<int>{1, 2});
    expect_class([&] { (void)owned.wait(); }, MPI_ERR_REQUEST);
    CHECK(got.wait() == std::vector<int>{1, 2});

    // Persistent: an inactive one (never started, or completed) waits and tests at once.
    int pin = -1;
    auto pr = comm.recv_init(pin, left, 6);
    auto ps = comm.send_init(x, right, 6);
    pr.wait();
    CHECK(pr.test());
    CHECK(pr.status().source() == mpixx::any_source); // never ran: MPI's empty status
    mpixx::start_all(pr, ps);
    pr.wait();
    ps.wait();
    pr.wait();
    CHECK(ps.test());
    CHECK(pin == left + 10);
    CHECK(pr.status().source() == left);
}

TEST_CASE("semantics: pack and pool forms accept completed and null requests; none pending is not an error") {
    auto comm = mpixx::world().dup();
    const int right = right_of(comm), left = left_of(comm);
    int x = comm.rank(), y = -1;
    mpixx::request<> done_void;
    {
        auto r = comm.irecv(y, left, 0);
        auto s = comm.isend(x, right, 0);
        r.wait();
        s.wait();
        done_void = std::move(r);
    }
    mpixx::request<int> null_int;
    mpixx::request<std::string> taken = comm.irecv<std::string>(left, 1);
    auto st = comm.isend(std::string("abc"), right, 1);
    CHECK(taken.wait() == "abc");
    CHECK(st.wait() == "abc");

    // wait_all over a completed request<void>, a null request<int>, a taken request<string>, a pending one.
    auto live = comm.irecv<int>(left, 2);
    auto sl = comm.isend(x + 100, right, 2);
    auto [s0, i0, str0, v] = mpixx::wait_all(done_void, null_int, taken, live);
    CHECK(s0.source() == mpixx::any_source); // MPI's empty status for what was not pending
    CHECK(i0 == 0);
    CHECK(str0.empty());
    CHECK(v == left + 100);
    // test_all likewise (all done at once when nothing is pending).
    std::optional<std::tuple<mpixx::status, int, int, int>> all;
    while (!(all = mpixx::test_all(done_void, null_int, live, sl))) {}
    CHECK(std::get<1>(*all) == 0);
    CHECK(std::get<2>(*all) == 0);       // live's value was taken by wait_all
    CHECK(std::get<3>(*all) == x + 100); // the moved-in int handed back
    // An inactive persistent request passes through untouched (it can still be started afterwards).
    int pin = -1;
    auto pr = comm.recv_init(pin, left, 3);
    auto ps = comm.send_init(x, right, 3);
    auto [p0, p1] = mpixx::wait_all(pr, ps);
    CHECK(p0.tag() == mpixx::any_tag);
    REQUIRE(mpixx::test_all(pr, ps, done_void).has_value());
    CHECK_FALSE(pr.is_null());
    mpixx::start_all(pr, ps);
    auto [q0, q1] = mpixx::wait_all(pr, ps);
    CHECK(q0.source() == left);
    CHECK(pin == left);
    (void)p1, (void)q1;

    // Nothing pending: wait_any / test_any empty, wait_some / test_some empty (MPI_UNDEFINED).
    CHECK_FALSE(mpixx::wait_any(done_void, null_int, live).has_value());
    CHECK_FALSE(mpixx::test_any(done_void, null_int).has_value());
    CHECK(mpixx::wait_some(done_void, null_int, pr).empty());
    CHECK(mpixx::test_some(done_void, pr).empty());
    mpixx::request_pool<int> pool;
    CHECK_FALSE(pool.wait_any().has_value()); // empty pool
    pool.add(mpixx::request<int>());          // a null request: never pending
    CHECK_FALSE(pool.wait_any().has_value());
    CHECK_FALSE(pool.test_any().has_value());
    CHECK(pool.wait_some().empty());
    CHECK(pool.test_some().empty());
    CHECK(pool.wait_all() == std::vector<int>{0});
    // A pool drained by wait_any ends its loop by itself.
    mpixx::request_pool<int> ring;
    for (int k = 0; k < 3; ++k) ring.add(comm.irecv<int>(left, 10 + k));
    for (int k = 0; k < 3; ++k) comm.send(k * 3, right, 10 + k);
    int seen = 0, sum = 0;
    while (auto c = ring.wait_any()) {
        ++seen;
        sum += c->value;
    }
    CHECK(seen == 3);
    CHECK(sum == 9);
}

TEST_CASE("semantics: a default status is MPI's empty status") {
    const mpixx::status st;
    CHECK(st.source() == mpixx::any_source);
    CHECK(st.tag() == mpixx::any_tag);
    CHECK(st.count<int>() == 0);
    CHECK(st.count<double>() == 0);
    CHECK_FALSE(st.cancelled());
    CHECK(st.native().MPI_ERROR == MPI_SUCCESS);
    // The same as what MPI_Wait reports for MPI_REQUEST_NULL.
    MPI_Request none = MPI_REQUEST_NULL;
    MPI_Status mpi_empty;
    MPI_Wait(&none, &mpi_empty);
    const mpixx::status from_mpi(mpi_empty);
    CHECK(from_mpi.source() == st.source());
    CHECK(from_mpi.tag() == st.tag());
    CHECK(from_mpi.count<char>() == st.count<char>());
}

TEST_CASE("semantics: error::class_name knows the MPI-3.1 and MPI-4 error classes") {
    using mpixx::error;
#define NAMED(c) CHECK(error::class_name(c) == #c);
    NAMED(MPI_SUCCESS) NAMED(MPI_ERR_BUFFER) NAMED(MPI_ERR_COUNT) NAMED(MPI_ERR_TYPE) NAMED(MPI_ERR_TAG)
    NAMED(MPI_ERR_COMM) NAMED(MPI_ERR_RANK) NAMED(MPI_ERR_REQUEST) NAMED(MPI_ERR_ROOT) NAMED(MPI_ERR_GROUP)
    NAMED(MPI_ERR_OP) NAMED(MPI_ERR_TOPOLOGY) NAMED(MPI_ERR_DIMS) NAMED(MPI_ERR_ARG) NAMED(MPI_ERR_UNKNOWN)
    NAMED(MPI_ERR_TRUNCATE) NAMED(MPI_ERR_OTHER) NAMED(MPI_ERR_INTERN) NAMED(MPI_ERR_IN_STATUS)
    NAMED(MPI_ERR_PENDING) NAMED(MPI_ERR_NO_MEM)
    // files
    NAMED(MPI_ERR_FILE) NAMED(MPI_ERR_ACCESS) NAMED(MPI_ERR_AMODE) NAMED(MPI_ERR_BAD_FILE) NAMED(MPI_ERR_CONVERSION)
    NAMED(MPI_ERR_DUP_DATAREP) NAMED(MPI_ERR_FILE_EXISTS) NAMED(MPI_ERR_FILE_IN_USE) NAMED(MPI_ERR_IO)
    NAMED(MPI_ERR_NO_SPACE) NAMED(MPI_ERR_NO_SUCH_FILE) NAMED(MPI_ERR_QUOTA) NAMED(MPI_ERR_READ_ONLY)
    NAMED(MPI_ERR_UNSUPPORTED_DATAREP)
    // info, keyvals, names, spawn
    NAMED(MPI_ERR_INFO) NAMED(MPI_ERR_INFO_KEY) NAMED(MPI_ERR_INFO_VALUE) NAMED(MPI_ERR_INFO_NOKEY)
    NAMED(MPI_ERR_KEYVAL) NAMED(MPI_ERR_NAME) NAMED(MPI_ERR_NOT_SAME) NAMED(MPI_ERR_PORT) NAMED(MPI_ERR_SERVICE)
    NAMED(MPI_ERR_SPAWN) NAMED(MPI_ERR_UNSUPPORTED_OPERATION)
    // windows and RMA
    NAMED(MPI_ERR_WIN) NAMED(MPI_ERR_BASE) NAMED(MPI_ERR_LOCKTYPE) NAMED(MPI_ERR_SIZE) NAMED(MPI_ERR_DISP)
    NAMED(MPI_ERR_ASSERT) NAMED(MPI_ERR_RMA_CONFLICT) NAMED(MPI_ERR_RMA_SYNC) NAMED(MPI_ERR_RMA_RANGE)
    NAMED(MPI_ERR_RMA_ATTACH) NAMED(MPI_ERR_RMA_SHARED) NAMED(MPI_ERR_RMA_FLAVOR)
    // the tool interface
    NAMED(MPI_T_ERR_MEMORY) NAMED(MPI_T_ERR_NOT_INITIALIZED) NAMED(MPI_T_ERR_CANNOT_INIT)
    NAMED(MPI_T_ERR_INVALID_INDEX) NAMED(MPI_T_ERR_INVALID_ITEM) NAMED(MPI_T_ERR_INVALID_HANDLE)
    NAMED(MPI_T_ERR_OUT_OF_HANDLES) NAMED(MPI_T_ERR_OUT_OF_SESSIONS) NAMED(MPI_T_ERR_INVALID_SESSION)
    NAMED(MPI_T_ERR_CVAR_SET_NOT_NOW) NAMED(MPI_T_ERR_CVAR_SET_NEVER) NAMED(MPI_T_ERR_PVAR_NO_STARTSTOP)
    NAMED(MPI_T_ERR_PVAR_NO_WRITE) NAMED(MPI_T_ERR_PVAR_NO_ATOMIC) NAMED(MPI_T_ERR_INVALID_NAME)
    NAMED(MPI_T_ERR_INVALID)
#if MPI_VERSION >= 4
    NAMED(MPI_ERR_SESSION) NAMED(MPI_ERR_PROC_ABORTED) NAMED(MPI_ERR_VALUE_TOO_LARGE)
#endif
#ifdef MPIX_ERR_PROC_FAILED // fault tolerance (ULFM) in MPICH and Open MPI 5
    NAMED(MPIX_ERR_PROC_FAILED) NAMED(MPIX_ERR_REVOKED)
#endif
#undef NAMED
    // A class the application adds is reported by number.
    int mine = 0;
    MPI_Add_error_class(&mine);
    CHECK(error::class_name(mine) == "MPI error class " + std::to_string(mine));
}

namespace {

/// A deferred receive of one int whose on_match stalls until released (at most 5 s): stands for a
/// heavy matched receive (an object's stream receive and decode) run by whichever thread polls.
class slow_recv final : public mpixx::detail::deferred_recv<int> {
public:
    slow_recv(MPI_Comm comm, int source, int tag, std::atomic<bool>& entered, std::atomic<bool>& release)
        : deferred_recv<int>(comm, source, tag), entered_(entered), release_(release) {}
    ~slow_recv() override { settle(); }
    int finish(const MPI_Status&) override { return value_; }

private:
    void on_match(mpixx::message& m, MPI_Request& r) override {
        entered_ = true;
        const auto t0 = std::chrono::steady_clock::now();
        while (!release_ && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5))
            std::this_thread::yield();
        mpixx::detail::check(MPI_Imrecv(&value_, 1, MPI_INT, &m.native(), &r), "MPI_Imrecv");
    }
    std::atomic<bool>& entered_;
    std::atomic<bool>& release_;
    int value_ = -1;
};

} // namespace

TEST_CASE("semantics: test() returns at once while another thread runs a matched receive") {
    if (g_mpi.provided < MPI_THREAD_MULTIPLE) {
        WARN("MPI did not grant MPI_THREAD_MULTIPLE: the threaded progress check is skipped");
        return;
    }
    using clock = std::chrono::steady_clock;
    auto comm = mpixx::world().dup();
    const int me = comm.rank();
    std::atomic<bool> entered{false}, release{false};
    // Registered before its message exists, so that the helper thread's poll is the one that matches it.
    auto slow = mpixx::detail::start_deferred<int>(mpixx::detail::make_box<slow_recv>(comm.native(), me, 7, entered, release));
    REQUIRE(mpixx::detail::progress::active());
    int sink = -1;
    auto other = comm.irecv(sink, me, 8); // nobody sends to it
    int v = 42;
    auto s = comm.isend(v, me, 7);
    std::thread helper([&] { // matches the message (once it shows) and runs the slow receive
        const auto start = clock::now();
        do mpixx::detail::progress::poll();
        while (!entered && clock::now() - start < std::chrono::seconds(5));
    });
    const auto t0 = clock::now();
    while (!entered && clock::now() - t0 < std::chrono::seconds(5)) std::this_thread::yield();
    REQUIRE(entered.load());
    // Meanwhile this thread's test() calls must not wait for it (before: blocked on the registry's lock).
    const auto t1 = clock::now();
    const bool other_done = other.test();
    const std::optional<int> slow_done = slow.test(); // its own receive is running elsewhere: not yet
    const auto elapsed = clock::now() - t1;
    release = true;
    helper.join();
    CHECK_FALSE(other_done);
    CHECK_FALSE(slow_done.has_value());
    CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() < 1000);
    CHECK((slow_done ? *slow_done : slow.wait()) == 42);
    s.wait();
    other.cancel();
    other.wait();
    CHECK(other.status().cancelled());
    CHECK_FALSE(mpixx::detail::progress::active());
}

// A typed receive left pending by an exception is cancelled by its request's destructor (MPI_Cancel is
// defined for receives) instead of waiting forever for a message that will never come (issue #15 item 4).
TEST_CASE("typed irecv pending in a scope left by an exception is cancelled, not waited for", "[request][unwind]") {
    auto comm = mpixx::world();
    const int me = comm.rank();
    std::vector<int> buf(4, -1);
    auto leave_by_exception = [&](auto start) {
        try {
            auto r = start();
            throw std::runtime_error("left the scope");
        } catch (const std::runtime_error&) {
        }
    };
    leave_by_exception([&] { return comm.irecv(buf, me, 901); });                    // borrowed buffer
    leave_by_exception([&] { return comm.irecv(std::vector<int>(4, -1), me, 902); }); // owned temporary
    leave_by_exception([&] { return comm.irecv<int>(me, 903); });                     // value form
    CHECK(buf == std::vector<int>(4, -1)); // nothing was received into it

    // The cancelled receives took nothing: messages sent now reach new receives intact.
    const std::vector<int> payload{1, 2, 3, 4};
    for (int tag : {901, 902, 903}) {
        auto s = comm.isend(payload, me, tag);
        CHECK(comm.recv<std::vector<int>>(me, tag) == payload);
        s.wait();
    }
}

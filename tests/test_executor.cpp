// Tests of mpixx/executor.hpp at 1-4 ranks: submit and the future API, map (lvalue, rvalue and lazy
// input ranges, several parameters, a window smaller than the work, abandoned early), as_completed,
// failing tasks (the pool goes on), more workers than tasks, zero tasks, a second pool after a first,
// the client at the last rank, several kinds of task in one pool, a task not registered on the workers,
// a signature that differs between client and workers, submit by name, cancellation, shutdown, the
// client's scope left by an exception, large tasks and results, user messages left alone, argument errors,
// a map whose input range throws, a map cut by shutdown(cancel_pending) (at one rank too), misuse of
// futures, map iterators and moved-from maps, announced sizes that do not match their bodies, options
// that differ among ranks (checked mode).
#include "mpixx_test.hpp"
#include "error_class.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/executor.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <iterator>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

struct point {
    double x = 0, y = 0;
    std::string label;
};

int slow_counter = 0; // how often `bump` ran on this process

} // namespace

MPIXX_REGISTER_TASK(square, [](int x) { return x * x; });
MPIXX_REGISTER_TASK(greet, [](const std::string& who) { return "hello " + who; });
MPIXX_REGISTER_TASK(make_point, [](double x, double y, std::string label) { return point{x, y, std::move(label)}; });
MPIXX_REGISTER_TASK(bump, []() { ++slow_counter; });
MPIXX_REGISTER_TASK(rank_of_worker, []() {
    int r = -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
});
MPIXX_REGISTER_TASK(nap_then_echo, [](int ms, int value) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return value;
});
MPIXX_REGISTER_TASK(fail_on_seven, [](int x) {
    if (x == 7) throw std::runtime_error("seven is bad");
    return x + 1000;
});
MPIXX_REGISTER_TASK(throw_int, [](int) -> int { throw 42; });
MPIXX_REGISTER_TASK(double_all, [](const std::vector<double>& v) {
    std::vector<double> out(v);
    for (double& d : out) d *= 2;
    return out;
});
MPIXX_REGISTER_TASK(byte_sum, [](const std::vector<std::uint8_t>& v) {
    return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
});

namespace {

// Every rank passes a token to its right neighbour: proves the communicator still works.
void check_ring(const mpixx::communicator& comm) {
    const int right = (comm.rank() + 1) % comm.size(), left = (comm.rank() + comm.size() - 1) % comm.size();
    CHECK(comm.sendrecv<int>(comm.rank() * 11, right, 3, left, 3) == left * 11);
}

// The rank a task must have run on: the client itself at 1 rank, never the client otherwise.
void check_worker(const mpixx::communicator& comm, int worker, int root) {
    if (comm.size() == 1) CHECK(worker == root);
    else {
        CHECK(worker != root);
        CHECK(worker >= 0);
        CHECK(worker < comm.size());
    }
}

int error_class_of(const mpixx::task_error& e) { return e.error_class(); }

// 0, 1, ..., n-1, generated as iterated: a single-pass, unsized input range. (Not std::views::iota:
// clang 14 cannot compile libstdc++ 12's views.)
struct counting {
    int n;
    struct iterator {
        using value_type = int;
        using difference_type = std::ptrdiff_t;
        int i = 0, n = 0;
        int operator*() const { return i; }
        iterator& operator++() {
            ++i;
            return *this;
        }
        void operator++(int) { ++i; }
        bool operator==(std::default_sentinel_t) const { return i == n; }
    };
    iterator begin() const { return {0, n}; }
    std::default_sentinel_t end() const { return {}; }
};
static_assert(std::ranges::input_range<counting> && !std::ranges::forward_range<counting>);

// 0, 1, ..., n-1 as `counting`, but advancing past `throw_at` throws (a lazily generated input that fails).
struct failing_counting {
    int n, throw_at;
    struct iterator {
        using value_type = int;
        using difference_type = std::ptrdiff_t;
        int i = 0, n = 0, throw_at = 0;
        int operator*() const { return i; }
        iterator& operator++() {
            if (i == throw_at) throw std::runtime_error("the input generator failed");
            ++i;
            return *this;
        }
        void operator++(int) { ++*this; }
        bool operator==(std::default_sentinel_t) const { return i == n; }
    };
    iterator begin() const { return {0, n, throw_at}; }
    std::default_sentinel_t end() const { return {}; }
};

} // namespace

TEST_CASE("executor: submit, get, ready, wait, wait_for; workers return when the client shuts down") {
    auto comm = mpixx::world().dup();
    std::size_t served = 0;
    {
        mpixx::executor ex(comm);
        CHECK(ex.workers() == comm.size() - 1);
        if (ex.is_client()) {
            CHECK(comm.rank() == 0);
            std::vector<mpixx::future<int>> fs;
            for (int i = 0; i < 50; ++i) fs.push_back(ex.submit(square, i));
            for (int i = 0; i < 50; ++i) {
                auto& f = fs[static_cast<std::size_t>(i)];
                CHECK(f.valid());
                CHECK(f.index() == static_cast<std::size_t>(i));
                CHECK(f.task_name() == "square");
                f.wait();
                CHECK(f.ready());
                CHECK(f.wait_for(std::chrono::milliseconds(0)) == mpixx::future_status::ready);
                CHECK(f.get() == i * i);
                CHECK(f.get() == i * i); // get() may be called again
                check_worker(comm, f.worker(), 0);
                CHECK_FALSE(f.cancelled());
            }
            CHECK(std::move(fs[9]).get() == 81);
        } else {
            served = ex.tasks_served();
        }
    }
    // Every task ran exactly once, on a worker.
    std::size_t total = 0;
    MPI_Allreduce(&served, &total, 1, MPI_UNSIGNED_LONG, MPI_SUM, comm.native());
    CHECK(total == (comm.size() == 1 ? 0u : 50u));
    check_ring(comm);
}

TEST_CASE("executor: several kinds of task in one pool, void tasks and tasks without arguments") {
    auto comm = mpixx::world().dup();
    slow_counter = 0;
    mpixx::executor ex(comm);
    if (ex.is_client()) {
        auto a = ex.submit(square, 12);
        auto b = ex.submit(greet, "mpi"); // const char* converted to std::string on the client
        auto c = ex.submit(make_point, 1, 2.5f, std::string("p"));
        auto d = ex.submit(bump);
        auto e = ex.submit(rank_of_worker);
        CHECK(a.get() == 144);
        CHECK(b.get() == "hello mpi");
        const point& p = c.get();
        CHECK(p.x == 1.0);
        CHECK(p.y == 2.5);
        CHECK(p.label == "p");
        d.get(); // void
        CHECK(d.worker() >= 0);
        check_worker(comm, e.get(), 0);
        CHECK(e.get() == e.worker()); // the task ran where the future says
        CHECK(b.task_name() == "greet");
        if (comm.size() == 1) CHECK(slow_counter == 1); // ran here
    }
}

TEST_CASE("executor: map returns results in input order from lvalue, rvalue and lazy ranges") {
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm, {.root = 0, .in_flight = 3, .map_window = 5}); // a window smaller than the work
    if (!ex.is_client()) return;
    std::vector<int> inputs(100);
    std::iota(inputs.begin(), inputs.end(), -20);
    std::vector<int> got;
    for (int y : ex.map(square, inputs)) got.push_back(y);
    REQUIRE(got.size() == inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) CHECK(got[i] == inputs[i] * inputs[i]);

    got.clear();
    for (int y : ex.map(square, std::vector<int>{3, 4, 5})) got.push_back(y); // moved into the map
    CHECK(got == std::vector<int>{9, 16, 25});

    long long sum = 0;
    for (int y : ex.map(square, counting{1000})) sum += y; // never materialised
    CHECK(sum == 332833500LL);

    // Several parameters: tuple-like inputs are spread.
    const std::vector<std::tuple<double, double, std::string>> pts{{1, 2, "a"}, {3, 4, "b"}};
    std::vector<std::string> labels;
    for (const point& p : ex.map(make_point, pts)) labels.push_back(p.label + std::to_string(int(p.x + p.y)));
    CHECK(labels == std::vector<std::string>{"a3", "b7"});

    // Strings, step by step, and no inputs at all.
    const std::vector<std::string> names{"x", "y"};
    auto m = ex.map(greet, names);
    auto it = m.begin();
    CHECK(*it == "hello x");
    ++it;
    CHECK(*it == "hello y");
    ++it;
    CHECK(it == m.end());
    int count = 0;
    for ([[maybe_unused]] int y : ex.map(square, std::vector<int>{})) ++count;
    CHECK(count == 0);
}

TEST_CASE("executor: a map abandoned half way leaves the pool usable") {
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm, {.root = 0, .in_flight = 2, .map_window = 8});
    if (!ex.is_client()) return;
    std::vector<int> inputs(200); // a window of 8: at most 8 tasks ahead of the consumer
    std::iota(inputs.begin(), inputs.end(), 0);
    int seen = 0;
    for (int y : ex.map(square, inputs)) {
        CHECK(y == seen * seen);
        if (++seen == 10) break;
    }
    CHECK(ex.submit(square, 11).get() == 121);
    int n = 0;
    for (int y : ex.map(square, inputs)) {
        CHECK(y == n * n);
        ++n;
    }
    CHECK(n == 200);
}

TEST_CASE("executor: as_completed yields every future once, the fast before the slow") {
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm, {.root = 0, .in_flight = 1}); // nothing queued behind the slow task
    if (!ex.is_client()) return;
    std::vector<mpixx::future<int>> fs;
    fs.push_back(ex.submit(nap_then_echo, comm.size() >= 3 ? 300 : 0, 0)); // slow, on its own worker
    for (int i = 1; i < 12; ++i) fs.push_back(ex.submit(nap_then_echo, 1, i));
    std::vector<int> order;
    for (mpixx::future<int>& f : mpixx::as_completed(fs)) {
        CHECK(f.ready());
        order.push_back(f.get());
    }
    REQUIRE(order.size() == 12);
    CHECK(std::set<int>(order.begin(), order.end()).size() == 12);
    if (comm.size() >= 3) CHECK(order.back() == 0); // the slow one finished last
    else if (comm.size() == 1) CHECK(order == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});

    // Already finished futures come first, in container order; an empty range yields nothing.
    std::vector<mpixx::future<int>> done;
    done.push_back(ex.submit(square, 2));
    done.push_back(ex.submit(square, 3));
    done[0].wait();
    done[1].wait();
    std::vector<int> got;
    for (auto& f : mpixx::as_completed(done)) got.push_back(f.get());
    CHECK(got == std::vector<int>{4, 9});
    std::vector<mpixx::future<int>> none;
    for ([[maybe_unused]] auto& f : mpixx::as_completed(none)) FAIL("nothing to yield");
}

TEST_CASE("executor: an as_completed iterator past its end or default-constructed throws, never UB") {
    // Regression: both read out of bounds or through a null watcher.
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm);
    if (!ex.is_client()) return;
    std::vector<mpixx::future<int>> fs;
    fs.push_back(ex.submit(square, 4));
    auto range = mpixx::as_completed(fs);
    auto it = range.begin();
    REQUIRE(it != range.end());
    CHECK((*it).get() == 16);
    ++it;
    CHECK(it == range.end());
    CHECK(mpixx_test::error_class_of([&] { (void)*it; }) == MPI_ERR_REQUEST);
    CHECK_THROWS_WITH(++it, Catch::Matchers::Contains("past its end"));
    decltype(it) none;
    CHECK(none == range.end());
    CHECK(mpixx_test::error_class_of([&] { (void)*none; }) == MPI_ERR_REQUEST);
    CHECK_THROWS_WITH(++none, Catch::Matchers::Contains("default-constructed"));
    CHECK(ex.submit(square, 5).get() == 25);
}

TEST_CASE("executor: a failing task fails only its own future; the pool goes on") {
    auto comm = mpixx::world().dup();
    const int root = comm.size() - 1;
    mpixx::executor ex(comm, root);
    if (!ex.is_client()) return;
    CHECK(comm.rank() == root);
    std::vector<mpixx::future<int>> fs;
    for (int i = 0; i < 20; ++i) fs.push_back(ex.submit(fail_on_seven, i));
    for (int i = 0; i < 20; ++i) {
        auto& f = fs[static_cast<std::size_t>(i)];
        if (i != 7) {
            CHECK(f.get() == i + 1000);
            continue;
        }
        try {
            (void)f.get();
            FAIL("no task_error");
        } catch (const mpixx::task_error& e) {
            CHECK(e.task_index() == 7);
            CHECK(e.task_name() == "fail_on_seven");
            CHECK(e.task_what() == "seven is bad");
            CHECK(e.routine() == "mpixx::executor");
            CHECK(error_class_of(e) == MPI_ERR_OTHER);
            check_worker(comm, e.worker(), root);
            CHECK(e.worker() == f.worker());
            CHECK_THAT(e.what(), Catch::Matchers::Contains("task 7 ('fail_on_seven') failed on rank") &&
                                     Catch::Matchers::Contains("seven is bad"));
        }
        CHECK_THROWS_AS(f.get(), mpixx::task_error); // again
    }
    // A non-std exception, and map: the failing position throws, the others deliver.
    auto g = ex.submit(throw_int, 1);
    CHECK_THROWS_WITH(g.get(), Catch::Matchers::Contains("not derived from std::exception"));
    std::vector<int> inputs(15);
    std::iota(inputs.begin(), inputs.end(), 0);
    auto m = ex.map(fail_on_seven, inputs);
    int pos = 0;
    for (auto it = m.begin(); it != m.end(); ++it, ++pos) {
        if (pos == 7) {
            try {
                (void)*it;
                FAIL("no task_error from map");
            } catch (const mpixx::task_error& e) {
                CHECK(e.task_index() == 7); // the position in the inputs
            }
        } else {
            CHECK(*it == pos + 1000);
        }
    }
    CHECK(pos == 15);
    CHECK(ex.submit(square, 5).get() == 25);
    // Without a window (the default): the pool runs ahead of the consumer; the tasks still out when
    // the map is dropped come back to a state the pool keeps until then.
    {
        auto m2 = ex.map(nap_then_echo, std::vector<std::tuple<int, int>>(40, {2, 7}));
        auto it = m2.begin();
        CHECK(*it == 7);
    }
    CHECK(ex.submit(square, 12).get() == 144);
}

TEST_CASE("executor: more workers than tasks, and no tasks at all") {
    auto comm = mpixx::world().dup();
    std::size_t served = 0;
    {
        mpixx::executor ex(comm);
        if (ex.is_client()) CHECK(ex.submit(square, 9).get() == 81);
        served = ex.tasks_served();
    }
    std::size_t total = 0;
    MPI_Allreduce(&served, &total, 1, MPI_UNSIGNED_LONG, MPI_SUM, comm.native());
    CHECK(total == (comm.size() == 1 ? 0u : 1u));
    {
        mpixx::executor ex(comm); // nothing submitted: every worker is released by the destructor
        CHECK(ex.tasks_served() == 0);
    }
    {
        mpixx::executor ex(comm);
        ex.shutdown(); // explicitly, before the destructor
        if (ex.is_client()) {
            CHECK_THROWS_AS(ex.submit(square, 1), mpixx::error);
            CHECK_THROWS_AS(ex.map(square, std::vector<int>{1}), mpixx::error);
        }
    }
    check_ring(comm);
}

TEST_CASE("executor: a second pool after the first, futures and maps outliving their pool") {
    auto comm = mpixx::world().dup();
    mpixx::future<int> kept;
    {
        mpixx::executor first(comm);
        if (first.is_client()) kept = first.submit(square, 6);
    }
    if (comm.rank() == 0) CHECK(kept.get() == 36); // the destructor waited for it
    for (int root : {0, comm.size() - 1}) {
        mpixx::executor second(comm, {.root = root, .in_flight = 1});
        if (!second.is_client()) continue;
        auto f = second.submit(greet, "again");
        auto m = second.map(square, std::vector<int>{1, 2, 3});
        second.shutdown(); // runs what was submitted (the map's inputs too), then releases the workers
        CHECK(f.get() == "hello again");
        std::vector<int> got;
        for (int y : m) got.push_back(y);
        CHECK(got == std::vector<int>{1, 4, 9});
    }
    // A second pool on the same communicator while the first runs: refused on the client (its workers
    // serve the first); on another communicator it is fine.
    {
        mpixx::executor first(comm);
        if (first.is_client() && comm.size() > 1) {
            CHECK_THROWS_AS(mpixx::executor(comm), mpixx::error);
            CHECK(first.submit(square, 4).get() == 16);
        }
    }
    // A pool on each half of a split communicator, at the same time, then one on the whole.
    auto half = comm.split(comm.rank() % 2);
    {
        mpixx::executor ex(half);
        if (ex.is_client()) CHECK(ex.submit(square, half.size()).get() == half.size() * half.size());
    }
    {
        mpixx::executor ex(comm);
        if (ex.is_client()) CHECK(ex.submit(square, 3).get() == 9);
    }
    check_ring(comm);
}

TEST_CASE("executor: a task registered on the client only fails its future with MPI_ERR_ARG") {
    auto comm = mpixx::world().dup();
    // Registered on rank 0 only, at run time: the workers do not know it.
    std::optional<mpixx::task<int(int)>> only_here;
    if (comm.rank() == 0) only_here = mpixx::register_task("client_only_triple", [](int x) { return 3 * x; });
    mpixx::executor ex(comm);
    if (!ex.is_client()) return;
    auto f = ex.submit(*only_here, 5);
    auto g = ex.submit(square, 5);
    if (comm.size() == 1) {
        CHECK(f.get() == 15); // the client runs it itself
    } else {
        try {
            (void)f.get();
            FAIL("no task_error");
        } catch (const mpixx::task_error& e) {
            CHECK(e.error_class() == MPI_ERR_ARG);
            CHECK(e.task_name() == "client_only_triple");
            CHECK_THAT(e.what(), Catch::Matchers::Contains("no task named 'client_only_triple' is registered on rank"));
        }
    }
    CHECK(g.get() == 25); // the pool goes on
    // Submitted by name: unknown everywhere.
    auto h = ex.submit<int>("no_such_task", 1);
    try {
        (void)h.get();
        FAIL("no task_error");
    } catch (const mpixx::task_error& e) {
        CHECK(e.error_class() == MPI_ERR_ARG);
        CHECK(e.task_name() == "no_such_task");
    }
}

TEST_CASE("executor: a signature that differs between client and workers fails with MPI_ERR_TYPE") {
    auto comm = mpixx::world().dup();
    // The same name, another result type on the workers: the client expects an int.
    std::optional<mpixx::task<int(int)>> mine;
    if (comm.rank() == 0) mine = mpixx::register_task("shape_shifter", [](int x) { return x; });
    else (void)mpixx::register_task("shape_shifter", [](int x) { return std::to_string(x); });
    mpixx::executor ex(comm);
    if (!ex.is_client()) return;
    auto f = ex.submit(*mine, 4);
    if (comm.size() == 1) {
        CHECK(f.get() == 4);
    } else {
        try {
            (void)f.get();
            FAIL("no task_error");
        } catch (const mpixx::task_error& e) {
            CHECK(e.error_class() == MPI_ERR_TYPE);
            CHECK(e.task_name() == "shape_shifter");
            // (compilers spell the signature "int(int)" or "int (int)")
            CHECK_THAT(e.task_what(), Catch::Matchers::Contains("submitted as int"));
            CHECK_THAT(e.task_what(), Catch::Matchers::Contains("(int) but registered on rank"));
        }
    }
    // By name with the right types, and with a wrong result type (the client's registry knows: at once).
    CHECK(ex.submit<int>("square", 7).get() == 49);
    auto wrong = ex.submit<long>("square", 7);
    CHECK(wrong.ready());
    try {
        (void)wrong.get();
        FAIL("no task_error");
    } catch (const mpixx::task_error& e) {
        CHECK(e.error_class() == MPI_ERR_TYPE);
        CHECK(e.task_name() == "square");
        CHECK_THAT(e.task_what(), Catch::Matchers::Contains("registered as int"));
        CHECK_THAT(e.task_what(), Catch::Matchers::EndsWith("(int)"));
    }
}

TEST_CASE("executor: cancel and shutdown(cancel_pending) drop queued tasks only") {
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm, {.root = 0, .in_flight = 1});
    if (!ex.is_client()) return;
    std::vector<mpixx::future<int>> fs;
    for (int i = 0; i < 3 * comm.size() + 3; ++i) fs.push_back(ex.submit(nap_then_echo, 20, i));
    if (comm.size() == 1) {
        CHECK_FALSE(fs.back().cancel()); // ran at once
        CHECK(fs.back().get() == static_cast<int>(fs.size()) - 1);
        return;
    }
    // One task per worker is out; the last ones are queued on the client.
    CHECK(fs.back().cancel());
    CHECK(fs.back().cancelled());
    CHECK(fs.back().ready());
    CHECK_THROWS_WITH(fs.back().get(), Catch::Matchers::Contains("cancelled before it ran"));
    CHECK_FALSE(fs.front().cancel()); // already sent
    ex.shutdown(true, true);
    int ran = 0, cancelled = 0;
    for (std::size_t i = 0; i + 1 < fs.size(); ++i) {
        if (fs[i].cancelled()) {
            ++cancelled;
            CHECK_THROWS_AS(fs[i].get(), mpixx::task_error);
        } else {
            CHECK(fs[i].get() == static_cast<int>(i));
            ++ran;
        }
    }
    CHECK(ran >= comm.size() - 1); // at least what was out when shutdown came
    CHECK(cancelled >= 1);
}

TEST_CASE("executor: leaving the client's scope by an exception still releases the workers") {
    auto comm = mpixx::world().dup();
    bool caught = false;
    try {
        mpixx::executor ex(comm);
        if (ex.is_client()) {
            for (int i = 0; i < 10; ++i) (void)ex.submit(nap_then_echo, 5, i);
            throw std::runtime_error("client gives up");
        }
    } catch (const std::runtime_error&) {
        caught = true;
    }
    CHECK(caught == (comm.rank() == 0));
    check_ring(comm);
}

TEST_CASE("executor: large tasks and results travel announced, mixed with small ones") {
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm);
    if (!ex.is_client()) return;
    std::vector<mpixx::future<std::vector<double>>> big;
    std::vector<mpixx::future<int>> small;
    for (int i = 0; i < 6; ++i) {
        big.push_back(ex.submit(double_all, std::vector<double>(150000, i + 0.5))); // 1.2 MB each way
        small.push_back(ex.submit(square, i));
    }
    std::vector<std::uint8_t> bytes(8193, 1); // just over the inline size
    auto edge = ex.submit(byte_sum, bytes);
    for (int i = 0; i < 6; ++i) {
        const auto& v = big[static_cast<std::size_t>(i)].get();
        REQUIRE(v.size() == 150000);
        CHECK(v.front() == 2 * (i + 0.5));
        CHECK(v.back() == 2 * (i + 0.5));
        CHECK(small[static_cast<std::size_t>(i)].get() == i * i);
    }
    CHECK(edge.get() == 8193);
}

TEST_CASE("executor: wait_for times out on a running task, and user messages are left alone") {
    auto comm = mpixx::world().dup();
    // A user message on the same communicator with the tag the pool uses for replies: never taken.
    const int token = 500 + comm.rank();
    MPI_Request req = MPI_REQUEST_NULL;
    if (comm.rank() != 0) MPI_Isend(&token, 1, MPI_INT, 0, mpixx::detail::exec_reply_tag, comm.native(), &req);
    {
        mpixx::executor ex(comm);
        if (ex.is_client()) {
            auto f = ex.submit(nap_then_echo, 200, 3);
            if (comm.size() > 1) CHECK(f.wait_for(std::chrono::milliseconds(1)) == mpixx::future_status::timeout);
            CHECK(f.wait_for(std::chrono::seconds(30)) == mpixx::future_status::ready);
            CHECK(f.get() == 3);
        }
    }
    if (comm.rank() == 0)
        for (int r = 1; r < comm.size(); ++r) CHECK(comm.recv<int>(r, mpixx::detail::exec_reply_tag) == 500 + r);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
}

TEST_CASE("executor: argument errors") {
    auto comm = mpixx::world().dup();
    CHECK_THROWS_MATCHES(mpixx::executor(comm, comm.size()), mpixx::error,
                         Catch::Matchers::Predicate<mpixx::error>([](const mpixx::error& e) { return e.error_class() == MPI_ERR_ROOT; }));
    CHECK_THROWS_MATCHES(mpixx::executor(comm, {.root = 0, .in_flight = 0}), mpixx::error,
                         Catch::Matchers::Predicate<mpixx::error>([](const mpixx::error& e) { return e.error_class() == MPI_ERR_ARG; }));
    CHECK_THROWS_MATCHES(mpixx::executor(mpixx::communicator()), mpixx::error,
                         Catch::Matchers::Predicate<mpixx::error>([](const mpixx::error& e) { return e.error_class() == MPI_ERR_COMM; }));
    mpixx::future<int> empty;
    CHECK_FALSE(empty.valid());
    CHECK_THROWS_AS(empty.get(), mpixx::error);
    CHECK_THROWS_AS(mpixx::register_task("square", [](int x) { return x; }), mpixx::error); // a second "square"
    {
        mpixx::executor ex(comm);
        if (!ex.is_client()) CHECK_THROWS_AS(ex.submit(square, 1), mpixx::error); // a worker, after the pool
    }
    check_ring(comm);
}

TEST_CASE("executor: shutdown(false) returns at once; later calls finish the work, the destructor releases") {
    auto comm = mpixx::world().dup();
    std::size_t served = 0;
    {
        mpixx::executor ex(comm, {.root = 0, .in_flight = 1});
        if (ex.is_client()) {
            auto f = ex.submit(nap_then_echo, 30, 5);
            std::vector<mpixx::future<int>> more;
            for (int i = 0; i < 6; ++i) more.push_back(ex.submit(square, i)); // queued behind f at 2 ranks
            auto m = ex.map(square, std::vector<int>{7, 8});
            ex.shutdown(false);
            CHECK_THROWS_AS(ex.submit(square, 1), mpixx::error);
            CHECK(f.get() == 5);
            for (int i = 0; i < 6; ++i) CHECK(more[static_cast<std::size_t>(i)].get() == i * i);
            std::vector<int> got;
            for (int y : m) got.push_back(y);
            CHECK(got == std::vector<int>{49, 64});
        }
        served = ex.tasks_served();
    }
    std::size_t total = 0;
    MPI_Allreduce(&served, &total, 1, MPI_UNSIGNED_LONG, MPI_SUM, comm.native());
    CHECK(total == (comm.size() == 1 ? 0u : 9u));
    check_ring(comm);
}

TEST_CASE("executor: many pools back to back on one communicator, no task lost between them") {
    // Regression: a worker leaving a pool used to cancel the receives it still had posted; the next
    // pool's first tasks, sent by a client that did not wait for that, could match one of them first
    // and be lost: the client hung (seen at 4 ranks in 3 of 6 runs of this file, in "a second pool
    // after the first": a pool of one task, then one with the same client). Now every posted receive
    // gets its own "stop". This case repeats the pattern with many receives posted.
    auto comm = mpixx::world().dup();
    for (int round = 0; round < 60; ++round) {
        const int root = round < 40 ? 0 : round % comm.size(); // the same client first: the tightest race
        mpixx::executor ex(comm, {.root = root, .in_flight = round % 2 == 0 ? 200 : 1 + round % 4});
        if (!ex.is_client()) continue;
        std::vector<mpixx::future<int>> fs;
        for (int i = 0; i < 2 * comm.size(); ++i) fs.push_back(ex.submit(square, round + i));
        for (int i = 0; i < 2 * comm.size(); ++i)
            REQUIRE(fs[static_cast<std::size_t>(i)].get() == (round + i) * (round + i));
    }
    check_ring(comm);
}

TEST_CASE("executor: a map whose input range throws ends with that failure; the pool goes on") {
    // Regression: the range's exception used to break the whole pool at 2+ ranks (every later call threw
    // it, results already computed were lost, and the destructor aborted the job).
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm);
    if (ex.is_client()) {
        std::vector<int> got;
        std::size_t failed_at = 0;
        int failures = 0;
        auto m = ex.map(square, failing_counting{20, 6}); // inputs 0..6, then ++ throws
        for (auto it = m.begin(); it != m.end(); ++it) {
            try {
                got.push_back(*it);
            } catch (const mpixx::task_error& e) {
                ++failures;
                failed_at = e.task_index();
                CHECK(e.worker() == -1);
                CHECK_THAT(e.task_what(), Catch::Matchers::Contains("the input generator failed"));
            }
        }
        CHECK(got == std::vector<int>{0, 1, 4, 9, 16, 25, 36});
        CHECK(failures == 1);
        CHECK(failed_at == 7);
        CHECK(ex.submit(square, 9).get() == 81); // the pool still works
    }
}

TEST_CASE("executor: shutdown(cancel_pending) cuts a map with a task_error, never silently") {
    // Regression: a map cut by shutdown(..., true) used to just end early at 2+ ranks, its consumer
    // unable to tell a truncated result list from a complete one.
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm, {.map_window = 2});
    if (!ex.is_client()) return;
    std::vector<int> in(50);
    std::iota(in.begin(), in.end(), 0);
    auto m = ex.map(square, in);
    auto it = m.begin();
    CHECK(*it == 0);
    ++it;
    ex.shutdown(true, true);
    std::vector<int> got{0};
    int cancelled = 0;
    for (; it != m.end(); ++it) {
        try {
            got.push_back(*it);
        } catch (const mpixx::task_error& e) {
            ++cancelled;
            CHECK(e.task_index() == got.size()); // right after the last result that ran
            CHECK_THAT(e.task_what(), Catch::Matchers::Contains("cancelled before it ran"));
        }
    }
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == static_cast<int>(i * i));
    // Regression: at 1 rank the map ignored the cut and ran all 50 inputs as they were consumed.
    CHECK(cancelled == 1);
    CHECK(got.size() < 50u);
    if (comm.size() == 1) CHECK(got.size() == 1u); // the inputs not yet iterated are the ones not run
}

TEST_CASE("executor: shutdown(cancel_pending) with a computed head not yet consumed, and without cancel") {
    auto comm = mpixx::world().dup();
    const std::vector<int> in{1, 2, 3, 4, 5, 6, 7, 8};
    {
        mpixx::executor ex(comm, {.map_window = 1});
        if (ex.is_client()) {
            auto m = ex.map(square, in);
            auto it = m.begin();
            CHECK(*it == 1); // computed, not yet consumed: it stays
            ex.shutdown(true, true);
            CHECK(*it == 1);
            std::size_t ran = 1, cancelled = 0;
            for (++it; it != m.end(); ++it) {
                try {
                    const int y = *it; // outside CHECK, which would catch the task_error itself
                    CHECK(y == in[ran] * in[ran]);
                    ++ran;
                } catch (const mpixx::task_error& e) {
                    ++cancelled;
                    CHECK(e.task_index() == ran);
                    CHECK(e.error_class() == MPI_ERR_OTHER);
                }
            }
            CHECK(cancelled == 1);
            CHECK(ran < in.size());
        }
    }
    mpixx::executor ex(comm);
    if (!ex.is_client()) return;
    auto m = ex.map(square, in);
    ex.shutdown(true, false); // no cancel: the whole map still runs, at every size
    std::size_t n = 0;
    for (int y : m) {
        CHECK(y == in[n] * in[n]);
        ++n;
    }
    CHECK(n == in.size());
}

TEST_CASE("executor: misuse of a future or a map iterator throws mpixx::error, never UB") {
    // Regression: dereferencing a map iterator at its end crashed at 1 rank (and raised a misleading
    // MPI_ERR_INTERN, after waiting for every other task, at 2+); a second get() && gave a moved-from value.
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm);
    if (!ex.is_client()) return;
    auto f = ex.submit(greet, "twice");
    CHECK(std::move(f).get() == "hello twice");
    try {
        (void)std::move(f).get();
        FAIL("no error for a second get() &&");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_REQUEST);
    }
    CHECK_THROWS_AS(f.get(), mpixx::error);
    CHECK(f.index() == 0u); // the future itself stays valid
    const std::vector<int> in{3, 4};
    auto m = ex.map(square, in);
    auto it = m.begin();
    CHECK(*it == 9);
    ++it;
    CHECK(*it == 16);
    ++it;
    CHECK(it == m.end());
    try {
        (void)*it;
        FAIL("no error for dereferencing the end");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_REQUEST);
    }
    CHECK_THROWS_AS(++it, mpixx::error);
    CHECK(ex.submit(square, 5).get() == 25);
}

TEST_CASE("executor: a map outliving a client's scope left by an exception is cut, at one rank too") {
    auto comm = mpixx::world().dup();
    std::vector<int> in(50);
    std::iota(in.begin(), in.end(), 0);
    std::optional<decltype(std::declval<mpixx::executor&>().map(square, in))> m;
    try {
        mpixx::executor ex(comm, {.map_window = 2}); // bounded: inputs surely remain when the scope is left
        if (ex.is_client()) {
            m.emplace(ex.map(square, in));
            CHECK(*m->begin() == 0);
            throw std::runtime_error("client gives up");
        }
    } catch (const std::runtime_error&) {
    }
    if (comm.rank() != 0) return;
    REQUIRE(m.has_value());
    std::size_t got = 0, cancelled = 0;
    for (auto it = m->begin(); it != m->end(); ++it) {
        try {
            const int y = *it;
            CHECK(y == in[got] * in[got]);
            ++got;
        } catch (const mpixx::task_error& e) {
            ++cancelled;
            CHECK(e.task_index() == got);
        }
    }
    CHECK(cancelled == 1);
    CHECK(got < in.size());
}

TEST_CASE("executor: a moved-from map_range or a default-constructed iterator throws, never UB") {
    // Regression: begin() on a moved-from map_range dereferenced a null state (a crash at every size).
    auto comm = mpixx::world().dup();
    mpixx::executor ex(comm);
    if (!ex.is_client()) return;
    const std::vector<int> in{2, 3};
    auto m = ex.map(square, in);
    auto moved = std::move(m);
    CHECK(mpixx_test::error_class_of([&] { (void)m.begin(); }) == MPI_ERR_REQUEST);
    CHECK_THROWS_WITH(m.begin(), Catch::Matchers::Contains("moved from"));
    decltype(m.begin()) none;
    CHECK(none == m.end()); // a default-constructed iterator is at the end
    CHECK(mpixx_test::error_class_of([&] { (void)*none; }) == MPI_ERR_REQUEST);
    CHECK(mpixx_test::error_class_of([&] { ++none; }) == MPI_ERR_REQUEST);
    std::vector<int> got;
    for (int y : moved) got.push_back(y); // the results went with the move
    CHECK(got == std::vector<int>{4, 9});
    CHECK(ex.submit(square, 5).get() == 25);
}

namespace {

// A long message of the executor's protocol, forged: an announcement of `announced` bytes on `tag` and
// `body` on tag + 1, both non-blocking (the receiver may be this rank). Keep it alive until waited.
struct forged {
    mpixx::detail::exec_announce announce{};
    std::vector<std::byte> body;
    std::array<MPI_Request, 2> reqs{MPI_REQUEST_NULL, MPI_REQUEST_NULL};

    forged(std::uint64_t announced, std::vector<std::byte> b) : body(std::move(b)) {
        mpixx::detail::exec_set_announce(announce, static_cast<std::size_t>(announced));
    }
    void send(MPI_Comm c, int to, int tag) {
        MPI_Isend(announce.data(), static_cast<int>(announce.size()), MPI_BYTE, to, tag, c, &reqs[0]);
        MPI_Isend(body.data(), static_cast<int>(body.size()), MPI_BYTE, to, tag + 1, c, &reqs[1]);
    }
    void wait() { MPI_Waitall(2, reqs.data(), MPI_STATUSES_IGNORE); }
};

} // namespace

TEST_CASE("executor: an announced size that does not match its body throws MPI_ERR_TRUNCATE, never bad_alloc") {
    // Regression: the receiver trusted the announced size: a huge one threw std::bad_alloc (not an
    // mpixx::error), a larger one than the body gave a message of that size, its tail never received.
    namespace d = mpixx::detail;
    auto comm = mpixx::world().dup();
    const MPI_Comm c = comm.native();
    const int last = comm.size() - 1, tag = 5;
    std::vector<forged> msgs;
    msgs.reserve(4);
    msgs.emplace_back(std::uint64_t{1} << 62, std::vector<std::byte>(9000, std::byte{1})); // absurd size
    msgs.emplace_back(10000, std::vector<std::byte>(9000, std::byte{2}));                 // more than sent
    msgs.emplace_back(9000, std::vector<std::byte>(9100, std::byte{3}));                  // less than sent
    msgs.emplace_back(9000, std::vector<std::byte>(9000, std::byte{4}));                  // right
    if (comm.rank() == 0)
        for (forged& f : msgs) f.send(c, last, tag);
    if (comm.rank() == last) {
        std::vector<std::byte> inbox(d::exec_inline_bytes), body;
        int from = -1;
        CHECK(mpixx_test::error_class_of([&] { (void)d::exec_recv(c, 0, tag, inbox, body, from); }) == MPI_ERR_TRUNCATE);
        CHECK(body.size() < 10000u); // nothing allocated for the absurd size
        CHECK_THROWS_WITH(d::exec_recv(c, 0, tag, inbox, body, from),
                          Catch::Matchers::Contains("announced as 10000 bytes came with a body of 9000 bytes"));
        CHECK(mpixx_test::error_class_of([&] { (void)d::exec_recv(c, 0, tag, inbox, body, from); }) == MPI_ERR_TRUNCATE);
        // Each bad body was dropped: the next message comes whole and intact.
        const auto msg = d::exec_recv(c, 0, tag, inbox, body, from);
        CHECK(from == 0);
        REQUIRE(msg.size() == 9000u);
        CHECK(std::all_of(msg.begin(), msg.end(), [](std::byte x) { return x == std::byte{4}; }));
    }
    if (comm.rank() == 0)
        for (forged& f : msgs) f.wait();
    check_ring(comm);
}

TEST_CASE("executor: a worker given a body of the wrong size fails that task and goes on") {
    namespace d = mpixx::detail;
    auto comm = mpixx::world().dup();
    if (comm.size() == 1) return; // needs a worker
    const MPI_Comm c = comm.native();
    if (comm.rank() == 1) {
        CHECK(d::exec_serve(c, 0, 1) == 2u);
    } else if (comm.rank() == 0) {
        std::vector<std::byte> inbox(d::exec_inline_bytes), body, task;
        int from = -1;
        forged bad(20000, std::vector<std::byte>(10000, std::byte{0}));
        bad.send(c, 1, d::exec_task_tag);
        auto reply = d::exec_recv(c, 1, d::exec_reply_tag, inbox, body, from);
        REQUIRE_FALSE(reply.empty());
        CHECK(reply[0] == static_cast<std::byte>(d::task_status::bad_arguments));
        const std::string text(reinterpret_cast<const char*>(reply.data()) + 1, reply.size() - 1);
        CHECK_THAT(text, Catch::Matchers::Contains("announced as 20000 bytes"));
        bad.wait();
        // A genuine long task after it: the worker's stream is intact.
        const std::vector<std::uint8_t> ones(10000, 1);
        const auto& e = byte_sum.entry();
        d::encode_task<std::vector<std::uint8_t>>(task, e.name_hash(), e.signature_hash(), ones);
        REQUIRE(task.size() > d::exec_inline_bytes);
        forged good(task.size(), task);
        good.send(c, 1, d::exec_task_tag);
        reply = d::exec_recv(c, 1, d::exec_reply_tag, inbox, body, from);
        REQUIRE_FALSE(reply.empty());
        CHECK(reply[0] == static_cast<std::byte>(d::task_status::ok));
        std::uint64_t sum = 0;
        d::exec_decode<std::uint64_t>(reply.subspan(1), sum);
        CHECK(sum == 10000u);
        good.wait();
        MPI_Send(nullptr, 0, MPI_BYTE, 1, d::exec_task_tag, c); // stop (one per posted receive: depth 1)
    }
    check_ring(comm);
}

#if MPIXX_CHECKED
TEST_CASE("executor: checked mode: options that differ among ranks throw on every rank") {
    // Regression: an in_flight invalid on one rank only, or different on some, left that rank outside the
    // pool (or serving a later pool's tasks) and hung the client.
    auto comm = mpixx::world().dup();
    if (comm.size() == 1) return; // one rank: nothing to differ
    try {
        mpixx::executor ex(comm, {.in_flight = comm.rank() == 1 ? 0 : 2});
        FAIL("no error for an in_flight invalid on rank 1");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ARG);
    }
    try {
        mpixx::executor ex(comm, {.in_flight = comm.rank() == comm.size() - 1 ? 3 : 2});
        FAIL("no error for different in_flight values");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ARG);
    }
    try {
        mpixx::executor ex(comm, {.root = comm.rank() == 0 ? 1 : 0});
        FAIL("no error for different roots");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ROOT);
    }
    {
        mpixx::executor ex(comm); // the communicator still carries pools
        if (ex.is_client()) CHECK(ex.submit(square, 6).get() == 36);
    }
    check_ring(comm);
}
#endif

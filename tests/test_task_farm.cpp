// Tests of mpixx/task_farm.hpp: results in task order, tasks and results of serializable (non-typed)
// types, uneven task durations, more workers than tasks and no tasks, a task that throws (the root gets
// mpixx::task_error, every rank returns, the communicator stays usable), which worker ran what, large
// tasks (rendezvous sends), user messages left alone, and the argument errors; task_farm_collect
// (every task runs, every success and every failure reported on the root); a result that does not
// serialize on a worker; options that differ among ranks (checked mode).
#include "mpixx_test.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/task_farm.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

struct job {
    std::string name;
    std::vector<int> values;
};

struct summary {
    std::string label;
    long long total = 0;
    int worker = -1;
};

// A result whose serialization throws for v == 9 (a user hook that refuses to save some values).
struct picky {
    int v = 0;
    std::string note;
    template <class Archive>
    void serialize(Archive& ar) {
        if (Archive::saving() && v == 9) throw std::runtime_error("9 cannot be saved");
        ar(v, note);
    }
};

// A result that saves but does not load when v == 5 (a decoding failure on the root).
struct fussy {
    int v = 0;
    std::string note; // not an MPI type: the result is serialized
    template <class Archive>
    void serialize(Archive& ar) {
        ar(v, note);
        if (!Archive::saving() && v == 5) throw std::runtime_error("5 cannot be loaded");
    }
};

// The rank a task must have run on: the root itself at 1 rank, never the root otherwise.
void check_worker(const mpixx::communicator& comm, int worker, int root) {
    if (comm.size() == 1) CHECK(worker == root);
    else {
        CHECK(worker != root);
        CHECK(worker >= 0);
        CHECK(worker < comm.size());
    }
}

// Every rank passes a token to its right neighbour: proves the communicator still works.
void check_ring(const mpixx::communicator& comm) {
    const int right = (comm.rank() + 1) % comm.size(), left = (comm.rank() + comm.size() - 1) % comm.size();
    CHECK(comm.sendrecv<int>(comm.rank() * 11, right, 3, left, 3) == left * 11);
}

} // namespace

TEST_CASE("task_farm: a few hundred tiny tasks come back in task order, on the root only") {
    auto comm = mpixx::world().dup();
    std::vector<int> tasks(300);
    std::iota(tasks.begin(), tasks.end(), -50);
    for (int root : {0, comm.size() - 1}) {
        for (int depth : {1, 2, 3}) {
            const auto results = mpixx::task_farm(comm, tasks, [](int t) { return 3LL * t + 1; },
                                                  {.root = root, .in_flight = depth});
            if (comm.rank() != root) {
                CHECK(results.empty());
                continue;
            }
            REQUIRE(results.size() == tasks.size());
            for (std::size_t i = 0; i < tasks.size(); ++i) REQUIRE(results[i] == 3LL * tasks[i] + 1);
        }
    }
}

TEST_CASE("task_farm: tasks from a range of proxies (vector<bool>), root given as an int") {
    auto comm = mpixx::world().dup();
    const int root = comm.size() > 1 ? 1 : 0;
    std::vector<bool> flags(50);
    for (std::size_t i = 0; i < flags.size(); ++i) flags[i] = i % 3 == 0;
    const auto counts = mpixx::task_farm(comm, flags, [](bool b) { return b ? 7 : -1; }, root);
    if (comm.rank() == root) {
        REQUIRE(counts.size() == flags.size());
        for (std::size_t i = 0; i < flags.size(); ++i) CHECK(counts[i] == (i % 3 == 0 ? 7 : -1));
    } else {
        CHECK(counts.empty());
    }
}

TEST_CASE("task_farm: tasks and results of serialized types, which worker ran what") {
    auto comm = mpixx::world().dup();
    std::vector<job> jobs;
    for (int i = 0; i < 40; ++i) {
        job j{"job " + std::to_string(i), {}};
        for (int k = 0; k <= i % 7; ++k) j.values.push_back(i * 10 + k);
        jobs.push_back(std::move(j));
    }
    const int me = comm.rank();
    const auto results = mpixx::task_farm(comm, jobs, [me](const job& j) {
        return summary{j.name + " done", std::accumulate(j.values.begin(), j.values.end(), 0LL), me};
    });
    if (me != 0) {
        CHECK(results.empty());
        return;
    }
    REQUIRE(results.size() == jobs.size());
    std::set<int> workers;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const long long n = static_cast<long long>(i % 7) + 1, first = static_cast<long long>(i) * 10;
        CHECK(results[i].label == "job " + std::to_string(i) + " done");
        CHECK(results[i].total == n * first + n * (n - 1) / 2);
        check_worker(comm, results[i].worker, 0);
        workers.insert(results[i].worker);
    }
    // Every worker got tasks from the first round on: with >= 2 workers, more than one took part.
    if (comm.size() >= 3) CHECK(workers.size() == static_cast<std::size_t>(comm.size() - 1));
}

TEST_CASE("task_farm: uneven task durations still give every result, in order") {
    auto comm = mpixx::world().dup();
    std::vector<std::uint32_t> tasks(24);
    std::iota(tasks.begin(), tasks.end(), 1u);
    const auto results = mpixx::task_farm(comm, tasks, [](std::uint32_t t) {
        if (t % 6 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(3 + t % 4));
        return std::to_string(t * t); // a string result: the serialized path
    });
    if (comm.rank() != 0) return;
    REQUIRE(results.size() == tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) CHECK(results[i] == std::to_string(tasks[i] * tasks[i]));
}

TEST_CASE("task_farm: more workers than tasks, and no tasks at all") {
    auto comm = mpixx::world().dup();
    const std::vector<int> two{5, 6};
    const auto r2 = mpixx::task_farm(comm, two, [](int t) { return std::vector<int>(static_cast<std::size_t>(t), t); });
    if (comm.rank() == 0) {
        REQUIRE(r2.size() == 2);
        CHECK(r2[0] == std::vector<int>(5, 5));
        CHECK(r2[1] == std::vector<int>(6, 6));
    }
    const std::vector<job> none;
    const auto r0 = mpixx::task_farm(comm, none, [](const job& j) { return j.name; });
    CHECK(r0.empty());
    check_ring(comm);
}

TEST_CASE("task_farm: large tasks and results (rendezvous sends) do not deadlock") {
    auto comm = mpixx::world().dup();
    std::vector<std::vector<double>> tasks;
    for (int i = 0; i < 6; ++i) tasks.emplace_back(100000, i + 0.5); // 800 KB each
    const auto results = mpixx::task_farm(comm, tasks, [](const std::vector<double>& v) {
        std::vector<double> out(v);
        for (double& x : out) x *= 2;
        return out;
    });
    if (comm.rank() != 0) return;
    REQUIRE(results.size() == tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        REQUIRE(results[i].size() == 100000);
        CHECK(results[i].front() == 2 * (static_cast<double>(i) + 0.5));
        CHECK(results[i].back() == 2 * (static_cast<double>(i) + 0.5));
    }
}

TEST_CASE("task_farm: a task that throws -> task_error on the root, every rank returns, comm usable") {
    auto comm = mpixx::world().dup();
    std::vector<int> tasks(30);
    std::iota(tasks.begin(), tasks.end(), 0);
    const auto square_or_throw = [](int t) {
        if (t == 7) throw std::runtime_error("bad task " + std::to_string(t));
        return t * t;
    };
    for (int root : {0, comm.size() - 1}) {
        if (comm.rank() == root) {
            try {
                (void)mpixx::task_farm(comm, tasks, square_or_throw, root);
                FAIL("task_farm did not throw");
            } catch (const mpixx::task_error& e) {
                CHECK(e.task_index() == 7);
                CHECK(e.task_what() == "bad task 7");
                CHECK(e.error_class() == MPI_ERR_OTHER);
                CHECK(e.routine() == "mpixx::task_farm");
                check_worker(comm, e.worker(), root);
                CHECK_THAT(e.what(), Catch::Matchers::Contains("task 7 failed on rank") &&
                                         Catch::Matchers::Contains("bad task 7"));
            }
        } else {
            CHECK(mpixx::task_farm(comm, tasks, square_or_throw, root).empty());
        }
        // Nothing of the failed farm is left behind: the ring works and a new farm gets every result.
        check_ring(comm);
        const auto again = mpixx::task_farm(comm, tasks, [](int t) { return t + 1; }, root);
        if (comm.rank() == root) {
            REQUIRE(again.size() == tasks.size());
            CHECK(again.back() == 30);
        }
    }
}

TEST_CASE("task_farm: an exception not derived from std::exception, with serialized tasks") {
    auto comm = mpixx::world().dup();
    const std::vector<std::string> tasks{"zero", "one", "two", "three", "four", "five"};
    const auto f = [](const std::string& t) {
        if (t == "two") throw 42;
        return t.size();
    };
    if (comm.rank() == 0) {
        try {
            (void)mpixx::task_farm(comm, tasks, f);
            FAIL("task_farm did not throw");
        } catch (const mpixx::error& e) { // task_error is an mpixx::error
            const auto* te = dynamic_cast<const mpixx::task_error*>(&e);
            REQUIRE(te != nullptr);
            CHECK(te->task_index() == 2);
            CHECK_THAT(te->task_what(), Catch::Matchers::Contains("not derived from std::exception"));
        }
    } else {
        CHECK(mpixx::task_farm(comm, tasks, f).empty());
    }
    check_ring(comm);
}

// A typed task bigger than the blocking-send limit (non-blocking send) and than MPICH's eager limit.
struct big_block {
    std::array<double, 20000> values;
    int id;
};

TEST_CASE("task_farm: large typed tasks and results, and workers passing no tasks") {
    auto comm = mpixx::world().dup();
    std::vector<big_block> tasks;
    if (comm.rank() == 0) { // only the root's tasks are read
        for (int i = 0; i < 5; ++i) {
            tasks.push_back({});
            tasks.back().values.fill(i * 0.25);
            tasks.back().id = i;
        }
    }
    for (int depth : {1, 3}) {
        const auto results = mpixx::task_farm(comm, tasks, [](const big_block& b) {
            big_block out = b;
            for (double& x : out.values) x += 1;
            out.id = -b.id;
            return out;
        }, {.in_flight = depth});
        if (comm.rank() != 0) {
            CHECK(results.empty());
            continue;
        }
        REQUIRE(results.size() == 5);
        for (int i = 0; i < 5; ++i) {
            const auto& r = results[static_cast<std::size_t>(i)];
            CHECK(r.id == -i);
            CHECK(r.values.front() == i * 0.25 + 1);
            CHECK(r.values.back() == i * 0.25 + 1);
        }
    }
    check_ring(comm);
}

TEST_CASE("task_farm: never receives the user's messages on the same communicator") {
    auto comm = mpixx::world().dup();
    // Every non-root rank sends the root a message on comm before the farm; the root takes it after.
    MPI_Request req = MPI_REQUEST_NULL;
    const int token = 1000 + comm.rank();
    if (comm.rank() != 0) MPI_Isend(&token, 1, MPI_INT, 0, mpixx::detail::farm_result_tag, comm.native(), &req);
    std::vector<int> tasks(20, 1);
    const auto results = mpixx::task_farm(comm, tasks, [](int t) { return t + 1; });
    if (comm.rank() == 0) {
        CHECK(results == std::vector<int>(20, 2));
        for (int r = 1; r < comm.size(); ++r) CHECK(comm.recv<int>(r, mpixx::detail::farm_result_tag) == 1000 + r);
    }
    MPI_Wait(&req, MPI_STATUS_IGNORE);
}

TEST_CASE("task_farm: argument errors are reported on every rank") {
    auto comm = mpixx::world().dup();
    const std::vector<int> tasks{1, 2, 3};
    const auto id = [](int t) { return t; };
    try {
        (void)mpixx::task_farm(comm, tasks, id, comm.size());
        FAIL("no error for a root out of range");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ROOT);
    }
    try {
        (void)mpixx::task_farm(comm, tasks, id, {.root = 0, .in_flight = 0});
        FAIL("no error for in_flight 0");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ARG);
    }
    try {
        (void)mpixx::task_farm(comm, tasks, id, {.in_flight = 5000});
        FAIL("no error for in_flight 5000");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ARG);
    }
    try {
        (void)mpixx::task_farm(mpixx::communicator(), tasks, id);
        FAIL("no error for a null communicator");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_COMM);
    }
    check_ring(comm);
}

TEST_CASE("task_farm_collect: every task runs; the root gets every success and every failure, by index") {
    auto comm = mpixx::world().dup();
    std::vector<int> tasks(40);
    std::iota(tasks.begin(), tasks.end(), 0);
    const auto picky = [](int t) {
        if (t == 7 || t == 19 || t == 38) throw std::runtime_error("bad task " + std::to_string(t));
        return std::to_string(t * t); // a serialized result type
    };
    for (int root : {0, comm.size() - 1}) {
        for (int depth : {1, 3}) {
            const auto out = mpixx::task_farm_collect(comm, tasks, picky, {.root = root, .in_flight = depth});
            if (comm.rank() != root) {
                CHECK(out.results.empty());
                CHECK(out.failures.empty());
                continue;
            }
            CHECK_FALSE(out.ok());
            REQUIRE(out.results.size() == tasks.size());
            REQUIRE(out.failures.size() == 3);
            const std::size_t bad[] = {7, 19, 38};
            for (std::size_t k = 0; k < 3; ++k) {
                const mpixx::task_error& e = out.failures[k];
                CHECK(e.task_index() == bad[k]);
                CHECK(e.task_what() == "bad task " + std::to_string(bad[k]));
                CHECK(e.routine() == "mpixx::task_farm");
                CHECK(e.task_name().empty());
                check_worker(comm, e.worker(), root);
            }
            for (std::size_t i = 0; i < tasks.size(); ++i) {
                if (i == 7 || i == 19 || i == 38) CHECK(out.results[i].empty()); // R{}
                else CHECK(out.results[i] == std::to_string(tasks[i] * tasks[i]));
            }
        }
        check_ring(comm);
    }
    // All well: ok(), and the results of task_farm.
    const auto all = mpixx::task_farm_collect(comm, tasks, [](int t) { return 2 * t; });
    CHECK(all.ok());
    if (comm.rank() == 0) CHECK(all.results == mpixx::task_farm(comm, tasks, [](int t) { return 2 * t; }));
    else CHECK(mpixx::task_farm(comm, tasks, [](int t) { return 2 * t; }).empty());
    // Typed tasks and results, every task failing, and argument errors as in task_farm.
    const auto none_ok = mpixx::task_farm_collect(comm, tasks, [](int) -> int { throw 1; });
    if (comm.rank() == 0) {
        CHECK(none_ok.failures.size() == tasks.size());
        CHECK(none_ok.results == std::vector<int>(tasks.size(), 0));
        for (std::size_t i = 0; i < tasks.size(); ++i) CHECK(none_ok.failures[i].task_index() == i);
    }
    CHECK_THROWS_AS(mpixx::task_farm_collect(comm, tasks, [](int t) { return t; }, {.root = comm.size()}), mpixx::error);
    check_ring(comm);
}

TEST_CASE("task_farm: a result that fails to serialize on a worker is that task's failure, not a hang") {
    // Regression: the worker's encoding threw out of the farm on that rank while the root waited for the
    // result forever.
    auto comm = mpixx::world().dup();
    std::vector<int> tasks(16);
    std::iota(tasks.begin(), tasks.end(), 0);
    const auto f = [](int t) { return picky{t, "n"}; };
    try {
        const auto r = mpixx::task_farm(comm, tasks, f);
        if (comm.rank() == 0) { // nothing is serialized at 1 rank; workers return normally
            CHECK(comm.size() == 1);
            CHECK(r.size() == 16u);
        }
    } catch (const mpixx::task_error& e) {
        CHECK(comm.size() > 1);
        CHECK(comm.rank() == 0);
        CHECK(e.task_index() == 9u);
        CHECK_THAT(e.task_what(), Catch::Matchers::Contains("9 cannot be saved"));
    }
    auto out = mpixx::task_farm_collect(comm, tasks, f);
    if (comm.rank() == 0) {
        CHECK(out.results.size() == 16u);
        CHECK(out.failures.size() == (comm.size() == 1 ? 0u : 1u));
        for (int t = 0; t < 16; ++t)
            if (t != 9) CHECK(out.results[static_cast<std::size_t>(t)].v == t);
    }
    check_ring(comm);
}

TEST_CASE("task_farm: a result that does not decode on the root is a task_error naming its task") {
    // Regression: without collect mode the decoder's exception came out bare, without the task's index.
    auto comm = mpixx::world().dup();
    std::vector<int> tasks(12);
    std::iota(tasks.begin(), tasks.end(), 0);
    const auto f = [](int t) { return fussy{t, "n"}; };
    try {
        const auto r = mpixx::task_farm(comm, tasks, f);
        if (comm.rank() == 0) { // nothing is serialized at 1 rank
            CHECK(comm.size() == 1);
            CHECK(r.size() == 12u);
        }
    } catch (const mpixx::task_error& e) {
        CHECK(comm.size() > 1);
        CHECK(comm.rank() == 0);
        CHECK(e.task_index() == 5u);
        CHECK(e.error_class() == MPI_ERR_OTHER);
        CHECK_THAT(e.task_what(), Catch::Matchers::Contains("does not decode: 5 cannot be loaded"));
        check_worker(comm, e.worker(), 0);
    }
    check_ring(comm);
}

#if MPIXX_CHECKED
TEST_CASE("task_farm: checked mode: options that differ among ranks throw on every rank") {
    // Regression: a different in_flight left "stop" messages behind (the next farm hung), an invalid one on
    // one rank left the others waiting.
    auto comm = mpixx::world().dup();
    if (comm.size() == 1) return;
    const std::vector<int> tasks{1, 2, 3, 4, 5};
    const auto id = [](int t) { return t; };
    try {
        (void)mpixx::task_farm(comm, tasks, id, {.in_flight = comm.rank() == 1 ? 1 : 2});
        FAIL("no error for different in_flight values");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ARG);
    }
    try {
        (void)mpixx::task_farm(comm, tasks, id, {.in_flight = comm.rank() == 1 ? 0 : 2});
        FAIL("no error for an in_flight invalid on rank 1");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ARG);
    }
    try {
        (void)mpixx::task_farm(comm, tasks, id, comm.rank() == 0 ? 0 : 1);
        FAIL("no error for different roots");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ROOT);
    }
    const auto r = mpixx::task_farm(comm, tasks, id);
    if (comm.rank() == 0) CHECK(r == tasks);
    check_ring(comm);
}
#endif

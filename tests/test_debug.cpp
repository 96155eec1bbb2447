// Tests of mpixx/debug.hpp: wait_for_debugger() does nothing without MPIXX_DEBUG_RANK; a selected rank
// announces itself (pid, host) on stderr and times out after MPIXX_DEBUG_TIMEOUT; the barrier option
// holds every rank; the rank list parser; and a real gdb attach that releases a waiting rank.
#include "mpixx_test.hpp"
#include "error_class.hpp"
#include "fd_capture.hpp"

#include <mpixx/communicator.hpp>
#include <mpixx/debug.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

using mpixx_test::fd_capture;

/// Sets (or unsets, for nullptr) an environment variable for the scope, then restores it.
class scoped_env {
public:
    scoped_env(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            setenv(name, value, 1);
        else
            unsetenv(name);
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;
    ~scoped_env() {
        if (old_)
            setenv(name_, old_->c_str(), 1);
        else
            unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

std::string host_name() {
    char host[256] = "";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    return host;
}

using mpixx_test::error_class_of;

/// Runs a program (found on PATH) with its stdout and stderr going to `log`; returns its exit status,
/// or -1 when it could not be started.
int run_program(const std::vector<std::string>& args, const std::string& log) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const std::string& path) {
    std::string out;
    if (FILE* f = std::fopen(path.c_str(), "r")) {
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
        std::fclose(f);
    }
    return out;
}

} // namespace

TEST_CASE("debug: without MPIXX_DEBUG_RANK nothing happens") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    scoped_env rank_var("MPIXX_DEBUG_RANK", nullptr);
    scoped_env timeout_var("MPIXX_DEBUG_TIMEOUT", "5");
    fd_capture err(STDERR_FILENO);
    const double t0 = MPI_Wtime();
    CHECK(mpixx::wait_for_debugger() == mpixx::debugger_status::not_selected);
    CHECK(mpixx::wait_for_debugger({.barrier = true}) == mpixx::debugger_status::not_selected);
    {
        scoped_env empty("MPIXX_DEBUG_RANK", ""); // empty counts as unset
        CHECK(mpixx::wait_for_debugger() == mpixx::debugger_status::not_selected);
    }
    CHECK(MPI_Wtime() - t0 < 0.5);
    CHECK(err.text().empty());
}

TEST_CASE("debug: the selected rank announces pid and host, then times out after MPIXX_DEBUG_TIMEOUT") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int r = comm.rank();
    scoped_env rank_var("MPIXX_DEBUG_RANK", "0"); // world rank 0 only
    scoped_env timeout_var("MPIXX_DEBUG_TIMEOUT", "1");
    fd_capture err(STDERR_FILENO);
    const double t0 = MPI_Wtime();
    const auto result = mpixx::wait_for_debugger();
    const double elapsed = MPI_Wtime() - t0;
    const std::string out = err.text();
    INFO(out);
    if (r == 0) {
        CHECK(result == mpixx::debugger_status::timed_out);
        CHECK(elapsed >= 0.95);
        CHECK(elapsed < 5.0);
        const std::string line = "mpixx: rank 0 waiting for debugger: gdb -p " + std::to_string(getpid()) + " (host " +
                                 host_name() + ")\n";
        CHECK(out.rfind(line, 0) == 0); // the first line
        CHECK(out.find("set var mpixx_debugger_attached = 1") != std::string::npos);
        CHECK(out.find("mpixx: rank 0: no debugger attached within 1 s, continuing\n") != std::string::npos);
    } else {
        CHECK(result == mpixx::debugger_status::not_selected);
        CHECK(elapsed < 0.5); // the others go on at once
        CHECK(out.empty());
    }
}

TEST_CASE("debug: 'all' with a zero timeout: every rank announces itself and goes on") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    scoped_env rank_var("MPIXX_DEBUG_RANK", " all ");
    scoped_env timeout_var("MPIXX_DEBUG_TIMEOUT", "0");
    fd_capture err(STDERR_FILENO);
    CHECK(mpixx::wait_for_debugger() == mpixx::debugger_status::timed_out);
    const std::string out = err.text();
    CHECK(out.find("mpixx: rank " + std::to_string(comm.rank()) + " waiting for debugger: gdb -p " +
                   std::to_string(getpid())) == 0);
    CHECK(out.find("within 0 s, continuing") != std::string::npos);
}

TEST_CASE("debug: a list that names no rank of the job is reported by rank 0, and nobody waits") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const std::string spec = std::to_string(comm.size()) + "-" + std::to_string(comm.size() + 3);
    scoped_env rank_var("MPIXX_DEBUG_RANK", spec.c_str());
    scoped_env timeout_var("MPIXX_DEBUG_TIMEOUT", nullptr); // would wait forever if anyone were selected
    fd_capture err(STDERR_FILENO);
    CHECK(mpixx::wait_for_debugger({.barrier = true}) == mpixx::debugger_status::not_selected);
    const std::string out = err.text();
    if (comm.rank() == 0)
        CHECK(out == "mpixx: MPIXX_DEBUG_RANK='" + spec + "' selects none of the " + std::to_string(comm.size()) +
                         " rank(s): no rank waits for a debugger\n");
    else
        CHECK(out.empty());
}

TEST_CASE("debug: with the barrier option every rank waits for the selected one") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const int last = comm.size() - 1; // a non-zero rank when there are several
    scoped_env rank_var("MPIXX_DEBUG_RANK", std::to_string(last).c_str());
    scoped_env timeout_var("MPIXX_DEBUG_TIMEOUT", "0.5");
    fd_capture err(STDERR_FILENO);
    MPI_Barrier(comm.native());
    const double t0 = MPI_Wtime();
    const auto result = mpixx::wait_for_debugger({.barrier = true});
    const double elapsed = MPI_Wtime() - t0;
    const std::string out = err.text();
    CHECK(result == (comm.rank() == last ? mpixx::debugger_status::timed_out : mpixx::debugger_status::not_selected));
    CHECK(elapsed >= 0.45); // everyone was held until rank `last` went on
    CHECK(elapsed < 5.0);
    CHECK(out.empty() == (comm.rank() != last));
}

TEST_CASE("debug: MPIXX_DEBUG_RANK lists and ranges; malformed values throw MPI_ERR_ARG") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    using mpixx::detail::debug_rank_selected;
    CHECK(debug_rank_selected("all", 0));
    CHECK(debug_rank_selected("all", 77));
    CHECK(debug_rank_selected("3", 3));
    CHECK_FALSE(debug_rank_selected("3", 2));
    CHECK_FALSE(debug_rank_selected("3", 30));
    CHECK(debug_rank_selected("0,2, 5", 5));
    CHECK_FALSE(debug_rank_selected("0,2,5", 1));
    for (int r = 0; r < 12; ++r) {
        INFO("rank " << r);
        CHECK(debug_rank_selected("1-3,7, 9 - 10", r) == ((r >= 1 && r <= 3) || r == 7 || r == 9 || r == 10));
    }
    for (const char* bad : {"x", "-1", "1,", ",1", "1,,2", "3-1", "1-", "one", "1 2", "all,1", "1.5", "+1"}) {
        INFO("MPIXX_DEBUG_RANK=" << bad);
        CHECK(error_class_of([&] { (void)debug_rank_selected(bad, 0); }) == MPI_ERR_ARG);
    }
    using mpixx::detail::debug_timeout;
    CHECK(debug_timeout(nullptr) < 0);
    CHECK(debug_timeout("") < 0);
    CHECK(debug_timeout("2.5") == 2.5);
    CHECK(debug_timeout("0") == 0.0);
    for (const char* bad : {"x", "-1", "1s", "nan", "inf"}) {
        INFO("MPIXX_DEBUG_TIMEOUT=" << bad);
        CHECK(error_class_of([&] { (void)debug_timeout(bad); }) == MPI_ERR_ARG);
    }
    // through the real call, every rank agrees that the value is wrong
    scoped_env rank_var("MPIXX_DEBUG_RANK", "1,x");
    CHECK(error_class_of([] { (void)mpixx::wait_for_debugger(); }) == MPI_ERR_ARG);
    scoped_env rank_var2("MPIXX_DEBUG_RANK", "99999");
    scoped_env timeout_var("MPIXX_DEBUG_TIMEOUT", "soon");
    try {
        (void)mpixx::wait_for_debugger();
        FAIL("no exception");
    } catch (const mpixx::error& e) {
        CHECK(e.error_class() == MPI_ERR_ARG);
        CHECK(std::string(e.what()).find("MPIXX_DEBUG_TIMEOUT='soon'") != std::string::npos);
    }
}

TEST_CASE("debug: the mpixx_debugger_attached flag releases a waiting rank (set here, as a debugger would)") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    scoped_env rank_var("MPIXX_DEBUG_RANK", "all");
    scoped_env timeout_var("MPIXX_DEBUG_TIMEOUT", "30");
    fd_capture err(STDERR_FILENO);
    mpixx_debugger_attached = 1; // as if a debugger had set it already: no wait at all
    const double t0 = MPI_Wtime();
    CHECK(mpixx::wait_for_debugger() == mpixx::debugger_status::attached);
    CHECK(MPI_Wtime() - t0 < 1.0);
    CHECK(mpixx_debugger_attached == 0); // reset, so a later call waits again
    CHECK(err.text().find("debugger attached, continuing") != std::string::npos);
}

TEST_CASE("debug: gdb attaches to a waiting rank and releases it") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    if (comm.size() < 2) {
        WARN("needs 2 ranks: rank 0 runs gdb against rank 1");
        return;
    }
    const int r = comm.rank();
    // Rank 0 checks that gdb runs at all, rank 1 sends its pid and (only then) waits.
    int gdb_ok = 0;
    const std::string log = "/tmp/mpixx_test_debug_gdb_" + std::to_string(getpid()) + ".log";
    if (r == 0) gdb_ok = run_program({"gdb", "--version"}, log) == 0 ? 1 : 0;
    MPI_Bcast(&gdb_ok, 1, MPI_INT, 0, comm.native());
    if (!gdb_ok) {
        if (r == 0) WARN("gdb is not installed: the real attach is not tested");
        return;
    }
    // Only a refused ptrace (a sandbox's policy, not mpixx's fault) excuses rank 1 from being released.
    if (r == 1) {
        const int my_pid = static_cast<int>(getpid());
        MPI_Send(&my_pid, 1, MPI_INT, 0, 1, comm.native());
        scoped_env rank_var("MPIXX_DEBUG_RANK", "1");
        scoped_env timeout_var("MPIXX_DEBUG_TIMEOUT", "30");
        fd_capture err(STDERR_FILENO);
        const double t0 = MPI_Wtime();
        const auto result = mpixx::wait_for_debugger();
        const double elapsed = MPI_Wtime() - t0;
        const std::string out = err.text();
        int ptrace_allowed = 0;
        MPI_Recv(&ptrace_allowed, 1, MPI_INT, 0, 2, comm.native(), MPI_STATUS_IGNORE);
        INFO(out);
        if (ptrace_allowed) {
            CHECK(result == mpixx::debugger_status::attached);
            CHECK(elapsed < 29.0);
            CHECK(out.find("mpixx: rank 1: debugger attached, continuing") != std::string::npos);
        } else {
            CHECK(result == mpixx::debugger_status::timed_out);
        }
    } else if (r == 0) {
        int pid = 0;
        MPI_Recv(&pid, 1, MPI_INT, 1, 1, comm.native(), MPI_STATUS_IGNORE);
        // the documented non-interactive release (the cast form works with and without -g)
        const int rc = run_program({"gdb", "-nx", "-batch", "-p", std::to_string(pid), "-ex",
                                    "set var *(int*)&mpixx_debugger_attached = 1"},
                                   log);
        const std::string gdb_out = read_file(log);
        const int ptrace_allowed = gdb_out.find("ptrace: Operation not permitted") == std::string::npos ? 1 : 0;
        MPI_Send(&ptrace_allowed, 1, MPI_INT, 1, 2, comm.native());
        INFO("gdb exit status " << rc << ", output:\n" << gdb_out);
        if (ptrace_allowed) {
            CHECK(rc == 0);
            CHECK(gdb_out.find("(process " + std::to_string(pid) + ") detached") != std::string::npos);
        } else {
            WARN("ptrace is not permitted here: the real attach could not be tested");
        }
    }
    if (r == 0) unlink(log.c_str());
    MPI_Barrier(comm.native());
}

// Run by the test_debug_env entries (tests/cmake/debugging.cmake) with MPIXX_DEBUG_RANK=1 and
// MPIXX_DEBUG_TIMEOUT=0.3 in the environment of mpiexec: the variables reach the ranks as a user sets them.
TEST_CASE("debug: MPIXX_DEBUG_RANK set for mpiexec selects rank 1 of the job", "[.][from_env]") {
    auto comm = mpixx::world().dup(); // a private message space per test case
    const char* spec = std::getenv("MPIXX_DEBUG_RANK");
    REQUIRE(spec != nullptr);
    REQUIRE(std::string(spec) == "1");
    fd_capture err(STDERR_FILENO);
    const double t0 = MPI_Wtime();
    const auto result = mpixx::wait_for_debugger({.barrier = true});
    const double elapsed = MPI_Wtime() - t0;
    const std::string out = err.text();
    CHECK(result == (comm.rank() == 1 ? mpixx::debugger_status::timed_out : mpixx::debugger_status::not_selected));
    CHECK(elapsed >= 0.25);
    CHECK((out.find("mpixx: rank 1 waiting for debugger: gdb -p " + std::to_string(getpid())) == 0) ==
          (comm.rank() == 1));
}

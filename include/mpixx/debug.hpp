// mpixx/debug.hpp - stop chosen ranks until a debugger attaches (the guide's "Attach Debugger"
// pattern, for a compiled program launched by mpiexec).
//
//   mpixx::wait_for_debugger();                     // after mpixx::environment, or anywhere
//
//   $ MPIXX_DEBUG_RANK=1 mpiexec -n 4 ./app         # also: "0,2", "1-3", "all"
//   mpixx: rank 1 waiting for debugger: gdb -p 12345 (host node07)
//   $ gdb -p 12345                                  # on node07
//   (gdb) set var mpixx_debugger_attached = 1       # without -g: set var *(int*)&mpixx_debugger_attached = 1
//   (gdb) continue                                  # or: detach / quit, the rank runs on
//
// Or without an interactive session:
//   gdb -p 12345 -batch -ex 'set var *(int*)&mpixx_debugger_attached = 1'
//
// Environment:
//   MPIXX_DEBUG_RANK     ranks (of MPI_COMM_WORLD) that wait; unset or empty: the call does nothing at all.
//   MPIXX_DEBUG_TIMEOUT  seconds to wait before going on anyway (prints that it timed out); unset: forever.
// The selected ranks sleep 100 ms per check of a volatile flag, so a waiting rank costs no CPU. The
// other ranks go on, or with {.barrier = true} wait in MPI_Barrier(MPI_COMM_WORLD) so the whole job
// pauses there. On Linux a waiting rank lets any process of its user ptrace it (PR_SET_PTRACER), so
// attaching works under Yama's ptrace_scope=1; the permission is withdrawn when the wait ends.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/environment.hpp>
#include <mpixx/error.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

/// Set to non-zero from a debugger to release a rank waiting in mpixx::wait_for_debugger().
/// Global and unmangled so that `set var mpixx_debugger_attached = 1` finds it.
inline volatile int mpixx_debugger_attached = 0;

namespace mpixx::inline MPIXX_ABI {

/// How a call of wait_for_debugger() ended on this rank.
enum class debugger_status {
    not_selected, ///< MPIXX_DEBUG_RANK unset, empty, or not naming this rank: no wait
    attached,     ///< a debugger set mpixx_debugger_attached
    timed_out,    ///< MPIXX_DEBUG_TIMEOUT seconds passed first
};

/// Options of wait_for_debugger().
struct debugger_options {
    /// Whether every rank then waits in MPI_Barrier(MPI_COMM_WORLD), pausing the whole job until the
    /// selected ranks are released (only when MPIXX_DEBUG_RANK is set, so all ranks must see it).
    bool barrier = false;
};

namespace detail {

[[noreturn, MPIXX_COLD]] inline void throw_bad_debug_env(const char* variable, std::string_view value,
                                                         const char* expected) {
    throw_usage("mpixx::wait_for_debugger", MPI_ERR_ARG,
                std::string(variable) + "='" + std::string(value) + "' is invalid: expected " + expected);
}

/// Parses a non-negative decimal integer filling all of `s` (no sign, no spaces); -1 if it is not one.
inline long parse_rank_number(std::string_view s) {
    if (s.empty() || s.size() > 9) return -1;
    long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// Whether MPIXX_DEBUG_RANK's value `spec` ("all", "3", "0,2", "1-3,7") selects `rank`; throws on a
/// malformed spec whatever the rank, so that every rank of a job agrees on it.
inline bool debug_rank_selected(std::string_view spec, int rank) {
    constexpr const char* expected = "'all', a rank, or a comma list of ranks and ranges such as 0,2,4-7";
    const std::string_view whole = spec;
    if (trim(spec) == "all") return true;
    bool selected = false;
    do {
        const std::size_t comma = spec.find(',');
        const std::string_view item = trim(spec.substr(0, comma));
        spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
        if (comma != std::string_view::npos && spec.empty()) throw_bad_debug_env("MPIXX_DEBUG_RANK", whole, expected);
        const std::size_t dash = item.find('-');
        const long lo = parse_rank_number(trim(item.substr(0, dash)));
        const long hi = dash == std::string_view::npos ? lo : parse_rank_number(trim(item.substr(dash + 1)));
        if (lo < 0 || hi < lo) throw_bad_debug_env("MPIXX_DEBUG_RANK", whole, expected);
        if (lo <= rank && rank <= hi) selected = true;
    } while (!spec.empty());
    return selected;
}

/// MPIXX_DEBUG_TIMEOUT's value in seconds; a negative result means "no timeout" (unset or empty).
inline double debug_timeout(const char* value) {
    if (value == nullptr || *value == '\0') return -1.0;
    char* end = nullptr;
    errno = 0;
    const double t = std::strtod(value, &end);
    if (errno != 0 || end == value || trim(end) != "" || !(t >= 0 && t < std::numeric_limits<double>::infinity()))
        throw_bad_debug_env("MPIXX_DEBUG_TIMEOUT", value, "a number of seconds >= 0");
    return t;
}

/// Rank in MPI_COMM_WORLD; before MPI_Init (or after MPI_Finalize) the launcher's rank variable, else 0.
inline int debug_world_rank() {
    if (initialized()) {
        int rank = 0;
        MPIXX_CALL(MPI_Comm_rank, MPI_COMM_WORLD, &rank);
        return rank;
    }
    for (const char* var : {"PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"})
        if (const char* v = std::getenv(var)) {
            const long r = parse_rank_number(v);
            if (r >= 0) return static_cast<int>(r);
        }
    return 0;
}

/// Writes the whole text to stderr in one write(2) (lines of different ranks do not mix).
inline void write_stderr(std::string_view s) noexcept {
    while (!s.empty()) {
        const ssize_t n = ::write(STDERR_FILENO, s.data(), s.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

/// Rank 0 says so when the list names no rank of the job (a typo would otherwise pass silently).
inline void warn_if_no_rank_selected(std::string_view spec) {
    int size = 0;
    MPIXX_CALL(MPI_Comm_size, MPI_COMM_WORLD, &size);
    for (int r = 0; r < size; ++r)
        if (debug_rank_selected(spec, r)) return;
    write_stderr("mpixx: MPIXX_DEBUG_RANK='" + std::string(spec) + "' selects none of the " + std::to_string(size) +
                 " rank(s): no rank waits for a debugger\n");
}

/// "1.5" rather than std::to_string's "1.500000".
[[MPIXX_COLD]] inline std::string seconds_text(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", s);
    return text;
}

inline double monotonic_seconds() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Announces the wait and sleeps in 100 ms steps until the flag is set or `timeout` (< 0: never) passes.
inline debugger_status wait_here(int rank, double timeout) {
    char host[256] = "unknown";
    if (gethostname(host, sizeof host) != 0) host[0] = '\0';
    host[sizeof host - 1] = '\0';
    const std::string who = "mpixx: rank " + std::to_string(rank);
    std::string text = who + " waiting for debugger: gdb -p " + std::to_string(getpid()) + " (host " + host + ")\n";
    text += who + ": in gdb: set var mpixx_debugger_attached = 1 (without -g: set var *(int*)&mpixx_debugger_attached = 1)";
    text += timeout < 0 ? ", then continue\n" : ", then continue; going on by itself in " + seconds_text(timeout) + " s\n";
    write_stderr(text);
#if defined(__linux__) && defined(PR_SET_PTRACER)
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0); // fails harmlessly without Yama
#endif
    const double start = monotonic_seconds();
    debugger_status result = debugger_status::attached;
    while (mpixx_debugger_attached == 0) {
        const double left = timeout - (monotonic_seconds() - start);
        if (timeout >= 0 && left <= 0) {
            result = debugger_status::timed_out;
            break;
        }
        double step = 0.1;
        if (timeout >= 0 && left < step) step = left;
        timespec ts{0, static_cast<long>(step * 1e9)};
        nanosleep(&ts, nullptr); // a debugger's attach interrupts it: the flag is checked again at once
    }
#if defined(__linux__) && defined(PR_SET_PTRACER)
    prctl(PR_SET_PTRACER, 0, 0, 0, 0);
#endif
    mpixx_debugger_attached = 0; // a later call waits again
    write_stderr(result == debugger_status::attached
                     ? who + ": debugger attached, continuing\n"
                     : who + ": no debugger attached within " + seconds_text(timeout) + " s, continuing\n");
    return result;
}

} // namespace detail

/// If MPIXX_DEBUG_RANK selects this rank, prints "mpixx: rank R waiting for debugger: gdb -p PID
/// (host HOST)" on stderr and waits until a debugger sets mpixx_debugger_attached (or until
/// MPIXX_DEBUG_TIMEOUT seconds pass); with the variable unset it returns at once and does nothing.
inline debugger_status wait_for_debugger(debugger_options options = {}) {
    const char* spec = std::getenv("MPIXX_DEBUG_RANK");
    if (spec == nullptr || *spec == '\0') return debugger_status::not_selected;
    const int rank = detail::debug_world_rank();
    const bool selected = detail::debug_rank_selected(spec, rank);
    const double timeout = detail::debug_timeout(std::getenv("MPIXX_DEBUG_TIMEOUT"));
    if (rank == 0 && initialized()) detail::warn_if_no_rank_selected(spec);
    const debugger_status result = selected ? detail::wait_here(rank, timeout) : debugger_status::not_selected;
    if (options.barrier && initialized()) MPIXX_CALL(MPI_Barrier, MPI_COMM_WORLD);
    return result;
}

} // namespace mpixx

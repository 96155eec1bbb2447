// benchmarks/bench.hpp - the timing harness every benchmark shares.
//
// Each case runs its variants (raw MPI first, then mpixx) ALTERNATED for R rounds - raw, mpixx, raw,
// mpixx, ... - so that drift (other processes, frequency changes) hits every variant alike, then
// reports the median of each and ratio = median(mpixx) / median(raw). Every timed block starts with
// a barrier so all ranks enter it together. Only rank 0 prints. Keep blocks short (~0.1-1 ms) and
// rounds many: on a shared machine most short blocks run undisturbed, and the median picks those.
//
// Command line: --smoke (tiny counts: proves the benchmark runs, for CTest), --rounds R (default 301,
// or the environment variable MPIXX_BENCH_ROUNDS).
#pragma once

#include <mpixx/mpixx.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bench {

/// The target of a row that only informs (e.g. the bare cost of a call): never flagged.
inline constexpr double informational = std::numeric_limits<double>::infinity();

/// What the command line asked for.
struct options {
    bool smoke = false;
    int rounds = 301;
    /// The iteration count of one timed block: `full`, or a handful under --smoke.
    [[nodiscard]] int iters(int full) const { return smoke ? std::min(full, 3) : full; }
};

/// Reads --smoke and --rounds R (or MPIXX_BENCH_ROUNDS); exits on anything else.
inline options parse(int argc, char** argv) {
    options o;
    if (const char* env = std::getenv("MPIXX_BENCH_ROUNDS")) o.rounds = std::atoi(env);
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--smoke") o.smoke = true;
        else if (arg == "--rounds" && i + 1 < argc) o.rounds = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--smoke] [--rounds R]\n", argv[0]);
            std::exit(2);
        }
    }
    if (o.smoke) o.rounds = 2;
    o.rounds = std::max(o.rounds, 1);
    return o;
}

/// Whether `comm` has the 2 ranks a benchmark needs; says so on stderr when not (then return 1 from main).
inline bool has_two_ranks(const mpixx::communicator& comm, const char* name) {
    if (comm.size() >= 2) return true;
    std::fprintf(stderr, "%s: needs 2 ranks (mpiexec -n 2)\n", name);
    return false;
}

/// Microseconds per call of f over `iters` calls, timed after a barrier.
template <class F>
double time_block(MPI_Comm comm, int iters, F& f) {
    MPI_Barrier(comm);
    const double t0 = MPI_Wtime();
    for (int i = 0; i < iters; ++i) f();
    return (MPI_Wtime() - t0) * 1e6 / iters;
}

/// The median of the samples.
inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// The first line of a benchmark's output: what ran, at how many ranks and rounds (`up_to`: some cases
/// run fewer), built by which compiler; plus a warning when the build is not optimised.
inline void print_banner(const char* title, int ranks, const options& o, bool up_to = false) {
#if defined(__clang__)
    const char* compiler = "clang++ " __clang_version__;
#elif defined(__GNUC__)
    const char* compiler = "g++ " __VERSION__;
#else
    const char* compiler = "unknown compiler";
#endif
    std::printf("# %s: %d ranks, %s%d alternated rounds%s, median us per iteration; %s\n", title, ranks,
                up_to ? "up to " : "", o.rounds, o.smoke ? " (smoke: tiny counts, numbers meaningless)" : "",
                compiler);
#ifndef __OPTIMIZE__
    std::printf("# WARNING: built without optimisation; build Release or RelWithDebInfo to measure\n");
#endif
}

/// Collects one row per case and prints the table (rank 0 only).
class table {
public:
    /// `title` heads the table; the ratio of a row above `target` is flagged.
    table(MPI_Comm comm, const options& o, std::string title, double target = 1.02)
        : comm_(comm), opt_(o), title_(std::move(title)), target_(target) {
        MPI_Comm_rank(comm, &rank_);
        int size = 0;
        MPI_Comm_size(comm, &size);
        if (rank_ != 0) return;
        print_banner(title_.c_str(), size, opt_);
        std::printf("| %-34s | %10s | %10s | %7s |\n", "case", "raw us", "mpixx us", "ratio");
        std::printf("|%s|%s|%s|%s|\n", std::string(36, '-').c_str(), std::string(12, '-').c_str(),
                    std::string(12, '-').c_str(), std::string(9, '-').c_str());
        std::fflush(stdout);
    }

    /// Times `raw` and `mpixx` (iters calls per block), alternated for R rounds after one untimed
    /// warm-up block each, and prints the row of medians. `target` overrides the table's; pass
    /// `informational` for a row that has none.
    template <class Raw, class Mpixx>
    void run(const std::string& name, int full_iters, Raw&& raw, Mpixx&& mpixx, double target = 0) {
        const int iters = opt_.iters(full_iters);
        time_block(comm_, iters, raw);
        time_block(comm_, iters, mpixx);
        std::vector<double> raw_us, mpixx_us;
        for (int r = 0; r < opt_.rounds; ++r) {
            raw_us.push_back(time_block(comm_, iters, raw));
            mpixx_us.push_back(time_block(comm_, iters, mpixx));
        }
        if (rank_ != 0) return;
        const double a = median(raw_us), b = median(mpixx_us);
        rows_.push_back({name, b / a, target != 0 ? target : target_});
        std::printf("| %-34s | %10.4f | %10.4f | %7.3f |\n", name.c_str(), a, b, b / a);
        std::fflush(stdout);
    }

    /// Prints one final line per case with its ratio against the target.
    void summary() const {
        if (rank_ != 0) return;
        for (const auto& [name, ratio, target] : rows_) {
            std::printf("%s: %s: ratio %.3f", title_.c_str(), name.c_str(), ratio);
            if (target == informational) std::printf(" (informational)\n");
            else std::printf(" (target <= %.2f)%s\n", target, ratio <= target || opt_.smoke ? "" : "  ABOVE TARGET");
        }
        std::fflush(stdout);
    }

private:
    struct row {
        std::string name;
        double ratio, target;
    };
    MPI_Comm comm_;
    options opt_;
    std::string title_;
    double target_;
    int rank_ = 0;
    std::vector<row> rows_;
};

} // namespace bench

// mpixx/detail/window_state.hpp - what a window<T> keeps besides its MPI_Win: every rank's window size
// (bounds checks before MPI sees a put), the epochs this process has open (misuse is MPI_ERR_RMA_SYNC
// before MPI sees it), the RMA op constants and the mapping of mpixx's op functors to predefined MPI_Ops.
// Synchronisations that may wait on other ranks (fence, lock/unlock, flush, start/complete/wait, creation
// and free) go through MPIXX_WATCHED (hang_watch.hpp): marked for the hang report, one load when it is off.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/datatype.hpp>
#include <mpixx/detail/comm_base.hpp>
#include <mpixx/detail/hang_watch.hpp>
#include <mpixx/error.hpp>
#include <mpixx/ops.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace mpixx::inline MPIXX_ABI {

/// The lock type of a passive-target epoch (MPI_Win_lock).
enum class lock_type : int {
    exclusive = MPI_LOCK_EXCLUSIVE, ///< No other process accesses the target's window meanwhile.
    shared = MPI_LOCK_SHARED,       ///< Other shared locks may be held at the same time.
};

/// Assertions for fence, lock, post and start (MPI_MODE_*): optimisation hints, 0 is always correct.
namespace rma_mode {
inline constexpr int nocheck = MPI_MODE_NOCHECK;     ///< MPI_MODE_NOCHECK: no conflicting lock or post is pending.
inline constexpr int nostore = MPI_MODE_NOSTORE;     ///< MPI_MODE_NOSTORE: no local store since the last sync.
inline constexpr int noput = MPI_MODE_NOPUT;         ///< MPI_MODE_NOPUT: no put or accumulate targets us until the next sync.
inline constexpr int noprecede = MPI_MODE_NOPRECEDE; ///< MPI_MODE_NOPRECEDE: the fence ends no epoch (no RMA before it).
inline constexpr int nosucceed = MPI_MODE_NOSUCCEED; ///< MPI_MODE_NOSUCCEED: the fence starts no epoch (no RMA after it).
} // namespace rma_mode

/// The op of accumulate that stores the origin value (MPI_REPLACE): an atomic put.
struct replace_t {
    /// The new value replaces the old one.
    template <class A, class B>
    constexpr B operator()(const A&, const B& b) const noexcept(std::is_nothrow_copy_constructible_v<B>) {
        return b;
    }
};
/// The op of get_accumulate / fetch_and_op that leaves the target unchanged (MPI_NO_OP): an atomic get.
struct no_op_t {
    /// The old value stays.
    template <class A, class B>
    constexpr A operator()(const A& a, const B&) const noexcept(std::is_nothrow_copy_constructible_v<A>) {
        return a;
    }
};
inline constexpr replace_t replace{}; ///< MPI_REPLACE: accumulate stores the origin value atomically.
inline constexpr no_op_t no_op{};     ///< MPI_NO_OP: get_accumulate / fetch_and_op only read, atomically.

namespace detail {

/// Element types the predefined RMA ops replace/no_op apply to: MPI's predefined datatypes, the
/// value/index pairs (MPI_DOUBLE_INT, ...) included.
template <class T>
inline constexpr bool rma_predefined_type =
    builtin_mpi_type<T> || (std::is_enum_v<T> && !user_mpi_type<T>) || builtin_loc_pair<T>::value;

/// Whether Op on T is an op MPI allows in one-sided accumulates: a predefined MPI_Op defined on T.
template <class Op, class T>
constexpr bool rma_builtin() {
    using F = std::remove_cvref_t<Op>;
    if constexpr (std::is_same_v<F, replace_t> || std::is_same_v<F, no_op_t>) return rma_predefined_type<T>;
    else return builtin_reduction<Op, T>;
}

/// The predefined MPI_Op of an RMA op (compile-time choice; rma_builtin<Op, T>() must hold).
template <class Op, class T>
MPI_Op rma_op_handle() noexcept {
    using F = std::remove_cvref_t<Op>;
    if constexpr (std::is_same_v<F, replace_t>) return MPI_REPLACE;
    else if constexpr (std::is_same_v<F, no_op_t>) return MPI_NO_OP;
    else return builtin_op_handle<kind_for<Op, T>>();
}

/// The datatype an accumulate of T uses (the predefined pair types for minloc/maxloc elements).
template <class T>
MPI_Datatype rma_datatype() {
    if constexpr (builtin_loc_pair<T>::value) return loc_datatype<typename builtin_loc_pair<T>::value_type>();
    else return datatype<T>();
}

/// compare_and_swap's element types (MPI: C integer, logical, byte; the multi-language types).
template <class T>
inline constexpr bool rma_cas_type = mpi_c_integer<T> || std::is_same_v<T, bool> || std::is_same_v<T, std::byte> ||
                                     std::is_same_v<T, char> || (std::is_enum_v<T> && !user_mpi_type<T>);

/// A layout usable as a target datatype: it hands out a committed MPI_Datatype (see layout.hpp).
template <class L>
concept rma_layout = requires(const L& l) {
    { l.native() } -> std::same_as<MPI_Datatype>;
};

// ---- cold paths: every error text is built here, never on success ----------------------------------

[[noreturn, MPIXX_COLD]] inline void throw_rma_sync(const char* routine, const std::string& what) {
    throw_usage(routine, MPI_ERR_RMA_SYNC, what);
}

[[noreturn, MPIXX_COLD]] inline void throw_no_epoch(const char* routine, int target) {
    throw_rma_sync(routine, "no access epoch to rank " + std::to_string(target) +
                                " is open on this window (open one first: lock(" + std::to_string(target) +
                                "), lock_all(), fence() or start())");
}

[[noreturn, MPIXX_COLD]] inline void throw_not_passive(const char* routine, int target) {
    throw_rma_sync(routine, "needs a passive-target epoch to rank " + std::to_string(target) +
                                " (lock(" + std::to_string(target) +
                                ") or lock_all()): MPI allows request-based operations, flushes and "
                                "value-returning reads only there (in a fence or start epoch, read into a buffer "
                                "and use it after the epoch ends)");
}

[[noreturn, MPIXX_COLD]] inline void throw_rma_range(const char* routine, int target, MPI_Aint disp,
                                                     MPI_Aint count, MPI_Aint size, const char* unit) {
    if (disp < 0)
        throw_usage(routine, MPI_ERR_DISP,
                    "target displacement " + std::to_string(disp) + " on rank " + std::to_string(target) +
                        " is negative");
    throw_usage(routine, MPI_ERR_RMA_RANGE,
                "access of " + std::to_string(count) + " " + unit + " at displacement " + std::to_string(disp) +
                    " on rank " + std::to_string(target) + " lies beyond the end of that rank's window of " +
                    std::to_string(size) + " " + unit);
}

/// A target layout reaching outside the target's window: below its start (a negative true lower bound)
/// or past its end. lb and ext are the layout's true lower bound and extent in bytes from `disp`.
[[noreturn, MPIXX_COLD]] inline void throw_rma_layout_range(const char* routine, int target, MPI_Aint disp,
                                                            MPI_Aint lb, MPI_Aint ext, MPI_Aint size,
                                                            std::size_t elem) {
    const std::string where = "the target layout at displacement " + std::to_string(disp) + " on rank " +
                              std::to_string(target) + " (true lower bound " + std::to_string(lb) +
                              " bytes, true extent " + std::to_string(ext) + " bytes) ";
    const std::string window = " of that rank's window of " + std::to_string(size) + " elements of " +
                               std::to_string(elem) + " bytes";
    throw_usage(routine, MPI_ERR_RMA_RANGE,
                where + (lb < 0 && static_cast<MPI_Aint>(static_cast<std::size_t>(disp) * elem) + lb < 0
                             ? "reaches below the start" + window
                             : "reaches beyond the end" + window));
}

/// Two sides of an operation holding different amounts of data (MPI requires matching type
/// signatures; it would drop, repeat or misplace elements silently).
[[noreturn, MPIXX_COLD]] inline void throw_rma_count(const char* routine, const char* a, std::size_t acount,
                                                     MPI_Datatype atype, const char* b, std::size_t bcount,
                                                     MPI_Datatype btype) {
    throw_usage(routine, MPI_ERR_COUNT,
                std::string(a) + " holds " + describe_count(acount, atype) + " but " + b + " holds " +
                    describe_count(bcount, btype) +
                    ": both sides of a one-sided operation must hold the same data (MPI's type signatures must "
                    "match)");
}

[[noreturn, MPIXX_COLD]] inline void throw_rma_type(const char* routine, std::size_t bytes,
                                                    std::size_t elem) {
    throw_usage(routine, MPI_ERR_TYPE,
                "the origin buffer holds " + std::to_string(bytes) + " bytes, not a whole number of the window's " +
                    std::to_string(elem) + "-byte elements");
}

[[noreturn, MPIXX_COLD]] inline void throw_null_window(const char* routine) {
    throw_usage(routine, MPI_ERR_WIN, "the window is null (default-constructed, moved from or freed)");
}

/// The window's handle and what mpixx tracks about it. Lives on the heap so that epoch guards can
/// point at it while the window<T> object itself moves.
struct window_state {
    MPI_Win win = MPI_WIN_NULL;
    int rank = 0;
    int size = 0;
    bool dynamic = false;             // displacements are absolute addresses; no bounds known
    std::vector<MPI_Aint> extent;     // every rank's window size in elements (empty when dynamic)
    // Epochs. access_all: fence (1) or lock_all (2) open towards every rank; access[t]: lock (1) or
    // start (2) open towards t. One OR and a load decide whether an operation may go to t.
    unsigned char access_all = 0;
    std::vector<unsigned char> access;
    int locks_held = 0; // lock(t) epochs open (fence and lock_all need none)
    bool started = false;  // start() ... complete()
    bool posted = false;   // post() ... wait()/test()

    static constexpr unsigned char fence_bit = 1, lock_all_bit = 2, lock_bit = 1, start_bit = 2;

    /// Checks that an operation may go to `target` now and that [disp, disp + count) lies in its window.
    /// MPI_PROC_NULL passes (MPI makes it a no-op); false tells the caller to skip the call's other work.
    bool check_access(int target, MPI_Aint disp, MPI_Aint count, const char* routine) const {
        if (win == MPI_WIN_NULL) [[unlikely]]
            throw_null_window(routine);
        if (static_cast<unsigned>(target) >= static_cast<unsigned>(size)) [[unlikely]] {
            if (target == MPI_PROC_NULL) return false;
            throw_bad_rank(routine, target, size);
        }
        if ((access_all | access[static_cast<std::size_t>(target)]) == 0) [[unlikely]]
            throw_no_epoch(routine, target);
        if (!dynamic) {
            const MPI_Aint n = extent[static_cast<std::size_t>(target)];
            if (disp < 0 || disp > n || count > n - disp) [[unlikely]]
                throw_rma_range(routine, target, disp, count, n, "elements");
        }
        return true;
    }

    /// As check_access for a target layout whose true lower bound is `lb` and true extent `ext` (bytes
    /// from the displacement, as MPI_Type_get_true_extent gives them): the bytes it touches,
    /// [disp * elem + lb, disp * elem + lb + ext), must lie in the target's window. A negative lower bound
    /// reaches below the displacement, so both ends are checked; lb and ext come from any datatype, so
    /// the sums are overflow-checked.
    bool check_layout_access(int target, MPI_Aint disp, MPI_Aint lb, MPI_Aint ext, std::size_t elem,
                             const char* routine) const {
        if (!check_access(target, disp, 0, routine)) return false; // rank, epoch, 0 <= disp <= size
        if (dynamic || ext == 0) return true;                      // no bounds known / nothing touched
        const MPI_Aint n = extent[static_cast<std::size_t>(target)], unit = static_cast<MPI_Aint>(elem);
        MPI_Aint at = 0, lo = 0, hi = 0, bytes = 0;
        if (__builtin_mul_overflow(disp, unit, &at) || __builtin_add_overflow(at, lb, &lo) ||
            __builtin_add_overflow(lo, ext, &hi) || __builtin_mul_overflow(n, unit, &bytes) || lo < 0 ||
            hi > bytes) [[unlikely]]
            throw_rma_layout_range(routine, target, disp, lb, ext, n, elem);
        return true;
    }

    /// Whether a passive-target epoch (lock or lock_all) to `target` is open.
    [[nodiscard]] bool passive(int target) const noexcept {
        return (access_all & lock_all_bit) || (access[static_cast<std::size_t>(target)] & lock_bit);
    }

    /// As check_access, and the epoch must be passive (request-based ops, flush, value-returning reads).
    bool check_passive(int target, MPI_Aint disp, MPI_Aint count, const char* routine) const {
        if (!check_access(target, disp, count, routine)) return false;
        if (!passive(target)) [[unlikely]]
            throw_not_passive(routine, target);
        return true;
    }

    /// The target must be a rank (or proc_null) and a passive epoch to it open: flush and friends.
    bool check_flush(int target, const char* routine) const {
        if (win == MPI_WIN_NULL) [[unlikely]]
            throw_null_window(routine);
        if (static_cast<unsigned>(target) >= static_cast<unsigned>(size)) [[unlikely]] {
            if (target == MPI_PROC_NULL) return false;
            throw_bad_rank(routine, target, size);
        }
        if (!passive(target)) [[unlikely]]
            throw_not_passive(routine, target);
        return true;
    }

    /// The hang report's site of a synchronisation towards `target` (-1: every rank, or none).
    [[nodiscard]] hang_site hang(int target = -1) const noexcept {
        return hang_window_site(nullptr, win, target, size);
    }

    void check_open(const char* routine) const {
        if (win == MPI_WIN_NULL) [[unlikely]]
            throw_null_window(routine);
    }

    /// Releases what this process still holds (epochs left open, then the window): collective. Never
    /// throws; returns the first failing return code and the routine that produced it.
    int release(const char** failed) noexcept {
        int rc = MPI_SUCCESS;
        if (win == MPI_WIN_NULL) return rc; // creation failed: nothing to free
        auto note = [&](int r, const char* what) {
            if (r != MPI_SUCCESS && rc == MPI_SUCCESS) {
                rc = r;
                *failed = what;
            }
        };
        if (access_all & lock_all_bit) note(MPIXX_WATCHED(hang(), MPI_Win_unlock_all, win), "MPI_Win_unlock_all");
        for (int t = 0; t < size && locks_held > 0; ++t)
            if (access[static_cast<std::size_t>(t)] & lock_bit) {
                note(MPIXX_WATCHED(hang(t), MPI_Win_unlock, t, win), "MPI_Win_unlock");
                --locks_held;
            }
        if (started) note(MPIXX_WATCHED(hang(), MPI_Win_complete, win), "MPI_Win_complete");
        if (posted) note(MPIXX_WATCHED(hang(), MPI_Win_wait, win), "MPI_Win_wait");
        note(MPIXX_WATCHED(hang(), MPI_Win_free, &win), "MPI_Win_free");
        win = MPI_WIN_NULL;
        return rc;
    }
};

/// Builds an MPI_Group of `ranks` (ranks of the window's communicator) for post/start; the caller frees it.
inline MPI_Group window_group(MPI_Win win, const int* ranks, std::size_t n, int size, const char* routine) {
    for (std::size_t i = 0; i < n; ++i)
        if (static_cast<unsigned>(ranks[i]) >= static_cast<unsigned>(size)) [[unlikely]]
            throw_bad_rank(routine, ranks[i], size);
    MPI_Group all = MPI_GROUP_NULL, some = MPI_GROUP_NULL;
    MPIXX_CALL(MPI_Win_get_group, win, &all);
    const int rc = MPI_Group_incl(all, static_cast<int>(n), ranks, &some);
    MPI_Group_free(&all);
    check(rc, "MPI_Group_incl");
    return some;
}

} // namespace detail
} // namespace mpixx

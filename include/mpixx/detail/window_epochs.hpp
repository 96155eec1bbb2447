// mpixx/detail/window_epochs.hpp - RAII passive-target epochs of a window: lock_epoch (MPI_Win_lock ..
// MPI_Win_unlock) and lock_all_epoch (MPI_Win_lock_all .. MPI_Win_unlock_all), returned by
// window<T>::lock and window<T>::lock_all. The epoch ends with the guard's scope or its unlock().
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/window_state.hpp>

#include <cstdio>
#include <memory>
#include <utility>

namespace mpixx::inline MPIXX_ABI {

template <mpi_type T>
class window;

namespace detail {

/// Prints an error a destructor cannot throw (an epoch guard ending during unwinding, a window freed).
inline void report_window_error(const char* routine, int code) noexcept {
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) text[0] = '\0';
    std::fprintf(stderr, "mpixx: error in a destructor (not thrown): %s: %s\n", routine, text);
    std::fflush(stderr);
}

/// Whether MPI can still be called (an object outliving MPI_Finalize does nothing).
inline bool window_mpi_alive() noexcept {
    int finalized = 0;
    MPI_Finalized(&finalized);
    return !finalized;
}

/// Opens a lock epoch to `target` (misuse: MPI_ERR_RMA_SYNC before MPI sees it).
inline void rma_lock(window_state& s, int target, lock_type type, int assert_) {
    s.check_open("mpixx::window::lock");
    if (static_cast<unsigned>(target) >= static_cast<unsigned>(s.size)) [[unlikely]]
        throw_bad_rank("mpixx::window::lock", target, s.size);
    if (s.access[static_cast<std::size_t>(target)] & window_state::lock_bit) [[unlikely]]
        throw_rma_sync("mpixx::window::lock", "rank " + std::to_string(target) +
                                                  " is already locked by this process on this window");
    if (s.access_all & window_state::lock_all_bit) [[unlikely]]
        throw_rma_sync("mpixx::window::lock", "a lock_all epoch is open: it already covers rank " +
                                                  std::to_string(target));
    MPIXX_WATCHED_CALL(s.hang(target), MPI_Win_lock, static_cast<int>(type), target, assert_, s.win);
    s.access[static_cast<std::size_t>(target)] |= window_state::lock_bit;
    s.access_all &= static_cast<unsigned char>(~window_state::fence_bit); // a lock starts no fence epoch
    ++s.locks_held;
}

/// Ends the lock epoch to `target`.
inline void rma_unlock(window_state& s, int target) {
    s.check_open("mpixx::window::unlock");
    if (!(s.access[static_cast<std::size_t>(target)] & window_state::lock_bit)) [[unlikely]]
        throw_rma_sync("mpixx::window::unlock", "rank " + std::to_string(target) + " is not locked on this window");
    // Cleared first: MPI ends the epoch even when unlock reports an error.
    s.access[static_cast<std::size_t>(target)] &= static_cast<unsigned char>(~window_state::lock_bit);
    --s.locks_held;
    MPIXX_WATCHED_CALL(s.hang(target), MPI_Win_unlock, target, s.win);
}

inline void rma_lock_all(window_state& s, int assert_) {
    s.check_open("mpixx::window::lock_all");
    if (s.access_all & window_state::lock_all_bit) [[unlikely]]
        throw_rma_sync("mpixx::window::lock_all", "a lock_all epoch is already open on this window");
    if (s.locks_held > 0) [[unlikely]]
        throw_rma_sync("mpixx::window::lock_all", std::to_string(s.locks_held) +
                                                      " lock epoch(s) are open on this window: end them first");
    MPIXX_WATCHED_CALL(s.hang(), MPI_Win_lock_all, assert_, s.win);
    s.access_all = window_state::lock_all_bit;
}

inline void rma_unlock_all(window_state& s) {
    s.check_open("mpixx::window::unlock_all");
    if (!(s.access_all & window_state::lock_all_bit)) [[unlikely]]
        throw_rma_sync("mpixx::window::unlock_all", "no lock_all epoch is open on this window");
    s.access_all = 0;
    MPIXX_WATCHED_CALL(s.hang(), MPI_Win_unlock_all, s.win);
}

} // namespace detail

/// A passive-target epoch to one rank (MPI_Win_lock): ends (MPI_Win_unlock, which completes every
/// operation to that rank) at scope exit or unlock(). Move-only; keeps the window's state alive, and
/// does nothing once the window is freed (freeing ends the epoch).
class [[nodiscard]] lock_epoch {
public:
    /// No epoch.
    lock_epoch() noexcept = default;
    /// Takes o's epoch; o holds none.
    lock_epoch(lock_epoch&& o) noexcept : s_(std::move(o.s_)), target_(o.target_) {}
    /// Ends this epoch if open, then takes o's.
    lock_epoch& operator=(lock_epoch&& o) noexcept {
        if (this != &o) {
            end_noexcept();
            s_ = std::move(o.s_);
            target_ = o.target_;
        }
        return *this;
    }
    /// Ends the epoch if it is still open (errors are printed, never thrown).
    ~lock_epoch() { end_noexcept(); }

    /// Ends the epoch now (MPI_Win_unlock); a second unlock() throws MPI_ERR_RMA_SYNC.
    void unlock() {
        if (!s_) [[unlikely]]
            detail::throw_rma_sync("mpixx::lock_epoch::unlock", "this epoch is not open (already unlocked or moved from)");
        auto s = std::move(s_);
        detail::rma_unlock(*s, target_);
    }
    /// Whether the epoch is open.
    [[nodiscard]] bool locked() const noexcept { return s_ != nullptr; }
    /// The locked rank.
    [[nodiscard]] int target() const noexcept { return target_; }

private:
    template <mpi_type>
    friend class window;
    lock_epoch(std::shared_ptr<detail::window_state> s, int target) noexcept : s_(std::move(s)), target_(target) {}
    void end_noexcept() noexcept {
        if (!s_) return;
        auto s = std::move(s_);
        if (s->win == MPI_WIN_NULL || !(s->access[static_cast<std::size_t>(target_)] & detail::window_state::lock_bit) ||
            !detail::window_mpi_alive())
            return;
        s->access[static_cast<std::size_t>(target_)] &= static_cast<unsigned char>(~detail::window_state::lock_bit);
        --s->locks_held;
        if (int rc = MPIXX_WATCHED(s->hang(target_), MPI_Win_unlock, target_, s->win); rc != MPI_SUCCESS)
            detail::report_window_error("MPI_Win_unlock", rc);
    }
    std::shared_ptr<detail::window_state> s_;
    int target_ = MPI_PROC_NULL;
};

/// A passive-target epoch to every rank (MPI_Win_lock_all, shared locks): ends (MPI_Win_unlock_all) at
/// scope exit or unlock(). Move-only; does nothing once the window is freed.
class [[nodiscard]] lock_all_epoch {
public:
    /// No epoch.
    lock_all_epoch() noexcept = default;
    /// Takes o's epoch; o holds none.
    lock_all_epoch(lock_all_epoch&& o) noexcept = default;
    /// Ends this epoch if open, then takes o's.
    lock_all_epoch& operator=(lock_all_epoch&& o) noexcept {
        if (this != &o) {
            end_noexcept();
            s_ = std::move(o.s_);
        }
        return *this;
    }
    /// Ends the epoch if it is still open (errors are printed, never thrown).
    ~lock_all_epoch() { end_noexcept(); }

    /// Ends the epoch now (MPI_Win_unlock_all); a second unlock() throws MPI_ERR_RMA_SYNC.
    void unlock() {
        if (!s_) [[unlikely]]
            detail::throw_rma_sync("mpixx::lock_all_epoch::unlock",
                                   "this epoch is not open (already unlocked or moved from)");
        auto s = std::move(s_);
        detail::rma_unlock_all(*s);
    }
    /// Whether the epoch is open.
    [[nodiscard]] bool locked() const noexcept { return s_ != nullptr; }

private:
    template <mpi_type>
    friend class window;
    explicit lock_all_epoch(std::shared_ptr<detail::window_state> s) noexcept : s_(std::move(s)) {}
    void end_noexcept() noexcept {
        if (!s_) return;
        auto s = std::move(s_);
        if (s->win == MPI_WIN_NULL || !(s->access_all & detail::window_state::lock_all_bit) || !detail::window_mpi_alive())
            return;
        s->access_all = 0;
        if (int rc = MPIXX_WATCHED(s->hang(), MPI_Win_unlock_all, s->win); rc != MPI_SUCCESS)
            detail::report_window_error("MPI_Win_unlock_all", rc);
    }
    std::shared_ptr<detail::window_state> s_;
};

} // namespace mpixx

// mpixx/detail/hang_watch.hpp - the hang report (MPIXX_HANG_TIMEOUT): what each blocking call waits in.
//
// A blocking mpixx call that may wait on peers (point-to-point, every blocking collective, request waits,
// halo exchanges, collective file calls, window synchronisation) checks hang_watch_on() - one relaxed
// load, false unless MPIXX_HANG_TIMEOUT was set when the environment initialised MPI - and only then
// marks itself with a hang_scope for as long as it blocks. The scope publishes its site in a slot of
// the calling thread (a lock-free, push-only list of slots, one per thread that ever blocked while the
// report was on) and bumps the slot's sequence number: odd while blocked.
// No clock is read on the calling thread: the watchdog (detail/hang_watchdog.hpp) polls the slots and
// measures, on its own clock, how long a slot stays blocked with the same sequence number.
// The flag and the slots live outside the ABI namespace (in mpixx::hang_v1, whose layout no build macro
// changes), so that translation units built with different settings (checked mode, ...) share one
// report: the variable is not part of the configuration. A slot also records its thread (through a hook
// the watchdog installs), so that the watchdog can ask that thread for its call stack.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/atomic.hpp>

#include <cstddef>
#include <cstdint>
#include <new>

namespace mpixx::hang_v1 {

using atomic_v1::atomic;
using atomic_v1::memory_order_acq_rel;
using atomic_v1::memory_order_acquire;
using atomic_v1::memory_order_relaxed;
using atomic_v1::memory_order_release;

/// What a hang_site describes: a collective (peer = root), a point-to-point call (peer, tag), a wait
/// on requests (count = number of requests), a halo exchange's wait (comm, count = requests), a
/// collective file call (comm, name = the file's path, count and type), or a window's synchronisation
/// (win, peer = target rank or -1, count = ranks of the window).
enum class hang_kind : unsigned char { collective, point_to_point, wait, halo, file, window };

/// Bytes of a site's name kept in a slot (a file's path: its end, the more telling part).
inline constexpr std::size_t hang_name_size = 64;

/// One thread's published site. The fields are written only while `seq` is even (not blocked) and read
/// by the watchdog only while it is odd, seqlock-style; all are atomics so that the race is benign.
struct hang_slot {
    atomic<std::uint64_t> seq{0};                  ///< odd while the owning thread is blocked in `routine`
    atomic<const char*> routine{nullptr};          ///< the MPI routine, e.g. "MPI_Recv"
    atomic<MPI_Comm> comm{MPI_COMM_NULL};          ///< its communicator (MPI_COMM_NULL: waits)
    atomic<int> peer{-1};                          ///< peer (point-to-point) or root (collectives)
    atomic<int> tag{-1};                           ///< tag (point-to-point)
    atomic<std::size_t> count{0};                  ///< elements, or requests for waits
    atomic<MPI_Datatype> type{MPI_DATATYPE_NULL};  ///< datatype of the elements
    atomic<hang_kind> kind{hang_kind::collective}; ///< what the other fields mean
    atomic<MPI_Win> win{MPI_WIN_NULL};             ///< the window (kind window)
    atomic<char> name[hang_name_size] = {};        ///< a copy of the site's name (kind file)
    atomic<bool> owned{true};                      ///< a live thread owns the slot (false: free for the next thread)
    atomic<bool> has_thread{false};                ///< `thread` holds the owning thread (set by the claim hook)
    atomic<std::uint64_t> thread{0};               ///< the owning thread's native handle, as bits
    hang_slot* next = nullptr; ///< set once, before the slot is published
    // The watchdog's own bookkeeping (touched by the watchdog thread only).
    std::uint64_t seen_seq = 0; ///< the blocked sequence number the watchdog last saw
    double seen_since = 0;      ///< when it first saw it (watchdog clock, seconds)
    bool reported = false;      ///< whether it printed the line for it
};

/// The process-wide state of the hang report: whether it is on, and the list of slots.
struct hang_state {
    static inline atomic<bool> on{false};            ///< the watchdog runs
    static inline atomic<hang_slot*> slots{nullptr}; ///< newest first; slots are never freed
    /// Called by the thread that claims a slot (the watchdog's: records the thread); null: none.
    static inline atomic<void (*)(hang_slot&) noexcept> claim_hook{nullptr};
};

/// The calling thread's slot (null until it first blocks while the report is on).
inline constinit thread_local hang_slot* hang_my_slot = nullptr;

/// Frees the thread's slot for reuse when the thread ends.
struct hang_slot_owner {
    hang_slot* slot = nullptr; ///< the thread's slot
    hang_slot_owner() = default;
    hang_slot_owner(const hang_slot_owner&) = delete;
    hang_slot_owner& operator=(const hang_slot_owner&) = delete;
    ~hang_slot_owner() {
        if (!slot) return;
        hang_my_slot = nullptr;
        slot->owned.store(false, memory_order_release);
    }
};

/// Gives the calling thread a slot: a free one from the list, or a new one pushed on it (cold path).
/// Null when memory is short (the call is then not watched).
[[MPIXX_COLD]] inline hang_slot* hang_claim_slot() noexcept {
    hang_slot* s = hang_state::slots.load(memory_order_acquire);
    for (; s; s = s->next) {
        bool free = false;
        if (!s->owned.load(memory_order_relaxed) &&
            s->owned.compare_exchange_strong(free, true, memory_order_acq_rel))
            break;
    }
    if (!s) {
        s = new (std::nothrow) hang_slot;
        if (!s) return nullptr;
        hang_slot* head = hang_state::slots.load(memory_order_relaxed);
        do {
            s->next = head;
        } while (!hang_state::slots.compare_exchange_weak(head, s, memory_order_release,
                                                          memory_order_relaxed));
    }
    static thread_local hang_slot_owner owner;
    owner.slot = s;
    hang_my_slot = s;
    s->has_thread.store(false, memory_order_relaxed);
    if (auto hook = hang_state::claim_hook.load(memory_order_acquire)) hook(*s);
    return s;
}

} // namespace mpixx::hang_v1

namespace mpixx::inline MPIXX_ABI::detail {

using hang_v1::hang_claim_slot;
using hang_v1::hang_kind;
using hang_v1::hang_my_slot;
using hang_v1::hang_name_size;
using hang_v1::hang_slot;
using hang_v1::hang_state;

/// What a blocking call waits in: routine, communicator, peer or root (-1: none), tag (-1: none),
/// element count and datatype (MPI_DATATYPE_NULL: none), what kind of call it is, and for windows and
/// files the window and the name (copied into the slot: it need not outlive the call's report).
struct hang_site {
    const char* routine;
    MPI_Comm comm;
    int peer = -1;
    int tag = -1;
    std::size_t count = 0;
    MPI_Datatype type = MPI_DATATYPE_NULL;
    hang_kind kind = hang_kind::collective;
    MPI_Win win = MPI_WIN_NULL;
    const char* name = nullptr;
};

/// The site of a wait on `n` requests (MPI_Waitall and the like).
inline hang_site hang_wait_site(const char* routine, std::size_t n) noexcept {
    return {routine, MPI_COMM_NULL, -1, -1, n, MPI_DATATYPE_NULL, hang_kind::wait};
}

/// The site of a collective step on `comm` (no root, no data described), named by MPIXX_WATCHED.
inline hang_site hang_comm_site(MPI_Comm comm) noexcept { return {nullptr, comm}; }

/// The site of a halo exchange's wait on its `n` requests, on the halo's communicator.
inline hang_site hang_halo_site(const char* routine, MPI_Comm comm, std::size_t n) noexcept {
    return {routine, comm, -1, -1, n, MPI_DATATYPE_NULL, hang_kind::halo};
}

/// The site of a collective call on the file at `path` (opened on `comm`), moving `n` elements of `t`.
inline hang_site hang_file_site(const char* routine, MPI_Comm comm, const char* path, std::size_t n = 0,
                                MPI_Datatype t = MPI_DATATYPE_NULL) noexcept {
    return {routine, comm, -1, -1, n, t, hang_kind::file, MPI_WIN_NULL, path};
}

/// The site of a synchronisation of window `win` of `size` ranks, towards `target` (-1: all or none).
inline hang_site hang_window_site(const char* routine, MPI_Win win, int target, int size) noexcept {
    return {routine, MPI_COMM_NULL, target, -1, static_cast<std::size_t>(size < 0 ? 0 : size), MPI_DATATYPE_NULL,
            hang_kind::window, win, nullptr};
}

/// Whether the hang report is on (MPIXX_HANG_TIMEOUT set): one relaxed load.
[[gnu::always_inline]] inline bool hang_watch_on() noexcept { return hang_state::on.load(memory_order_relaxed); }

/// Marks the calling thread as blocked in `site` for its lifetime. Nested scopes keep the outer site
/// (the call the user made). Construct it only when hang_watch_on().
class hang_scope {
public:
    explicit hang_scope(const hang_site& site) noexcept {
        hang_slot* s = hang_my_slot;
        if (!s) [[unlikely]] {
            s = hang_claim_slot();
            if (!s) return;
        }
        const std::uint64_t q = s->seq.load(memory_order_relaxed);
        if (q & 1u) return; // nested: the outer call is what this thread waits in
        s->routine.store(site.routine, memory_order_relaxed);
        s->comm.store(site.comm, memory_order_relaxed);
        s->peer.store(site.peer, memory_order_relaxed);
        s->tag.store(site.tag, memory_order_relaxed);
        s->count.store(site.count, memory_order_relaxed);
        s->type.store(site.type, memory_order_relaxed);
        s->kind.store(site.kind, memory_order_relaxed);
        if (site.kind >= hang_kind::halo) [[unlikely]]
            store_extra(*s, site);
        s->seq.store(q + 1, memory_order_release);
        slot_ = s;
    }
    ~hang_scope() {
        if (slot_) slot_->seq.store(slot_->seq.load(memory_order_relaxed) + 1, memory_order_release);
    }
    hang_scope(const hang_scope&) = delete;
    hang_scope& operator=(const hang_scope&) = delete;

private:
    /// The window, and the end of the name (a path's last bytes, "..." in front when cut).
    static void store_extra(hang_slot& s, const hang_site& site) noexcept {
        s.win.store(site.win, memory_order_relaxed);
        const char* n = site.name ? site.name : "";
        std::size_t len = 0;
        while (n[len]) ++len;
        std::size_t i = 0;
        if (len >= hang_name_size) {
            for (; i < 3; ++i) s.name[i].store('.', memory_order_relaxed);
            n += len - (hang_name_size - 4);
        }
        for (; i + 1 < hang_name_size && *n; ++i, ++n) s.name[i].store(*n, memory_order_relaxed);
        s.name[i].store('\0', memory_order_relaxed);
    }

    hang_slot* slot_ = nullptr;
};

/// Fn(args...) marked as blocked in `site` (named `routine`) for the hang report: the cold half of
/// MPIXX_WATCHED, which calls it only when the report is on.
template <auto Fn, class... A>
[[MPIXX_COLD]] int hang_watched_call(const char* routine, hang_site site, A... args) {
    site.routine = routine;
    const hang_scope watched(site);
    return Fn(args...);
}

} // namespace mpixx::detail

/// The MPI call fn(...) (its return code), marked for the hang report as blocked in `site` (a
/// detail::hang_site, named after fn; evaluated only when the report is on) while it runs: one relaxed
/// load when the report is off, then the plain call.
#define MPIXX_WATCHED(site, fn, ...)                                                                       \
    (::mpixx::detail::hang_watch_on() ? ::mpixx::detail::hang_watched_call<fn>(#fn, site, __VA_ARGS__)      \
                                      : fn(__VA_ARGS__))

/// MPIXX_CALL of a call that may wait on other ranks: MPIXX_WATCHED, its return code checked.
#define MPIXX_WATCHED_CALL(site, fn, ...) ::mpixx::detail::check(MPIXX_WATCHED(site, fn, __VA_ARGS__), #fn)

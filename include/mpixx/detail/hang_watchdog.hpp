// mpixx/detail/hang_watchdog.hpp - the thread behind the hang report (MPIXX_HANG_TIMEOUT=seconds).
//
// Started by mpixx::environment when the variable holds a positive number of seconds, stopped (joined)
// at the start of MPI_Finalize (a finalize hook). It polls the slots of hang_watch.hpp a few times per
// timeout; a slot that stays blocked with the same sequence number for longer than the timeout gets one
// line on stderr naming rank, routine, communicator, peer or root, tag, count and datatype. The watchdog
// then waits a grace period, so that the other ranks, stuck in their own calls, print their lines too
// (together: what each reachable rank is blocked in), and ends the job with MPI_Abort - unless the call
// completed meanwhile. The watchdog makes no MPI call but MPI_Abort, plus MPI_Comm_get_name /
// MPI_Comm_size / MPI_Type_get_name when MPI granted MPI_THREAD_MULTIPLE; rank and size are read at start.
// The source location of the blocked call is not reported: it would need a parameter on every public
// call, and the watchdog cannot unwind another thread's stack.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/finalize_hooks.hpp>
#include <mpixx/detail/hang_watch.hpp>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <type_traits>

namespace mpixx::inline MPIXX_ABI::detail {

/// The exit code of a job ended by the hang report.
inline constexpr int hang_abort_code = 86;

/// The watchdog thread and its settings (one per process, while MPI is initialised).
class hang_watchdog {
public:
    /// Reads MPIXX_HANG_TIMEOUT and starts the watchdog when it holds a positive number of seconds.
    /// `multiple`: MPI granted MPI_THREAD_MULTIPLE (the watchdog may then query names).
    static void start_from_env(bool multiple) {
        const char* text = std::getenv("MPIXX_HANG_TIMEOUT");
        if (!text || !*text) return;
        start(text, multiple);
    }

    /// Stops and joins the watchdog (the report is off afterwards); no-op when it is not running.
    static void stop() noexcept {
        hang_watchdog* w = instance_;
        if (!w) return;
        hang_state::on.store(false, std::memory_order_relaxed);
        {
            std::lock_guard lock(w->mutex_);
            w->stopping_ = true;
        }
        w->wake_.notify_all();
        if (w->thread_.joinable()) w->thread_.join();
        instance_ = nullptr;
        delete w;
    }

private:
    [[gnu::noinline, gnu::cold]] static void start(const char* text, bool multiple) {
        if (instance_) return;
        int rank = 0, size = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        char* end = nullptr;
        const double timeout = std::strtod(text, &end);
        if (end == text || *end != '\0' || !std::isfinite(timeout) || timeout <= 0) {
            if (rank == 0) {
                std::fprintf(stderr,
                             "mpixx: MPIXX_HANG_TIMEOUT=%s is not a positive number of seconds; the hang report "
                             "stays off\n",
                             text);
                std::fflush(stderr);
            }
            return;
        }
        auto* w = new hang_watchdog;
        w->timeout_ = timeout;
        std::snprintf(w->timeout_text_, sizeof w->timeout_text_, "%s", text);
        w->rank_ = rank;
        w->size_ = size;
        w->multiple_ = multiple;
        // Polled a few times per timeout: the report comes between timeout and timeout + poll.
        w->poll_ = std::fmin(0.25, std::fmax(0.01, timeout / 8));
        w->thread_ = std::thread([w] { w->run(); });
        instance_ = w;
        hang_state::on.store(true, std::memory_order_relaxed);
        try {
            at_finalize([]() noexcept { stop(); });
        } catch (...) {
            stop();
            throw;
        }
    }

    static double now() noexcept {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    }

    /// Sleeps `seconds` or until stop(); returns false when stopping.
    bool sleep(double seconds) {
        std::unique_lock lock(mutex_);
        return !wake_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return stopping_; });
    }

    void run() {
        while (sleep(poll_)) {
            const double t = now();
            bool found = false;
            for (hang_slot* s = hang_state::slots.load(std::memory_order_acquire); s; s = s->next) {
                const std::uint64_t q = s->seq.load(std::memory_order_acquire);
                if (!(q & 1u)) continue;
                if (q != s->seen_seq) {
                    s->seen_seq = q;
                    s->seen_since = t;
                    s->reported = false;
                    continue;
                }
                if (s->reported || t - s->seen_since < timeout_) continue;
                if (report(*s, t - s->seen_since)) found = s->reported = true;
            }
            if (!found) continue;
            // Give the other ranks, blocked in their own calls, the time to print their lines too; a call
            // that completes meanwhile ends the wait and the job goes on.
            bool still = true, running = true;
            for (double waited = 0; still && running && waited < grace_; waited += poll_) {
                running = sleep(poll_);
                still = false;
                for (hang_slot* s = hang_state::slots.load(std::memory_order_acquire); s; s = s->next)
                    if (s->reported && s->seq.load(std::memory_order_acquire) == s->seen_seq) still = true;
            }
            if (!still) {
                std::fprintf(stderr, "mpixx hang report: rank %d: the call completed after all; going on\n", rank_);
                std::fflush(stderr);
            }
            if (!running) return;
            if (!still) continue;
            std::fprintf(stderr,
                         "mpixx hang report: rank %d ending the job (MPIXX_HANG_TIMEOUT=%s); ranks that printed no "
                         "line were not waiting in an mpixx call\n",
                         rank_, timeout_text_);
            std::fflush(stderr);
            // The launcher forwards stderr asynchronously: give the lines a moment to get out.
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            MPI_Abort(MPI_COMM_WORLD, hang_abort_code);
            std::_Exit(hang_abort_code);
        }
    }

    template <class H>
    static unsigned long long handle_bits(H h) noexcept {
        if constexpr (std::is_pointer_v<H>) return reinterpret_cast<std::uintptr_t>(h);
        else return static_cast<unsigned long long>(static_cast<std::make_unsigned_t<H>>(h));
    }

    /// "MPI_COMM_WORLD", or the handle, with name and size when MPI allows the query from this thread.
    void describe_comm(MPI_Comm c, char* out, std::size_t n) const {
        if (c == MPI_COMM_WORLD) std::snprintf(out, n, "MPI_COMM_WORLD of %d rank%s", size_, size_ == 1 ? "" : "s");
        else if (c == MPI_COMM_SELF) std::snprintf(out, n, "MPI_COMM_SELF");
        else if (c == MPI_COMM_NULL) std::snprintf(out, n, "no communicator");
        else if (multiple_) {
            char name[MPI_MAX_OBJECT_NAME] = {};
            int len = 0, sz = 0;
            MPI_Comm_get_name(c, name, &len);
            MPI_Comm_size(c, &sz);
            const char* s = sz == 1 ? "" : "s";
            if (len > 0) std::snprintf(out, n, "communicator %s (0x%llx) of %d rank%s", name, handle_bits(c), sz, s);
            else std::snprintf(out, n, "communicator 0x%llx of %d rank%s", handle_bits(c), sz, s);
        } else {
            std::snprintf(out, n, "communicator 0x%llx", handle_bits(c));
        }
    }

    /// The name of a predefined datatype (compared by handle), else MPI_Type_get_name or the handle.
    void describe_type(MPI_Datatype t, char* out, std::size_t n) const {
#define MPIXX_HANG_TYPE_(T)                                                                                \
    if (t == T) {                                                                                          \
        std::snprintf(out, n, "%s", #T);                                                                   \
        return;                                                                                            \
    }
        MPIXX_HANG_TYPE_(MPI_DOUBLE) MPIXX_HANG_TYPE_(MPI_INT) MPIXX_HANG_TYPE_(MPI_FLOAT)
        MPIXX_HANG_TYPE_(MPI_CHAR) MPIXX_HANG_TYPE_(MPI_BYTE) MPIXX_HANG_TYPE_(MPI_SIGNED_CHAR)
        MPIXX_HANG_TYPE_(MPI_UNSIGNED_CHAR) MPIXX_HANG_TYPE_(MPI_SHORT) MPIXX_HANG_TYPE_(MPI_UNSIGNED_SHORT)
        MPIXX_HANG_TYPE_(MPI_UNSIGNED) MPIXX_HANG_TYPE_(MPI_LONG) MPIXX_HANG_TYPE_(MPI_UNSIGNED_LONG)
        MPIXX_HANG_TYPE_(MPI_LONG_LONG) MPIXX_HANG_TYPE_(MPI_UNSIGNED_LONG_LONG) MPIXX_HANG_TYPE_(MPI_LONG_DOUBLE)
        MPIXX_HANG_TYPE_(MPI_C_BOOL) MPIXX_HANG_TYPE_(MPI_CXX_BOOL) MPIXX_HANG_TYPE_(MPI_WCHAR)
        MPIXX_HANG_TYPE_(MPI_INT8_T) MPIXX_HANG_TYPE_(MPI_INT16_T) MPIXX_HANG_TYPE_(MPI_INT32_T)
        MPIXX_HANG_TYPE_(MPI_INT64_T) MPIXX_HANG_TYPE_(MPI_UINT8_T) MPIXX_HANG_TYPE_(MPI_UINT16_T)
        MPIXX_HANG_TYPE_(MPI_UINT32_T) MPIXX_HANG_TYPE_(MPI_UINT64_T) MPIXX_HANG_TYPE_(MPI_C_FLOAT_COMPLEX)
        MPIXX_HANG_TYPE_(MPI_C_DOUBLE_COMPLEX) MPIXX_HANG_TYPE_(MPI_C_LONG_DOUBLE_COMPLEX)
        MPIXX_HANG_TYPE_(MPI_AINT) MPIXX_HANG_TYPE_(MPI_OFFSET) MPIXX_HANG_TYPE_(MPI_COUNT)
        MPIXX_HANG_TYPE_(MPI_PACKED)
#undef MPIXX_HANG_TYPE_
        if (multiple_) {
            char name[MPI_MAX_OBJECT_NAME] = {};
            int len = 0;
            if (MPI_Type_get_name(t, name, &len) == MPI_SUCCESS && len > 0) {
                std::snprintf(out, n, "%s", name);
                return;
            }
        }
        std::snprintf(out, n, "derived datatype 0x%llx", handle_bits(t));
    }

    /// Prints the line for a slot blocked `waited` seconds; false if the call completed meanwhile.
    bool report(hang_slot& s, double waited) const {
        const char* routine = s.routine.load(std::memory_order_relaxed);
        const MPI_Comm comm = s.comm.load(std::memory_order_relaxed);
        const int peer = s.peer.load(std::memory_order_relaxed);
        const int tag = s.tag.load(std::memory_order_relaxed);
        const std::size_t count = s.count.load(std::memory_order_relaxed);
        const MPI_Datatype type = s.type.load(std::memory_order_relaxed);
        const hang_kind kind = s.kind.load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        if (s.seq.load(std::memory_order_relaxed) != s.seen_seq) return false; // it completed: fields may be new
        char what[512];
        if (kind == hang_kind::wait) {
            std::snprintf(what, sizeof what, "%zu request%s", count, count == 1 ? "" : "s");
        } else {
            char c[200], t[140], p[40], g[40];
            describe_comm(comm, c, sizeof c);
            t[0] = '\0'; // ", count N TYPE", or nothing when the call moves no data (barrier)
            if (type != MPI_DATATYPE_NULL) {
                char name[120];
                describe_type(type, name, sizeof name);
                std::snprintf(t, sizeof t, ", count %zu %s", count, name);
            }
            if (kind == hang_kind::collective) {
                if (peer < 0) std::snprintf(p, sizeof p, "root -");
                else std::snprintf(p, sizeof p, "root %d", peer);
                std::snprintf(what, sizeof what, "%s, %s%s", c, p, t);
            } else {
                if (peer == MPI_ANY_SOURCE) std::snprintf(p, sizeof p, "peer any");
                else if (peer == MPI_PROC_NULL) std::snprintf(p, sizeof p, "peer proc_null");
                else std::snprintf(p, sizeof p, "peer %d", peer);
                if (tag == MPI_ANY_TAG) std::snprintf(g, sizeof g, "tag any");
                else std::snprintf(g, sizeof g, "tag %d", tag);
                std::snprintf(what, sizeof what, "%s, %s, %s%s", c, p, g, t);
            }
        }
        std::fprintf(stderr, "mpixx hang report: rank %d of %d has waited %.1f s in %s (%s)\n", rank_, size_, waited,
                     routine ? routine : "?", what);
        std::fflush(stderr);
        return true;
    }

    static inline hang_watchdog* instance_ = nullptr; // touched by the thread that (de)initialises MPI

    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    double timeout_ = 0;
    double poll_ = 0.25;
    double grace_ = 1.5;
    char timeout_text_[32] = {};
    int rank_ = 0;
    int size_ = 1;
    bool multiple_ = false;
};

} // namespace mpixx::detail

// mpixx/detail/hang_watchdog.hpp - the thread behind the hang report (MPIXX_HANG_TIMEOUT=seconds).
//
// Started by mpixx::environment when the variable holds a positive number of seconds, stopped (joined)
// at the start of MPI_Finalize (a finalize hook). It polls the slots of hang_watch.hpp a few times per
// timeout; a slot that stays blocked with the same sequence number for longer than the timeout gets one
// line on stderr naming rank, routine, communicator (window, file), peer or root, tag, count and
// datatype, followed by the blocked thread's call stack. The watchdog then waits a grace period, so that
// the other ranks, stuck in their own calls, print their lines too (together: what each reachable rank
// is blocked in), and ends the job with MPI_Abort - unless the call completed meanwhile. The watchdog
// makes no MPI call but MPI_Abort, plus MPI_Comm_get_name / MPI_Comm_size / MPI_Type_get_name /
// MPI_Win_get_name when MPI granted MPI_THREAD_MULTIPLE; rank and size are read at start.
//
// The call stack (glibc): the watchdog cannot unwind another thread's stack, so it asks the blocked
// thread to do it: a signal (SIGURG, which MPI implementations leave alone and whose default is to
// ignore it; the handler is installed at start only when the program has none, with SA_RESTART so that
// the interrupted MPI call goes on) whose handler only records the return addresses (backtrace(),
// called once at start so that it loads what it needs outside the handler) in a static buffer. The
// watchdog waits for them (200 ms at most) and prints each frame as module+offset (dladdr), one line per
// frame, which `addr2line -f -C -i -e module offset` turns into function, file and line in a program
// built with -g: the source location of the blocked call, without a parameter on every public call.
// Without <execinfo.h> (not glibc), or when the program handles SIGURG itself, the report has no stack.
#pragma once

#include <mpixx/config.hpp>

#include <mpixx/detail/atomic.hpp>
#include <mpixx/detail/finalize_hooks.hpp>
#include <mpixx/detail/hang_watch.hpp>
#include <mpixx/error.hpp>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <type_traits>

// POSIX threads and clocks, not <thread>/<condition_variable>/<chrono>: this header is in every
// translation unit (environment.hpp starts the watchdog), and those cost more to compile than all of
// mpixx's core (<chrono> alone pulls in <sstream> in C++20).
#include <pthread.h>
#include <time.h>

#if defined(__GLIBC__) && __has_include(<execinfo.h>) && __has_include(<dlfcn.h>) && __has_include(<elf.h>)
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>
#define MPIXX_HANG_STACKS 1
#else
#define MPIXX_HANG_STACKS 0
#endif

namespace mpixx::inline MPIXX_ABI::detail {

/// Seconds on the monotonic clock.
inline double hang_clock() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// Sleeps the calling thread for `seconds`.
inline void nap(double seconds) noexcept {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(seconds);
    ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

#if MPIXX_HANG_STACKS
/// The call stack of a blocked thread, captured by that thread in a signal handler on the watchdog's
/// request. One request at a time (the watchdog's thread asks); the handler touches only this buffer and
/// lock-free atomics, and calls backtrace(), already loaded at start.
class hang_stack {
public:
    static constexpr int signal_number = SIGURG;
    static constexpr int max_frames = 64;

    /// Installs the handler when the program has none for the signal; warms backtrace() up. Returns
    /// whether stacks can be asked for.
    static bool install() noexcept {
        struct sigaction old{};
        if (sigaction(signal_number, nullptr, &old) != 0) return false;
        if ((old.sa_flags & SA_SIGINFO) || (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)) return false;
        void* warm[4];
        (void)backtrace(warm, 4); // its first call may load libgcc and allocate: not in the handler
        struct sigaction act{};
        act.sa_sigaction = &on_signal;
        act.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&act.sa_mask);
        if (sigaction(signal_number, &act, &old_) != 0) return false;
        installed_ = true;
        return true;
    }
    /// Puts back what the program had (at stop; no request is in flight then).
    static void uninstall() noexcept {
        if (!installed_) return;
        sigaction(signal_number, &old_, nullptr);
        installed_ = false;
    }
    /// Records the calling thread in its slot (the claim hook of hang_watch.hpp).
    static void record_thread(hang_slot& s) noexcept {
        static_assert(sizeof(pthread_t) <= sizeof(std::uint64_t) && std::is_trivially_copyable_v<pthread_t>);
        const pthread_t self = pthread_self();
        std::uint64_t bits = 0;
        std::memcpy(&bits, &self, sizeof self);
        s.thread.store(bits, memory_order_relaxed);
        s.has_thread.store(true, memory_order_release);
    }

    /// Asks the slot's thread for its stack and waits for it (bounded); the number of frames in `out`
    /// from the interrupted one on (0: none). Watchdog thread only.
    static int capture(const hang_slot& s, void** out) noexcept {
        if (!installed_ || !s.has_thread.load(memory_order_acquire)) return 0;
        int idle = 0; // or done: a capture given up on that finished late
        if (!state_.compare_exchange_strong(idle, asked, memory_order_acq_rel) &&
            (idle != done || !state_.compare_exchange_strong(idle, asked, memory_order_acq_rel)))
            return 0; // one given up on is still running
        const std::uint64_t bits = s.thread.load(memory_order_relaxed);
        pthread_t t;
        std::memcpy(&t, &bits, sizeof t);
        if (pthread_kill(t, signal_number) != 0) {
            state_.store(0, memory_order_release);
            return 0;
        }
        for (int waited = 0; state_.load(memory_order_acquire) != done; ++waited) {
            if (waited >= 200) { // the thread could not run the handler (signal blocked, ...): give up
                int expected = asked;
                if (state_.compare_exchange_strong(expected, 0, memory_order_acq_rel)) return 0;
                if (expected != done) return 0; // capturing: it sets done later, and the next ask takes over
                break;
            }
            nap(0.001);
        }
        const int n = count_;
        int first = n > 2 ? 2 : n; // backtrace's frames: the handler, the signal trampoline, then the thread's
        for (int i = 0; i < n; ++i)
            if (frames_[i] == pc_) {
                first = i;
                break;
            }
        const int kept = n - first;
        for (int i = 0; i < kept; ++i) out[i] = frames_[first + i];
        state_.store(0, memory_order_release);
        return kept;
    }

private:
    static constexpr int asked = 1, capturing = 2, done = 3;

    static void on_signal(int, siginfo_t*, void* context) {
        int expected = asked;
        if (!state_.compare_exchange_strong(expected, capturing, memory_order_acq_rel)) return; // not asked
        const int saved = errno;
        count_ = backtrace(frames_, max_frames);
        pc_ = interrupted_pc(context);
        errno = saved;
        state_.store(done, memory_order_release);
    }

    /// Where the signal interrupted the thread (the first frame of its own stack); null where unknown.
    static void* interrupted_pc([[maybe_unused]] void* context) noexcept {
#if defined(__x86_64__)
        return reinterpret_cast<void*>(static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
        return reinterpret_cast<void*>(static_cast<ucontext_t*>(context)->uc_mcontext.pc);
#else
        return nullptr;
#endif
    }

    static_assert(atomic<int>::is_always_lock_free, "the signal handler needs lock-free atomics");
    static inline atomic<int> state_{0};
    static inline void* frames_[max_frames] = {};
    static inline int count_ = 0;
    static inline void* pc_ = nullptr;
    static inline bool installed_ = false;
    static inline struct sigaction old_{};
};
#endif

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
        hang_state::on.store(false, memory_order_relaxed);
        pthread_mutex_lock(&w->mutex_);
        w->stopping_ = true;
        pthread_cond_broadcast(&w->wake_);
        pthread_mutex_unlock(&w->mutex_);
        pthread_join(w->thread_, nullptr);
#if MPIXX_HANG_STACKS
        hang_state::claim_hook.store(nullptr, memory_order_release);
        hang_stack::uninstall();
#endif
        instance_ = nullptr;
        delete w;
    }

private:
    [[MPIXX_COLD]] static void start(const char* text, bool multiple) {
        if (instance_) return;
        int rank = 0, size = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        char* end = nullptr;
        const double timeout = std::strtod(text, &end);
        if (end == text || *end != '\0' || !(timeout > 0 && timeout < 1e18)) {
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
#if MPIXX_HANG_STACKS
        // Before the report is on: every slot claimed from now on records its thread.
        if (hang_stack::install()) {
            hang_state::claim_hook.store(&hang_stack::record_thread, memory_order_release);
            const ssize_t len = readlink("/proc/self/exe", w->exe_, sizeof w->exe_ - 1);
            w->exe_[len > 0 ? static_cast<std::size_t>(len) : 0] = '\0';
        }
#endif
        // Polled a few times per timeout: the report comes between timeout and timeout + poll.
        w->poll_ = timeout / 8 < 0.01 ? 0.01 : (timeout / 8 > 0.25 ? 0.25 : timeout / 8); // in [0.01, 0.25] s
        if (pthread_create(&w->thread_, nullptr, &entry, w) != 0) {
            delete w;
            throw error("mpixx::environment", MPI_ERR_OTHER, "the hang report's watchdog thread could not start");
        }
        instance_ = w;
        hang_state::on.store(true, memory_order_relaxed);
        try {
            at_finalize([]() noexcept { stop(); });
        } catch (...) {
            stop();
            throw;
        }
    }

    hang_watchdog() noexcept {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); // sleep() measures on hang_clock()
        pthread_cond_init(&wake_, &attr);
        pthread_condattr_destroy(&attr);
    }
    ~hang_watchdog() {
        pthread_cond_destroy(&wake_);
        pthread_mutex_destroy(&mutex_);
    }

    static void* entry(void* self) noexcept {
        static_cast<hang_watchdog*>(self)->run();
        return nullptr;
    }

    static double now() noexcept { return hang_clock(); }

    /// Sleeps `seconds` or until stop(); returns false when stopping.
    bool sleep(double seconds) noexcept {
        const double until = hang_clock() + seconds;
        timespec deadline{};
        deadline.tv_sec = static_cast<time_t>(until);
        deadline.tv_nsec = static_cast<long>((until - static_cast<double>(deadline.tv_sec)) * 1e9);
        pthread_mutex_lock(&mutex_);
        int rc = 0;
        while (!stopping_ && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&wake_, &mutex_, &deadline);
        const bool go_on = !stopping_;
        pthread_mutex_unlock(&mutex_);
        return go_on;
    }

    void run() {
        while (sleep(poll_)) {
            const double t = now();
            bool found = false;
            for (hang_slot* s = hang_state::slots.load(memory_order_acquire); s; s = s->next) {
                const std::uint64_t q = s->seq.load(memory_order_acquire);
                if (!(q & 1u)) continue;
                if (q != s->seen_seq) {
                    s->seen_seq = q;
                    s->seen_since = t;
                    s->reported = false;
                    continue;
                }
                if (s->reported || t - s->seen_since < timeout_) continue;
                if (report(*s, t - s->seen_since)) {
                    found = s->reported = true;
                    print_stack(*s);
                }
            }
            if (!found) continue;
            // Give the other ranks, blocked in their own calls, the time to print their lines too; a call
            // that completes meanwhile ends the wait and the job goes on.
            bool still = true, running = true;
            for (double waited = 0; still && running && waited < grace_; waited += poll_) {
                running = sleep(poll_);
                still = false;
                for (hang_slot* s = hang_state::slots.load(memory_order_acquire); s; s = s->next)
                    if (s->reported && s->seq.load(memory_order_acquire) == s->seen_seq) still = true;
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
            nap(0.1);
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
    [[MPIXX_COLD]] void describe_comm(MPI_Comm c, char* out, std::size_t n) const {
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
    [[MPIXX_COLD]] void describe_type(MPI_Datatype t, char* out, std::size_t n) const {
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
    [[MPIXX_COLD]] bool report(hang_slot& s, double waited) const {
        const char* routine = s.routine.load(memory_order_relaxed);
        const MPI_Comm comm = s.comm.load(memory_order_relaxed);
        const int peer = s.peer.load(memory_order_relaxed);
        const int tag = s.tag.load(memory_order_relaxed);
        const std::size_t count = s.count.load(memory_order_relaxed);
        const MPI_Datatype type = s.type.load(memory_order_relaxed);
        const hang_kind kind = s.kind.load(memory_order_relaxed);
        const MPI_Win win = s.win.load(memory_order_relaxed);
        char path[hang_name_size];
        for (std::size_t i = 0; i < hang_name_size; ++i) path[i] = s.name[i].load(memory_order_relaxed);
        path[hang_name_size - 1] = '\0';
        atomic_thread_fence(memory_order_acquire);
        if (s.seq.load(memory_order_relaxed) != s.seen_seq) return false; // it completed: fields may be new
        char what[512];
        if (kind == hang_kind::wait) {
            std::snprintf(what, sizeof what, "%zu request%s", count, count == 1 ? "" : "s");
        } else if (kind == hang_kind::halo) {
            char c[200];
            describe_comm(comm, c, sizeof c);
            std::snprintf(what, sizeof what, "halo exchange on %s, %zu request%s", c, count, count == 1 ? "" : "s");
        } else if (kind == hang_kind::window) {
            char w[200], p[40];
            describe_win(win, count, w, sizeof w);
            p[0] = '\0';
            if (peer >= 0) std::snprintf(p, sizeof p, ", target %d", peer);
            std::snprintf(what, sizeof what, "%s%s", w, p);
        } else if (kind == hang_kind::file) {
            char c[200], t[140];
            describe_comm(comm, c, sizeof c);
            t[0] = '\0';
            if (type != MPI_DATATYPE_NULL) {
                char tn[120];
                describe_type(type, tn, sizeof tn);
                std::snprintf(t, sizeof t, ", count %zu %s", count, tn);
            }
            std::snprintf(what, sizeof what, "file \"%s\" on %s%s", path, c, t);
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

    /// "window 0x.. of N ranks", with its name when MPI allows the query from this thread.
    [[MPIXX_COLD]] void describe_win(MPI_Win w, std::size_t ranks, char* out, std::size_t n) const {
        const char* s = ranks == 1 ? "" : "s";
        if (multiple_ && w != MPI_WIN_NULL) {
            char name[MPI_MAX_OBJECT_NAME] = {};
            int len = 0;
            if (MPI_Win_get_name(w, name, &len) == MPI_SUCCESS && len > 0) {
                std::snprintf(out, n, "window %s (0x%llx) of %zu rank%s", name, handle_bits(w), ranks, s);
                return;
            }
        }
        std::snprintf(out, n, "window 0x%llx of %zu rank%s", handle_bits(w), ranks, s);
    }

    /// Prints the call stack of the slot's thread, one frame a line as module+offset (see the top).
    [[MPIXX_COLD]] void print_stack([[maybe_unused]] const hang_slot& s) {
#if MPIXX_HANG_STACKS
        void* frames[hang_stack::max_frames];
        const int n = hang_stack::capture(s, frames);
        for (int i = 0; i < n; ++i) {
            // Past the first (interrupted) frame, return addresses: one byte back is inside the call.
            const std::uintptr_t at = reinterpret_cast<std::uintptr_t>(frames[i]) - (i > 0 ? 1 : 0);
            Dl_info info{};
            if (dladdr(reinterpret_cast<void*>(at), &info) == 0 || !info.dli_fname || !info.dli_fbase) {
                std::fprintf(stderr, "mpixx hang report: rank %d:   #%d ?+0x%llx\n", rank_, i,
                             static_cast<unsigned long long>(at));
                continue;
            }
            const char* module = info.dli_fname;
            // The main program's name is its argv[0]: /proc/self/exe is where addr2line finds it.
            if (exe_[0] && (!*module || is_program(module))) module = exe_;
            const auto base = reinterpret_cast<std::uintptr_t>(info.dli_fbase);
            const std::uintptr_t offset = fixed_address(info.dli_fbase) ? at : at - base;
            const char* sym = info.dli_sname && std::strncmp(info.dli_sname, "_Z", 2) != 0 ? info.dli_sname : nullptr;
            std::fprintf(stderr, "mpixx hang report: rank %d:   #%d %s+0x%llx%s%s%s\n", rank_, i, module,
                         static_cast<unsigned long long>(offset), sym ? " (" : "", sym ? sym : "", sym ? ")" : "");
        }
        if (n > 0 && !hinted_) {
            hinted_ = true;
            std::fprintf(stderr,
                         "mpixx hang report: rank %d: frames are module+offset; function, file and line (with -g): "
                         "addr2line -f -C -i -e <module> <offset>...\n",
                         rank_);
        }
        std::fflush(stderr);
#endif
    }

#if MPIXX_HANG_STACKS
    /// Whether dladdr's module name is the main program's (glibc names it by argv[0]).
    static bool is_program(const char* module) noexcept {
#ifdef _GNU_SOURCE
        return program_invocation_name && std::strcmp(module, program_invocation_name) == 0;
#else
        return false;
#endif
    }

    /// Whether the module loaded at `base` is a non-PIE executable (ELF type ET_EXEC): addr2line then
    /// takes the address itself, not the offset from the base.
    static bool fixed_address(const void* base) noexcept {
        const auto* b = static_cast<const unsigned char*>(base);
        if (std::memcmp(b, ELFMAG, SELFMAG) != 0) return false;
        std::uint16_t type = 0;
        std::memcpy(&type, b + offsetof(Elf64_Ehdr, e_type), sizeof type); // the same offset in Elf32_Ehdr
        return type == ET_EXEC;
    }
#endif

    static inline hang_watchdog* instance_ = nullptr; // touched by the thread that (de)initialises MPI

    pthread_t thread_{};
    pthread_mutex_t mutex_ = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t wake_{};
    bool stopping_ = false; // guarded by mutex_
    double timeout_ = 0;
    double poll_ = 0.25;
    double grace_ = 1.5;
    char timeout_text_[32] = {};
    int rank_ = 0;
    int size_ = 1;
    bool multiple_ = false;
    bool hinted_ = false;                // the addr2line hint was printed
    char exe_[PATH_MAX > 4096 ? 4096 : PATH_MAX] = {}; // the main program's path (/proc/self/exe)
};

} // namespace mpixx::detail
